"""`python main.py dynamics`: gradient descent from near the optimum, resolved into eigenmodes."""
from __future__ import annotations

import argparse
import sys

from ..dynamics import estimate_dynamics, prepare_dynamics, run_dynamics, start_dynamics
from ..fileio import check_writable, write_json
from ..jobs import JobState
from ..memory import Estimate
from ..progress import ProgressBar
from ._flags import add_flags, add_json_output, config_from_args, from_args

HELP = "gradient descent from near the optimum, resolved into eigenmodes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flags(parser, "dynamics")
    add_json_output(parser)


def _problem(args: argparse.Namespace, check: bool = True):
    problem = prepare_dynamics(config_from_args(args), from_args(args, "dynamics"), check)
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
