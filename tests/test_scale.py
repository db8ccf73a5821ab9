"""Scale devices: LP bounds are valid, candidate restriction keeps plans valid and honest."""

from __future__ import annotations

import importlib

import pytest
from conftest import instance_dict, person, solve_checked

from allocator import SolveOptions, check_plan, load_instance, solve
from allocator.eligibility import compute_eligibility
from allocator.generate import GeneratorConfig, generate_instance
from allocator.model.aggregate import aggregate_bound
from allocator.model.build import build_model
from allocator.model.data import QUARTER, build_model_data
from allocator.model.relaxation import lp_bound

solve_module = importlib.import_module("allocator.solve")  # the package exports solve()


def _generated(seed: int, specialists: int = 25) -> dict[str, object]:
    config = GeneratorConfig(seed=seed, specialists=specialists, projects=4, days=10)
    return generate_instance(config)


@pytest.mark.parametrize("seed", [3, 4])
def test_bounds_never_exceed_the_plan(seed: int) -> None:
    instance = load_instance(_generated(seed))
    plan = solve(instance, SolveOptions(time_limit=6, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    for goal, bound in plan.bound.items():
        assert bound <= report.objective[goal] + 1e-6, goal
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [t.eligible for t in data.targets]
    coverage = aggregate_bound(data, eligible, "coverage")
    assert coverage is not None
    assert coverage / QUARTER <= report.objective["coverage"] + 1e-6
    capped = aggregate_bound(
        data, eligible, "cost", coverage_cap=report.objective["coverage"] * QUARTER
    )
    assert capped is not None
    assert capped / data.money_scale <= report.objective["cost"] + 1e-6


def test_candidate_restriction_keeps_plans_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 200)
    instance = load_instance(_generated(5, specialists=30))
    plan = solve(instance, SolveOptions(time_limit=6, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.statistics["candidates_per_task"]
    assert plan.status == "feasible"  # a cut model proves nothing about the instance
    assert plan.bound.get("coverage") == 0.0
    # cost: the aggregated relaxation over every eligible pair, under the coverage reached
    assert 0 < plan.bound["cost"] <= report.objective["cost"] + 1e-6
    restricted = [u for u in plan.unmet if any("left out" in r for r in u.reasons)]
    assert all(u.task for u in restricted)


def test_lp_bound_counts_onboarding_of_a_specialist_on_several_tasks() -> None:
    """One specialist (50/h, 4 h of onboarding) must do both 8-hour tasks of the project: the
    cost is 16 h + 4 h at 50 = 1,000. Each task alone needs only a part of the project's
    indicator in the LP relaxation; the hours on the project together need all of it."""
    data_ = instance_dict(
        projects=[{"id": "p", "program": "project_based", "onboarding_hours": 4}],
        specialists=[person("ana")],
        tasks=[
            {"id": f"t{i}", "project": "p", "effort_hours": 8, "min_daily_hours": 1} for i in (1, 2)
        ],
    )
    instance = load_instance(data_)
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    built.model.add(built.goal("coverage") <= 0)
    built.model.minimize(built.goal("cost"))
    bound = lp_bound(built.model, 10, linearize_enforced=False)
    assert bound.value == pytest.approx(1000 * data.money_scale)
    eligible = [t.eligible for t in data.targets]
    for period in ("week", "horizon"):
        aggregated = aggregate_bound(data, eligible, "cost", coverage_cap=0, period=period)
        assert aggregated == pytest.approx(1000 * data.money_scale)
    plan = solve_checked(data_)
    assert plan.objective["cost"] == 1000


def test_aggregate_bound_keeps_the_project_limit() -> None:
    """Ana may work on one project only; each of two projects (priority 3) has an 8-hour
    task she alone can do: 8 hours stay unmet, 24 weighted, which the relaxation knows."""
    data_ = instance_dict(
        projects=[{"id": p, "program": "project_based"} for p in ("p", "q")],
        specialists=[person("ana", max_projects=1)],
        tasks=[{"id": f"t-{p}", "project": p, "effort_hours": 8} for p in ("p", "q")],
    )
    instance = load_instance(data_)
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [t.eligible for t in data.targets]
    bound = aggregate_bound(data, eligible, "coverage")
    assert bound == pytest.approx(24 * QUARTER)
    plan = solve_checked(data_)
    assert plan.objective["coverage"] == 24
    assert plan.status == "optimal"


def test_lp_bound_counts_reading_the_model_in_its_time_limit() -> None:
    instance = load_instance(_generated(3))
    built = build_model(instance)
    built.model.minimize(built.goal("coverage"))
    late = lp_bound(built.model, 0.0)
    assert late.value is None and "reading the model" in late.status
    assert lp_bound(built.model, 10.0).value is not None
