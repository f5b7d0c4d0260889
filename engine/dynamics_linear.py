"""Linearised learning curves near the optimum (science.md §5): pure functions of the spectrum.

Near θ*, gradient descent with step η moves each eigenmode of H on its own:

    c_k(t) = (1 − ηλ_k)^t c_k,     E_k(t) = ½ λ_k c_k(t)² = ½ λ_k c_k² (1 − ηλ_k)^{2t},
    L_lin(t) = Σ_k E_k(t),

and gradient flow replaces (1 − ηλ_k)^{2t} by e^{−2ηλ_k t} (continuous time τ = ηt, so both
forms share the step axis). Everything here is evaluated in log space, so 10⁶ steps or
modes with ηλ ≈ 1e-9 cost no accuracy.

These functions overlap with engine/curves.py (written in parallel); fold them together once
both exist.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

# Rows × modes evaluated at once when scanning many steps (bounds memory to ~32 MB).
_MAX_BLOCK = 4_000_000
# Steps up to which the scans below evaluate every step; beyond, a grid plus bisection.
_EXACT_SCAN = 4096


def energy_log_factors(eigenvalues: np.ndarray, lr: float, flow: bool = False) -> np.ndarray:
    """log of the per-step factor of each mode's energy: 2·log|1 − ηλ_k| (GD) or −2ηλ_k (flow).

    A mode with ηλ_k = 1 is removed in one step (factor 0, log −∞); ηλ_k > 2 grows (log > 0).
    """
    lam = np.asarray(eigenvalues, dtype=float)
    x = lr * lam
    if flow:
        return -2.0 * x
    with np.errstate(divide="ignore"):
        # log1p keeps full accuracy for the slow modes, where ηλ is tiny.
        return np.where(x < 1.0, 2.0 * np.log1p(-np.minimum(x, 1.0)),
                        2.0 * np.log(np.abs(1.0 - x)))


def decay_factors(log_factors: np.ndarray, steps) -> np.ndarray:
    """(len(steps) × modes) matrix of exp(t · log_factor): the energy left in each mode at step t."""
    t = np.asarray(steps, dtype=float).reshape(-1, 1)
    # Clip −∞ to a finite huge negative number so that t = 0 gives exactly 1 (not 0·∞ = nan).
    lf = np.maximum(np.asarray(log_factors, dtype=float), -1e300).reshape(1, -1)
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(t * lf)


def initial_energies(eigenvalues: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """E_k(0) = ½ λ_k c_k² for every mode."""
    return 0.5 * np.asarray(eigenvalues, dtype=float) * np.square(coefficients)


def mode_energies(eigenvalues: np.ndarray, coefficients: np.ndarray, lr: float, steps,
                  flow: bool = False) -> np.ndarray:
    """Predicted per-mode energies ½ λ_k c_k² (1 − ηλ_k)^{2t}: rows = steps, columns = modes."""
    return decay_factors(energy_log_factors(eigenvalues, lr, flow), steps) * \
        initial_energies(eigenvalues, coefficients)


def linearized_loss(eigenvalues: np.ndarray, coefficients: np.ndarray, lr: float, steps,
                    flow: bool = False) -> np.ndarray:
    """L_lin(t) = ½ Σ_k λ_k c_k² (1 − ηλ_k)^{2t} (or e^{−2ηλ_k t} with flow) at each step."""
    e0 = initial_energies(eigenvalues, coefficients)
    lf = energy_log_factors(eigenvalues, lr, flow)
    keep = e0 > 0                       # zero modes and zero coefficients never contribute
    steps = np.asarray(steps)
    out = np.empty(steps.shape, dtype=float)
    flat = out.reshape(-1)
    rows = max(1, _MAX_BLOCK // max(1, int(keep.sum())))
    st = steps.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        for a in range(0, st.size, rows):
            flat[a:a + rows] = decay_factors(lf[keep], st[a:a + rows]) @ e0[keep]
    return out


def expected_linearized_loss(eigenvalues: np.ndarray, distance: float, lr: float, steps,
                             flow: bool = False) -> np.ndarray:
    """The mean of L_lin over random directions of norm ε: (ε²/2P) Σ_k λ_k (1 − ηλ_k)^{2t}."""
    lam = np.asarray(eigenvalues, dtype=float)
    return linearized_loss(lam, np.full(lam.size, distance / np.sqrt(lam.size)), lr, steps, flow)


def slow_share(eigenvalues: np.ndarray, coefficients: np.ndarray, lr: float, steps,
               slow: np.ndarray, flow: bool = False) -> np.ndarray:
    """Predicted share of the slow modes in L_lin at each step (nan where L_lin = 0)."""
    lam = np.asarray(eigenvalues, dtype=float)
    total = linearized_loss(lam, coefficients, lr, steps, flow)
    part = linearized_loss(lam[slow], np.asarray(coefficients)[slow], lr, steps, flow)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, part / np.where(total > 0, total, 1.0), np.nan)


def first_step(condition: Callable[[np.ndarray], np.ndarray], total_steps: int) -> int | None:
    """The first integer step t in [0, total_steps] where condition(t) holds, or None.

    `condition` maps an array of steps to booleans. Up to 4096 steps every step is evaluated;
    beyond, a grid (linear and geometric, ~2000 points) finds the first bracket and bisection
    refines it, which is exact whenever the condition switches once inside that bracket
    (always true for L_lin(t) ≤ target and the slow share > ½ when η ≤ 1/λ_max).
    """
    total_steps = int(total_steps)
    if total_steps + 1 <= _EXACT_SCAN:
        grid = np.arange(total_steps + 1)
    else:
        grid = np.unique(np.concatenate([
            np.linspace(0, total_steps, 1025).round(),
            np.geomspace(1, total_steps, 1025).round()])).astype(np.int64)
    hits = np.flatnonzero(condition(grid))
    if hits.size == 0:
        return None
    j = int(hits[0])
    if j == 0:
        return int(grid[0])
    lo, hi = int(grid[j - 1]), int(grid[j])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if bool(condition(np.array([mid]))[0]):
            hi = mid
        else:
            lo = mid
    return hi
