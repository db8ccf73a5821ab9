"""Batch solving (allocator.batch, allocator.scenarios, ``allocator batch``).

Small generated instances (12 specialists, 3 projects, 5 working days) that CP-SAT solves to
optimality within a second, so objective values are the same whatever runs them.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import INSTANCES, instance_dict, person
from rich.console import Console

from allocator import Plan, check_plan, load_instance, load_instance_file
from allocator.batch import (
    Backend,
    BatchItem,
    BatchResult,
    BatchSettings,
    InputError,
    collect_inputs,
    dask_backend,
    default_parallelism,
    executor_backend,
    file_items,
    local_backend,
    run_batch,
    summary_table,
)
from allocator.documents import NOT_FINITE
from allocator.generate import GeneratorConfig, generate_instance
from allocator.scenarios import (
    InvalidScenarios,
    apply_scenario,
    load_spec,
    scenario_items,
    scenario_problems,
    spec_problems,
)

ALLOCATOR = Path(sys.executable).parent / "allocator"
DEMO = INSTANCES / "demo.json"
DEMO_SCENARIOS = INSTANCES / "scenarios" / "demo-scenarios.json"
FAST_SEEDS = (2, 3, 4, 5)
SETTINGS = BatchSettings(time_limit=3, workers=1)


def generated(seed: int) -> dict[str, Any]:
    return generate_instance(GeneratorConfig(seed=seed, specialists=12, projects=3, days=5))


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def infeasible() -> dict[str, Any]:
    """A fixed assignment of a specialist who lacks the workplace's role."""
    return instance_dict(
        name="locked-wrong",
        specialists=[person("ana")],
        workplaces=[{"id": "w", "project": "p", "role": "designer", "hours_per_day": 4}],
        fixed=[{"specialist": "ana", "workplace": "w"}],
    )


def good_folder(folder: Path, seeds: tuple[int, ...] = FAST_SEEDS) -> list[Path]:
    return [write(folder / f"g{seed}.json", generated(seed)) for seed in seeds]


def plan_of(outdir: Path, name: str) -> Plan:
    return Plan.model_validate_json((outdir / f"{name}.plan.json").read_text(encoding="utf-8"))


def assert_good_plans_check(result: BatchResult, sources: dict[str, Path], outdir: Path) -> None:
    """Every optimal/feasible row's plan file passes the independent checker."""
    for row in result.rows:
        if row.status in ("optimal", "feasible"):
            instance = load_instance(json.loads(sources[row.instance].read_text()))
            report = check_plan(instance, plan_of(outdir, row.instance))
            assert report.ok, (row.instance, report.violations)
            assert row.check == "ok"


def rows_by_name(result: BatchResult) -> dict[str, Any]:
    return {row.instance: row for row in result.rows}


# -- a mixed batch ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BatchResult]:
    """Two good, a malformed, an invalid and an infeasible instance, in a local pool of 2."""
    folder = tmp_path_factory.mktemp("mixed")
    good_folder(folder / "in", (2, 3))
    write(folder / "in" / "broken.json", '{"format": "allocator/1", "name": ')
    write(
        folder / "in" / "invalid.json",
        instance_dict(tasks=[{"id": "t", "project": "nope", "effort_hours": 8}]),
    )
    write(folder / "in" / "locked.json", infeasible())
    write(folder / "in" / "old.plan.json", "{}")  # plans in a folder are not inputs
    outdir = folder / "out"
    with local_backend(2) as backend:
        result = run_batch(file_items(collect_inputs([folder / "in"])), outdir, SETTINGS, backend)
    return folder / "in", outdir, result


def test_mixed_batch_reports_every_instance_in_its_row(
    mixed: tuple[Path, Path, BatchResult],
) -> None:
    folder, outdir, result = mixed
    rows = rows_by_name(result)
    assert list(rows) == ["broken", "g2", "g3", "invalid", "locked"]  # nothing lost, in order
    assert {name: row.status for name, row in rows.items()} == {
        "broken": "invalid",
        "g2": "optimal",
        "g3": "optimal",
        "invalid": "invalid",
        "locked": "infeasible",
    }
    assert "malformed JSON" in rows["broken"].error
    assert "$.tasks[0].project" in rows["invalid"].error
    assert "fixed assignment" in rows["locked"].error
    assert [row.ok for row in result.rows] == [False, True, True, False, False]
    assert not result.ok
    for name in rows:  # invalid and infeasible instances get a plan too
        assert (outdir / f"{name}.plan.json").exists()
    invalid = plan_of(outdir, "invalid")
    assert [p.path for p in invalid.problems] == ["$.tasks[0].project"]
    sources = {name: folder / f"{name}.json" for name in rows}
    assert_good_plans_check(result, sources, outdir)
    for name in ("g2", "g3"):
        row = rows[name]
        assert row.coverage is not None and row.cost is not None
        assert row.coverage_bound == row.coverage and row.gap == 0
        assert 0 <= row.in_house_share <= 1 and row.unmet_hours is not None
        assert row.wall_s >= row.solve_s > 0 and row.overhead_ms >= 0
    stats = result.statistics
    assert (stats["instances"], stats["solved"], stats["skipped"], stats["failed"]) == (5, 5, 0, 3)
    assert stats["overhead_ms_per_instance"] is not None


def test_summary_csv_matches_the_rows(mixed: tuple[Path, Path, BatchResult]) -> None:
    _, outdir, result = mixed
    csv = pd.read_csv(outdir / "summary.csv")
    for column in ("instance", "status", "check", "run", "error", "plan"):
        assert list(csv[column].fillna("")) == [getattr(row, column) for row in result.rows]
    expected = result.frame()
    for column in ("coverage", "cost", "coverage_bound", "cost_bound", "unmet_hours"):
        pd.testing.assert_series_equal(csv[column], expected[column], check_names=False)
    for column in ("instance", "status", "coverage", "cost", "gap", "in_house_share", "wall_s"):
        assert column in csv.columns


class CrashingExecutor(ThreadPoolExecutor):
    """Solves in threads; the item named ``crash`` raises like a solver bug."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        if args[3] == "crash":
            return super().submit(_raise, "solver bug")
        return super().submit(fn, *args, **kwargs)


def _raise(message: str) -> str:
    raise RuntimeError(message)


def test_a_crashing_solve_is_an_error_row_and_the_batch_goes_on(tmp_path: Path) -> None:
    items = [
        BatchItem("g2", json.dumps(generated(2))),
        BatchItem("crash", json.dumps(generated(3))),
        BatchItem("g4", json.dumps(generated(4))),
    ]
    with CrashingExecutor(2) as pool:
        result = run_batch(items, tmp_path, SETTINGS, executor_backend(pool, 2))
    rows = rows_by_name(result)
    assert rows["crash"].status == "error"
    assert rows["crash"].error == "RuntimeError: solver bug"
    assert not (tmp_path / "crash.plan.json").exists()
    assert rows["g2"].ok and rows["g4"].ok


class DyingPool(ProcessPoolExecutor):
    """A spawn process pool whose worker process dies on the item named ``die``."""

    def __init__(self) -> None:
        super().__init__(max_workers=2, mp_context=get_context("spawn"))

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        if args[3] == "die":
            return super().submit(os._exit, 13)
        return super().submit(fn, *args, **kwargs)


def test_a_dying_worker_process_is_isolated_and_the_rest_solved(tmp_path: Path) -> None:
    items = [BatchItem(f"g{seed}", json.dumps(generated(seed))) for seed in (2, 3, 4)]
    items.insert(1, BatchItem("die", json.dumps(generated(5))))
    backend = Backend(DyingPool(), slots=2, restart=DyingPool, window=4)
    try:
        result = run_batch(items, tmp_path, SETTINGS, backend)
    finally:
        backend.executor.shutdown(wait=True)
    rows = rows_by_name(result)
    assert rows["die"].status == "error"
    assert "worker process died" in rows["die"].error
    assert all(rows[f"g{seed}"].ok for seed in (2, 3, 4))


# -- resume ----------------------------------------------------------------------------------


def solved(result: BatchResult) -> list[str]:
    return [row.instance for row in result.rows if row.run == "solved"]


def test_resume_solves_only_what_is_missing_or_out_of_date(tmp_path: Path) -> None:
    paths = good_folder(tmp_path / "in")
    outdir = tmp_path / "out"
    with ThreadPoolExecutor(2) as pool:
        backend = executor_backend(pool, 2)

        def batch(inputs: list[Path], force: bool = False) -> BatchResult:
            items = file_items(collect_inputs(inputs))
            return run_batch(items, outdir, SETTINGS, backend, force=force)

        first = batch(paths[:2])  # "interrupted" after two instances
        assert solved(first) == ["g2", "g3"]
        mtimes = {p.name: p.stat().st_mtime_ns for p in outdir.glob("*.plan.json")}

        second = batch([tmp_path / "in"])
        assert solved(second) == ["g4", "g5"]
        assert [row.run for row in second.rows] == ["skipped", "skipped", "solved", "solved"]
        assert second.statistics["skipped"] == 2 and second.ok
        for name, mtime in mtimes.items():
            assert (outdir / name).stat().st_mtime_ns == mtime  # not rewritten
        assert rows_by_name(second)["g2"].cost == rows_by_name(first)["g2"].cost
        summary = pd.read_csv(outdir / "summary.csv")
        assert list(summary["run"]) == ["skipped", "skipped", "solved", "solved"]

        assert solved(batch([tmp_path / "in"])) == []

        changed = generated(7)
        write(paths[1], changed)  # g3.json now holds another instance
        third = batch([tmp_path / "in"])
        assert solved(third) == ["g3"]
        assert (
            rows_by_name(third)["g3"].cost
            == check_plan(load_instance(changed), plan_of(outdir, "g3")).objective["cost"]
        )

        os.utime(paths[0])  # newer than its plan: solved again
        assert solved(batch([tmp_path / "in"])) == ["g2"]

        everything = batch([tmp_path / "in"], force=True)
        assert solved(everything) == ["g2", "g3", "g4", "g5"]


def test_other_solve_settings_make_a_plan_out_of_date(tmp_path: Path) -> None:
    items = file_items(good_folder(tmp_path / "in", (2,)))
    with ThreadPoolExecutor(1) as pool:
        backend = executor_backend(pool, 1)
        assert solved(run_batch(items, tmp_path / "out", SETTINGS, backend)) == ["g2"]
        assert solved(run_batch(items, tmp_path / "out", SETTINGS, backend)) == []
        other = BatchSettings(time_limit=2, workers=1)
        assert solved(run_batch(items, tmp_path / "out", other, backend)) == ["g2"]


# -- inputs ----------------------------------------------------------------------------------


def test_inputs_are_files_folders_and_globs(tmp_path: Path) -> None:
    a = write(tmp_path / "a" / "q1.json", "{}")
    b = write(tmp_path / "b" / "q1.json", "{}")
    c = write(tmp_path / "b" / "q2.json", "{}")
    write(tmp_path / "b" / "q2.plan.json", "{}")
    assert collect_inputs([tmp_path / "b"]) == [b, c]
    assert collect_inputs([str(tmp_path / "*" / "q1.json"), a]) == [a, b]
    assert collect_inputs([str(tmp_path / "**" / "*.json")]) == [a, b, c]
    assert [item.name for item in file_items([a, b, c])] == ["a-q1", "b-q1", "q2"]
    with pytest.raises(InputError, match="matches no instance file"):
        collect_inputs([str(tmp_path / "*.yaml")])
    with pytest.raises(InputError, match="no such file"):
        collect_inputs([tmp_path / "missing.json"])


def test_odd_inputs_end_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "d"
    x = write(d / "x.json", "{}")
    y = write(d / "a" / "y.json", "{}")
    write(d / ".hidden" / "z.json", "{}")
    (d / "loop").symlink_to("..")  # ** must not walk links: this one never ends
    (d / "self").symlink_to(".")
    assert collect_inputs([str(d / "**" / "*.json")]) == [y, x]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no instance file"):
        collect_inputs([tmp_path / "empty"])
    with pytest.raises(InputError, match="empty"):
        collect_inputs([""])
    # a name made unique with a suffix never takes another file's own name
    paths = [write(tmp_path / f / "a" / "x.json", "{}") for f in ("p", "q")]
    paths.append(write(tmp_path / "r" / "a-x-2.json", "{}"))
    assert [i.name for i in file_items(paths)] == ["a-x", "a-x-3", "a-x-2"]
    monkeypatch.chdir(d)
    names = [i.name for i in file_items([Path("x.json"), Path("a") / "x.json"])]
    assert names == ["d-x", "a-x"]  # (the current folder's own name, not "-x")


def test_the_summary_never_turns_names_into_formulas(tmp_path: Path) -> None:
    data = json.loads(DEMO.read_text())
    evil = write(tmp_path / "in" / "=HYPERLINK(1).json", json.dumps(data))
    with local_backend(1) as backend:
        result = run_batch(file_items([evil]), tmp_path / "out", SETTINGS, backend)
    assert result.ok
    with (tmp_path / "out" / "summary.csv").open(encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["instance"] == "'=HYPERLINK(1)"
    sources = {item.name: item.sources[0] for item in file_items([evil])}
    assert_good_plans_check(result, sources, tmp_path / "out")


def test_default_parallelism_fits_the_cores() -> None:
    assert default_parallelism(None, None, cpus=8) == (8, 1)
    assert default_parallelism(None, 4, cpus=8) == (2, 4)
    assert default_parallelism(2, None, cpus=8) == (2, 4)
    assert default_parallelism(3, 3, cpus=8) == (3, 3)
    assert default_parallelism(None, 16, cpus=8) == (1, 16)


# -- Dask ------------------------------------------------------------------------------------


def test_a_dask_cluster_gives_the_same_results_as_the_local_pool(tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    items = file_items(good_folder(tmp_path / "in"))
    with local_backend(2) as backend:
        local = run_batch(items, tmp_path / "local", SETTINGS, backend)
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        dask_backend(cluster.scheduler_address) as backend,
    ):
        assert backend.slots == 2
        remote = run_batch(items, tmp_path / "dask", SETTINGS, backend)
    assert local.ok and remote.ok
    for a, b in zip(local.rows, remote.rows, strict=True):
        assert (a.instance, a.status, a.coverage, a.cost) == (
            b.instance,
            b.status,
            b.coverage,
            b.cost,
        )
    pids = {
        plan_of(tmp_path / "dask", row.instance).statistics["batch"]["pid"] for row in remote.rows
    }
    assert os.getpid() not in pids
    sources = {item.name: item.sources[0] for item in items}
    assert_good_plans_check(remote, sources, tmp_path / "dask")


def test_an_unreachable_scheduler_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot reach"), dask_backend("tcp://127.0.0.1:9", 1):
        pass


# -- scenarios -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_scenarios(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchResult]:
    from allocator.scenarios import comparison_frame

    outdir = tmp_path_factory.mktemp("scenarios")
    spec, items = scenario_items(DEMO_SCENARIOS, DEMO)
    with local_backend(2) as backend:
        result = run_batch(
            items, outdir, SETTINGS, backend, summarize=lambda f: comparison_frame(f, spec)
        )
    return outdir, result


def test_demo_scenarios_give_one_row_each_plus_the_base(
    demo_scenarios: tuple[Path, BatchResult],
) -> None:
    outdir, result = demo_scenarios
    spec = json.loads(DEMO_SCENARIOS.read_text())
    names = [s["name"] for s in spec["scenarios"]]
    assert [row.instance for row in result.rows] == ["base", *names]
    assert result.ok, [(r.instance, r.status, r.error) for r in result.rows]
    summary = pd.read_csv(outdir / "summary.csv")
    assert list(summary["instance"]) == ["base", *names]
    assert {"changes", "unmet_vs_base", "cost_vs_base"} <= set(summary.columns)
    assert summary.set_index("instance").loc["base", "cost_vs_base"] == 0
    base_data = json.loads(DEMO.read_text())
    for scenario in spec["scenarios"]:
        variant = apply_scenario(
            base_data, load_spec(spec).scenarios[names.index(scenario["name"])]
        )
        report = check_plan(load_instance(variant), plan_of(outdir, scenario["name"]))
        assert report.ok, (scenario["name"], report.violations)


def test_a_higher_in_house_share_never_lowers_the_projects_in_house_share(
    demo_scenarios: tuple[Path, BatchResult],
) -> None:
    """Each project keeps at least the scenario's share (the hard rule), so the lowest project
    share never drops as the required share rises. (The organisation's total share may: the
    rule binds per project, and coverage comes first.)"""
    outdir, _ = demo_scenarios
    lowest = []
    for name, share in (("share-0", 0.0), ("share-0.2", 0.2), ("share-0.4", 0.4)):
        projects = plan_of(outdir, name).kpis["projects"]
        shares = [p["in_house_share"] for p in projects if p["planned_hours"] > 0]
        assert min(shares) >= share - 1e-6
        lowest.append(min(shares))
    assert lowest == sorted(lowest)


def test_scenario_changes_are_applied() -> None:
    base = json.loads(DEMO.read_text())
    base["fixed"].append({"specialist": "raj", "task": base["tasks"][0]["id"]})
    spec = load_spec(
        {
            "scenarios": [
                {"name": "s", "in_house_share": 0.3, "remove_vendor": "pixelworks"},
                {
                    "name": "d",
                    "demand_factor": 3.5,
                    "leave": {"specialist": "ana", "date": "2027-01-20"},
                },
            ]
        }
    )
    s = apply_scenario(base, spec.scenarios[0])
    assert {p["min_in_house_share"] for p in s["projects"]} == {0.3}
    assert not [x for x in s["specialists"] if x.get("vendor") == "pixelworks"]
    assert all(f["specialist"] != "raj" for f in s["fixed"])
    assert all("raj" not in (w.get("candidates") or []) for w in s["workplaces"])
    load_instance(s)
    d = apply_scenario(base, spec.scenarios[1])
    for old, new in zip(base["tasks"], d["tasks"], strict=True):
        assert new["effort_hours"] == round(old["effort_hours"] * 3.5 * 4) / 4
    assert d["workplaces"] == base["workplaces"]  # seats stay seats
    ana = next(x for x in d["specialists"] if x["id"] == "ana")
    assert ana["unavailable"][-1] == {"start": "2027-01-20", "end": "2027-01-20"}
    assert d["name"] == f"{base['name']}/d" and base["projects"][0].get("min_in_house_share") != 0.3
    load_instance(d)


def test_scenario_spec_errors_have_json_paths() -> None:
    with pytest.raises(InvalidScenarios) as field_errors:
        load_spec(
            {
                "scenarios": [
                    {"name": "a", "in_house_share": 1.5},
                    {"name": "b", "demand_factor": -1, "colour": "red"},
                    {
                        "name": "c",
                        "leave": {"specialist": "ana", "start": "2027-01-12", "end": "2027-01-11"},
                    },
                    {
                        "name": "d",
                        "leave": {"specialist": "ana", "start": "soon", "end": "2027-01-11"},
                    },
                ]
            }
        )
    paths = {p.path for p in field_errors.value.problems}
    assert {
        "$.scenarios[0].in_house_share",
        "$.scenarios[1].demand_factor",
        "$.scenarios[1].colour",
        "$.scenarios[2].leave",
        "$.scenarios[3].leave.start",
    } <= paths
    spec = load_spec(
        {
            "scenarios": [
                {"name": "base", "remove_vendor": ["pixelworks", "nobody"]},
                {
                    "name": "x",
                    "leave": [{"specialist": "zed", "start": "2026-12-01", "end": "2027-01-05"}],
                },
                {"name": "x", "in_house_share": 0.2},
                {"name": "y/z", "description": "only words"},
            ]
        }
    )
    problems = scenario_problems(spec, load_instance(json.loads(DEMO.read_text())))
    assert {(p.path, p.message) for p in problems} >= {
        ("$.scenarios[0].name", "'base' is the base instance's row"),
        ("$.scenarios[0].remove_vendor[1]", "unknown vendor 'nobody'"),
        ("$.scenarios[1].leave[0].specialist", "unknown specialist 'zed'"),
        (
            "$.scenarios[1].leave[0].start",
            "2026-12-01 is outside the horizon 2027-01-04..2027-01-29",
        ),
        ("$.scenarios[2].name", "duplicate scenario name 'x'"),
        ("$.scenarios[3]", "the scenario changes nothing"),
    }
    assert any(p.path == "$.scenarios[3].name" for p in problems)


def test_a_scenario_spec_reports_field_and_reference_errors_at_once() -> None:
    data = {
        "scenarios": [
            {"name": "a", "in_house_share": 1.5},
            {"name": "b", "remove_vendor": "nobody"},
            {"name": "c", "demand_factor": float("nan")},
            {"name": "d", "leave": {"specialist": "zed", "date": "2027-01-05"}},
        ]
    }
    base = load_instance(json.loads(DEMO.read_text()))
    problems = {(p.path, p.message) for p in spec_problems(data, base)}
    assert {path for path, _ in problems} == {
        "$.scenarios[0].in_house_share",
        "$.scenarios[1].remove_vendor",
        "$.scenarios[2].demand_factor",
        "$.scenarios[3].leave.specialist",
    }
    assert ("$.scenarios[2].demand_factor", NOT_FINITE) in problems


def test_a_scenario_with_a_bad_field_still_has_its_references_checked() -> None:
    data = {
        "scenarios": [
            {
                "name": "c",
                "in_house_share": 2,
                "leave": {"specialist": "zed", "start": "2030-01-01", "end": "2030-01-02"},
            }
        ]
    }
    base = load_instance(json.loads(DEMO.read_text()))
    assert {p.path for p in spec_problems(data, base)} == {
        "$.scenarios[0].in_house_share",
        "$.scenarios[0].leave.specialist",
        "$.scenarios[0].leave.start",
        "$.scenarios[0].leave.end",
    }


@pytest.mark.parametrize(
    ("scenario", "path"),
    [
        ({"leave": {"specialist": "ana", "start": 1799107200, "end": "2027-01-06"}}, "leave.start"),
        ({"leave": {"specialist": "ana", "date": "2027-01-06T00:00:00"}}, "leave.start"),
        ({"in_house_share": True}, "in_house_share"),
        ({"in_house_share": "0.5"}, "in_house_share"),
        ({"demand_factor": "2"}, "demand_factor"),
    ],
)
def test_a_scenario_spec_takes_no_coerced_values(scenario: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidScenarios) as raised:
        load_spec({"scenarios": [{"name": "s", **scenario}]})
    paths = [p.path for p in raised.value.problems]
    assert f"$.scenarios[0].{path}" in paths
    assert all(p.startswith(f"$.scenarios[0].{path.split('.')[0]}") for p in paths), paths


# -- the command -----------------------------------------------------------------------------


def run(*args: str | Path | float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [str(ALLOCATOR), "batch", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_batch_command(tmp_path: Path) -> None:
    good_folder(tmp_path / "in", (2, 3))
    write(tmp_path / "in" / "locked.json", infeasible())
    outdir = tmp_path / "out"
    result = run(tmp_path / "in", "-o", outdir, "--jobs", 2, "--workers", 1, "--time-limit", 3)
    assert result.returncode == 1, result.stderr
    table = result.stdout
    for word in ("instance", "status", "coverage", "cost", "in-house", "wall s", "error"):
        assert word in table
    lines = {line.split("│")[1].strip(): line for line in table.splitlines() if "│" in line}
    assert "optimal" in lines["g2"] and "optimal" in lines["g3"]
    assert "infeasible" in lines["locked"]
    assert "3 instance(s): 3 run now, 0 up to date" in table
    assert "overhead" in table
    assert pd.read_csv(outdir / "summary.csv")["instance"].tolist() == ["g2", "g3", "locked"]

    again = run(str(tmp_path / "in" / "g*.json"), "-o", outdir, "--time-limit", 3)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 instance(s): 0 run now, 2 up to date" in again.stdout
    forced = run(str(tmp_path / "in" / "g*.json"), "-o", outdir, "--time-limit", 3, "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "2 instance(s): 2 run now, 0 up to date" in forced.stdout

    missing = run(tmp_path / "nothing-*.json", tmp_path / "gone.json", "-o", tmp_path / "new")
    assert missing.returncode == 2
    # every unusable input is named, and no output folder is made for nothing
    assert "nothing-*.json: the pattern matches no instance file" in missing.stderr
    assert "gone.json: no such file or folder" in missing.stderr
    assert not (tmp_path / "new").exists()


def test_a_redirected_batch_table_keeps_each_row_on_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"NO_COLOR": "1"}
    result = subprocess.run(
        [str(ALLOCATOR), "batch", str(DEMO), "-o", str(tmp_path), "--time-limit", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any("instance" in line and "cost bound" in line for line in lines), result.stdout
    row = next(line for line in lines if "│ demo" in line)
    assert "optimal" in row and "solved" in row
    plan = Plan.model_validate_json((tmp_path / "demo.plan.json").read_text(encoding="utf-8"))
    assert check_plan(load_instance_file(DEMO), plan).ok


def test_the_batch_command_with_a_bad_scenario_spec(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.json", {"scenarios": [{"name": "x", "demand_factor": 0}]})
    result = run("--scenarios", spec, DEMO, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "$.scenarios[0].demand_factor" in result.stderr


def test_the_summary_table_keeps_numbers_whole_and_folds_the_names() -> None:
    frame = pd.DataFrame(
        {
            "instance": ["a-scenario-with-a-very-long-name-that-must-fold-somewhere"],
            "status": ["optimal"],
            "check": ["ok"],
            "coverage": [41100.0],
            "cost": [1234567.5],
            "cost_vs_base": [-1234.5],
        }
    )
    console = Console(width=60, record=True, color_system=None)
    console.print(summary_table(frame, "scenarios"))
    text = console.export_text()
    for number in ("41,100.00", "1,234,567.50", "-1,234.50"):
        assert number in text, text
    assert "a-scenario-with-a-very-long-name-that-must-fold-somewhere" not in text  # folded
