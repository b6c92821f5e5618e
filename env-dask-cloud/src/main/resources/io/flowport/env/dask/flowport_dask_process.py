"""Starts a Dask program (scheduler or worker) for a Flowport cluster.

Usage: python3 flowport_dask_process.py <cluster-id> <module> [args...]
   or: python3 -c "<this file>" <cluster-id> <module> [args...]      (in a container image that has Dask)

Before the program starts:
- the scheduler's TLS certificate, given as contents in Dask's DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__* variables,
  is also written to files (owner-only) for its HTTPS dashboard, whose server takes paths only; given as paths
  (files mounted from a Kubernetes Secret), the dashboard uses those files;
- with FLOWPORT_DASK_WATCH_STDIN=1 the process ends when its stdin closes: the JVM that started it keeps it open,
  so when that JVM stops the cluster, or dies (even by kill -9), the commands the tasks started are killed and the
  process exits at once;
- with FLOWPORT_DASK_MAX_LIFETIME=<seconds> it ends after that long whatever happens (a cost guard);
- with FLOWPORT_DASK_ORPHAN_GRACE=<seconds>, a scheduler whose client (Flowport's driver) connected and then went
  away closes once it has had no client for that long, even while tasks still run: a driver that died harshly
  leaves nothing running for long (its workers follow through their death timeout).
The cluster id is in the command line so that leftovers can be found by listing processes.
"""
import os
import runpy
import signal
import sys
import tempfile
import threading
import traceback


def kill_commands_and_exit(code):
    for proc in list(sys.__dict__.get("_flowport_procs", {}).values()):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except Exception:  # noqa: BLE001
            pass
    os._exit(code)


def watch_stdin():
    try:
        while sys.stdin.buffer.read(1):
            pass
    except Exception:  # noqa: BLE001 - a broken pipe means the same as end of input
        pass
    kill_commands_and_exit(0)


def dashboard_tls():
    prefix = "DASK_DISTRIBUTED__COMM__TLS__"
    cert = os.environ.get(prefix + "SCHEDULER__CERT")
    key = os.environ.get(prefix + "SCHEDULER__KEY")
    ca = os.environ.get(prefix + "CA_FILE")
    if not (cert and key and ca):
        return
    if "\n" not in cert:
        # paths already (files mounted from a Kubernetes Secret): the dashboard takes them as they are
        if all(os.path.isfile(p) for p in (cert, key, ca)):
            os.environ["DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__TLS__CERT"] = cert
            os.environ["DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__TLS__KEY"] = key
            os.environ["DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__TLS__CA_FILE"] = ca
        return
    directory = tempfile.mkdtemp(prefix="flowport-dask-tls-")
    paths = {}
    for name, content in (("cert", cert), ("key", key), ("ca", ca)):
        path = os.path.join(directory, name + ".pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(content)
        paths[name] = path
    os.environ["DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__TLS__CERT"] = paths["cert"]
    os.environ["DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__TLS__KEY"] = paths["key"]
    os.environ["DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__TLS__CA_FILE"] = paths["ca"]


ORPHAN_PRELOAD = """
import logging
import os
import time

from tornado.ioloop import PeriodicCallback

logger = logging.getLogger("flowport")


def dask_setup(scheduler):
    grace = float(os.environ["FLOWPORT_DASK_ORPHAN_GRACE"])
    state = {"seen": False, "since": None}

    def check():
        clients = [c for c in scheduler.clients if c != "fire-and-forget"]
        if clients:
            state["seen"] = True
            state["since"] = None
        elif state["seen"]:
            if state["since"] is None:
                state["since"] = time.monotonic()
            elif time.monotonic() - state["since"] > grace and scheduler.status.name not in ("closing", "closed"):
                logger.warning("Flowport: the driver of this cluster is gone since %.0f s; closing", grace)
                scheduler._ongoing_background_tasks.call_soon(scheduler.close)

    callback = PeriodicCallback(check, 1000)
    scheduler.periodic_callbacks["flowport-orphan"] = callback
    callback.start()
"""


def orphan_preload():
    grace = os.environ.get("FLOWPORT_DASK_ORPHAN_GRACE")
    if not grace:
        return []
    directory = tempfile.mkdtemp(prefix="flowport-dask-preload-")
    path = os.path.join(directory, "flowport_orphan.py")
    with open(path, "w") as f:
        f.write(ORPHAN_PRELOAD)
    return ["--preload", path]


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: flowport_dask_process.py <cluster-id> <module> [args...]\n")
        sys.exit(2)
    module = sys.argv[2]
    if module.endswith("dask_scheduler"):
        dashboard_tls()
    if os.environ.get("FLOWPORT_DASK_WATCH_STDIN") == "1":
        threading.Thread(target=watch_stdin, name="flowport-parent-watch", daemon=True).start()
    lifetime = float(os.environ.get("FLOWPORT_DASK_MAX_LIFETIME", "0") or 0)
    if lifetime > 0:
        timer = threading.Timer(lifetime, kill_commands_and_exit, args=(0,))
        timer.daemon = True
        timer.start()
    extra = orphan_preload() if module.endswith("dask_scheduler") else []
    sys.argv = [module] + sys.argv[3:] + extra
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported like an uncaught exception, then the same exit
        traceback.print_exc()
        code = 1
    finally:
        # the program ended (its scheduler closed, it was retired): a task's thread still waiting for its command
        # must not keep the process, and the command, running; the program's exit code is the process's (a pod's
        # phase, Succeeded or Failed, comes from it)
        sys.stdout.flush()
        sys.stderr.flush()
        kill_commands_and_exit(code)


if __name__ == "__main__":
    main()
