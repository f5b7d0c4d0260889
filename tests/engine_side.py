"""Requests for the engine processes that only tests need. They live in a module of their own,
importable by its full name (tests.engine_side) from the fresh interpreter of an engine process."""
from dataclasses import dataclass
from pathlib import Path

from engine.ensemble import prepare
from gui.tasks import SpectrumRequest


@dataclass(frozen=True)
class SpectrumFromVanishedInputs(SpectrumRequest):
    """In the engine process: delete the inputs file, then let the engine load it again."""

    def run(self, state):
        Path(self.problem.config.inputs).unlink()
        yield from SpectrumRequest(prepare(self.problem.config)).run(state)


def blas_threads_task(state, flops_list):
    """In the engine process: the BLAS threads OpenBLAS reports inside engine.threads'
    context for each amount of work (what the window's Run → BLAS threads reaches)."""
    from threadpoolctl import threadpool_info

    from engine.threads import blas_threads
    for flops in flops_list:
        with blas_threads(flops):
            yield max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
