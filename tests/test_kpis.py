"""KPI tables agree with the plan's rows and with the checker's recomputed objective."""

from __future__ import annotations

import pytest
from conftest import INSTANCES, instance_dict, person, solve_checked

from allocator import check_plan, load_instance_file, solve
from allocator.kpis import kpi_tables


def test_kpis_of_the_demo_plan_add_up() -> None:
    instance = load_instance_file(INSTANCES / "demo.json")
    plan = solve(instance)
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    tables = kpi_tables(instance, plan)
    rows_hours = sum(a.hours for a in plan.assignments)
    projects, specialists, vendors = tables["projects"], tables["specialists"], tables["vendors"]
    totals = plan.kpis["totals"]
    assert projects["planned_hours"].sum() == pytest.approx(rows_hours)
    assert specialists["planned_hours"].sum() == pytest.approx(rows_hours)
    assert totals["planned_hours"] == pytest.approx(rows_hours)
    assert totals["cost"] == pytest.approx(report.objective["cost"])
    assert projects["cost"].sum() == pytest.approx(report.objective["cost"])
    assert totals["unmet_hours"] == pytest.approx(sum(u.hours for u in plan.unmet))
    outsourced = {s.id for s in instance.specialists if s.sourcing == "outsourced"}
    vendor_hours = sum(a.hours for a in plan.assignments if a.specialist in outsourced)
    assert vendors["hours"].sum() == pytest.approx(vendor_hours)
    assert set(vendors["vendor"]) == {"pixelworks", "nearshore-dev"}
    for row in projects.itertuples():
        project = next(p for p in instance.projects if p.id == row.project)
        if row.planned_hours:
            assert row.in_house_share >= project.min_in_house_share - 1e-4
    assert ((specialists["utilisation"] >= 0) & (specialists["utilisation"] <= 1)).all()


def test_utilisation_and_onboarding_by_hand() -> None:
    data = instance_dict(
        projects=[{"id": "p", "program": "project_based", "onboarding_hours": 4}],
        specialists=[person("a", cost_per_hour=10), person("idle", cost_per_hour=99)],
        tasks=[{"id": "t", "project": "p", "effort_hours": 20}],
    )
    plan = solve_checked(data)
    people = {row["specialist"]: row for row in plan.kpis["specialists"]}
    assert people["a"]["capacity_hours"] == 40
    assert people["a"]["utilisation"] == 0.5
    assert people["a"]["cost"] == 20 * 10 + 4 * 10
    assert people["idle"]["planned_hours"] == 0 and people["idle"]["utilisation"] == 0
    (project,) = plan.kpis["projects"]
    assert project["demand_hours"] == 20 and project["unmet_hours"] == 0
    assert project["in_house_share"] == 1.0
    assert plan.kpis["totals"]["specialists_used"] == 1
