"""Flags shared by the subcommands, so that the same flag always means the same thing."""
from __future__ import annotations

import argparse

from ..activations import ACTIVATION_HELP
from ..ensemble import SpectrumConfig


def add_model_arguments(parser: argparse.ArgumentParser, population: bool = True) -> None:
    """--activation, --ni, --nh, --samples/--population, --seed, --sigma1/2, --weights, --inputs."""
    parser.add_argument("--activation", required=True, metavar="ACT", help=ACTIVATION_HELP)
    parser.add_argument("--ni", type=int, required=True, metavar="NI", help="input dimension Ni")
    parser.add_argument("--nh", type=int, required=True, metavar="NH", help="hidden units Nh")
    if population:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--samples", type=int, metavar="N",
                          help="number of inputs N (default: 4·P, or the rows of --inputs)")
        mode.add_argument("--population", action="store_true",
                          help="population Hessian, N → ∞ (Gauss–Hermite quadrature, no samples)")
    else:
        parser.add_argument("--samples", type=int, metavar="N",
                            help="number of inputs N (default: 4·P, or the rows of --inputs)")
    parser.add_argument("--seed", type=int, default=0, help="seed for teachers and inputs (numpy PCG64)")
    parser.add_argument("--sigma1", type=float, metavar="S",
                        help="standard deviation of W1 entries (default 1/√Ni)")
    parser.add_argument("--sigma2", type=float, metavar="S",
                        help="standard deviation of W2 entries (default 1/√Nh)")
    parser.add_argument("--weights", metavar="FILE.npz",
                        help="teacher weights: arrays W1 (Nh×Ni) and W2 (Nh); implies one teacher")
    parser.add_argument("--inputs", metavar="FILE.npy", help="inputs, an N×Ni array")


def add_json_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", required=True, metavar="OUT.json",
                        help="where to write the result (written atomically)")


def config_from_args(args: argparse.Namespace, **overrides) -> SpectrumConfig:
    fields = dict(activation=args.activation, ni=args.ni, nh=args.nh, samples=args.samples,
                  population=getattr(args, "population", False), seed=args.seed,
                  sigma1=args.sigma1, sigma2=args.sigma2, weights=args.weights, inputs=args.inputs)
    fields.update(overrides)
    return SpectrumConfig(**fields)
