"""Predicted learning curves near the optimum (docs/methods.md §5).

Near θ*, with H = Σ_k λ_k v_k v_kᵀ and c_k = v_k·δ0, gradient descent with step η gives

    L(t) = ½ Σ_k λ_k c_k² (1 − ηλ_k)^{2t}          (gradient flow: (1 − ηλ)^{2t} → e^{−2λt})

Each eigenmode decays on its own. Everything here works in log space,
(1 − ηλ)^{2t} = exp(2t·log|1 − ηλ|), so large t neither overflows nor produces NaN: stable modes
underflow cleanly to 0 (log1p keeps slow modes with ηλ ~ 1e-9 exact over 10⁹ steps); modes with
|1 − ηλ| > 1 (η > 2/λ, unstable GD) or λ < 0 (a saddle direction) grow, and give inf once they
exceed the float range. A mode with ηλ = 1 is gone after one step. `steps` are GD iteration
counts t (lr given) or continuous times t (lr=None).

API
    decay_factors(eigenvalues, steps, lr=None)            -> (len(steps), P)
    mode_energies(eigenvalues, coeff_sq, steps, lr=None)  -> (len(steps), P): ½ λ_k c_k² (…)^{2t}
    predicted_loss(eigenvalues, coeff_sq, steps, lr=None) -> (len(steps),): the row sums of
                                                             mode_energies, in blocks
    expected_coeff_sq(eps, n_params)                      -> ε²/P (random start of norm ε)
    predicted_loss_from_density(lam, density, steps, lr=None, *, eps, rank, n_params, atoms=())
    predicted_loss_from_law(law, steps, lr=None, *, eps, rank, n_params)
        -> (ε²/2)(r/P) ∫ λ ρ(λ) (…)^{2t} dλ for a spectral density of the r nonzero eigenvalues
    max_stable_lr(eigenvalues)                            -> 2/λ_max
    first_step(condition, total_steps)                    -> first t with condition(t), or None
    expected_curve(spectrum, eps, lr, total_steps, slow_modes) -> ExpectedCurve: what training
        from a random start of norm ε is expected to look like, before any training
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import InputError

_BLOCK = 1 << 21    # elements of a (steps × modes) block in predicted_loss
_EXACT_SCAN = 4096  # first_step evaluates every step up to here; beyond, grid + bisection


# ----------------------------------------------------------------------------- validation

def _vector(values, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be real numbers") from None
    if a.ndim > 1:
        raise InputError(f"{name} must be a one-dimensional list, got shape {a.shape}")
    a = np.atleast_1d(a)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} contains NaN or infinite values; pass finite numbers")
    return a


def _steps(steps) -> np.ndarray:
    t = _vector(steps, "steps")
    if np.any(t < 0):
        raise InputError("steps (or times) must be >= 0")
    return t


def _lr(lr) -> float | None:
    if lr is None:
        return None
    try:
        v = float(lr)
    except (TypeError, ValueError):
        raise InputError(f"learning rate must be a positive number, got {lr!r}") from None
    if not math.isfinite(v) or v <= 0.0:
        raise InputError(f"learning rate must be a positive finite number, got {lr!r}; "
                         "use lr=None for gradient flow")
    return v


def _coeff(coeff_sq, n: int) -> np.ndarray:
    c = np.asarray(coeff_sq, dtype=float)
    if c.ndim == 0:
        c = np.full(n, float(c))
    c = _vector(c, "coeff_sq")
    if c.size != n:
        raise InputError(f"coeff_sq has {c.size} entries but there are {n} eigenvalues; "
                         "give one per eigenvalue or a single number")
    if np.any(c < 0):
        raise InputError("coeff_sq are squared projections c_k² and must be >= 0")
    return c


# ----------------------------------------------------------------------------- core

def _log_rates(lam: np.ndarray, lr: float | None) -> np.ndarray:
    """r_k with (decay factor) = exp(t·r_k): 2 log|1 − ηλ| for GD, −2λ for gradient flow."""
    if lr is None:
        return -2.0 * lam
    x = lr * lam
    with np.errstate(divide="ignore", invalid="ignore"):
        # log1p keeps full precision for tiny ηλ (the slow modes that matter at large t); for
        # ηλ ≥ ½ the difference 1 − ηλ is exact (Sterbenz) and so is its log
        return 2.0 * np.where(x < 0.5, np.log1p(-np.minimum(x, 0.5)), np.log(np.abs(x - 1.0)))


def _factors(t: np.ndarray, rates: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.multiply.outer(t, rates))
    return np.where((t == 0.0)[:, None], 1.0, e)   # t = 0 with ηλ = 1 would be 0·(−inf)


def decay_factors(eigenvalues, steps, lr: float | None = None) -> np.ndarray:
    """(1 − ηλ_k)^{2t} (GD with lr=η) or e^{−2λ_k t} (lr=None), shape (len(steps), P)."""
    lam, t, lr = _vector(eigenvalues, "eigenvalues"), _steps(steps), _lr(lr)
    return _factors(t, _log_rates(lam, lr))


def mode_energies(eigenvalues, coeff_sq, steps, lr: float | None = None) -> np.ndarray:
    """Per-mode loss ½ λ_k c_k² (1 − ηλ_k)^{2t}, shape (len(steps), P).

    coeff_sq: c_k² = (v_k·δ0)², one per eigenvalue, or one number for all (e.g. ε²/P)."""
    lam, t, lr = _vector(eigenvalues, "eigenvalues"), _steps(steps), _lr(lr)
    c = _coeff(coeff_sq, lam.size)
    w = 0.5 * lam * c
    with np.errstate(invalid="ignore"):
        return np.where(w == 0.0, 0.0, _factors(t, _log_rates(lam, lr)) * w)


def predicted_loss(eigenvalues, coeff_sq, steps, lr: float | None = None) -> np.ndarray:
    """L(t) = ½ Σ_k λ_k c_k² (1 − ηλ_k)^{2t} (or e^{−2λ_k t}), shape (len(steps),).

    Equal to mode_energies(...).sum(axis=1) but computed in blocks of steps, so the full
    (steps × modes) matrix is never held in memory."""
    lam, t, lr = _vector(eigenvalues, "eigenvalues"), _steps(steps), _lr(lr)
    c = _coeff(coeff_sq, lam.size)
    w = 0.5 * lam * c
    keep = w != 0.0                      # zero modes never change L
    lam, w = lam[keep], w[keep]
    rates = _log_rates(lam, lr)
    out = np.zeros(t.size)
    if lam.size == 0:
        return out
    block = max(1, _BLOCK // lam.size)
    for i in range(0, t.size, block):
        with np.errstate(invalid="ignore", over="ignore"):
            out[i:i + block] = _factors(t[i:i + block], rates) @ w
    return out


def expected_coeff_sq(eps: float, n_params: int) -> float:
    """E c_k² = ε²/P for a start δ0 of norm ε in a uniformly random direction."""
    eps = float(eps)
    if not math.isfinite(eps) or eps < 0:
        raise InputError(f"eps (the distance of the start from the optimum) must be >= 0, got {eps!r}")
    if int(n_params) < 1:
        raise InputError(f"n_params must be a positive integer, got {n_params!r}")
    return eps * eps / int(n_params)


def max_stable_lr(eigenvalues) -> float:
    """2/λ_max: gradient descent is stable only for smaller steps."""
    lam = _vector(eigenvalues, "eigenvalues")
    top = float(lam.max())
    if top <= 0.0:
        raise InputError("there is no positive eigenvalue; every step size is stable")
    return 2.0 / top


def _density_prefactor(eps, rank, n_params) -> float:
    if int(rank) < 0 or int(rank) > int(n_params):
        raise InputError(f"rank must be between 0 and n_params={n_params}, got {rank}")
    return expected_coeff_sq(eps, n_params) * int(rank)


def predicted_loss_from_density(lam, density, steps, lr: float | None = None, *, eps: float,
                                rank: int, n_params: int, atoms=()) -> np.ndarray:
    """(ε²/2)(r/P) ∫ λ ρ(λ) (1 − ηλ)^{2t} dλ for a density ρ of the r nonzero eigenvalues
    tabulated on an increasing grid (trapezoid rule), plus point masses `atoms` = [(λ, w)]."""
    x, rho = _vector(lam, "lam"), _vector(density, "density")
    if x.size != rho.size or x.size < 2:
        raise InputError("lam and density must have the same length (at least 2)")
    if np.any(np.diff(x) <= 0):
        raise InputError("lam must be strictly increasing")
    dx = np.diff(x)
    q = np.zeros(x.size)
    q[:-1] += 0.5 * dx
    q[1:] += 0.5 * dx
    q *= rho
    pts = np.concatenate([x, [a for a, _ in atoms]])
    wts = np.concatenate([q, [w for _, w in atoms]])
    return predicted_loss(pts, _density_prefactor(eps, rank, n_params) * wts, steps, lr)


def predicted_loss_from_law(law, steps, lr: float | None = None, *, eps: float, rank: int,
                            n_params: int) -> np.ndarray:
    """Same as predicted_loss_from_density for an engine.laws.Law, integrating against its CDF
    (trapezoid in F: exact in mass, and right at an infinite edge density), atoms included."""
    x = np.asarray(law.lam, dtype=float)
    cont = np.asarray(law.continuous_cdf(), dtype=float)
    dF = np.diff(cont)
    q = np.zeros(x.size)
    q[:-1] += 0.5 * dF
    q[1:] += 0.5 * dF
    q[0] += cont[0]
    pts = np.concatenate([x, [a for a, _ in law.atoms]])
    wts = np.concatenate([q, [w for _, w in law.atoms]])
    return predicted_loss(pts, _density_prefactor(eps, rank, n_params) * wts, steps, lr)


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


# ----------------------------------------------------------------------------- before training

def curve_steps(total: int, points: int = 600) -> np.ndarray:
    """Steps to evaluate a curve at: every step up to `points`, else even and geometric ones."""
    if total + 1 <= points:
        return np.arange(total + 1)
    half = points // 2
    grid = np.concatenate([[0], np.linspace(0, total, half), np.geomspace(1, total, half), [total]])
    return np.unique(grid.round().astype(np.int64))


@dataclass(frozen=True)
class ExpectedCurve:
    """The linearised learning curve expected from one spectrum for a random start of norm ε
    (E c_k² = ε²/P): L(t) = (ε²/2P) Σ_k λ_k (1 − ηλ_k)^{2t}, and the slow modes' share of it."""
    steps: np.ndarray
    loss: np.ndarray                 # expected linearised loss at `steps`
    slow_eigenvalues: np.ndarray     # the m smallest above the rank tolerance
    slow_energies: np.ndarray        # (len(steps), m)
    lr: float
    lam_max: float
    eps: float
    total_steps: int
    takeover_step: int | None        # first step where the slow modes carry half the loss


def expected_curve(spectrum, eps: float, lr, total_steps: int, slow_modes: int) -> ExpectedCurve | None:
    """ExpectedCurve for an engine.spectrum.Spectrum; lr a step or "auto" (1/λ_max).
    None when the Hessian has no positive eigenvalue (nothing is learnt)."""
    lam = np.asarray(spectrum.eigenvalues, dtype=float)
    lam_max = float(lam[-1])
    if not lam_max > 0:
        return None
    eta = 1.0 / lam_max if lr in (None, "auto") else float(lr)
    c2 = expected_coeff_sq(eps, lam.size)
    steps = curve_steps(int(total_steps))
    slow = np.flatnonzero(lam > spectrum.rank_tolerance)[: int(slow_modes)]
    takeover = None
    if slow.size:
        takeover = first_step(lambda ts: predicted_loss(lam[slow], c2, ts, eta)
                              > 0.5 * predicted_loss(lam, c2, ts, eta), int(total_steps))
    return ExpectedCurve(steps, predicted_loss(lam, c2, steps, eta), lam[slow],
                         mode_energies(lam[slow], c2, steps, eta), eta, lam_max, float(eps),
                         int(total_steps), takeover)
