"""The loss landscape around the optimum: the exact loss on the plane of two Hessian eigenvectors.

A slice is L(θ* + a·v_i + b·v_j) on a G×G grid (a, b) ∈ [−S, S]², beside its quadratic model
½(λ_i a² + λ_j b²) (docs/methods.md §8). Near θ* the two agree; where they part, the network's
nonlinearity shows (and along a zero mode the quadratic model is flat while the loss is not).

Sample mode evaluates the N-sample loss of engine.dynamics exactly, all grid points in blocks:
the pre-activations are affine in (a, b), U = U* + aA + bB, so X is multiplied only three times,
not once per point. Population mode (N → ∞) evaluates L = ½ E[(f_θ(x) − f*(x))²] by Gaussian
expectations over the stacked student and teacher neurons: the closed form of E[g(u) g(v)]
where the activation's registry entry has one (erf, relu), else the quadrature of
engine.population.

    s = compute_slice(prepare(SpectrumConfig(...)), modes=(3, -1), grid=41)
    s.loss[p, q]         # at a = s.a[p], b = s.b[q]
    s.project(delta)     # a training offset's coordinates on the slice
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from . import defaults
from .activations import Activation
from .ensemble import Problem, compute_one, estimate_bytes, quadrature_nodes, teacher_and_inputs
from .errors import InputError
from .jobs import JobState, null_state
from .memory import FLOAT, JSON_NUMBER, Estimate
from .model import Teacher
from .population import MAX_CHUNK_ELEMENTS, quadrature_rule, uses_quadrature
from .spectrum import Spectrum
from .validate import positive, whole

DEFAULT_GRID = 41
MAX_GRID = 1001
SPAN_LOSS_FACTOR = 10.0        # the default span: the fast mode's quadratic loss reaches 10× its start
# Sample mode: (grid points × N × Nh) elements of one block. Small enough to stay in cache
# between its three passes (U, g(U), the output), large enough that Python's per-block cost
# vanishes (benchmarks/bench_landscape.py).
SAMPLE_BLOCK = 1 << 17
# Population mode: elements of one block's work arrays (closed form: points × (2Nh)²;
# quadrature: points × Nh × 2Nh × Q², also bounded per call by population.MAX_CHUNK_ELEMENTS).
POPULATION_BLOCK = 1 << 20
QUADRATURE_WORK = 20_000_000   # g evaluations between two progress reports (~0.2 s)

# Seconds, measured on this engine (benchmarks/bench_landscape.py and a sweep of sizes): per
# neuron pair of the quadrature (a fixed part, then per node pair). The costs per pre-activation
# (sample mode) and per pair of a closed form are the activation's own (engine.activations).
SECONDS_PER_QUADRATURE_PAIR = 6e-7
SECONDS_PER_NODE_PAIR = 6e-9
# The SVD of J (or eigh of H_pop) with all P eigenvectors, per N·P·min(N, P) (or P³)
SECONDS_PER_DECOMPOSITION_FLOP = 6e-10


def default_modes(eigenvalues, rank_tolerance: float) -> tuple[int, int]:
    """(i, j): i the smallest eigenvalue above the rank tolerance — the slowest mode training
    can follow — and j = P − 1, the largest, whose step limit sets the learning rate.

    Indices are into the ascending list of all P eigenvalues. If only the largest is above
    the tolerance (rank ≤ 1), i = P − 2: the slice then shows a zero mode beside it.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    p = lam.size
    above = np.flatnonzero(lam > rank_tolerance)
    i = int(above[0]) if above.size and above[0] < p - 1 else p - 2
    return i, p - 1


def _index(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)            # 3.0 from a JSON file
    return None


def resolve_modes(modes, p: int) -> tuple[int, int]:
    """Two mode indices (a pair, or text "I,J") as non-negative indices into the ascending
    eigenvalues; negative ones count from the top (−1 = the largest)."""
    hint = "give two mode indices I,J like 3,-1 (ascending from 0, negative from the top)"
    if isinstance(modes, str):
        try:
            values = [int(part) for part in modes.split(",")]
        except ValueError:
            raise InputError(f"--modes {modes!r}: {hint}") from None
    else:
        try:
            values = [_index(v) for v in modes]
        except TypeError:
            raise InputError(f"modes {modes!r}: {hint}") from None
    if len(values) != 2 or None in values:
        raise InputError(f"--modes {modes!r}: {hint}")
    for v in values:
        if not -p <= v < p:
            raise InputError(f"--modes: mode {v} is out of range; there are P = {p} modes "
                             f"(indices 0..{p - 1} ascending, or {-p}..-1 from the top)")
    i, j = (v % p for v in values)
    if i == j:
        raise InputError(f"--modes {values[0]},{values[1]} names mode {i} twice; a slice needs "
                         "two different eigenvectors")
    return i, j


def default_span(lam_i: float, lam_j: float, eps: float = defaults.INIT_DISTANCE) -> float:
    """The half-width S (parameter norm) where the quadratic model along the faster of the two
    modes reaches 10× its loss at the training start distance ε: ½λ_f S² = 10·½λ_f ε², so
    S = √10·ε.

    λ_f cancels, and that is the point: both sides are the same mode's loss, so S is fixed by
    distances alone. A run started at |δ0| = ε has |a|, |b| ≤ ε on the slice (and, with
    η < 2/λ_max, gradient descent shrinks every mode), so its trajectory fits with a margin of
    √10, and the loss scale spans a decade above its start along the fast mode. (Reading "the
    loss scale" as the fast mode's expected share at a random start, ½λ_f ε²/P, would give
    ε·√(10/P): a slice that shrinks with P and cuts off a run started along these modes.)
    """
    positive(eps, "the start distance ε")
    return math.sqrt(SPAN_LOSS_FACTOR) * float(eps)


# ============================================================================ the loss on a grid

def _split(directions: np.ndarray, nh: int, ni: int):
    """The W1 parts (2 × Nh × Ni) and W2 parts (2 × Nh) of two parameter directions."""
    k = nh * ni
    return directions[:, :k].reshape(2, nh, ni), directions[:, k:]


def _sample_losses(teacher: Teacher, act: Activation, X: np.ndarray, directions: np.ndarray,
                   ap: np.ndarray, bp: np.ndarray, state: JobState) -> np.ndarray:
    """L at the points (ap[k], bp[k]): the N-sample loss of engine.dynamics._Network."""
    n = X.shape[0]
    nh, ni = teacher.W1.shape
    V1, v2 = _split(directions, nh, ni)
    # Pre-activations are affine in (a, b): U = U* + aA + bB, one (m×3)·(3×N·Nh) product a block.
    T = np.empty((3, n, nh))
    np.matmul(X, teacher.W1.T, out=T[0])
    np.matmul(X, V1[0].T, out=T[1])
    np.matmul(X, V1[1].T, out=T[2])
    y = act.g(T[0]) @ teacher.W2
    T = T.reshape(3, n * nh)
    # and so is W2: the output is g(U)·[W2*, v2_i, v2_j] combined with (1, a, b)
    M = np.ascontiguousarray(np.stack([teacher.W2, v2[0], v2[1]], axis=1))
    total = ap.size
    m = max(1, SAMPLE_BLOCK // (n * nh))
    out = np.empty(total)
    for lo in range(0, total, m):
        state.report(lo / total, f"loss slice, point {lo + 1}/{total}")
        a, b = ap[lo:lo + m], bp[lo:lo + m]
        coef = np.stack([np.ones_like(a), a, b], axis=1)
        G, _ = act.value_and_slope(coef @ T, False)          # in place where g allows
        R = (G.reshape(-1, nh) @ M).reshape(a.size, n, 3)
        r = R[:, :, 0]
        r += a[:, None] * R[:, :, 1]
        r += b[:, None] * R[:, :, 2]
        r -= y
        out[lo:lo + m] = 0.5 * np.einsum("pn,pn->p", r, r) / n
    return out


def gauss_pair_expectations(act: Activation, rows: np.ndarray, cols: np.ndarray,
                            z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """E[g(r·x) g(c·x)], x ~ N(0, I), for each row r (R×Ni) against its own columns
    (R×K×Ni), with the 1-D rule (z, w) of engine.population in each of two variables.

    The same factorisation as population.pair_expectations (u = α z1, v = β z1 + γ z2, also
    for a singular pair), for g alone and for a different set of columns per row: on a slice
    every grid point has its own student neurons.
    """
    R, K = cols.shape[:2]
    q = z.size
    crr = np.einsum("ri,ri->r", rows, rows)
    ckk = np.einsum("rki,rki->rk", cols, cols)
    crk = np.einsum("rki,ri->rk", cols, rows)
    alpha = np.sqrt(np.maximum(crr, 0.0))
    safe = np.where(alpha > 0, alpha, 1.0)
    beta = np.where(alpha[:, None] > 0, crk / safe[:, None], 0.0)
    gamma = np.sqrt(np.maximum(ckk - beta * beta, 0.0))
    out = np.empty((R, K))
    chunk = max(1, MAX_CHUNK_ELEMENTS // (K * q * q))
    for lo in range(0, R, chunk):
        s = slice(lo, lo + chunk)
        ga = act.g(alpha[s, None] * z) * w                                   # (r, Q)
        u = beta[s, :, None, None] * z[:, None] + gamma[s, :, None, None] * z[None, :]
        inner = act.g(u) @ w                                                 # z2 integrated out
        out[s] = np.einsum("rkq,rq->rk", inner, ga)
    return out


def _slice_rule(teacher: Teacher, act: Activation, directions: np.ndarray, a, b,
                nodes: int | None):
    """engine.population's 1-D rule for the widest neuron anywhere on the slice: one rule for
    the whole grid, so the loss is one smooth function of (a, b). |w_j(a, b)|² is convex, so
    its maximum over the rectangle is at a corner."""
    nh, ni = teacher.W1.shape
    V1, _ = _split(directions, nh, ni)
    corners = [teacher.W1] + [teacher.W1 + x * V1[0] + y * V1[1]
                              for x in (a.min(), a.max()) for y in (b.min(), b.max())]
    widest = Teacher(np.vstack(corners), np.zeros(5 * nh))
    z, w, _ = quadrature_rule(widest, act, nodes)
    return z, w


def _population_losses(teacher: Teacher, act: Activation, directions: np.ndarray,
                       ap: np.ndarray, bp: np.ndarray, nodes: int | None, rule,
                       state: JobState) -> np.ndarray:
    """L = ½ cᵀ E[g(u) g(u)ᵀ] c over the 2Nh stacked neurons [student; teacher] with output
    weights c = [W2; −W2*], at the points (ap[k], bp[k])."""
    W1s, W2s = teacher.W1, teacher.W2
    nh, ni = W1s.shape
    V1, v2 = _split(directions, nh, ni)
    total = ap.size
    closed = act.pair_value
    if closed is not None:
        m = max(1, POPULATION_BLOCK // (4 * nh * nh))
    else:
        z, w = rule
        Ett = gauss_pair_expectations(act, W1s, np.broadcast_to(W1s, (nh, nh, ni)), z, w)
        tt = float(W2s @ Ett @ W2s)
        m = max(1, min(POPULATION_BLOCK // (2 * nh * nh * ni),
                       QUADRATURE_WORK // (2 * nh * nh * z.size ** 2)))
    out = np.empty(total)
    for lo in range(0, total, m):
        state.report(lo / total, f"loss slice, point {lo + 1}/{total}")
        a, b = ap[lo:lo + m, None], bp[lo:lo + m, None]
        W1 = W1s + a[:, :, None] * V1[0] + b[:, :, None] * V1[1]          # (m, Nh, Ni)
        W2 = W2s + a * v2[0] + b * v2[1]                                  # (m, Nh)
        W = np.concatenate([W1, np.broadcast_to(W1s, W1.shape)], axis=1)  # (m, 2Nh, Ni)
        if closed is not None:
            C = W @ W.transpose(0, 2, 1)
            d = np.diagonal(C, axis1=1, axis2=2)
            E = closed(C, d[:, :, None], d[:, None, :])
            c = np.concatenate([W2, np.broadcast_to(-W2s, W2.shape)], axis=1)
            out[lo:lo + m] = 0.5 * np.einsum("pj,pjk,pk->p", c, E, c)
        else:
            cols = np.broadcast_to(W[:, None], (a.size, nh, 2 * nh, ni)).reshape(-1, 2 * nh, ni)
            E = gauss_pair_expectations(act, W1.reshape(-1, ni), cols, z, w)
            E = E.reshape(a.size, nh, 2 * nh)
            ss = np.einsum("pj,pjk,pk->p", W2, E[:, :, :nh], W2)
            st = np.einsum("pj,pjk,k->p", W2, E[:, :, nh:], W2s)
            out[lo:lo + m] = 0.5 * (ss - 2.0 * st + tt)
    return out


def loss_grid(teacher: Teacher, act: Activation, X: np.ndarray | None, directions, a, b,
              nodes: int | None = None, state: JobState | None = None) -> np.ndarray:
    """The exact loss L(θ* + a·v_i + b·v_j) on the grid: loss[p, q] at a = a[p], b = b[q].

    directions: 2×P (v_i, v_j; any vectors, parameter order W1 row by row, then W2). X: the
    N×Ni inputs (sample mode), or None for the population loss (N → ∞); nodes: the
    quadrature nodes per dimension there (None: engine.population's rule for the widest
    neuron on the slice; unused where the activation has a closed form of E[g(u) g(v)]).
    """
    state = state or null_state()
    directions = np.asarray(directions, dtype=float)
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if directions.shape != (2, teacher.n_params):
        raise ValueError(f"directions must be 2×{teacher.n_params}, got {directions.shape}")
    ap, bp = np.repeat(a, b.size), np.tile(b, a.size)
    with np.errstate(over="ignore", invalid="ignore"):
        if X is not None:
            flat = _sample_losses(teacher, act, X, directions, ap, bp, state)
        else:
            rule = None if act.pair_value is not None else _slice_rule(teacher, act, directions, a, b, nodes)
            flat = _population_losses(teacher, act, directions, ap, bp, nodes, rule, state)
    state.report(1.0, "loss slice done")
    return flat.reshape(a.size, b.size)


# ============================================================================ the slice

@dataclass(frozen=True)
class Slice:
    """The loss on the plane of two Hessian eigenvectors through θ*, and its quadratic model.

    modes        (i, j), indices into the ascending eigenvalues (non-negative)
    eigenvalues  (λ_i, λ_j)
    directions   2×P: the unit eigenvectors v_i, v_j (sign fixed: largest entry positive)
    a, b         the grid coordinates along v_i and v_j (G each, symmetric about 0)
    loss         G×G, loss[p, q] = L(θ* + a[p] v_i + b[q] v_j)
    quadratic    G×G, ½(λ_i a[p]² + λ_j b[q]²)
    span         S: a and b run over [−S, S]
    mode         "sample" or "population"
    """
    modes: tuple[int, int]
    eigenvalues: np.ndarray
    directions: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    loss: np.ndarray = field(repr=False)
    quadratic: np.ndarray = field(repr=False)
    span: float = 0.0
    mode: str = "sample"

    def to_dict(self) -> dict:
        return {"modes": list(self.modes), "eigenvalues": self.eigenvalues,
                "directions": self.directions, "a": self.a, "b": self.b, "loss": self.loss,
                "quadratic": self.quadratic, "span": self.span, "mode": self.mode}

    def project(self, delta):
        """(a, b): the coordinates of a parameter offset δ = θ − θ* on the two directions (δ of
        length P, or K×P for a trajectory). The part of δ off the plane is dropped."""
        c = np.asarray(delta, dtype=float) @ self.directions.T
        if c.ndim == 1:
            return float(c[0]), float(c[1])
        return c[..., 0], c[..., 1]


def _fixed_sign(v: np.ndarray) -> np.ndarray:
    """An eigenvector's sign is arbitrary (SVD and eigh differ): make its largest entry positive,
    so a slice is the same picture whichever route found it."""
    k = int(np.argmax(np.abs(v)))
    return -v if v[k] < 0 else v


def _decomposition_seconds(problem: Problem) -> float:
    """The eigen-decomposition with vectors (always the general route, also for linear g)."""
    n, p, nh = problem.n_samples, problem.n_params, problem.nh
    if n is None:
        q = quadrature_nodes(problem) if uses_quadrature(problem.act, problem.config.quadrature_nodes) else 0
        return 0.003 + 2e-8 * nh * nh * q * q + SECONDS_PER_DECOMPOSITION_FLOP * p ** 3
    return 0.003 + SECONDS_PER_DECOMPOSITION_FLOP * n * p * min(n, p)


def _grid_seconds(problem: Problem, grid: int) -> float:
    n, nh, act = problem.n_samples, problem.nh, problem.act
    points = grid * grid
    if n is not None:
        return 0.01 + points * n * nh * act.seconds_per_value
    if act.pair_value is not None:
        return 0.01 + points * 4 * nh * nh * act.seconds_per_pair
    q = quadrature_nodes(problem)
    return 0.01 + points * 2 * nh * nh * (SECONDS_PER_QUADRATURE_PAIR + SECONDS_PER_NODE_PAIR * q * q)


def estimate_slice(problem: Problem, grid: int = DEFAULT_GRID) -> Estimate:
    """Peak memory and time of compute_slice: the larger of the eigen-decomposition (with all P
    eigenvectors) and the grid (the kept eigenvectors, the N×Nh arrays U*, A, B, one block's
    work), plus the G×G results and the JSON encoding of the largest array."""
    p, n, ni, nh = problem.n_params, problem.n_samples, problem.ni, problem.nh
    points = grid * grid
    decompose = estimate_bytes(problem, vectors=True)
    if n is None:
        if problem.act.pair_value is not None:
            work = 6 * POPULATION_BLOCK
        else:
            q = quadrature_nodes(problem)
            work = 4 * POPULATION_BLOCK + 3 * min(MAX_CHUNK_ELEMENTS, 2 * nh * q * q) + nh * nh * ni
        work += 6 * nh * ni
    else:
        work = n * ni + 4 * n * nh + n + 4 * max(SAMPLE_BLOCK, n * nh)
    grid_phase = FLOAT * (p * p + work)
    results = FLOAT * (5 * points + 4 * p)       # loss, quadratic, the flattened points
    encode = JSON_NUMBER * max(points, 2 * p)
    seconds = _decomposition_seconds(problem) + _grid_seconds(problem, grid)
    return Estimate(max(decompose, grid_phase) + results + encode, seconds)


def compute_slice(problem: Problem, modes=None, grid: int = DEFAULT_GRID, span: float | None = None,
                  spectrum: Spectrum | None = None, state: JobState | None = None) -> Slice:
    """The slice of teacher 1 (index 0) of `problem` along modes (i, j) (None: default_modes),
    on a grid×grid grid over [−span, span]² (None: default_span).

    The eigen-decomposition is computed with vectors, unless `spectrum` (of this teacher, in
    this mode) already has them. Progress and cancel through `state`: the decomposition, then
    the grid block by block.
    """
    state = state or null_state()
    grid = whole(grid, "the grid size", "--grid", lo=3, hi=MAX_GRID)
    if span is not None:
        span = positive(span, "the span", "--span")
    mode = "population" if problem.n_samples is None else "sample"
    p = problem.n_params
    decompose = _decomposition_seconds(problem)
    split = decompose / (decompose + _grid_seconds(problem, grid))
    if spectrum is not None and spectrum.eigenvectors is not None:
        if spectrum.mode != mode or spectrum.eigenvectors.shape != (p, p):
            raise InputError(f"the spectrum given is a {spectrum.mode} spectrum of "
                             f"{spectrum.eigenvalues.size} modes, not this problem's ({mode}, P = {p})")
        teacher, X = teacher_and_inputs(problem, 0)
    else:
        state.report(0.0, "Hessian eigenvectors")
        res = compute_one(problem, 0, vectors=True, state=state.sub(0.0, split))
        teacher, X, spectrum = res.teacher, res.inputs, res.spectrum
    lam, V = spectrum.eigenvalues, spectrum.eigenvectors
    i, j = default_modes(lam, spectrum.rank_tolerance) if modes is None else resolve_modes(modes, p)
    eig = np.array([lam[i], lam[j]], dtype=float)
    if span is None:
        span = default_span(eig[0], eig[1])
    directions = np.stack([_fixed_sign(V[:, i]), _fixed_sign(V[:, j])])
    a = np.linspace(-span, span, grid)
    a[grid // 2] = 0.0 if grid % 2 else a[grid // 2]      # the optimum itself, exactly
    b = a.copy()
    loss = loss_grid(teacher, problem.act, X, directions, a, b, problem.config.quadrature_nodes,
                     state.sub(split, 1.0))
    if not np.all(np.isfinite(loss)):
        raise InputError(f"the loss overflows float64 on this slice (span {span:.3g}); "
                         "use a smaller --span")
    quadratic = 0.5 * (eig[0] * a[:, None] ** 2 + eig[1] * b[None, :] ** 2)
    return Slice((i, j), eig, directions, a, b, loss, quadratic, float(span), mode)
