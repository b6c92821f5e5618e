"""Flowport's bridge to a Dask cluster: holds one distributed.Client and exchanges JSON lines with the JVM.

Started by the JVM with the cluster's Python. Reads one command per line on stdin, writes one event per line on
stdout. It uses Dask's own client library, so it speaks whatever protocol the installed `distributed` speaks.

Commands:  {"op": "submit", "id", "key", "command", "env", "cwd", "timeout", "resources", "priority"}
           {"op": "cancel", "id"}   {"op": "workers"}   {"op": "close"}
Events:    {"event": "ready", "dask", "scheduler"}   {"event": "done", "id", "exit", "stdout", "stderr",
           "seconds", "worker", "timed_out"}   {"event": "failed", "id", "kind", "message"}
           {"event": "workers", "workers"}   {"event": "fatal", "message"}
Configuration (environment): FLOWPORT_DASK_ADDRESS, FLOWPORT_DASK_CONNECT_TIMEOUT (seconds),
FLOWPORT_DASK_HEARTBEAT (seconds, 0 = none), and Dask's own DASK_* variables (TLS material among them).
"""
import json
import os
import queue
import sys
import threading
import time

import flowport_dask_tasks as tasks

_out_lock = threading.Lock()


def emit(event):
    line = json.dumps(event, separators=(",", ":"))
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Bridge:
    def __init__(self, client):
        self.client = client
        self.futures = {}
        self.keys = {}
        self.cancelling = set()
        self.lock = threading.Lock()
        self.completed = queue.Queue()
        threading.Thread(target=self.gather_forever, name="flowport-gather", daemon=True).start()

    def submit_all(self, cmds):
        """Submits many commands with one client.map per (resources, priority): one graph update for them all."""
        groups = {}
        for cmd in cmds:
            resources = cmd.get("resources") or None
            group = (json.dumps(resources, sort_keys=True) if resources else None, cmd.get("priority"))
            groups.setdefault(group, []).append(cmd)
        for (resources, priority), batch in groups.items():
            kwargs = {"key": [c["key"] for c in batch], "pure": False, "retries": 0}
            if resources:
                kwargs["resources"] = json.loads(resources)
            if priority is not None:
                kwargs["priority"] = priority
            try:
                futures = self.client.map(tasks.run_command, [c["command"] for c in batch],
                                          [c.get("env") or {} for c in batch], [c.get("cwd") for c in batch],
                                          [c.get("timeout") for c in batch], [c["key"] for c in batch], **kwargs)
            except Exception as e:  # noqa: BLE001 - every failure goes back to the JVM
                for c in batch:
                    emit({"event": "failed", "id": c["id"], "kind": "error",
                          "message": "%s: %s" % (type(e).__name__, e)})
                continue
            with self.lock:
                for c, future in zip(batch, futures):
                    self.futures[c["id"]] = future
                    self.keys[c["id"]] = c["key"]
            for c, future in zip(batch, futures):
                future.add_done_callback(lambda f, task_id=c["id"]: self.finished(task_id, f))

    def finished(self, task_id, future):
        # called on the client's callback thread: hand over, the gatherer fetches results in batches
        self.completed.put((task_id, future))

    def gather_forever(self):
        """Fetches the results of finished tasks many at a time (one request for all of them, as client.gather
        does for client.map) and reports each one.

        Every fetch costs the workers time, so the more tasks are in flight, the longer results are let pile up
        before one fetch (2 ms with a few in flight, at most 50 ms with a hundred or more): a chain of tasks sees
        its results at once, a wide map costs few fetches."""
        while True:
            batch = [self.completed.get()]
            with self.lock:
                in_flight = len(self.futures)
            time.sleep(min(0.05, max(0.002, 0.0005 * in_flight)))
            while len(batch) < 1000:
                try:
                    batch.append(self.completed.get_nowait())
                except queue.Empty:
                    break
            with self.lock:
                for task_id, _ in batch:
                    self.futures.pop(task_id, None)
                    self.keys.pop(task_id, None)
            ok = [(i, f) for i, f in batch if f.status == "finished"]
            results = []
            if ok:
                try:
                    results = self.client.gather([f for _, f in ok], errors="raise")
                except Exception:  # noqa: BLE001 - one at a time, so that each task gets its own outcome
                    results = None
            if results is None:
                for task_id, future in ok:
                    self.report(task_id, future)
            else:
                for (task_id, future), result in zip(ok, results):
                    result.update({"event": "done", "id": task_id})
                    emit(result)
                    future.release()
            for task_id, future in batch:
                if future.status != "finished":
                    self.report(task_id, future)

    def report(self, task_id, future):
        try:
            if future.status == "cancelled":
                with self.lock:
                    asked = task_id in self.cancelling
                    self.cancelling.discard(task_id)
                if asked:
                    emit({"event": "failed", "id": task_id, "kind": "cancelled", "message": "cancelled"})
                else:
                    # nobody asked: the client cancels every future when it loses its scheduler, and that is a
                    # failure of the task, not a cancellation of the run
                    emit({"event": "failed", "id": task_id, "kind": "error",
                          "message": "the task was dropped: the connection to the Dask scheduler was lost (client %s)"
                                     % self.client.status})
                return
            result = future.result()
            result.update({"event": "done", "id": task_id})
            emit(result)
        except Exception as e:  # noqa: BLE001 - every failure goes back to the JVM
            from distributed import KilledWorker
            kind = "worker-lost" if isinstance(e, KilledWorker) else "error"
            emit({"event": "failed", "id": task_id, "kind": kind, "message": "%s: %s" % (type(e).__name__, e)})
        finally:
            future.release()

    def cancel(self, task_id):
        with self.lock:
            future = self.futures.get(task_id)
            key = self.keys.get(task_id)
            if future is not None:
                self.cancelling.add(task_id)
        if future is None:
            return
        future.cancel()
        try:
            self.client.run(tasks.kill_command, key)
        except Exception:  # noqa: BLE001 - a worker that is gone has nothing left to kill
            pass

    def workers(self):
        info = self.client.scheduler_info()
        emit({"event": "workers", "workers": [
            {"address": a, "name": str(w.get("name")), "threads": w.get("nthreads")}
            for a, w in info.get("workers", {}).items()]})


def read_commands(inbox):
    for line in sys.stdin:
        line = line.strip()
        if line:
            inbox.put(json.loads(line))
    inbox.put({"op": "close"})


def keep_alive(client, interval, stop):
    # a scheduler started with an idle timeout closes when no task ran for that long; while this driver lives,
    # a tiny task now and then tells it that it is still wanted (a driver that died stops sending them)
    while not stop.wait(interval):
        try:
            client.submit(tasks.heartbeat, pure=False).result(timeout=interval)
        except Exception:  # noqa: BLE001
            pass


def main():
    address = os.environ["FLOWPORT_DASK_ADDRESS"]
    timeout = float(os.environ.get("FLOWPORT_DASK_CONNECT_TIMEOUT", "30"))
    beat = float(os.environ.get("FLOWPORT_DASK_HEARTBEAT", "0"))
    try:
        import distributed
        from distributed import Client
        client = Client(address, timeout=timeout, set_as_default=False)
        # the task functions go to every worker, also those that join later; tasks then name them
        client.upload_file(os.path.join(os.path.dirname(os.path.abspath(__file__)), "flowport_dask_tasks.py"))
    except Exception as e:  # noqa: BLE001
        emit({"event": "fatal", "message": "could not connect to %s: %s: %s" % (address, type(e).__name__, e)})
        return 3
    bridge = Bridge(client)
    stop = threading.Event()
    if beat > 0:
        threading.Thread(target=keep_alive, args=(client, beat, stop), daemon=True).start()
    emit({"event": "ready", "dask": distributed.__version__, "scheduler": client.scheduler.address})
    inbox = queue.Queue()
    threading.Thread(target=read_commands, args=(inbox,), daemon=True).start()
    try:
        closing = False
        while not closing:
            # take what has arrived, so that commands sent together are submitted together
            batch = [inbox.get()]
            time.sleep(0.001)  # the JVM writes ready tasks together; let the reader parse all of them
            while len(batch) < 10000:
                try:
                    batch.append(inbox.get_nowait())
                except queue.Empty:
                    break
            submits = [c for c in batch if c.get("op") == "submit"]
            if submits:
                bridge.submit_all(submits)
            for cmd in batch:
                op = cmd.get("op")
                try:
                    if op == "cancel":
                        bridge.cancel(cmd["id"])
                    elif op == "workers":
                        bridge.workers()
                    elif op == "close":
                        closing = True
                except Exception as e:  # noqa: BLE001
                    emit({"event": "fatal", "message": "%s failed: %s: %s" % (op, type(e).__name__, e)})
    finally:
        stop.set()
        try:
            client.close(timeout=5)
        except Exception:  # noqa: BLE001
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
