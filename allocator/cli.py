"""The ``allocator`` command: solve, validate, check and generate instances.

Exit codes: 0 a plan (or a clean check), 1 a plan that fails the checker, 2 invalid input,
3 infeasible, 4 no plan within the time limit.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from allocator.check import check_plan
from allocator.documents import InvalidDocument, read_json, same_file
from allocator.schema import Instance, Plan, Problem
from allocator.terminal import printable
from allocator.validate import load_instance, load_plan

if TYPE_CHECKING:
    from allocator.solve import Progress

# The solver (OR-Tools) and the tables (pandas) are imported by the commands that use them:
# ``validate``, ``check``, ``generate`` and a rejected input answer without loading them
# (``allocator validate`` on the demo: 0.6 s instead of 2.0 s).

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Staff workplaces and tasks with specialists: solve, validate, check, generate, batch.",
)
REDIRECTED_WIDTH = 160


def _console(*, stderr: bool) -> Console:
    """A console of the terminal's width, or 160 columns when redirected (rich's default of
    80 wraps the tables' cells) unless ``COLUMNS`` says otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=REDIRECTED_WIDTH if wide else None)


console = _console(stderr=True)
out = _console(stderr=False)


class ProgramChoice(StrEnum):
    time_based = "time_based"
    project_based = "project_based"
    mixed = "mixed"


class Exit(IntEnum):
    PLAN = 0
    CHECK_FAILED = 1
    INVALID = 2
    INFEASIBLE = 3
    NO_PLAN = 4


EXIT_BY_STATUS = {
    "optimal": Exit.PLAN,
    "feasible": Exit.PLAN,
    "invalid": Exit.INVALID,
    "infeasible": Exit.INFEASIBLE,
    "unknown": Exit.NO_PLAN,
}


def _text(text: str) -> Text:
    """The user's words (names, ids, paths, messages) as table text: never read as rich
    markup, control characters shown as U+FFFD (:func:`allocator.batch.printable`)."""
    return Text(printable(text))


def _plain(text: str) -> str:
    """The user's words inside a markup string (see :func:`_text`)."""
    return escape(printable(text))


def _finite(value: float | None) -> float | None:
    """A number option (``--time-limit``, ``--tightness``): ``inf`` and ``nan`` are refused
    (exit 2); typer's own ``min``/``max`` let ``nan`` through."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def _problems_table(problems: list[Problem]) -> Table:
    table = Table(title=f"{len(problems)} input error(s)", title_justify="left")
    table.add_column("path", style="cyan")
    table.add_column("problem")
    for p in problems:
        table.add_row(_text(p.path), _text(p.message))
    return table


def _load(path: Path) -> tuple[Any, Instance]:
    data = read_json(path)
    return data, load_instance(data)


def _invalid_plan(data: Any, problems: list[Problem]) -> Plan:
    name = data.get("name", "instance") if isinstance(data, dict) else "instance"
    return Plan(
        instance=str(name),
        status="invalid",
        explanation=[f"{p.path}: {p.message}" for p in problems],
        problems=problems,
    )


def _output_problem(path: Path, folder: bool) -> str | None:
    """Why ``path`` cannot be written, as a file or (``folder``) as a folder of files;
    ``None`` when it can. Creates the missing folders on the way, as writing would."""
    if folder and path.exists() and not path.is_dir():
        return f"{path} is a file, not a folder"
    if not folder and path.is_dir():
        return f"{path} is a folder; give a file name"
    where = path if folder else path.parent
    try:
        where.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"cannot create the folder {where}: a file is in the way"
    except OSError as error:
        return f"cannot create the folder {where}: {error.strerror or error}"
    if not os.access(where, os.W_OK | os.X_OK):
        return f"cannot write in {where}: permission denied"
    if not folder and path.exists() and not os.access(path, os.W_OK):
        return f"cannot overwrite {path}: permission denied"
    return None


def _overwrites(instance: Path, output: Path | None, csv: Path | None) -> str | None:
    """Why ``solve``'s outputs would overwrite its instance or each other (``None``: they
    would not): the plan ``output``, or a table the ``csv`` folder gets, is the instance
    (hard links and links included), or the plan is one of the tables or their folder."""
    tables = []
    if csv is not None:
        from allocator.kpis import PLAN_TABLES

        tables = [csv / f"{name}.csv" for name in PLAN_TABLES]
    written = ([output] if output is not None else []) + tables
    if any(same_file(instance, path) for path in written):
        return f"the outputs would overwrite the instance {instance}"
    folder = [csv] if csv is not None else []
    if output is not None and any(same_file(output, path) for path in [*tables, *folder]):
        return "-o names the --csv folder or one of its tables; give another file"
    return None


def _check_outputs(*outputs: tuple[Path | None, bool]) -> None:
    """Exit 2 before any work when an output (path, is a folder) cannot be written."""
    problems = [
        problem
        for path, folder in outputs
        if path is not None and (problem := _output_problem(path, folder)) is not None
    ]
    for problem in problems:
        console.print(f"[red]{_plain(problem)}[/]")
    if problems:
        raise typer.Exit(Exit.INVALID)


@contextmanager
def _writing(what: str) -> Iterator[None]:
    """Exit 2 with a clear line when writing outputs fails after all (disk full, races)."""
    try:
        yield
    except OSError as error:
        console.print(f"[red]could not write {what}: {_plain(str(error.strerror or error))}[/]")
        raise typer.Exit(Exit.INVALID) from None


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")


def write_csv(instance: Instance, plan: Plan, folder: Path) -> list[Path]:
    """Write ``assignments.csv``, ``unmet.csv`` and one CSV per KPI table into ``folder``."""
    from allocator.kpis import csv_safe, plan_tables

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in plan_tables(instance, plan).items():
        path = folder / f"{name}.csv"
        csv_safe(frame).to_csv(path, index=False)
        written.append(path)
    return written


class _ProgressLine:
    """The live line while solving: stage, best objective, bound, elapsed (ticks every 0.5 s)."""

    def __init__(self) -> None:
        self.status = console.status("building the model...", spinner="dots")
        self.started = time.perf_counter()
        self.last: Progress | None = None
        self.done = threading.Event()

    def update(self, progress: Progress) -> None:
        self.last = progress
        self._render()

    def _render(self) -> None:
        p, elapsed = self.last, time.perf_counter() - self.started
        if p is None:
            self.status.update(f"building the model...  elapsed {elapsed:.1f}s")
            return
        bound = "" if p.bound is None else f"  bound {p.bound:,.2f}"
        found = "greedy plan" if p.solutions == 0 else f"{p.solutions} solution(s)"
        self.status.update(
            f"stage {p.stage_number}/{p.stages} [bold]{p.stage}[/]: best {p.objective:,.2f}"
            f"{bound}  elapsed {elapsed:.1f}s  ({found})"
        )

    def _tick(self) -> None:
        while not self.done.wait(0.5):
            self._render()

    def __enter__(self) -> _ProgressLine:
        self.status.start()
        threading.Thread(target=self._tick, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.status.stop()


def _summary(plan: Plan) -> Table:
    table = Table(title=_text(f"plan {plan.instance}: {plan.status}"), title_justify="left")
    for column in ("goal", "value", "bound"):
        table.add_column(column, justify="right" if column != "goal" else "left")
    for goal, value in plan.objective.items():
        bound = plan.bound.get(goal)
        table.add_row(goal, f"{value:,.2f}", "" if bound is None else f"{bound:,.2f}")
    totals = plan.kpis.get("totals", {})
    if totals:
        table.add_section()
        table.add_row("planned hours", f"{totals['planned_hours']:,.2f}", "")
        table.add_row("unmet hours", f"{totals['unmet_hours']:,.2f}", "")
        table.add_row("in-house share", f"{totals['in_house_share']:.1%}", "")
        table.add_row("utilisation", f"{totals['utilisation']:.1%}", "")
    stats = plan.statistics
    table.add_section()
    table.add_row("gap", "n/a" if plan.gap is None else f"{plan.gap:.4%}", "")
    table.add_row("wall seconds", f"{plan.wall_seconds:.2f}", "")
    if "variables" in stats:
        size = f"{stats['variables']:,} vars"
        if stats.get("constraints") is None:  # solved by neighbourhoods, never built whole
            size += " (neighbourhoods only)"
        else:
            size += f" / {stats['constraints']:,} cons"
        table.add_row("model", size, "")
    return table


def _unmet_table(plan: Plan) -> Table:
    table = Table(title="unmet", title_justify="left")
    table.add_column("item")
    table.add_column("hours", justify="right")
    table.add_column("reasons")
    for u in plan.unmet:
        item = f"workplace {u.workplace}" if u.workplace else f"task {u.task}"
        table.add_row(_text(item), f"{u.hours:g}", Text("\n".join(map(printable, u.reasons))))
    return table


@contextmanager
def _stop_on_interrupt(stop: threading.Event | None) -> Iterator[None]:
    """The first Ctrl+C (SIGINT) stops the search, which keeps its best plan (written, checked
    and shown as after a full solve); a second one aborts."""
    if stop is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        console.print("[yellow]stopping: the best plan so far follows (Ctrl+C again to abort)[/]")

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@app.command("solve")
def solve_command(
    instance_path: Annotated[Path, typer.Argument(help="Instance JSON file.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the plan here.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            callback=_finite,
            help="Seconds for the solve (default: the instance's solver settings).",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=0, max=256, help="CP-SAT threads (0 = all cores).")
    ] = None,
    csv: Annotated[Path | None, typer.Option(help="Folder for CSV tables.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or tables.")] = False,
) -> None:
    """Solve an instance into a plan, checked by the independent checker."""
    clash = _overwrites(instance_path, output, csv)
    if clash is not None:
        console.print(f"[red]{_plain(clash)}[/]")
        raise typer.Exit(Exit.INVALID)
    _check_outputs((output, False), (csv, True))
    try:
        _, instance = _load(instance_path)
    except InvalidDocument as error:
        console.print(_problems_table(error.problems))
        if output is not None:
            plan = _invalid_plan(error.data, error.problems)
            with _writing("the plan"):
                _write_json(output, plan.model_dump(mode="json"))
        raise typer.Exit(Exit.INVALID) from None

    from allocator.solve import SolveOptions, solve

    options = SolveOptions(time_limit=time_limit, workers=workers, stop=threading.Event())
    with _stop_on_interrupt(options.stop):
        if quiet:
            plan = solve(instance, options)
        else:
            with _ProgressLine() as progress_line:
                options.progress = progress_line.update
                plan = solve(instance, options)
    with _writing("the plan"):
        if output is not None:
            _write_json(output, plan.model_dump(mode="json"))
        if csv is not None and plan.status in ("optimal", "feasible"):
            write_csv(instance, plan, csv)
    report = check_plan(instance, plan)
    if not quiet:
        out.print(_summary(plan))
        if plan.unmet:
            out.print(_unmet_table(plan))
        for line in plan.explanation:
            out.print(f"[red]{_plain(line)}[/]")
    if plan.status == "unknown":
        limit = time_limit if time_limit is not None else instance.solver.time_limit_seconds
        console.print(
            f"[red]no plan within the time limit[/] ({limit:g} s, {plan.wall_seconds:g} s "
            "spent): the fixed assignments and required items need a first plan from the "
            "solver; give it a longer --time-limit"
        )
    if not report.ok:
        for violation in report.violations:
            console.print(f"[red]check failed[/] {violation.rule}: {_plain(violation.message)}")
        raise typer.Exit(Exit.CHECK_FAILED)
    raise typer.Exit(EXIT_BY_STATUS[plan.status])


@app.command()
def validate(
    instance_path: Annotated[Path, typer.Argument(help="Instance JSON file.")],
) -> None:
    """Report every input error of an instance, each with its JSON path."""
    try:
        _load(instance_path)
    except InvalidDocument as error:
        out.print(_problems_table(error.problems))
        raise typer.Exit(Exit.INVALID) from None
    out.print(f"[green]{_plain(str(instance_path))} is a valid instance[/]")


@app.command()
def check(
    instance_path: Annotated[Path, typer.Argument(help="Instance JSON file.")],
    plan_path: Annotated[Path, typer.Argument(help="Plan JSON file.")],
) -> None:
    """Check a plan against an instance: every hard rule, objective value, bound, gap and KPI."""
    try:
        _, instance = _load(instance_path)
    except InvalidDocument as error:
        out.print(_problems_table(error.problems))
        raise typer.Exit(Exit.INVALID) from None
    try:
        plan = load_plan(read_json(plan_path))
    except InvalidDocument as error:
        out.print(f"[red]{_plain(str(plan_path))} is not a valid plan[/]")
        out.print(_problems_table(error.problems))
        raise typer.Exit(Exit.INVALID) from None
    report = check_plan(instance, plan)
    table = Table(title="objective", title_justify="left")
    table.add_column("goal")
    table.add_column("recomputed", justify="right")
    table.add_column("the plan says", justify="right")
    table.add_column("bound", justify="right")
    for goal, value in report.objective.items():
        said, bound = plan.objective.get(goal), plan.bound.get(goal)
        table.add_row(
            goal,
            f"{value:,.2f}",
            "-" if said is None else f"{said:,.2f}",
            "-" if bound is None else f"{bound:,.2f}",
        )
    out.print(table)
    if report.ok:
        out.print(
            "[green]the plan satisfies every hard rule[/], and its objective values, bound, "
            "gap, unmet hours and KPIs agree with the instance"
        )
        return
    for violation in report.violations:
        out.print(f"[red]{violation.rule}[/]: {_plain(violation.message)}")
    raise typer.Exit(Exit.CHECK_FAILED)


@app.command()
def generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="Instance file to write.")],
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    specialists: Annotated[
        int, typer.Option(min=1, max=100_000, help="Number of specialists.")
    ] = 20,
    projects: Annotated[int, typer.Option(min=1, max=10_000, help="Number of projects.")] = 4,
    days: Annotated[
        int,
        typer.Option(
            min=1, max=2_000, help="Working days in the horizon (a horizon is at most ten years)."
        ),
    ] = 20,
    tightness: Annotated[float, typer.Option(min=0.01, max=100, help="Demand / capacity.")] = 0.9,
    program: Annotated[ProgramChoice | None, typer.Option(help="Force one program.")] = None,
    vendors: Annotated[int, typer.Option(min=0, max=1_000, help="Number of vendors.")] = 2,
    name: Annotated[str | None, typer.Option(help="Instance name.")] = None,
) -> None:
    """Generate a seeded, realistic instance."""
    from allocator.generate import GeneratorConfig, write_instance

    _check_outputs((output, False))
    config = GeneratorConfig(
        seed=seed,
        specialists=specialists,
        projects=projects,
        days=days,
        tightness=tightness,
        program=program.value if program else None,
        vendors=vendors,
        name=name,
    )
    with _writing("the instance"):
        write_instance(config, output)
    out.print(_text(f"wrote {output}"))


def _batch_items(inputs: list[str], scenarios: Path | None) -> tuple[list[Any], Any, str]:
    """The batch's items, the summary's extra columns (scenarios) and the table's title."""
    from allocator.batch import InputError, collect_inputs, file_items
    from allocator.scenarios import comparison_frame, scenario_items

    if scenarios is None:
        return file_items(collect_inputs(inputs)), None, "batch"
    if len(inputs) != 1:
        raise InputError("--scenarios takes exactly one base instance file")
    spec, items = scenario_items(scenarios, Path(inputs[0]))
    return items, lambda frame: comparison_frame(frame, spec), f"scenarios of {inputs[0]}"


@app.command("batch")
def batch_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Instance files, folders (their *.json, not *.plan.json) or glob patterns; "
            "with --scenarios the one base instance."
        ),
    ],
    outdir: Annotated[
        Path, typer.Option("-o", "--outdir", help="Folder for <name>.plan.json and summary.csv.")
    ],
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Solves at once, locally (default: cores / workers).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=256, help="CP-SAT threads per solve (default: 1, or cores / jobs)."
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            callback=_finite,
            help="Seconds per solve (default: the instance's).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Solve up-to-date plans again.")] = False,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on a Dask cluster: its scheduler, tcp://HOST:8786.")
    ] = None,
    scenarios: Annotated[
        Path | None, typer.Option(help="Scenario spec (JSON): solve variants of the base instance.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or table.")] = False,
) -> None:
    """Solve many instances at once, locally or on a Dask cluster; resumable.

    Writes OUTDIR/<name>.plan.json per instance and OUTDIR/summary.csv, and skips instances
    whose plan is up to date. Exit codes: 0 every row is a good plan (optimal or feasible,
    accepted by the checker), 1 some row is not, 2 unusable inputs (nothing matches, bad
    scenario spec or base instance, unreachable scheduler).
    """
    from allocator import batch

    try:
        items, summarize, title = _batch_items(inputs, scenarios)
    except batch.InputError as error:
        console.print(f"[red]{_plain(str(error))}[/]")
        raise typer.Exit(Exit.INVALID) from None
    except InvalidDocument as error:  # a bad scenario spec or base instance
        console.print(_problems_table(error.problems))
        raise typer.Exit(Exit.INVALID) from None
    _check_outputs((outdir, True))  # (after the inputs: no folder made for nothing)
    if scheduler is None:
        jobs, workers = batch.default_parallelism(jobs, workers)
        backend = batch.local_backend(jobs)
    else:
        if jobs is not None:
            console.print("[yellow]--jobs is ignored with --scheduler: the workers decide[/]")
        backend = batch.dask_backend(scheduler)
    settings = batch.BatchSettings(time_limit=time_limit, workers=workers or 1)
    try:
        with backend as chosen, batch.RichObserver.bar(console, quiet) as bar:
            observer = batch.RichObserver(bar)
            result = batch.run_batch(
                items, outdir, settings, chosen, force=force, observer=observer, summarize=summarize
            )
    except batch.InputError as error:
        console.print(f"[red]{_plain(str(error))}[/]")
        raise typer.Exit(Exit.INVALID) from None
    if not quiet:
        out.print(batch.summary_table(result.summary, title))
        out.print(batch.statistics_line(result.statistics))
    raise typer.Exit(0 if result.ok else 1)


def _unwrap(text: str) -> str:
    """``text`` with each paragraph on one line: Typer's rich help keeps a docstring's line
    breaks after its first paragraph, which then wrap raggedly."""
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))


for _command in app.registered_commands:
    if _command.help is None and _command.callback is not None and _command.callback.__doc__:
        _command.help = _unwrap(_command.callback.__doc__)


if __name__ == "__main__":  # pragma: no cover
    app()
