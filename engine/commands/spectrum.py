"""`python main.py spectrum`: Hessian eigenvalues and rank of one teacher or an ensemble."""
from __future__ import annotations

import argparse

import numpy as np

from ..ensemble import Problem, TeacherResult, iter_spectra, prepare
from ..fileio import check_writable, write_json
from ..jobs import JobState
from .common import add_json_output, add_model_arguments, config_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--teachers", type=int, default=1, metavar="K",
                        help="number of teachers, from seeds derived from --seed (1 with --weights)")
    parser.add_argument("--rtol", type=float, metavar="R",
                        help="rank tolerance relative to the largest singular value of J (sample mode, "
                             "default max(N,P)·ε) or to the largest eigenvalue of H (population, default P·ε)")
    parser.add_argument("--nodes", type=int, metavar="Q",
                        help="quadrature nodes per dimension, population mode (default: Gauss–Hermite, "
                             "exact, for polynomials; for erf and tanh a trapezoidal rule with spacing "
                             "0.2/√max(1, max_j |w_j|²), converged to ~1e-13)")
    add_json_output(parser)


def teacher_record(res: TeacherResult) -> dict:
    s = res.spectrum
    record = {"index": res.index, "eigenvalues": s.eigenvalues, "rank": s.rank,
              "rank_tolerance": s.rank_tolerance, "w2_norm_sq": s.w2_norm_sq}
    if s.quadrature_nodes is not None:
        record["quadrature_nodes"] = s.quadrature_nodes
    return record


def nonzero_eigenvalues(problem: Problem, results: list[TeacherResult]) -> np.ndarray:
    """Linear networks: each teacher's min(Ni, N) nonzero eigenvalues (the rest are exact zeros
    of rank H = Ni), pooled — what the random-matrix law describes."""
    k = problem.ni if problem.n_samples is None else min(problem.ni, problem.n_samples)
    return np.concatenate([r.spectrum.eigenvalues[-k:] for r in results])


def theory_record(problem: Problem, results: list[TeacherResult]) -> dict:
    """KS distance of the pooled nonzero eigenvalues to the law matching the mode."""
    from ..laws import linear_law

    law = linear_law(problem.ni, problem.nh, problem.sigma1, problem.sigma2, problem.n_samples)
    eig = nonzero_eigenvalues(problem, results)
    return {"law": law.label, "ks_distance": law.ks_distance(eig), "n_eigenvalues": int(eig.size)}


def result_document(problem: Problem, results: list[TeacherResult]) -> dict:
    doc = {"config": problem.resolved_config(), "n_params": problem.n_params,
           "predicted_rank": problem.predicted_rank, "rank_upper_bound": problem.rank_upper_bound,
           "teachers": [teacher_record(r) for r in results]}
    if problem.act.is_linear:
        doc["theory"] = theory_record(problem, results)
    return doc


def run(args: argparse.Namespace) -> int:
    from ..cli import ProgressBar

    problem = prepare(config_from_args(args, teachers=args.teachers, rtol=args.rtol,
                                       quadrature_nodes=args.nodes))
    check_writable(args.json)
    bar = ProgressBar()
    try:
        results = list(iter_spectra(problem, JobState(bar)))
    finally:
        bar.close()
    write_json(args.json, result_document(problem, results))
    return 0
