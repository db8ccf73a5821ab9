"""The independent plan checker on tiny hand-made instances and plans.

The base instance has four working dates (2027-01-04, 05, 07, 08; the 6th is a holiday):

- ana (in-house developer, 8 h/day, 50/h, off on the 8th, knows portal) fills the exclusive
  workplace portal-dev (8 h/day): 24 h, 8 h unmet (her day off).
- raj (outsourced designer, 6 h/day, 30/h, Kolkata) does portal-mockups (10 h: 6 + 2 + 2) and
  shop-banner (4 h on the 5th, the same day as 2 h of mockups: a two-project day).
- lee (in-house developer, 8 h/day, 40/h) does 16 of the 20 h of shop-api: 4 h unmet.
- kim (in-house developer) is idle.

By hand: coverage = 5 × 8 + 2 × 4 = 48; cost = 24 × 50 + 14 × 30 + 16 × 40 + onboarding
(raj on portal 4 × 30, raj on shop 2 × 30, lee on shop 2 × 40) = 2260 + 260 = 2520;
stability = 1 (raj's 5th); with the previous plan +1 (portal-dev was lee's) +1 (ana left
shop-api) +1 (raj on shop-banner, on which no one worked before) = 4.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import instance_dict, person, task

from allocator.check import CheckReport, Violation, check_plan, eligibility_reasons
from allocator.eligibility import compute_eligibility
from allocator.greedy import best_greedy
from allocator.kpis import compute_kpis
from allocator.model.data import build_model_data
from allocator.model.solution import evaluate
from allocator.plan import build_plan
from allocator.schema import Instance, Plan, Rule
from allocator.validate import InvalidPlan, load_instance, load_plan

BASE_INSTANCE: dict[str, Any] = {
    "name": "tiny",
    "horizon": {"start": "2027-01-04", "end": "2027-01-08", "holidays": ["2027-01-06"]},
    "specialists": [
        {
            "id": "ana",
            "roles": ["developer"],
            "sourcing": "in_house",
            "skills": {"python": 4},
            "hours_per_day": 8,
            "cost_per_hour": 50,
            "max_projects": 2,
            "timezone": "Europe/Kyiv",
            "unavailable": [{"date": "2027-01-08"}],
            "certifications": ["gdpr"],
            "familiar_projects": ["portal"],
        },
        {
            "id": "raj",
            "roles": ["designer"],
            "sourcing": "outsourced",
            "vendor": "pixelworks",
            "skills": {"figma": 5},
            "hours_per_day": 6,
            "cost_per_hour": 30,
            "max_projects": 2,
            "timezone": "Asia/Kolkata",
        },
        {
            "id": "lee",
            "roles": ["developer", "tester"],
            "sourcing": "in_house",
            "skills": {"python": 3},
            "hours_per_day": 8,
            "cost_per_hour": 40,
        },
        {
            "id": "kim",
            "roles": ["developer"],
            "sourcing": "in_house",
            "skills": {"python": 3},
            "hours_per_day": 8,
            "cost_per_hour": 40,
        },
    ],
    "projects": [
        {
            "id": "portal",
            "program": "mixed",
            "priority": 5,
            "min_in_house_share": 0.5,
            "sourcing_by_role": {"designer": "outsourced"},
            "min_overlap_hours": 2,
            "onboarding_hours": 4,
        },
        {"id": "shop", "program": "project_based", "priority": 2, "onboarding_hours": 2},
    ],
    "workplaces": [
        {
            "id": "portal-dev",
            "project": "portal",
            "role": "developer",
            "skills": {"python": 3},
            "hours_per_day": 8,
            "exclusive": True,
            "candidates": ["ana", "lee"],
            "certifications": ["gdpr"],
        }
    ],
    "tasks": [
        {
            "id": "portal-mockups",
            "project": "portal",
            "role": "designer",
            "skills": {"figma": 3},
            "effort_hours": 10,
            "start": "2027-01-04",
            "due": "2027-01-07",
            "min_daily_hours": 2,
            "required": True,
        },
        {
            "id": "shop-api",
            "project": "shop",
            "role": "developer",
            "skills": {"python": 2},
            "effort_hours": 20,
            "max_assignees": 2,
            "min_daily_hours": 2,
        },
        {
            "id": "shop-banner",
            "project": "shop",
            "role": "designer",
            "effort_hours": 4,
            "min_daily_hours": 2,
            "required": True,
        },
    ],
    "fixed": [
        {"specialist": "ana", "workplace": "portal-dev"},
        {"specialist": "raj", "task": "portal-mockups", "date": "2027-01-04", "hours": 6},
        {"specialist": "lee", "task": "shop-api", "hours": 16},
    ],
}


def _row(who: str, project: str, target: str, date: str, hours: float) -> dict[str, Any]:
    kind = "workplace" if target == "portal-dev" else "task"
    other = "task" if kind == "workplace" else "workplace"
    return {
        "specialist": who,
        "project": project,
        kind: target,
        other: None,
        "date": date,
        "hours": hours,
    }


BASE_PLAN: dict[str, Any] = {
    "instance": "tiny",
    "status": "feasible",  # optimal would need a bound on every goal
    "objective": {"coverage": 48, "cost": 2520, "stability": 1},
    "workplaces": [{"workplace": "portal-dev", "specialist": "ana"}],
    "assignments": [
        _row("ana", "portal", "portal-dev", "2027-01-04", 8),
        _row("ana", "portal", "portal-dev", "2027-01-05", 8),
        _row("ana", "portal", "portal-dev", "2027-01-07", 8),
        _row("raj", "portal", "portal-mockups", "2027-01-04", 6),
        _row("raj", "portal", "portal-mockups", "2027-01-05", 2),
        _row("raj", "portal", "portal-mockups", "2027-01-07", 2),
        _row("raj", "shop", "shop-banner", "2027-01-05", 4),
        _row("lee", "shop", "shop-api", "2027-01-04", 8),
        _row("lee", "shop", "shop-api", "2027-01-05", 8),
    ],
    "unmet": [
        {"workplace": "portal-dev", "hours": 8, "reasons": ["ana is unavailable on 2027-01-08"]},
        {"task": "shop-api", "hours": 4},
    ],
}

PREVIOUS_PLAN: dict[str, Any] = {
    "instance": "tiny",
    "status": "feasible",
    "workplaces": [{"workplace": "portal-dev", "specialist": "lee"}],
    "assignments": [
        _row("lee", "portal", "portal-dev", "2027-01-04", 8),
        _row("raj", "portal", "portal-mockups", "2027-01-04", 6),
        _row("lee", "shop", "shop-api", "2027-01-05", 8),
        _row("ana", "shop", "shop-api", "2027-01-05", 8),
    ],
}


def _base() -> tuple[dict[str, Any], dict[str, Any]]:
    return copy.deepcopy(BASE_INSTANCE), copy.deepcopy(BASE_PLAN)


def _check(instance: dict[str, Any], plan: dict[str, Any]) -> CheckReport:
    return check_plan(Instance.model_validate(instance), Plan.model_validate(plan))


def _find(plan: dict[str, Any], who: str, target: str, date: str) -> dict[str, Any]:
    for row in plan["assignments"]:
        if (row["specialist"], row["workplace"] or row["task"], row["date"]) == (who, target, date):
            return row  # type: ignore[no-any-return]
    raise KeyError((who, target, date))


def _item(items: list[dict[str, Any]], item_id: str) -> dict[str, Any]:
    return next(item for item in items if item["id"] == item_id)


def _rules(report: CheckReport) -> set[str]:
    return {v.rule for v in report.violations}


def _messages(report: CheckReport, rule: str) -> list[str]:
    return [v.message for v in report.violations if v.rule == rule]


# -- valid plans -------------------------------------------------------------------------------


def test_valid_plan_is_ok_with_hand_computed_objective() -> None:
    report = _check(*_base())
    assert report.violations == []
    assert report.ok
    assert report.objective == pytest.approx({"coverage": 48, "cost": 2520, "stability": 1})
    assert report.unmet == pytest.approx({("workplace", "portal-dev"): 8, ("task", "shop-api"): 4})


def test_stability_counts_changes_against_previous_plan() -> None:
    instance, plan = _base()
    instance["previous_plan"] = PREVIOUS_PLAN
    plan["objective"]["stability"] = 4
    report = _check(instance, plan)
    assert report.ok, report.violations
    assert report.objective["stability"] == 4


def test_stability_counts_filling_what_the_previous_plan_left_empty() -> None:
    # the previous plan staffed neither portal-dev nor shop-banner: ana's fill and raj's
    # work there are changes too (spec, objective 3: changed fills and task assignees)
    instance, plan = _base()
    previous = copy.deepcopy(PREVIOUS_PLAN)
    previous["workplaces"] = []
    previous["assignments"] = [_row("raj", "portal", "portal-mockups", "2027-01-04", 6)]
    instance["previous_plan"] = previous
    # raj's split day + ana on portal-dev + raj on shop-banner + lee on shop-api
    plan["objective"]["stability"] = 4
    report = _check(instance, plan)
    assert report.ok, report.violations
    assert report.objective["stability"] == 4


def test_cost_waives_onboarding_for_familiar_projects() -> None:
    instance, plan = _base()
    _item(instance["specialists"], "raj")["familiar_projects"] = ["portal", "shop"]
    plan["objective"]["cost"] = 2520 - 120 - 60
    report = _check(instance, plan)
    assert report.ok, report.violations
    assert report.objective["cost"] == 2340


def test_objective_within_tolerance_is_accepted() -> None:
    instance, plan = _base()
    plan["objective"]["cost"] = 2520.005
    assert _check(instance, plan).ok


def test_infeasible_plan_without_rows_is_ok() -> None:
    instance, _ = _base()
    plan = {"instance": "tiny", "status": "infeasible", "explanation": ["too little capacity"]}
    report = _check(instance, plan)
    assert report.ok
    assert report.objective == {}
    assert report.unmet == {}


def test_violation_is_a_frozen_value() -> None:
    violation = Violation("fixed", "ana is locked")
    assert violation == Violation("fixed", "ana is locked")
    with pytest.raises(AttributeError):
        violation.rule = "other"  # type: ignore[misc]


# -- eligibility_reasons -----------------------------------------------------------------------


def _eligibility(instance_dict: dict[str, Any], who: str, kind: str, target: str) -> list[str]:
    instance = Instance.model_validate(instance_dict)
    specialist = next(s for s in instance.specialists if s.id == who)
    items = instance.workplaces if kind == "workplace" else instance.tasks
    item = next(i for i in items if i.id == target)
    project = next(p for p in instance.projects if p.id == item.project)
    return eligibility_reasons(instance, specialist, project, item)


def test_eligibility_reasons_empty_for_eligible() -> None:
    instance, _ = _base()
    assert _eligibility(instance, "ana", "workplace", "portal-dev") == []
    assert _eligibility(instance, "raj", "task", "portal-mockups") == []


def test_eligibility_reasons_name_each_failed_condition() -> None:
    instance, _ = _base()
    _item(instance["projects"], "portal")["required_certifications"] = ["iso27001"]
    reasons = _eligibility(instance, "kim", "workplace", "portal-dev")
    text = " | ".join(reasons)
    assert len(reasons) == 3
    assert "iso27001" in text and "gdpr" in text and "candidates" in text
    raj = _eligibility(instance, "raj", "workplace", "portal-dev")
    assert any("role developer" in r for r in raj)
    assert any("python" in r for r in raj)


def test_eligibility_reasons_sourcing_and_overlap() -> None:
    instance, _ = _base()
    _item(instance["projects"], "portal")["sourcing_by_role"] = {"designer": "in_house"}
    _item(instance["specialists"], "raj")["timezone"] = "America/Los_Angeles"
    reasons = _eligibility(instance, "raj", "task", "portal-mockups")
    assert len(reasons) == 2
    assert any("in-house specialists only" in r for r in reasons)
    assert any("overlap" in r and "0 h" in r for r in reasons)


def test_eligibility_reasons_task_without_role_admits_any_role() -> None:
    instance, _ = _base()
    task = _item(instance["tasks"], "shop-banner")
    del task["role"]
    assert _eligibility(instance, "lee", "task", "shop-banner") == []
    task["sourcing"] = "outsourced"
    assert len(_eligibility(instance, "lee", "task", "shop-banner")) == 1


# -- one violation per rule --------------------------------------------------------------------


def test_eligibility_violation() -> None:
    instance, plan = _base()
    _item(instance["tasks"], "portal-mockups")["skills"] = {"figma": 5, "sketch": 2}
    report = _check(instance, plan)
    assert _rules(report) == {Rule.ELIGIBILITY}
    assert "sketch" in _messages(report, Rule.ELIGIBILITY)[0]


def test_workplace_fill_violation_short_day() -> None:
    instance, plan = _base()
    _find(plan, "ana", "portal-dev", "2027-01-07")["hours"] = 6
    plan["unmet"][0]["hours"] = 10
    plan["objective"].update(coverage=58, cost=2420)
    report = _check(instance, plan)
    assert _rules(report) == {Rule.WORKPLACE_FILL}
    assert "ana" in _messages(report, Rule.WORKPLACE_FILL)[0]
    assert "2027-01-07" in _messages(report, Rule.WORKPLACE_FILL)[0]


def test_workplace_fill_violation_unfilled_with_rows() -> None:
    instance, plan = _base()
    plan["workplaces"] = []
    instance["fixed"] = instance["fixed"][1:]
    report = _check(instance, plan)
    assert Rule.WORKPLACE_FILL in _rules(report)
    assert "plan" in _rules(report)


def test_daily_capacity_violation() -> None:
    instance, plan = _base()
    _find(plan, "lee", "shop-api", "2027-01-05")["hours"] = 10
    instance["fixed"][2]["hours"] = 18
    plan["unmet"][1]["hours"] = 2
    plan["objective"].update(coverage=44, cost=2600)
    report = _check(instance, plan)
    assert _rules(report) == {Rule.DAILY_CAPACITY}
    assert _messages(report, Rule.DAILY_CAPACITY) == [
        "lee works 10 h on 2027-01-05 but has 8 h a day"
    ]


def test_daily_capacity_violation_unavailable_date() -> None:
    instance, plan = _base()
    _item(instance["specialists"], "raj")["unavailable"] = [{"date": "2027-01-07"}]
    report = _check(instance, plan)
    assert _rules(report) == {Rule.DAILY_CAPACITY}
    assert _messages(report, Rule.DAILY_CAPACITY) == [
        "raj is unavailable on 2027-01-07 but has 2 h planned that day"
    ]


def test_exclusivity_violation() -> None:
    instance, plan = _base()
    _item(instance["specialists"], "ana")["hours_per_day"] = 10
    plan["assignments"].append(_row("ana", "shop", "shop-api", "2027-01-07", 2))
    plan["unmet"][1]["hours"] = 2
    plan["objective"].update(coverage=44, cost=2520 + 100 + 100, stability=2)
    report = _check(instance, plan)
    assert _rules(report) == {Rule.EXCLUSIVITY}
    assert "shop-api" in _messages(report, Rule.EXCLUSIVITY)[0]


def test_task_window_violation() -> None:
    instance, plan = _base()
    _find(plan, "raj", "portal-mockups", "2027-01-07")["date"] = "2027-01-08"
    report = _check(instance, plan)
    assert _rules(report) == {Rule.TASK_WINDOW}
    assert "2027-01-08" in _messages(report, Rule.TASK_WINDOW)[0]


def test_task_window_violation_on_holiday() -> None:
    instance, plan = _base()
    _find(plan, "raj", "portal-mockups", "2027-01-07")["date"] = "2027-01-06"
    report = _check(instance, plan)
    assert _rules(report) == {Rule.TASK_WINDOW, "plan"}


def test_task_effort_violation() -> None:
    instance, plan = _base()
    _find(plan, "raj", "portal-mockups", "2027-01-07")["hours"] = 4
    plan["objective"]["cost"] = 2580
    report = _check(instance, plan)
    assert _rules(report) == {Rule.TASK_EFFORT}


def test_min_daily_hours_violation() -> None:
    instance, plan = _base()
    _find(plan, "lee", "shop-api", "2027-01-05")["hours"] = 1
    instance["fixed"][2]["hours"] = 9
    plan["unmet"][1]["hours"] = 11
    plan["objective"].update(coverage=62, cost=2240)
    report = _check(instance, plan)
    assert _rules(report) == {Rule.MIN_DAILY_HOURS}


def test_min_daily_hours_allows_the_remaining_effort() -> None:
    instance, plan = _base()
    _item(instance["tasks"], "portal-mockups")["min_daily_hours"] = 4
    # 6 + 2 on the 4th and 5th: the 2 h on the 5th are below 4 of the 4 h left -> violation;
    # the 2 h on the 7th are the whole remaining effort -> fine.
    report = _check(instance, plan)
    messages = _messages(report, Rule.MIN_DAILY_HOURS)
    assert len(messages) == 1
    assert "2027-01-05" in messages[0]


def test_max_assignees_violation() -> None:
    instance, plan = _base()
    _item(instance["tasks"], "shop-api")["max_assignees"] = 1
    plan["assignments"].append(_row("kim", "shop", "shop-api", "2027-01-07", 2))
    plan["unmet"][1]["hours"] = 2
    plan["objective"].update(coverage=44, cost=2520 + 80 + 80)
    report = _check(instance, plan)
    assert _rules(report) == {Rule.MAX_ASSIGNEES}
    assert "kim, lee" in _messages(report, Rule.MAX_ASSIGNEES)[0]


def test_max_projects_violation() -> None:
    instance, plan = _base()
    _item(instance["specialists"], "raj")["max_projects"] = 1
    report = _check(instance, plan)
    assert _rules(report) == {Rule.MAX_PROJECTS}


def test_in_house_share_violation() -> None:
    instance, plan = _base()
    _item(instance["projects"], "portal")["min_in_house_share"] = 0.75  # 24 of 34 h is 71 %
    report = _check(instance, plan)
    assert _rules(report) == {Rule.IN_HOUSE_SHARE}
    assert "24 of its 34" in _messages(report, Rule.IN_HOUSE_SHARE)[0]


def test_fixed_violation_hours_on_date() -> None:
    instance, plan = _base()
    _find(plan, "raj", "portal-mockups", "2027-01-04")["hours"] = 4
    _find(plan, "raj", "portal-mockups", "2027-01-07")["hours"] = 4
    report = _check(instance, plan)
    assert _rules(report) == {Rule.FIXED}


def test_fixed_violation_total_and_workplace() -> None:
    instance, plan = _base()
    instance["fixed"][2]["hours"] = 12
    instance["fixed"].append({"specialist": "kim", "task": "shop-api", "date": "2027-01-07"})
    instance["fixed"][0]["specialist"] = "lee"
    report = _check(instance, plan)
    assert _rules(report) == {Rule.FIXED}
    assert (
        len(_messages(report, Rule.FIXED)) == 4
    )  # lee's fill, lee's total, kim: none, none that date


def test_required_violation() -> None:
    instance, plan = _base()
    _item(instance["tasks"], "shop-api")["required"] = True
    report = _check(instance, plan)
    assert _rules(report) == {Rule.REQUIRED}
    assert "shop-api" in _messages(report, Rule.REQUIRED)[0]


def test_required_workplace_unfilled() -> None:
    instance = copy.deepcopy(BASE_INSTANCE)
    instance["fixed"] = []
    instance["tasks"] = []
    _item(instance["workplaces"], "portal-dev")["required"] = True
    plan = {
        "instance": "tiny",
        "status": "feasible",
        "unmet": [{"workplace": "portal-dev", "hours": 32}],
    }
    report = _check(instance, plan)
    assert _rules(report) == {Rule.REQUIRED}
    assert len(report.violations) == 2  # not filled, and 32 h unmet


def test_objective_violation() -> None:
    instance, plan = _base()
    plan["objective"]["cost"] = 2519
    report = _check(instance, plan)
    assert _rules(report) == {"objective"}
    assert _messages(report, "objective") == ["the plan reports cost 2519 but its rows give 2520"]


@pytest.mark.parametrize(
    ("bound", "gap", "status", "needles"),
    [
        ({"coverage": 48, "cost": 2400}, (2520 - 2400) / 2520, "feasible", []),
        ({"coverage": 48, "cost": 2520, "stability": 1}, 0.0, "optimal", []),
        ({"coverage": 48, "cost": 2600}, 0.0, "feasible", ["bound of 2600 on cost"]),
        ({"coverage": -1}, 49 / 48, "feasible", ["bound of -1 on coverage"]),
        # the gap is the first goal's in objective order whose bound is open: coverage's
        ({"coverage": 40, "cost": 2400}, (2520 - 2400) / 2520, "feasible", ["gap of"]),
        ({"coverage": 40, "cost": 2520, "stability": 1}, 0.0, "optimal", ["gap of", "optimal"]),
        ({"coverage": 48, "cost": 2520}, 0.5, "feasible", ["gap of 0.5"]),
        # a relative gap of at most 1e-6 is closed (a cost bound lowered by the rounding of
        # costs per hour): the gap is then the next open goal's, and there is none
        ({"coverage": 48, "cost": 2519.999, "stability": 1}, 0.0, "optimal", []),
        ({"coverage": 48, "cost": 2519.999, "stability": 0}, 4e-7, "feasible", ["gap of 4e-07"]),
        ({"coverage": 48}, 0.0, "optimal", ["no bound on cost, stability"]),
        ({}, 0.5, "feasible", ["gap of 0.5 but no bound"]),
        ({}, None, "optimal", ["no bound on coverage, cost, stability"]),
        ({"coverage": float("nan")}, 0.0, "feasible", ["bound of nan on coverage"]),
    ],
)
def test_bounds_and_gap_are_recomputed(
    bound: dict[str, float], gap: float | None, status: str, needles: list[str]
) -> None:
    instance, plan = _base()
    plan.update(bound=bound, gap=gap, status=status)
    messages = _messages(_check(instance, plan), "objective")
    assert len(messages) == len(needles), messages
    for needle in needles:
        assert any(needle in m for m in messages), (needle, messages)


@pytest.mark.parametrize("status", ["feasible", "infeasible"])
def test_a_plan_for_another_instance_is_flagged(status: str) -> None:
    instance, plan = _base()
    plan["instance"] = "other"
    if status == "infeasible":
        plan.update(status=status, assignments=[], workplaces=[], unmet=[])
    assert _messages(_check(instance, plan), "plan") == [
        "the plan is for instance 'other', not 'tiny'"
    ]


def test_a_negative_wall_time_is_no_plan() -> None:
    _, plan = _base()
    plan["wall_seconds"] = -1
    with pytest.raises(InvalidPlan) as raised:
        load_plan(plan)
    assert [p.path for p in raised.value.problems] == ["$.wall_seconds"]


def test_an_invalid_status_for_a_valid_instance_is_flagged() -> None:
    instance, plan = _base()
    plan.update(status="invalid", assignments=[], workplaces=[], unmet=[])
    assert _messages(_check(instance, plan), "plan") == [
        "the plan's status is invalid but the instance has no input errors"
    ]


def test_values_that_are_not_numbers_are_flagged_not_a_crash() -> None:
    instance, plan = _with_kpis()
    plan["objective"]["cost"] = float("nan")
    plan["kpis"]["totals"]["cost"] = float("nan")
    report = _check(instance, plan)
    assert _messages(report, "objective") == ["the plan reports cost nan but its rows give 2520"]
    assert _messages(report, "kpis") == [
        "the KPI cost of the totals is nan, but the rows give 2520"
    ]


def _with_kpis() -> tuple[dict[str, Any], dict[str, Any]]:
    instance, plan = _base()
    plan["kpis"] = compute_kpis(Instance.model_validate(instance), Plan.model_validate(plan))
    return instance, plan


def test_kpis_are_recomputed_from_the_rows() -> None:
    instance, plan = _with_kpis()
    assert _check(instance, plan).ok
    projects = {r["project"]: r for r in plan["kpis"]["projects"]}
    # by hand: portal's seat 4 dates x 8 h and 10 h of mockups demanded, 24 + 10 h planned
    assert projects["portal"]["demand_hours"] == 42
    assert projects["portal"]["planned_hours"] == 34
    assert projects["shop"]["cost"] == 4 * 30 + 16 * 40 + 2 * 30 + 2 * 40


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda k: k["projects"][0].update(cost=1.0), "KPI cost of project portal"),
        (lambda k: k["projects"].pop(), "no row for project shop"),
        (lambda k: k["specialists"][1].update(utilisation=0.9), "KPI utilisation of specialist"),
        (lambda k: k["vendors"][0].update(hours=1.0), "KPI hours of vendor pixelworks"),
        (lambda k: k["totals"].update(planned_hours=1.0), "KPI planned_hours of the totals"),
        (lambda k: k.pop("totals"), "no totals"),
    ],
)
def test_kpis_violation(change: Any, needle: str) -> None:
    instance, plan = _with_kpis()
    change(plan["kpis"])
    messages = _messages(_check(instance, plan), "kpis")
    assert len(messages) == 1 and needle in messages[0], messages


def test_unmet_violation_missing_and_wrong() -> None:
    instance, plan = _base()
    plan["unmet"] = [
        {"workplace": "portal-dev", "hours": 6},
        {"task": "portal-mockups", "hours": 1},
    ]
    report = _check(instance, plan)
    assert _rules(report) == {"unmet"}
    assert len(report.violations) == 3  # wrong portal-dev, missing shop-api, extra mockups


def test_every_rule_has_a_test() -> None:
    names = {name for name in globals() if name.startswith("test_")}
    for rule in Rule:
        assert any(n.startswith(f"test_{rule.value}_violation") for n in names), rule


# -- plan consistency --------------------------------------------------------------------------


def test_infeasible_plan_with_rows_is_flagged() -> None:
    instance, plan = _base()
    plan["status"] = "infeasible"
    report = _check(instance, plan)
    assert _rules(report) == {"plan"}
    assert len(report.violations) == 2  # rows and fills
    assert report.objective == {}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (
            lambda p: p["assignments"].append(_row("zoe", "shop", "shop-api", "2027-01-07", 2)),
            "zoe",
        ),
        (lambda p: p["assignments"].append(_row("lee", "shop", "nope", "2027-01-07", 2)), "nope"),
        (
            lambda p: _find(p, "lee", "shop-api", "2027-01-04").update(project="portal"),
            "belongs to project shop",
        ),
        (
            lambda p: p["assignments"].append(_row("lee", "shop", "shop-api", "2027-01-05", 0.25)),
            "more than one row",
        ),
        (
            lambda p: p["workplaces"].append({"workplace": "portal-dev", "specialist": "lee"}),
            "more than once",
        ),
        (
            lambda p: p["assignments"].append(_row("lee", "portal", "portal-dev", "2027-01-07", 2)),
            "lists ana as its filler",
        ),
    ],
)
def test_plan_consistency(change: Any, needle: str) -> None:
    instance, plan = _base()
    change(plan)
    report = _check(instance, plan)
    assert any(needle in m for m in _messages(report, "plan")), report.violations


def test_a_goal_solved_without_a_bound_reports_zero_and_the_gap_against_it() -> None:
    # a stage that found no bound in time: every goal is at least 0, so the plan's gap is
    # measured against 0 (1.0), never reported closed; the checker agrees
    instance = load_instance(
        instance_dict(specialists=[person("a")], tasks=[task("t", 12), task("u", 60)])
    )
    data = build_model_data(instance, compute_eligibility(instance))
    solution = best_greedy(data, ["coverage", "cost"])
    values = evaluate(data, solution)
    plan = build_plan(
        data,
        solution,
        stages=[
            ("coverage", values["coverage"], values["coverage"]),
            ("cost", values["cost"], None),
        ],
        complete=False,
        wall_seconds=1.0,
        statistics={},
    )
    assert values["cost"] > 0
    assert plan.bound == {"coverage": values["coverage"], "cost": 0.0}
    assert plan.gap == 1.0 and plan.status == "feasible"
    assert check_plan(instance, plan).ok
