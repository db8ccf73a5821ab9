"""Batch suite: a batch of generated ``small``-shaped instances with one and with two jobs.

    python -m benchmarks batch [--count 40] [--time-limit 2] [--workers 1] [--jobs 1 2]

The instances have 20 specialists, 4 projects and 10 working days (seeds 1..count). Each
configuration solves every instance afresh (``force``) in a local process pool, each solve
with ``--workers`` CP-SAT threads. Reported per configuration: the wall time of the whole
batch (pool start-up and shut-down included) and its ratio to the first configuration's, the
summed solve time, the overhead per instance (a job's wall time on its worker minus its solve
time, averaged) and the batch overhead per instance (``(wall × jobs − Σ solve) / count``,
which also counts starting the processes and slots left idle), the statuses, the checker's
verdicts and the summed objective values (to see that parallel solves do not plan worse).
Writes ``benchmarks/results/batch.md``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import add_out_option, header

SHAPE: dict[str, Any] = {"specialists": 20, "projects": 4, "days": 10}


def _write_instances(folder: Path, count: int) -> list[Path]:
    from allocator.generate import GeneratorConfig, write_instance

    return [
        write_instance(GeneratorConfig(seed=seed, **SHAPE), folder / f"small-s{seed:02d}.json")
        for seed in range(1, count + 1)
    ]


def run_once(
    paths: list[Path], outdir: Path, jobs: int, workers: int, limit: float
) -> dict[str, Any]:
    """Solve ``paths`` as one batch with ``jobs`` processes; one result row."""
    from allocator.batch import BatchSettings, file_items, local_backend, run_batch

    items = file_items(paths)
    settings = BatchSettings(time_limit=limit, workers=workers)
    started = time.perf_counter()
    with local_backend(jobs) as backend:
        result = run_batch(items, outdir, settings, backend, force=True)
    wall = time.perf_counter() - started
    frame = result.frame()
    solve = float(frame["solve_s"].sum())
    statuses = frame["status"].value_counts().to_dict()
    return {
        "jobs": jobs,
        "workers": workers,
        "instances": len(items),
        "wall_s": round(wall, 2),
        "solve_s": round(solve, 2),
        "mean_solve_s": round(solve / len(items), 3),
        "overhead_ms": result.statistics["overhead_ms_per_instance"],
        "batch_overhead_ms": round((wall * jobs - solve) / len(items) * 1000, 1),
        "statuses": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "checker_ok": int((frame["check"] == "ok").sum()),
        "coverage_sum": round(float(frame["coverage"].sum()), 2),
        "cost_sum": round(float(frame["cost"].sum()), 2),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks batch")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    add_out_option(parser, "batch.md")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="allocator-batch-") as tmp:
        paths = _write_instances(Path(tmp) / "instances", args.count)
        for jobs in args.jobs:
            row = run_once(paths, Path(tmp) / f"out-{jobs}", jobs, args.workers, args.time_limit)
            row["wall_ratio"] = round(row["wall_s"] / (rows[0] if rows else row)["wall_s"], 3)
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    intro = header("Batch benchmark", "batch", argv) + (
        f"{args.count} generated instances of {SHAPE['specialists']} specialists, "
        f"{SHAPE['projects']} projects, "
        f"{SHAPE['days']} days; time limit {args.time_limit:g} s; {args.workers} CP-SAT "
        f"thread(s) per solve.\n\n"
        "`wall_ratio`: wall time over the first row's. `overhead_ms`: per instance, a job's "
        "wall time on its worker minus its solve time. `batch_overhead_ms`: "
        "(wall × jobs − Σ solve) / instances, start-up and idle slots included.\n\n"
    )
    (args.out / "batch.md").write_text(intro + table.to_markdown(index=False) + "\n")
    print()
    print(table.to_string(index=False))
