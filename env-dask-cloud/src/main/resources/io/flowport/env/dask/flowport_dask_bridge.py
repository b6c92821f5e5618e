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
import sys
import threading
import time

TAIL = 64 * 1024

_out_lock = threading.Lock()


def emit(event):
    line = json.dumps(event, separators=(",", ":"))
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def run_command(command, env, cwd, timeout, key):
    """Runs on a worker: the command in its own process group, registered so that it can be killed by key."""
    import signal
    import subprocess

    full_env = dict(os.environ)
    full_env.update(env or {})
    registry = sys.__dict__.setdefault("_flowport_procs", {})
    started = time.monotonic()
    proc = subprocess.Popen(command, env=full_env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    registry[key] = proc
    # where the JVM that started this worker can find the command's process group if the worker itself dies
    # (killed, out of memory) and cannot kill it: a file named after the group, removed when the command ends
    marker = None
    directory = os.environ.get("FLOWPORT_DASK_COMMAND_DIR")
    if directory:
        try:
            marker = os.path.join(directory, str(proc.pid))
            open(marker, "w").close()
        except OSError:
            marker = None
    timed_out = False
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
    finally:
        registry.pop(key, None)
        if marker:
            try:
                os.remove(marker)
            except OSError:
                pass
    worker = ""
    try:
        from distributed import get_worker
        worker = get_worker().address
    except Exception:
        pass
    return {
        "exit": proc.returncode,
        "stdout": out[-TAIL:].decode("utf-8", "replace"),
        "stderr": err[-TAIL:].decode("utf-8", "replace"),
        "seconds": time.monotonic() - started,
        "worker": worker,
        "timed_out": timed_out,
    }


def kill_command(key, dask_worker=None):
    """Runs on every worker when a task is cancelled: kills the command's process group if it runs there."""
    import signal
    proc = sys.__dict__.get("_flowport_procs", {}).get(key)
    if proc is not None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return True
    return False


def heartbeat():
    return None


class Bridge:
    def __init__(self, client):
        self.client = client
        self.futures = {}
        self.keys = {}
        self.lock = threading.Lock()

    def submit(self, cmd):
        task_id = cmd["id"]
        kwargs = {"key": cmd["key"], "pure": False, "retries": 0}
        if cmd.get("resources"):
            kwargs["resources"] = cmd["resources"]
        if cmd.get("priority") is not None:
            kwargs["priority"] = cmd["priority"]
        future = self.client.submit(run_command, cmd["command"], cmd.get("env") or {}, cmd.get("cwd"),
                                    cmd.get("timeout"), cmd["key"], **kwargs)
        with self.lock:
            self.futures[task_id] = future
            self.keys[task_id] = cmd["key"]
        future.add_done_callback(lambda f, task_id=task_id: self.finished(task_id, f))

    def finished(self, task_id, future):
        with self.lock:
            self.futures.pop(task_id, None)
            self.keys.pop(task_id, None)
        try:
            if future.status == "cancelled":
                emit({"event": "failed", "id": task_id, "kind": "cancelled", "message": "cancelled"})
                return
            result = future.result()
            result.update({"event": "done", "id": task_id})
            emit(result)
        except Exception as e:  # noqa: BLE001 - every failure goes back to the JVM
            from distributed import KilledWorker
            kind = "worker-lost" if isinstance(e, KilledWorker) else "error"
            emit({"event": "failed", "id": task_id, "kind": kind, "message": "%s: %s" % (type(e).__name__, e)})

    def cancel(self, task_id):
        with self.lock:
            future = self.futures.get(task_id)
            key = self.keys.get(task_id)
        if future is None:
            return
        future.cancel()
        try:
            self.client.run(kill_command, key)
        except Exception:  # noqa: BLE001 - a worker that is gone has nothing left to kill
            pass

    def workers(self):
        info = self.client.scheduler_info()
        emit({"event": "workers", "workers": [
            {"address": a, "name": str(w.get("name")), "threads": w.get("nthreads")}
            for a, w in info.get("workers", {}).items()]})


def keep_alive(client, interval, stop):
    # a scheduler started with an idle timeout closes when no task ran for that long; while this driver lives,
    # a tiny task now and then tells it that it is still wanted (a driver that died stops sending them)
    while not stop.wait(interval):
        try:
            client.submit(heartbeat, pure=False).result(timeout=interval)
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
    except Exception as e:  # noqa: BLE001
        emit({"event": "fatal", "message": "could not connect to %s: %s: %s" % (address, type(e).__name__, e)})
        return 3
    bridge = Bridge(client)
    stop = threading.Event()
    if beat > 0:
        threading.Thread(target=keep_alive, args=(client, beat, stop), daemon=True).start()
    emit({"event": "ready", "dask": distributed.__version__, "scheduler": client.scheduler.address})
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            cmd = json.loads(line)
            op = cmd.get("op")
            try:
                if op == "submit":
                    bridge.submit(cmd)
                elif op == "cancel":
                    bridge.cancel(cmd["id"])
                elif op == "workers":
                    bridge.workers()
                elif op == "close":
                    break
            except Exception as e:  # noqa: BLE001
                if op == "submit":
                    emit({"event": "failed", "id": cmd.get("id"), "kind": "error",
                          "message": "%s: %s" % (type(e).__name__, e)})
                else:
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
