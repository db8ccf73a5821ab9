"""Scale devices: LP bounds are valid, candidate restriction keeps plans valid and honest."""

from __future__ import annotations

import importlib

import pytest

from allocator import SolveOptions, check_plan, load_instance, solve
from allocator.eligibility import compute_eligibility
from allocator.generate import GeneratorConfig, generate_instance
from allocator.model.data import QUARTER, build_model_data
from allocator.model.weekly import weekly_bound

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
    coverage = weekly_bound(data, eligible, "coverage")
    assert coverage is not None
    assert coverage / QUARTER <= report.objective["coverage"] + 1e-6
    capped = weekly_bound(
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
    if "cost" in plan.bound:
        assert plan.bound["cost"] <= report.objective["cost"] + 1e-6
    restricted = [u for u in plan.unmet if any("left out" in r for r in u.reasons)]
    assert all(u.task for u in restricted)
