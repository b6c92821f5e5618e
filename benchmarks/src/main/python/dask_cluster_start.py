"""Time to a ready LocalCluster(n_workers=2, processes=True), as Dask users start one. Prints one JSON line.

Two figures: from before `import distributed` (what a fresh Python process pays, like Flowport's processes) and
from after it (Dask's best case, imports already done).
"""
import json
import time


def main():
    t0 = time.monotonic()
    from distributed import Client, LocalCluster

    t1 = time.monotonic()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(2)
    t2 = time.monotonic()
    print(json.dumps({"with_import_s": t2 - t0, "after_import_s": t2 - t1}), flush=True)
    client.close()
    cluster.close()


if __name__ == "__main__":  # worker processes are spawned and import this file again
    main()
