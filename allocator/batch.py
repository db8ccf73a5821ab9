"""Batch solving: many instances through one ``concurrent.futures`` executor, resumable.

A batch is a list of :class:`BatchItem` (a name, the instance as JSON text, and the files it
came from). Each item travels to a worker as JSON text and its plan comes back as JSON text
(:func:`solve_json`, a top-level function, so any executor can pickle it): a local process
pool (:func:`local_backend`) or a Dask cluster (:func:`dask_backend`, through
``Client.get_executor()``). Any other ``concurrent.futures.Executor`` works too
(:func:`executor_backend`).

One bad instance never stops the batch: malformed JSON and invalid instances come back as
plans with status ``invalid`` and their problems, an infeasible instance as an ``infeasible``
plan with its explanation, and a solve that raises (or whose worker process dies) as a row
with status ``error``. Every plan is checked by :func:`allocator.check.check_plan` in the
worker.

Resume: ``OUTDIR/<name>.plan.json`` is up to date when it is newer than the item's source
files and records (``statistics["batch"]["key"]``) the hash of the instance text and of the
solve settings; up-to-date items are not solved again unless ``force`` is given.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import multiprocessing
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from allocator.check import check_plan
from allocator.documents import InvalidDocument, parse_json, same_file
from allocator.kpis import csv_safe
from allocator.schema import Plan, Problem
from allocator.solve import SolveOptions, solve
from allocator.terminal import printable
from allocator.validate import InvalidInstance, load_instance

__all__ = [
    "OK_STATUSES",
    "Backend",
    "BatchItem",
    "BatchObserver",
    "BatchResult",
    "BatchSettings",
    "InputError",
    "RichObserver",
    "Row",
    "collect_inputs",
    "dask_backend",
    "default_parallelism",
    "executor_backend",
    "file_items",
    "local_backend",
    "run_batch",
    "solve_json",
    "statistics_line",
    "summary_table",
]

PLAN_SUFFIX = ".plan.json"
SUMMARY_FILE = "summary.csv"
KEY_VERSION = 1
"""Part of every resume key: bump it when a plan of the same input would differ."""
OK_STATUSES = frozenset({"optimal", "feasible"})
"""Statuses of a row that counts as a good plan (when the checker accepts it too)."""
MAX_VIOLATIONS = 20
"""Checker violations kept in a plan's batch statistics."""


class InputError(ValueError):
    """The batch's inputs are unusable (nothing matches, names collide, bad scheduler)."""


@dataclass(frozen=True)
class BatchSettings:
    """Solve settings shared by every item of a batch.

    Attributes
    ----------
    time_limit
        Seconds per solve; ``None`` keeps each instance's ``solver.time_limit_seconds``.
    workers
        CP-SAT threads per solve.
    """

    time_limit: float | None = None
    workers: int = 1

    def key(self, text: str | bytes) -> str:
        """The resume key of an instance text solved with these settings (sha256, hex)."""
        settings = json.dumps(
            {"time_limit": self.time_limit, "workers": self.workers, "version": KEY_VERSION}
        )
        raw = text.encode() if isinstance(text, str) else text
        return hashlib.sha256(f"{settings}\n".encode() + raw).hexdigest()


@dataclass(frozen=True)
class BatchItem:
    """One instance of a batch.

    Attributes
    ----------
    name
        The row's name; the plan is written to ``OUTDIR/<name>.plan.json``.
    text
        The instance as JSON text (possibly malformed: it is reported, not raised).
    sources
        Files the instance was made from; a plan older than any of them is out of date.
    """

    name: str
    text: str | bytes
    sources: tuple[Path, ...] = ()

    @classmethod
    def from_file(cls, path: Path, name: str | None = None) -> BatchItem:
        """The item of an instance file (named after the file unless ``name`` is given).

        A file that is not UTF-8 keeps its bytes (the worker reports where it is not); an
        unreadable file gives an item whose text is empty (reported as invalid JSON).
        """
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b""
        try:
            text: str | bytes = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw
        return cls(name=name or _stem(path), text=text, sources=(path,))


@dataclass
class Row:
    """One line of the summary: the outcome of one item.

    ``run`` is ``"solved"`` (solved by this run) or ``"skipped"`` (its plan was up to date);
    ``wall_s`` is the item's time from the start of its job on a worker to its plan being
    back in the driver, ``solve_s`` the solve's own time, ``overhead_ms`` the difference.
    """

    instance: str
    status: str
    coverage: float | None = None
    coverage_bound: float | None = None
    cost: float | None = None
    cost_bound: float | None = None
    gap: float | None = None
    unmet_hours: float | None = None
    in_house_share: float | None = None
    wall_s: float | None = None
    solve_s: float | None = None
    overhead_ms: float | None = None
    check: str = ""
    run: str = "solved"
    error: str = ""
    plan: str = ""

    @property
    def ok(self) -> bool:
        """A good plan: optimal or feasible, and accepted by the checker."""
        return self.status in OK_STATUSES and self.check == "ok"


COLUMNS = list(Row.__dataclass_fields__)
TEXT = frozenset({"instance", "status", "check", "run", "error", "plan"})
NUMERIC = [c for c in COLUMNS if c not in TEXT]


@dataclass
class Backend:
    """Where the solves run.

    Attributes
    ----------
    executor
        Any ``concurrent.futures.Executor`` whose workers can import :mod:`allocator`.
    slots
        How many solves it runs at once (used to keep it fed, and for the overhead figure).
    restart
        Makes a fresh executor when this one is broken (a local pool whose process died);
        ``None``: the items in flight are reported as errors.
    window
        Most items submitted and not yet finished (``None``: all at once).
    description
        For people: ``"local, 2 processes"``, ``"dask tcp://..."``.
    """

    executor: Executor
    slots: int
    restart: Callable[[], Executor] | None = None
    window: int | None = None
    description: str = ""


class BatchObserver(Protocol):
    """What a batch tells while it runs (the CLI shows a progress bar)."""

    def started(self, todo: int, skipped: int) -> None: ...

    def finished(self, row: Row) -> None: ...


@dataclass
class BatchResult:
    """The rows of a batch (in the items' order) and figures about the run.

    ``statistics``: ``instances``, ``solved``, ``skipped``, ``failed`` (rows that are not good
    plans), ``wall_seconds`` (the whole batch), ``solve_seconds`` (sum over solved rows),
    ``overhead_ms_per_instance`` (mean of wall minus solve time over solved rows),
    ``batch_overhead_ms_per_instance`` (``(wall × slots − Σ solve) / solved``: also counts
    starting the workers and idle slots), ``slots`` and ``executor``. ``summary`` is the
    frame written to ``summary.csv``.
    """

    rows: list[Row]
    statistics: dict[str, Any] = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def frame(self) -> pd.DataFrame:
        """The summary as a data frame (the columns of :class:`Row`)."""
        frame = pd.DataFrame([asdict(row) for row in self.rows], columns=COLUMNS)
        return frame.astype({column: float for column in NUMERIC})


# -- inputs -------------------------------------------------------------------------------


def _stem(path: Path) -> str:
    return path.name.removesuffix(".json")


def _instance_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.glob("*.json") if p.is_file() and not p.name.endswith(PLAN_SUFFIX)
    )


def _matches(pattern: str) -> list[Path]:
    """The paths a glob pattern matches, sorted; ``**`` is any depth of folders, walked
    without following links (``glob``'s own walk follows them, and a link to a parent
    folder never ends). Hidden names match only a part that starts with a dot, as in
    ``glob``."""
    parts = Path(pattern).parts
    anchored = Path(pattern).is_absolute()
    bases = [Path(parts[0])] if anchored else [Path()]
    rest = parts[1:] if anchored else parts
    for number, part in enumerate(rest, start=1):
        following: list[Path] = []
        for base in bases:
            if part == "**":  # this folder and every one below (and their files, if last)
                for root, folders, files in os.walk(base, followlinks=False):
                    folders[:] = [name for name in folders if not name.startswith(".")]
                    following.append(Path(root))
                    if number == len(rest):
                        following += [Path(root, name) for name in files if name[0] != "."]
            elif glob.has_magic(part):
                try:
                    names = sorted(entry.name for entry in os.scandir(base))
                except OSError:  # not a folder, or unreadable
                    continue
                hidden = part.startswith(".")
                following += [
                    base / name
                    for name in fnmatch.filter(names, part)
                    if hidden or not name.startswith(".")
                ]
            else:
                following.append(base / part)
        bases = list(dict.fromkeys(following))
    return sorted(path for path in bases if path.exists())


def collect_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """The instance files named by ``inputs``: files, folders and glob patterns.

    A folder gives its ``*.json`` files except plans (``*.plan.json``), not recursively; a
    glob pattern (``**`` recurses) gives the files it matches, except plans. A file reached
    twice is kept once, in the order of first mention.

    Raises
    ------
    InputError
        When an input is neither an existing path nor a pattern matching some file; its
        message names every such input, one per line.
    """
    found: list[Path] = []
    problems: list[str] = []
    for raw in inputs:
        path = Path(raw)
        if not str(raw).strip():
            problems.append("an input is empty: name a file, a folder or a pattern")
        elif path.is_dir():
            matches = _instance_files(path)
            if not matches:
                problems.append(f"{raw}: the folder holds no instance file (*.json)")
            found.extend(matches)
        elif path.exists():
            found.append(path)
        elif glob.has_magic(str(raw)):
            matches = [
                p for p in _matches(str(raw)) if p.is_file() and not p.name.endswith(PLAN_SUFFIX)
            ]
            if not matches:
                problems.append(f"{raw}: the pattern matches no instance file")
            found.extend(matches)
        else:
            problems.append(f"{raw}: no such file or folder")
    if problems:
        raise InputError("\n".join(problems))
    seen: set[Path] = set()
    unique = []
    for path in found:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def file_items(paths: Sequence[Path]) -> list[BatchItem]:
    """One item per file, named after the file (``q1.json`` -> ``q1``).

    Files of the same name in different folders are named ``<folder>-<name>``; any name
    still shared gets ``-2``, ``-3``, ... in input order.
    """
    stems = Counter(_stem(p) for p in paths)
    names = [
        _stem(p) if stems[_stem(p)] == 1 else f"{p.resolve().parent.name}-{_stem(p)}" for p in paths
    ]
    taken = set(names)  # a suffixed name must not be another file's own name
    used: set[str] = set()
    items = []
    for path, name in zip(paths, names, strict=True):
        unique, n = name, 1
        while unique in used or (unique != name and unique in taken):
            n += 1
            unique = f"{name}-{n}"
        used.add(unique)
        items.append(BatchItem.from_file(path, unique))
    return items


def default_parallelism(
    jobs: int | None, workers: int | None, cpus: int | None = None
) -> tuple[int, int]:
    """``(jobs, workers)`` with ``jobs × workers`` fitting the cores when not both given.

    Neither given: one CP-SAT thread per solve and one solve per core. One given: the other
    is the cores divided by it (at least 1).
    """
    cores = cpus or os.cpu_count() or 1
    if jobs is None and workers is None:
        return cores, 1
    if jobs is None:
        assert workers is not None
        return max(1, cores // workers), workers
    if workers is None:
        return jobs, max(1, cores // jobs)
    return jobs, workers


# -- the worker side ----------------------------------------------------------------------


def _invalid_plan(name: str, problems: list[Problem]) -> Plan:
    return Plan(
        instance=name,
        status="invalid",
        explanation=[f"{p.path}: {p.message}" for p in problems],
        problems=problems,
    )


def solve_json(
    instance_text: str | bytes,
    time_limit: float | None,
    workers: int | None,
    name: str = "instance",
) -> str:
    """Parse, validate, solve and check one instance; the plan as JSON text.

    This runs on the workers (a top-level function, so executors can pickle it by name).

    Parameters
    ----------
    instance_text
        The instance as JSON text.
    time_limit
        Seconds for the solve (``None``: the instance's ``solver.time_limit_seconds``).
    workers
        CP-SAT threads (``None``: the instance's ``solver.workers``).
    name
        The plan's ``instance`` when the text is not a valid instance with a name.

    Returns
    -------
    str
        The plan (:class:`allocator.schema.Plan`) as JSON. Malformed JSON and invalid
        instances give an ``invalid`` plan listing the problems. ``statistics["batch"]``
        holds ``worker_started`` (epoch seconds), ``worker_seconds``, ``solve_seconds`` (the
        :func:`allocator.solve.solve` call, KPIs included), ``host``, ``pid`` and ``check``
        (``"ok"`` or the checker's violations).

    Raises
    ------
    Exception
        Whatever the solver raises (the batch reports it in the item's row).
    """
    started = time.time()
    check: str | list[str] = ""
    solve_seconds = 0.0
    try:
        data = parse_json(instance_text)
    except InvalidDocument as error:
        plan = _invalid_plan(name, error.problems)
    else:
        try:
            instance = load_instance(data)
        except InvalidInstance as error:
            label = data.get("name", name) if isinstance(data, dict) else name
            plan = _invalid_plan(str(label), error.problems)
        else:
            solving = time.perf_counter()
            plan = solve(instance, SolveOptions(time_limit=time_limit, workers=workers))
            solve_seconds = time.perf_counter() - solving
            report = check_plan(instance, plan)
            check = "ok" if report.ok else [f"{v.rule}: {v.message}" for v in report.violations]
    batch = {
        "worker_started": started,
        "worker_seconds": round(time.time() - started, 4),
        "solve_seconds": round(solve_seconds, 4),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "check": check[:MAX_VIOLATIONS] if isinstance(check, list) else check,
    }
    statistics = {**plan.statistics, "batch": batch}
    return plan.model_copy(update={"statistics": statistics}).model_dump_json()


# -- the driver side ----------------------------------------------------------------------


def plan_path(outdir: Path, name: str) -> Path:
    """Where the plan of item ``name`` is written."""
    return outdir / f"{name}{PLAN_SUFFIX}"


def up_to_date_plan(item: BatchItem, settings: BatchSettings, outdir: Path) -> Plan | None:
    """The item's plan in ``outdir`` when it is up to date, else ``None``.

    Up to date: the plan file is newer than every source file of the item, and records the
    resume key of the item's text and ``settings``.
    """
    path = plan_path(outdir, item.name)
    try:
        written = path.stat().st_mtime_ns
        if any(source.stat().st_mtime_ns > written for source in item.sources):
            return None
        plan = Plan.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if plan.statistics.get("batch", {}).get("key") != settings.key(item.text):
        return None
    return plan


def _write_plan(path: Path, plan: Plan) -> None:
    """Write atomically, so an interrupted batch never leaves half a plan behind."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(plan.model_dump_json(indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _short(lines: Sequence[str], limit: int = 3) -> str:
    more = f" (+{len(lines) - limit} more)" if len(lines) > limit else ""
    return "; ".join(lines[:limit]) + more


def _error_text(plan: Plan, check: Any) -> str:
    if plan.status == "invalid":
        return f"{len(plan.problems)} input error(s): {_short(plan.explanation)}"
    if plan.status == "infeasible":
        return f"infeasible: {_short(plan.explanation)}"
    if plan.status == "unknown":
        return "no plan within the time limit"
    if isinstance(check, list) and check:
        return f"check failed: {_short(check)}"
    return ""


def _plan_row(name: str, plan: Plan, path: Path, run: str) -> Row:
    batch = plan.statistics.get("batch", {})
    totals = plan.kpis.get("totals", {})
    check = batch.get("check", "")
    wall = batch.get("wall_seconds")
    solve_s = batch.get("solve_seconds", plan.wall_seconds)
    return Row(
        instance=name,
        status=plan.status,
        coverage=plan.objective.get("coverage"),
        coverage_bound=plan.bound.get("coverage"),
        cost=plan.objective.get("cost"),
        cost_bound=plan.bound.get("cost"),
        gap=plan.gap,
        unmet_hours=totals.get("unmet_hours"),
        in_house_share=totals.get("in_house_share"),
        wall_s=wall,
        solve_s=solve_s,
        overhead_ms=None if wall is None else round((wall - solve_s) * 1000, 1),
        check="ok" if check == "ok" else f"{len(check)} violation(s)" if check else "",
        run=run,
        error=_error_text(plan, check),
        plan=str(path),
    )


class _Runner:
    """Keeps a backend fed, isolates an item that kills its worker process, yields rows."""

    def __init__(
        self,
        backend: Backend,
        settings: BatchSettings,
        outdir: Path,
    ) -> None:
        self.backend, self.settings, self.outdir = backend, settings, outdir

    def _submit(self, item: BatchItem) -> Future[str]:
        s = self.settings
        return self.backend.executor.submit(
            solve_json, item.text, s.time_limit, s.workers, item.name
        )

    def _finish(self, item: BatchItem, text: str) -> Row:
        received = time.time()
        plan = Plan.model_validate_json(text)
        batch = dict(plan.statistics.get("batch", {}))
        started = batch.get("worker_started", received)
        batch.update(
            key=self.settings.key(item.text),
            time_limit=self.settings.time_limit,
            workers=self.settings.workers,
            wall_seconds=round(max(batch.get("worker_seconds", 0.0), received - started), 4),
        )
        plan = plan.model_copy(update={"statistics": {**plan.statistics, "batch": batch}})
        path = plan_path(self.outdir, item.name)
        _write_plan(path, plan)
        return _plan_row(item.name, plan, path, "solved")

    def _error(self, item: BatchItem, error: BaseException) -> Row:
        plan_path(self.outdir, item.name).unlink(missing_ok=True)  # out of date anyway
        message = str(error) or "no message"
        if isinstance(error, BrokenExecutor):
            message = f"the worker process died while solving it ({message})"
        return Row(instance=item.name, status="error", error=f"{type(error).__name__}: {message}")

    def _outcome(self, item: BatchItem, future: Future[str]) -> Row:
        try:
            return self._finish(item, future.result())
        except Exception as error:
            return self._error(item, error)

    def run(self, todo: Sequence[BatchItem]) -> Iterator[Row]:
        """Solve ``todo``; one row per item, in the order they finish.

        When the executor breaks (a worker process died) and the backend can restart it,
        the items that were in flight are run again one at a time: the one that breaks it
        alone is reported as an error, the others are solved.
        """
        queue: deque[BatchItem] = deque(todo)
        suspects: deque[BatchItem] = deque()
        running: dict[Future[str], BatchItem] = {}
        alone: set[Future[str]] = set()  # a suspect running on its own
        while queue or suspects or running:
            isolating = bool(suspects or alone)
            if isolating:
                broken = self._fill(suspects, running, 1, alone)
            else:
                window = self.backend.window or len(queue) + len(running)
                broken = self._fill(queue, running, window, None)
            if broken is None:
                broken = yield from self._collect(running, suspects, alone)
            if broken is not None:
                alone.clear()
                yield from self._recover(broken, running, suspects, queue)

    def _fill(
        self,
        source: deque[BatchItem],
        running: dict[Future[str], BatchItem],
        limit: int,
        alone: set[Future[str]] | None,
    ) -> BaseException | None:
        """Submit from ``source`` up to ``limit`` items in flight; the error if it is broken."""
        while source and len(running) < limit:
            item = source.popleft()
            try:
                future = self._submit(item)
            except BrokenExecutor as failure:
                source.appendleft(item)
                return failure
            running[future] = item
            if alone is not None:
                alone.add(future)
        return None

    def _collect(
        self,
        running: dict[Future[str], BatchItem],
        suspects: deque[BatchItem],
        alone: set[Future[str]],
    ) -> Generator[Row, None, BaseException | None]:
        """Rows of the items that finish next; returns the error if the executor broke."""
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        broken: BaseException | None = None
        for future in done:
            item = running.pop(future)
            failure = future.exception()
            if isinstance(failure, BrokenExecutor):
                broken = failure
                if self.backend.restart is not None and future not in alone:
                    suspects.append(item)
                    continue
            alone.discard(future)
            yield self._outcome(item, future)
        return broken

    def _recover(
        self,
        error: BaseException,
        running: dict[Future[str], BatchItem],
        suspects: deque[BatchItem],
        queue: deque[BatchItem],
    ) -> Iterator[Row]:
        """After the executor broke: restart it and suspect what was in flight, or give up."""
        backend = self.backend
        in_flight = list(running.values())
        running.clear()
        backend.executor.shutdown(wait=False, cancel_futures=True)
        if backend.restart is None:
            for item in [*in_flight, *suspects, *queue]:
                yield self._error(item, error)
            suspects.clear()
            queue.clear()
            return
        suspects.extend(in_flight)
        backend.executor = backend.restart()


def _statistics(rows: list[Row], wall: float, backend: Backend) -> dict[str, Any]:
    solved = [r for r in rows if r.run == "solved"]
    solve_total = sum(r.solve_s or 0.0 for r in solved)
    overheads = [r.overhead_ms for r in solved if r.overhead_ms is not None]
    slots = max(1, min(backend.slots, len(solved)))
    return {
        "instances": len(rows),
        "solved": len(solved),
        "skipped": len(rows) - len(solved),
        "failed": sum(not r.ok for r in rows),
        "wall_seconds": round(wall, 3),
        "solve_seconds": round(solve_total, 3),
        "overhead_ms_per_instance": round(sum(overheads) / len(overheads), 1)
        if overheads
        else None,
        "batch_overhead_ms_per_instance": round(
            (wall * slots - solve_total) / len(solved) * 1000, 1
        )
        if solved
        else None,
        "slots": backend.slots,
        "executor": backend.description,
    }


def run_batch(
    items: Sequence[BatchItem],
    outdir: Path,
    settings: BatchSettings,
    backend: Backend,
    *,
    force: bool = False,
    observer: BatchObserver | None = None,
    summarize: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> BatchResult:
    """Solve every item that has no up-to-date plan in ``outdir``; write plans and summary.

    Parameters
    ----------
    items
        The instances; their names must be distinct.
    outdir
        Folder for ``<name>.plan.json`` and ``summary.csv`` (created if missing).
    settings
        Time limit and CP-SAT threads of every solve (part of the resume key).
    backend
        Where the solves run (:func:`local_backend`, :func:`dask_backend`,
        :func:`executor_backend`).
    force
        Solve every item, even those whose plan is up to date.
    observer
        Told the number of items to solve, then each row as it finishes.
    summarize
        Turns the summary frame into the one written to ``summary.csv`` (extra columns).

    Returns
    -------
    BatchResult
        One row per item in the order of ``items``; ``summary`` is the frame written.

    Raises
    ------
    InputError
        When two items share a name, or a file the batch writes is one of its sources.
    """
    repeated = sorted(name for name, n in Counter(item.name for item in items).items() if n > 1)
    if repeated:
        raise InputError(f"several items are named {', '.join(repeated)}")
    for item in items:
        for written in (outdir / SUMMARY_FILE, plan_path(outdir, item.name)):
            if any(same_file(source, written) for source in item.sources):
                raise InputError(f"{written} is an input; the batch would overwrite it")
    started = time.perf_counter()
    outdir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, Row] = {}
    todo: list[BatchItem] = []
    for item in items:
        plan = None if force else up_to_date_plan(item, settings, outdir)
        if plan is None:
            todo.append(item)
        else:
            rows[item.name] = _plan_row(item.name, plan, plan_path(outdir, item.name), "skipped")
    if observer is not None:
        observer.started(len(todo), len(rows))
    for row in _Runner(backend, settings, outdir).run(todo):
        rows[row.instance] = row
        if observer is not None:
            observer.finished(row)
    ordered = [rows[item.name] for item in items]
    result = BatchResult(ordered, _statistics(ordered, time.perf_counter() - started, backend))
    summary = result.frame()
    result.summary = summary if summarize is None else summarize(summary)
    csv_safe(result.summary).to_csv(outdir / SUMMARY_FILE, index=False)
    return result


# -- backends -----------------------------------------------------------------------------


def _process_pool(jobs: int) -> Executor:
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


@contextmanager
def _shutting_down(backend: Backend) -> Iterator[Backend]:
    try:
        yield backend
    except BaseException:
        backend.executor.shutdown(wait=False, cancel_futures=True)
        raise
    backend.executor.shutdown(wait=True)


@contextmanager
def local_backend(jobs: int) -> Iterator[Backend]:
    """A local process pool (spawned processes) running ``jobs`` solves at once."""
    backend = Backend(
        _process_pool(jobs),
        slots=jobs,
        restart=lambda: _process_pool(jobs),
        window=2 * jobs,
        description=f"local, {jobs} process(es)",
    )
    with _shutting_down(backend):
        yield backend


def executor_backend(executor: Executor, slots: int, description: str = "") -> Backend:
    """Any ``concurrent.futures`` executor running ``slots`` solves at once (not owned)."""
    return Backend(executor, slots=slots, description=description or type(executor).__name__)


@contextmanager
def dask_backend(
    address: str, connect_seconds: float = 20.0, wait_seconds: float = 60.0
) -> Iterator[Backend]:
    """A Dask distributed cluster behind its scheduler at ``address`` (``tcp://HOST:8786``).

    Tries to connect for ``connect_seconds``, then waits up to ``wait_seconds`` for a first
    worker. The workers need :mod:`allocator` installed (the same version); each task runs
    one solve in a worker thread, so start workers with ``--nthreads 1`` and as many
    processes as the machine has cores divided by the CP-SAT threads per solve.

    Raises
    ------
    InputError
        When the scheduler cannot be reached or has no worker in time.
    """
    from dask.distributed import Client

    try:
        client = Client(address, timeout=connect_seconds)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=wait_seconds)
        except TimeoutError:
            raise InputError(f"the Dask scheduler at {address} has no worker") from None
        nthreads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        threads = sum(nthreads.values())
        executor: Executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
        workers = len(nthreads)
        yield Backend(
            executor,
            slots=max(1, threads),
            description=f"dask {address}, {workers} worker(s), {threads} thread(s)",
        )


# -- presentation -------------------------------------------------------------------------


class RichObserver:
    """A rich progress bar: items solved, failed, elapsed time and ETA."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("solving", total=None, solved=0, failed=0)
        self.solved = self.failed = 0

    @classmethod
    def bar(cls, console: Any, quiet: bool = False) -> Progress:
        """A progress display for :class:`RichObserver` on ``console`` (hidden if ``quiet``)."""
        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[solved]} ok[/] [red]{task.fields[failed]} failed[/]"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
        )

    def started(self, todo: int, skipped: int) -> None:
        label = f"solving ({skipped} up to date)" if skipped else "solving"
        self.progress.update(self.task, total=todo, description=label)

    def finished(self, row: Row) -> None:
        if row.ok:
            self.solved += 1
        else:
            self.failed += 1
        self.progress.update(self.task, advance=1, solved=self.solved, failed=self.failed)


HEADERS = {
    "coverage_bound": "cov. bound",
    "cost_bound": "cost bound",
    "unmet_hours": "unmet h",
    "in_house_share": "in-house",
    "wall_s": "wall s",
}
PERCENT = {"gap": "{:.2%}", "in_house_share": "{:.1%}"}
HIDDEN = frozenset({"plan", "solve_s", "overhead_ms"})
ERROR_WIDTH = 70


NUMBER_WIDTH = 16  # a summary number's width kept whole, at most (see summary_table)


def _cell(column: str, value: Any) -> Text:
    """A summary value as table text (never read as rich markup: names and errors are the
    user's)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return Text("")
    if isinstance(value, float):
        if column in PERCENT:
            return Text(PERCENT[column].format(value))
        return Text(f"{value:+,.2f}" if column.endswith("_vs_base") else f"{value:,.2f}")
    text = printable(str(value))
    return Text(text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…")


def summary_table(frame: pd.DataFrame, title: str) -> Table:
    """The summary frame as a rich table (the plan paths, solve and overhead times left out;
    the checker's column only when some plan failed it)."""
    hidden = set(HIDDEN)
    if set(frame["check"]) <= {"ok", ""}:
        hidden.add("check")
    columns = [c for c in frame.columns if c not in hidden]
    records = frame.to_dict(orient="records")
    cells = [[_cell(c, record[c]) for c in columns] for record in records]
    table = Table(title=Text(printable(title)), title_justify="left")
    for i, column in enumerate(columns):
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        # a number keeps its width (up to NUMBER_WIDTH) while the text columns fold
        widest = max((row[i].cell_len for row in cells), default=0)
        table.add_column(
            HEADERS.get(column, column),
            justify="right" if numeric else "left",
            overflow="fold",  # a narrow terminal wraps values instead of hiding them
            min_width=max(4, min(widest, NUMBER_WIDTH)) if numeric else 6,
        )
    for record, row in zip(records, cells, strict=True):
        style = "" if record["status"] in OK_STATUSES else "red"
        table.add_row(*row, style=style)
    return table


def statistics_line(statistics: dict[str, Any]) -> str:
    """The batch's figures in one line (see :class:`BatchResult`)."""
    s = statistics
    line = (
        f"{s['instances']} instance(s): {s['solved']} run now, {s['skipped']} up to date, "
        f"{s['failed']} not a good plan; wall {s['wall_seconds']:.1f} s, "
        f"solve {s['solve_seconds']:.1f} s on {s['executor']}"
    )
    if s["overhead_ms_per_instance"] is not None:
        line += (
            f"; overhead {s['overhead_ms_per_instance']:.0f} ms per instance "
            f"({s['batch_overhead_ms_per_instance']:.0f} ms with start-up and idle slots)"
        )
    return line
