"""Programs suite: one customer demand staffed three ways, and the price of the in-house share.

The generator builds one demand per seed and renders it as time-based workplaces only,
project-based tasks only, or mixed (support, administration and leadership as workplaces,
feature work as tasks). Each rendering is solved by the engine with the same time limit;
every plan goes through the checker. Reported per program: coverage (weighted unmet hours),
unmet hours, cost, cost per delivered hour, utilisation, in-house share, specialist-days on
more than one project, and specialists involved. Then the mixed rendering is solved with
every project's minimum in-house share at 0, 0.2, 0.4 and 0.6, and the cost of each step is
charted.

    python -m benchmarks programs [--specialists 60] [--projects 6] [--days 20]
                                  [--seeds 1 2] [--time-limit 20]
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from allocator import SolveOptions, check_plan, load_instance, solve
from allocator.generate import GeneratorConfig, generate_instance
from allocator.schema import Instance, Plan
from benchmarks.common import add_out_option, header, pyplot, save_figure

PROGRAMS = ("time_based", "project_based", "mixed")
SHARES = (0.0, 0.2, 0.4, 0.6)


def split_days(plan: Plan) -> int:
    """Specialist-days whose rows span two or more projects."""
    projects: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in plan.assignments:
        projects[row.specialist, str(row.date)].add(row.project)
    return sum(1 for p in projects.values() if len(p) > 1)


def row_of(instance: Instance, plan: Plan, **labels: Any) -> dict[str, Any]:
    """One result row: the plan's goals and KPIs, checked by the independent checker."""
    report = check_plan(instance, plan)
    totals = plan.kpis.get("totals", {})
    planned = totals.get("planned_hours", 0.0)
    cost = plan.objective.get("cost")
    return {
        **labels,
        "status": plan.status,
        "coverage": plan.objective.get("coverage"),
        "unmet_h": totals.get("unmet_hours"),
        "cost": cost,
        "cost_per_hour": round(cost / planned, 2) if cost is not None and planned else None,
        "utilisation": totals.get("utilisation"),
        "in_house_share": totals.get("in_house_share"),
        "split_days": split_days(plan),
        "specialists": totals.get("specialists_used"),
        "gap": plan.gap,
        "wall_s": plan.wall_seconds,
        "checker": "ok" if report.ok else f"{len(report.violations)} violations",
    }


def run(
    specialists: int, projects: int, days: int, seeds: list[int], time_limit: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The program comparison and the share sweep, as two tables."""
    options = SolveOptions(time_limit=time_limit)
    programs, sweep = [], []
    for seed in seeds:
        base = GeneratorConfig(seed=seed, specialists=specialists, projects=projects, days=days)
        for program in PROGRAMS:
            config = dataclasses.replace(base, program=program)
            instance = load_instance(generate_instance(config))
            programs.append(row_of(instance, solve(instance, options), seed=seed, program=program))
        for share in SHARES:
            config = dataclasses.replace(base, program="mixed", in_house_share=share)
            instance = load_instance(generate_instance(config))
            sweep.append(row_of(instance, solve(instance, options), seed=seed, share=share))
    return pd.DataFrame(programs), pd.DataFrame(sweep)


def chart(sweep: pd.DataFrame, path: Path) -> None:
    """Cost (and unmet hours) against the minimum in-house share, one line per seed."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    for seed, rows in sweep.groupby("seed"):
        left.plot(rows["share"], rows["cost"], marker="o", label=f"seed {seed}")
        right.plot(rows["share"], rows["unmet_h"], marker="o", label=f"seed {seed}")
    left.set(xlabel="minimum in-house share", ylabel="cost", title="price of the share rule")
    right.set(xlabel="minimum in-house share", ylabel="unmet hours", title="coverage lost")
    left.legend()
    save_figure(fig, path)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks programs")
    parser.add_argument("--specialists", type=int, default=60)
    parser.add_argument("--projects", type=int, default=6)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--time-limit", type=float, default=20.0)
    add_out_option(parser, "programs.csv, programs-share.csv and programs.md")
    args = parser.parse_args(argv)
    programs, sweep = run(args.specialists, args.projects, args.days, args.seeds, args.time_limit)
    args.out.mkdir(parents=True, exist_ok=True)
    programs.to_csv(args.out / "programs.csv", index=False)
    sweep.to_csv(args.out / "programs-share.csv", index=False)
    chart(sweep, args.out / "programs-share.png")
    intro = header("Programs benchmark", "programs", argv) + (
        "The same demand (per seed) rendered in three programs, "
        f"{args.specialists} specialists, {args.projects} projects, {args.days} working days, "
        f"{args.time_limit:g} s per solve; every plan checked by the independent checker.\n\n"
    )
    body = (
        "## Programs\n\n"
        + programs.to_markdown(index=False)
        + "\n\n## In-house share sweep (mixed program)\n\n"
        + sweep.to_markdown(index=False)
        + "\n\n![cost and unmet hours against the share](programs-share.png)\n"
    )
    (args.out / "programs.md").write_text(intro + body)
    print(programs.to_string(index=False))
    print()
    print(sweep.to_string(index=False))
