"""N trivial command tasks (`true` in a subprocess) submitted with client.map to an existing scheduler, as a Dask
user would; prints one JSON line with the wall time of the map and gather, and of connect + map + gather.

Usage: dask_client_map.py <scheduler-address> <n>
"""
import json
import subprocess
import sys
import time


def run(_):
    p = subprocess.run(["true"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode


t0 = time.monotonic()
from distributed import Client  # noqa: E402

client = Client(sys.argv[1])
t1 = time.monotonic()
futures = client.map(run, range(int(sys.argv[2])), pure=False)
codes = client.gather(futures)
t2 = time.monotonic()
assert all(c == 0 for c in codes)
print(json.dumps({"tasks_s": t2 - t1, "with_connect_s": t2 - t0}))
client.close()
