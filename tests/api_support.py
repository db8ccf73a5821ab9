"""Helpers of the API tests (TestClient and real uvicorn): instances, polling, plan checks."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import httpx
from conftest import INSTANCES

from allocator import Plan, check_plan, load_instance
from allocator.generate import GeneratorConfig, generate_instance

FINISHED = ("done", "failed", "cancelled")


@cache
def _demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INSTANCES / "demo.json").read_text(encoding="utf-8"))
    return data


def demo() -> dict[str, Any]:
    """A fresh copy of ``instances/demo.json``."""
    return copy.deepcopy(_demo())


@cache
def _long() -> dict[str, Any]:
    return generate_instance(GeneratorConfig(seed=1, specialists=100, projects=12, days=20))


def long_instance() -> dict[str, Any]:
    """A generated instance (100 specialists, 12 projects) whose solve uses its whole limit."""
    return copy.deepcopy(_long())


def checked(instance: dict[str, Any], plan_json: Any) -> Plan:
    """The plan, after the engine's independent checker accepted it for ``instance``."""
    plan = Plan.model_validate(plan_json)
    report = check_plan(load_instance(instance), plan)
    assert report.ok, report.violations
    return plan


def wait_job(
    client: httpx.Client,
    job_id: str,
    until: Callable[[dict[str, Any]], bool] = lambda job: job["status"] in FINISHED,
    timeout: float = 60,
    headers: dict[str, str] | None = None,
    interval: float = 0.1,
) -> dict[str, Any]:
    """Poll GET /v1/jobs/{id} until ``until(job)`` holds; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} stuck: {job}"
        time.sleep(interval)


def searching(job: dict[str, Any]) -> bool:
    """CP-SAT is searching (a solution of the running stage came from the solver)."""
    return job["status"] == "solving" and (job["solutions"] or 0) >= 1


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a structured error with this status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert all(set(d) == {"path", "message"} for d in error["details"]), error
    if code is not None:
        assert error["code"] == code, error
    assert "Traceback" not in response.text
    return error


def assert_tenants_isolated(client: Any, alpha: dict[str, str], beta: dict[str, str]) -> None:
    """Two API keys: the same idempotency key makes two jobs, and each tenant sees only its
    own (the other's job is 404 on every route); the owner's plan passes the checker."""
    data = demo()
    key = {"Idempotency-Key": "same-key"}
    response = client.post("/v1/jobs", json=data, headers={**alpha, **key})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    theirs = client.post("/v1/jobs", json=data, headers={**beta, **key})
    assert theirs.status_code == 202 and theirs.json()["id"] != job_id
    for response in (
        client.get(f"/v1/jobs/{job_id}", headers=beta),
        client.get(f"/v1/jobs/{job_id}/plan", headers=beta),
        client.post(f"/v1/jobs/{job_id}/cancel", headers=beta),
        client.delete(f"/v1/jobs/{job_id}", headers=beta),
    ):
        assert_error(response, 404)
    assert [j["id"] for j in client.get("/v1/jobs", headers=alpha).json()["items"]] == [job_id]
    assert client.get("/v1/jobs", headers=beta).json()["total"] == 1
    job = wait_job(client, job_id, headers=alpha)
    assert job["status"] == "done"
    checked(data, client.get(f"/v1/jobs/{job_id}/plan", headers=alpha).json())
