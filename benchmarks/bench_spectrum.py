"""Engine spectrum timings against bare LAPACK calls of the same shape, run in one process.

    python benchmarks/bench_spectrum.py [--repeat R] [--skip-large]

Absolute times mean little on a shared machine; the ratios are the result. The large sample
row (P = 10 100, N = 20 000) runs a bare SVD of its Jacobian as the reference: about 8 minutes
on 2 cores (--skip-large leaves it out). The threads rows compare the automatic choice of BLAS
threads (engine.threads) with one thread and with every core, on a quiet machine and with one
core kept busy by another process.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.ensemble import SpectrumConfig, compute_one, iter_spectra, prepare  # noqa: E402
from engine.threads import cores, set_threads  # noqa: E402
from timing import best_of, paired  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-large", action="store_true", help="leave out the P = 10 100 sample row")
    args = ap.parse_args()
    rows = []

    # 1. erf, Ni = Nh = 50, N = 10 000: engine end to end (teacher, inputs, J, SVD) vs a bare SVD.
    problem = prepare(SpectrumConfig("erf", 50, 50, samples=10_000))
    A = np.random.default_rng(0).standard_normal((10_000, problem.n_params))
    engine, bare = paired(lambda: compute_one(problem, 0),
                          lambda: np.linalg.svd(A, compute_uv=False), args.repeat)
    rows.append(("erf sample, Ni=Nh=50, N=10000 (P=2550)", engine, "np.linalg.svd of 10000×2550", bare))

    # 2. linear, Ni = Nh = 200 (P = 40 200; a dense H would need 13 GB): the fast path.
    for label, cfg in [("linear population, Ni=Nh=200 (P=40200)", SpectrumConfig("linear", 200, 200, population=True)),
                       ("linear sample, Ni=Nh=200, N=4000", SpectrumConfig("linear", 200, 200, samples=4000))]:
        problem = prepare(cfg)
        B = np.random.default_rng(0).standard_normal((4000, 200))
        engine, bare = paired(lambda: compute_one(problem, 0),
                              lambda: np.linalg.svd(B, compute_uv=False), args.repeat)
        rows.append((label, engine, "np.linalg.svd of 4000×200", bare))

    # 3. population erf and tanh (closed form or quadrature, the reduction, eigh) vs a bare
    #    eigh of the same size.
    for act, ni, nh in (("erf", 20, 20), ("tanh", 20, 20), ("erf", 50, 50)):
        problem = prepare(SpectrumConfig(act, ni, nh, population=True))
        p = problem.n_params
        C = np.random.default_rng(0).standard_normal((p, p))
        C = C + C.T
        engine, bare = paired(lambda: compute_one(problem, 0), lambda: np.linalg.eigvalsh(C), args.repeat)
        rows.append((f"{act} population, Ni=Nh={ni} (P={p})", engine, f"np.linalg.eigvalsh {p}×{p}", bare))

    # 3b. population at P = 200 010 (a dense H: 320 GB): the invariant-subspace reduction. The
    #     floor: sorting the P eigenvalues it returns.
    for act in ("erf", "tanh"):
        problem = prepare(SpectrumConfig(act, 20_000, 10, population=True))
        v = np.random.default_rng(0).standard_normal(problem.n_params)
        engine, bare = paired(lambda: compute_one(problem, 0), lambda: np.sort(v), args.repeat)
        rows.append((f"{act} population, Ni=20000, Nh=10 (P=200010)", engine,
                     "np.sort of 200010 values", bare))

    # 4. with eigenvectors (dynamics): QR route vs a plain SVD with vectors.
    problem = prepare(SpectrumConfig("erf", 30, 30, samples=6000))
    from engine.spectrum import sample_spectrum
    from engine.ensemble import teacher_and_inputs
    from engine.model import jacobian
    t, X = teacher_and_inputs(problem, 0)
    J = jacobian(t, problem.act, X)
    engine, bare = paired(lambda: sample_spectrum(t, problem.act, X, vectors=True),
                          lambda: np.linalg.svd(J, full_matrices=False), args.repeat)
    rows.append(("erf eigenvectors, Ni=Nh=30, N=6000 (P=930)", engine, "np.linalg.svd(J) with vectors", bare))

    if not args.skip_large:
        rows += large_sample_rows()
    rows += threads_rows(args.repeat)

    w = max(len(r[0]) for r in rows)
    print(f"{'engine':<{w}}  {'time':>8}  {'baseline':<30} {'time':>8}  ratio")
    for label, e, base_label, b in rows:
        print(f"{label:<{w}}  {e:8.3f}s  {base_label:<30} {b:8.3f}s  {e / b:5.2f}×")


def large_sample_rows() -> list:
    """erf, Ni = Nh = 100, N = 20 000 (P = 10 100): the engine (refined Gram route) against a
    bare SVD and a bare eigvalsh(JᵀJ) of the same J, each once, with their accuracy against
    the SVD on every eigenvalue above the rank tolerance."""
    from engine.ensemble import teacher_and_inputs
    from engine.gram import gram_eigenvalues
    from engine.model import jacobian
    from engine.spectrum import sample_spectrum
    from engine.threads import blas_threads
    problem = prepare(SpectrumConfig("erf", 100, 100, samples=20_000))
    t, X = teacher_and_inputs(problem, 0)
    J = jacobian(t, problem.act, X)
    n = X.shape[0]
    t0 = time.perf_counter()
    spec = sample_spectrum(t, problem.act, X)          # end to end: J, the route, the rank
    end_to_end = time.perf_counter() - t0
    with blas_threads(1e15):                           # what sample_spectrum chooses here
        t0 = time.perf_counter()
        gram_eigenvalues(J)                            # the route alone, on the same J
        engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    gram = np.linalg.eigvalsh(J.T @ J) / n
    bare_gram = time.perf_counter() - t0
    t0 = time.perf_counter()
    sv = np.linalg.svd(J, compute_uv=False)
    bare_svd = time.perf_counter() - t0
    svd = np.sort(sv ** 2) / n
    above = svd > spec.rank_tolerance

    def worst(lam):
        return float(np.max(np.abs(lam[above] - svd[above]) / svd[above]))
    print(f"P=10100: λ_min/λ_max {svd[above][0] / svd[-1]:.2e}; max relative error against the "
          f"SVD above the rank tolerance: engine {worst(spec.eigenvalues):.1e}, bare Gram "
          f"{worst(gram):.1e}; ranks: SVD {above.sum()}, engine {spec.rank}", flush=True)
    label = "refined Gram route, erf Ni=Nh=100, N=20000 (P=10100)"
    return [(label, engine, "np.linalg.svd of the same J", bare_svd),
            (label, engine, "eigvalsh(JᵀJ) of the same J", bare_gram),
            ("erf sample end to end, Ni=Nh=100, N=20000", end_to_end, "np.linalg.svd of its J", bare_svd)]


def threads_rows(repeat: int) -> list:
    """The automatic choice of BLAS threads against 1 and every core: a small problem (the
    README's 20 erf teachers, P = 220, N = 2000) and a large one (erf P = 2550, N = 10 000),
    on a quiet machine and with one core busy. Ratio: automatic / the better fixed setting."""
    small = prepare(SpectrumConfig("erf", 10, 20, samples=2000, teachers=20))
    large = prepare(SpectrumConfig("erf", 50, 50, samples=10_000))
    rows = []
    for busy in (False, True):
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            for label, problem in (("small: 20 erf teachers, P=220, N=2000", small),
                                   ("large: erf P=2550, N=10000", large)):
                times = {}
                for setting in (None, 1, cores()):
                    set_threads(setting)
                    times[setting] = best_of(lambda: list(iter_spectra(problem)), repeat)
                set_threads(None)
                fixed = min(times[1], times[cores()])
                which = "1 thread" if times[1] <= times[cores()] else f"{cores()} threads"
                rows.append((f"threads auto, {label}{', one core busy' if busy else ''}", times[None],
                             f"better fixed ({which}; other {max(times[1], times[cores()]):.2f}s)", fixed))
        finally:
            if spinner is not None:
                spinner.kill()
    return rows


if __name__ == "__main__":
    main()
