"""Replay of histories recorded before the amount rules (issue 15, item 2): the new code takes the
old path where it matters (`workflow.patched`), so running cases do not fail on non-determinism.

- a 支出型 temporary grant of 10530 元 that the township head approved and that was paid on its
  word (today it would go to the county: patch `township-limit-county`);
- a 急难型 rescue of 8000 元 whose county decision set 6000 元, paid 8000 元 then (today the
  county's amount is paid: patch `emergency-county-amount`). That change alters an activity's
  input, not the commands, so this one replays either way; the patch keeps the replayed state true
  to what was paid.

Recorded on the time-skipping server with the code of commit 45c2b5f."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.settings import load_settings
from infra.temporal_client import make_data_converter
from tests.conftest import REPO
from workflows.application import ApplicationWorkflow
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow

HISTORIES = Path(REPO / "tests" / "histories")


@pytest.mark.parametrize(
    "name", ["temp_expenditure_township_grant_above_limit", "temp_emergency_county_sets_amount"]
)
async def test_histories_from_before_the_amount_rules_replay(name: str) -> None:
    history = WorkflowHistory.from_json(f"application-{name}", (HISTORIES / f"{name}.json").read_text())
    # Payloads are encrypted as every test server's are (the development key of the settings).
    replayer = Replayer(
        workflows=[ApplicationWorkflow, BeneficiaryWorkflow],
        data_converter=make_data_converter(load_settings()),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
