"""Peers suite: our engine against what users would use instead, same instances, same limit.

    python -m benchmarks peers [--families small-tight medium-tight ...] [--seed 1]
                               [--time-limit SECONDS] [--solvers greedy highs timefold allocator]

Each generated family (seeded) is solved by:

- ``greedy``: the manager's greedy, the baseline users have today (:mod:`.greedy`);
- ``highs``: a MIP of the same rules solved with HiGHS, lexicographic like ours
  (:mod:`.highs_mip`), the peer an operations-research engineer would write;
- ``timefold``: Timefold Solver with the same hard rules, coverage as the medium and cost as
  the soft level (:mod:`.timefold_peer`), the planning engine users would pick;
- ``allocator``: our engine;
- ``allocator-at-greedy-coverage``: our model held to the greedy's coverage, minimising cost
  (:func:`.greedy.cost_at_greedy_coverage`): the cost of the greedy's coverage when optimised.

Every solve runs in a fresh process (so its peak memory is its own) under the family's time
limit, and every plan goes through the independent checker, whose recomputed coverage and cost
are the ones reported. Each solver's improving solutions are recorded over time, so the
ratio table gives, for each peer, our coverage and cost over the peer's and how much sooner
we reach the peer's final plan quality ("speed-up": the peer's time to its own final
(coverage, cost) over our time to reach it, lexicographically). Timefold's clock is its own
solver time (the Python-to-Java conversion, often seconds, is left out in its favour).

Writes ``peers.csv``, ``peers.md`` and ``peers.png`` (coverage over time per family).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import RESULTS, header, peak_rss_mb, pyplot, run_child, save_figure

SOLVERS = ("greedy", "highs", "timefold", "allocator", "allocator-at-greedy-coverage")
COLOURS = dict(
    greedy="tab:gray",
    highs="tab:orange",
    timefold="tab:green",
    allocator="tab:red",
    **{"allocator-at-greedy-coverage": "tab:purple"},
)
FAMILIES: dict[str, dict[str, Any]] = {
    "tiny": {"specialists": 12, "projects": 3, "days": 5, "tightness": 1.2},
    "small-loose": {"specialists": 25, "projects": 4, "days": 10, "tightness": 0.7},
    "small-tight": {"specialists": 25, "projects": 4, "days": 10, "tightness": 1.2},
    "medium-loose": {"specialists": 100, "projects": 12, "days": 20, "tightness": 0.7},
    "medium-tight": {"specialists": 100, "projects": 12, "days": 20, "tightness": 1.2},
    "large-tight": {"specialists": 400, "projects": 40, "days": 60, "tightness": 1.2},
}
DEFAULT_FAMILIES = ["small-loose", "small-tight", "medium-loose", "medium-tight", "large-tight"]
LIMITS = {"tiny": 5.0, "small": 10.0, "medium": 60.0, "large": 120.0}
EPS = 1e-6

Point = tuple[float, float, float | None]  # (seconds, coverage, cost or None if not yet known)


def family_instance(family: str, seed: int) -> Any:
    """The seeded instance of ``family`` (a key of :data:`FAMILIES`)."""
    from allocator import load_instance
    from allocator.generate import GeneratorConfig, generate_instance

    config = GeneratorConfig(seed=seed, name=f"{family}-s{seed}", **FAMILIES[family])
    return load_instance(generate_instance(config))


class _Timeline:
    """Improving (coverage, cost) points of a lexicographic, staged solve."""

    def __init__(self) -> None:
        self.points: list[Point] = []
        self.coverage: float | None = None

    def add(self, seconds: float, goal: str, value: float | None) -> None:
        if value is None:
            return
        if goal == "coverage":
            self.coverage = value
            self.points.append((seconds, value, None))
        elif goal == "cost" and self.coverage is not None:
            self.points.append((seconds, self.coverage, value))


def solve_one(solver: str, family: str, seed: int, time_limit: float) -> dict[str, Any]:
    """Solve one family instance with one solver, in this process; one result row."""
    from allocator import SolveOptions, check_plan, solve

    instance = family_instance(family, seed)
    timeline = _Timeline()
    points = timeline.points
    started = time.perf_counter()
    if solver == "greedy":
        from benchmarks.peers.greedy import solve_greedy

        plan = solve_greedy(instance)
    elif solver == "highs":
        from benchmarks.peers.highs_mip import solve_mip

        plan = solve_mip(instance, time_limit, on_improve=timeline.add)
    elif solver == "timefold":
        from benchmarks.peers.timefold_peer import available, solve_timefold

        missing = available()
        if missing:
            return {"family": family, "solver": solver, "status": f"not run: {missing}"}
        plan = solve_timefold(
            instance, time_limit, on_best=lambda t, cov, cost: points.append((t, cov, cost))
        )
    elif solver == "allocator-at-greedy-coverage":
        from benchmarks.peers.greedy import cost_at_greedy_coverage

        plan = cost_at_greedy_coverage(instance, time_limit)
    else:
        plan = solve(
            instance,
            SolveOptions(
                time_limit=time_limit,
                progress=lambda p: timeline.add(p.elapsed, p.stage, p.objective),
            ),
        )
    wall = time.perf_counter() - started
    report = check_plan(instance, plan)
    coverage, cost = report.objective.get("coverage"), report.objective.get("cost")
    if coverage is not None and cost is not None:
        points.append((plan.wall_seconds if solver != "timefold" else wall, coverage, cost))
    return {
        "family": family,
        "seed": seed,
        "solver": solver,
        "status": plan.status,
        "coverage": coverage,
        "cost": cost,
        "coverage_bound": plan.bound.get("coverage"),
        "cost_bound": plan.bound.get("cost"),
        "unmet_h": plan.kpis.get("totals", {}).get("unmet_hours"),
        "time_to_final_s": _time_to(points, coverage, cost),
        "wall_s": round(wall, 2),
        "time_limit_s": time_limit,
        "peak_rss_mb": peak_rss_mb(),
        "checker": "ok" if report.ok else f"{len(report.violations)} violations",
        "timeline": points,
    }


def _time_to(points: list[Point], coverage: float | None, cost: float | None) -> float | None:
    """First time a point is at least as good as (coverage, cost), lexicographically."""
    if coverage is None or cost is None:
        return None
    for seconds, cov, cst in sorted(points):
        if cov < coverage - EPS or (
            abs(cov - coverage) <= EPS and cst is not None and cst <= cost + EPS
        ):
            return round(seconds, 2)
    return None


def ratios(rows: pd.DataFrame) -> pd.DataFrame:
    """Per family and peer: our coverage and cost over the peer's, and our speed-up."""
    out = []
    for family, group in rows.groupby("family", sort=False):
        ours = group[group.solver == "allocator"]
        if ours.empty or ours.iloc[0].get("coverage") is None:
            continue
        us = ours.iloc[0]
        bounds = [b for b in group["coverage_bound"] if b is not None and not _nan(b)]
        held = group[group.solver == "allocator-at-greedy-coverage"]
        for _, peer in group[~group.solver.str.startswith("allocator")].iterrows():
            if peer.get("coverage") is None or _nan(peer["coverage"]):
                continue
            equal = None  # our cost at the greedy's coverage, over the greedy's cost
            if peer["solver"] == "greedy" and not held.empty and not _nan(held.iloc[0]["cost"]):
                equal = _ratio(held.iloc[0]["cost"], peer["cost"])
            ours_time = _time_to(us["timeline"], peer["coverage"], peer["cost"])
            peer_time = peer["time_to_final_s"]
            out.append(
                {
                    "family": family,
                    "peer": peer["solver"],
                    "coverage_ours": us["coverage"],
                    "coverage_peer": peer["coverage"],
                    "coverage_ratio": _ratio(us["coverage"], peer["coverage"]),
                    "cost_ours": us["cost"],
                    "cost_peer": peer["cost"],
                    "cost_ratio": _ratio(us["cost"], peer["cost"]),
                    "cost_ratio_at_equal_coverage": equal,
                    "best_coverage_bound": max(bounds) if bounds else None,
                    "peer_time_to_its_final_s": peer_time,
                    "our_time_to_peer_final_s": ours_time,
                    "speed_up": (
                        round(peer_time / max(ours_time, 0.01), 1)
                        if ours_time is not None and peer_time is not None
                        else None
                    ),
                    "verdict": _verdict(us, peer),
                }
            )
    return pd.DataFrame(out)


def _verdict(us: pd.Series, peer: pd.Series) -> str:
    if us["coverage"] < peer["coverage"] - EPS:
        return "better coverage"
    if us["coverage"] > peer["coverage"] + EPS:
        return "WORSE coverage"
    if us["cost"] < peer["cost"] - EPS:
        return "same coverage, lower cost"
    if us["cost"] > peer["cost"] + EPS:
        return "same coverage, HIGHER cost"
    return "equal"


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def _nan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def chart(rows: pd.DataFrame, path: Path) -> None:
    """Coverage (priority-weighted unmet hours) over time, per family and solver."""
    plt = pyplot()
    families = list(dict.fromkeys(rows["family"]))
    fig, axes = plt.subplots(1, len(families), figsize=(4.2 * len(families), 3.6), squeeze=False)
    for ax, family in zip(axes[0], families, strict=True):
        for _, row in rows[rows.family == family].iterrows():
            points = sorted(row["timeline"]) if isinstance(row["timeline"], list) else []
            if points:
                times = [max(p[0], 0.01) for p in points]
                ax.step(
                    times,
                    [p[1] for p in points],
                    where="post",
                    marker="o" if len(points) == 1 else None,
                    color=COLOURS[row["solver"]],
                    label=row["solver"],
                )
        ax.set(xscale="log", xlabel="seconds", ylabel="coverage (weighted unmet h)", title=family)
        ax.legend(fontsize=7)
    save_figure(fig, path)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks peers")
    parser.add_argument("--families", nargs="+", default=DEFAULT_FAMILIES, choices=FAMILIES)
    parser.add_argument(
        "--solvers",
        nargs="*",
        default=list(SOLVERS),
        choices=SOLVERS,
        help="with --keep and no solver named: only rewrite the tables and chart",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the other (family, solver) results of the last run (peers.jsonl) and "
        "re-run only the ones named",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(solve_one(args.one, args.families[0], args.seed, args.time_limit)))
        return
    raw = args.out / "peers.jsonl"  # every row with its timeline, for --keep
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    if args.keep and raw.exists():
        for line in raw.read_text().splitlines():
            row = json.loads(line)
            kept[row["family"], row["solver"]] = row
    for family in args.families:
        limit = args.time_limit or LIMITS[family.split("-")[0]]
        for solver in args.solvers:
            child = ["--one", solver, "--families", family, "--seed", str(args.seed)]
            result = run_child("peers", [*child, "--time-limit", str(limit)], 4 * limit + 300)
            kept[family, solver] = {"family": family, "solver": solver, **result}
            shown = {k: v for k, v in kept[family, solver].items() if k != "timeline"}
            print(json.dumps(shown), flush=True)
    order = {f: i for i, f in enumerate(FAMILIES)}
    rows = sorted(kept.values(), key=lambda r: (order[r["family"]], SOLVERS.index(r["solver"])))
    args.out.mkdir(parents=True, exist_ok=True)
    raw.write_text("".join(json.dumps(row) + "\n" for row in rows))
    table = pd.DataFrame(rows)
    if "timeline" not in table:
        table["timeline"] = None
    compare = ratios(table)
    plain = table.drop(columns=["timeline"])
    plain.to_csv(args.out / "peers.csv", index=False)
    chart(table, args.out / "peers.png")
    sizes = "; ".join(
        f"{f}: {FAMILIES[f]['specialists']} specialists, {FAMILIES[f]['projects']} projects, "
        f"{FAMILIES[f]['days']} days, demand/capacity {FAMILIES[f]['tightness']}"
        for f in dict.fromkeys(table["family"])
    )
    text = (
        header("Peers benchmark", "peers", argv)
        + f"Families (seed {args.seed}): {sizes}. Coverage and cost as recomputed by the "
        "independent checker; times in seconds (Timefold's on its own solver clock)."
        + (" Rows not named by this command are kept from the previous run." if args.keep else "")
        + "\n\n"
        "## Plans\n\n"
        + plain.to_markdown(index=False)
        + "\n\n## Ours against each peer\n\n"
        + (compare.to_markdown(index=False) if not compare.empty else "(no comparison)")
        + "\n\n![coverage over time](peers.png)\n"
    )
    (args.out / "peers.md").write_text(text)
    print(plain.to_string(index=False))
    print()
    print(compare.to_string(index=False))
