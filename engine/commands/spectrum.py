"""`python main.py spectrum`: Hessian eigenvalues and rank of one teacher or an ensemble."""
from __future__ import annotations

import argparse
import time

from ..ensemble import Problem, TeacherResult, iter_spectra, prepare
from ..ensemble import estimate as estimate_spectra
from ..memory import Estimate
from ..fileio import check_writable, write_json
from ..jobs import JobState
from ..progress import ProgressBar
from ..theory import theory_record
from ._flags import add_json_output, add_model_arguments, config_from_args

HELP = "Hessian eigenvalues and rank at the teacher-student optimum"


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


def result_document(problem: Problem, results: list[TeacherResult]) -> dict:
    doc = {"config": problem.resolved_config(), "n_params": problem.n_params,
           "predicted_rank": problem.predicted_rank, "rank_upper_bound": problem.rank_upper_bound,
           "teachers": [teacher_record(r) for r in results]}
    theory = theory_record(problem, [r.spectrum for r in results])
    if theory is not None:
        doc["theory"] = theory
    return doc


def _problem(args: argparse.Namespace, check: bool = True) -> Problem:
    problem = prepare(config_from_args(args, teachers=args.teachers, rtol=args.rtol,
                                       quadrature_nodes=args.nodes), check)
    check_writable(args.json, inputs=(args.weights, args.inputs))
    return problem


def estimate(args: argparse.Namespace) -> Estimate:
    return estimate_spectra(_problem(args, check=False))


def run(args: argparse.Namespace) -> int:
    problem = _problem(args)
    bar = ProgressBar()
    start = time.perf_counter()
    try:
        # each teacher's inputs are dropped once its spectrum is known (K × N × Ni otherwise)
        results = [r.for_display() for r in iter_spectra(problem, JobState(bar))]
    finally:
        bar.close()
    doc = result_document(problem, results)
    write_json(args.json, doc)
    print(summary(args.json, problem, doc, time.perf_counter() - start))
    return 0


def summary(path, problem: Problem, doc: dict, seconds: float) -> str:
    """The line printed on success: what was computed and its headline numbers."""
    ranks = [t["rank"] for t in doc["teachers"]]
    rank = str(ranks[0]) if min(ranks) == max(ranks) else f"{min(ranks)}–{max(ranks)}"
    pred = doc["predicted_rank"]
    theory = f", predicted {pred}" if pred is not None else f", bound {doc['rank_upper_bound']}"
    top = max(float(t["eigenvalues"][-1]) for t in doc["teachers"])
    theory_doc = doc.get("theory") or {}
    ks = f"; KS {theory_doc['ks_distance']:.3g} to the {theory_doc['law_kind']} law" \
        if theory_doc.get("ks_distance") is not None else ""
    return (f"wrote {path}: {problem.describe()}; rank {rank}/{problem.n_params}{theory}; "
            f"λ_max {top:.4g}{ks} ({seconds:.2f} s)")
