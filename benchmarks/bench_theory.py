"""Benchmark: the finite-data (MPS) laws on a 2 000-point grid, against baselines (not a test).

    python benchmarks/bench_theory.py                       # Ni = 40, Nh = 80, N = 80
    python benchmarks/bench_theory.py --ni 30 --nh 10 --samples 60 --grid 4000

Prints, in one run, the best-of-rounds time of each law and its ratio to two baselines measured
in the same process: the N → ∞ pooled law (χ² ⊛ Marchenko–Pastur, same sizes and grid) and one
numpy eigvalsh of a symmetric matrix with as many rows as grid points. Target: the finite-data
density on a 2 000-point grid in under half a second.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from engine import laws  # noqa: E402
from timing import interleaved  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ni", type=int, default=40)
    ap.add_argument("--nh", type=int, default=80)
    ap.add_argument("--samples", type=int, default=80)
    ap.add_argument("--grid", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    ni, nh, n, g = args.ni, args.nh, args.samples, args.grid

    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((nh, ni)) / np.sqrt(ni)
    W2 = rng.standard_normal(nh) / np.sqrt(nh)
    m_eigs = np.linalg.eigvalsh((W2 @ W2) * np.eye(ni) + W1.T @ W1)
    big = rng.standard_normal((10 * ni, 10 * ni))
    big_eigs = np.linalg.eigvalsh((big + big.T) ** 2 / big.shape[0] + np.eye(big.shape[0]))
    a = rng.standard_normal((g, g))
    sym = a + a.T

    fns = {
        "finite-data pooled law (pooled_law)": lambda: laws.pooled_law(ni, nh, None, None, n),
        "finite-data conditional law, s = E s": lambda: laws.conditional_law(
            ni, nh, None, 1.0, samples=n, grid=g),
        f"finite-data law from M's {ni} eigenvalues": lambda: laws.finite_data_law_from_eigenvalues(
            m_eigs, ni, n, grid=g),
        f"finite-data law from {big_eigs.size} eigenvalues": lambda: (
            laws.finite_data_law_from_eigenvalues(big_eigs, big_eigs.size, 2 * big_eigs.size, grid=g)),
        "baseline: N → ∞ pooled law": lambda: laws.pooled_law(ni, nh, grid=g),
        f"baseline: numpy eigvalsh {g}×{g}": lambda: np.linalg.eigvalsh(sym),
    }
    if g != 2000:
        fns["finite-data pooled law (pooled_law)"] = lambda: laws.pooled_law(ni, nh, samples=n, grid=g)
    times = interleaved(fns, args.rounds)
    base_law = times["baseline: N → ∞ pooled law"]
    base_eig = times[f"baseline: numpy eigvalsh {g}×{g}"]

    print(f"Ni={ni} Nh={nh} N={n} grid={g}; best of {args.rounds} rounds; "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs")
    print(f"{'':48s} {'seconds':>9s} {'/ N→∞ law':>10s} {'/ eigvalsh':>10s}")
    for name, t in times.items():
        print(f"{name:48s} {t:9.4f} {t / base_law:10.2f} {t / base_eig:10.2f}")
    pooled = times["finite-data pooled law (pooled_law)"]
    verdict = "meets" if pooled < 0.5 else "MISSES"
    print(f"target: finite-data pooled density on a {g}-point grid < 0.5 s: {verdict} ({pooled:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
