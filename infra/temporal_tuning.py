"""The dynamic configuration every Temporal server the project runs gets: the dev server of
`make run`, the tests and the benchmarks (as `--dynamic-config-value` flags), the production
server of `make run-production` (a file it reads) and docker-compose.yml (the same file,
config/temporal-dynamicconfig.yaml, kept equal to this by tests/unit/test_temporal_tuning.py)."""

from __future__ import annotations

import json
from typing import Any

from infra.settings import REPO_ROOT

DYNAMIC_CONFIG: dict[str, Any] = {
    # The history service reads the transfer tasks it must hand to matching (a workflow task to
    # dispatch, an activity to start) at most this many times a second per shard. The default, 20,
    # adds up to 50 ms (≈ 40 ms measured) to every hop of a case: a staff claim is four hops (the
    # update's workflow task, the task-row activity, the timeline activity, the reply), which was
    # the "fixed ~200 ms" of every claim and release. The reads follow new tasks, not a clock, so
    # a higher cap costs nothing while the server is idle.
    "history.transferProcessorMaxPollRPS": 1000,
    # Workflow, update and task ids are stored in the SQL schemas' 255-character columns.
    "limit.maxIDLength": 255,
}

CONFIG_FILE = REPO_ROOT / "config" / "temporal-dynamicconfig.yaml"


def dev_server_args() -> list[str]:
    """`temporal server start-dev` flags setting DYNAMIC_CONFIG (values as JSON, which is YAML)."""
    args: list[str] = []
    for key, value in DYNAMIC_CONFIG.items():
        args += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
    return args


def server_file_content() -> dict[str, list[dict[str, Any]]]:
    """DYNAMIC_CONFIG in the server's file format (one unconstrained value per key)."""
    return {key: [{"value": value, "constraints": {}}] for key, value in DYNAMIC_CONFIG.items()}
