"""The service through FastAPI's TestClient: every endpoint and every error code.

The dispatcher really runs: jobs are solved in the process pool (spawned solver processes)
on a temporary SQLite file. Every plan fetched is checked with the engine's checker.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import openpyxl
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
from conftest import INSTANCES, instance_dict, person, solve_checked, task
from fastapi.testclient import TestClient

from api.core.config import Settings
from api.exports import SHEETS
from api.main import create_app
from api.runner import MAX_ATTEMPTS, recover, stage_columns
from api.store import Job, Status, Store, utcnow


def settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp / 'jobs.db'}",
        "workers": 1,
        "max_concurrent_solves": 2,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One service for the module (two solver processes), no API keys."""
    app = create_app(settings(tmp_path_factory.mktemp("api")))
    with TestClient(app) as test_client:
        yield test_client


def submit(client: TestClient, data: Any, **params: Any) -> dict[str, Any]:
    response = client.post("/v1/jobs", json=data, params=params)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    return job


def solved(client: TestClient, data: Any, **params: Any) -> dict[str, Any]:
    """Submit, poll until done, and return the job."""
    job = wait_job(client, submit(client, data, **params)["id"])
    assert job["status"] == "done", job
    return job


# ----------------------------------------------------------------------------- health


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": True, "dispatcher": True}
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    head = client.head("/")  # uptime checks probe with HEAD
    assert head.status_code == 200 and head.content == b""


def test_openapi_documents_every_route_with_the_demo_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    assert paths >= {
        ("post", "/v1/instances/validate"),
        ("post", "/v1/jobs"),
        ("get", "/v1/jobs"),
        ("get", "/v1/jobs/{job_id}"),
        ("delete", "/v1/jobs/{job_id}"),
        ("get", "/v1/jobs/{job_id}/plan"),
        ("post", "/v1/jobs/{job_id}/cancel"),
        ("post", "/v1/solve"),
        ("post", "/v1/plans/check"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    }
    body = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    assert body["application/json"]["examples"]["demo"]["value"]["name"] == "demo"
    assert "multipart/form-data" in body
    assert {"Instance", "Plan", "ErrorBody", "JobOut"} <= set(spec["components"]["schemas"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]


# ----------------------------------------------------------------------------- validate


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_their_assets_from_the_server_not_a_cdn(
    client: TestClient, page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "cdn" not in html.lower()
    for asset in assets:  # served here, not empty
        fetched = client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 10_000, asset


def test_validate_a_valid_instance(client: TestClient) -> None:
    response = client.post("/v1/instances/validate", json=demo())
    assert response.status_code == 200
    assert response.json() == {"valid": True, "problems": []}


def test_validate_reports_every_problem_with_its_path(client: TestClient) -> None:
    data = demo()
    data["tasks"][0]["due"] = "2030-01-01"
    data["specialists"][1]["skills"]["java"] = 9
    data["workplaces"][0]["project"] = "nowhere"
    data["colour"] = "blue"
    response = client.post("/v1/instances/validate", json=data)
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is False
    paths = {p["path"] for p in report["problems"]}
    assert {
        "$.tasks[0].due",
        "$.specialists[1].skills.java",
        "$.workplaces[0].project",
        "$.colour",
    } <= paths


def test_validate_accepts_a_multipart_upload(client: TestClient) -> None:
    files = {"file": ("demo.json", json.dumps(demo()).encode(), "application/json")}
    response = client.post("/v1/instances/validate", files=files)
    assert response.status_code == 200 and response.json()["valid"] is True
    response = client.post("/v1/instances/validate", files={"other": ("x.json", b"{}")})
    assert_error(response, 422)
    # media types ignore case: an upper-case multipart type is still an upload
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\n'
        f"Content-Type: application/json\r\n\r\n{json.dumps(demo())}\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"content-type": f"Multipart/Form-Data; boundary={boundary}"}
    response = client.post("/v1/instances/validate", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["valid"] is True, response.text


# ----------------------------------------------------------------------------- jobs


def test_submit_poll_and_fetch_the_plan_in_every_format(client: TestClient) -> None:
    data = demo()
    first = submit(client, data, time_limit=5)
    assert first["status"] in ("queued", "solving") and first["time_limit"] == 5
    job = wait_job(client, first["id"])
    assert job["status"] == "done" and job["plan_status"] in ("optimal", "feasible")
    assert job["attempts"] == 1 and job["finished_at"] >= job["started_at"]
    assert set(job["plan_objective"]) == {"coverage", "cost", "stability"}

    response = client.get(f"/v1/jobs/{job['id']}/plan")
    assert response.status_code == 200
    plan = checked(data, response.json())
    assert job["plan_objective"] == plan.objective
    # the job's last stage reads as the plan gives it (bound and gap included)
    assert job["objective"] == plan.objective[job["stage"]]
    assert job["bound"] == plan.bound.get(job["stage"])
    if job["bound"] is not None and job["objective"] == job["bound"]:
        assert job["gap"] == 0

    response = client.get(f"/v1/jobs/{job['id']}/plan", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["specialist", "project", "workplace", "task", "date", "hours"]
    assert len(rows) == len(plan.assignments)
    assert sum(float(r["hours"]) for r in rows) == pytest.approx(
        sum(a.hours for a in plan.assignments)
    )

    response = client.get(f"/v1/jobs/{job['id']}/plan", params={"format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == list(SHEETS)
    assert book["assignments"].max_row == len(plan.assignments) + 1

    assert_error(client.get(f"/v1/jobs/{job['id']}/plan", params={"format": "pdf"}), 422)


def test_downloads_of_any_instance_name_have_a_safe_header(client: TestClient) -> None:
    data = demo()
    data["name"] = 'Plan "Q1"\r\nX-Evil: 1 – Київ 日本'
    extra = {**data["specialists"][0], "id": "bell\u0007ring", "familiar_projects": []}
    data["specialists"].append(extra)  # a control character, which Excel cannot hold
    job = wait_job(client, submit(client, data, time_limit=3)["id"])
    assert job["status"] == "done", job
    for form, suffix in (("csv", "-assignments.csv"), ("xlsx", ".xlsx")):
        response = client.get(f"/v1/jobs/{job['id']}/plan", params={"format": form})
        assert response.status_code == 200, response.text
        assert "x-evil" not in response.headers
        header = response.headers["content-disposition"]
        fallback = re.fullmatch(
            r'attachment; filename="([A-Za-z0-9._-]+)"; filename\*=(.+)', header
        )
        assert fallback is not None, header
        assert fallback[1].endswith(f"{job['id'][:8]}{suffix}")
        exact = urllib.parse.unquote(fallback[2].removeprefix("UTF-8''"))
        assert exact == f"{data['name']}-{job['id'][:8]}{suffix}"
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    cells = {cell for row in book["specialists"].iter_rows(values_only=True) for cell in row}
    assert "bell\ufffdring" in cells
    checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())


def test_downloads_never_turn_ids_into_formulas(client: TestClient) -> None:
    evil = '=HYPERLINK("http://evil.example","x")'
    data = instance_dict(
        specialists=[person(evil), person("+1")],
        tasks=[task("@t", 60, max_assignees=2)],
    )
    job = wait_job(client, submit(client, data, time_limit=3)["id"])
    plan = checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())
    assert {a.specialist for a in plan.assignments} == {evil, "+1"}
    text = client.get(f"/v1/jobs/{job['id']}/plan", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["specialist"] for r in rows} == {"'" + evil, "'+1"}
    assert {r["task"] for r in rows} == {"'@t"}
    content = client.get(f"/v1/jobs/{job['id']}/plan", params={"format": "xlsx"}).content
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert evil in {cell.value for cell in cells}  # kept exactly, as text


def test_submit_a_multipart_upload(client: TestClient) -> None:
    data = demo()
    files = {"file": ("demo.json", json.dumps(data).encode(), "application/json")}
    response = client.post("/v1/jobs", files=files, params={"time_limit": 5})
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["id"])
    assert job["status"] == "done"
    checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())


def test_list_jobs_paginates_and_filters_by_status(client: TestClient) -> None:
    solved(client, demo(), time_limit=5)
    everything = client.get("/v1/jobs").json()
    assert everything["total"] >= 1 and everything["limit"] == 50
    page = client.get("/v1/jobs", params={"limit": 1, "offset": 0}).json()
    assert len(page["items"]) == 1 and page["total"] == everything["total"]
    assert page["items"][0]["id"] == everything["items"][0]["id"]  # newest first
    done = client.get("/v1/jobs", params={"status": "done"}).json()
    assert done["items"] and all(j["status"] == "done" for j in done["items"])
    error = assert_error(client.get("/v1/jobs", params={"status": "lost"}), 422)
    assert error["details"][0]["path"] == "query.status"
    assert_error(client.get("/v1/jobs", params={"limit": 0}), 422)
    assert_error(client.get("/v1/jobs", params={"offset": 10**20}), 422)  # not a 500


def test_an_invalid_instance_is_refused_with_every_problem(client: TestClient) -> None:
    data = demo()
    data["specialists"][0]["hours_per_day"] = 30
    data["fixed"] = [{"specialist": "nobody", "workplace": "bank-support-1"}]
    error = assert_error(client.post("/v1/jobs", json=data), 422, "invalid_instance")
    paths = {d["path"] for d in error["details"]}
    assert {"$.specialists[0].hours_per_day", "$.fixed[0].specialist"} <= paths
    error = assert_error(client.post("/v1/jobs", json=[1, 2]), 422, "invalid_instance")
    assert error["details"][0]["path"] == "$"


def test_numbers_too_large_for_the_engine_are_422_with_their_paths(client: TestClient) -> None:
    data = demo()
    data["tasks"][0]["effort_hours"] = 1.5e308  # x 4 overflows the engine's quarter-hours
    report = client.post("/v1/instances/validate", json=data).json()
    assert report["valid"] is False
    (problem,) = report["problems"]
    assert problem["path"] == "$.tasks[0].effort_hours" and "too large" in problem["message"]
    error = assert_error(client.post("/v1/jobs", json=data), 422, "invalid_instance")
    assert error["details"][0]["path"] == "$.tasks[0].effort_hours"
    assert_error(client.post("/v1/solve", json=data), 422, "invalid_instance")
    plan = {"format": "allocator/1", "instance": "demo", "status": "feasible"}
    plan["unmet"] = [{"workplace": "bank-support-1", "hours": 1e308}]
    response = client.post("/v1/plans/check", json={"instance": demo(), "plan": plan})
    error = assert_error(response, 422, "invalid_plan")
    (detail,) = error["details"]
    assert detail["path"] == "$.plan.unmet[0].hours" and "too large" in detail["message"]


def test_an_empty_objective_order_is_an_input_error(client: TestClient) -> None:
    data = demo()
    data["objective"] = {"order": []}
    error = assert_error(client.post("/v1/solve", json=data), 422, "invalid_instance")
    assert error["details"] == [
        {"path": "$.objective.order", "message": "objective.order must name at least one goal"}
    ]
    assert_error(client.post("/v1/jobs", json=data), 422, "invalid_instance")


def test_the_documented_examples_match_the_documented_schemas(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    components = {"components": spec["components"]}
    for path, method in (("/v1/jobs", "post"), ("/v1/plans/check", "post")):
        content = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        validator = jsonschema_rs.validator_for({**content["schema"], **components})
        examples = [e["value"] for e in content.get("examples", {}).values()]
        examples += [content["example"]] if "example" in content else []
        assert examples, path
        for example in examples:
            assert [e.message for e in validator.iter_errors(example)] == [], path


def test_malformed_json_is_400_with_the_position(client: TestClient) -> None:
    body = b'{"format": "allocator/1",\n "name": }'
    headers = {"content-type": "application/json"}
    error = assert_error(client.post("/v1/jobs", content=body, headers=headers), 400)
    assert error["code"] == "malformed_json"
    assert "line 2, column 10" in error["message"]
    error = assert_error(client.post("/v1/instances/validate", content=b"", headers=headers), 400)
    assert error["code"] == "empty_body"
    nan = b'{"name": NaN}'
    assert_error(client.post("/v1/solve", content=nan, headers=headers), 400, "malformed_json")
    assert client.get("/healthz").status_code == 200  # still serving


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (b'{"name": ' + b"[" * 600 + b"]" * 600 + b"}", "$.name[0]", "nested too deeply"),
        (b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}", "$", "nested too deeply"),
        (b'{"name": "a", "solver": {"seed": NaN}}', "$.solver.seed", "finite number"),
        (b'{"name": "x\\ud800"}', "$.name", "lone UTF-16 surrogate"),
        (b'{"solver": {"seed": ' + b"7" * 5000 + b"}}", "$", "more than 4,300 digits"),
        (b'{"name": "caf\xe9"}', "$", "not UTF-8 text (byte 13)"),
        (b'{"name": "a", "tasks": [], "name": "b"}', "$.name", "appears twice"),
    ],
    ids=["deep", "deeper-than-the-parser", "nan", "surrogate", "long-integer", "latin-1", "twice"],
)
def test_bodies_that_are_not_sound_json_are_400_with_the_path(
    client: TestClient, body: bytes, path: str, message: str
) -> None:
    headers = {"content-type": "application/json"}
    for route in ("/v1/instances/validate", "/v1/solve", "/v1/jobs", "/v1/plans/check"):
        error = assert_error(client.post(route, content=body, headers=headers), 400)
        assert error["code"] == "malformed_json"
        (detail,) = error["details"]
        assert detail["path"].startswith(path) and message in detail["message"], error
        assert message in error["message"]
    assert client.get("/healthz").status_code == 200


def test_time_limit_above_the_maximum_is_422(client: TestClient) -> None:
    error = assert_error(client.post("/v1/jobs", json=demo(), params={"time_limit": 1e9}), 422)
    assert error["details"] == [
        {"path": "query.time_limit", "message": "time_limit must be at most 300 seconds"}
    ]
    assert_error(client.post("/v1/jobs", json=demo(), params={"time_limit": -1}), 422)
    assert_error(client.post("/v1/jobs", json=demo(), params={"time_limit": "soon"}), 422)


def test_a_body_over_the_cap_is_413(client: TestClient) -> None:
    data = demo()
    data["description"] = "x" * (6 * 1024 * 1024)
    error = assert_error(client.post("/v1/jobs", json=data), 413, "payload_too_large")
    assert "bytes" in error["message"]

    def chunks() -> Iterator[bytes]:  # streamed: no Content-Length
        yield b'{"description": "'
        for _ in range(7):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = client.post(
        "/v1/instances/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")
    assert client.get("/healthz").status_code == 200


def test_idempotent_resubmit_returns_the_first_job(client: TestClient) -> None:
    data = demo()
    headers = {"Idempotency-Key": "submit-42"}
    first = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 5})
    assert first.status_code == 202
    again = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 5})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    other = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 6})
    assert_error(other, 409, "idempotency_key_reused")
    empty = client.post("/v1/jobs", json=data, headers={"Idempotency-Key": ""})
    error = assert_error(empty, 422)
    assert error["details"][0]["path"] == "header.Idempotency-Key"
    job = wait_job(client, first.json()["id"])
    checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())


def test_unknown_jobs_are_404(client: TestClient) -> None:
    for response in (
        client.get("/v1/jobs/nope"),
        client.get("/v1/jobs/nope/plan"),
        client.post("/v1/jobs/nope/cancel"),
        client.delete("/v1/jobs/nope"),
    ):
        assert_error(response, 404, "job_not_found")
    assert_error(client.get("/v2/anything"), 404, "not_found")
    assert_error(client.put("/v1/jobs"), 405, "method_not_allowed")


def test_cancel_a_long_solve_keeps_its_best_plan(client: TestClient) -> None:
    data = long_instance()
    job = submit(client, data, time_limit=60)
    error = assert_error(client.get(f"/v1/jobs/{job['id']}/plan"), 409, "plan_not_ready")
    assert "not ready" in error["message"]
    running = wait_job(client, job["id"], searching, timeout=40)
    assert running["stage"] == "coverage" and running["objective"] is not None
    assert running["bound"] is None or running["bound"] <= running["objective"]
    response = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code == 202 and response.json()["cancel_requested"] is True
    ended = wait_job(client, job["id"], timeout=15)
    assert ended["status"] == "cancelled" and ended["plan_status"] == "feasible"
    assert ended["elapsed"] < 40
    checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())
    again = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_cancel_as_the_solve_starts_ends_it_at_once(client: TestClient) -> None:
    """A cancel while the engine loads, builds the model or solves the LP is honoured there."""
    data = json.loads((INSTANCES / "medium.json").read_text(encoding="utf-8"))
    job = submit(client, data, time_limit=60)
    wait_job(client, job["id"], lambda j: j["status"] != "queued", timeout=30, interval=0.02)
    asked = time.monotonic()
    response = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code in (200, 202), response.text
    ended = wait_job(client, job["id"], timeout=20, interval=0.05)
    took = time.monotonic() - asked
    assert ended["status"] == "cancelled", ended
    assert took < 10, f"the cancel took {took:.1f} s"
    if ended["plan_status"] is None:  # stopped before any plan: a clean answer, no plan
        error = assert_error(client.get(f"/v1/jobs/{job['id']}/plan"), 409, "plan_not_ready")
        assert "cancelled" in error["message"]
    else:  # the greedy plan (or better) found before the stop
        assert ended["plan_status"] == "feasible"
        checked(data, client.get(f"/v1/jobs/{job['id']}/plan").json())


def test_cancel_a_finished_job_is_409_and_delete_removes_it(client: TestClient) -> None:
    job = solved(client, demo(), time_limit=5)
    assert_error(client.post(f"/v1/jobs/{job['id']}/cancel"), 409, "job_finished")
    response = client.delete(f"/v1/jobs/{job['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_error(client.get(f"/v1/jobs/{job['id']}"), 404)


# ----------------------------------------------------------------------------- solve, check


def test_synchronous_solve(client: TestClient) -> None:
    data = demo()
    response = client.post("/v1/solve", json=data, params={"time_limit": 5})
    assert response.status_code == 200, response.text
    plan = checked(data, response.json())
    assert plan.status in ("optimal", "feasible")
    error = assert_error(client.post("/v1/solve", json=data, params={"time_limit": 60}), 422)
    assert "at most 10 seconds" in error["message"] and "/v1/jobs" in error["message"]
    bad = demo()
    bad["tasks"][0]["effort_hours"] = -1
    assert_error(client.post("/v1/solve", json=bad), 422, "invalid_instance")


def test_the_documented_check_example_is_a_good_plan(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/plans/check"]["post"]["requestBody"]["content"]
    example = body["application/json"]["example"]
    report = client.post("/v1/plans/check", json=example).json()
    assert report["ok"] is True and report["violations"] == []
    assert report["objective"] == example["plan"]["objective"]


def test_check_a_plan_and_a_tampered_plan(client: TestClient) -> None:
    data = demo()
    plan = client.post("/v1/solve", json=data, params={"time_limit": 5}).json()
    response = client.post("/v1/plans/check", json={"instance": data, "plan": plan})
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True and report["violations"] == []
    assert report["objective"] == pytest.approx(plan["objective"])

    tampered = json.loads(json.dumps(plan))
    row = tampered["assignments"][0]
    row["hours"] = 24
    report = client.post("/v1/plans/check", json={"instance": data, "plan": tampered}).json()
    assert report["ok"] is False
    assert "daily_capacity" in {v["rule"] for v in report["violations"]}
    assert all(v["message"] for v in report["violations"])

    error = assert_error(client.post("/v1/plans/check", json={"plan": plan}), 422)
    assert error["details"] == [{"path": "$.instance", "message": "required field is missing"}]
    broken = {**plan, "status": "great"}
    error = assert_error(
        client.post("/v1/plans/check", json={"instance": data, "plan": broken}), 422
    )
    assert error["code"] == "invalid_plan" and error["details"][0]["path"] == "$.plan.status"
    bad = demo()
    del bad["horizon"]
    error = assert_error(client.post("/v1/plans/check", json={"instance": bad, "plan": plan}), 422)
    assert error["details"][0]["path"] == "$.instance.horizon"
    # every problem at once: the instance's and the plan's, in JSON paths and plain words
    odd = {**plan, "assignments": [{**plan["assignments"][0], "hours": 2.3}]}
    body = {"instance": bad, "plan": odd, "note": 1}
    error = assert_error(client.post("/v1/plans/check", json=body), 422, "invalid_instance")
    assert [d["path"] for d in error["details"]] == [
        "$.note",
        "$.instance.horizon",
        "$.plan.assignments[0].hours",
    ]
    assert error["details"][0]["message"] == "unknown field"
    assert error["details"][2]["message"] == "hours must be a multiple of 0.25"
    error = assert_error(client.post("/v1/plans/check", json={"plan": odd}), 422)
    assert [d["path"] for d in error["details"]] == ["$.instance", "$.plan.assignments[0].hours"]
    error = assert_error(client.post("/v1/plans/check", json=[plan]), 422)
    assert error["details"] == [{"path": "$", "message": "expected a JSON object, not an array"}]


# ----------------------------------------------------------------------------- other services


def test_a_full_queue_answers_429_with_retry_after(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, max_queue=1, max_concurrent_solves=1))
    with TestClient(app) as client:
        first = submit(client, long_instance(), time_limit=30)
        second = submit(client, long_instance(), time_limit=30)
        response = client.post("/v1/jobs", json=demo())
        error = assert_error(response, 429, "queue_full")
        assert (
            "the queue is full (1 waiting, the most it holds, beside 1 solving)" in error["message"]
        )
        assert int(response.headers["retry-after"]) >= 1
        queued = client.post(f"/v1/jobs/{second['id']}/cancel")
        assert queued.status_code == 200 and queued.json()["status"] == "cancelled"
        assert client.delete(f"/v1/jobs/{first['id']}").status_code == 204
        assert_error(client.get(f"/v1/jobs/{first['id']}"), 404)
        assert client.post("/v1/jobs", json=demo()).status_code == 202


def test_api_keys_are_tenants(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, api_keys=["alpha-key", "beta-key"]))
    alpha = {"Authorization": "Bearer alpha-key"}
    beta = {"Authorization": "Bearer beta-key"}
    with TestClient(app) as client:
        missing = client.post("/v1/jobs", json=demo())
        assert_error(missing, 401, "unauthorized")
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer gamma-key"}
        assert_error(client.get("/v1/jobs", headers=wrong), 401)
        assert_error(client.post("/v1/instances/validate", json=demo()), 401)
        assert client.get("/healthz").status_code == 200

        assert_tenants_isolated(client, alpha, beta)


def test_an_unexpected_error_is_500_without_a_traceback(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    client = TestClient(app, raise_server_exceptions=False)  # no lifespan needed
    response = client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and error["details"] == []


def test_a_crashed_solver_process_is_replaced_and_its_job_requeued(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, max_concurrent_solves=1))
    with TestClient(app) as client:
        job = submit(client, long_instance(), time_limit=30)
        wait_job(client, job["id"], lambda j: j["stage"] is not None, timeout=30)
        for pid in app.state.dispatcher.solver_pids():
            os.kill(pid, signal.SIGKILL)
        again = wait_job(
            client, job["id"], lambda j: j["attempts"] == 2 and j["stage"] is not None, timeout=30
        )
        assert again["status"] == "solving" and again["error"] is None
        assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204


def test_recovery_requeues_solving_jobs_and_fails_them_after_the_last_attempt(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'jobs.db'}")
    store.create_schema()
    with store.sessions() as session:
        for name, attempts in (("again", 1), ("given-up", MAX_ATTEMPTS)):
            session.add(
                Job(
                    id=name,
                    tenant="public",
                    status=Status.SOLVING,
                    instance_json="{}",
                    time_limit=5,
                    attempts=attempts,
                    lease="old",
                    stage="coverage",
                    started_at=utcnow(),
                )
            )
        session.commit()
    assert recover(store) == {"again": "queued", "given-up": "failed"}
    with store.sessions() as session:
        again, given_up = session.get(Job, "again"), session.get(Job, "given-up")
        assert again is not None and given_up is not None
        assert again.lease is None and again.stage is None and again.started_at is None
        assert given_up.error is not None and f"{MAX_ATTEMPTS} times" in given_up.error
    store.dispose()


def test_a_finished_job_shows_the_plans_last_stage_not_the_last_one_reported() -> None:
    # the stability stage found nothing better, so the last progress came from cost
    plan = solve_checked(demo(), time_limit=5)
    stages = [s["goal"] for s in plan.statistics["stages"]]
    assert stages == ["coverage", "cost", "stability"]
    columns = stage_columns(plan, "cost")
    assert columns["stage"] == "stability" and columns["stage_number"] == 3
    assert columns["objective"] == plan.objective["stability"]
    assert columns["bound"] == plan.bound.get("stability")
