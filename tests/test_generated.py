"""Seeded generated instances of several shapes, solved briefly and checked independently.

For each: the checker accepts the plan, the status is optimal or feasible, coverage is never
worse than the greedy plan's (the solver starts from it), and the checker's recomputed
objective equals the plan's.
"""

from __future__ import annotations

import pytest
from conftest import config_of

from allocator import SolveOptions, check_plan, load_instance, solve
from allocator.eligibility import compute_eligibility
from allocator.generate import generate_instance
from allocator.greedy import greedy_solution
from allocator.model.data import build_model_data
from allocator.model.solution import evaluate

TIME_LIMIT = 3.0

# (program, tightness, seed, specialists, projects, days): two shapes per program and tightness
SHAPES = [
    ("time_based", 0.6, 11, 15, 3, 5),
    ("time_based", 0.6, 21, 28, 5, 10),
    ("time_based", 1.3, 12, 24, 4, 8),
    ("time_based", 1.3, 22, 16, 3, 5),
    ("project_based", 0.6, 13, 20, 4, 7),
    ("project_based", 0.6, 23, 26, 3, 6),
    ("project_based", 1.3, 14, 15, 3, 6),
    ("project_based", 1.3, 24, 22, 5, 5),
    ("mixed", 0.6, 15, 30, 5, 10),
    ("mixed", 0.6, 25, 17, 4, 6),
    ("mixed", 1.3, 16, 18, 5, 9),
    ("mixed", 1.3, 26, 25, 3, 7),
]


@pytest.mark.parametrize("shape", SHAPES, ids=["{}-{}-s{}-{}x{}x{}".format(*s) for s in SHAPES])
def test_generated_instance_solves_to_a_checked_plan(
    shape: tuple[str, float, int, int, int, int],
) -> None:
    program = shape[0]
    data = generate_instance(config_of(shape))
    assert {p["program"] for p in data["projects"]} == {program}
    instance = load_instance(data)

    plan = solve(instance, SolveOptions(time_limit=TIME_LIMIT, workers=2))
    assert plan.status in ("optimal", "feasible"), plan.explanation
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert set(plan.objective) == {"coverage", "cost", "stability"}
    for goal, value in report.objective.items():
        assert plan.objective[goal] == pytest.approx(value, abs=0.01), goal

    model_data = build_model_data(instance, compute_eligibility(instance))
    greedy = evaluate(model_data, greedy_solution(model_data))
    assert plan.objective["coverage"] <= greedy["coverage"] + 1e-6

    required = {w.id for w in instance.workplaces if w.required}
    required |= {t.id for t in instance.tasks if t.required}
    unmet = {u.workplace or u.task for u in plan.unmet}
    assert not required & unmet
    assert all(u.reasons for u in plan.unmet)
    if plan.status == "optimal":
        assert plan.objective["coverage"] == pytest.approx(plan.bound["coverage"], abs=0.01)


def test_replanning_with_locks_and_the_previous_plan_stays_checked() -> None:
    data = generate_instance(config_of(("mixed", 0.6, 25, 17, 4, 6)))
    instance = load_instance(data)
    first = solve(instance, SolveOptions(time_limit=TIME_LIMIT, workers=2))
    assert first.status in ("optimal", "feasible")
    fills = first.workplaces[:3]
    rows = [a for a in first.assignments if a.task is not None][:3]
    assert fills and rows
    data["fixed"] = [{"specialist": f.specialist, "workplace": f.workplace} for f in fills] + [
        {"specialist": a.specialist, "task": a.task, "date": str(a.date), "hours": a.hours}
        for a in rows
    ]
    data["previous_plan"] = first.model_dump(mode="json")
    data["objective"] = {"order": ["coverage", "stability", "cost"]}
    again_instance = load_instance(data)
    again = solve(again_instance, SolveOptions(time_limit=TIME_LIMIT, workers=2))
    assert again.status in ("optimal", "feasible"), again.explanation
    report = check_plan(again_instance, again)
    assert report.ok, report.violations
    for goal, value in report.objective.items():
        assert again.objective[goal] == pytest.approx(value, abs=0.01), goal
    assert {(f.workplace, f.specialist) for f in fills} <= {
        (f.workplace, f.specialist) for f in again.workplaces
    }
    if again.status == "optimal" and first.status == "optimal":
        assert again.objective["coverage"] == pytest.approx(first.objective["coverage"])
