"""`python main.py sweep`: rank, λ range and (linear networks) the law's fit over a grid of
architectures, on a local process pool or a Dask cluster, resumable through a SQLite store."""
from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

from ..errors import InputError
from ..fileio import check_writable, write_json
from ..jobs import JobState
from ..memory import Estimate
from ..progress import ProgressBar
from ._flags import add_flags, add_json_output
from ..sweep import (Store, SweepConfig, build_grid, default_workers, estimate_sweep,
                     local_executor, run_sweep, sweep_settings)
from ..validate import whole

HELP = "rank, λ range and law fit over a grid of architectures (local pool or Dask)"
CONNECT_SECONDS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flags(parser, "sweep", helps={
        "activation": "as for spectrum; several (quadratic,cubic,erf) make an activation axis, "
                      "power:A:B (or power:A,B,C) sweeps the power k"})
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help=f"local worker processes, one BLAS thread each (default: cores − 1 = "
                            f"{default_workers()})")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://host:8786 (dask scheduler; "
                            "dask worker ADDRESS)")
    parser.add_argument("--store", metavar="FILE",
                        help="SQLite file keeping every finished point: a rerun computes only the "
                             "missing ones")
    add_json_output(parser)


def _config(args) -> SweepConfig:
    """The sweep's settings: each checked as declared (engine.settings), sweep axes as specs
    (build_grid parses and checks every value)."""
    specs = {name: getattr(args, name) for name, s in sweep_settings().items()}
    for name, s in sweep_settings().items():
        if not s.sweep and name != "activation":
            specs[name] = s.cli(specs[name])
    return SweepConfig(**specs)


def _workers(args) -> int:
    return default_workers() if args.workers is None else whole(args.workers, "workers", "--workers")


def estimate(args: argparse.Namespace) -> Estimate:
    grid = build_grid(_config(args))
    check_writable(args.json, inputs=(args.store,))
    return estimate_sweep(grid, _workers(args))


@contextmanager
def _executor(args):
    """The Executor the points go to: a local pool (stopped at once if the sweep fails or is
    interrupted), or a Dask cluster's, through a Client that is closed afterwards."""
    if args.scheduler is None:
        with local_executor(_workers(args)) as pool:
            yield pool
        return
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs dask's distributed package (pip install distributed)") from None
    try:
        client = Client(args.scheduler, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {args.scheduler!r} within "
                         f"{CONNECT_SECONDS} s ({exc.__class__.__name__}); start it with "
                         "`dask scheduler` and check the address") from None
    with client:
        yield client.get_executor(pure=False)      # pure=False: always compute


def run(args: argparse.Namespace) -> int:
    grid = build_grid(_config(args))
    check_writable(args.json, inputs=(args.store,))
    estimate_sweep(grid, _workers(args)).require(f"a sweep of {len(grid)} points",
                                                 "use fewer --workers or smaller sizes")
    store = Store(args.store, grid.config) if args.store else None
    bar = ProgressBar()
    start = time.perf_counter()
    try:
        with _executor(args) as executor:
            result = run_sweep(grid, executor, store, JobState(bar))
    finally:
        bar.close()
        if store is not None:
            store.close()
    write_json(args.json, result.to_dict())
    axes = " × ".join(f"{k} ({len(v)})" for k, v in grid.axes.items()) or "one point"
    print(f"wrote {args.json}: {len(grid)} points over {axes}, {result.reused} from the store "
          f"({time.perf_counter() - start:.2f} s)")
    return 0
