"""Recorded histories of running cases replay on today's code: a change to the commands a workflow
issues must sit behind workflow.patched, or these fail with a non-determinism error."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.settings import load_settings
from infra.temporal_client import make_data_converter
from workflows.application import ApplicationWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "histories" / "application"


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.name, gzip.decompress(path.read_bytes()).decode())


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json.gz")), ids=lambda p: p.name.split(".")[0])
async def test_a_recorded_application_history_replays(path: Path) -> None:
    history = _history(path)
    replayer = Replayer(workflows=[ApplicationWorkflow], data_converter=make_data_converter(load_settings()))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
