"""A sweep from the window: one engine job per grid point on the window's own engine processes.

The window has one pool of processes (gui.engine_process.POOL) for everything it computes. A
sweep does not start a second pool inside one of them: it keeps up to `workers` point jobs
(gui.tasks.SweepPointRequest, one BLAS thread each) running at once, and the pool grows to that
many processes while it sweeps. Points arrive as they finish, in any order, as (index, record,
False) — the shape of engine.sweep.iter_sweep's items, which the command line's sweep streams
from its own process pool or Dask cluster. Cancel kills the processes of the points in flight
at once (a point is one long computation that does not look at its cancel flag).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from .tasks import SweepPointRequest
from .worker import Job


class SweepRunner(QObject):
    """Runs a grid (engine.sweep.Grid): `start()`, `cancel()`; ends with one `finished`."""

    point = Signal(object)            # (index, record, False) as each point finishes
    progress = Signal(float, str)
    failed = Signal(str)              # the first failing point's one line; the sweep stops
    finished = Signal(str)            # "finished", "cancelled" or "error"

    def __init__(self, grid, workers: int, parent: QObject | None = None):
        super().__init__(parent)
        self.grid = grid
        self.workers = max(1, int(workers))
        self.status: str | None = None    # set once, when the sweep ends
        self._next = 0                    # the next grid index to start
        self._done = 0
        self._jobs: dict[Job, int] = {}   # point jobs in flight → their grid index

    def start(self) -> None:
        self._fill()

    def cancel(self) -> None:
        """Stop now: the points in flight are killed; what finished stays."""
        if self.status is None:
            self._end("cancelled")

    def pids(self) -> list[int]:
        """The engine processes computing points now."""
        return [job.pid for job in self._jobs if job.pid is not None]

    def _fill(self) -> None:
        while self._next < len(self.grid) and len(self._jobs) < self.workers:
            index, self._next = self._next, self._next + 1
            job = Job(SweepPointRequest(self.grid.points[index]), self)
            job.result.connect(lambda record, i=index: self._record(i, record))
            job.error.connect(self._error)
            job.finished.connect(lambda status, j=job: self._job_finished(j, status))
            self._jobs[job] = index
            job.start()

    def _record(self, index: int, record: dict) -> None:
        if self.status is None:
            self.point.emit((index, record, False))

    def _error(self, message: str) -> None:
        if self.status is None:
            self.failed.emit(message)
            self._end("error")

    def _job_finished(self, job: Job, status: str) -> None:
        self._jobs.pop(job, None)
        if self.status is not None:
            return
        if status != "finished":          # cancelled from outside: the window is closing
            self._end(status)
            return
        self._done += 1
        total = len(self.grid)
        self.progress.emit(self._done / total, f"{self._done}/{total} points")
        if self._done == total:
            self._end("finished")
        else:
            self._fill()

    def _end(self, status: str) -> None:
        self.status = status
        for job in list(self._jobs):
            job.cancel(kill=True)
        self.finished.emit(status)
