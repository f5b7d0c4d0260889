"""Sweeps over architectures: the paper's claims as curves and phase diagrams.

A grid over one or two of ni, nh, samples, sigma1, sigma2 and the power k of `power:K`; each
grid point is an independent task (K teachers' spectra, reduced to the numbers a curve needs)
submitted through the concurrent.futures.Executor interface — a local process pool, or a Dask
cluster's executor; nothing here schedules. A SQLite store keeps every finished point (one
transaction each), so a sweep killed at any moment resumes with only the points in flight lost.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import sqlite3
import sys
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Callable, Iterator

from .activations import parse_activation
from .ensemble import SpectrumConfig, estimate, iter_spectra, prepare
from .errors import InputError
from .jobs import JobState, null_state
from .settings import all_settings, by_key, config_class, sweep_axes
from .memory import Estimate
from .theory import theory_record
from .threads import blas_env, cores_but_one, set_threads

MAX_POINTS = 100_000
# The axes in grid order (the last fastest; engine.settings.sweep_axes, as at import); at most
# one of the two activation axes, k and activation, varies.
AXES = sweep_axes()
STORE_VERSION = 1
POLL_SECONDS = 0.1       # how often a running sweep looks for a cancel


# ----------------------------------------------------------------------------- specs

def _integer(name: str) -> bool:
    """Whether an axis takes whole numbers: k, and the settings checked as whole numbers."""
    s = by_key().get(name)
    return name == "k" or (s is not None and s.check.type is int)


def parse_spec(text, name: str) -> list:
    """A number, a range A:B (inclusive, integers) or A:B:STEP, or a list A,B,C; → values."""
    integer = _integer(name)
    if text is None:
        return [None]
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text)
    s = str(text).strip()
    number = int if integer else float

    def num(part: str):
        try:
            value = number(part) if integer else float(part)
        except ValueError:
            kind = "whole numbers" if integer else "numbers"
            raise InputError(f"--{name.replace('_', '-')} {s!r}: expected {kind}, a range A:B[:STEP] "
                             "or a list A,B,C") from None
        if not integer and not math.isfinite(value):
            raise InputError(f"--{name} {s!r}: values must be finite")
        return value

    if "," in s:
        values = [num(p.strip()) for p in s.split(",")]
    elif ":" in s:
        parts = s.split(":")
        if len(parts) not in (2, 3):
            raise InputError(f"--{name} {s!r}: a range is A:B or A:B:STEP")
        lo, hi = num(parts[0]), num(parts[1])
        if len(parts) == 2 and not integer:
            raise InputError(f"--{name} {s!r}: a range of real numbers needs a step, A:B:STEP")
        step = num(parts[2]) if len(parts) == 3 else 1
        if not step > 0 or hi < lo:
            raise InputError(f"--{name} {s!r}: need A ≤ B and a positive step")
        count = int(math.floor((hi - lo) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            raise InputError(f"--{name} {s!r} has {count} values; a sweep has at most {MAX_POINTS} points")
        values = [lo + i * step for i in range(count)]
        if not integer:
            values = [round(v, 12) for v in values]
    else:
        values = [num(s)]
    if not values:
        raise InputError(f"--{name} {s!r} gives no values")
    return values


def sweep_settings() -> dict:
    """name → Setting of every model setting the `sweep` subcommand takes."""
    return {s.name: s for s in all_settings() if s.section == "" and "sweep" in s.commands}


class SweepConfig:
    """What a user sweeps: the activation text, and every model setting `sweep` takes (as
    engine.settings declares them) — a spec as typed (text or a number) for a sweep axis, a
    value for the rest; what is not given has its default."""

    def __init__(self, activation: str, ni, nh, **values):
        known = sweep_settings()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise TypeError(f"SweepConfig got unknown settings {', '.join(unknown)}")
        self.__dict__["_values"] = {name: s.default for name, s in known.items()}
        self._values.update(values, activation=activation, ni=ni, nh=nh)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("a SweepConfig is frozen")

    def __eq__(self, other):
        return isinstance(other, SweepConfig) and other._values == self._values

    def __repr__(self):
        return f"SweepConfig({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"

    def to_dict(self) -> dict:
        return dict(self._values)


@dataclass(frozen=True)
class Grid:
    """The swept axes (one or two) with their values, and every point's SpectrumConfig."""
    axes: dict                      # name → list of values, only the swept ones
    points: tuple                   # SpectrumConfig per grid point, in grid order
    config: SweepConfig

    def __len__(self) -> int:
        return len(self.points)


def split_activations(text: str) -> list[str]:
    """`quadratic, cubic, erf` → three specs. A comma followed by a name starts a new
    activation; one followed by a number belongs to the same one (poly:0,1,0.5; power:2,3)."""
    return [p.strip() for p in re.split(r",(?=\s*[A-Za-z])", str(text)) if p.strip()]


def _k_values(spec: str) -> list | None:
    """The powers of `power:A:B`, `power:A:B:STEP` or `power:A,B,C` (None: not a k sweep)."""
    family, _, arg = spec.partition(":")
    if family.strip().lower() != "power" or not (":" in arg or "," in arg):
        return None
    return parse_spec(arg, "k")


def activation_axis(text: str) -> tuple[str, list, list[str]]:
    """(axis name, its values, each value's activation spec) for an --activation text: a k
    sweep (`power:2:5` → "k", [2, 3, 4, 5]), a list (`quadratic,cubic,erf` → "activation"),
    or one activation (an axis of one value). Every spec is parsed, so a typo is one line."""
    specs = split_activations(text)
    if not specs:
        raise InputError("--activation is empty; give one (erf) or several (quadratic,cubic,erf)")
    ks = [_k_values(s) for s in specs]
    if len(specs) == 1 and ks[0] is not None:
        acts = [f"power:{k}" for k in ks[0]]
        for a in (acts[0], acts[-1]):
            parse_activation(a)
        return "k", ks[0], acts
    if any(k is not None for k in ks):
        raise InputError(f"--activation {text!r}: sweep the power (power:2:5) or list "
                         "activations (quadratic,cubic,erf), not both")
    names = [parse_activation(s).name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"--activation {text!r} lists {', '.join(twice)} twice")
    return "activation", names, names


def build_grid(config: SweepConfig) -> Grid:
    """Check every value (each point as `spectrum` would), and refuse grids too large."""
    if config.population and config.samples is not None:
        raise InputError("population mode (N → ∞) uses no samples; drop --samples or --population")
    act_name, act_values, acts = activation_axis(config.activation)
    axes = sweep_axes()
    settings_axes = [a for a in axes if a not in ("k", "activation")]
    values = {name: parse_spec(getattr(config, name), name) for name in settings_axes}
    values[act_name] = act_values
    swept = {name: values[name] for name in axes if len(values.get(name, ())) > 1}
    if len(swept) > 2:
        raise InputError(f"a sweep has one or two axes; {', '.join(swept)} all have several values")
    count = math.prod(len(v) for v in values.values())
    if count > MAX_POINTS:
        raise InputError(f"the grid has {count} points; a sweep has at most {MAX_POINTS}: use "
                         "coarser steps")
    fixed = {k: v for k, v in config.to_dict().items() if k not in values and k != "activation"}
    model = config_class("")
    points = []
    for combo in product(*(values[a] for a in settings_axes), range(len(acts))):
        points.append(model(activation=acts[combo[-1]], **fixed,
                            **dict(zip(settings_axes, combo[:-1]))))
    for point in (points[0], points[-1]):     # the extremes: bad sizes, a bad activation, …
        prepare(point, check=False)
    return Grid(swept, tuple(points), config)


# ----------------------------------------------------------------------------- one point

def _computed_by() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError, AttributeError):
        return "local"


def compute_point(config: SpectrumConfig) -> dict:
    """The numbers a sweep records for one architecture (runs in a worker process)."""
    problem = prepare(config)
    spectra = [r.spectrum for r in iter_spectra(problem)]
    nonzero = [s.eigenvalues[s.eigenvalues > s.rank_tolerance] for s in spectra]
    theory = theory_record(problem, spectra) if problem.act.is_linear else None
    return {
        "ni": problem.ni, "nh": problem.nh, "samples": problem.n_samples,
        "sigma1": problem.sigma1, "sigma2": problem.sigma2, "activation": problem.act.name,
        "n_params": problem.n_params, "predicted_rank": problem.predicted_rank,
        "rank_upper_bound": problem.rank_upper_bound,
        "ranks": [int(s.rank) for s in spectra],
        "lambda_max": max(float(s.eigenvalues[-1]) for s in spectra),
        "lambda_min_nonzero": min((float(v[0]) for v in nonzero if v.size), default=None),
        "zero_modes": [int(s.eigenvalues.size - s.rank) for s in spectra],
        "ks_distance": None if theory is None else theory.get("ks_distance"),
        "computed_by": _computed_by(),
    }


def point_key(config: SpectrumConfig) -> str:
    """A point's identity in the store: its full configuration, seed included."""
    return json.dumps(config.to_dict(), sort_keys=True)


# ----------------------------------------------------------------------------- the store

class Store:
    """Finished points in SQLite, one transaction each; refuses another sweep's store."""

    def __init__(self, path: str | Path, config: SweepConfig):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.db.execute("CREATE TABLE IF NOT EXISTS points (key TEXT PRIMARY KEY, record TEXT)")
            self.db.commit()
            signature = json.dumps({"version": STORE_VERSION, **_signature(config)}, sort_keys=True)
            row = self.db.execute("SELECT value FROM meta WHERE key = 'sweep'").fetchone()
            if row is None:
                with self.db:
                    self.db.execute("INSERT INTO meta VALUES ('sweep', ?)", (signature,))
            elif row[0] != signature:
                raise InputError(f"store {str(self.path)!r} belongs to another sweep "
                                 f"({row[0]}); give a new --store file")
        except sqlite3.DatabaseError as exc:
            raise InputError(f"store {str(self.path)!r} is not a sweep store ({exc}); give a new "
                             "--store file") from None

    def get(self, key: str) -> dict | None:
        row = self.db.execute("SELECT record FROM points WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, record: dict) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO points VALUES (?, ?)", (key, json.dumps(record)))

    def close(self) -> None:
        self.db.close()


def _signature(config: SweepConfig) -> dict:
    """What makes two sweeps the same experiment: everything but the grid's extent, so a rerun
    with a wider range still reuses the points it shares."""
    _, _, acts = activation_axis(config.activation)
    families = sorted({parse_activation(a).family for a in acts})
    return {"activation": families, "population": config.population, "teachers": config.teachers,
            "seed": config.seed, "rtol": config.rtol}


# ----------------------------------------------------------------------------- the sweep

@dataclass(frozen=True)
class SweepResult:
    grid: Grid
    points: list           # records in grid order
    reused: int

    def to_dict(self) -> dict:
        return {"config": self.grid.config.to_dict(),
                "axes": {k: list(v) for k, v in self.grid.axes.items()},
                "points": self.points, "reused": self.reused}


def iter_sweep(grid: Grid, executor: Executor, store: Store | None = None,
               state: JobState | None = None) -> Iterator[tuple[int, dict, bool]]:
    """(index, record, reused) for every point of the grid as it becomes known: first those
    already in the store, then those submitted to the executor as they finish (each stored at
    once, in its own transaction). Cancel is noticed within POLL_SECONDS even while every
    worker is busy; leaving early (cancel, an error) cancels what has not started."""
    state = state or null_state()
    futures: dict[Future, int] = {}
    done = 0
    try:
        for i, point in enumerate(grid.points):
            stored = store.get(point_key(point)) if store is not None else None
            if stored is not None:
                done += 1
                yield i, stored, True
            else:
                futures[executor.submit(compute_point, point)] = i
        state.report(done / len(grid), f"{done}/{len(grid)} points")
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            state.check()
            for future in sorted(finished, key=futures.__getitem__):
                i = futures[future]
                record = future.result()
                if store is not None:
                    store.put(point_key(grid.points[i]), record)
                done += 1
                state.report(done / len(grid), f"{done}/{len(grid)} points")
                yield i, record, False
    finally:
        for future in futures:
            future.cancel()


def run_sweep(grid: Grid, executor: Executor, store: Store | None = None,
              state: JobState | None = None,
              on_point: Callable[[int, dict], None] | None = None) -> SweepResult:
    """The whole grid (iter_sweep), records in grid order."""
    records: list = [None] * len(grid)
    reused = 0
    for i, record, from_store in iter_sweep(grid, executor, store, state):
        records[i] = record
        reused += from_store
        if on_point is not None:
            on_point(i, record)
    return SweepResult(grid, records, reused)


def estimate_sweep(grid: Grid, workers: int) -> Estimate:
    """The largest point's memory times the points computed at once, and the total time
    divided among the workers."""
    ests = [estimate(prepare(p, check=False)) for p in (grid.points[0], grid.points[-1])]
    per = max(e.memory_bytes for e in ests)
    seconds = sum(e.seconds for e in ests) / 2 * len(grid) / max(1, workers)
    return Estimate(per * max(1, workers) + 2000.0 * len(grid), seconds)


def default_workers() -> int:
    """All the cores this process may use but one (its CPU affinity counts)."""
    return cores_but_one()


def _worker_start(parent: int) -> None:
    """A pool worker: one BLAS thread, so N workers use N cores and do not oversubscribe; deaf
    to Ctrl+C (the parent answers it, in one line, and stops the pool); and on Linux killed
    with its parent, so a sweep killed with SIGKILL (or a GUI engine process replaced) leaves
    no worker computing for nobody."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):    # blocked while this interpreter started: see LocalPool
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:            # the parent died before prctl took effect
            os._exit(1)
    os.environ.update(blas_env(1))
    set_threads(1)               # engine.threads: fixed, whatever a point's size


class LocalPool(ProcessPoolExecutor):
    """A process pool (spawned: no inherited state) whose workers use one BLAS thread each."""

    def __init__(self, workers: int):
        import multiprocessing
        super().__init__(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                         initializer=_worker_start, initargs=(os.getpid(),))

    def _spawn_process(self):
        """Start a worker with SIGINT blocked (the child inherits the mask), as the standard
        library's resource tracker does: a Ctrl+C reaching the process group while the worker's
        interpreter is still importing would otherwise kill it with a fatal error on stderr.
        The worker ignores SIGINT and unblocks it in `_worker_start`."""
        if not hasattr(signal, "pthread_sigmask"):
            return super()._spawn_process()
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super()._spawn_process()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def stop(self) -> None:
        """Now, not after the points in flight: cancel what waits and kill the workers."""
        workers = list((getattr(self, "_processes", None) or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.kill()
        for process in workers:
            process.join(5)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:              # cancelled, interrupted, failed: do not wait
            self.stop()
            return False
        return super().__exit__(exc_type, exc, tb)


def local_executor(workers: int) -> LocalPool:
    return LocalPool(workers)
