"""`python main.py spectrum`: Hessian eigenvalues and rank of one teacher or an ensemble."""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..ensemble import Problem, TeacherResult, compute_one, iter_spectra, prepare
from ..ensemble import estimate as estimate_spectra
from ..errors import InputError
from ..memory import FLOAT, Estimate
from ..fileio import check_writable, same_file, write_atomic, write_json
from ..jobs import JobState
from ..progress import ProgressBar
from ..theory import theory_record
from ._flags import add_flags, add_json_output, config_from_args

HELP = "Hessian eigenvalues and rank at the teacher-student optimum"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flags(parser, "spectrum")
    parser.add_argument("--eigenvectors", metavar="OUT.npz",
                        help="also write teacher 1's eigenvalues (P, ascending) and eigenvectors "
                             "(P×P, column k belongs to eigenvalue k; rows in parameter order, W1 "
                             "row by row, then W2) to this .npz, written atomically")
    add_json_output(parser)


def teacher_record(res: TeacherResult) -> dict:
    s = res.spectrum
    record = {"index": res.index, "eigenvalues": s.eigenvalues, "rank": s.rank,
              "rank_tolerance": s.rank_tolerance, "w2_norm_sq": s.w2_norm_sq}
    if s.mode == "population":
        # how the Gaussian expectations were taken: closed form (erf, polynomials) or quadrature
        record["expectations"] = "closed form" if s.quadrature_nodes is None else "quadrature"
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


def _vector_estimate(problem: Problem) -> Estimate:
    """The run with teacher 1's eigenvectors: its peak with the vectors' factors
    (ensemble.estimate with vectors=True), the P×P matrix kept until it is written, and the
    time of the general route with vectors (also for linear g, whose fast path has none)."""
    n, p = problem.n_samples, problem.n_params
    seconds = 0.003 + 6e-10 * (n * p * min(n, p) if n else p ** 3)     # measured, QR + SVD or eigh
    return estimate_spectra(problem, vectors=True) + Estimate(FLOAT * p * p, seconds)


def _problem(args: argparse.Namespace, check: bool = True) -> Problem:
    vectors = args.eigenvectors is not None
    problem = prepare(config_from_args(args), check and not vectors)
    if check and vectors:
        mode = "population" if problem.n_samples is None else "sample"
        _vector_estimate(problem).require(
            f"the {mode} Hessian with its eigenvectors (P = {problem.n_params}"
            + (f", N = {problem.n_samples})" if problem.n_samples else ")"),
            "use fewer samples (--samples), smaller Ni or Nh, or drop --eigenvectors")
    check_writable(args.json, inputs=(args.weights, args.inputs))
    if vectors:
        check_writable(args.eigenvectors, inputs=(args.weights, args.inputs))
        if same_file(Path(args.eigenvectors), Path(args.json)):
            raise InputError(f"--eigenvectors and --json both name {str(args.json)!r}; give "
                             "two different files")
    return problem


def estimate(args: argparse.Namespace) -> Estimate:
    problem = _problem(args, check=False)
    return _vector_estimate(problem) if args.eigenvectors is not None else estimate_spectra(problem)


def _spectra(problem: Problem, state: JobState, vectors: bool):
    """Every teacher's result without inputs or eigenvectors (K × N × Ni, K × P² otherwise),
    and teacher 1's eigenvectors when asked for (the others are computed without)."""
    if not vectors:
        return [r.for_display() for r in iter_spectra(problem, state)], None
    k_total = problem.n_teachers
    results, kept = [], None
    for k in range(k_total):
        state.report(k / k_total, f"teacher {k + 1}/{k_total}")
        res = compute_one(problem, k, k == 0, state.sub(k / k_total, (k + 1) / k_total))
        if res.spectrum.eigenvectors is not None:
            kept = res.spectrum
            res = replace(res, spectrum=replace(res.spectrum, eigenvectors=None))
        results.append(res.for_display())
    state.report(1.0, f"{k_total} teacher{'s' if k_total > 1 else ''} done")
    return results, kept


def write_eigenvectors(path, spectrum) -> None:
    """eigenvalues (P, ascending) and eigenvectors (P×P, columns) as an .npz, atomically."""
    write_atomic(path, lambda fh: np.savez(fh, eigenvalues=spectrum.eigenvalues,
                                           eigenvectors=spectrum.eigenvectors), binary=True)


def run(args: argparse.Namespace) -> int:
    vectors = args.eigenvectors is not None
    problem = _problem(args)
    bar = ProgressBar()
    start = time.perf_counter()
    try:
        results, kept = _spectra(problem, JobState(bar), vectors)
    finally:
        bar.close()
    doc = result_document(problem, results)
    if vectors:
        existed = os.path.exists(args.eigenvectors)
        write_eigenvectors(args.eigenvectors, kept)
        try:
            write_json(args.json, doc)
        except BaseException:
            if not existed:          # no half of a result: the .npz goes with the failed JSON
                try:
                    os.unlink(args.eigenvectors)
                except OSError:
                    pass
            raise
    else:
        write_json(args.json, doc)
    print(summary(args.json, problem, doc, time.perf_counter() - start)
          + (f"; eigenvectors in {args.eigenvectors}" if vectors else ""))
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
