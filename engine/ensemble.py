"""Spectra of K teachers drawn from one seed, computed one after another and streamed.

`SpectrumConfig` is what a user chooses (CLI flags, GUI panel, saved JSON); `prepare` checks it
and loads files once, so bad input fails before any computation; `iter_spectra` yields each
teacher's result as it finishes, which is what the GUI's live histogram consumes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterator

import numpy as np

from . import defaults
from .activations import ACTIVATION_HELP, Activation, parse_activation
from .errors import InputError
from .jobs import JobState, null_state
from .memory import FLOAT, JSON_NUMBER, Estimate
from .settings import FileName, Parse, Positive, Switch, Whole, check_fields, setting
from .validate import sigmas
from .model import (Teacher, load_inputs, load_teacher, n_params,
                    sample_inputs, sample_teacher, teacher_rng)
from .rank import predicted_rank, rank_upper_bound
from .population import uses_quadrature
from .spectrum import NOT_FINITE, Spectrum, population_spectrum, sample_spectrum

MAX_SIZE = 100_000
RTOL_WHY = ("it is relative to the largest singular value (or eigenvalue), so {:g} leaves no "
            "rank at all")


MODEL_COMMANDS = ("spectrum", "landscape", "dynamics", "sweep")
ALL = (*MODEL_COMMANDS, "theory")


@dataclass(frozen=True)
class SpectrumConfig:
    """What a user chooses (CLI flags, GUI panel, saved JSON): each field is a setting, declared
    once here (engine.settings); docs/settings.md lists them."""
    activation: str = setting(
        defaults.ACTIVATION, "the activation g: a name, power:K or poly:c0,c1,... (the list: "
        "`spectrum --help`)", flag_help=ACTIVATION_HELP, check=Parse(parse_activation, "an activation"),
        flag="--activation", commands=MODEL_COMMANDS, required=MODEL_COMMANDS, metavar="ACT",
        label="activation g", widget="activation")
    ni: int = setting(
        defaults.NI, "input dimension Ni", noun="Ni", check=Whole(hi=MAX_SIZE), flag="--ni",
        commands=ALL, required=ALL, label="inputs  Ni", widget="spin", panel=(1, 5000), sweep=True)
    nh: int = setting(
        defaults.NH, "hidden units Nh", noun="Nh", check=Whole(hi=MAX_SIZE), flag="--nh",
        commands=ALL, required=ALL, label="hidden  Nh", widget="spin", panel=(1, 5000), sweep=True)
    population: bool = setting(
        False, "the population Hessian, N → ∞: exact expectations over Gaussian inputs, no "
        "sampling noise (closed forms, or quadrature for tanh)", check=Switch(),
        flag="--population", commands=("spectrum", "landscape", "sweep", "theory"), exclusive="data",
        label="data", widget="choice", choices=((False, "N samples"), (True, "population  (N → ∞)")))
    samples: int | None = setting(      # None: defaults.default_samples(P), or the rows of `inputs`
        None, "number of inputs N (default: 4·P, or the rows of --inputs)",
        noun="the number of samples", check=Whole(), flag="--samples", commands=ALL,
        exclusive="data", metavar="N", label="samples  N", widget="spin", panel=(1, 10_000_000),
        special=("auto (4·P)", None), sweep=True)
    sigma1: float | None = setting(     # standard deviations; None: 1/√Ni and 1/√Nh
        None, "standard deviation of the teacher's W1 entries (default 1/√Ni)", check=Positive(),
        flag="--sigma1", commands=ALL, metavar="S", label="σ1  (W1 std)", widget="sci",
        panel=(1e-300, 1e12), special=("auto", None), factor=2 ** 0.5, sweep=True)
    sigma2: float | None = setting(
        None, "standard deviation of the teacher's W2 entries (default 1/√Nh)", check=Positive(),
        flag="--sigma2", commands=ALL, metavar="S", label="σ2  (W2 std)", widget="sci",
        panel=(1e-300, 1e12), special=("auto", None), factor=2 ** 0.5, sweep=True)
    teachers: int = setting(
        defaults.TEACHERS, "number of teachers K, from seeds derived from --seed (1 with "
        "--weights)", noun="the number of teachers", check=Whole(),
        flag="--teachers", commands=("spectrum", "sweep"), metavar="K", label="teachers  K",
        widget="spin", panel=(1, 1_000_000))
    seed: int = setting(
        defaults.SEED, "seed for teachers and inputs (numpy PCG64): the same seed gives the same "
        "run", check=Whole(lo=0), flag="--seed", commands=MODEL_COMMANDS, metavar="SEED",
        label="seed", widget="spin", panel=(0, 2 ** 31 - 1))
    weights: str | None = setting(      # .npz with W1 (Nh×Ni), W2 (Nh): then teachers = 1
        None, "teacher weights: arrays W1 (Nh×Ni) and W2 (Nh); implies one teacher",
        check=FileName(), flag="--weights", commands=("spectrum", "landscape", "dynamics"),
        metavar="FILE.npz")
    inputs: str | None = setting(       # .npy (N×Ni)
        None, "inputs, an N×Ni array", check=FileName(), flag="--inputs",
        commands=("spectrum", "landscape", "dynamics"), metavar="FILE.npy")
    rtol: float | None = setting(       # rank tolerance, relative (see spectrum.py)
        None, "rank tolerance relative to the largest singular value of J (sample mode, default "
        "max(N,P)·ε) or to the largest eigenvalue of H (population, default P·ε); eigenvalues "
        "above it count as nonzero", check=Positive(below=1.0, why=RTOL_WHY), flag="--rtol",
        commands=MODEL_COMMANDS, metavar="R")
    quadrature_nodes: int | None = setting(   # population mode; None: per activation
        None, "population mode: integrate by quadrature with Q nodes per dimension (default: "
        "closed forms for erf and polynomials, exact; for tanh a trapezoidal rule with spacing "
        "0.2/√max(1, max_j |w_j|²), converged to ~1e-13)", noun="quadrature nodes",
        check=Whole(), flag="--nodes", commands=("spectrum", "landscape"), metavar="Q")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    """A checked configuration with its files loaded: everything a run needs."""
    config: SpectrumConfig
    act: Activation
    sigma1: float
    sigma2: float
    n_samples: int | None            # None in population mode
    teacher: Teacher | None = field(default=None, repr=False)   # fixed teacher from --weights
    inputs: np.ndarray | None = field(default=None, repr=False)

    @property
    def ni(self) -> int:
        return self.config.ni

    @property
    def nh(self) -> int:
        return self.config.nh

    @property
    def n_params(self) -> int:
        return n_params(self.ni, self.nh)

    @property
    def n_teachers(self) -> int:
        return 1 if self.teacher is not None else self.config.teachers

    @property
    def predicted_rank(self) -> int | None:
        return predicted_rank(self.act, self.ni, self.nh, self.n_samples)

    @property
    def rank_upper_bound(self) -> int:
        return rank_upper_bound(self.act, self.ni, self.nh, self.n_samples)

    def with_teachers(self, k: int) -> "Problem":
        """The same problem with only the first k teachers (a preview of a large ensemble)."""
        return replace(self, config=replace(self.config, teachers=int(k)))

    def describe(self, done: int | None = None) -> str:
        """One line: activation, sizes, data, teachers (done of them, if given)."""
        n = "N → ∞ (population)" if self.n_samples is None else f"N={self.n_samples}"
        k = self.n_teachers
        teachers = f"{k} teacher{'s' if k != 1 else ''}" if done is None or done == k else \
            f"{done} of {k} teachers"
        return f"{self.act.name} · Ni={self.ni} · Nh={self.nh} · {n} · {teachers}"

    def resolved_config(self) -> dict:
        """Everything used, defaults filled in: enough to reproduce the run exactly."""
        d = self.config.to_dict()
        d.update(activation=self.act.name, sigma1=self.sigma1, sigma2=self.sigma2,
                 samples=self.n_samples, teachers=self.n_teachers,
                 mode="population" if self.n_samples is None else "sample")
        return d


def prepare(config: SpectrumConfig, check: bool = True, loaded: Problem | None = None) -> Problem:
    """Check every field, load the files, and (unless check=False, for --dry-run) the memory the
    run needs. `loaded`: a problem already prepared whose files this one names too (the same
    weights or inputs, the same sizes): its arrays are taken instead of reading them again."""
    clean = check_fields(config)
    act, ni, nh = clean["activation"], clean["ni"], clean["nh"]
    s1, s2 = sigmas(ni, nh, config.sigma1, config.sigma2)
    same = loaded is not None and (loaded.ni, loaded.nh) == (ni, nh)
    teacher = None
    if config.weights:
        teacher = loaded.teacher if same and loaded.config.weights == config.weights and \
            loaded.teacher is not None else load_teacher(config.weights, ni, nh)
    inputs = None
    if config.population:
        if config.samples is not None or config.inputs:
            raise InputError("population mode (N → ∞) uses no samples; drop --samples/--inputs or --population")
        n = None
    elif config.inputs:
        inputs = loaded.inputs if same and loaded.config.inputs == config.inputs and \
            loaded.inputs is not None else load_inputs(config.inputs, ni)
        n = inputs.shape[0]
        if config.samples is not None and config.samples != n:
            raise InputError(f"--samples {config.samples} disagrees with the {n} rows of the inputs file; drop --samples")
    else:
        n = defaults.default_samples(n_params(ni, nh)) if config.samples is None else clean["samples"]
    problem = Problem(config, act, s1, s2, n, teacher, inputs)
    if n is None and config.quadrature_nodes is None:
        from .population import check_default_rule
        check_default_rule(act, ni, nh, s1, teacher)
    if check:
        check_memory(problem)
    return problem


# Work arrays of the population quadrature per (neurons × Q × Q) element: the pre-activations,
# g and three derivatives of them, and their temporaries (measured, benchmarks/bench_memory.py).
QUADRATURE_ARRAYS = 8
# Python objects of one kept teacher result (dataclasses, array headers, its JSON record's dict)
RESULT_OVERHEAD = 3000.0


def quadrature_nodes(problem: Problem) -> int:
    """The node count the population quadrature will likely use (random teachers vary)."""
    from .population import likely_nodes
    return likely_nodes(problem.act, problem.ni, problem.nh, problem.sigma1,
                        problem.config.quadrature_nodes, problem.teacher)


def row_rank(problem: Problem) -> int:
    """The rank of W1 the population reduction will find: min(Ni, Nh) for random teachers,
    the given teacher's own."""
    if problem.teacher is not None:
        from .population import row_basis
        return row_basis(problem.teacher.W1).shape[1]
    return min(problem.ni, problem.nh)


def quadrature_elements(problem: Problem) -> int:
    """Largest (neurons × Q × Q) block population.pair_expectations holds at once."""
    from .population import MAX_CHUNK_ELEMENTS
    q = quadrature_nodes(problem)
    return min(problem.nh, max(1, MAX_CHUNK_ELEMENTS // (q * q))) * q * q


def estimate_bytes(problem: Problem, vectors: bool = False) -> float:
    """Peak memory of one teacher's spectrum, in bytes (float64 everywhere)."""
    p, ni, nh, n = problem.n_params, problem.ni, problem.nh, problem.n_samples
    if n is None:
        if problem.act.is_linear and not vectors:
            return FLOAT * 4 * ni * (ni + nh)
        # The reduced route (population.ReducedHessian): the core's W1–W1 block with one einsum
        # term at a time, the core and its symmetrised copy, the expectations (quadrature work
        # arrays, or a dozen Nh×Nh closed-form temporaries), W1 and its row-space copies, and
        # the P eigenvalues repeated, joined and sorted; with vectors the dense P×P
        # eigenvectors and their sorted copy, and the complement's basis.
        r = row_rank(problem)
        p1, pr = nh * r, nh * r + nh
        if uses_quadrature(problem.act, problem.config.quadrature_nodes):
            quad = FLOAT * QUADRATURE_ARRAYS * quadrature_elements(problem)
        else:
            quad = FLOAT * 12 * nh * nh
        total = FLOAT * (2 * p1 * p1 + 3 * pr * pr + 3 * ni * nh + 3 * p) + quad
        if vectors:
            total += FLOAT * (2 * p * p + ni * ni)
        return total
    inputs = FLOAT * n * ni
    if problem.act.is_linear and not vectors:
        return 3 * inputs + FLOAT * 3 * ni * ni
    m = min(n, p)
    if vectors:          # J, QR's copy of it, R and the SVD's two P×P factors (or the kernel's)
        return inputs + FLOAT * (2 * n * p + 4 * p * p + (3 * n * n if n < p else 0))
    return inputs + FLOAT * (2 * n * p + 2 * m * m)       # J and LAPACK's copy of it


def estimate_seconds(problem: Problem) -> float:
    """Rough time of one teacher's spectrum on one core (calibrated on this engine): what an
    automatic preview can afford."""
    ni, nh, p = problem.ni, problem.nh, problem.n_params
    n = problem.n_samples
    if problem.act.is_linear:
        return 0.002 + (1e-9 * n * ni * ni if n else 1e-9 * ni ** 3)
    if n is None:
        r = row_rank(problem)
        pr = nh * r + nh
        if uses_quadrature(problem.act, problem.config.quadrature_nodes):
            q = quadrature_nodes(problem)
            expect = 2e-8 * nh * nh * q * q
        else:
            expect = 2e-7 * nh * nh
        # the core's assembly (W1–W1 block) and eigvalsh on one core, sorting the P values
        return 0.003 + expect + 3e-8 * (nh * r) ** 2 + 1e-10 * pr ** 3 + 5e-8 * p
    return 0.003 + 1.2e-9 * n * p * min(n, p)


def estimate(problem: Problem, vectors: bool = False) -> Estimate:
    """The whole run: one teacher's peak, plus every teacher's result kept (eigenvalues and
    singular values) and the JSON encoding of the largest array."""
    k, p = problem.n_teachers, problem.n_params
    m = p if problem.n_samples is None else min(p, problem.n_samples)
    kept = k * (FLOAT * (2 * p + m) + RESULT_OVERHEAD)   # eigenvalues, σ's, teacher weights
    encode = JSON_NUMBER * p
    return Estimate(estimate_bytes(problem, vectors) + kept + encode, k * estimate_seconds(problem))


def check_memory(problem: Problem, vectors: bool = False) -> None:
    advice = ("use --population (no samples)" if problem.n_samples else "use smaller Ni or Nh")
    if problem.n_samples and problem.n_samples > 1:
        advice = "use fewer samples (--samples) or --population"
    if problem.n_teachers > 1:
        advice += ", or fewer --teachers"
    what = (f"the {'population' if problem.n_samples is None else 'sample'} Hessian "
            f"(P = {problem.n_params}" + (f", N = {problem.n_samples}" if problem.n_samples else "")
            + (f", {problem.n_teachers} teachers)" if problem.n_teachers > 1 else ")"))
    estimate(problem, vectors).require(what, advice)


@dataclass(frozen=True)
class TeacherResult:
    index: int
    teacher: Teacher
    spectrum: Spectrum
    inputs: np.ndarray | None = field(default=None, repr=False)   # the N×Ni inputs used (sample mode)

    def for_display(self) -> "TeacherResult":
        """The same result without the inputs: what a plot needs, cheap to send to a GUI."""
        return replace(self, inputs=None)


def teacher_and_inputs(problem: Problem, index: int) -> tuple[Teacher, np.ndarray | None]:
    """Teacher `index` and its inputs: W1, then W2, then X from the stream teacher_rng(seed, index)."""
    rng = teacher_rng(problem.config.seed, index)
    teacher = problem.teacher or sample_teacher(rng, problem.ni, problem.nh, problem.sigma1, problem.sigma2)
    if problem.n_samples is None:
        return teacher, None
    X = problem.inputs if problem.inputs is not None else sample_inputs(rng, problem.n_samples, problem.ni)
    return teacher, X


def compute_one(problem: Problem, index: int, vectors: bool = False,
                state: JobState | None = None) -> TeacherResult:
    state = state or null_state()
    teacher, X = teacher_and_inputs(problem, index)
    state.check()
    cfg = problem.config
    with np.errstate(over="ignore", invalid="ignore"):
        if X is None:
            spec = population_spectrum(teacher, problem.act, cfg.rtol, vectors, cfg.quadrature_nodes, state)
        else:
            spec = sample_spectrum(teacher, problem.act, X, cfg.rtol, vectors, state)
    if not (np.all(np.isfinite(spec.eigenvalues)) and np.isfinite(spec.rank_tolerance)):
        raise InputError(NOT_FINITE)
    return TeacherResult(index, teacher, spec, X)


def iter_spectra(problem: Problem, state: JobState | None = None,
                 vectors: bool = False) -> Iterator[TeacherResult]:
    """Yield each teacher's result as soon as it is computed; stops with Cancelled on cancel."""
    state = state or null_state()
    k_total = problem.n_teachers
    for k in range(k_total):
        state.report(k / k_total, f"teacher {k + 1}/{k_total}")
        yield compute_one(problem, k, vectors, state.sub(k / k_total, (k + 1) / k_total))
    state.report(1.0, f"{k_total} teacher{'s' if k_total > 1 else ''} done")


def run_spectra(problem: Problem, state: JobState | None = None,
                on_result: Callable[[TeacherResult], None] | None = None) -> list[TeacherResult]:
    results = []
    for res in iter_spectra(problem, state):
        results.append(res)
        if on_result is not None:
            on_result(res)
    return results
