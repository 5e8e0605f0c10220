"""Replay every recorded history against today's workflow code.

A change to a workflow that would break a running case — a command added, removed or reordered
without `workflow.patched` — fails here, before it reaches a server with cases in flight. The
histories are recorded by `scripts/record_histories.py` (README, "Changing a workflow")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from infra.settings import load_settings
from infra.temporal_client import make_data_converter
from tests.histories.changed_workflow import ApplicationThatPausesFirst
from workers.build import WORKFLOWS

FOLDER = Path(__file__).parent
HISTORIES = sorted(FOLDER.glob("*/*.json"))
# The workflow types the product runs must each have recorded histories to replay.
STANDARD_CASE = "test_dibao_flow__test_dibao_case_walks_every_stage_on_the_2026_calendar__1"
REQUIRED_TYPES = {wf.__temporal_workflow_definition.name for wf in WORKFLOWS}  # type: ignore[attr-defined]


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))


def _replayer(*workflows: type) -> Replayer:
    return Replayer(workflows=list(workflows), data_converter=make_data_converter(load_settings()))


def test_every_workflow_type_has_recorded_histories() -> None:
    recorded = {path.parent.name for path in HISTORIES}
    assert REQUIRED_TYPES <= recorded, f"no recorded history for {sorted(REQUIRED_TYPES - recorded)}"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_todays_code(path: Path) -> None:
    result = await _replayer(*WORKFLOWS).replay_workflow(_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"


async def test_a_change_without_a_patch_is_caught_by_the_replay() -> None:
    path = FOLDER / "ApplicationWorkflow" / f"{STANDARD_CASE}.json"
    with pytest.raises(NondeterminismError):
        await _replayer(ApplicationThatPausesFirst).replay_workflow(_history(path))
