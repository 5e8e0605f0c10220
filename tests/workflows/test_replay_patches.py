"""Histories recorded with the code before the patches of issue 15's items 4 and 9 replay on the
current code without a non-determinism error: running executions keep their old commands
(tests/histories/, recorded on the time-skipping server from commit 45c2b5f)."""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.settings import load_settings
from infra.temporal_client import make_data_converter
from tests.conftest import REPO
from workflows.application import ApplicationWorkflow
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow

HISTORIES = REPO / "tests" / "histories"


@pytest.mark.parametrize(
    "name",
    [
        # The tax office down for 10 hours: the durable-timer retry loop, then the answer.
        "application_department_down_timer_loop.json",
        # April's re-review left open into July: the hourly poll, then the late review.
        "lifecycle_past_review_month_hourly_poll.json",
    ],
)
async def test_a_history_from_before_the_patches_replays(name: str) -> None:
    text = (HISTORIES / name).read_text()
    first = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    replayer = Replayer(
        workflows=[ApplicationWorkflow, BeneficiaryWorkflow],
        data_converter=make_data_converter(load_settings()),
    )
    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(first.get("workflowId", "replayed"), text), raise_on_replay_failure=True
    )
    assert result.replay_failure is None
