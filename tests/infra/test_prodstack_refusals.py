"""`make run-production` refuses to start, saying why and what to do, before it starts anything:
without the production engine (a fresh clone), or with a port it needs already taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.prodstack"],
        cwd=REPO,
        env={**os.environ, "PROD_STATE_DIR": str(tmp_path / "state"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_engine_names_the_binary_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-temporal-server"
    result = _run(tmp_path, TEMPORAL_SERVER_PATH=str(missing))
    assert result.returncode != 0
    assert str(missing) in result.stderr and "scripts/toolchain.sh production" in result.stderr
    assert not (tmp_path / "state").exists()  # nothing generated, nothing started


def test_a_port_in_use_is_named_with_its_variable(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # Every binary "present" (this test's interpreter), so only the port can stop it.
        tools = {var: sys.executable for var in ("TEMPORAL_SERVER_PATH", "TEMPORAL_SQL_TOOL_PATH")}
        tools |= {"TEMPORAL_UI_SERVER_PATH": sys.executable, "TEMPORAL_CLI_PATH": sys.executable}
        result = _run(tmp_path, PROD_UI_PORT=str(port), **tools)
    assert result.returncode != 0
    assert f"{port} (PROD_UI_PORT)" in result.stderr, result.stderr
    assert not (tmp_path / "state").exists()
