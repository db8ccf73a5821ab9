"""The coverage bound from a minimum-cost flow (:mod:`allocator.model.flow`).

It must never exceed the coverage of any plan: it is checked against the LP relaxation of the
whole model (whose feasible set lies inside the flow's) and against checked plans, on
hand-made instances whose optimum is known and on generated ones with leave, short days,
exclusive workplaces and share rules.
"""

from __future__ import annotations

import pytest
from conftest import config_of, instance_dict, person, solve_checked, solve_module, task
from test_eligibility import _perturbed

from allocator import load_instance
from allocator.eligibility import compute_eligibility
from allocator.generate import generate_instance
from allocator.model.build import build_model
from allocator.model.data import QUARTER, ModelData, build_model_data
from allocator.model.flow import coverage_flow_bound
from allocator.model.relaxation import lp_bound


def _data(doc: dict[str, object]) -> ModelData:
    instance = load_instance(doc)
    return build_model_data(instance, compute_eligibility(instance))


def _flow(data: ModelData) -> int | None:
    return coverage_flow_bound(data, [t.eligible for t in data.targets])


def _priorities() -> dict[str, object]:
    """a works 8 h a day, 40 h in the week; hi (priority 5) and lo (priority 1) need 30 h
    each: the best plan gives hi all 30 h and lo 10, leaving 20 h of lo unmet (20)."""
    return instance_dict(
        projects=[
            {"id": "hi", "program": "project_based", "priority": 5},
            {"id": "lo", "program": "project_based", "priority": 1},
        ],
        specialists=[person("a")],
        tasks=[task("t-hi", 30, project="hi"), task("t-lo", 30, project="lo")],
    )


def test_the_flow_gives_the_hours_to_the_highest_priority_first() -> None:
    assert _flow(_data(_priorities())) == 20 * QUARTER
    plan = solve_checked(_priorities(), time_limit=5, workers=2)
    assert plan.objective["coverage"] == 20 and plan.bound["coverage"] == 20
    assert plan.status == "optimal"


def test_the_flow_counts_leave_and_a_workplace_s_hours() -> None:
    # b is away two days of five: 3 x 8 = 24 h; the 6 h-a-day workplace (30 h) and the 20 h
    # task compete for a (40 h) and b: 70 h of demand, 64 h of people, both at priority 3
    doc = instance_dict(
        specialists=[
            person("a"),
            person("b", unavailable=[{"start": "2027-01-04", "end": "2027-01-05"}]),
        ],
        workplaces=[{"id": "w", "project": "p", "role": "developer", "hours_per_day": 6}],
        tasks=[task("t", 40)],
    )
    assert _flow(_data(doc)) == 3 * 6 * QUARTER
    plan = solve_checked(doc, time_limit=5, workers=2)
    assert plan.bound["coverage"] >= 18 and plan.objective["coverage"] >= 18


SHAPES = [
    ("mixed", 1.3, 16, 18, 5, 9),
    ("time_based", 1.3, 22, 16, 3, 5),
    ("project_based", 1.3, 24, 22, 5, 5),
    ("mixed", 0.6, 25, 17, 4, 6),
]


@pytest.mark.parametrize("perturb", [False, True], ids=["generated", "perturbed"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{s[0]}-{s[1]}" for s in SHAPES])
def test_the_flow_never_exceeds_the_lp_bound_nor_a_plan(
    shape: tuple[str, float, int, int, int, int], perturb: bool
) -> None:
    doc = _perturbed(shape) if perturb else generate_instance(config_of(shape))
    for item in [*doc["workplaces"], *doc["tasks"]]:  # perturbed, some could never be met
        item["required"] = False
    data = _data(doc)
    flow = _flow(data)
    assert flow is not None
    built = build_model(data.instance, data=data)
    built.model.minimize(built.goal("coverage"))
    lp = lp_bound(built.model, 20.0).value
    assert lp is not None
    assert flow <= lp + 1e-6
    plan = solve_checked(doc, time_limit=2, workers=2)
    assert flow / QUARTER <= plan.objective["coverage"] + 1e-9
    assert plan.bound["coverage"] >= flow / QUARTER - 1e-9  # the plan reports it at least


def test_a_cut_model_without_time_for_its_lp_reports_the_flow_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every candidate cut, no time for any LP: the flow bound of the whole instance stands
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 0)
    monkeypatch.setattr(solve_module, "LP_TIME_SHARE", 0.0)
    monkeypatch.setattr(solve_module, "LP_TIME_SHARE_MEANWHILE", 0.0)
    doc = generate_instance(config_of(("mixed", 1.3, 16, 18, 5, 9)))
    flow = _flow(_data(doc))
    assert flow is not None and flow > 0
    plan = solve_checked(doc, time_limit=3, workers=2)
    assert plan.statistics["candidates_per_task"]
    assert plan.bound["coverage"] == flow / QUARTER
    assert plan.objective["coverage"] >= plan.bound["coverage"]
