"""Run jobs: a dispatcher thread in the server, solves in a pool of solver processes.

The database is the source of truth. The dispatcher claims queued jobs (oldest first) up to
``max_concurrent_solves`` and hands each to :func:`run_job` in a ``spawn`` process pool, so
solves never run on the event loop and a crashing solve cannot take the server down.

:func:`run_job` opens its own database engine, solves with a progress callback that only
records the latest :class:`allocator.Progress` in memory, and runs a watch thread that every
``POLL_SECONDS``

- writes the latest progress to the job row (at most ``1 / PROGRESS_INTERVAL`` writes a
  second, so the solver's callback never waits for the database),
- reads the row's ``cancel_requested`` and sets the solve's stop event (the engine then
  returns the best plan found so far),
- stops the solve when the job is gone or its lease was taken (deleted, re-queued), and
- ends the process when the server that started it died (the next server re-runs the job).

On start-up :func:`recover` re-queues the jobs a dead server left ``solving`` (or fails them
after ``MAX_ATTEMPTS``), so no job stays ``solving`` forever.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from allocator import InvalidInstance, Plan, Progress, SolveOptions, load_instance, solve
from api.core.config import Settings
from api.store import Job, Status, Store, leased_update, utcnow

log = logging.getLogger("allocator.api.runner")

POLL_SECONDS = 0.3
"""How often a solve process reads its job row (cancel requests) and flushes progress."""
PROGRESS_INTERVAL = 0.5
"""Least time between two progress writes of one job (at most 2 writes a second)."""
MAX_ATTEMPTS = 3
"""Solves of one job that may be cut short by a dead server or solver process."""
SOLVER_NICENESS = 10
"""Added to the solver processes' niceness: when solves keep every core busy, the server
process still gets the CPU at once, so status polls stay fast (a solve loses little)."""

CLEARED_PROGRESS: dict[str, Any] = {
    "stage": None,
    "stage_number": None,
    "stages": None,
    "solutions": None,
    "objective": None,
    "bound": None,
    "gap": None,
    "elapsed": None,
}


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``(objective - bound) / objective``, 0 when the bound meets the objective."""
    if objective is None or bound is None:
        return None
    if objective <= bound + 1e-9:
        return 0.0
    return (objective - bound) / abs(objective) if objective else None


def progress_values(progress: Progress) -> dict[str, Any]:
    """The job-row columns for one progress report.

    Every goal is a sum of non-negative terms, so a bound below zero (CP-SAT's bound early in
    the search) is reported as 0.
    """
    bound = None if progress.bound is None else max(0.0, progress.bound)
    return {
        "stage": progress.stage,
        "stage_number": progress.stage_number,
        "stages": progress.stages,
        "solutions": progress.solutions,
        "objective": progress.objective,
        "bound": bound,
        "gap": relative_gap(progress.objective, bound),
        "elapsed": round(progress.elapsed, 3),
    }


# --------------------------------------------------------------------------- solve process

_STORES: dict[str, Store] = {}


def _store(url: str) -> Store:
    """One engine per database per solver process, reused by its later jobs."""
    if url not in _STORES:
        _STORES[url] = Store(url)
    return _STORES[url]


def _init_solver_process() -> None:
    """Solver processes leave Ctrl+C to the server, which ends them on its way out, and
    yield the CPU to it (:data:`SOLVER_NICENESS`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not allowed here: the server's priority
            os.nice(SOLVER_NICENESS)


def warm_up() -> int:
    """A no-op job: starting the process imports the engine before the first real job."""
    return os.getpid()


class _Tracker:
    """The latest progress report, written by the solver's callback, read by the watch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: Progress | None = None
        self._version = 0

    def record(self, progress: Progress) -> None:
        with self._lock:
            self._latest, self._version = progress, self._version + 1

    def latest(self) -> tuple[Progress | None, int]:
        with self._lock:
            return self._latest, self._version


class _Watch(threading.Thread):
    """Polls the job row for cancel requests and a lost lease; flushes progress."""

    def __init__(
        self, store: Store, job_id: str, lease: str, tracker: _Tracker, parent_pid: int
    ) -> None:
        super().__init__(name=f"watch-{job_id}", daemon=True)
        self.store, self.job_id, self.lease = store, job_id, lease
        self.tracker, self.parent_pid = tracker, parent_pid
        self.stop = threading.Event()
        self.cancelled = False
        self.lost = False
        self._done = threading.Event()
        self._written = 0
        self._last_write = 0.0

    def run(self) -> None:
        while not self._done.wait(POLL_SECONDS):
            if os.getppid() != self.parent_pid:
                # The server died: its successor re-queues and re-runs the job.
                os._exit(0)
            try:
                self._poll()
                self.flush()
            except Exception:  # a busy or unreachable database: try again next time
                log.warning("job %s: cannot reach the job store", self.job_id, exc_info=True)

    def _poll(self) -> None:
        query = select(Job.lease, Job.status, Job.cancel_requested).where(Job.id == self.job_id)
        with self.store.sessions() as session:
            row = session.execute(query).one_or_none()
        if row is None or row.lease != self.lease or row.status != Status.SOLVING:
            self.lost = True
            self.stop.set()
        elif row.cancel_requested:
            self.cancelled = True
            self.stop.set()

    def flush(self) -> None:
        progress, version = self.tracker.latest()
        if progress is None or version == self._written or self.lost:
            return
        if time.monotonic() - self._last_write < PROGRESS_INTERVAL:
            return
        with self.store.sessions() as session:
            if not leased_update(session, self.job_id, self.lease, **progress_values(progress)):
                self.lost = True
                self.stop.set()
        self._written, self._last_write = version, time.monotonic()

    def close(self) -> None:
        self._done.set()
        self.join(timeout=5)


def _plan_columns(plan: Plan) -> dict[str, Any]:
    return {
        "plan_json": plan.model_dump_json(),
        "plan_status": plan.status,
        "plan_objective": json.dumps(plan.objective),
        "gap": plan.gap,
        "elapsed": round(plan.wall_seconds, 3),
    }


def stage_columns(plan: Plan, stage: str) -> dict[str, Any]:
    """The last stage's objective, bound and gap as the plan gives them: its last progress
    report may come before the stage's final bound (a proof at the end of the search), or
    come from an earlier stage (a last stage that found nothing better reports nothing).
    ``stage`` is the last stage reported; the plan's own list of stages comes first."""
    searched = [s["goal"] for s in plan.statistics.get("stages", []) if isinstance(s, dict)]
    where: dict[str, Any] = {}
    if searched:
        stage = searched[-1]
        where = {"stage": stage, "stage_number": len(searched)}
    if stage not in plan.objective:
        return where
    objective, bound = plan.objective[stage], plan.bound.get(stage)
    return {
        **where,
        "objective": objective,
        "bound": bound,
        "gap": relative_gap(objective, bound),
    }


def run_job(job_id: str, lease: str, database_url: str, workers: int, parent_pid: int) -> str:
    """Solve one claimed job in a solver process and store the outcome; returns its status.

    Returns ``"lost"`` (and writes nothing) when the job was deleted or re-queued meanwhile.
    A cancelled job keeps the best plan found before the stop, when there is one; a failing
    solve stores a plain reason, never a traceback.
    """
    store = _store(database_url)
    with store.sessions() as session:
        job = session.get(Job, job_id)
        if job is None or job.lease != lease or job.status != Status.SOLVING:
            return "lost"
        instance_json, time_limit = job.instance_json, job.time_limit
    tracker = _Tracker()
    watch = _Watch(store, job_id, lease, tracker, parent_pid)
    watch.start()
    outcome: dict[str, Any]
    try:
        instance = load_instance(json.loads(instance_json))
        options = SolveOptions(
            time_limit=time_limit, workers=workers, progress=tracker.record, stop=watch.stop
        )
        plan = solve(instance, options)
    except InvalidInstance as error:
        outcome = {"status": Status.FAILED, "error": f"the instance is invalid: {error}"}
    except Exception as error:
        log.exception("job %s: the solve failed", job_id)
        outcome = {"status": Status.FAILED, "error": f"the solver failed: {error!r}"}
    else:
        if watch.cancelled:
            found = plan.status in ("optimal", "feasible")
            outcome = {"status": Status.CANCELLED, **(_plan_columns(plan) if found else {})}
        else:
            outcome = {"status": Status.DONE, **_plan_columns(plan)}
    finally:
        watch.close()
    if watch.lost:
        return "lost"
    progress, _ = tracker.latest()
    final = {**(progress_values(progress) if progress else {}), **outcome}
    if "plan_json" in outcome and progress is not None:
        final.update(stage_columns(plan, progress.stage))
    with store.sessions() as session:
        stored = leased_update(session, job_id, lease, **final, lease=None, finished_at=utcnow())
    return str(outcome["status"]) if stored else "lost"


# --------------------------------------------------------------------------- server side


@dataclass(frozen=True)
class Claim:
    """A job the dispatcher took: its id, the lease that guards it, its attempt number."""

    job_id: str
    lease: str
    attempts: int


def claim_next(store: Store) -> Claim | None:
    """Mark the oldest queued job ``solving`` under a new lease (atomic; ``None`` if none).

    The update is conditional (``status = 'queued'``) and checks its row count, so two
    claimers never take one job, on SQLite and PostgreSQL alike. On PostgreSQL the select
    also locks the row it picks and skips rows other claimers hold (``FOR UPDATE SKIP
    LOCKED``); SQLite ignores that clause and serialises its writers anyway.
    """
    with store.sessions() as session:
        while True:
            oldest = (
                select(Job.id)
                .where(Job.status == Status.QUEUED)
                .order_by(Job.created_at, Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            job_id = session.scalar(oldest)
            if job_id is None:
                return None
            lease = str(uuid.uuid4())
            taken = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == Status.QUEUED)
                .values(
                    status=Status.SOLVING,
                    lease=lease,
                    attempts=Job.attempts + 1,
                    started_at=utcnow(),
                    **CLEARED_PROGRESS,
                )
            )
            session.commit()
            if getattr(taken, "rowcount", 0) == 1:
                attempts = session.scalar(select(Job.attempts).where(Job.id == job_id))
                return Claim(job_id, lease, int(attempts or 1))


def requeue_or_fail(store: Store, claim: Claim, reason: str, *, counted: bool = True) -> str:
    """Put a job whose solve was cut short back in the queue, or fail it after the last try.

    ``counted=False`` (a graceful shutdown) gives the attempt back.
    """
    with store.sessions() as session:
        if counted and claim.attempts >= MAX_ATTEMPTS:
            error = f"{reason} {claim.attempts} times while solving this job; giving up"
            values: dict[str, Any] = {
                "status": Status.FAILED,
                "error": error,
                "finished_at": utcnow(),
            }
        else:
            values = {"status": Status.QUEUED, "started_at": None, **CLEARED_PROGRESS}
            if not counted:
                values["attempts"] = Job.attempts - 1
        leased_update(session, claim.job_id, claim.lease, **values, lease=None)
        return str(values["status"])


def recover(store: Store) -> dict[str, str]:
    """Re-queue (or fail, after ``MAX_ATTEMPTS``) every job a dead server left ``solving``.

    Call it once at start-up, before the dispatcher runs: one server process serves a
    database at a time. Returns the new status of each recovered job.
    """
    with store.sessions() as session:
        rows = session.execute(
            select(Job.id, Job.lease, Job.attempts, Job.cancel_requested).where(
                Job.status == Status.SOLVING
            )
        ).all()
    outcome: dict[str, str] = {}
    for row in rows:
        claim = Claim(row.id, row.lease or "", row.attempts)
        if row.lease is None:  # written by hand or by an older version: take it over
            with store.sessions() as session:
                session.execute(update(Job).where(Job.id == row.id).values(lease=""))
                session.commit()
        if row.cancel_requested:
            with store.sessions() as session:
                leased_update(
                    session,
                    row.id,
                    claim.lease,
                    status=Status.CANCELLED,
                    error="cancelled; the server stopped before the solve ended",
                    finished_at=utcnow(),
                    lease=None,
                )
            outcome[row.id] = Status.CANCELLED
        else:
            outcome[row.id] = requeue_or_fail(store, claim, "the server stopped")
        log.warning("job %s was solving when the server stopped: now %s", row.id, outcome[row.id])
    return outcome


class Dispatcher:
    """Claims queued jobs and runs them in a process pool, up to the concurrency limit."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._running: dict[Future[str], Claim] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)

    # -- life cycle

    def start(self) -> None:
        self._pool = self._new_pool()
        self._pool.submit(warm_up)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    def notify(self) -> None:
        """Look for queued jobs now (a job was submitted)."""
        self._wake.set()

    def running(self) -> int:
        """Jobs being solved by this server now."""
        return len(self._running)

    def solver_pids(self) -> list[int]:
        """Process ids of the solver processes (for diagnostics)."""
        return [p.pid for p in _processes(self._pool) if p.pid is not None]

    def stop(self) -> None:
        """Stop dispatching, give running jobs back to the queue and end the solver processes.

        A graceful stop does not count against a job's attempts; the next server re-runs it.
        """
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for claim in list(self._running.values()):
            try:
                requeue_or_fail(self.store, claim, "the server stopped", counted=False)
            except Exception:
                log.exception("job %s: cannot re-queue it", claim.job_id)
        self._running.clear()
        if self._pool is not None:
            _terminate(self._pool)
            self._pool = None

    # -- the loop

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.settings.max_concurrent_solves,
            # No max_tasks_per_child: on Python 3.11 a pool using it can hang once a
            # worker retires while jobs are pending.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_solver_process,
        )

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._reap()
                self._fill()
            except Exception:  # e.g. the database is unreachable: keep trying
                log.exception("dispatcher: cannot dispatch")
            self._wake.wait(1.0)
            self._wake.clear()

    def _fill(self) -> None:
        while len(self._running) < self.settings.max_concurrent_solves:
            if self._stopping.is_set():
                return
            claim = claim_next(self.store)
            if claim is None:
                return
            self._submit(claim)

    def _submit(self, claim: Claim) -> None:
        if self._pool is None:
            self._pool = self._new_pool()
        args = (claim.job_id, claim.lease, self.store.url, self.settings.workers, os.getpid())
        try:
            future = self._pool.submit(run_job, *args)
        except (BrokenProcessPool, RuntimeError):
            self._replace_pool()
            future = self._pool_or_new().submit(run_job, *args)
        future.add_done_callback(lambda _: self._wake.set())
        self._running[future] = claim

    def _pool_or_new(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool

    def _replace_pool(self) -> None:
        if self._pool is not None:
            _terminate(self._pool)
        self._pool = self._new_pool()

    def _reap(self) -> None:
        broken = False
        for future in [f for f in self._running if f.done()]:
            claim = self._running.pop(future)
            try:
                status = future.result()
                log.info("job %s: %s", claim.job_id, status)
            except BrokenProcessPool:
                broken = True
                status = requeue_or_fail(self.store, claim, "the solver process stopped")
                log.warning("job %s: the solver process died; job now %s", claim.job_id, status)
            except Exception as error:
                log.exception("job %s: cannot run it", claim.job_id)
                with self.store.sessions() as session:
                    leased_update(
                        session,
                        claim.job_id,
                        claim.lease,
                        status=Status.FAILED,
                        error=f"the job could not be run: {error!r}",
                        finished_at=utcnow(),
                        lease=None,
                    )
        if broken:
            self._replace_pool()


def _processes(pool: ProcessPoolExecutor | None) -> list[multiprocessing.process.BaseProcess]:
    """The pool's worker processes (``concurrent.futures`` has no public accessor in 3.11)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down without waiting for its running solves."""
    processes = _processes(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
