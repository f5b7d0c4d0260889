"""`python main.py theory`: the random-matrix law of the linear-network spectrum (docs/methods.md §3).

Writes the density and CDF of the law of the nonzero Hessian eigenvalues on a grid that resolves
the support edges, with its support, point masses and total mass, to a JSON file.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

from .. import laws
from ..errors import InputError
from ..fileio import check_writable, write_json
from ..memory import Estimate
from ..validate import sigmas, whole
from ._flags import add_flags, add_json_output

HELP = "random-matrix law of the linear-network spectrum (density, CDF, support)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flags(parser, "theory", helps={
        "samples": "number of training inputs N: the finite-data law (Marchenko–Pastur–"
                   "Silverstein, ratio Ni/N), normalised over the nonzero eigenvalues (N of them "
                   "when N < Ni). Default: the N → ∞ law",
        "population": "the N → ∞ law (population Hessian); this is the default"})
    parser.add_argument("--law", choices=("pooled", "conditional"), default="pooled",
                        help="pooled: over random teachers, s ~ σ2²·χ²(Nh) (χ² ⊛ Marchenko–Pastur "
                             "when N → ∞); conditional: one teacher with ‖W2‖² = s (Marchenko–"
                             "Pastur shifted by s, with an atom at s when Ni > Nh)")
    parser.add_argument("--s", type=float, metavar="S",
                        help="conditional law only: the teacher's s = ‖W2‖² (default: its mean "
                             "σ2²·Nh)")
    parser.add_argument("--grid", type=int, default=2000, metavar="G",
                        help=f"grid points, {laws.GRID_MIN} to {laws.GRID_MAX}: Chebyshev-"
                             "clustered at the support edges (a law with several support "
                             "intervals gives each at least 17, so it may have a few more)")
    add_json_output(parser)


def _resolve(args: argparse.Namespace) -> dict:
    """Validate the flags and fill in the defaults."""
    whole(args.ni, "Ni", "--ni"), whole(args.nh, "Nh", "--nh")
    if args.samples is not None:
        whole(args.samples, "the number of samples", "--samples (or leave it out for the N → ∞ law)")
    sigma1, sigma2 = sigmas(args.ni, args.nh, args.sigma1, args.sigma2)
    s = None
    if args.law == "pooled":
        if args.s is not None:
            raise InputError("--s fixes one teacher's ‖W2‖², so it needs --law conditional; "
                             "drop --s for the pooled law")
    else:
        s = sigma2 * sigma2 * args.nh if args.s is None else args.s
        if not math.isfinite(s) or s <= 0:
            raise InputError(f"--s must be a positive finite number (‖W2‖² > 0), got {s}")
    if not laws.GRID_MIN <= args.grid <= laws.GRID_MAX:
        raise InputError(f"--grid must be between {laws.GRID_MIN} and {laws.GRID_MAX} points, "
                         f"got {args.grid}")
    return {"ni": args.ni, "nh": args.nh, "sigma1": sigma1, "sigma2": sigma2,
            "samples": args.samples, "law": args.law, "s": s, "grid": args.grid}


def estimate(args: argparse.Namespace) -> Estimate:
    cfg = _resolve(args)
    check_writable(args.json)
    return laws.estimate(cfg["law"], cfg["samples"], cfg["grid"])


def run(args: argparse.Namespace) -> int:
    cfg = _resolve(args)
    check_writable(args.json)
    laws.estimate(cfg["law"], cfg["samples"], cfg["grid"]).require(
        f"the {cfg['law']} law on {cfg['grid']} grid points", "use a smaller --grid")
    start = time.perf_counter()
    if cfg["law"] == "pooled":
        law = laws.pooled_law(cfg["ni"], cfg["nh"], cfg["sigma1"], cfg["sigma2"],
                              samples=cfg["samples"], grid=cfg["grid"])
    else:
        law = laws.conditional_law(cfg["ni"], cfg["nh"], cfg["sigma1"], cfg["s"],
                                   samples=cfg["samples"], grid=cfg["grid"])
    seconds = time.perf_counter() - start
    config = dict(cfg, command="theory",
                  mode="population" if cfg["samples"] is None else "sample",
                  ratio_gamma=cfg["ni"] / cfg["nh"],
                  ratio_c=None if cfg["samples"] is None else cfg["ni"] / cfg["samples"],
                  normalisation="over the nonzero eigenvalues",
                  method=law.label, grid_points=int(law.lam.size), tail_mass=laws.TAIL,
                  seconds=seconds)
    doc = {"lambda": law.lam, "density": law.density, "cdf": law.cdf,
           "support": list(law.support), "atoms": [list(a) for a in law.atoms],
           "mass": law.mass, "config": config}
    write_json(args.json, doc)
    if abs(law.mass - 1.0) > 1e-3:
        sys.stderr.write(f"warning: the law's mass is {law.mass:.6f}, not 1 within 1e-3; "
                         "please report the flags used\n")
    print(f"wrote {args.json}: {law.label}; support [{law.support[0]:.6g}, {law.support[1]:.6g}], "
          f"{len(law.atoms)} atom(s), mass {law.mass:.6f} ({seconds:.2f} s)")
    return 0
