"""Benchmark peers produce valid plans of the same rules (checked by the checker)."""

from __future__ import annotations

import os

import pytest
from conftest import INSTANCES, instance_dict, person

from allocator import SolveOptions, check_plan, load_instance, load_instance_file, solve
from allocator.generate import GeneratorConfig, generate_instance
from benchmarks.peers import greedy as peers_greedy
from benchmarks.peers import timefold_peer
from benchmarks.peers.greedy import cost_at_greedy_coverage, solve_greedy
from benchmarks.peers.highs_mip import solve_mip
from benchmarks.peers.timefold_peer import solve_timefold


def test_highs_mip_finds_the_engines_optimum_on_the_demo() -> None:
    instance = load_instance_file(INSTANCES / "demo.json")
    mip = solve_mip(instance, time_limit=20)
    report = check_plan(instance, mip)
    assert report.ok, report.violations
    ours = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert check_plan(instance, ours).ok
    assert ours.status == "optimal"
    assert mip.objective["coverage"] == pytest.approx(ours.objective["coverage"])
    assert mip.objective["cost"] == pytest.approx(ours.objective["cost"])
    for goal, bound in mip.bound.items():
        assert bound <= report.objective[goal] + 1e-6


def test_greedy_peer_staffs_the_demo_within_the_rules() -> None:
    instance = load_instance_file(INSTANCES / "demo.json")
    plan = solve_greedy(instance)
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    ours = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert check_plan(instance, ours).ok
    assert ours.objective["coverage"] <= report.objective["coverage"]


@pytest.mark.parametrize("neighbourhoods", [False, True], ids=["cp-sat", "neighbourhoods"])
def test_cost_at_greedy_coverage_is_never_worse_than_the_greedy(
    neighbourhoods: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if neighbourhoods:  # the path large instances take, on a small one
        monkeypatch.setattr(peers_greedy, "LNS_MIN_VARIABLES", 0)
    config = GeneratorConfig(seed=5, specialists=24, projects=3, days=6, tightness=1.2)
    instance = load_instance(generate_instance(config))
    greedy = check_plan(instance, solve_greedy(instance))
    plan = cost_at_greedy_coverage(instance, 4)
    report = check_plan(instance, plan)
    assert greedy.ok and report.ok, report.violations
    assert report.objective["coverage"] <= greedy.objective["coverage"]
    assert report.objective["cost"] <= greedy.objective["cost"]
    assert ("neighbourhoods" in str(plan.statistics["solver"])) == neighbourhoods


@pytest.fixture(scope="module")
def timefold_ready() -> None:
    missing = timefold_peer.available()
    if missing and os.environ.get("CI") != "true":
        pytest.skip(f"Timefold peer unavailable: {missing}")


@pytest.mark.usefixtures("timefold_ready")
def test_timefold_peer_keeps_every_hard_rule_of_the_demo() -> None:
    # the demo has an exclusive seat with approved candidates, a share rule, an in-house-only
    # role and a required seat locked to a specialist
    instance = load_instance_file(INSTANCES / "demo.json")
    best: list[tuple[float, float, float]] = []
    plan = solve_timefold(instance, 3, on_best=lambda *point: best.append(point))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.status == "feasible" and best  # improving plans were reported
    assert (best[-1][1], best[-1][2]) == (report.objective["coverage"], report.objective["cost"])
    fixed = {(f.workplace, f.specialist) for f in instance.fixed if f.workplace}
    assert fixed <= {(w.workplace, w.specialist) for w in plan.workplaces}


@pytest.mark.usefixtures("timefold_ready")
def test_timefold_peer_honours_a_fixed_task_date() -> None:
    data = instance_dict(
        specialists=[person("ann", cost_per_hour=90), person("bob", cost_per_hour=10)],
        tasks=[{"id": "t", "project": "p", "effort_hours": 8, "min_daily_hours": 4}],
        fixed=[{"specialist": "ann", "task": "t", "date": "2027-01-06"}],
    )
    instance = load_instance(data)
    plan = solve_timefold(instance, 2)
    assert check_plan(instance, plan).ok
    assert any(
        row.specialist == "ann" and str(row.date) == "2027-01-06" for row in plan.assignments
    )  # although bob is cheaper
    data["fixed"][0]["hours"] = 4
    with pytest.raises(NotImplementedError, match="hours"):
        solve_timefold(load_instance(data), 2)
