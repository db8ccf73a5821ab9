"""The web page (``GET /``) in headless Chromium, driven by Playwright, against a real uvicorn
server on a free loopback port with its own SQLite file and an API key.

Submit the demo and read its plan (timeline rows, unmet reasons, KPI tables, the CSV download
byte for byte, the jobs list, 800 px width), an invalid instance (its errors with their JSON
paths, nothing solved), an infeasible one (its explanation), and cancel a long solve
(cancelled, with its best plan).

Needs Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` installs it). Set
``ALLOCATOR_SCREENSHOT=docs/page.png`` to refresh the README's screenshot.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import checked, demo, searching, wait_job
from conftest import INSTANCES, ROOT

sync_api = pytest.importorskip("playwright.sync_api")
Browser = sync_api.Browser
Page = sync_api.Page
expect = sync_api.expect

CHROMIUM = Path(os.environ.get("ALLOCATOR_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = "page-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uvicorn api.main:app`` on a free port; its base URL."""
    folder = tmp_path_factory.mktemp("page-server")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCATOR_")}
    env |= {
        "ALLOCATOR_DATABASE_URL": f"sqlite:///{folder / 'jobs.db'}",
        "ALLOCATOR_WORKERS": "1",
        "ALLOCATOR_API_KEYS": KEY,
    }
    log = folder / "server.log"
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh page at ``/`` (its own storage), 1280 px wide; fails on script errors."""
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    yield page
    context.close()
    assert errors == []


def api(server: str) -> httpx.Client:
    return httpx.Client(base_url=server, headers=AUTH, timeout=30)


def enter_key(page: Page) -> None:
    page.get_by_label("API key").fill(KEY)
    page.get_by_label("API key").press("Enter")


def test_submit_the_demo_watch_it_and_read_the_plan(page: Page, server: str) -> None:
    expect(page.locator("#jobs-list")).to_contain_text("Error 401")  # no key yet
    enter_key(page)
    expect(page.locator("#jobs-list")).to_contain_text("No jobs yet")
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input, select')]"
        ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)"
    )
    assert unlabelled == []

    page.get_by_role("button", name="Use the demo instance").click()
    expect(page.locator("#validation")).to_contain_text("Valid")
    page.get_by_label("Time limit (seconds)").fill("10")
    page.get_by_role("button", name="Solve", exact=True).click()
    expect(page.locator("#progress")).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.locator("#p-stage")).to_contain_text("of 3")
    body = page.locator("#plan-body")
    expect(body).to_be_visible()
    job_id = body.get_attribute("data-job")
    assert job_id and page.evaluate("location.hash") == f"#job={job_id}"

    with api(server) as client:
        plan = checked(demo(), client.get(f"/v1/jobs/{job_id}/plan").json())
        csv = client.get(f"/v1/jobs/{job_id}/plan", params={"format": "csv"}).content

    # the timeline: one row per planned specialist, under in-house and vendor headings
    planned = {a.specialist for a in plan.assignments}
    rows = page.locator("#timeline .vis-labelset .vis-label.specialist-row")
    expect(rows).to_have_count(len(planned))
    expect(rows.first).to_have_text(re.compile(r"\S"))
    assert {text.strip() for text in rows.all_text_contents()} == planned
    sections = page.locator("#timeline .vis-label.section-row").all_text_contents()
    assert any("In-house" in s for s in sections), sections
    assert any("Vendor: nearshore-dev" in s for s in sections), sections
    page.locator("#timeline .vis-item.assignment").first.hover()
    expect(page.locator(".vis-tooltip")).to_contain_text(" h")

    # unmet reasons, KPI tables
    assert plan.unmet, "the demo has unmet work"
    for item in plan.unmet:
        expect(page.locator("#unmet-table")).to_contain_text(item.reasons[0])
    assert plan.kpis is not None
    expect(page.locator("#kpi-specialists-table tbody tr")).to_have_count(
        len(plan.kpis["specialists"])
    )
    expect(page.locator("#kpi-specialists-table .bar").first).to_be_visible()
    expect(page.locator("#kpi-projects-table")).to_contain_text("portal")

    # the CSV download is the API's CSV, byte for byte (fetched with the key, saved as a blob)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the plan as CSV").click()
    saved = download.value.path()
    assert saved.read_bytes() == csv
    assert download.value.suggested_filename.endswith(".csv")

    # the jobs list links to this job and its plan
    row = page.locator(f"#jobs-table tr[data-job='{job_id}']")
    expect(row).to_contain_text("done")
    expect(row.get_by_role("link", name="Plan of demo as XLSX")).to_be_visible()

    shot = os.environ.get("ALLOCATOR_SCREENSHOT")
    if shot:
        page.mouse.move(0, 0)
        page.wait_for_timeout(300)
        page.screenshot(path=str(ROOT / shot), full_page=True)

    # usable at 800 px: nothing wider than the window (wide tables scroll in their own box)
    page.set_viewport_size({"width": 800, "height": 900})
    expect(rows).to_have_count(len(planned))
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_an_invalid_instance_shows_its_errors_and_is_not_solved(
    page: Page, server: str, tmp_path: Path
) -> None:
    enter_key(page)
    data = demo()
    data["specialists"][0]["hours_per_day"] = 30
    data["workplaces"][0]["project"] = "nowhere"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with api(server) as client:
        before = client.get("/v1/jobs").json()["total"]

        page.get_by_label("Instance file").set_input_files(bad)
        report = page.locator("#validation")
        expect(report).to_contain_text("input errors in bad.json")
        expect(report).to_contain_text("$.specialists[0].hours_per_day")
        expect(report).to_contain_text("$.workplaces[0].project")
        expect(page.get_by_role("button", name="Solve", exact=True)).to_be_disabled()

        broken = tmp_path / "broken.json"
        broken.write_text('{"format": "allocator/1",', encoding="utf-8")
        page.get_by_label("Instance file").set_input_files(broken)
        expect(report).to_contain_text("malformed JSON at line 1")
        expect(page.get_by_role("button", name="Solve", exact=True)).to_be_disabled()

        assert client.get("/v1/jobs").json()["total"] == before


def test_an_infeasible_instance_shows_its_explanation(
    page: Page, server: str, tmp_path: Path
) -> None:
    enter_key(page)
    data = demo()
    data["workplaces"][0] |= {"required": True, "skills": {"cobol": 5}}  # nobody can fill it
    path = tmp_path / "infeasible.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    page.get_by_label("Instance file").set_input_files(path)
    expect(page.locator("#validation")).to_contain_text("Valid")
    page.get_by_role("button", name="Solve", exact=True).click()
    expect(page.locator("#plan-body")).to_have_attribute("data-status", "infeasible")
    explanation = page.locator("#explanation-box")
    expect(explanation).to_contain_text("Why there is no plan")
    expect(explanation).to_contain_text(f"required workplace {data['workplaces'][0]['id']}")
    expect(page.locator("#plan-details")).to_be_hidden()


def test_cancel_a_long_solve_keeps_its_best_plan(page: Page, server: str) -> None:
    enter_key(page)
    page.get_by_label("Instance file").set_input_files(INSTANCES / "medium.json")
    expect(page.locator("#validation")).to_contain_text("Valid", timeout=15_000)
    page.get_by_label("Time limit (seconds)").fill("60")
    page.get_by_role("button", name="Solve", exact=True).click()
    expect(page.locator("#progress")).to_have_attribute("data-status", "solving")
    job_id = page.evaluate("location.hash").removeprefix("#job=")
    with api(server) as client:
        wait_job(client, job_id, searching, timeout=40)
        expect(page.locator("#p-objective")).to_contain_text("solution")
        page.get_by_role("button", name="Cancel the solve").click()
        expect(page.locator("#progress")).to_have_attribute(
            "data-status", "cancelled", timeout=20_000
        )
        expect(page.locator("#plan-summary")).to_contain_text("the best plan found is kept")
        expect(page.locator("#plan-body")).to_have_attribute("data-status", "feasible")
        medium = json.loads((INSTANCES / "medium.json").read_text(encoding="utf-8"))
        checked(medium, client.get(f"/v1/jobs/{job_id}/plan").json())
    expect(page.locator(f"#jobs-table tr[data-job='{job_id}']")).to_contain_text("cancelled")
