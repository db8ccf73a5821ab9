"""Schemathesis over the service's own OpenAPI document: no 5xx, no response off its schema.

Every operation of ``/openapi.json`` is exercised in-process (ASGI, the lifespan runs: the
dispatcher solves what is accepted in its spawned solver process) with the documented
examples (the demo and tiny instances, the plan-check example) and a bounded, derandomised
set of generated requests, valid and invalid; half the requests naming a job name a real,
solved one. The service runs with tiny time limits, so the solves it triggers take a
fraction of a second, and without a queue, so that 429 (a documented answer) appears too.

Checks: ``not_a_server_error``, ``response_schema_conformance`` (the body matches the schema
of its status code and media type) and ``status_code_conformance`` (the status is one the
operation documents).
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_support import demo
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from api.core.config import Settings
from api.main import create_app

MAX_EXAMPLES = 15
"""Generated requests per operation (the documented examples come on top)."""
SEED = 20270104

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

CONFIG: dict[str, Any] = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
    # The documented examples (the demo instance), then generated requests, valid and
    # invalid; not the large coverage phase, not the stateful one.
    "phases": {
        "examples": {"enabled": True},
        "fuzzing": {"enabled": True},
        "coverage": {"enabled": False},
        "stateful": {"enabled": False},
    },
}

SETTINGS = Settings(
    database_url="sqlite://",  # a file in a temporary folder, set before the first request
    workers=1,
    max_concurrent_solves=1,
    max_queue=0,  # while one job solves, the next submit gets 429
    default_time_limit=0.5,
    max_time_limit=1.0,
    sync_time_limit_cap=0.5,
    max_request_bytes=512 * 1024,
)
"""Tiny time limits: every solve the run triggers ends within a second."""

APP = create_app(SETTINGS)

# The document comes from the app object, so collecting this module starts nothing; the
# app's lifespan (database, dispatcher, solver process) starts with the first request.
# (``schemathesis.pytest.from_fixture`` would build it in a fixture, but its lazy
# parametrisation fails under pytest 9.)
schema = schemathesis.openapi.from_dict(APP.openapi(), config=schemathesis.Config.from_dict(CONFIG))
schema.app = APP

KNOWN: dict[str, list[str]] = {"kept": [], "spare": []}
"""Ids of finished jobs: ``kept`` for reads and cancels, ``spare`` for DELETE."""
SEEN: Counter[str] = Counter()
"""``"METHOD path status"`` of every response of the run."""


def _finished_demo_job(client: Any) -> str:
    response = client.post("/v1/jobs", json=demo(), params={"time_limit": 0.5})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    deadline = time.monotonic() + 60
    while client.get(f"/v1/jobs/{job_id}").json()["status"] not in ("done", "cancelled"):
        assert time.monotonic() < deadline, f"job {job_id} did not finish"
        time.sleep(0.05)
    return job_id


@pytest.fixture(scope="module", autouse=True)
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fresh SQLite file with four solved demo jobs; the lifespan ends after the module."""
    SETTINGS.database_url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'jobs.db'}"
    try:
        with get_client(APP) as client:  # starts the lifespan that the run then uses
            KNOWN["kept"] = [_finished_demo_job(client) for _ in range(2)]
            KNOWN["spare"] = [_finished_demo_job(client) for _ in range(2)]
        yield
    finally:
        shutdown_lifespans()  # stops the dispatcher and its solver process


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_service_keeps_its_openapi_contract(case: Any) -> None:
    """No 5xx, every status documented, every body of the schema of its status."""
    generated = (case.path_parameters or {}).get("job_id")
    if isinstance(generated, str):
        # Half the requests name a real job (so plans are fetched as JSON, CSV and xlsx,
        # finished jobs cancelled and deleted), the others the generated id (404). The
        # choice is a digest of the generated id: the run stays deterministic.
        pool = KNOWN["spare" if case.method.upper() == "DELETE" else "kept"]
        pick = zlib.crc32(generated.encode("utf-8", "surrogatepass")) % (2 * len(pool))
        if pick < len(pool):
            case.path_parameters["job_id"] = pool[pick]
    response = case.call_and_validate(checks=CHECKS)
    SEEN[f"{case.method.upper()} {case.path} {response.status_code}"] += 1


def test_the_run_reached_the_interesting_answers() -> None:
    """The run above submitted and solved, filled the queue and fetched real plans."""
    if not SEEN:
        pytest.skip("the schemathesis run did not run")
    print(dict(sorted(SEEN.items())))
    expected = {
        "POST /v1/jobs 202",
        "POST /v1/jobs 429",
        "POST /v1/solve 200",
        "POST /v1/plans/check 200",
        "GET /v1/jobs/{job_id} 200",
        "GET /v1/jobs/{job_id}/plan 200",
        "POST /v1/jobs/{job_id}/cancel 409",
        "DELETE /v1/jobs/{job_id} 204",
    }
    assert expected <= set(SEEN), sorted(SEEN)
