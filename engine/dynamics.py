"""Learning dynamics near the optimum: nonlinear gradient descent against its linearisation.

The student starts at θ* + δ0 and is trained by full-batch gradient descent (or mini-batch SGD)
on the N-sample loss L(θ) = 1/(2N) Σ (y(x_i; θ) − y(x_i; θ*))². Near θ* the Hessian
H = Σ_k λ_k v_k v_kᵀ (sample Hessian of the same N inputs) predicts every eigenmode on its own
(docs/methods.md §5, engine/curves.py); the run records the actual loss beside that
prediction and resolves the trajectory δ(t) = θ(t) − θ* on the slowest eigenvectors, so the
point where nonlinear effects part the two curves is visible.

Pipeline (pure functions on small frozen dataclasses; the GUI runs it in an engine process):

    problem = prepare_dynamics(SpectrumConfig(...), DynamicsConfig(...))   # checks, loads files
    start = start_dynamics(problem, state)          # teacher, inputs, eigenvectors, δ0, warnings
    for chunk in iter_trajectory(start, state):      # TrajectoryChunk, about every 0.1 s
        ...                                          # last chunk: status finished/diverged/cancelled
    result = run_dynamics(problem, state, on_chunk)  # all of the above, collected: DynamicsResult

Conventions: step t is the state after t updates (step 0 = the start). Recorded steps are the
multiples of `record_every`, plus the last step reached (end, divergence or cancel). "Slow
modes" are the m smallest eigenvalues above the spectrum's rank tolerance. Cancelling through
JobState during training stops after the current step with status "cancelled" and keeps
everything computed; cancelling during start_dynamics (the SVD) raises Cancelled.

Random streams, all from SpectrumConfig.seed: teacher and inputs exactly as `spectrum`
(teacher_rng(seed, 0)); the random start direction from SeedSequence(seed, spawn_key=(DYN_KEY, 0));
the SGD batches from SeedSequence(seed, spawn_key=(DYN_KEY, 1)).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

import numpy as np

from . import defaults
from .activations import Activation
from .settings import FileName, Parse, Positive, Switch, Whole, check_fields, setting
from .validate import positive
from .curves import first_step, predicted_loss
from .curves import mode_energies as _curve_energies
from .arrays import read_npy, real_finite
from .ensemble import (Problem, SpectrumConfig, estimate_bytes, estimate_seconds, prepare,
                       teacher_and_inputs)
from .errors import Cancelled, InputError
from .threads import blas_threads
from .jobs import JobState, null_state
from .memory import FLOAT, JSON_NUMBER, Estimate
from .model import Teacher, forward
from .spectrum import Spectrum, sample_spectrum

DIVERGENCE_FACTOR = 1e6          # loss above this × L0 (or non-finite) stops the run: "diverged"
MAX_STEPS = 10 ** 9
DYN_KEY = 0x64796E61             # "dyna": spawn-key prefix of the dynamics' own random streams
STATUSES = ("running", "finished", "diverged", "cancelled")



# ============================================================================ configuration

DYN = ("dynamics",)


def _init_modes_form(value):
    """The form of init_modes ("slow" or mode indices); their range needs P (prepare_dynamics)."""
    parse_init_modes(value, 2 ** 62)
    return value


@dataclass(frozen=True)
class DynamicsConfig:
    """What the user chooses for a run (the model itself is a SpectrumConfig): each field is a
    setting, declared once here (engine.settings); docs/settings.md lists them. Conventions:
    step t is the state after t updates; init_distance is ignored with init_file (the CLI makes
    the two flags exclusive; resolved_config reports |δ0| then); init_modes picks the start
    δ0 = ε·(random combination)/norm of the chosen modes; batch B ≥ N is full batch."""
    lr: float | str = setting(
        defaults.LR, "step size η, or 'auto' for 1/λ_max (GD is stable for η < 2/λ_max)",
        check=Parse(lambda v: parse_lr(v), "positive number or auto"), flag="--lr",
        commands=DYN, required=DYN, metavar="ETA", label="step  η", widget="sci",
        panel=(1e-300, 1e12), special=("auto (1/λₘₐₓ)", "auto"), factor=2.0)
    steps: int = setting(
        defaults.STEPS, "number of updates T (the run records steps 0..T)",
        noun="the number of steps", check=Whole(hi=MAX_STEPS), flag="--steps", commands=DYN,
        required=DYN, metavar="T", label="steps", widget="spin", panel=(1, 10_000_000))
    init_distance: float | None = setting(
        defaults.INIT_DISTANCE, f"start at θ* + δ0 with |δ0| = EPS in a random (seeded) direction "
        f"(default {defaults.INIT_DISTANCE:g})", noun="the initial distance", check=Positive(),
        nullable=True, flag="--init-distance", commands=DYN, exclusive="start", cli_default=None,
        metavar="EPS", label="start  ε", widget="sci", panel=(1e-300, 1e12), factor=10.0)
    init_file: str | None = setting(
        None, "δ0 itself: an .npy vector of length P (W1 row by row, then W2)", check=FileName(),
        flag="--init-file", commands=DYN, exclusive="start", metavar="D.npy")
    init_modes: str | tuple[int, ...] | None = setting(
        None, "make δ0 a random combination of these Hessian eigenvectors only: 'slow' (the "
        "--slow-modes slowest nonzero ones) or indices into the ascending eigenvalues (negative "
        "from the top); default: all P directions",
        check=Parse(_init_modes_form, "slow, or mode indices"), flag="--init-modes",
        commands=DYN, metavar="slow|I,J,..")
    batch: int | None = setting(
        None, "mini-batch SGD with batches of B of the N inputs (seeded); default full-batch "
        "gradient descent", noun="the batch size", check=Whole(), flag="--batch", commands=DYN,
        metavar="B")
    slow_modes: int = setting(
        defaults.SLOW_MODES, "follow the M smallest nonzero eigenvalues (drawn in colour)",
        noun="the number of slow modes", check=Whole(), flag="--slow-modes", commands=DYN,
        metavar="M", label="slow modes  m", widget="spin", panel=(1, 7))
    record_every: int = setting(
        defaults.RECORD_EVERY, "record every K-th step (the last step reached is always recorded)",
        noun="record-every", check=Whole(), flag="--record-every", commands=DYN, metavar="K")
    target_decades: float = setting(
        defaults.TARGET_DECADES, "time to target: steps until the loss is 10^-D of its start",
        noun="the target decades", check=Positive(), flag="--target-decades", commands=DYN,
        metavar="D")
    flow: bool = setting(
        False, "base the predicted mode energies, time to target and takeover on gradient flow "
        "e^(-2ηλt) instead of (1-ηλ)^(2t)", check=Switch(), flag="--flow", commands=DYN)

    def to_dict(self) -> dict:
        d = asdict(self)
        if isinstance(self.init_modes, tuple):
            d["init_modes"] = list(self.init_modes)
        return d


@dataclass(frozen=True)
class DynamicsProblem:
    """A checked DynamicsConfig with its model Problem and the loaded start vector."""
    model: Problem
    config: DynamicsConfig
    init_vector: np.ndarray | None = field(default=None, repr=False)   # δ0 from init_file
    init_modes: tuple[int, ...] | str | None = None                     # normalised indices or "slow"

    @property
    def n_params(self) -> int:
        return self.model.n_params

    @property
    def n_samples(self) -> int:
        return self.model.n_samples

    @property
    def full_batch(self) -> bool:
        return self.config.batch is None or self.config.batch >= self.n_samples

    @property
    def max_records(self) -> int:
        return self.config.steps // self.config.record_every + 2

    def resolved_config(self, lr: float | None = None) -> dict:
        """Model and dynamics settings with every default filled in (one flat dict)."""
        d = self.model.resolved_config()
        d.update(self.config.to_dict())
        d["lr_requested"] = self.config.lr
        if lr is not None:
            d["lr"] = lr
        if self.init_vector is not None:
            d["init_distance"] = float(np.linalg.norm(self.init_vector))
        else:
            d["init_distance"] = self.config.init_distance or defaults.INIT_DISTANCE
        d["init_modes"] = list(self.init_modes) if isinstance(self.init_modes, tuple) else self.init_modes
        d["batch"] = None if self.full_batch else self.config.batch
        return d


def parse_lr(value) -> float | str:
    """A positive finite step, or "auto" (1/λ_max)."""
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        try:                   # the command line's --lr is text: a number or "auto"
            value = float(value)
        except ValueError:
            pass
    return positive(value, "the learning rate", "--lr (a positive number or auto)")


def parse_init_modes(value, p: int) -> tuple[int, ...] | str | None:
    """None, "slow", or mode indices (ints or "i,j,k") into the ascending eigenvalues, in [0, P)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "slow":
            return "slow"
        try:
            value = [int(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise InputError(f"--init-modes {value!r}: give 'slow' or mode indices like 0,1,-1") from None
    try:
        modes = [int(v) for v in value]
    except (TypeError, ValueError):
        raise InputError(f"init modes {value!r}: give 'slow' or a list of mode indices") from None
    if not modes:
        raise InputError("--init-modes is empty; give 'slow' or mode indices like 0,1,-1")
    bad = [k for k in modes if not -p <= k < p]
    if bad:
        raise InputError(f"--init-modes {bad[0]} is out of range: there are P = {p} modes "
                         f"(indices 0..{p - 1} ascending, or negative from the top)")
    return tuple(sorted({k % p for k in modes}))


def load_init_vector(path: str | Path, p: int) -> np.ndarray:
    """δ0 from an .npy of length P: real, finite, not all zero."""
    pth = Path(path)
    a = real_finite(read_npy(pth, "init"), f"init file {str(pth)!r}")
    if a.ndim != 1 or a.size != p:
        raise InputError(f"init file {str(pth)!r} has shape {a.shape}; it must be a vector of length "
                         f"P = {p} (W1 row by row, then W2)")
    if not np.any(a):
        raise InputError(f"init file {str(pth)!r} is all zeros: that start is the optimum itself")
    return a


def prepare_dynamics(spectrum_config: SpectrumConfig, dynamics_config: DynamicsConfig,
                     check: bool = True, model: Problem | None = None,
                     loaded: DynamicsProblem | None = None) -> DynamicsProblem:
    """Check every field and load the files, so bad input fails before any computation, and
    (unless check=False, for --dry-run) that the run fits in memory. `model` and `loaded`:
    problems already prepared; the arrays of the files this one names too (teacher weights,
    inputs, the start vector) are taken from them instead of being read again."""
    if spectrum_config.population:
        raise InputError("dynamics trains on N samples; drop --population and set --samples")
    if spectrum_config.teachers != 1:
        raise InputError("dynamics runs one teacher; drop --teachers")
    if model is not None and replace(model.config, teachers=1) == spectrum_config:
        model = model.with_teachers(1)         # teacher 1 of a checked ensemble: no new checks
    else:
        model = prepare(spectrum_config, check=False, loaded=model)
    clean = check_fields(dynamics_config, "dynamics")
    p = model.n_params
    if clean["init_file"] is not None and clean["init_modes"] is not None:
        raise InputError("give either --init-modes or --init-file, not both")
    modes = parse_init_modes(clean["init_modes"], p)
    cfg = DynamicsConfig(**{**clean, "init_modes": modes})
    init_vector = None
    if cfg.init_file is not None:
        same = loaded is not None and loaded.config.init_file == cfg.init_file and \
            loaded.init_vector is not None and loaded.init_vector.size == p
        init_vector = loaded.init_vector if same else load_init_vector(cfg.init_file, p)
    problem = DynamicsProblem(model, cfg, init_vector, modes)
    if check:
        estimate_dynamics(problem).require(
            f"training (P = {p}, N = {model.n_samples}, {problem.max_records} recorded steps)",
            "use fewer samples (--samples), record fewer steps (--record-every) or follow "
            "fewer --slow-modes")
    return problem


# Bytes per recorded step beyond its (6 + 2m) float64s, kept twice while the chunks are joined:
# the row's lists and floats while it is encoded (benchmarks/bench_memory.py).
RECORD_OVERHEAD = 64.0
# The window keeps δ(t) at up to this many recorded steps to replay training (P floats each).
REPLAY_FRAMES = 400


def estimate_dynamics(problem: DynamicsProblem) -> Estimate:
    """Peak memory and time of a training run: the larger of the eigen-decomposition (J and its
    SVD) and training (eigenvectors, inputs, one batch's work arrays, and every recorded row),
    plus the JSON encoding of the largest record."""
    model, cfg = problem.model, problem.config
    p, n, ni, nh = model.n_params, model.n_samples, model.ni, model.nh
    m = min(cfg.slow_modes, p)
    rows = problem.max_records
    decompose = estimate_bytes(model, vectors=True)
    batch = n if problem.full_batch else cfg.batch
    train = FLOAT * (p * p + n * (ni + 2) + 4 * batch * nh + 4 * p)
    records = rows * (2 * FLOAT * (6 + 2 * m) + RECORD_OVERHEAD + JSON_NUMBER * m)
    records += 2 * FLOAT * p * (min(rows, REPLAY_FRAMES) + 1)      # the window's replay frames
    seconds = estimate_seconds(model) * 3 + cfg.steps * (2e-6 + 3e-9 * batch * (p + nh))
    return Estimate(max(decompose, train + records) + JSON_NUMBER * p, seconds)


# ============================================================================ loss and gradient

class _Network:
    """Loss and gradient of the student θ* + δ on a batch: whole batch and all neurons at once.

    One evaluation costs one forward pass (U = X W1ᵀ, g(U), g(U)·W2) plus g'(U), computed
    alongside g where they share work, and one more N·Nh·Ni product (Gᵀ X) for ∂L/∂W1.
    """

    def __init__(self, teacher: Teacher, act: Activation):
        self.W1s, self.W2s, self.act = teacher.W1, teacher.W2, act
        self.nh, self.ni = teacher.W1.shape
        self.k = self.nh * self.ni

    def _weights(self, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.W1s + delta[: self.k].reshape(self.nh, self.ni), self.W2s + delta[self.k:]

    def loss(self, delta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        W1, W2 = self._weights(delta)
        G0, _ = self.act.value_and_slope(X @ W1.T, False)
        r = G0 @ W2
        r -= y
        return 0.5 * float(r @ r) / X.shape[0]

    def loss_and_gradient(self, delta: np.ndarray, X: np.ndarray, y: np.ndarray,
                          grad: np.ndarray) -> float:
        """L at θ* + δ on (X, y), writing ∂L/∂θ into `grad` (length P)."""
        n = X.shape[0]
        W1, W2 = self._weights(delta)
        G0, G1 = self.act.value_and_slope(X @ W1.T, True)
        r = G0 @ W2
        r -= y
        loss = 0.5 * float(r @ r) / n
        r *= 1.0 / n
        np.matmul(r, G0, out=grad[self.k:])                       # ∂L/∂W2 = G0ᵀ r / N
        g1 = grad[: self.k].reshape(self.nh, self.ni)
        if G1 is None:                                             # linear: G1 = 1
            np.multiply.outer(W2, r @ X, out=g1)
        else:                                                      # ∂L/∂W1_jk = W2_j Σ_i r_i g'(u_ij) x_ik / N
            G1 *= r[:, None]
            np.matmul(G1.T, X, out=g1)
            g1 *= W2[:, None]
        return loss


def loss_and_gradient(teacher: Teacher, act: Activation, X: np.ndarray, targets: np.ndarray,
                      delta: np.ndarray) -> tuple[float, np.ndarray]:
    """L(θ* + δ) = 1/(2N) Σ (y(x_i; θ* + δ) − targets_i)² and its gradient (length P)."""
    grad = np.empty(teacher.n_params)
    loss = _Network(teacher, act).loss_and_gradient(np.asarray(delta, dtype=float), X, targets, grad)
    return loss, grad


def loss_at(teacher: Teacher, act: Activation, X: np.ndarray, targets: np.ndarray,
            delta: np.ndarray) -> float:
    """L(θ* + δ) only (one forward pass)."""
    return _Network(teacher, act).loss(np.asarray(delta, dtype=float), X, targets)


# ============================================================================ the start

class Pair(NamedTuple):
    """A predicted (linearised) value beside the actual one; None where not reached in the run."""
    predicted: int | None
    actual: int | None


@dataclass(frozen=True)
class DynamicsStart:
    """Everything fixed before the first step: the teacher, the Hessian's eigenbasis, δ0.

    eigenvalues/coefficients are over all P modes (ascending); coefficients c_k = v_k·δ0.
    slow_modes: indices of the m smallest eigenvalues above `rank_tolerance`.
    initial_loss: the actual L(θ* + δ0); target_loss: initial_loss·10^(−d).
    predicted: steps at which the linearised curve (GD or flow, per config.flow) reaches
    its own L_lin(0)·10^(−d), and at which the slow modes' predicted share passes ½
    (None: not within config.steps).
    """
    problem: DynamicsProblem
    teacher: Teacher = field(repr=False)
    inputs: np.ndarray = field(repr=False)
    targets: np.ndarray = field(repr=False)     # y(x_i; θ*), computed once
    spectrum: Spectrum = field(repr=False)      # with eigenvectors (P×P columns)
    lr: float
    delta0: np.ndarray = field(repr=False)
    coefficients: np.ndarray = field(repr=False)
    slow_modes: np.ndarray
    initial_loss: float
    target_loss: float
    warnings: tuple[str, ...]
    predicted_time_to_target: int | None
    predicted_takeover_step: int | None

    @property
    def eigenvalues(self) -> np.ndarray:
        return self.spectrum.eigenvalues

    @property
    def stability_limit(self) -> float:
        """2/λ_max: gradient descent is stable only below this step."""
        lam_max = float(self.spectrum.eigenvalues[-1])
        return 2.0 / lam_max if lam_max > 0 else math.inf

    @property
    def slow_eigenvalues(self) -> np.ndarray:
        return self.spectrum.eigenvalues[self.slow_modes]

    @property
    def initial_loss_linearized(self) -> float:
        return float(linearized_loss(self.eigenvalues, self.coefficients, self.lr, [0])[0])

    @property
    def config(self) -> dict:
        return self.problem.resolved_config(self.lr)

    @property
    def total_steps(self) -> int:
        return self.problem.config.steps

    @property
    def flow(self) -> bool:
        return bool(self.problem.config.flow)

    def for_display(self) -> "DynamicsStart":
        """The same start without the arrays only training uses (inputs, targets, all P
        eigenvectors): what a plot needs, cheap to send to a GUI. Not trainable."""
        return replace(self, inputs=None, targets=None,
                       spectrum=replace(self.spectrum, eigenvectors=None),
                       problem=replace(self.problem, model=replace(self.problem.model, inputs=None)))


def _curve_args(lr: float, steps, flow: bool):
    """engine.curves takes GD step counts with lr, or flow *times* with lr=None: gradient flow
    here is compared on the step axis, at time ηt."""
    t = np.asarray(steps, dtype=float)
    return (lr * t, None) if flow else (t, lr)


def linearized_loss(eigenvalues, coefficients, lr: float, steps, flow: bool = False) -> np.ndarray:
    """L_lin(t) = ½ Σ λ_k c_k² (1 − ηλ_k)^{2t}, or e^{−2ηλ_k t} with flow, at each step t."""
    t, eta = _curve_args(lr, steps, flow)
    return predicted_loss(eigenvalues, np.square(coefficients), t, eta)


def mode_energies(eigenvalues, coefficients, lr: float, steps, flow: bool = False) -> np.ndarray:
    """Predicted ½ λ_k c_k(t)²: rows = steps, columns = modes."""
    t, eta = _curve_args(lr, steps, flow)
    return _curve_energies(eigenvalues, np.square(coefficients), t, eta)


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DYN_KEY, stream)))


def start_dynamics(problem: DynamicsProblem, state: JobState | None = None) -> DynamicsStart:
    """Draw the teacher and inputs, decompose the Hessian (SVD of J, all P eigenvectors), build δ0.

    Raises Cancelled if cancelled here (nothing is computed yet), InputError if the start is
    unusable (zero Hessian, non-finite starting loss).
    """
    state = state or null_state()
    cfg, model = problem.config, problem.model
    act, p = model.act, problem.n_params
    state.report(0.0, "Hessian eigenvectors (SVD of J)")
    teacher, X = teacher_and_inputs(model, 0)
    spec = sample_spectrum(teacher, act, X, model.config.rtol, vectors=True, state=state)
    lam, V = spec.eigenvalues, spec.eigenvectors
    lam_max = float(lam[-1])
    if not lam_max > 0:
        raise InputError("the Hessian at this teacher is zero (nothing to learn); "
                         "use other weights or a nonzero --sigma2")
    lr = 1.0 / lam_max if cfg.lr == "auto" else float(cfg.lr)
    warnings = []
    if lr * lam_max >= 2.0:
        warnings.append(f"learning rate {lr:.4g} ≥ 2/λ_max = {2.0 / lam_max:.4g}: gradient descent "
                        f"is unstable along the top eigenvector and is expected to diverge")
    nonzero = np.flatnonzero(lam > spec.rank_tolerance)
    m = min(cfg.slow_modes, nonzero.size)
    if m < cfg.slow_modes:
        warnings.append(f"only {nonzero.size} nonzero eigenvalues (rank); following {m} slow modes "
                        f"instead of {cfg.slow_modes}")
    slow = nonzero[:m].copy()

    if problem.init_vector is not None:
        delta0 = problem.init_vector.copy()
    else:
        rng = _rng(model.config.seed, 0)
        eps = cfg.init_distance or defaults.INIT_DISTANCE
        if problem.init_modes is None:
            d = rng.standard_normal(p)
        else:
            idx = slow if problem.init_modes == "slow" else np.asarray(problem.init_modes)
            if idx.size == 0:
                raise InputError("--init-modes slow: the Hessian has no nonzero eigenvalue")
            d = V[:, idx] @ rng.standard_normal(idx.size)
        delta0 = eps * d / np.linalg.norm(d)
    coefficients = V.T @ delta0
    state.check()

    targets = forward(teacher, act, X)
    L0 = _Network(teacher, act).loss(delta0, X, targets)
    if not math.isfinite(L0):
        raise InputError("the loss at the start is not finite; start closer (smaller --init-distance)")
    if L0 == 0.0:
        warnings.append("the loss at the start is zero: δ0 does not change the output on these inputs")
    target = L0 * 10.0 ** (-cfg.target_decades)

    flow, T = cfg.flow, cfg.steps
    with np.errstate(over="ignore", invalid="ignore"):
        def curve(ts):
            return linearized_loss(lam, coefficients, lr, ts, flow)
        lin0 = float(curve([0])[0])
        if lin0 <= 0.0:
            warnings.append("δ0 has no component along nonzero modes: the linearised loss is zero")
        tta = first_step(lambda ts: curve(ts) <= lin0 * 10.0 ** (-cfg.target_decades), T) \
            if lin0 > 0 else None

        def slow_share_above_half(ts):
            total = curve(ts)
            part = linearized_loss(lam[slow], coefficients[slow], lr, ts, flow)
            return (total > 0) & (part > 0.5 * total)
        takeover = first_step(slow_share_above_half, T) if m > 0 else None

    if not problem.full_batch:
        warnings.append("mini-batch SGD: the linearised curves describe full-batch gradient descent")
    return DynamicsStart(problem, teacher, X, targets, spec, lr, delta0, coefficients, slow,
                         L0, target, tuple(warnings), tta, takeover)


# ============================================================================ the trajectory

@dataclass(frozen=True)
class TrajectorySeries:
    """The per-recorded-step arrays shared by a chunk and a whole result: rows = recorded steps
    (mode_energy_*: rows × slow modes)."""
    steps: np.ndarray
    loss: np.ndarray
    loss_linearized: np.ndarray
    loss_flow: np.ndarray
    mode_energy_predicted: np.ndarray
    mode_energy_actual: np.ndarray
    slow_share_predicted: np.ndarray
    slow_share_actual: np.ndarray


@dataclass(frozen=True)
class TrajectoryChunk(TrajectorySeries):
    """The steps recorded since the previous chunk, with predictions at the same steps.

    steps (int), loss (actual), loss_linearized ((1 − ηλ)^(2t) form), loss_flow (e^(−2ηλt)):
    length n. mode_energy_predicted / mode_energy_actual: n × m (slow modes, in the order of
    DynamicsStart.slow_modes); actual = ½ λ_k (v_k·δ(t))². slow_share_predicted /
    slow_share_actual: Σ over slow modes of those energies over the predicted / actual loss.
    step: the last step reached so far; status: "running" until the last chunk, which has
    "finished", "diverged" or "cancelled" and final_delta (θ − θ* at the last step).
    time_to_target_actual, takeover_step_actual: so far (None: not yet).
    """
    step: int
    total_steps: int
    status: str
    time_to_target_actual: int | None
    takeover_step_actual: int | None
    elapsed_seconds: float
    final_delta: np.ndarray | None = field(default=None, repr=False)   # θ − θ*, last chunk only
    # replay: δ(t) at some of the recorded steps (iter_trajectory's `snapshots`), rows × P
    snapshot_steps: np.ndarray | None = field(default=None, repr=False)
    snapshots: np.ndarray | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.status != "running"


class _Recorder:
    """Collects (step, loss, slow projections) and turns them into chunks with predictions."""

    def __init__(self, start: DynamicsStart, snapshot_every: int = 0):
        self.start = start
        self.snapshot_every = snapshot_every     # keep δ at every k-th recorded row (0: none)
        self.rows = 0
        self.snap_steps: list[int] = []
        self.snaps: list[np.ndarray] = []
        self.lam = start.eigenvalues
        self.c = start.coefficients
        self.slow = start.slow_modes
        self.lam_slow = self.lam[self.slow]
        self.V_slow = np.ascontiguousarray(start.spectrum.eigenvectors[:, self.slow])
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.proj: list[np.ndarray] = []
        self.last = -1
        self.takeover: int | None = None
        self.t0 = time.monotonic()

    def add(self, t: int, loss: float, delta: np.ndarray) -> None:
        if t == self.last:
            return
        self.steps.append(t)
        self.losses.append(loss)
        self.proj.append(self.V_slow.T @ delta)
        self.last = t
        if self.snapshot_every and self.rows % self.snapshot_every == 0:
            self._snap(t, delta)
        self.rows += 1

    def _snap(self, t: int, delta: np.ndarray) -> None:
        self.snap_steps.append(t)
        self.snaps.append(delta.copy())

    def __len__(self):
        return len(self.steps)

    def chunk(self, step: int, status: str, tta: int | None,
              final_delta: np.ndarray | None = None) -> TrajectoryChunk:
        s = self.start
        lr, flow = s.lr, s.problem.config.flow
        steps = np.asarray(self.steps, dtype=np.int64)
        loss = np.asarray(self.losses, dtype=float)
        m = self.slow.size
        proj = np.asarray(self.proj, dtype=float).reshape(len(self.steps), m)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            lin = linearized_loss(self.lam, self.c, lr, steps)
            lin_flow = linearized_loss(self.lam, self.c, lr, steps, flow=True)
            e_pred = mode_energies(self.lam_slow, self.c[self.slow], lr, steps, flow)
            e_act = 0.5 * self.lam_slow * np.square(proj)
            base = lin_flow if flow else lin
            share_pred = np.where(base > 0, e_pred.sum(axis=1) / np.where(base > 0, base, 1.0), np.nan)
            share_act = np.where(loss > 0, e_act.sum(axis=1) / np.where(loss > 0, loss, 1.0), np.nan)
        if self.takeover is None and m:
            hits = np.flatnonzero(share_act > 0.5)
            if hits.size:
                self.takeover = int(steps[hits[0]])
        if self.snapshot_every and final_delta is not None and \
                (not self.snap_steps or self.snap_steps[-1] != self.last) and self.last >= 0:
            self._snap(self.last, final_delta)            # the replay always reaches the end
        p = self.lam.size
        snap_steps = np.asarray(self.snap_steps, dtype=np.int64)
        snaps = np.asarray(self.snaps, dtype=float).reshape(len(self.snaps), p)
        self.steps, self.losses, self.proj = [], [], []
        self.snap_steps, self.snaps = [], []
        return TrajectoryChunk(steps, loss, lin, lin_flow, e_pred, e_act, share_pred, share_act,
                               step, s.problem.config.steps, status, tta, self.takeover,
                               time.monotonic() - self.t0, final_delta, snap_steps, snaps)


def _batches(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, b: int):
    """Endless mini-batches: each epoch a fresh permutation, cut into ⌊N/B⌋ batches of B."""
    n = X.shape[0]
    per_epoch = n // b
    while True:
        perm = rng.permutation(n)
        Xp, yp = X[perm], y[perm]
        for i in range(per_epoch):
            yield Xp[i * b:(i + 1) * b], yp[i * b:(i + 1) * b]


def iter_trajectory(start: DynamicsStart | DynamicsProblem, state: JobState | None = None,
                    chunk_seconds: float = 0.1, snapshots: int = 0) -> Iterator[TrajectoryChunk]:
    """Train from θ* + δ0 and yield TrajectoryChunk objects about every `chunk_seconds`.

    The last chunk (possibly with no steps) carries the final status. Given a DynamicsProblem,
    start_dynamics runs first. Cancel through `state` at any time: the loop stops after the
    current step, records it, and the last chunk has status "cancelled". snapshots > 0 keeps
    δ(t) itself at about that many of the recorded steps, evenly spaced, and the last one (a
    replay's frames; at most snapshots + 1 of them, P floats each).
    """
    state = state or null_state()
    if isinstance(start, DynamicsProblem):
        start = start_dynamics(start, state)
    cfg = start.problem.config
    net = _Network(start.teacher, start.problem.model.act)
    X, y = start.inputs, start.targets
    T, K, lr = cfg.steps, cfg.record_every, start.lr
    L0, target = start.initial_loss, start.target_loss
    threshold = DIVERGENCE_FACTOR * L0 if L0 > 0 else math.inf
    delta = start.delta0.copy()
    grad = np.empty_like(delta)
    rows = start.problem.max_records
    rec = _Recorder(start, -(-rows // snapshots) if snapshots > 0 else 0)
    tta: int | None = None
    status = "running"
    last_emit = time.monotonic()
    loss = L0
    t = 0

    def progress():
        try:
            state.report(t / T, f"step {t}/{T}, loss {loss:.3g}")
        except Cancelled:
            pass                       # noticed at the next step, which keeps the partial run

    # A step is a few N×Ni by Ni×Nh products: its size, not the default, sets the BLAS threads
    step_flops = 6.0 * (X.shape[0] if start.problem.full_batch else cfg.batch) * start.teacher.n_params
    with np.errstate(over="ignore", invalid="ignore", under="ignore"), blas_threads(step_flops):
        if start.problem.full_batch:
            while True:
                loss = net.loss_and_gradient(delta, X, y, grad) if t < T else net.loss(delta, X, y)
                if not (loss <= threshold and math.isfinite(loss)):     # NaN, ∞ or a blow-up
                    rec.add(t, loss, delta)
                    status = "diverged"
                    break
                if tta is None and loss <= target:
                    tta = t
                if t % K == 0 or t == T:
                    rec.add(t, loss, delta)
                if t == T:
                    status = "finished"
                    break
                if state.cancelled:
                    rec.add(t, loss, delta)
                    status = "cancelled"
                    break
                delta -= lr * grad
                t += 1
                now = time.monotonic()
                if len(rec) and now - last_emit >= chunk_seconds:
                    yield rec.chunk(t, "running", tta)
                    progress()
                    last_emit = time.monotonic()
        else:
            batches = _batches(_rng(start.problem.model.config.seed, 1), X, y, cfg.batch)
            rec.add(0, loss, delta)
            if tta is None and loss <= target:
                tta = 0
            while True:
                if t == T:
                    status = "finished"
                    break
                if state.cancelled:
                    if rec.last != t:
                        loss = net.loss(delta, X, y)
                        rec.add(t, loss, delta)
                    status = "cancelled"
                    break
                Xb, yb = next(batches)
                batch_loss = net.loss_and_gradient(delta, Xb, yb, grad)
                delta -= lr * grad
                t += 1
                if t % K == 0 or t == T or not (batch_loss <= threshold and math.isfinite(batch_loss)):
                    loss = net.loss(delta, X, y)    # the full N-sample loss at recorded steps
                    rec.add(t, loss, delta)
                    if not (loss <= threshold and math.isfinite(loss)):
                        status = "diverged"
                        break
                    if tta is None and loss <= target:
                        tta = t
                now = time.monotonic()
                if len(rec) and now - last_emit >= chunk_seconds:
                    yield rec.chunk(t, "running", tta)
                    progress()
                    last_emit = time.monotonic()
    if status != "cancelled":
        progress()
    yield rec.chunk(t, status, tta, delta)


# ============================================================================ the result

def _cat(chunks: list[TrajectoryChunk], name: str, width: int | None = None) -> np.ndarray:
    parts = [getattr(c, name) for c in chunks]
    if not parts:
        return np.empty((0,) if width is None else (0, width))
    return np.concatenate(parts, axis=0)


@dataclass(frozen=True)
class DynamicsResult(TrajectorySeries):
    """A whole run (or the part computed before divergence or cancel).

    Per recorded step (length n; see TrajectoryChunk): steps, loss, loss_linearized, loss_flow,
    slow_share_predicted, slow_share_actual; n × m: mode_energy_predicted, mode_energy_actual.
    Per mode (length P, ascending): eigenvalues, coefficients (c_k = v_k·δ0).
    slow_modes: indices into eigenvalues of the m followed modes (the columns above).
    status: "finished", "diverged" or "cancelled"; warnings: messages for the user.
    time_to_target, takeover_step: Pair(predicted, actual) steps (None: not within the run);
    the target is target_loss = initial_loss·10^(−d) (the prediction uses L_lin(0)·10^(−d)).
    final_step: the last step reached; final_delta: θ − θ* there. lr: the step used;
    stability_limit: 2/λ_max. config: every setting used (flat dict, seed included).
    """
    slow_modes: np.ndarray
    eigenvalues: np.ndarray
    coefficients: np.ndarray
    rank: int
    rank_tolerance: float
    lr: float
    stability_limit: float
    initial_loss: float
    initial_loss_linearized: float
    target_loss: float
    status: str
    warnings: tuple[str, ...]
    time_to_target: Pair
    takeover_step: Pair
    final_step: int
    config: dict
    elapsed_seconds: float
    final_delta: np.ndarray | None = field(default=None, repr=False)

    @property
    def slow_eigenvalues(self) -> np.ndarray:
        return self.eigenvalues[self.slow_modes]

    def to_dict(self) -> dict:
        """The JSON document (`dynamics` CLI): every field but final_delta."""
        d = {k: getattr(self, k) for k in (
            "config", "status", "warnings", "steps", "loss", "loss_linearized", "loss_flow",
            "eigenvalues", "rank", "rank_tolerance", "slow_modes", "mode_energy_predicted",
            "mode_energy_actual", "slow_share_predicted", "slow_share_actual", "coefficients",
            "lr", "stability_limit", "initial_loss", "initial_loss_linearized", "target_loss",
            "final_step", "elapsed_seconds")}
        d["slow_eigenvalues"] = self.slow_eigenvalues
        d["n_params"] = int(self.eigenvalues.size)
        d["time_to_target"] = self.time_to_target._asdict()
        d["takeover_step"] = self.takeover_step._asdict()
        d["warnings"] = list(self.warnings)
        return d


def collect_result(start: DynamicsStart, chunks: Iterable[TrajectoryChunk]) -> DynamicsResult:
    """Concatenate a run's chunks (the last one carries the status) into a DynamicsResult."""
    chunks = list(chunks)
    if not chunks:
        raise ValueError("no chunks: the trajectory never started")
    last = chunks[-1]
    m = start.slow_modes.size
    spec = start.spectrum
    series = {f.name: _cat(chunks, f.name, m if f.name.startswith("mode_energy") else None)
              for f in fields(TrajectorySeries)}
    series["steps"] = series["steps"].astype(np.int64)
    return DynamicsResult(
        **series,
        slow_modes=start.slow_modes, eigenvalues=spec.eigenvalues, coefficients=start.coefficients,
        rank=spec.rank, rank_tolerance=spec.rank_tolerance, lr=start.lr,
        stability_limit=start.stability_limit, initial_loss=start.initial_loss,
        initial_loss_linearized=start.initial_loss_linearized, target_loss=start.target_loss,
        status=last.status, warnings=start.warnings + ((f"training diverged at step {last.step}",)
                                                        if last.status == "diverged" else ()),
        time_to_target=Pair(start.predicted_time_to_target, last.time_to_target_actual),
        takeover_step=Pair(start.predicted_takeover_step, last.takeover_step_actual),
        final_step=last.step, config=start.config, elapsed_seconds=last.elapsed_seconds,
        final_delta=last.final_delta)


def run_dynamics(problem: DynamicsProblem | DynamicsStart, state: JobState | None = None,
                 on_chunk: Callable[[TrajectoryChunk], None] | None = None,
                 chunk_seconds: float = 0.1) -> DynamicsResult:
    """start_dynamics (if given a problem), iter_trajectory, collect_result: the whole run."""
    state = state or null_state()
    start = problem if isinstance(problem, DynamicsStart) else start_dynamics(problem, state)
    chunks = []
    for chunk in iter_trajectory(start, state, chunk_seconds):
        chunks.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return collect_result(start, chunks)
