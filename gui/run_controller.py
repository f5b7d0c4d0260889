"""The run controller: what a run computes, in which order, and which results still count.

The window hands it a configuration (`run` for Ctrl+R, `preview` for the automatic re-run after
an edit); the controller plans the run (`make_plan`, engine checks first, so bad input never
starts a job), starts the jobs of gui/tasks.py, chains them (the theory law waits for the first
teacher's ‖W2‖² when it is a one-teacher law; the expected learning curve follows teacher 1's
spectrum; training follows a finished ensemble), cancels, and drops every result of a job that
is no longer part of the current run. Views and the window only listen to its signals.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from engine import defaults
from engine.dynamics import DynamicsProblem
from engine.ensemble import Problem, estimate_seconds
from engine.errors import InputError
from engine.landscape import default_modes
from engine.theory import LawChoice, law_choice

from .config import prepare_config, prepare_training, sweep_grid
from .zero_modes import ZeroModes
from .tasks import (AnatomyRequest, DynamicsRequest, ExpectedRequest, LandscapeRequest,
                    SpectrumRequest, TheoryRequest)
from .replay import Replay
from .sweep_runner import SweepRunner
from .worker import Job

PREVIEW_BUDGET_S = 1.0        # automatic re-runs compute as many teachers as fit in this
TRAIN_HINT = "Settings changed: press Run (Ctrl+R) to train."


def short_progress(message: str) -> str:
    """An engine's progress message as the status bar shows it: how far, in a few words
    ("teacher 20/40", "step 5644/20000") — the bar gives the fraction, the views the rest (the
    loss, what an SVD is of), and a longer text was cut to "teacher 20/4" at 1024 px."""
    text = re.sub(r"\s*\([^)]*\)", "", message)          # "(SVD of J)"
    return re.sub(r",\s*loss\b.*$", "", text).strip()    # ", loss 8.5e-11": the Dynamics view's


@dataclass(frozen=True)
class RunPlan:
    """A checked run: the problem shown, the part computed now, and what follows it."""
    problem: Problem                       # the whole ensemble the settings describe
    computed: Problem                      # what this run computes (a preview: fewer teachers)
    theory: LawChoice | None               # the law to overlay (linear networks)
    dynamics: DynamicsProblem | None       # training after the ensemble (full runs only)
    expected: dict | None                  # settings of the expected curve (when not training)
    dynamics_note: str = ""                # what the Dynamics view says meanwhile
    note: str = ""                         # e.g. "preview: 3 of 100 teachers — Run computes all"
    key: str = ""                          # spectrum_key of the configuration

    @property
    def complete(self) -> bool:
        return self.computed.n_teachers == self.problem.n_teachers


def spectrum_key(config: dict) -> str:
    """Everything that changes the spectrum (not the training or view settings)."""
    return json.dumps({k: config.get(k) for k in sorted(config) if k not in ("dynamics", "view")},
                      sort_keys=True, default=str)


def expected_settings(config: dict) -> dict:
    d = config["dynamics"]
    return {"eps": d.get("init_distance") or defaults.INIT_DISTANCE, "lr": d.get("lr", defaults.LR),
            "steps": int(d["steps"]), "slow_modes": int(d["slow_modes"])}


def make_plan(config: dict, full: bool) -> RunPlan | str:
    """The run for `config`: a RunPlan, or (preview only) the reason it is left to Run.

    Raises InputError for a bad setting, before anything is computed."""
    problem = prepare_config(config)        # the opened file's arrays, not read again
    dynamics, note = None, ""
    if config["dynamics"]["enabled"]:
        if problem.n_samples is None:
            note = "Dynamics trains on N samples: switch data to “N samples” to train."
        elif full:
            dynamics = prepare_training(config, problem)
            note = "Waiting for the spectrum…"
        else:
            note = TRAIN_HINT
    k, preview_note = problem.n_teachers, ""
    if not full:
        per_teacher = estimate_seconds(problem)
        fit = int(PREVIEW_BUDGET_S // max(per_teacher, 1e-6))
        if fit < 1 and per_teacher > 3 * PREVIEW_BUDGET_S:
            return f"{problem.describe()} · about {per_teacher:.0f} s per teacher: press Run (Ctrl+R)"
        k = max(1, min(k, fit))
        if k < problem.n_teachers:
            preview_note = f"preview: {k} of {problem.n_teachers} teachers — Run (Ctrl+R) computes all"
    computed = problem if k == problem.n_teachers else problem.with_teachers(k)
    return RunPlan(problem, computed, law_choice(problem), dynamics,
                   None if dynamics is not None else expected_settings(config),
                   note, preview_note, spectrum_key(config))


class RunController(QObject):
    """Owns the jobs of the current run. Signals carry engine objects, on the GUI thread."""

    started = Signal(object)              # RunPlan: views clear and get ready
    not_started = Signal(str, str)        # (error message or "", status text): nothing runs
    spectrum_result = Signal(object)      # engine.ensemble.TeacherResult, one per teacher
    theory_ready = Signal(object)         # engine.theory.TheoryCurve
    expected_ready = Signal(object)       # engine.curves.ExpectedCurve
    dynamics_reset = Signal(str)          # the trajectory shown is stale: clear, show this text
    dynamics_started = Signal(object)     # engine.dynamics.DynamicsStart (for display)
    dynamics_chunk = Signal(object)       # engine.dynamics.TrajectoryChunk
    anatomy_ready = Signal(object)        # engine.anatomy.Anatomy of teacher 1
    landscape_ready = Signal(object)      # engine.landscape.Slice
    mode_selected = Signal(int)           # an eigenvalue of teacher 1 picked (ascending index)
    sweep_started = Signal(object)        # engine.sweep.Grid
    sweep_point = Signal(object)          # (index, record, reused) as each point finishes
    sweep_finished = Signal(str)          # "finished", "cancelled" or "error"
    job_done = Signal(str, str)           # (request name, status): e.g. redraw now
    busy = Signal()                       # a job started: the run can be cancelled
    progress = Signal(float, str)
    failed = Signal(str)                  # one line for the error banner
    finished = Signal(str)                # the run ended: "finished", "cancelled" or "error"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._jobs: dict[str, Job] = {}   # running jobs of the current run, by request name
        self._status = "finished"
        self.plan: RunPlan | None = None  # the run shown
        self.shown_key: str | None = None # spectrum settings the views show completely
        self._theory_waits = False
        self._pending_dynamics: DynamicsProblem | None = None
        self.first_spectrum = None        # teacher 1's Spectrum (the expected curve's input)
        self.wanted: set[str] = set()     # extra jobs the visible views need: "anatomy", "landscape"
        self.anatomy = None               # teacher 1's engine.anatomy.Anatomy, once known
        self.landscape_modes: tuple[int, int] | None = None   # None: the default pair
        self.replay = Replay(self)        # training's kept frames, shared by the views
        self.zero_modes = ZeroModes(self) # the one zero-mode tolerance every view reads
        self.zero_modes.changed.connect(self._zero_modes_changed)
        # A new run's frames replace the old ones; one that trains nothing has none to replay.
        self.started.connect(lambda _plan: self.replay.clear())
        self.dynamics_started.connect(lambda _start: self.replay.clear())
        self.dynamics_reset.connect(lambda _text: self.replay.clear())
        self.dynamics_chunk.connect(self.replay.add_chunk)
        self._handlers = {SpectrumRequest.name: self._spectrum_result,
                          TheoryRequest.name: self.theory_ready.emit,
                          ExpectedRequest.name: self.expected_ready.emit,
                          DynamicsRequest.name: self._dynamics_item,
                          AnatomyRequest.name: self._anatomy_result,
                          LandscapeRequest.name: self.landscape_ready.emit}
        self._sweep: SweepRunner | None = None   # the sweep: apart from the run's jobs

    # ------------------------------------------------------------------ control
    def is_running(self) -> bool:
        return bool(self._jobs)

    def run(self, config: dict) -> bool:
        """Ctrl+R: the whole ensemble, then the dynamics if enabled."""
        return self._start(config, full=True)

    def preview(self, config: dict) -> bool:
        """The automatic re-run after an edit: only what is cheap; when only the training
        settings changed, only the expected learning curve is redrawn."""
        if spectrum_key(config) == self.shown_key and not self.is_running():
            self.dynamics_reset.emit(TRAIN_HINT if config["dynamics"]["enabled"] else "")
            self.start_expected(expected_settings(config))
            return True
        return self._start(config, full=False)

    def cancel(self, quiet: bool = False) -> None:
        """Stop every job of the run (partial results stay). quiet: a new run replaces it."""
        if not self._jobs:
            return
        jobs = list(self._jobs.values())
        self._jobs.clear()
        self._pending_dynamics = None
        for job in jobs:
            job.cancel()
        if not quiet:              # a run replaced by a new one: started/not_started follows
            self.finished.emit("cancelled")

    def _start(self, config: dict, full: bool) -> bool:
        self.cancel(quiet=True)
        try:
            plan = make_plan(config, full)
        except InputError as exc:
            self.not_started.emit(str(exc), "Not run: fix the setting named in the message above.")
            return False
        if isinstance(plan, str):
            self.shown_key = None
            self.not_started.emit("", plan)
            return False
        self.plan = plan
        self.first_spectrum = None
        self.anatomy = None
        self.shown_key = plan.key if plan.complete or not full else None
        self._status = "finished"
        self._pending_dynamics = plan.dynamics
        self.started.emit(plan)
        self._theory_waits = plan.theory is not None and plan.theory.needs_teacher
        if plan.theory is not None and not self._theory_waits:
            self._submit_theory(plan.theory)
        self._submit(SpectrumRequest(plan.computed))
        return True

    def start_expected(self, settings: dict) -> None:
        """The expected learning curve of teacher 1 for these training settings (replacing
        any still being computed); nothing before teacher 1's spectrum is known."""
        if self.first_spectrum is None:
            return
        old = self._jobs.pop(ExpectedRequest.name, None)
        if old is not None:
            old.cancel()
        if not self._jobs:
            self._status = "finished"
        self._submit(ExpectedRequest(self.first_spectrum, **settings))

    def start_sweep(self, config: dict, axes) -> bool:
        """A sweep over `axes` ([(name, spec), …], engine.sweep) with `config`'s other settings:
        one job per point on the window's engine processes, cores − 1 at once
        (gui/sweep_runner.py); it runs beside the run's jobs and is cancelled on its own
        (cancel_sweep) or with them (Esc)."""
        from engine.sweep import default_workers
        try:
            grid = sweep_grid(config, axes)
        except InputError as exc:
            self.failed.emit(f"sweep: {exc}")
            return False
        self.cancel_sweep()
        runner = SweepRunner(grid, default_workers(), self)
        runner.point.connect(self.sweep_point)
        runner.progress.connect(lambda f, m: self.progress.emit(f, f"sweep: {m}"))
        runner.failed.connect(lambda m: self.failed.emit(f"sweep: {m}"))
        runner.finished.connect(lambda status, r=runner: self._sweep_ended(r, status))
        self._sweep = runner
        self.sweep_started.emit(grid)
        self.busy.emit()
        runner.start()
        return True

    def sweeping(self) -> bool:
        return self._sweep is not None

    def cancel_sweep(self) -> None:
        """Kill the points in flight; sweep_finished("cancelled") follows at once."""
        if self._sweep is not None:
            self._sweep.cancel()

    def _sweep_ended(self, runner, status: str) -> None:
        if runner is self._sweep:
            self._sweep = None
            self.sweep_finished.emit(status)

    def select_mode(self, k: int) -> None:
        """An eigenvalue of teacher 1 was picked (a click in the Spectrum or Rank view, a step
        in the Modes view): every view that shows a mode follows."""
        self.mode_selected.emit(int(k))

    def want(self, extras: set[str]) -> None:
        """The views now shown need these extra jobs: start what is missing for the run shown."""
        new = set(extras) - self.wanted
        self.wanted = set(extras)
        if new and self.plan is not None and self.first_spectrum is not None:
            if self.anatomy is None:
                self.start_anatomy()
            elif "landscape" in new:
                self.start_landscape(self.landscape_modes)

    def start_anatomy(self) -> None:
        """Teacher 1 taken apart, when a view wants it and the run is small enough."""
        if not self.wanted or self.plan is None or AnatomyRequest.name in self._jobs:
            return
        from engine.anatomy import MAX_PARAMS
        if self.plan.computed.n_params > MAX_PARAMS:
            self.failed.emit(f"mode anatomy unavailable: P = {self.plan.computed.n_params} is above "
                             f"{MAX_PARAMS} (all P² eigenvector entries); use smaller Ni or Nh")
            return
        self._submit(AnatomyRequest(self.plan.computed))

    def start_landscape(self, modes: tuple[int, int] | None = None) -> None:
        """The loss slice along modes (i, j) of teacher 1 (None: the default pair, the slowest
        mode above the window's zero-mode tolerance and the fastest)."""
        self.landscape_modes = modes
        if self.anatomy is None or "landscape" not in self.wanted:
            return
        old = self._jobs.pop(LandscapeRequest.name, None)
        if old is not None:
            old.cancel()
        spectrum = self.anatomy.spectrum
        if modes is None:
            modes = default_modes(spectrum.eigenvalues, self.zero_modes.tolerance(spectrum))
        self._submit(LandscapeRequest(self.plan.computed, spectrum, modes))

    def _zero_modes_changed(self) -> None:
        """The default slice depends on which modes are zero: draw it again."""
        if self.landscape_modes is None and self.anatomy is not None:
            self.start_landscape(None)

    def _anatomy_result(self, item) -> None:
        self.anatomy = item
        self.anatomy_ready.emit(item)
        if "landscape" in self.wanted:
            self.start_landscape(self.landscape_modes)

    # ------------------------------------------------------------------ jobs
    def _submit_theory(self, choice) -> None:
        if choice.has_law:                     # ‖W2‖² = 0: no law describes the run
            self._submit(TheoryRequest(choice))

    def _submit(self, request) -> None:
        job = Job(request, self)
        job.result.connect(lambda item, j=job: self._result(j, item))
        job.progress.connect(lambda f, m, j=job: self._progress(j, f, m))
        job.error.connect(lambda m, j=job: self._error(j, m))
        job.finished.connect(lambda s, j=job: self._job_finished(j, s))
        self._jobs[job.name] = job
        job.start()
        self.busy.emit()

    def _current(self, job: Job) -> bool:
        return self._jobs.get(job.name) is job

    def _result(self, job: Job, item) -> None:
        if self._current(job):
            self._handlers[job.name](item)

    def _dynamics_item(self, item) -> None:
        """The start first, then TrajectoryChunks (which carry a status)."""
        (self.dynamics_chunk if hasattr(item, "status") else self.dynamics_started).emit(item)

    def _spectrum_result(self, result) -> None:
        if result.index == 0:
            self.first_spectrum = result.spectrum
            if self._theory_waits:
                self._theory_waits = False
                self._submit_theory(self.plan.theory.with_teacher_s(result.spectrum.w2_norm_sq))
            if self._pending_dynamics is None and DynamicsRequest.name not in self._jobs \
                    and self.plan.expected is not None:
                self.start_expected(self.plan.expected)
        self.spectrum_result.emit(result)

    def _progress(self, job: Job, fraction: float, message: str) -> None:
        if not self._current(job):
            return
        if job.request.overlay and any(not j.request.overlay for j in self._jobs.values()):
            return                             # the main job's progress is the run's
        self.progress.emit(fraction, short_progress(message))

    def _error(self, job: Job, message: str) -> None:
        if not self._current(job):
            return
        if job.request.overlay:                # the spectrum stands without these curves
            self.failed.emit(f"{job.request.label} unavailable: {message}")
            return
        self.failed.emit(f"{job.name}: {message}")
        self._status = "error"

    def _job_finished(self, job: Job, status: str) -> None:
        if not self._current(job):
            return                             # a job of an earlier, cancelled run
        del self._jobs[job.name]
        if status == "error" and not job.request.overlay:
            self._status = "error"
        if job.name == SpectrumRequest.name:
            if status == "finished":
                self.start_anatomy()
            dynamics, self._pending_dynamics = self._pending_dynamics, None
            if status == "finished" and dynamics is not None:
                self.dynamics_reset.emit("Decomposing the Hessian (all P eigenvectors)…")
                self._submit(DynamicsRequest(dynamics))
        self.job_done.emit(job.name, status)
        if not self._jobs:
            self.finished.emit(self._status)
