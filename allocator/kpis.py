"""KPI tables with pandas (spec, "Plan (output)": ``kpis``).

Computed from the instance and a plan's rows alone, so they hold for any plan (the engine's,
the greedy baseline's, one loaded from a file):

- projects: demand, planned and unmet hours, in-house hours and share, cost, people;
- specialists: capacity, planned hours, utilisation (planned / capacity), projects, cost;
- vendors: specialists, hours, cost;
- totals: demand, planned, unmet, coverage ratio, cost, in-house share, utilisation.

Costs include onboarding (spec, objective "cost").
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from allocator.calendar import dates_between, specialist_capacity_hours, working_dates
from allocator.schema import Instance, Plan

ROW_COLUMNS = ["specialist", "project", "workplace", "task", "date", "hours"]


def assignments_frame(plan: Plan) -> pd.DataFrame:
    """One row per planned specialist, target and date."""
    rows = [a.model_dump() for a in plan.assignments]
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).fillna(0.0).round(4)


def kpi_tables(instance: Instance, plan: Plan) -> dict[str, pd.DataFrame]:
    """The KPI tables ``projects``, ``specialists``, ``vendors`` and ``totals``."""
    dates = working_dates(instance.horizon)
    people = pd.DataFrame(
        [
            {
                "specialist": s.id,
                "sourcing": s.sourcing,
                "vendor": s.vendor or "",
                "rate": s.cost_per_hour,
                "capacity_hours": specialist_capacity_hours(instance, s),
            }
            for s in instance.specialists
        ],
        columns=["specialist", "sourcing", "vendor", "rate", "capacity_hours"],
    )
    rows = assignments_frame(plan).merge(people, on="specialist", how="left")
    rows["cost"] = rows["hours"] * rows["rate"]
    rows["in_house_hours"] = rows["hours"].where(rows["sourcing"] == "in_house", 0.0)
    onboarding = _onboarding(instance, rows)

    demand = pd.DataFrame(
        [
            {
                "project": w.project,
                "demand_hours": w.hours_per_day * len(dates_between(dates, w.start, w.end)),
            }
            for w in instance.workplaces
        ]
        + [{"project": t.project, "demand_hours": t.effort_hours} for t in instance.tasks],
        columns=["project", "demand_hours"],
    )
    projects = pd.DataFrame(
        [
            {
                "project": p.id,
                "customer": p.customer or "",
                "program": p.program,
                "priority": p.priority,
                "min_in_house_share": p.min_in_house_share,
            }
            for p in instance.projects
        ],
        columns=["project", "customer", "program", "priority", "min_in_house_share"],
    ).set_index("project")
    projects["demand_hours"] = demand.groupby("project")["demand_hours"].sum()
    by_project = rows.groupby("project")
    projects["planned_hours"] = by_project["hours"].sum()
    projects["in_house_hours"] = by_project["in_house_hours"].sum()
    projects["cost"] = (
        by_project["cost"].sum().add(onboarding.groupby("project")["cost"].sum(), fill_value=0.0)
    )
    projects["specialists"] = by_project["specialist"].nunique()
    projects = projects.fillna(0.0)
    projects["unmet_hours"] = projects["demand_hours"] - projects["planned_hours"]
    projects["in_house_share"] = _ratio(projects["in_house_hours"], projects["planned_hours"])
    projects["specialists"] = projects["specialists"].astype(int)

    specialists = people.set_index("specialist")
    by_person = rows.groupby("specialist")
    specialists["planned_hours"] = by_person["hours"].sum()
    specialists["projects"] = by_person["project"].nunique()
    specialists["cost"] = (
        by_person["cost"].sum().add(onboarding.groupby("specialist")["cost"].sum(), fill_value=0.0)
    )
    specialists = specialists.fillna({"planned_hours": 0.0, "projects": 0, "cost": 0.0})
    specialists["projects"] = specialists["projects"].astype(int)
    specialists["utilisation"] = _ratio(specialists["planned_hours"], specialists["capacity_hours"])

    outsourced = specialists[specialists["sourcing"] == "outsourced"]
    vendors = outsourced.groupby("vendor").agg(
        specialists=("rate", "size"),
        used=("planned_hours", lambda h: int((h > 0).sum())),
        hours=("planned_hours", "sum"),
        cost=("cost", "sum"),
    )

    planned = float(projects["planned_hours"].sum())
    demand_total = float(projects["demand_hours"].sum())
    capacity = float(specialists["capacity_hours"].sum())
    totals = pd.DataFrame(
        [
            {
                "demand_hours": demand_total,
                "planned_hours": planned,
                "unmet_hours": demand_total - planned,
                "coverage_ratio": round(planned / demand_total, 4) if demand_total else 1.0,
                "cost": float(projects["cost"].sum()),
                "in_house_share": round(float(rows["in_house_hours"].sum()) / planned, 4)
                if planned
                else 0.0,
                "utilisation": round(planned / capacity, 4) if capacity else 0.0,
                "specialists_used": int((specialists["planned_hours"] > 0).sum()),
            }
        ]
    )
    return {
        "projects": projects.reset_index().round(4),
        "specialists": specialists.drop(columns=["rate"]).reset_index().round(4),
        "vendors": vendors.reset_index().round(4),
        "totals": totals.round(4),
    }


def _onboarding(instance: Instance, rows: pd.DataFrame) -> pd.DataFrame:
    """Onboarding cost per (specialist, project) pair new to the specialist."""
    familiar = {(s.id, p) for s in instance.specialists for p in s.familiar_projects}
    hours = {p.id: p.onboarding_hours for p in instance.projects}
    pairs = rows[["specialist", "project", "rate"]].drop_duplicates(["specialist", "project"])
    new = [
        (s, p) not in familiar for s, p in zip(pairs["specialist"], pairs["project"], strict=True)
    ]
    pairs = pairs[pd.Series(new, index=pairs.index, dtype=bool)]
    cost = pairs["project"].map(hours).astype(float) * pairs["rate"]
    return pairs.assign(cost=cost)[["specialist", "project", "cost"]]


def unmet_frame(plan: Plan) -> pd.DataFrame:
    """One row per unmet workplace or task, its reasons joined by `` | ``."""
    rows = [{**u.model_dump(), "reasons": " | ".join(u.reasons)} for u in plan.unmet]
    return pd.DataFrame(rows, columns=["workplace", "task", "hours", "reasons"])


PLAN_TABLES = ("assignments", "unmet", "projects", "specialists", "vendors", "totals")


def plan_tables(instance: Instance, plan: Plan) -> dict[str, pd.DataFrame]:
    """Every table of a plan, in :data:`PLAN_TABLES` order: rows, unmet items and KPIs."""
    return {
        "assignments": assignments_frame(plan),
        "unmet": unmet_frame(plan),
        **kpi_tables(instance, plan),
    }


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP, "CSV injection")."""


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell a spreadsheet would run as a formula (an id such as
    ``=HYPERLINK(...)``) prefixed with ``'``, which spreadsheets show as text (OWASP's
    advice for CSV exports); numbers are left alone."""

    def safe(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    return frame.map(safe)


def compute_kpis(instance: Instance, plan: Plan) -> dict[str, Any]:
    """The KPI tables as JSON-ready records (``totals`` as one object)."""
    tables = kpi_tables(instance, plan)
    out: dict[str, Any] = {
        name: tables[name].to_dict(orient="records")
        for name in ("projects", "specialists", "vendors")
    }
    out["totals"] = tables["totals"].to_dict(orient="records")[0]
    return out
