"""`python -m simulators.bank` as `make run` starts it: its own port, the key and payer account from
BANK_API_KEY / BANK_PAYER_ACCOUNT, a processing delay, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from domain.bank import BatchResult
from tests.conftest import REPO
from tests.ports import free_port
from tests.simulators.bank_files import disbursement, line


def test_the_bank_simulator_runs_as_a_process_with_the_configured_key_and_account() -> None:
    port = free_port()
    env = {**os.environ, "BANK_API_KEY": "bank-secret", "BANK_PAYER_ACCOUNT": "11112222333344445555"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.bank", "--port", str(port), "--processing-seconds", "0.5"],
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
                assert proc.poll() is None and time.monotonic() < deadline, "bank simulator did not start"
                time.sleep(0.1)
        assert health == {"status": "ok", "batches": 0, "processing_seconds": 0.5}

        def send(batch_id: str, payer: str, key: str) -> int:
            text = disbursement(batch_id, line(1), payer_account=payer).render()
            headers = {"X-Api-Key": key, "content-type": "text/plain"}
            return httpx.post(url + "/v1/batches", content=text.encode(), headers=headers).status_code

        assert send("CLI-1", "11112222333344445555", "dev-bank-key") == 401  # the configured key replaces it
        assert send("CLI-1", "11112222333344445555", "bank-secret") == 202
        assert send("CLI-2", "44001000000000000001", "bank-secret") == 202  # not our account here

        def outcome(batch_id: str) -> BatchResult:
            response = httpx.get(f"{url}/v1/batches/{batch_id}/result", headers={"X-Api-Key": "bank-secret"})
            return BatchResult.parse(response.text)

        assert outcome("CLI-1").state == "processing"
        time.sleep(0.6)
        assert outcome("CLI-1").state == "completed"
        assert outcome("CLI-2").state == "rejected"
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=15)[0].decode(errors="replace")
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "payer account ending 5555" in output
    assert "11112222333344445555" not in output  # the full account number is not logged
