"""Teacher 1 taken apart, for the window's Modes, Structure and Landscape views: every
eigenvector of H, a picture of H itself, the spectrum of the tangent kernel, and (networks
with symmetries: polynomials, relu) how the zero modes compare with them (docs/methods.md §9).

One function computes it all in the engine process; the GUI only draws the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ensemble import Problem, teacher_and_inputs
from .errors import InputError
from .jobs import JobState, null_state
from .model import Teacher, jacobian
from .modes import MAX_NTK_SAMPLES, SymmetryCheck, check_symmetries, ntk_eigenvalues
from .population import population_hessian
from .spectrum import Spectrum, population_spectrum, sample_spectrum

MAX_PARAMS = 4000          # every eigenvector is P² floats: 128 MB here, and an SVD with vectors
HEATMAP_CELLS = 400        # H is drawn on at most this many cells a side (block means beyond)
MAX_SYMMETRY_PARAMS = 600  # dT/dθ's SVD grows like P³ (docs/methods.md §9)
MAX_NTK = 3000             # the N×N kernel shown beside H (sample mode)


@dataclass(frozen=True)
class Anatomy:
    """spectrum: teacher 1's, with eigenvectors. heatmap: H (P×P) or its block means when P
    exceeds HEATMAP_CELLS (`cell` parameters a side per cell; `magnitude`: the block means of
    |H|, for a log colour scale). ntk: the tangent kernel's eigenvalues (sample mode, N ≤
    MAX_NTK), else None with `ntk_note` saying why. symmetry: networks with symmetries
    (engine.modes.symmetry_directions: polynomials, relu) and P ≤ MAX_SYMMETRY_PARAMS, else None."""
    ni: int
    nh: int
    mode: str                                  # "sample" or "population"
    teacher: Teacher = field(repr=False)
    spectrum: Spectrum = field(repr=False)
    heatmap: np.ndarray = field(repr=False)
    magnitude: np.ndarray = field(repr=False)
    cell: int
    ntk: np.ndarray | None = field(default=None, repr=False)
    ntk_note: str = ""
    symmetry: SymmetryCheck | None = None


def block_means(H: np.ndarray, cells: int = HEATMAP_CELLS) -> tuple[np.ndarray, np.ndarray, int]:
    """(means of H, means of |H|, cell size) over square blocks of `cell` parameters, so that a
    picture of H has at most `cells` cells a side; the last block may be partial."""
    p = H.shape[0]
    cell = max(1, -(-p // cells))
    if cell == 1:
        return H.copy(), np.abs(H), 1
    m = -(-p // cell)
    pad = m * cell - p
    Hp = np.pad(H, ((0, pad), (0, pad)))
    count = np.pad(np.ones((p, p)), ((0, pad), (0, pad))).reshape(m, cell, m, cell).sum(axis=(1, 3))
    signed = Hp.reshape(m, cell, m, cell).sum(axis=(1, 3)) / count
    mag = np.abs(Hp).reshape(m, cell, m, cell).sum(axis=(1, 3)) / count
    return signed, mag, cell


def anatomy(problem: Problem, state: JobState | None = None) -> Anatomy:
    """Teacher 1's eigen-decomposition and Hessian (the same teacher and inputs as the run)."""
    state = state or null_state()
    p = problem.n_params
    if p > MAX_PARAMS:
        raise InputError(f"taking the Hessian apart needs all P² eigenvector entries; P = {p} is "
                         f"above {MAX_PARAMS}: use smaller Ni or Nh")
    teacher, X = teacher_and_inputs(problem, 0)
    cfg = problem.config
    state.report(0.0, "eigenvectors of teacher 1")
    with np.errstate(over="ignore", invalid="ignore"):
        if X is None:
            spec = population_spectrum(teacher, problem.act, cfg.rtol, True, cfg.quadrature_nodes,
                                       state.sub(0.0, 0.6))
            H = population_hessian(teacher, problem.act, spec.quadrature_nodes)
        else:
            spec = sample_spectrum(teacher, problem.act, X, cfg.rtol, True, state.sub(0.0, 0.6))
            J = jacobian(teacher, problem.act, X)
            H = J.T @ J / X.shape[0]
    state.report(0.7, "Hessian picture")
    signed, mag, cell = block_means(H)
    ntk, note = None, ""
    if X is None:
        note = "the tangent kernel needs samples (population mode has none)"
    elif X.shape[0] > min(MAX_NTK, MAX_NTK_SAMPLES):
        note = f"the tangent kernel is N×N: shown for N ≤ {MAX_NTK} (N = {X.shape[0]})"
    else:
        state.report(0.8, "tangent kernel")
        ntk = ntk_eigenvalues(teacher, problem.act, X)
    symmetry = None
    if p <= MAX_SYMMETRY_PARAMS:         # None where g has no symmetries
        state.report(0.9, "symmetries")
        symmetry = check_symmetries(teacher, problem.act, spec.eigenvalues, spec.eigenvectors,
                                    spec.rank_tolerance)
    state.report(1.0, "anatomy done")
    return Anatomy(problem.ni, problem.nh, "population" if X is None else "sample", teacher,
                   spec, signed, mag, cell, ntk, note, symmetry)

