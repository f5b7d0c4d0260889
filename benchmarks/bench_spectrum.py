"""Engine spectrum timings against bare LAPACK calls of the same shape, run in one process.

    python benchmarks/bench_spectrum.py [--repeat R]

Absolute times mean little on a shared machine; the ratios are the result.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.ensemble import SpectrumConfig, compute_one, prepare  # noqa: E402


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def paired(engine_fn, bare_fn, repeat):
    """Best of `repeat` for each, alternating the two so that load from other processes on a
    shared machine falls on both alike."""
    e, b = [], []
    for _ in range(repeat):
        b.append(best_of(bare_fn, 1))
        e.append(best_of(engine_fn, 1))
    return min(e), min(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
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

    # 3. population erf and tanh (quadrature + eigh) vs a bare eigh of the same size.
    for act in ("erf", "tanh"):
        problem = prepare(SpectrumConfig(act, 20, 20, population=True))
        C = np.random.default_rng(0).standard_normal((problem.n_params,) * 2)
        C = C + C.T
        engine, bare = paired(lambda: compute_one(problem, 0), lambda: np.linalg.eigvalsh(C), args.repeat)
        rows.append((f"{act} population, Ni=Nh=20 (P=420)", engine, "np.linalg.eigvalsh 420×420", bare))

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

    w = max(len(r[0]) for r in rows)
    print(f"{'engine':<{w}}  {'time':>8}  {'baseline':<30} {'time':>8}  ratio")
    for label, e, base_label, b in rows:
        print(f"{label:<{w}}  {e:8.3f}s  {base_label:<30} {b:8.3f}s  {e / b:5.2f}×")


if __name__ == "__main__":
    main()
