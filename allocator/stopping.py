"""Stopping a running CP-SAT search from another thread (a cancelled job, Ctrl+C)."""

from __future__ import annotations

import threading

from ortools.sat.python import cp_model


class Watchdog:
    """Stops ``solver``'s running search, and any it starts later, once ``stop`` is set,
    until :meth:`close` (a stop event of ``None`` watches nothing)."""

    def __init__(self, solver: cp_model.CpSolver, stop: threading.Event | None) -> None:
        self.solver, self.stop, self.done = solver, stop, threading.Event()
        if stop is not None:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        assert self.stop is not None
        while not self.done.is_set():
            if self.stop.wait(0.05):
                # keep stopping: a stage may start after the first call
                self.solver.stop_search()
                self.done.wait(0.05)

    def close(self) -> None:
        self.done.set()
