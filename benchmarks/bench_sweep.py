"""Speed-up of a sweep on 2 local workers (and a local Dask cluster of 2) over 1 worker.

    python benchmarks/bench_sweep.py

One grid of 20 points (erf, Ni = 8, Nh = 11…30, N = 6000), run three ways in this process:
a pool of 1 worker (the baseline), a pool of 2, and a distributed.LocalCluster of 2 worker
processes through its concurrent.futures executor. On a shared 2-core machine the speed-up
is at most 2 and whatever else runs takes its share.
"""
from __future__ import annotations

import time

from engine.sweep import SweepConfig, build_grid, local_executor, run_sweep

GRID = SweepConfig("erf", "8", "11:30", samples="6000")


def timed(executor) -> float:
    grid = build_grid(GRID)
    start = time.perf_counter()
    run_sweep(grid, executor)
    return time.perf_counter() - start


def main() -> None:
    results = {}
    for workers in (1, 2):
        with local_executor(workers) as pool:
            timed(pool)                                     # start the workers
            results[f"local pool, {workers} worker{'s' * (workers > 1)}"] = timed(pool)
    try:
        import distributed
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            # pure=False: Dask would otherwise hand back the first run's results by their keys
            timed(client.get_executor(pure=False))
            results["Dask LocalCluster, 2 workers"] = timed(client.get_executor(pure=False))
    except ImportError:
        pass
    base = results["local pool, 1 worker"]
    print(f"sweep of {len(build_grid(GRID))} points (erf, Ni = 8, Nh = 11…30, N = 6000)")
    for name, seconds in results.items():
        print(f"  {name:32s} {seconds:7.2f} s   speed-up {base / seconds:4.2f}×")


if __name__ == "__main__":
    main()
