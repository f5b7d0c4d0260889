"""Replay of a training run: the frames δ(t) the engine kept (engine.dynamics, REPLAY_FRAMES),
a position among them, and Play / Pause / Step.

One Replay belongs to the run controller; the Dynamics view shows its slider and a cursor on
the loss curve, the Landscape view the point on the slice and the per-mode energies, all from
the same `moved` signal, so they always show the same step. While training runs the position
follows the newest frame, until the user takes the slider.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

PLAY_MS = 60              # one frame per tick while playing


class Replay(QObject):
    moved = Signal(int, object)        # (step, δ at that step: P floats), or (-1, None): no frames
    changed = Signal()                 # frames were added or cleared (slider range)
    playing_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_MS)
        self._timer.timeout.connect(self._tick)
        self.clear()

    def clear(self) -> None:
        self.steps = np.zeros(0, dtype=np.int64)
        self.frames: list[np.ndarray] = []
        self.position = -1
        self.following = True          # the position tracks the newest frame
        self.pause()
        self.changed.emit()
        self.moved.emit(-1, None)

    def add_chunk(self, chunk) -> None:
        """Frames of an engine.dynamics.TrajectoryChunk (none when the run keeps none)."""
        steps = getattr(chunk, "snapshot_steps", None)
        if steps is None or len(steps) == 0:
            return
        self.steps = np.concatenate([self.steps, np.asarray(steps, dtype=np.int64)])
        self.frames.extend(np.asarray(chunk.snapshots, dtype=float))
        self.changed.emit()
        if self.following:
            self.seek(len(self.frames) - 1, follow=True)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def step(self) -> int:
        return int(self.steps[self.position]) if self.position >= 0 else -1

    def frame(self) -> np.ndarray | None:
        return self.frames[self.position] if self.position >= 0 else None

    def seek(self, index: int, follow: bool = False) -> None:
        """Show frame `index` (clipped); a seek by the user stops following the live run."""
        if not self.frames:
            return
        self.position = int(min(max(index, 0), len(self.frames) - 1))
        self.following = follow or self.position == len(self.frames) - 1 and self.following
        self.moved.emit(self.step, self.frames[self.position])

    def step_forward(self) -> None:
        self.pause()
        self.seek(self.position + 1)

    def play(self) -> None:
        if len(self.frames) < 2:
            return
        if self.position >= len(self.frames) - 1:
            self.seek(0)
        self.following = False
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.playing_changed.emit(False)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _tick(self) -> None:
        self.seek(self.position + 1)
        if self.position >= len(self.frames) - 1:
            self.pause()
