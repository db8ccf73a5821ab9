"""The real ``allocator`` console script, run as a subprocess.

Exit codes (README): 0 a plan, 1 a plan that fails the checker, 2 invalid input,
3 infeasible, 4 no plan within the time limit.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import INSTANCES, greedy_breaking_lock, instance_dict, person, task

from allocator import Plan, check_plan, load_instance_file
from allocator.generate import GeneratorConfig, generate_instance

ALLOCATOR = Path(sys.executable).parent / "allocator"
DEMO = INSTANCES / "demo.json"


def run(*args: str | Path | float, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the console script; wide, colourless output so paths are never wrapped."""
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [str(ALLOCATOR), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def read_plan(path: Path) -> Plan:
    return Plan.model_validate_json(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """``solve demo.json -o plan.json --csv out --time-limit 10``, once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    plan_path, csv_dir = folder / "plan.json", folder / "out"
    result = run(
        "solve", DEMO, "-o", plan_path, "--csv", csv_dir, "--time-limit", 10, "--workers", 2
    )
    assert result.returncode == 0, output(result)
    return plan_path, csv_dir, result.stdout


def test_the_script_exists_and_helps() -> None:
    assert ALLOCATOR.exists()
    result = run("--help")
    assert result.returncode == 0, output(result)
    for command in ("solve", "validate", "check", "generate"):
        assert command in result.stdout
    sub = run("solve", "--help")
    assert sub.returncode == 0, output(sub)
    for option in ("--output", "--csv", "--time-limit", "--workers", "--quiet"):
        assert option in sub.stdout
    assert "(default: the instance's solver settings)" in sub.stdout  # not eaten as markup
    batch = run("batch", "--help")
    assert "skips instances whose plan is up to date" in batch.stdout  # paragraphs unwrapped


def test_reading_and_checking_load_neither_the_solver_nor_pandas() -> None:
    # validate, check and a rejected input answer at once: OR-Tools and pandas are imported
    # by the commands that solve or write tables; the package's solve stays the function
    # whichever of its modules was imported first
    script = (
        "import sys, allocator.cli, allocator.check, allocator.validate\n"
        "print(sorted({'ortools', 'pandas'} & {m.split('.')[0] for m in sys.modules}))\n"
        "import allocator.batch\n"
        "from allocator import solve, SolveOptions\n"
        "print(callable(solve), solve.__module__, SolveOptions.__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "True allocator.solve allocator.solve"]


def test_solve_demo_writes_a_checked_plan_and_csv(demo_run: tuple[Path, Path, str]) -> None:
    plan_path, csv_dir, stdout = demo_run
    plan = read_plan(plan_path)
    assert plan.status in ("optimal", "feasible")
    assert plan.instance == "demo"
    instance = load_instance_file(DEMO)
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    for goal, value in plan.objective.items():
        assert value == pytest.approx(report.objective[goal], abs=0.01)
    names = {p.name for p in csv_dir.iterdir()}
    assert {"assignments.csv", "unmet.csv"} <= names
    with (csv_dir / "assignments.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(plan.assignments) > 0
    assert sum(float(r["hours"]) for r in rows) == pytest.approx(
        sum(a.hours for a in plan.assignments)
    )
    with (csv_dir / "unmet.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(plan.unmet)
    assert "plan demo" in stdout and plan.status in stdout


def test_validate_demo_is_clean() -> None:
    result = run("validate", DEMO)
    assert result.returncode == 0, output(result)
    assert "valid instance" in result.stdout


BAD = instance_dict(
    specialists=[person("a", sourcing="outsourced", vendor=None), person("b", hours_per_day=25)],
    tasks=[{"id": "t", "project": "nope", "effort_hours": 8}],
)


def test_validate_bad_file_exits_2_with_every_path(tmp_path: Path) -> None:
    result = run("validate", write(tmp_path / "bad.json", BAD))
    assert result.returncode == 2, output(result)
    text = output(result)
    for path in ("$.specialists[0].vendor", "$.specialists[1].hours_per_day", "$.tasks[0].project"):
        assert path in text
    assert "3 input error(s)" in text


def test_validate_malformed_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"horizon": [\n')
    result = run("validate", path)
    assert result.returncode == 2, output(result)
    assert "malformed JSON" in output(result) and "line 2," in output(result)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"name": "caf\xe9"}', "not UTF-8 text"),
        (b'{"name": ' + b"[" * 3000 + b"]" * 3000 + b"}", "nested too deeply"),
        (b'{"solver": {"seed": ' + b"7" * 5000 + b"}}", "more than 4,300 digits"),
    ],
    ids=["latin-1", "deep", "long-integer"],
)
def test_files_python_cannot_read_exit_2_without_a_traceback(
    tmp_path: Path, raw: bytes, message: str
) -> None:
    path = tmp_path / "odd.json"
    path.write_bytes(raw)
    for command in (["validate", path], ["solve", path, "-o", tmp_path / "plan.json"]):
        result = run(*command)
        assert result.returncode == 2, output(result)
        assert message in output(result) and "Traceback" not in output(result)
    assert read_plan(tmp_path / "plan.json").status == "invalid"
    result = run("batch", path, "-o", tmp_path / "out", "--time-limit", 1)
    assert result.returncode == 1, output(result)
    assert message in (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["solve", DEMO, "-o", "{dir}"], "is a folder; give a file name"),
        (["solve", DEMO, "-o", "{file}/plan.json"], "cannot create the folder"),
        (["solve", DEMO, "--csv", "{file}"], "is a file, not a folder"),
        (["generate", "-o", "{dir}"], "is a folder; give a file name"),
        (["batch", DEMO, "-o", "{file}"], "is a file, not a folder"),
        (["solve", "{file}", "-o", "{file}"], "would overwrite the instance"),
        (["solve", "{file}", "-o", "{dir}/link.json"], "would overwrite the instance"),
        (["solve", "{dir}/assignments.csv", "--csv", "{dir}"], "would overwrite the instance"),
        (["solve", DEMO, "-o", "{dir}/x", "--csv", "{dir}/x"], "names the --csv folder"),
        (["solve", DEMO, "-o", "{dir}/t/unmet.csv", "--csv", "{dir}/t"], "one of its tables"),
        (["batch", "{dir}/summary.csv", "-o", "{dir}"], "the batch would overwrite it"),
    ],
    ids=[
        "plan-into-a-folder",
        "plan-under-a-file",
        "csv-into-a-file",
        "generate",
        "batch",
        "plan-over-its-instance",
        "plan-over-a-hard-link-to-it",
        "tables-over-the-instance",
        "plan-and-csv-alike",
        "plan-as-a-table",
        "batch-summary-over-its-input",
    ],
)
def test_outputs_that_cannot_be_written_exit_2_before_solving(
    tmp_path: Path, command: list[Any], message: str
) -> None:
    a_file = tmp_path / "taken.txt"
    a_file.write_text("keep me")
    os.link(a_file, tmp_path / "link.json")  # a hard link: the same file
    (tmp_path / "assignments.csv").write_text("keep me")
    (tmp_path / "summary.csv").write_text("keep me")
    args = [str(x).format(dir=tmp_path, file=a_file) for x in command]
    result = run(*args, "--time-limit", 60) if command[0] != "generate" else run(*args)
    assert result.returncode == 2, output(result)
    assert message in output(result) and "Traceback" not in output(result)
    for kept in ("taken.txt", "assignments.csv", "summary.csv"):
        assert (tmp_path / kept).read_text() == "keep me"


def test_square_brackets_in_names_are_printed_as_they_are(tmp_path: Path) -> None:
    # rich reads [bold] or [/] as markup: the user's names must never be
    odd = "[/][bold]ana"
    data = instance_dict(
        name="[red]q1[/]",
        specialists=[person(odd, hours_per_day=4)],
        tasks=[{"id": "[t]", "project": "p", "effort_hours": 30, "candidates": [odd]}],
    )
    path = write(tmp_path / "odd.json", data)
    plan_path = tmp_path / "plan.json"
    result = run("solve", path, "-o", plan_path, "--time-limit", 5)
    assert result.returncode == 0, output(result)
    assert "plan [red]q1[/]" in result.stdout and "task [t]" in result.stdout
    assert "Traceback" not in output(result)
    instance = load_instance_file(path)
    assert check_plan(instance, read_plan(plan_path)).ok
    result = run("check", path, plan_path)
    assert result.returncode == 0, output(result)
    data["tasks"][0]["candidates"] = ["[/]nobody"]
    result = run("validate", write(tmp_path / "bad.json", data))
    assert result.returncode == 2, output(result)
    assert "unknown specialist '[/]nobody'" in result.stdout


def test_control_characters_in_names_never_reach_the_terminal(tmp_path: Path) -> None:
    data = instance_dict(name="q1\x1b[31m\x1b]0;pwned\x07\nrow", tasks=[task("t\x1b[2J", 8)])
    result = run("solve", write(tmp_path / "esc.json", data), "--time-limit", 5)
    assert result.returncode == 0, output(result)
    assert "\x1b" not in output(result) and "\x07" not in output(result)
    assert "q1\ufffd[31m" in result.stdout


def test_csv_tables_never_turn_ids_into_formulas(tmp_path: Path) -> None:
    data = instance_dict(specialists=[person("=1+2")], tasks=[task("-t", 8)])
    plan_path, folder = tmp_path / "plan.json", tmp_path / "csv"
    result = run("solve", write(tmp_path / "i.json", data), "-o", plan_path, "--csv", folder, "-q")
    assert result.returncode == 0, output(result)
    assert check_plan(load_instance_file(tmp_path / "i.json"), read_plan(plan_path)).ok
    with (folder / "assignments.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {(r["specialist"], r["task"]) for r in rows} == {("'=1+2", "'-t")}


def test_solve_bad_file_exits_2_and_writes_an_invalid_plan(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    result = run("solve", write(tmp_path / "bad.json", BAD), "-o", plan_path, "--time-limit", 5)
    assert result.returncode == 2, output(result)
    assert "$.tasks[0].project" in output(result)
    plan = read_plan(plan_path)
    assert plan.status == "invalid"
    assert plan.assignments == []
    assert any(line.startswith("$.tasks[0].project:") for line in plan.explanation)
    assert any("$.specialists[0].vendor" in line for line in plan.explanation)
    assert {p.path for p in plan.problems} == {
        "$.specialists[0].vendor",
        "$.specialists[1].hours_per_day",
        "$.tasks[0].project",
    }


def test_solve_unreadable_file_exits_2_and_writes_an_invalid_plan(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    result = run("solve", tmp_path / "nowhere.json", "-o", plan_path)
    assert result.returncode == 2, output(result)
    plan = read_plan(plan_path)
    assert plan.status == "invalid"
    assert plan.explanation and plan.explanation[0].startswith("$: cannot read")


def test_the_invalid_plan_carries_the_instance_name(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    result = run("solve", write(tmp_path / "bad.json", BAD), "-o", plan_path)
    assert result.returncode == 2, output(result)
    assert read_plan(plan_path).instance == "t"


def test_solve_infeasible_exits_3(tmp_path: Path) -> None:
    data = instance_dict(
        specialists=[person("xena", roles=["tester"])],
        workplaces=[{"id": "seat", "project": "p", "role": "developer", "hours_per_day": 8}],
        fixed=[{"specialist": "xena", "workplace": "seat"}],
    )
    plan_path = tmp_path / "plan.json"
    result = run("solve", write(tmp_path / "inf.json", data), "-o", plan_path, "--time-limit", 5)
    assert result.returncode == 3, output(result)
    plan = read_plan(plan_path)
    assert plan.status == "infeasible" and plan.assignments == []
    assert "xena" in " ".join(plan.explanation) and "seat" in " ".join(plan.explanation)
    assert "xena" in result.stdout  # the explanation is printed too
    gap = next(line for line in result.stdout.splitlines() if "gap" in line)
    assert "n/a" in gap and "%" not in gap  # no gap without a plan


def test_check_accepts_the_solved_plan(demo_run: tuple[Path, Path, str]) -> None:
    result = run("check", DEMO, demo_run[0])
    assert result.returncode == 0, output(result)
    text = " ".join(result.stdout.split())
    assert "satisfies every hard rule" in text
    assert "bound, gap, unmet hours and KPIs agree with the instance" in text
    plan = read_plan(demo_run[0])
    cost = next(line for line in result.stdout.splitlines() if "cost" in line)
    assert cost.count(f"{plan.objective['cost']:,.2f}") >= 2  # recomputed, and as said


def _tampered(plan_path: Path, folder: Path, change: Any) -> Path:
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    change(plan)
    return write(folder / "tampered.json", plan)


def test_check_rejects_extra_hours_naming_the_rules(
    demo_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    def extra_hour(plan: dict[str, Any]) -> None:
        row = next(a for a in plan["assignments"] if a["workplace"] is not None)
        row["hours"] += 1

    result = run("check", DEMO, _tampered(demo_run[0], tmp_path, extra_hour))
    assert result.returncode == 1, output(result)
    text = result.stdout
    assert "workplace_fill:" in text and "daily_capacity:" in text and "objective:" in text
    assert "satisfies every hard rule" not in text


def test_check_rejects_a_wrong_objective(demo_run: tuple[Path, Path, str], tmp_path: Path) -> None:
    def cheaper(plan: dict[str, Any]) -> None:
        plan["objective"]["cost"] -= 1

    result = run("check", DEMO, _tampered(demo_run[0], tmp_path, cheaper))
    assert result.returncode == 1, output(result)
    assert "objective: the plan reports cost" in result.stdout


def test_check_with_a_file_that_is_not_a_plan_exits_2(demo_run: tuple[Path, Path, str]) -> None:
    result = run("check", DEMO, DEMO)  # an instance is not a plan
    assert result.returncode == 2, output(result)
    assert "not a valid plan" in output(result)


def test_check_a_malformed_plan_lists_every_problem_by_json_path(
    demo_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    def malformed(plan: dict[str, Any]) -> None:
        plan["assignments"][0]["hours"] = 2.3
        plan["assignments"][1]["date"] = "soon"
        plan["status"] = "great"

    result = run("check", DEMO, _tampered(demo_run[0], tmp_path, malformed))
    assert result.returncode == 2, output(result)
    text = output(result)
    assert "3 input error(s)" in text
    for path in ("$.assignments[0].hours", "$.assignments[1].date", "$.status"):
        assert path in text
    assert "multiple of 0.25" in text
    assert "pydantic" not in text and "Value error" not in text and "Traceback" not in text


def test_check_a_plan_with_infinite_hours_exits_2(
    demo_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    def infinite(plan: dict[str, Any]) -> None:
        plan["assignments"][0]["hours"] = float("inf")  # json writes Infinity

    result = run("check", DEMO, _tampered(demo_run[0], tmp_path, infinite))
    assert result.returncode == 2, output(result)
    assert "Traceback" not in output(result)


def test_generate_stays_within_the_input_limits(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    result = run("generate", "-o", path, "--days", 2000, "--specialists", 3, "--projects", 1)
    assert result.returncode == 0, output(result)
    assert load_instance_file(path).horizon.end.year >= 2034  # about eight years, still valid
    result = run("generate", "-o", tmp_path / "longer.json", "--days", 2001)
    assert result.returncode == 2 and "--days" in output(result)
    for tightness in ("1e308", "inf", "nan"):
        result = run("generate", "-o", tmp_path / "odd.json", "--tightness", tightness)
        assert result.returncode == 2 and "--tightness" in output(result), output(result)


def test_generate_writes_a_valid_deterministic_instance(tmp_path: Path) -> None:
    args = ["--seed", "7", "--specialists", "12", "--projects", "3", "--days", "5"]
    first, again = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, again):
        result = run("generate", "-o", path, *args)
        assert result.returncode == 0, output(result)
    assert first.read_bytes() == again.read_bytes()
    instance = load_instance_file(first)  # validates
    assert len(instance.specialists) == 12 and len(instance.projects) == 3
    other = generate_instance(GeneratorConfig(seed=8, specialists=12, projects=3, days=5))
    assert json.loads(first.read_text(encoding="utf-8")) != other


def test_generate_with_a_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run("generate", "-o", tmp_path / "x.json", "--program", "nonsense")
    assert result.returncode == 2, output(result)
    assert "Traceback" not in output(result)


@pytest.mark.parametrize("option", [["--workers", "-1"], ["--time-limit", "-5"]])
def test_solve_rejects_negative_limits(option: list[str]) -> None:
    result = run("solve", DEMO, "-q", *option)
    assert result.returncode == 2, output(result)


@pytest.mark.parametrize("seconds", ["inf", "nan", "0"])
def test_a_time_limit_that_is_not_a_number_of_seconds_exits_2(seconds: str) -> None:
    result = run("solve", DEMO, "--time-limit", seconds, "-q")
    assert result.returncode == 2, output(result)
    assert "--time-limit" in output(result) and "Traceback" not in output(result)


def test_a_tiny_time_limit_gives_no_plan_and_exit_4(tmp_path: Path) -> None:
    # a lock the greedy plan (kept when the search finds nothing) breaks
    data = generate_instance(GeneratorConfig(seed=1, specialists=80, projects=6, days=10))
    data["fixed"] = [greedy_breaking_lock(data)]
    plan_path = tmp_path / "plan.json"
    result = run(
        "solve", write(tmp_path / "big.json", data), "-q", "-o", plan_path,
        "--time-limit", "0.001", "--workers", "1",
    )  # fmt: skip
    if result.returncode == 0:
        pytest.skip("this machine found a plan within the smallest time slice")
    assert result.returncode == 4, output(result)
    assert "no plan within the time limit (0.001 s" in " ".join(result.stderr.split())
    assert "longer --time-limit" in " ".join(result.stderr.split())
    plan = read_plan(plan_path)
    assert plan.status == "unknown" and plan.assignments == []
    assert check_plan(load_instance_file(tmp_path / "big.json"), plan).ok


def test_ctrl_c_stops_the_search_and_keeps_its_best_plan(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    medium = INSTANCES / "medium.json"
    args = ["solve", medium, "--time-limit", 120, "-o", plan_path, "--workers", 2]
    process = subprocess.Popen(
        [str(ALLOCATOR), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    time.sleep(6)  # into the neighbourhood search (two round threads, each with CP-SAT)
    process.send_signal(signal.SIGINT)
    text, _ = process.communicate(timeout=60)  # far below the 120 s limit
    assert process.returncode == 0, text
    assert "stopping: the best plan so far follows" in text
    plan = read_plan(plan_path)
    assert plan.status == "feasible" and plan.wall_seconds < 60
    report = check_plan(load_instance_file(medium), plan)
    assert report.ok, report.violations
