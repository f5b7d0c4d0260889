"""`python main.py dynamics`: gradient descent from near the optimum, resolved into eigenmodes."""
from __future__ import annotations

import argparse
import sys

from .. import defaults
from ..dynamics import (DynamicsConfig, estimate_dynamics, prepare_dynamics, run_dynamics,
                        start_dynamics)
from ..fileio import check_writable, write_json
from ..jobs import JobState
from ..memory import Estimate
from ..progress import ProgressBar
from ._flags import add_json_output, add_model_arguments, config_from_args

HELP = "gradient descent from near the optimum, resolved into eigenmodes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, population=False)
    parser.add_argument("--rtol", type=float, metavar="R",
                        help="rank tolerance relative to the largest singular value of J "
                             "(default max(N,P)·ε); eigenvalues above it count as nonzero")
    parser.add_argument("--lr", required=True, metavar="ETA",
                        help="step size η, or 'auto' for 1/λ_max (GD is stable for η < 2/λ_max)")
    parser.add_argument("--steps", type=int, required=True, metavar="T", help="number of updates")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--init-distance", type=float, metavar="EPS",
                       help=f"start at θ* + δ0 with |δ0| = EPS in a random (seeded) direction "
                            f"(default {defaults.INIT_DISTANCE:g})")
    start.add_argument("--init-file", metavar="D.npy",
                       help="δ0 itself: an .npy vector of length P (W1 row by row, then W2)")
    parser.add_argument("--init-modes", metavar="slow|I,J,..",
                        help="make δ0 a random combination of these Hessian eigenvectors only: 'slow' "
                             "(the --slow-modes slowest nonzero ones) or indices into the ascending "
                             "eigenvalues (negative from the top); default: all P directions")
    parser.add_argument("--batch", type=int, metavar="B",
                        help="mini-batch SGD with batches of B of the N inputs (seeded); default "
                             "full-batch gradient descent")
    parser.add_argument("--slow-modes", type=int, default=defaults.SLOW_MODES, metavar="M",
                        help="follow the M smallest nonzero eigenvalues")
    parser.add_argument("--record-every", type=int, default=defaults.RECORD_EVERY, metavar="K",
                        help="record every K-th step (the last step reached is always recorded)")
    parser.add_argument("--target-decades", type=float, default=defaults.TARGET_DECADES, metavar="D",
                        help="time to target: steps until the loss is 10^-D of its start")
    parser.add_argument("--flow", action="store_true",
                        help="base the predicted mode energies, time to target and takeover on "
                             "gradient flow e^(-2ηλt) instead of (1-ηλ)^(2t)")
    add_json_output(parser)


def dynamics_config_from_args(args: argparse.Namespace) -> DynamicsConfig:
    return DynamicsConfig(lr=args.lr, steps=args.steps, init_distance=args.init_distance,
                          init_file=args.init_file, init_modes=args.init_modes, batch=args.batch,
                          slow_modes=args.slow_modes, record_every=args.record_every,
                          target_decades=args.target_decades, flow=args.flow)


def _problem(args: argparse.Namespace, check: bool = True):
    problem = prepare_dynamics(config_from_args(args, rtol=args.rtol),
                               dynamics_config_from_args(args), check)
    check_writable(args.json, inputs=(args.weights, args.inputs, args.init_file))
    return problem


def estimate(args: argparse.Namespace) -> Estimate:
    return estimate_dynamics(_problem(args, check=False))


def run(args: argparse.Namespace) -> int:
    problem = _problem(args)
    bar = ProgressBar()
    try:
        state = JobState(bar)
        start = start_dynamics(problem, state.sub(0.0, 0.05))
        if start.warnings:
            bar.close()
            for w in start.warnings:
                sys.stderr.write(f"warning: {w}\n")
            bar = ProgressBar()
            state = JobState(bar)
        result = run_dynamics(start, state.sub(0.05, 1.0))
    finally:
        bar.close()
    if result.status == "diverged":
        sys.stderr.write(f"warning: training diverged at step {result.final_step}; "
                         f"the result up to there is written\n")
    write_json(args.json, result.to_dict())
    print(summary(args.json, result))
    return 0


def summary(path, result) -> str:
    """The line printed on success: how training went, against its linearisation."""
    takeover = result.takeover_step.actual
    slow = f"; slow modes take over at t = {takeover}" if takeover is not None else ""
    final = float(result.loss[-1]) if result.loss.size else float("nan")
    return (f"wrote {path}: {result.status} at step {result.final_step}, loss "
            f"{result.initial_loss:.3g} → {final:.3g} (η = {result.lr:.3g}){slow} "
            f"({result.elapsed_seconds:.2f} s)")
