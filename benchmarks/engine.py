"""Engine suite: solve the committed instances and report size, time, objective, bound, gap
and peak memory, one fresh process per instance (so peak RSS is that solve's own).

    python -m benchmarks engine [--time-limit SECONDS] [--instances small medium large]
                                [--out FOLDER]

``gap`` is the plan's (its first goal not proven optimal); ``cost_gap`` is the cost goal's own,
(cost - cost bound) / cost, the figure the engine's cost targets are stated in.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pandas as pd

from benchmarks.common import ROOT, add_out_option, header, peak_rss_mb, run_child

DEFAULT_LIMITS = {"demo": 10.0, "small": 10.0, "medium": 30.0, "large": 120.0}


def run_one(name: str, time_limit: float) -> dict[str, Any]:
    """Solve ``instances/<name>.json`` in this process; one result row."""
    from allocator import Progress, SolveOptions, check_plan, load_instance_file, solve

    instance = load_instance_file(ROOT / "instances" / f"{name}.json")
    first: list[float] = []

    def progress(p: Progress) -> None:
        if not first:
            first.append(p.elapsed)

    started = time.perf_counter()
    plan = solve(instance, SolveOptions(time_limit=time_limit, progress=progress))
    wall = time.perf_counter() - started
    report = check_plan(instance, plan)
    stats = plan.statistics
    stages = {s["goal"]: s for s in stats.get("stages", [])}
    return {
        "instance": name,
        "specialists": len(instance.specialists),
        "targets": len(instance.workplaces) + len(instance.tasks),
        "variables": stats.get("variables"),
        "constraints": stats.get("constraints"),
        "candidates_per_task": stats.get("candidates_per_task"),
        "build_s": stats.get("build_seconds"),
        "first_plan_s": round(first[0], 2) if first else None,
        "status": plan.status,
        "coverage": plan.objective.get("coverage"),
        "coverage_bound": plan.bound.get("coverage"),
        "cost": plan.objective.get("cost"),
        "cost_bound": plan.bound.get("cost"),
        "gap": plan.gap,
        "cost_gap": _gap(plan.objective.get("cost"), plan.bound.get("cost")),
        "stages": "/".join(f"{g}:{s['status'][:4]}" for g, s in stages.items()),
        "unmet_h": plan.kpis.get("totals", {}).get("unmet_hours"),
        "wall_s": round(wall, 1),
        "time_limit_s": time_limit,
        "peak_rss_mb": peak_rss_mb(),
        "checker": "ok" if report.ok else f"{len(report.violations)} violations",
    }


def _gap(value: float | None, bound: float | None) -> float | None:
    from allocator.schema import relative_gap

    return None if value is None or bound is None else round(relative_gap(value, bound), 6)


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks engine",
        description="Solve committed instances, one process each; print and write a table.",
    )
    parser.add_argument(
        "--instances",
        nargs="+",
        default=["small", "medium", "large"],
        help="names in instances/ (default: small medium large)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per solve (default: demo and small 10, medium 30, large 120, others 60)",
    )
    add_out_option(parser, "engine.csv and engine.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.time_limit)))
        return
    rows = []
    for name in args.instances:
        limit = args.time_limit or DEFAULT_LIMITS.get(name, 60.0)
        result = run_child("engine", ["--one", name, "--time-limit", str(limit)], 4 * limit + 300)
        rows.append({"instance": name, **result})
        print(pd.DataFrame([rows[-1]]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "engine.csv", index=False)
    text = header("Engine benchmark", "engine", argv) + table.to_markdown(index=False) + "\n"
    (args.out / "engine.md").write_text(text)
    if len(rows) > 1:  # (one row was printed as it came)
        print()
        print(table.to_string(index=False))
    print(f"written to {args.out / 'engine.md'} and engine.csv")
