"""The functions Flowport's Dask tasks run on the workers. Sent to every worker (also those that join later) with
Client.upload_file, so that tasks refer to them by name instead of carrying their code each time.
"""
import os
import sys
import time

TAIL = 64 * 1024


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
