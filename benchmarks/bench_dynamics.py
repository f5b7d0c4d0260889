"""Benchmark: gradient-descent steps per second against one forward pass (not a test).

    python benchmarks/bench_dynamics.py                 # erf, Ni = Nh = 50, N = 10 000
    python benchmarks/bench_dynamics.py --skip-full     # kernel only (no SVD, no recording)
    python benchmarks/bench_dynamics.py --activation tanh --ni 20 --nh 20 --samples 4000

Prints, in one run: the time of one forward pass y = g(X W1ᵀ)·W2 (engine.model.forward), of one
loss-and-gradient step (the kernel of engine.dynamics), and of one step of the full trajectory
(iter_trajectory with recording every step: projections on the slow modes, predictions,
chunks), each as a ratio to the forward pass. Target: a step within 4 forward passes.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from engine.dynamics import (DynamicsConfig, _Network, iter_trajectory,  # noqa: E402
                             prepare_dynamics, start_dynamics)
from engine.ensemble import SpectrumConfig, teacher_and_inputs  # noqa: E402
from engine.model import forward  # noqa: E402
from timing import interleaved  # noqa: E402


def repeat(fn, n: int):
    def run():
        for _ in range(n):
            fn()
        return n
    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--activation", default="erf")
    ap.add_argument("--ni", type=int, default=50)
    ap.add_argument("--nh", type=int, default=50)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=200, help="steps timed in the full trajectory")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--skip-full", action="store_true", help="skip the SVD and the full trajectory")
    args = ap.parse_args()

    sc = SpectrumConfig(activation=args.activation, ni=args.ni, nh=args.nh, samples=args.samples, seed=0)
    problem = prepare_dynamics(sc, DynamicsConfig(lr="auto", steps=args.steps, record_every=1))
    teacher, X = teacher_and_inputs(problem.model, 0)
    act = problem.model.act
    y = forward(teacher, act, X)
    net = _Network(teacher, act)
    delta = 1e-2 * np.random.default_rng(1).standard_normal(teacher.n_params) / np.sqrt(teacher.n_params)
    grad = np.empty_like(delta)

    fns = {"forward pass (engine.model.forward)": repeat(lambda: forward(teacher, act, X), args.repeats),
           "loss only (one forward at θ* + δ)": repeat(lambda: net.loss(delta, X, y), args.repeats),
           "loss + gradient (one GD step)": repeat(lambda: net.loss_and_gradient(delta, X, y, grad),
                                                    args.repeats)}
    t_svd = None
    if not args.skip_full:
        t0 = time.perf_counter()
        start = start_dynamics(problem)
        t_svd = time.perf_counter() - t0

        def trajectory():
            chunks = list(iter_trajectory(start))
            return chunks[-1].step + 1          # steps 0..T: T updates and T + 1 evaluations
        fns[f"full trajectory step (record every step, {start.slow_modes.size} slow modes)"] = trajectory
    times = interleaved(fns, rounds=3 if not args.skip_full else 7)
    t_fwd = times["forward pass (engine.model.forward)"]
    rows = list(times.items())

    print(f"{args.activation}, Ni = {args.ni}, Nh = {args.nh}, N = {args.samples}, "
          f"P = {teacher.n_params}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    print(f"{'':<62} {'ms':>8} {'per s':>8} {'× fwd':>7}")
    for name, t in rows:
        print(f"{name:<62} {1e3 * t:8.2f} {1 / t:8.1f} {t / t_fwd:7.2f}")
    if t_svd is not None:
        print(f"(setup: Hessian eigenvectors by SVD of the {args.samples}×{teacher.n_params} Jacobian, "
              f"{t_svd:.1f} s, once per run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
