"""`python -m simulators.sms` as `make run` starts it: its own port, the key from SMS_API_KEY, the
admin view of a phone's messages, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import REPO
from tests.ports import free_port


def test_the_sms_simulator_runs_as_a_process_with_the_configured_key() -> None:
    port = free_port()
    env = {**os.environ, "SMS_API_KEY": "sms-secret"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.sms", "--port", str(port), "--delivery-seconds", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(url + "/healthz").json()
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "SMS simulator did not start"
                time.sleep(0.1)
        assert health == {"status": "ok", "messages": 0, "delivery_seconds": 0.0}
        message = {
            "message_id": "cli:1",
            "phone": "13700003333",
            "template": "verification_code",
            "params": {"code": "654321", "minutes": "5"},
        }
        dev = httpx.post(url + "/v1/messages", json=message, headers={"X-Api-Key": "dev-sms-key"})
        assert dev.status_code == 401  # the configured key replaces the development one
        assert (
            httpx.post(url + "/v1/messages", json=message, headers={"X-Api-Key": "sms-secret"}).status_code
            == 202
        )
        sent = httpx.get(url + "/admin/messages", params={"phone": "13700003333"}).json()
        assert [m["status"] for m in sent] == ["delivered"] and "654321" in sent[0]["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=15)[0].decode(errors="replace")
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "654321" not in output  # codes are not logged
