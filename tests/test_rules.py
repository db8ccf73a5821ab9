"""One small hand-made instance per hard rule and per goal, with the answer known by hand.

Every plan goes through the independent checker (``solve_checked``).
"""

from __future__ import annotations

import pytest
from conftest import filler, hours_by, instance_dict, person, solve_checked

WEEK = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"]


def workplace(id: str = "w", **fields: object) -> dict[str, object]:
    return {"id": id, "project": "p", "role": "developer", "hours_per_day": 8, **fields}


def task(id: str = "t", **fields: object) -> dict[str, object]:
    return {"id": id, "project": "p", "effort_hours": 8, **fields}


@pytest.mark.parametrize(
    ("cheap", "requirement"),
    [
        ({"roles": ["tester"]}, {}),
        ({"skills": {"python": 2}}, {"skills": {"python": 3}}),
        ({"certifications": []}, {"certifications": ["gdpr"]}),
        ({"sourcing": "outsourced"}, {"sourcing": "in_house"}),
        ({}, {"candidates": ["dear"]}),
        ({"timezone": "Asia/Tokyo"}, {}),
    ],
    ids=["role", "skill", "certification", "sourcing", "candidates", "timezone"],
)
def test_eligibility_excludes_the_cheaper_ineligible_specialist(
    cheap: dict[str, object], requirement: dict[str, object]
) -> None:
    base = {"skills": {"python": 3}, "certifications": ["gdpr"]}
    data = instance_dict(
        projects=[{"id": "p", "program": "time_based", "min_overlap_hours": 4}],
        specialists=[
            person("cheap", cost_per_hour=10, **{**base, **cheap}),
            person("dear", cost_per_hour=90, **base),
        ],
        workplaces=[workplace(**requirement)],
    )
    plan = solve_checked(data)
    assert plan.status == "optimal"
    assert filler(plan, "w") == "dear"
    assert hours_by(plan, specialist="cheap") == 0


def test_workplace_is_filled_by_one_specialist_for_its_whole_period() -> None:
    data = instance_dict(
        specialists=[person("a"), person("b", cost_per_hour=40)],
        workplaces=[workplace(hours_per_day=6, start=WEEK[1], end=WEEK[3])],
    )
    plan = solve_checked(data)
    assert filler(plan, "w") == "b"
    rows = [a for a in plan.assignments if a.workplace == "w"]
    assert sorted(str(a.date) for a in rows) == WEEK[1:4]
    assert {a.hours for a in rows} == {6}
    assert plan.objective["coverage"] == 0


def test_unavailable_filler_leaves_unmet_hours_with_the_reason() -> None:
    data = instance_dict(
        specialists=[person("a", unavailable=[{"date": WEEK[2]}])],
        workplaces=[workplace()],
    )
    plan = solve_checked(data)
    assert filler(plan, "w") == "a"
    (unmet,) = plan.unmet
    assert unmet.workplace == "w" and unmet.hours == 8
    assert any("unavailable" in r and WEEK[2] in r for r in unmet.reasons)


def test_daily_capacity_caps_a_specialists_day() -> None:
    data = instance_dict(
        specialists=[person("a")],
        tasks=[task("t1", start=WEEK[0], due=WEEK[0]), task("t2", start=WEEK[0], due=WEEK[0])],
    )
    plan = solve_checked(data)
    assert hours_by(plan, specialist="a") == 8
    assert plan.objective["coverage"] == 3 * 8


def test_exclusive_filler_works_on_nothing_else() -> None:
    data = instance_dict(
        specialists=[person("a")],
        workplaces=[workplace(hours_per_day=6, exclusive=True)],
        tasks=[task(effort_hours=10, min_daily_hours=1)],
    )
    plan = solve_checked(data)
    assert filler(plan, "w") == "a"
    assert hours_by(plan, task="t") == 0  # a has 2 h free a day, but the seat is exclusive
    assert plan.objective["coverage"] == 3 * 10


def test_non_exclusive_filler_takes_other_work_in_spare_hours() -> None:
    data = instance_dict(
        specialists=[person("a")],
        workplaces=[workplace(hours_per_day=6)],
        tasks=[task(effort_hours=10, min_daily_hours=1)],
    )
    plan = solve_checked(data)
    assert hours_by(plan, task="t") == 10
    assert plan.objective["coverage"] == 0


def test_task_work_stays_inside_its_window() -> None:
    data = instance_dict(
        specialists=[person("a")],
        tasks=[task(effort_hours=40, start=WEEK[1], due=WEEK[2])],
    )
    plan = solve_checked(data)
    assert {str(a.date) for a in plan.assignments} == {WEEK[1], WEEK[2]}
    assert hours_by(plan, task="t") == 16
    assert plan.unmet[0].hours == 24


def test_min_daily_hours_keeps_small_slivers_out() -> None:
    data = instance_dict(
        specialists=[person("a")],
        workplaces=[workplace(hours_per_day=6)],
        tasks=[task(effort_hours=10, min_daily_hours=4)],
    )
    plan = solve_checked(data)
    assert filler(plan, "w") == "a"
    assert hours_by(plan, task="t") == 0  # only 2 h free a day, 4 h needed
    assert all(a.hours >= 4 for a in plan.assignments if a.task)


def _short_tuesday(effort: float) -> dict[str, object]:
    """a is free 8 h on Monday and 2 h on Tuesday (a 6 h workplace) for a task of ``effort``
    hours over those two days, at least 4 h a day."""
    return instance_dict(
        specialists=[person("a")],
        workplaces=[workplace(hours_per_day=6, start=WEEK[1], end=WEEK[1])],
        tasks=[task(effort_hours=effort, min_daily_hours=4, start=WEEK[0], due=WEEK[1])],
    )


def test_min_daily_hours_relief_lets_a_short_day_finish_the_task() -> None:
    # 8 + 2 does the task's 10 h, the 2 h being its whole remaining effort (spec rule 5)
    plan = solve_checked(_short_tuesday(10))
    assert plan.status == "optimal"
    assert plan.objective["coverage"] == 0
    rows = sorted((str(a.date), a.hours) for a in plan.assignments if a.task)
    assert rows == [(WEEK[0], 8), (WEEK[1], 2)]


def test_min_daily_hours_relief_needs_the_whole_effort_done() -> None:
    # 12 h of effort: Tuesday's 2 h would leave 2 h undone, so it is 4 h short
    plan = solve_checked(_short_tuesday(12))
    assert plan.status == "optimal"
    assert hours_by(plan, task="t") == 8
    assert hours_by(plan, workplace="w") == 6


def test_min_daily_hours_relief_takes_a_specialist_with_a_shorter_day() -> None:
    # b works 2 h a day, less than the 4 h minimum, yet may do the last 2 h after a's 8
    data = instance_dict(
        specialists=[
            person("a", unavailable=[{"date": WEEK[1]}]),
            person("b", hours_per_day=2, cost_per_hour=20),
        ],
        tasks=[
            task(effort_hours=10, min_daily_hours=4, start=WEEK[0], due=WEEK[1], max_assignees=2)
        ],
    )
    plan = solve_checked(data)
    assert plan.status == "optimal"
    assert plan.objective["coverage"] == 0
    rows = sorted((str(a.date), a.specialist, a.hours) for a in plan.assignments)
    assert rows == [(WEEK[0], "a", 8), (WEEK[1], "b", 2)]


def test_min_daily_hours_relief_only_on_the_last_day_worked_alone() -> None:
    # b's 2 h cannot share a's Monday (10 h were left then) and b is away on Tuesday
    data = instance_dict(
        specialists=[
            person("a", unavailable=[{"date": WEEK[1]}]),
            person("b", hours_per_day=2, unavailable=[{"date": WEEK[1]}]),
        ],
        tasks=[
            task(effort_hours=10, min_daily_hours=4, start=WEEK[0], due=WEEK[1], max_assignees=2)
        ],
    )
    plan = solve_checked(data)
    assert plan.status == "optimal"
    assert hours_by(plan, task="t") == 8
    assert hours_by(plan, specialist="b") == 0


def test_min_daily_hours_relief_leaves_no_work_after_the_short_day() -> None:
    # a is free 8 h Monday, 2 h Tuesday, 4 h Wednesday: 8 + 2 + 4 would leave Tuesday's 2 h
    # short with 4 h still to come, so at most 12 of the 14 h are done
    data = instance_dict(
        specialists=[person("a")],
        workplaces=[
            workplace("w1", hours_per_day=6, start=WEEK[1], end=WEEK[1]),
            workplace("w2", hours_per_day=4, start=WEEK[2], end=WEEK[2]),
        ],
        tasks=[task(effort_hours=14, min_daily_hours=4, start=WEEK[0], due=WEEK[2])],
    )
    plan = solve_checked(data)
    assert plan.status == "optimal"
    assert hours_by(plan, task="t") == 12
    assert hours_by(plan, workplace="w1") == 6 and hours_by(plan, workplace="w2") == 4


def _away_filler(**fields: object) -> dict[str, object]:
    """a is locked onto workplace w, on its only date a is away: the fill adds no hours."""
    return instance_dict(
        projects=[{"id": "p", "program": "mixed"}, {"id": "q", "program": "mixed", **fields}],
        specialists=[person("a", unavailable=[{"date": WEEK[1]}], max_projects=1)],
        workplaces=[workplace(project="q", hours_per_day=2, start=WEEK[1], end=WEEK[1])],
        tasks=[task(effort_hours=8, start=WEEK[0], due=WEEK[0])],
        fixed=[{"specialist": "a", "workplace": "w"}],
    )


def test_a_fill_on_no_available_date_is_no_work_on_its_project() -> None:
    # a's one project may be p: the fill of q's workplace gives no hours (spec rules 2, 6)
    plan = solve_checked(_away_filler())
    assert plan.status == "optimal"
    assert filler(plan, "w") == "a"
    assert hours_by(plan, task="t") == 8


def test_a_fill_on_no_available_date_costs_no_onboarding() -> None:
    data = _away_filler(onboarding_hours=4)
    data["tasks"] = []
    plan = solve_checked(data)
    assert plan.status == "optimal"
    assert plan.objective["cost"] == 0
    assert all(s["bound"] is None or s["bound"] <= s["value"] for s in plan.statistics["stages"])


def test_a_shorter_day_than_a_workplace_needs_no_hours_on_no_available_date() -> None:
    data = _away_filler()
    data["specialists"][0]["hours_per_day"] = 1  # less than w's 2 h, but a is away then
    data["tasks"] = []
    plan = solve_checked(data)
    assert plan.status == "optimal"
    assert filler(plan, "w") == "a"


@pytest.mark.parametrize(("limit", "done"), [(1, 8), (2, 16)])
def test_max_assignees(limit: int, done: float) -> None:
    data = instance_dict(
        specialists=[person("a"), person("b")],
        tasks=[task(effort_hours=16, start=WEEK[0], due=WEEK[0], max_assignees=limit)],
    )
    plan = solve_checked(data)
    assert hours_by(plan, task="t") == done
    assert len({a.specialist for a in plan.assignments}) == limit


def test_max_projects_keeps_the_higher_priority_project() -> None:
    data = instance_dict(
        projects=[
            {"id": "low", "program": "project_based", "priority": 1},
            {"id": "high", "program": "project_based", "priority": 5},
        ],
        specialists=[person("a", max_projects=1)],
        tasks=[
            {"id": "t-low", "project": "low", "effort_hours": 8},
            {"id": "t-high", "project": "high", "effort_hours": 8},
        ],
    )
    plan = solve_checked(data)
    assert {a.project for a in plan.assignments} == {"high"}
    assert plan.objective["coverage"] == 1 * 8


def test_in_house_share_moves_hours_in_house_at_higher_cost() -> None:
    people = [
        person("in", cost_per_hour=90),
        person("out", sourcing="outsourced", cost_per_hour=30),
    ]
    tasks = [task(effort_hours=16, max_assignees=2)]
    free = solve_checked(instance_dict(specialists=people, tasks=tasks))
    assert hours_by(free, specialist="out") == 16
    shared = solve_checked(
        instance_dict(
            projects=[{"id": "p", "program": "project_based", "min_in_house_share": 0.5}],
            specialists=people,
            tasks=tasks,
        )
    )
    assert shared.objective["coverage"] == 0
    assert hours_by(shared, specialist="in") == 8
    assert shared.objective["cost"] == 8 * 90 + 8 * 30 > free.objective["cost"]


def test_fixed_assignments_hold_against_cost() -> None:
    data = instance_dict(
        specialists=[person("cheap", cost_per_hour=10), person("dear", cost_per_hour=90)],
        workplaces=[workplace(end=WEEK[1])],
        tasks=[task(effort_hours=4, min_daily_hours=4, start=WEEK[2])],
        fixed=[
            {"specialist": "dear", "workplace": "w"},
            {"specialist": "dear", "task": "t", "date": WEEK[4], "hours": 4},
        ],
    )
    plan = solve_checked(data)
    assert filler(plan, "w") == "dear"
    rows = [a for a in plan.assignments if a.task == "t"]
    assert [(a.specialist, str(a.date), a.hours) for a in rows] == [("dear", WEEK[4], 4)]


def test_required_task_is_done_in_full_before_higher_priority_work() -> None:
    data = instance_dict(
        projects=[
            {"id": "p", "program": "project_based", "priority": 5},
            {"id": "q", "program": "project_based", "priority": 1},
        ],
        specialists=[person("a")],
        tasks=[
            task("big", effort_hours=40),
            {"id": "must", "project": "q", "effort_hours": 16, "required": True},
        ],
    )
    plan = solve_checked(data)
    assert hours_by(plan, task="must") == 16
    assert hours_by(plan, task="big") == 24


def test_required_workplace_needs_a_specialist_available_throughout() -> None:
    data = instance_dict(
        specialists=[
            person("cheap", cost_per_hour=10, unavailable=[{"date": WEEK[3]}]),
            person("dear", cost_per_hour=90),
        ],
        workplaces=[workplace(required=True)],
    )
    plan = solve_checked(data)
    assert filler(plan, "w") == "dear"
    assert not plan.unmet


def test_coverage_is_never_traded_for_cost() -> None:
    data = instance_dict(
        specialists=[
            person("part", hours_per_day=4, cost_per_hour=10),
            person("full", cost_per_hour=90),
        ],
        tasks=[task(effort_hours=40)],
    )
    plan = solve_checked(data)
    assert hours_by(plan, specialist="full") == 40
    assert plan.objective["coverage"] == 0


def test_cost_counts_onboarding_of_unfamiliar_specialists() -> None:
    data = instance_dict(
        projects=[{"id": "p", "program": "project_based", "onboarding_hours": 16}],
        specialists=[
            person("new", cost_per_hour=50),
            person("known", cost_per_hour=55, familiar_projects=["p"]),
        ],
        tasks=[task(effort_hours=8)],
    )
    plan = solve_checked(data)
    assert {a.specialist for a in plan.assignments} == {"known"}
    assert plan.objective["cost"] == 8 * 55


def test_objective_order_is_respected() -> None:
    data = instance_dict(
        specialists=[person("a")],
        tasks=[task(effort_hours=8)],
        objective={"order": ["cost", "coverage"]},
    )
    plan = solve_checked(data)
    assert plan.assignments == []  # cost first: planning nothing is cheapest
    assert plan.objective["cost"] == 0
    (unmet,) = plan.unmet
    # a's free hours were the objective's choice, not a rule's
    assert unmet.reasons == [
        "a: had free hours, left unused because the objective ranks cost before coverage"
    ]


def test_stability_keeps_the_previous_filler_when_it_comes_before_cost() -> None:
    previous = {
        "instance": "t",
        "status": "optimal",
        "workplaces": [{"workplace": "w", "specialist": "dear"}],
    }
    people = [person("cheap", cost_per_hour=40), person("dear", cost_per_hour=60)]
    base = {"specialists": people, "workplaces": [workplace()], "previous_plan": previous}
    by_cost = solve_checked(instance_dict(**base))
    assert filler(by_cost, "w") == "cheap"
    assert by_cost.objective["stability"] == 1
    stable = solve_checked(
        instance_dict(**base, objective={"order": ["coverage", "stability", "cost"]})
    )
    assert filler(stable, "w") == "dear"
    assert stable.objective["stability"] == 0


def test_stability_counts_staffing_what_the_previous_plan_left_empty() -> None:
    # the previous plan left the seat empty and the task undone: filling them changes the
    # plan, so with stability first they stay as they were; coverage first staffs both
    previous = {"instance": "t", "status": "feasible"}
    base = {
        "specialists": [person("a"), person("b")],
        "workplaces": [workplace()],
        "tasks": [task(effort_hours=8)],
        "previous_plan": previous,
    }
    staffed = solve_checked(instance_dict(**base))
    assert staffed.objective["coverage"] == 0
    assert staffed.objective["stability"] == 2  # one fill, one assignee
    kept = solve_checked(instance_dict(**base, objective={"order": ["stability", "coverage"]}))
    assert kept.objective["stability"] == 0
    assert kept.assignments == [] and kept.workplaces == []


def test_stability_ignores_what_the_instance_no_longer_has() -> None:
    # re-planning after a seat and a task were dropped: only w and t can change, and a
    # keeps both; a previous filler who has left makes w's fill a change
    def row(**fields: object) -> dict[str, object]:
        return {"specialist": "a", "project": "p", "date": "2027-01-04", "hours": 4, **fields}

    previous = {
        "instance": "t",
        "status": "optimal",
        "workplaces": [
            {"workplace": "w", "specialist": "a"},
            {"workplace": "old-seat", "specialist": "a"},
        ],
        "assignments": [
            row(workplace="w"),
            row(task="t"),
            row(project="old", workplace="old-seat"),
            row(project="old", task="old-task"),
        ],
    }
    base = {
        "specialists": [person("a", hours_per_day=8)],
        "workplaces": [workplace(hours_per_day=4)],
        "tasks": [task(effort_hours=8)],
    }
    kept = solve_checked(instance_dict(**base, previous_plan=previous))
    assert filler(kept, "w") == "a" and kept.objective["coverage"] == 0
    assert kept.objective["stability"] == 0
    previous["workplaces"][0]["specialist"] = "left"
    changed = solve_checked(instance_dict(**base, previous_plan=previous))
    assert changed.objective["stability"] == 1


@pytest.mark.parametrize(("needed", "staffed"), [(8, True), (8.25, False)])
def test_a_night_shift_runs_into_the_next_day(needed: float, staffed: bool) -> None:
    # Kolkata 18:30-03:30 from 2027-01-04 (UTC+5:30) is 13:00-22:00 UTC: it covers the New
    # York customer's whole 09:00-17:00 (14:00-22:00 UTC) that day, eight hours
    night = person("night", timezone="Asia/Kolkata", work_hours="18:30-03:30")
    project = {
        "id": "p",
        "program": "time_based",
        "timezone": "America/New_York",
        "min_overlap_hours": needed,
    }
    data = instance_dict(projects=[project], specialists=[night], workplaces=[workplace()])
    plan = solve_checked(data)
    assert (filler(plan, "w") == "night") is staffed
    assert plan.objective["coverage"] == (0 if staffed else 3 * 40)


def test_stability_avoids_days_split_between_projects() -> None:
    data = instance_dict(
        projects=[
            {"id": "p", "program": "project_based"},
            {"id": "q", "program": "project_based"},
        ],
        specialists=[person("a")],
        tasks=[
            task("tp", effort_hours=8, start=WEEK[0], due=WEEK[1]),
            {"id": "tq", "project": "q", "effort_hours": 8, "start": WEEK[0], "due": WEEK[1]},
        ],
    )
    plan = solve_checked(data)
    assert plan.objective == {"coverage": 0, "cost": 16 * 50, "stability": 0}
    projects_by_day = {}
    for a in plan.assignments:
        projects_by_day.setdefault(a.date, set()).add(a.project)
    assert all(len(p) == 1 for p in projects_by_day.values())


def test_no_eligible_specialist_reason_names_the_rule() -> None:
    data = instance_dict(
        specialists=[person("a", skills={"python": 2})],
        tasks=[task(skills={"python": 5})],
    )
    plan = solve_checked(data)
    (unmet,) = plan.unmet
    assert "no eligible specialist" in unmet.reasons[0]
    assert "python" in unmet.reasons[0] and "skill" in unmet.reasons[0]


def test_items_with_the_same_requirements_each_name_themselves() -> None:
    # two in-house-only seats and one short one; a and b are outsourced, b works 4 h a day:
    # the seats' reasons are counted once for equal requirements but read in their own words
    outsourced = {"sourcing": "outsourced", "vendor": "v"}
    seat = {"project": "p", "role": "developer", "hours_per_day": 6, "sourcing": "in_house"}
    data = instance_dict(
        specialists=[person("a", **outsourced), person("b", hours_per_day=4, **outsourced)],
        workplaces=[{"id": "w1", **seat}, {"id": "w2", **seat}],
    )
    plan = solve_checked(data)
    reasons = {u.workplace: u.reasons[0] for u in plan.unmet}
    assert reasons == {
        w: (
            "no eligible specialist: excluded 2 of 2 by sourcing (e.g. a is outsourced; "
            f"workplace {w} is in-house only); 1 of 2 by hours (e.g. b works 4 h a day, "
            f"workplace {w} needs 6 h)"
        )
        for w in ("w1", "w2")
    }


def test_people_who_work_less_than_the_minimum_day_are_not_called_fully_booked() -> None:
    data = instance_dict(
        specialists=[person("b", hours_per_day=2.5), person("c", hours_per_day=2.5)],
        tasks=[task(effort_hours=5, min_daily_hours=4, max_assignees=2)],
    )
    plan = solve_checked(data)
    (unmet,) = plan.unmet
    assert plan.assignments == [] and unmet.hours == 5
    assert unmet.reasons == ["b, c: work less than the 4 h a day it needs"]


def test_people_with_fewer_free_hours_than_a_day_needs_are_told_apart_from_fully_booked() -> None:
    # each has 2 h left beside a 6 h seat; the task's 3 h may be done in one shorter day
    # (its whole remaining effort), but not in 2 h: the reason names the 3 h, not the 4 h
    seat = {"project": "p", "role": "developer", "hours_per_day": 6}
    data = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-04"},
        specialists=[person("a"), person("b")],
        workplaces=[
            {"id": "wa", "candidates": ["a"], "required": True, **seat},
            {"id": "wb", "candidates": ["b"], "required": True, **seat},
        ],
        tasks=[task(effort_hours=3, min_daily_hours=4, max_assignees=2)],
    )
    plan = solve_checked(data)
    (unmet,) = plan.unmet
    assert unmet.hours == 3
    assert unmet.reasons == ["a, b: fewer free hours on those dates than the 3 h a day it needs"]


def test_busy_specialists_reason() -> None:
    data = instance_dict(
        projects=[
            {"id": "p", "program": "project_based", "priority": 5},
            {"id": "q", "program": "project_based", "priority": 1},
        ],
        specialists=[person("a")],
        tasks=[
            task("first", effort_hours=40),
            {"id": "second", "project": "q", "effort_hours": 8},
        ],
    )
    plan = solve_checked(data)
    (unmet,) = plan.unmet
    assert unmet.task == "second"
    assert any("a: fully booked" in r for r in unmet.reasons)


def test_a_task_whose_window_has_no_working_date_is_unmet_for_that_reason_alone() -> None:
    # (no one is on leave: the window just holds no working date)
    data = instance_dict(
        horizon={"start": WEEK[0], "end": "2027-01-10"},
        specialists=[person("a")],
        tasks=[task("sunday", start="2027-01-10", due="2027-01-10"), task("weekday")],
    )
    plan = solve_checked(data)
    (unmet,) = plan.unmet
    assert unmet.task == "sunday" and unmet.hours == 8
    assert unmet.reasons == ["the task's window has no working dates"]
