"""A pytest plugin that saves the event history of every workflow a test runs, for the replay tests.

Loaded only by `scripts/record_histories.py` (`-p tests.histories.recorder`), never in a normal run.
It records the id of every workflow a client starts (and, from their histories, every child, and
from the dev server's visibility, every workflow a Schedule started), and
when a worker shuts down — the servers are still up then, in every fixture of this suite — fetches
each history and writes it as `<folder>/<WorkflowType>/<test file>__<test>__<n>.json`. A later fetch
of the same workflow overwrites the earlier one, so the newest (longest) history is kept."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

FOLDER_ENV = "SA_RECORD_HISTORIES"


@dataclass
class _Started:
    client: Client
    scenario: str


@dataclass
class _Recorder:
    folder: Path
    started: dict[str, _Started] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    per_scenario: dict[tuple[str, str], int] = field(default_factory=dict)

    def note(self, client: Client, workflow_id: str, scenario: str) -> None:
        self.started.setdefault(workflow_id, _Started(client, scenario))

    async def save_all(self, client: Client) -> None:
        # Workflows a Schedule started were never seen by start_workflow: list them where the
        # server has visibility (the dev server; the time-skipping server has none).
        try:
            async for execution in client.list_workflows():
                self.note(client, execution.id, _scenario())
        except Exception:  # no visibility on this server
            pass
        for workflow_id in list(self.started):
            await self._save(workflow_id)

    async def _save(self, workflow_id: str) -> None:
        started = self.started[workflow_id]
        try:
            history = await started.client.get_workflow_handle(workflow_id).fetch_history()
        except Exception:  # its server is gone or it belongs to another server
            return
        if not history.events:
            return
        first = history.events[0].workflow_execution_started_event_attributes
        wf_type = first.workflow_type.name
        path = self.files.get(workflow_id)
        if path is None:
            key = (wf_type, started.scenario)
            n = self.per_scenario.get(key, 0) + 1
            self.per_scenario[key] = n
            path = self.folder / wf_type / f"{started.scenario}__{n}.json"
            self.files[workflow_id] = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json.loads(history.to_json()), separators=(",", ":")) + "\n")
        for event in history.events:
            if event.HasField("child_workflow_execution_started_event_attributes"):
                child = event.child_workflow_execution_started_event_attributes.workflow_execution
                if child.workflow_id not in self.started:
                    self.note(started.client, child.workflow_id, started.scenario)
                    await self._save(child.workflow_id)


def _scenario() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown").split(" ")[0]
    file_part, _, test_part = current.partition("::")
    name = f"{Path(file_part).stem}__{test_part}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:120]


@pytest.fixture(scope="session", autouse=True)
def _record_histories() -> Iterator[None]:
    folder = os.environ.get(FOLDER_ENV)
    if not folder:
        raise pytest.UsageError(f"{FOLDER_ENV} must name the folder the histories go to")
    recorder = _Recorder(Path(folder))
    original_start = Client.start_workflow
    original_shutdown = Worker.shutdown

    @functools.wraps(original_start)
    async def start_workflow(self: Client, *args: Any, **kwargs: Any) -> Any:
        handle = await original_start(self, *args, **kwargs)  # type: ignore[arg-type]
        recorder.note(self, handle.id, _scenario())
        return handle

    @functools.wraps(original_shutdown)
    async def shutdown(self: Worker) -> None:
        await recorder.save_all(self.client)
        await original_shutdown(self)

    Client.start_workflow = start_workflow  # type: ignore[assignment,method-assign]
    Worker.shutdown = shutdown  # type: ignore[method-assign]
    try:
        yield
    finally:
        Client.start_workflow = original_start  # type: ignore[method-assign]
        Worker.shutdown = original_shutdown  # type: ignore[method-assign]
