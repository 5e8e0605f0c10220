"""`python -m simulators.departments` as `make run` starts it: a process on its own port that takes
its keys from DEPARTMENT_API_KEYS and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import REPO
from tests.ports import free_port
from tests.simulators.conftest import query_body


def test_the_simulator_runs_as_a_process_with_configured_keys() -> None:
    port = free_port()
    keys = {"tax": "tax-secret", "440106/tax": "tianhe-tax-secret"}
    env = {**os.environ, "DEPARTMENT_API_KEYS": json.dumps(keys)}
    cmd = [sys.executable, "-m", "simulators.departments", "--port", str(port), "--households", "50"]
    proc = subprocess.Popen(
        [*cmd, "--seed", "9", "--reference-date", "2026-11-22"],
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
                assert proc.poll() is None and time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        assert health == {"status": "ok", "households": 50, "seed": 9, "reference_date": "2026-11-22"}

        def status(department: str, api_key: str) -> int:
            body = query_body(["11010519491231002X"])
            return httpx.post(
                f"{url}/{department}/v1/query", json=body, headers={"X-Api-Key": api_key}
            ).status_code

        assert status("tax", "tax-secret") == 200
        assert status("tax", "tianhe-tax-secret") == 200  # one simulator serves every county
        assert status("tax", "dev-tax-key") == 401  # configured keys replace the development one
        assert status("vehicles", "dev-vehicles-key") == 200  # not configured: development key
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=15)[0].decode(errors="replace")
    # uvicorn shuts down gracefully, then re-raises the signal it caught (as the API process does).
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "50 households, seed 9" in output
