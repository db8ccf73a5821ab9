"""API suite: the service under load, as deployed (a real uvicorn server, SQLite file).

    python -m benchmarks api [--polls 1000] [--pollers 4] [--poll-interval 0.05]
                             [--long-time-limit 30] [--jobs 200] [--clients 20]
                             [--job-time-limit 1] [--max-queue 10] [--solves 2]

Starts ``uvicorn api.main:app`` in a subprocess on a free loopback port with a fresh SQLite
file in a temporary folder (``--solves`` solver processes, one CP-SAT thread each), then

(a) **status polls while solves run**: submits ``instances/medium.json`` twice
    (``--long-time-limit``), waits until both are solving, and meanwhile ``--pollers``
    client threads poll ``GET /v1/jobs/{id}`` (``--polls`` in all, one every
    ``--poll-interval`` seconds per thread); reports the latency percentiles (target: p99 ≤
    20 ms) and how many polls saw both jobs solving. The two jobs are then cancelled and
    must end ``cancelled`` with a plan.
(b) **a burst of submits**: ``--clients`` threads submit ``--jobs`` demo jobs in all
    (``--job-time-limit`` each, an ``Idempotency-Key`` per job). A refused submit must be a
    429 with ``Retry-After``; the client waits that long and submits the job again. Every
    accepted id must then be listed by ``GET /v1/jobs`` and end ``done`` with a plan the
    engine's checker accepts: none lost. Reports the accepted/refused counts, submit
    latencies and the throughput (jobs done per second, from the first submit to the last
    job done).

Prints the tables and writes ``benchmarks/results/api.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from benchmarks.common import ROOT, add_out_option

FINISHED = ("done", "failed", "cancelled")


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``python -m uvicorn api.main:app`` on a free loopback port with its own database."""

    def __init__(self, folder: Path, solves: int, max_queue: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ALLOCATOR_")},
            "ALLOCATOR_DATABASE_URL": f"sqlite:///{folder / 'jobs.db'}",
            "ALLOCATOR_MAX_CONCURRENT_SOLVES": str(solves),
            "ALLOCATOR_MAX_QUEUE": str(max_queue),
            "ALLOCATOR_WORKERS": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "uvicorn", "api.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"the server did not start:\n{self.log.read_text()}")

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


def _instance(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "instances" / name).read_text(encoding="utf-8"))
    return data


def _wait(
    client: httpx.Client, job_id: str, until: Any, timeout: float, interval: float = 0.1
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} stuck: {job}")
        time.sleep(interval)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of ``samples`` (seconds) in milliseconds."""
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


# --------------------------------------------------------------------------- (a) polls


def poll_while_solving(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """Two long solves, ``args.polls`` status polls meanwhile; their latency."""
    data = _instance("medium.json")
    with server.client() as client:
        ids = []
        for _ in range(2):
            response = client.post(
                "/v1/jobs", json=data, params={"time_limit": args.long_time_limit}
            )
            response.raise_for_status()
            ids.append(response.json()["id"])
        for job_id in ids:
            _wait(client, job_id, lambda j: j["status"] == "solving", timeout=60)

    latencies: list[float] = []
    reference: list[float] = []  # GET /healthz: the same path without the job store
    both_solving = 0
    errors = 0
    lock = threading.Lock()
    per_thread = -(-args.polls // args.pollers)

    def poller(index: int) -> None:
        nonlocal both_solving, errors
        seen: dict[str, str] = {}
        with server.client() as client:
            for n in range(per_thread):
                job_id = ids[(index + n) % 2]
                started = time.perf_counter()
                response = client.get(f"/v1/jobs/{job_id}")
                took = time.perf_counter() - started
                ok = response.status_code == 200
                if ok:
                    seen[job_id] = response.json()["status"]
                with lock:
                    latencies.append(took)
                    errors += not ok
                    both_solving += len(seen) == 2 and set(seen.values()) == {"solving"}
                if n % 4 == 0:
                    started = time.perf_counter()
                    client.get("/healthz")
                    took = time.perf_counter() - started
                    with lock:
                        reference.append(took)
                time.sleep(args.poll_interval)

    started = time.perf_counter()
    threads = [threading.Thread(target=poller, args=(i,)) for i in range(args.pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    with server.client() as client:
        progress = [client.get(f"/v1/jobs/{job_id}").json() for job_id in ids]
        for job_id in ids:
            client.post(f"/v1/jobs/{job_id}/cancel")
        ended = [_wait(client, job_id, lambda j: j["status"] in FINISHED, 60) for job_id in ids]
        plans = [client.get(f"/v1/jobs/{job_id}/plan") for job_id in ids]
    checked = sum(_check(data, p.json()) for p in plans if p.status_code == 200)
    return {
        "polls": len(latencies),
        "pollers": args.pollers,
        "errors": errors,
        "polls_both_solving": both_solving,
        **percentiles(latencies),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "polls_per_s": round(len(latencies) / wall, 1),
        "healthz_p50_ms": percentiles(reference)["p50_ms"],
        "healthz_p99_ms": percentiles(reference)["p99_ms"],
        "stage_at_end": ", ".join(str(j["stage"]) for j in progress),
        "ended": ", ".join(f"{j['status']}/{j['plan_status']}" for j in ended),
        "plans_checked_ok": f"{checked}/{len(ids)}",
    }


# --------------------------------------------------------------------------- (b) burst


@dataclass
class Burst:
    """What the submitting clients saw."""

    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> job id
    statuses: Counter[int] = field(default_factory=Counter)
    refused_without_retry_after: int = 0
    retry_after: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    given_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_burst(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """``args.jobs`` demo jobs from ``args.clients`` threads; none may be lost."""
    data = _instance("demo.json")
    burst = Burst()
    keys = [f"bench-{n:04d}" for n in range(args.jobs)]
    shares = [keys[i :: args.clients] for i in range(args.clients)]
    deadline = time.monotonic() + args.burst_timeout

    def client_thread(mine: list[str]) -> None:
        with server.client() as client:
            for key in mine:
                while True:
                    started = time.perf_counter()
                    response = client.post(
                        "/v1/jobs",
                        json=data,
                        params={"time_limit": args.job_time_limit},
                        headers={"Idempotency-Key": key},
                    )
                    took = time.perf_counter() - started
                    wait = response.headers.get("retry-after")
                    with burst.lock:
                        burst.latencies.append(took)
                        burst.statuses[response.status_code] += 1
                        if response.status_code in (200, 202):
                            burst.accepted[key] = response.json()["id"]
                        elif response.status_code == 429:
                            if wait is None:
                                burst.refused_without_retry_after += 1
                            else:
                                burst.retry_after.append(float(wait))
                    if response.status_code != 429:
                        break
                    if time.monotonic() > deadline:
                        with burst.lock:
                            burst.given_up += 1
                        break
                    time.sleep(float(wait or 1))

    first = time.perf_counter()
    threads = [threading.Thread(target=client_thread, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submitted = time.perf_counter() - first

    ids = set(burst.accepted.values())
    with server.client() as client:
        final = _wait_all(client, ids, deadline + 600)
        last_done = time.perf_counter() - first
        listed = _listed(client)
        checked = 0
        for job_id in ids:
            plan = client.get(f"/v1/jobs/{job_id}/plan")
            checked += plan.status_code == 200 and _check(data, plan.json())
    outcome = Counter(final.values())
    solve_times = [float(job["elapsed"] or 0) for job in listed.values() if job["id"] in ids]
    return {
        "jobs": args.jobs,
        "clients": args.clients,
        "submits": sum(burst.statuses.values()),
        "accepted_202": burst.statuses[202],
        "replayed_200": burst.statuses[200],
        "refused_429": burst.statuses[429],
        "429_without_retry_after": burst.refused_without_retry_after,
        "retry_after_s": _span(burst.retry_after),
        "other_statuses": sum(n for s, n in burst.statuses.items() if s not in (200, 202, 429)),
        "given_up": burst.given_up,
        "accepted_jobs": len(ids),
        "listed": len(ids & set(listed)),
        "lost": len(ids - set(listed)),
        "done": outcome["done"],
        "not_done": len(ids) - outcome["done"],
        "checker_ok": checked,
        **{f"submit_{k}": v for k, v in percentiles(burst.latencies).items()},
        "mean_solve_s": round(statistics.fmean(solve_times), 2) if solve_times else None,
        "submitting_s": round(submitted, 1),
        "wall_s": round(last_done, 1),
        "jobs_per_s": round(outcome["done"] / last_done, 2),
    }


def _span(values: list[float]) -> str:
    return f"{min(values):g}-{max(values):g}" if values else "-"


def _wait_all(client: httpx.Client, ids: set[str], deadline: float) -> dict[str, str]:
    """Poll the list until every job of ``ids`` is finished; their final statuses."""
    while True:
        jobs = _listed(client)
        final = {i: jobs[i]["status"] for i in ids if i in jobs}
        if all(final.get(i) in FINISHED for i in ids) or time.monotonic() > deadline:
            return final
        time.sleep(0.5)


def _listed(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Every job ``GET /v1/jobs`` lists, page by page."""
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = client.get("/v1/jobs", params={"limit": 200, "offset": offset}).json()
        out.update((job["id"], job) for job in page["items"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return out


def _check(instance: dict[str, Any], plan: dict[str, Any]) -> bool:
    from allocator import Plan, check_plan, load_instance

    return check_plan(load_instance(instance), Plan.model_validate(plan)).ok


# --------------------------------------------------------------------------- report


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api")
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--pollers", type=int, default=4)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--long-time-limit", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--job-time-limit", type=float, default=1.0)
    parser.add_argument("--max-queue", type=int, default=10)
    parser.add_argument("--solves", type=int, default=2)
    parser.add_argument("--burst-timeout", type=float, default=900.0)
    add_out_option(parser, "api.md")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    with (
        tempfile.TemporaryDirectory(prefix="allocator-api-bench-") as tmp,
        Server(Path(tmp), args.solves, args.max_queue) as server,
    ):
        polls = poll_while_solving(server, args)
        print(json.dumps(polls), flush=True)
        burst = submit_burst(server, args)
        print(json.dumps(burst), flush=True)

    polls_table = pd.DataFrame([polls])
    burst_table = pd.DataFrame([burst])
    target = "met" if polls["p99_ms"] <= 20 else "MISSED"
    header = (
        f"# API benchmark\n\nMachine: {platform.machine()}, {os.cpu_count() or 1} cores, "
        f"Python {platform.python_version()}, {platform.system()}; load average "
        f"{load:.2f} before the run (other work on the machine).\n"
        f"Command: `{' '.join(['python -m benchmarks api', *argv])}`.\n\n"
        f"Server: `uvicorn api.main:app` (one process) on 127.0.0.1, SQLite file, "
        f"{args.solves} solver processes with 1 CP-SAT thread each, max queue "
        f"{args.max_queue}. Latencies are measured by the client (httpx, keep-alive).\n\n"
        f"## (a) Status polls while {2} solves of `instances/medium.json` run\n\n"
        f"{args.polls} polls of `GET /v1/jobs/{{id}}` from {args.pollers} threads, one every "
        f"{args.poll_interval:g} s each, while both jobs solve (time limit "
        f"{args.long_time_limit:g} s; cancelled after the polls). Every fourth round a "
        "thread also polls `GET /healthz` (no database): `healthz_*` is the floor of the "
        f"server and the machine at that moment. Target p99 ≤ 20 ms: **{target}**.\n\n"
    )
    middle = (
        f"\n\n## (b) {args.jobs} demo jobs from {args.clients} concurrent clients\n\n"
        f"Each job: `POST /v1/jobs?time_limit={args.job_time_limit:g}` with an "
        "`Idempotency-Key`; a 429 is retried after its `Retry-After`. `lost`: accepted "
        "jobs not listed by `GET /v1/jobs`; `not_done`: accepted jobs not ending `done`; "
        "`checker_ok`: plans the engine's checker accepts. `jobs_per_s`: jobs done per "
        "second from the first submit to the last job done.\n\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    text = (
        header
        + polls_table.T.rename(columns={0: "value"}).to_markdown()
        + middle
        + burst_table.T.rename(columns={0: "value"}).to_markdown()
        + "\n"
    )
    (args.out / "api.md").write_text(text)
    print()
    print(polls_table.T.rename(columns={0: "status polls"}).to_string())
    print()
    print(burst_table.T.rename(columns={0: "burst of submits"}).to_string())
    print(f"\np99 of status polls: {polls['p99_ms']} ms (target ≤ 20 ms: {target})")
