"""What the GUI asks the engine to compute: one small frozen dataclass per kind of job.

A request is built on the GUI side from engine objects (which pickle as they are), sent pickled
to a warm engine process (gui/engine_process.py) by gui.worker.Job, and run there: its
`run(state)` is a generator whose items stream back to the GUI as results. `overlay` requests
draw extra curves (a theory law, an expected learning curve): when one fails, the run it
belongs to still stands. No Qt here: this module runs in the engine processes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterator

from engine.anatomy import anatomy
from engine.curves import expected_curve
from engine.dynamics import REPLAY_FRAMES, DynamicsProblem, iter_trajectory, start_dynamics
from engine.ensemble import Problem, SpectrumConfig, iter_spectra
from engine.jobs import JobState
from engine.landscape import compute_slice
from engine.spectrum import Spectrum
from engine.theory import LawChoice, theory_curve


class Request:
    """Base of the requests: `class X(Request, name="...", overlay=...)` names the job.
    `blas_threads` fixes the BLAS threads of its engine process (None: the window's choice)."""
    name: ClassVar[str] = "job"
    overlay: ClassVar[bool] = False
    label: ClassVar[str] = "job"   # what it draws, for messages ("theory curve")
    blas_threads: ClassVar[int | None] = None

    def __init_subclass__(cls, name: str | None = None, overlay: bool = False,
                          label: str | None = None, **kw):
        super().__init_subclass__(**kw)
        if name is not None:
            cls.name, cls.overlay, cls.label = name, overlay, label or name

    def run(self, state: JobState) -> Iterator:
        """In the engine process: yield results (each must pickle); check `state` often."""
        raise NotImplementedError


@dataclass(frozen=True)
class SpectrumRequest(Request, name="spectrum"):
    """The spectra of a problem's teachers, one result (TeacherResult) per teacher."""
    problem: Problem

    def run(self, state: JobState):
        for result in iter_spectra(self.problem, state):
            yield result.for_display()


@dataclass(frozen=True)
class TheoryRequest(Request, name="theory", overlay=True, label="theory curve"):
    """The random-matrix law of a linear network's run (engine.theory.TheoryCurve)."""
    choice: LawChoice

    def run(self, state: JobState):
        state.report(0.0, "theory law")
        yield theory_curve(self.choice)
        state.report(1.0, "theory law done")


@dataclass(frozen=True)
class ExpectedRequest(Request, name="expected", overlay=True, label="expected learning curve"):
    """The learning curve expected from one spectrum before any training (engine.curves)."""
    spectrum: Spectrum
    eps: float
    lr: float | str
    steps: int
    slow_modes: int

    def run(self, state: JobState):
        state.check()
        curve = expected_curve(self.spectrum, self.eps, self.lr, self.steps, self.slow_modes)
        if curve is not None:
            yield curve


@dataclass(frozen=True)
class DynamicsRequest(Request, name="dynamics"):
    """Training teacher 1 from near the optimum: the start (DynamicsStart, without the arrays
    only training needs), then every TrajectoryChunk."""
    problem: DynamicsProblem

    def run(self, state: JobState):
        start = start_dynamics(self.problem, state.sub(0.0, 0.05))
        yield start.for_display()
        yield from iter_trajectory(start, state.sub(0.05, 1.0), snapshots=REPLAY_FRAMES)


@dataclass(frozen=True)
class AnatomyRequest(Request, name="anatomy", overlay=True, label="mode anatomy"):
    """Teacher 1 taken apart (engine.anatomy.Anatomy): the Modes and Structure views."""
    problem: Problem

    def run(self, state: JobState):
        yield anatomy(self.problem, state)


@dataclass(frozen=True)
class LandscapeRequest(Request, name="landscape", overlay=True, label="loss landscape"):
    """The loss on the plane of two eigenvectors of teacher 1 (engine.landscape.Slice), from
    the anatomy's eigenvectors; modes None: the slowest above the tolerance and the fastest."""
    problem: Problem
    spectrum: Spectrum
    modes: tuple[int, int] | None = None

    def run(self, state: JobState):
        yield compute_slice(self.problem, self.modes, spectrum=self.spectrum, state=state)


@dataclass(frozen=True)
class SweepPointRequest(Request, name="sweep"):
    """One point of a sweep grid (engine.sweep.compute_point), with one BLAS thread: the
    window's sweep runs one such job per point on its own engine processes (gui/sweep_runner.py),
    as many at once as engine.sweep.default_workers()."""
    config: SpectrumConfig
    blas_threads: ClassVar[int | None] = 1

    def run(self, state: JobState):
        from engine.sweep import compute_point
        state.check()
        yield compute_point(self.config)
