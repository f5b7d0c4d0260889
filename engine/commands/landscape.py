"""`python main.py landscape`: the exact loss on the plane of two Hessian eigenvectors through
the optimum, beside its quadratic model (docs/methods.md §8)."""
from __future__ import annotations

import argparse
import math
import time

from .. import defaults
from ..ensemble import Problem, prepare
from ..fileio import check_writable, write_json
from ..jobs import JobState
from ..landscape import DEFAULT_GRID, MAX_GRID, compute_slice, estimate_slice, resolve_modes
from ..memory import Estimate
from ..progress import ProgressBar
from ..validate import positive, whole
from ._flags import add_flags, add_json_output, config_from_args

HELP = "the exact loss on the plane of two Hessian eigenvectors, beside its quadratic model"

KEYS = ("modes", "eigenvalues", "directions", "a", "b", "loss", "quadratic")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flags(parser, "landscape")
    parser.add_argument("--modes", metavar="I,J",
                        help="the two eigenvectors, as indices into the ascending eigenvalues "
                             "(negative from the top: -1 is the largest; write --modes=-2,-1 when "
                             "the first is negative); default: the smallest eigenvalue above the "
                             "rank tolerance and the largest")
    parser.add_argument("--grid", type=int, default=DEFAULT_GRID, metavar="G",
                        help=f"G×G grid points (3 to {MAX_GRID})")
    parser.add_argument("--span", type=float, metavar="S",
                        help="half-width of the slice in parameter norm: a, b run over [-S, S] "
                             f"(default √10·ε with ε = {defaults.INIT_DISTANCE:g} the training "
                             "start distance: there the quadratic model along the faster mode is "
                             "10× its loss at ε)")
    add_json_output(parser)


def _problem(args: argparse.Namespace, check: bool = True) -> Problem:
    """Every flag checked (nothing computed), and, unless check=False, the memory the run needs."""
    problem = prepare(config_from_args(args), check=False)
    if args.modes is not None:
        resolve_modes(args.modes, problem.n_params)
    whole(args.grid, "the grid size", "--grid", lo=3, hi=MAX_GRID)
    if args.span is not None:
        positive(args.span, "the span", "--span")
    if check:
        n = problem.n_samples
        estimate_slice(problem, args.grid).require(
            f"the loss slice (P = {problem.n_params}" + (f", N = {n}" if n else "")
            + f", {args.grid}×{args.grid} points)",
            "use a smaller --grid, fewer samples (--samples) or --population")
    check_writable(args.json, inputs=(args.weights, args.inputs))
    return problem


def estimate(args: argparse.Namespace) -> Estimate:
    return estimate_slice(_problem(args, check=False), args.grid)


def run(args: argparse.Namespace) -> int:
    problem = _problem(args)
    bar = ProgressBar()
    start = time.perf_counter()
    try:
        s = compute_slice(problem, args.modes, args.grid, args.span, state=JobState(bar))
    finally:
        bar.close()
    config = problem.resolved_config()
    config.update(modes=list(s.modes), grid=args.grid, span=s.span)
    data = s.to_dict()
    doc = {"config": config, **{k: data[k] for k in KEYS}}
    write_json(args.json, doc)
    print(summary(args.json, problem, s, time.perf_counter() - start))
    return 0


def summary(path, problem: Problem, s, seconds: float) -> str:
    """The line printed on success: the two modes, and how far the loss leaves its quadratic
    model at the edge of the slice."""
    i, j = s.modes
    edge = float(s.loss.max())
    model = float(s.quadratic.max())
    ratio = f"{edge / model:.3g}×" if model > 0 and math.isfinite(edge / model) else "n/a"
    return (f"wrote {path}: {problem.describe()}; modes {i} (λ {s.eigenvalues[0]:.4g}) and {j} "
            f"(λ {s.eigenvalues[1]:.4g}), {s.a.size}×{s.b.size} points over ±{s.span:.3g}; "
            f"largest loss {edge:.3g}, {ratio} its quadratic model ({seconds:.2f} s)")
