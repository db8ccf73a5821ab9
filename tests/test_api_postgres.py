"""The core API flow on every job-store backend: a SQLite file, and PostgreSQL by URL.

The PostgreSQL cases run when ``ALLOCATOR_TEST_POSTGRES_URL`` names a database (e.g.
``postgresql+psycopg://allocator:allocator@127.0.0.1:5432/allocator_test``); without it they
skip, except under ``CI=true``, where they fail: CI must test PostgreSQL. Each PostgreSQL test
gets a fresh schema of its own (the URL's ``search_path``, so the solver processes use it
too), dropped afterwards. Every plan fetched is checked with the engine's checker.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    assert_error,
    assert_tenants_isolated,
    checked,
    demo,
    long_instance,
    searching,
    wait_job,
)
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.core.config import Settings
from api.main import create_app
from api.runner import Claim, claim_next, recover
from api.store import Job, Status, Store, database_url, utcnow

POSTGRES_ENV = "ALLOCATOR_TEST_POSTGRES_URL"


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return database_url(url)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: the PostgreSQL tests must run in CI")
    pytest.skip(f"{POSTGRES_ENV} is not set (a PostgreSQL URL to test the job store on)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty job-store database URL of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
        return
    base = _postgres_base_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # set but unreachable: always a failure, never a skip
        admin.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is not usable: {error}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "workers": 1,
        "max_concurrent_solves": 2,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings(db_url))) as test_client:
        yield test_client


def submit(client: TestClient, data: Any, **params: Any) -> dict[str, Any]:
    response = client.post("/v1/jobs", json=data, params=params)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def test_the_schema_is_in_the_backend_under_test(db_url: str) -> None:
    store = Store(db_url)
    store.create_schema()
    try:
        assert store.ping()
        expected = "sqlite" if db_url.startswith("sqlite") else "postgresql"
        assert store.engine.dialect.name == expected
        with store.sessions() as session:  # NUL characters are stored on every backend
            session.add(Job(id="n", tenant="t", name="a\x00b", instance_json="{}", time_limit=1))
            session.commit()
            job = session.get(Job, "n")
            assert job is not None and job.name == "a\ufffdb"
            assert job.created_at.utcoffset() is not None or expected == "sqlite"
    finally:
        store.dispose()


def test_submit_poll_and_fetch_the_plan(client: TestClient) -> None:
    assert client.get("/readyz").json()["database"] is True
    data = demo()
    job = wait_job(client, submit(client, data, time_limit=5)["id"])
    assert job["status"] == "done" and job["plan_status"] in ("optimal", "feasible")
    assert job["attempts"] == 1 and job["finished_at"] >= job["started_at"]
    plan = checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())
    assert job["plan_objective"] == plan.objective
    response = client.get(f"/v1/jobs/{job['id']}/plan", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(plan.assignments)
    listed = client.get("/v1/jobs", params={"status": "done"}).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]] and listed["total"] == 1
    assert_error(client.get("/v1/jobs/no%00pe"), 404, "job_not_found")
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    assert_error(client.get(f"/v1/jobs/{job['id']}"), 404)


def test_cancel_a_long_solve_keeps_its_best_plan(client: TestClient) -> None:
    data = long_instance()
    job = submit(client, data, time_limit=60)
    wait_job(client, job["id"], searching, timeout=40)
    response = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code == 202 and response.json()["cancel_requested"] is True
    ended = wait_job(client, job["id"], timeout=15)
    assert ended["status"] == "cancelled" and ended["plan_status"] == "feasible"
    checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())


def test_idempotent_resubmit_returns_the_first_job(client: TestClient) -> None:
    data = demo()
    headers = {"Idempotency-Key": "submit-42"}
    first = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 5})
    assert first.status_code == 202, first.text
    again = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 5})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 6})
    assert_error(other, 409, "idempotency_key_reused")
    job = wait_job(client, first.json()["id"])
    assert job["status"] == "done"
    checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())
    assert client.get("/v1/jobs").json()["total"] == 1


def test_api_keys_are_tenants(db_url: str) -> None:
    alpha = {"Authorization": "Bearer alpha-key"}
    beta = {"Authorization": "Bearer beta-key"}
    with TestClient(create_app(settings(db_url, api_keys=["alpha-key", "beta-key"]))) as client:
        assert_tenants_isolated(client, alpha, beta)


def test_a_job_left_solving_is_requeued_at_start_up_and_solved(db_url: str) -> None:
    """A server died while solving: the next one re-queues the job and solves it."""
    data = demo()
    store = Store(db_url)
    store.create_schema()
    with store.sessions() as session:
        session.add(
            Job(
                id="left-solving",
                tenant="public",
                status=Status.SOLVING,
                name="demo",
                instance_json=json.dumps(data, separators=(",", ":")),
                time_limit=5,
                attempts=1,
                lease="dead-server",
                stage="coverage",
                started_at=utcnow(),
            )
        )
        session.commit()
    store.dispose()
    with TestClient(create_app(settings(db_url))) as client:
        job = wait_job(client, "left-solving")
        assert job["status"] == "done" and job["attempts"] == 2 and job["error"] is None
        checked(data, client.get("/v1/jobs/left-solving/plan").json())


def test_concurrent_claims_take_each_job_once(db_url: str) -> None:
    store = Store(db_url)
    store.create_schema()
    jobs = 12
    with store.sessions() as session:
        for number in range(jobs):
            session.add(Job(id=f"job-{number:02}", tenant="t", instance_json="{}", time_limit=1))
        session.commit()
    claims: list[Claim] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer() -> None:
        start.wait()
        while (claim := claim_next(store)) is not None:
            with lock:
                claims.append(claim)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert sorted(c.job_id for c in claims) == [f"job-{n:02}" for n in range(jobs)]
        assert all(c.attempts == 1 for c in claims)
        assert len(recover(store)) == jobs  # all solving; a restart re-queues every one
        with store.sessions() as session:
            statuses = {job.status for job in session.query(Job)}
        assert statuses == {Status.QUEUED}
    finally:
        store.dispose()
