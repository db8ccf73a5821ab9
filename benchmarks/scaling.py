"""Scaling suite: how the engine grows with the instance, from 25 to 800 specialists.

    python -m benchmarks scaling [--sizes 25 50 100 200 400 800] [--days 20 60]
                                 [--tightness 0.7 1.2] [--time-limit 30] [--seed 1]

One generated family per (specialists, working days, demand/capacity): projects scale with
the specialists (one per ten, at least three), workplaces and tasks with the projects and the
horizon. Each instance is solved in a fresh process (so peak memory is its own) under the same
time limit. Reported per instance: model size (variables, constraints), build time, time to
the first plan, each stage's objective and best bound over time (``timeline`` in the CSV), the
final coverage and cost with their bounds and gaps, wall time and peak memory (RSS). Every
plan goes through the checker. ``tightness`` 0.7 is "loose" (capacity to spare), 1.2 "tight"
(more demand than capacity). Writes ``scaling.csv``, ``scaling.md`` and ``scaling.png`` (gap
and times against size).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import RESULTS, header, peak_rss_mb, pyplot, run_child, save_figure

SIZES = (25, 50, 100, 200, 400, 800)
DAYS = (20, 60)
TIGHTNESS = {0.7: "loose", 1.2: "tight"}
COLUMNS = ("coverage_gap", "cost_gap", "first_plan_s", "build_s", "timeline")


def config_of(specialists: int, days: int, tightness: float, seed: int) -> dict[str, Any]:
    """Generator knobs of one family member."""
    label = TIGHTNESS.get(tightness, f"t{tightness:g}")
    return {
        "seed": seed,
        "specialists": specialists,
        "projects": max(3, specialists // 10),
        "days": days,
        "tightness": tightness,
        "name": f"s{specialists}-d{days}-{label}",
    }


def gap(value: float | None, bound: float | None) -> float | None:
    """Relative gap ``(value - bound) / value`` (0 when both are 0)."""
    if value is None or bound is None:
        return None
    return 0.0 if value <= 0 else round((value - bound) / value, 4)


def solve_one(config: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """Generate and solve one instance in this process; one result row."""
    from allocator import Progress, SolveOptions, check_plan, load_instance, solve
    from allocator.generate import GeneratorConfig, generate_instance

    instance = load_instance(generate_instance(GeneratorConfig(**config)))
    timeline: list[tuple[float, str, float | None, float | None]] = []

    def progress(p: Progress) -> None:
        if not timeline or timeline[-1][1:] != (p.stage, p.objective, p.bound):
            timeline.append((round(p.elapsed, 2), p.stage, p.objective, p.bound))

    started = time.perf_counter()
    plan = solve(instance, SolveOptions(time_limit=time_limit, progress=progress))
    wall = time.perf_counter() - started
    report = check_plan(instance, plan)
    stats = plan.statistics
    coverage, cost = plan.objective.get("coverage"), plan.objective.get("cost")
    return {
        "instance": config["name"],
        "specialists": config["specialists"],
        "days": config["days"],
        "tightness": config["tightness"],
        "projects": len(instance.projects),
        "targets": len(instance.workplaces) + len(instance.tasks),
        "variables": stats.get("variables"),
        "constraints": stats.get("constraints"),
        "build_s": stats.get("build_seconds"),
        "first_plan_s": timeline[0][0] if timeline else None,
        "status": plan.status,
        "coverage": coverage,
        "coverage_bound": plan.bound.get("coverage"),
        "coverage_gap": gap(coverage, plan.bound.get("coverage")),
        "cost": cost,
        "cost_bound": plan.bound.get("cost"),
        "cost_gap": gap(cost, plan.bound.get("cost")),
        "wall_s": round(wall, 1),
        "peak_rss_mb": peak_rss_mb(),
        "checker": "ok" if report.ok else f"{len(report.violations)} violations",
        "timeline": timeline,
    }


def chart(table: pd.DataFrame, path: Path) -> None:
    """Final gaps, build time and time to first plan against the number of specialists."""
    plt = pyplot()
    fig, (gaps, times) = plt.subplots(1, 2, figsize=(10, 3.8))
    for (days, tightness), rows in table.groupby(["days", "tightness"]):
        label = f"{days} days, {TIGHTNESS.get(float(str(tightness)), tightness)}"
        rows = rows.sort_values("specialists")
        gaps.plot(rows["specialists"], rows["coverage_gap"], marker="o", label=f"{label}: cover")
        gaps.plot(
            rows["specialists"], rows["cost_gap"], marker="x", ls="--", label=f"{label}: cost"
        )
        times.plot(rows["specialists"], rows["first_plan_s"], marker="o", label=f"{label}: first")
        times.plot(
            rows["specialists"], rows["build_s"], marker="x", ls="--", label=f"{label}: build"
        )
    gaps.set(xscale="log", xlabel="specialists", ylabel="final gap to bound", title="gap")
    times.set(
        xscale="log",
        yscale="log",
        xlabel="specialists",
        ylabel="seconds",
        title="build, first plan",
    )
    sizes = sorted(set(table["specialists"]))
    for ax in (gaps, times):
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.minorticks_off()
    gaps.legend(fontsize=6)
    times.legend(fontsize=6)
    save_figure(fig, path)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scaling")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--days", type=int, nargs="+", default=list(DAYS))
    parser.add_argument("--tightness", type=float, nargs="+", default=list(TIGHTNESS))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(solve_one(json.loads(args.one), args.time_limit)))
        return
    rows = []
    for days, tightness, size in itertools.product(args.days, args.tightness, args.sizes):
        config = config_of(size, days, tightness, args.seed)
        limit = str(args.time_limit)
        result = run_child("scaling", ["--one", json.dumps(config), "--time-limit", limit], 600)
        rows.append({"instance": config["name"], **config, **result})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "timeline"}), flush=True)
    table = pd.DataFrame(rows).reindex(columns=list(dict.fromkeys([*rows[0], *COLUMNS])))
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "scaling.csv", index=False)
    chart(table, args.out / "scaling.png")
    shown = table.drop(columns=[c for c in ("timeline", "seed", "name") if c in table])
    text = (
        header("Scaling benchmark", "scaling", argv)
        + f"Seed {args.seed}, {args.time_limit:g} s per solve, CP-SAT on every core; "
        "gaps are (value - bound) / value per goal; the per-stage objective and bound over time "
        "are in `scaling.csv` (`timeline`).\n\n"
        + shown.to_markdown(index=False)
        + "\n\n![gap and times against size](scaling.png)\n"
    )
    (args.out / "scaling.md").write_text(text)
    print(shown.to_string(index=False))
