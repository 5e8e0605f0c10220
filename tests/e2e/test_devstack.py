"""`make run`'s stack as a user gets it: a real process tree on its own ports and files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.seed import DEMO_PASSWORD
from tests.conftest import REPO, temporal_cli
from tests.factories import application_payload
from tests.ports import free_ports


class DevStack:
    def __init__(self, var: Path) -> None:
        self.temporal_port, self.ui_port, self.api_port, self.sms_port = free_ports(4)
        self.env = {
            **os.environ,
            "TEMPORAL_CLI_PATH": temporal_cli(),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "TEMPORAL_UI_PORT": str(self.ui_port),
            "TEMPORAL_DB_FILE": str(var / "temporal.db"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{var / 'app.db'}",
            "API_PORT": str(self.api_port),
            "SMS_SIM_PORT": str(self.sms_port),
        }
        self.log = var / "devstack.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "infra.devstack"], cwd=REPO, env=self.env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 90
        while "stack is up" not in self.log.read_bytes()[offset:].decode(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "stack did not come up:\n" + self.log.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.3)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        return self.proc.wait(timeout=60)

    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def login(self, username: str) -> dict[str, str]:
        """`make run` seeds the demo accounts: a fresh stack is usable at once."""
        response = httpx.post(
            self.api() + "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    dev = DevStack(tmp_path)
    yield dev
    if dev.proc is not None and dev.proc.poll() is None:
        # Ctrl-C first: the stack stops its children (they run in their own sessions, so a hard
        # kill of the parent alone would leave Temporal, the worker, the API and the simulator).
        dev.proc.send_signal(signal.SIGINT)
        try:
            dev.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dev.proc.kill()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _workflow_list(stack: DevStack, query: str) -> list[str]:
    out = subprocess.run(
        [
            temporal_cli(),
            "workflow",
            "list",
            "--address",
            f"127.0.0.1:{stack.temporal_port}",
            "--query",
            query,
            "--output",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    return [row["execution"]["workflowId"] for row in json.loads(out or "[]")]


def _poll(check, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.3)


def test_run_command_serves_api_ui_and_cli_then_stops_cleanly_and_keeps_data(
    stack: DevStack, application_number: str
) -> None:
    stack.start()
    assert httpx.get(stack.api() + "/docs").status_code == 200
    # The staff pages: the address the banner gives a newcomer opens the login page.
    login = httpx.get(stack.api() + "/staff/", follow_redirects=True)
    assert login.status_code == 200 and "工作人员登录" in login.text
    assert httpx.get(stack.api() + "/openapi.json").json()["info"]["title"].startswith("社会救助")

    clerk = stack.login("clerk_chigang")
    created = httpx.post(
        stack.api() + "/api/v1/applications", json=application_payload(application_number), headers=clerk
    )
    assert created.status_code == 201, created.text
    workflow_id = created.json()["workflow_id"]

    # The CLI, filtered by custom search attributes …
    query = "Stage='intake' AND CountyCode='440105' AND GreenChannel=false"
    _poll(lambda: workflow_id in _workflow_list(stack, query))
    # … and the Web UI's own API, which backs its list page and filter box.
    ui = f"http://127.0.0.1:{stack.ui_port}/api/v1/namespaces/default/workflows"
    _poll(lambda: workflow_id in httpx.get(ui, params={"query": "Stage='intake'"}).text)
    # The SMS simulator: the 一次性告知 reached the applicant's phone, readable on its admin API.
    sms = f"http://127.0.0.1:{stack.sms_port}/admin/messages"
    phone = application_payload(application_number)["applicant"]["phone"]

    def told() -> bool:
        sent = httpx.get(sms, params={"phone": phone}).json()
        return any(m["message_id"] == f"{application_number}:materials" for m in sent)

    _poll(told)
    assert f"SMS (短信)     http://127.0.0.1:{stack.sms_port}" in stack.log.read_text(errors="replace")

    assert stack.stop() == 0
    for port in (stack.api_port, stack.ui_port, stack.temporal_port):
        assert not _port_open(port), f"port {port} still open after Ctrl-C"

    # Both databases are files: after a restart the case and its running workflow are still there.
    stack.start()
    # Right after a restart the worker replays the case before it can answer the status query,
    # which the API bounds at 10 s: allow for that rather than httpx's 5 s default.
    again = httpx.get(
        f"{stack.api()}/api/v1/applications/{application_number}",
        headers=stack.login("clerk_chigang"),
        timeout=30,
    )
    assert again.status_code == 200 and again.json()["stage"] == "intake"
    assert workflow_id in _workflow_list(stack, "Stage='intake'")
    assert stack.stop() == 0
