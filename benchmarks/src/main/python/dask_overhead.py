#!/usr/bin/python3
"""Per-task overhead of Dask's threaded scheduler on the graphs of io.flowport.benchmarks.Graphs.

Builds each graph once (not timed), then times dask.threaded.get(graph, last_key) over several
repetitions after one warm-up run. Prints one JSON object on stdout:

  {"dask_version": ..., "python": ..., "num_workers": ..., "results": [
      {"shape": "chain", "n": 10000, "reps": 5, "median_us_per_task": ..., "min_us_per_task": ...,
       "mean_us_per_task": ...}, ...]}

Usage: /usr/bin/python3 dask_overhead.py [--sizes 10000,100000] [--shapes chain,fanout,diamonds]
                                         [--reps-small 5] [--reps-large 3] [--num-workers N]
Keep the shapes in step with Graphs.java (DIAMOND_WIDTH = 4).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

try:
    import dask
    import dask.threaded
except ImportError:  # the Java side prints the "skipped" line
    print(json.dumps({"skipped": "dask is not importable by " + sys.executable + ": install python3-dask"}))
    sys.exit(3)

DIAMOND_WIDTH = 4
LARGE_THRESHOLD = 50000


def noop(*args):
    return None


def chain(n):
    dsk = {"t0": (noop,)}
    for i in range(1, n):
        dsk["t%d" % i] = (noop, "t%d" % (i - 1))
    return dsk, "t%d" % (n - 1)


def fanout(n):
    dsk = {"root": (noop,)}
    mids = []
    for i in range(1, n - 1):
        name = "m%d" % i
        mids.append(name)
        dsk[name] = (noop, "root")
    dsk["sink"] = (noop, mids)  # a list of keys: Dask passes the list of their results
    return dsk, "sink"


def diamonds(n):
    join = "j0"
    dsk = {join: (noop,)}
    count = 1
    layer = 0
    while count < n:
        layer += 1
        remaining = n - count
        if remaining == 1:
            nxt = "j%d" % layer
            dsk[nxt] = (noop, join)
            count += 1
            join = nxt
            continue
        width = min(DIAMOND_WIDTH, remaining - 1)
        mids = []
        for k in range(width):
            name = "d%d_%d" % (layer, k)
            mids.append(name)
            dsk[name] = (noop, join)
        nxt = "j%d" % layer
        dsk[nxt] = (noop, mids)
        count += width + 1
        join = nxt
    return dsk, join


SHAPES = {"chain": chain, "fanout": fanout, "diamonds": diamonds}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--shapes", default="chain,fanout,diamonds")
    p.add_argument("--reps-small", type=int, default=5)
    p.add_argument("--reps-large", type=int, default=3)
    p.add_argument("--num-workers", type=int, default=os.cpu_count())
    a = p.parse_args()

    results = []
    for n in [int(s) for s in a.sizes.split(",")]:
        for shape in a.shapes.split(","):
            dsk, last = SHAPES[shape](n)
            assert len(dsk) == n, (shape, n, len(dsk))
            reps = a.reps_large if n >= LARGE_THRESHOLD else a.reps_small
            dask.threaded.get(dsk, last, num_workers=a.num_workers)  # warm-up, not counted
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                dask.threaded.get(dsk, last, num_workers=a.num_workers)
                times.append(time.perf_counter() - t0)
            per_task = [t * 1e6 / n for t in times]
            results.append({
                "shape": shape,
                "n": n,
                "reps": reps,
                "median_us_per_task": statistics.median(per_task),
                "min_us_per_task": min(per_task),
                "mean_us_per_task": statistics.mean(per_task),
            })
            print("dask %-8s n=%-6d median %.2f us/task" % (shape, n, statistics.median(per_task)),
                  file=sys.stderr, flush=True)
    print(json.dumps({
        "dask_version": dask.__version__,
        "python": sys.executable + " " + platform.python_version(),
        "num_workers": a.num_workers,
        "results": results,
    }))


if __name__ == "__main__":
    main()
