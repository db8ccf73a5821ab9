"""The service as deployed: a real ``uvicorn`` subprocess on a free loopback port, SQLite file.

Covers a whole session over HTTP (submit, poll, fetch JSON/CSV/XLSX, idempotent resubmit,
tenant isolation, cancel a long solve and keep its best plan) and a server killed with
SIGKILL while it solves: the next server re-queues the job, and gives up with a reason after
the last attempt; no job is lost and no solver process outlives its server.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
from api_support import assert_error, checked, demo, long_instance, searching, wait_job

from api.runner import MAX_ATTEMPTS

ROOT = Path(__file__).resolve().parent.parent
ALPHA = {"Authorization": "Bearer alpha"}
BETA = {"Authorization": "Bearer beta"}

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def processes_with(database_url: str) -> list[int]:
    """Processes started for this database (the server, its solver processes and helpers)."""
    marker = f"ALLOCATOR_DATABASE_URL={database_url}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_gone(database_url: str, timeout: float = 15) -> list[str]:
    """Wait until no process of this database is left; the command lines of those left."""
    deadline = time.monotonic() + timeout
    while processes_with(database_url) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = []
    for pid in processes_with(database_url):
        try:
            left.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return left


class Server:
    """``python -m uvicorn api.main:app`` (or, ``as_module``, ``python -m api``) on a fresh
    port, with its own database."""

    def __init__(self, folder: Path, api_keys: str = "", *, as_module: bool = False) -> None:
        self.as_module = as_module
        self.database_url = f"sqlite:///{folder / 'jobs.db'}"
        self.log = folder / "server.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ALLOCATOR_")},
            "ALLOCATOR_DATABASE_URL": self.database_url,
            "ALLOCATOR_WORKERS": "1",
            "ALLOCATOR_API_KEYS": api_keys,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "api" if self.as_module else "uvicorn"]
        command += [] if self.as_module else ["api.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def test_python_m_api_serves_on_the_host_and_port_given(tmp_path: Path) -> None:
    server = Server(tmp_path, as_module=True)
    server.start()  # waits for /readyz on the port given with --port
    try:
        with server.client() as client:
            assert "<html" in client.get("/").text.lower()
            data = demo()
            response = client.post("/v1/solve", json=data, params={"time_limit": 5})
            assert response.status_code == 200, response.text
            checked(data, response.json())
    finally:
        server.stop()


def test_a_session_over_http(tmp_path: Path) -> None:
    server = Server(tmp_path, api_keys="alpha,beta")
    server.start()
    try:
        with server.client() as client:
            data = demo()
            headers = {**ALPHA, "Idempotency-Key": "e2e-1"}
            response = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 5})
            assert response.status_code == 202, response.text
            job_id = response.json()["id"]
            assert response.headers["location"] == f"/v1/jobs/{job_id}"
            again = client.post("/v1/jobs", json=data, headers=headers, params={"time_limit": 5})
            assert again.status_code == 200 and again.json()["id"] == job_id
            assert_error(client.get(f"/v1/jobs/{job_id}", headers=BETA), 404)
            assert_error(client.get(f"/v1/jobs/{job_id}"), 401)

            job = wait_job(client, job_id, headers=ALPHA)
            assert job["status"] == "done", job
            plan = client.get(f"/v1/jobs/{job_id}/plan", headers=ALPHA)
            checked(data, plan.json())
            table = client.get(f"/v1/jobs/{job_id}/plan?format=csv", headers=ALPHA).text
            rows = list(csv.DictReader(io.StringIO(table)))
            assert len(rows) == len(plan.json()["assignments"])
            book = client.get(f"/v1/jobs/{job_id}/plan?format=xlsx", headers=ALPHA).content
            assert "totals" in openpyxl.load_workbook(io.BytesIO(book)).sheetnames

            big = long_instance()
            response = client.post("/v1/jobs", json=big, headers=BETA, params={"time_limit": 60})
            long_id = response.json()["id"]
            wait_job(client, long_id, searching, timeout=40, headers=BETA)
            assert client.post(f"/v1/jobs/{long_id}/cancel", headers=BETA).status_code == 202
            ended = wait_job(client, long_id, timeout=15, headers=BETA)
            assert ended["status"] == "cancelled", ended
            checked(big, client.get(f"/v1/jobs/{long_id}/plan", headers=BETA).json())
            assert client.get("/v1/jobs", headers=ALPHA).json()["total"] == 1
    finally:
        server.stop()


def test_a_killed_server_requeues_its_job_and_gives_up_after_the_last_attempt(
    tmp_path: Path,
) -> None:
    server = Server(tmp_path)
    server.start()
    try:
        with server.client() as client:
            response = client.post("/v1/jobs", json=long_instance(), params={"time_limit": 60})
            job_id = response.json()["id"]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with server.client() as client:
                job = wait_job(
                    client,
                    job_id,
                    lambda j, n=attempt: j["attempts"] == n and j["stage"] is not None,
                    timeout=40,
                )
            assert job["status"] == "solving"
            server.kill()
            assert wait_gone(server.database_url) == []  # the orphaned solver ends itself
            server.start()  # recovery: re-queued, or failed after the last attempt

        with server.client() as client:
            job = client.get(f"/v1/jobs/{job_id}").json()
            assert job["status"] == "failed", job
            assert f"the server stopped {MAX_ATTEMPTS} times" in job["error"]
            assert_error(client.get(f"/v1/jobs/{job_id}/plan"), 409, "plan_not_ready")
            data = demo()  # and the server keeps serving
            fresh = client.post("/v1/jobs", json=data, params={"time_limit": 5}).json()
            assert wait_job(client, fresh["id"])["status"] == "done"
            checked(data, client.get(f"/v1/jobs/{fresh['id']}/plan").json())
    finally:
        server.stop()
    assert wait_gone(server.database_url) == []
