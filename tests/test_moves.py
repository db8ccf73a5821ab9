"""Hand-overs (:mod:`allocator.moves`): a share of a target handed to a cheaper candidate.

- Hand-made plans where the right hand-over, or the rule that forbids every one, is known:
  exclusivity, assignee and project limits, the in-house share, fixed assignments, onboarding
  that outweighs a lower rate, a workplace refilled around its filler's leave.
- Plans of generated instances (perturbed eligibility): every plan handed over passes the
  independent checker, with coverage no worse and, at the same coverage, cost no higher.
- A task's last hours, fewer than its daily minimum, get a last shorter day (spec rule 5)
  where a candidate has them free and the rules allow it.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import config_of, instance_dict, person, task
from test_eligibility import _perturbed

from allocator import CheckReport, check_plan, load_instance
from allocator.eligibility import compute_eligibility
from allocator.generate import generate_instance
from allocator.greedy import best_greedy
from allocator.model.data import ModelData, build_model_data
from allocator.model.solution import Solution, evaluate
from allocator.moves import finish_short, hand_over
from allocator.plan import build_plan
from allocator.schema import Instance

DAYS = range(5)  # the five working dates of conftest's horizon


def _data(doc: dict[str, Any]) -> tuple[Instance, ModelData]:
    instance = load_instance(doc)
    return instance, build_model_data(instance, compute_eligibility(instance))


def _target(data: ModelData, item: str) -> int:
    return next(t.index for t in data.targets if t.target.item.id == item)


def _works(data: ModelData, who: str, item: str, days: range = DAYS, q: int = 16) -> Solution:
    """``who`` works ``q`` quarter-hours on task ``item`` on ``days``."""
    s, k = data.specialist_index[who], _target(data, item)
    return Solution({}, {(s, k, d): q for d in days})


def _merged(*plans: Solution) -> Solution:
    out = Solution({}, {})
    for plan in plans:
        out.fills.update(plan.fills)
        out.hours.update(plan.hours)
    return out


def _report(instance: Instance, data: ModelData, solution: Solution) -> CheckReport:
    """The independent checker's report on ``solution``."""
    plan = build_plan(data, solution, stages=[], complete=False, wall_seconds=0, statistics={})
    return check_plan(instance, plan)


def _checked(instance: Instance, data: ModelData, before: Solution) -> tuple[Solution, int]:
    """Hand over ``before`` and assert the checker accepts the plan, with coverage no worse
    and, at the same coverage, cost no higher than ``before``'s (both plans through the
    checker)."""
    after, moves = hand_over(data, before)
    values = []
    for solution in (before, after):
        report = _report(instance, data, solution)
        assert report.ok, report.violations
        values.append(report.objective)
    assert values[1]["coverage"] <= values[0]["coverage"] + 1e-9
    if values[1]["coverage"] == pytest.approx(values[0]["coverage"]):
        assert values[1]["cost"] <= values[0]["cost"] + 1e-9
    assert (moves > 0) == (after != before)
    return after, moves


def _hours_of(data: ModelData, solution: Solution, who: str) -> int:
    s = data.specialist_index[who]
    return sum(q for (t, _, _), q in solution.hours.items() if t == s)


def test_a_task_goes_to_the_idle_cheaper_candidate() -> None:
    instance, data = _data(
        instance_dict(
            specialists=[person("dear", cost_per_hour=80), person("cheap", cost_per_hour=40)],
            tasks=[task("t", 20)],
        )
    )
    before = _works(data, "dear", "t")
    after, moves = _checked(instance, data, before)
    assert moves == 1
    assert _hours_of(data, after, "cheap") == 80 and _hours_of(data, after, "dear") == 0
    assert evaluate(data, after)["cost"] == evaluate(data, before)["cost"] - 20 * 40


def test_only_the_dates_with_room_move_when_a_place_is_left() -> None:
    # cheap is booked on "other" on Monday and Tuesday: the other three dates move, and the
    # task then has two assignees (its limit)
    doc = instance_dict(
        specialists=[person("dear", cost_per_hour=80), person("cheap", cost_per_hour=40)],
        tasks=[task("t", 20, max_assignees=2), task("other", 16)],
    )
    instance, data = _data(doc)
    before = _merged(_works(data, "dear", "t"), _works(data, "cheap", "other", range(2), 32))
    after, _ = _checked(instance, data, before)
    k, cheap = _target(data, "t"), data.specialist_index["cheap"]
    assert sorted(d for (s, t, d) in after.hours if s == cheap and t == k) == [2, 3, 4]
    # at one assignee a share cannot be split: it moves whole, to the dates cheap is free
    doc["tasks"][0]["max_assignees"] = 1
    instance, data = _data(doc)
    before = _merged(_works(data, "dear", "t"), _works(data, "cheap", "other", range(2), 32))
    after, moves = _checked(instance, data, before)
    days = {d: q for (s, t, d), q in after.hours.items() if s == cheap and t == k}
    assert moves == 1 and sum(days.values()) == 80 and set(days) <= {2, 3, 4}


def test_a_task_moves_to_other_dates_of_its_window_where_the_cheaper_one_is_free() -> None:
    # cheap is booked Monday and Tuesday, when dear works the task; free the rest of the week
    doc = instance_dict(
        specialists=[person("dear", cost_per_hour=80), person("cheap", cost_per_hour=40)],
        tasks=[task("t", 16, min_daily_hours=4), task("other", 16, candidates=["cheap"])],
    )
    instance, data = _data(doc)
    before = _merged(
        _works(data, "dear", "t", range(2), 32), _works(data, "cheap", "other", range(2), 32)
    )
    after, moves = _checked(instance, data, before)
    k, cheap = _target(data, "t"), data.specialist_index["cheap"]
    assert moves == 1 and _hours_of(data, after, "dear") == 0
    days = {d: q for (s, t, d), q in after.hours.items() if s == cheap and t == k}
    assert sum(days.values()) == 64 and set(days) <= {2, 3, 4}
    assert all(q >= 16 for q in days.values())  # each day at least the 4 h minimum
    # a task with a shorter last day keeps its dates: x's 2 h on Tuesday are the last 2 h
    # of 10, and dear's Monday moved after them would leave x short of the 4 h minimum
    away = [{"date": "2027-01-04"}, {"start": "2027-01-06", "end": "2027-01-08"}]
    doc["specialists"].append(person("x", cost_per_hour=45, unavailable=away))
    doc["tasks"][0].update(effort_hours=10, max_assignees=2)
    instance, data = _data(doc)
    before = _merged(
        _works(data, "dear", "t", range(1), 32),
        _works(data, "x", "t", range(1, 2), 8),
        _works(data, "cheap", "other", range(2), 32),
    )
    assert _checked(instance, data, before)[1] == 0


@pytest.mark.parametrize(
    "rule",
    ["exclusive", "max_projects", "in_house_share", "fixed", "onboarding", "leave"],
)
def test_no_hand_over_breaks_a_rule_or_costs_more(rule: str) -> None:
    cheap: dict[str, Any] = {"cost_per_hour": 40}
    projects: list[dict[str, Any]] = [{"id": "p", "program": "mixed"}]
    workplaces: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    if rule in ("exclusive", "leave"):  # 2 h a day: the 10 h need all five dates
        cheap["hours_per_day"] = 2
    if rule == "exclusive":  # cheap fills an exclusive seat of another project on Monday
        projects.append({"id": "q", "program": "time_based"})
        workplaces.append(
            {
                "id": "seat",
                "project": "q",
                "role": "developer",
                "hours_per_day": 2,
                "start": "2027-01-04",
                "end": "2027-01-04",
                "exclusive": True,
            }
        )
    elif rule == "max_projects":  # cheap already works on q and may join no other project
        projects.append({"id": "q", "program": "mixed"})
        cheap["max_projects"] = 1
    elif rule == "in_house_share":
        projects[0]["min_in_house_share"] = 1.0
        cheap.update(sourcing="outsourced")
    elif rule == "fixed":
        fixed.append({"specialist": "dear", "task": "t", "date": "2027-01-04", "hours": 2})
    elif rule == "onboarding":  # 10 h saved at 40/h less, 40 h of onboarding at 40/h more
        projects[0]["onboarding_hours"] = 40
        cheap["familiar_projects"] = []
    elif rule == "leave":  # cheap is away on Wednesday: one assignee, the share is whole
        cheap["unavailable"] = [{"start": "2027-01-06", "end": "2027-01-06"}]
    doc = instance_dict(
        specialists=[
            person("dear", cost_per_hour=80, familiar_projects=["p"]),
            person("cheap", **cheap),
        ],
        projects=projects,
        workplaces=workplaces,
        tasks=[task("t", 10, max_assignees=1)]
        + ([task("q-task", 2, project="q")] if rule == "max_projects" else []),
        fixed=fixed,
    )
    instance, data = _data(doc)
    before = _works(data, "dear", "t", q=8)
    if rule == "exclusive":
        before.fills[_target(data, "seat")] = data.specialist_index["cheap"]
    if rule == "max_projects":
        before = _merged(before, _works(data, "cheap", "q-task", range(1), 8))
    after, moves = _checked(instance, data, before)
    assert moves == 0 and after == before


def test_a_workplace_is_refilled_around_its_fillers_leave_even_at_a_higher_rate() -> None:
    # coverage comes first: dear is away two days, pricey is there all week
    doc = instance_dict(
        specialists=[
            person(
                "dear", cost_per_hour=60, unavailable=[{"start": "2027-01-04", "end": "2027-01-05"}]
            ),
            person("pricey", cost_per_hour=90),
        ],
        workplaces=[
            {
                "id": "seat",
                "project": "p",
                "role": "developer",
                "hours_per_day": 8,
                "start": "2027-01-04",
                "end": "2027-01-08",
            }
        ],
    )
    instance, data = _data(doc)
    w = _target(data, "seat")
    before = Solution({w: data.specialist_index["dear"]}, {})
    after, moves = _checked(instance, data, before)
    assert moves == 1 and after.fills == {w: data.specialist_index["pricey"]}
    assert evaluate(data, after)["coverage"] == 0 < evaluate(data, before)["coverage"]


SHAPES = [
    ("mixed", 0.9, 41, 40, 5, 10),
    ("project_based", 0.8, 42, 36, 4, 12),
    ("time_based", 1.1, 43, 30, 4, 8),
]


@pytest.mark.parametrize("perturb", [False, True], ids=["plain", "perturbed"])
def test_hand_overs_of_generated_plans_pass_the_checker(perturb: bool) -> None:
    moves = 0
    for shape in SHAPES:
        doc = _perturbed(shape) if perturb else generate_instance(config_of(shape))
        for item in doc["workplaces"] + doc["tasks"]:
            item["required"] = False  # greedy plans are valid plans then
        instance, data = _data(doc)
        for order in (["coverage", "cost"], ["coverage"]):  # a greedy plan good on cost, and not
            before = best_greedy(data, order)  # type: ignore[arg-type]
            moves += _checked(instance, data, before)[1]
    assert moves > 0  # the greedy plans leave some hand-over that pays


@pytest.mark.parametrize("places", [1, 2])
def test_a_tasks_last_hours_get_a_last_shorter_day_where_the_rules_allow(places: int) -> None:
    # 9 h at 8 h a day at least: a does 8 h on Monday; the last hour may be a shorter
    # Tuesday (the whole effort left). a is booked on Tuesday; b may do it with a place left
    doc = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-05"},
        specialists=[person("a"), person("b", cost_per_hour=60)],
        tasks=[
            task("t", 9, min_daily_hours=8, max_assignees=places),
            task("other", 8, candidates=["a"]),
        ],
    )
    instance, data = _data(doc)
    before = _merged(
        _works(data, "a", "t", range(1), 32), _works(data, "a", "other", range(1, 2), 32)
    )
    after, added = finish_short(data, before)
    plans = [
        build_plan(data, plan, stages=[], complete=False, wall_seconds=0, statistics={})
        for plan in (before, after)
    ]
    for plan in plans:
        report = check_plan(instance, plan)
        assert report.ok, report.violations
    if places == 1:  # b may not join: nothing changes
        assert added == 0 and after == before
        return
    k, b = _target(data, "t"), data.specialist_index["b"]
    assert added == 1 and after.hours[b, k, 1] == 4  # one hour, on Tuesday
    assert plans[1].objective["coverage"] == 0 < plans[0].objective["coverage"]


def test_the_last_shorter_day_comes_after_every_date_the_task_is_worked() -> None:
    # a does 8 h on Tuesday, the window's last date: an hour on Monday would not be the
    # whole effort left that day (9 h), so no day is added
    doc = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-05"},
        specialists=[person("a")],
        tasks=[task("t", 9, min_daily_hours=8)],
    )
    instance, data = _data(doc)
    before = _works(data, "a", "t", range(1, 2), 32)
    after, added = finish_short(data, before)
    assert added == 0 and after == before
    assert _report(instance, data, after).ok
    # on Monday alone it goes to Tuesday
    before = _works(data, "a", "t", range(1), 32)
    assert _report(instance, data, before).ok
    after, added = finish_short(data, before)
    report = _report(instance, data, after)
    assert added == 1 and report.ok and report.objective["coverage"] == 0
