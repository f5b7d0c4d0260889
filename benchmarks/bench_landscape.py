"""The loss slice against a bare batched forward pass over the same parameter points, in one process.

    python benchmarks/bench_landscape.py [--repeat R] [--grid G]

A 41×41 slice for erf, Ni = Nh = 20, N = 2000 (sample mode): engine.landscape.loss_grid against,
for each of the G² points, U = X·W1(a, b)ᵀ, g(U)·W2(a, b) and the residual — the same loss
written the obvious way. The eigen-decomposition (SVD of J with all P eigenvectors) that
compute_slice does first is timed on its own. Absolute times mean little on a shared machine;
the ratio is the result (target ≤ ~2×).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.ensemble import SpectrumConfig, compute_one, prepare  # noqa: E402
from engine.landscape import default_modes, default_span, loss_grid  # noqa: E402
from timing import best_of, paired  # noqa: E402


def bare_loop(teacher, act, X, directions, a, b):
    """The loss at every grid point by a plain forward pass (one X·W1ᵀ product per point)."""
    nh, ni = teacher.W1.shape
    k = nh * ni
    y = act.g(X @ teacher.W1.T) @ teacher.W2
    out = np.empty((a.size, b.size))
    for p, ap in enumerate(a):
        for q, bq in enumerate(b):
            d = ap * directions[0] + bq * directions[1]
            W1 = teacher.W1 + d[:k].reshape(nh, ni)
            r = act.g(X @ W1.T) @ (teacher.W2 + d[k:]) - y
            out[p, q] = 0.5 * (r @ r) / X.shape[0]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--grid", type=int, default=41)
    args = ap.parse_args()

    problem = prepare(SpectrumConfig("erf", 20, 20, samples=2000))
    t0 = time.perf_counter()
    res = compute_one(problem, 0, vectors=True)
    decompose = time.perf_counter() - t0
    spec = res.spectrum
    i, j = default_modes(spec.eigenvalues, spec.rank_tolerance)
    directions = spec.eigenvectors[:, [i, j]].T
    s = default_span(spec.eigenvalues[i], spec.eigenvalues[j])
    a = np.linspace(-s, s, args.grid)
    t, X, act = res.teacher, res.inputs, problem.act

    engine_out = loss_grid(t, act, X, directions, a, a)
    bare_out = bare_loop(t, act, X, directions, a, a)
    diff = np.max(np.abs(engine_out - bare_out)) / np.max(bare_out)
    engine, bare = paired(lambda: loss_grid(t, act, X, directions, a, a),
                          lambda: bare_loop(t, act, X, directions, a, a), args.repeat)

    points = args.grid ** 2
    print(f"erf sample, Ni=Nh=20, N=2000 (P={problem.n_params}), {args.grid}×{args.grid} = {points} points")
    print(f"  eigen-decomposition (SVD of J, all eigenvectors)  {decompose:8.3f}s")
    print(f"  loss_grid                                         {engine:8.3f}s  "
          f"({1e6 * engine / points:.0f} µs a point)")
    print(f"  bare forward pass, one point at a time            {bare:8.3f}s  "
          f"({1e6 * bare / points:.0f} µs a point)")
    print(f"  ratio loss_grid / bare                            {engine / bare:8.2f}×   "
          f"(largest difference {diff:.1e} of the largest loss)")


if __name__ == "__main__":
    main()
