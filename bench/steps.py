"""Per-step times of a workflow run, read from its event history (what the server recorded, not
what the benchmark guessed): for every activity type, how many ran, the span from the first one
scheduled to the last one completed, and the summed time the worker spent inside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle


@dataclass
class StepTime:
    activity: str
    count: int
    span_seconds: float  # first scheduled → last completed
    busy_seconds: float  # Σ (completed − started): the activities' own work, overlapped or not
    retries: int  # attempts beyond the first (a bank not ready, a database lock …)
    first: datetime | None = None  # the first one scheduled
    last: datetime | None = None  # the last one completed


async def activity_steps(handle: WorkflowHandle[Any, Any]) -> list[StepTime]:
    history = await handle.fetch_history()
    kinds: dict[int, str] = {}
    scheduled: dict[int, datetime] = {}
    started: dict[int, datetime] = {}
    spans: dict[str, list[datetime]] = {}
    busy: dict[str, float] = {}
    counts: dict[str, int] = {}
    retries: dict[str, int] = {}
    attempts: dict[int, int] = {}
    for event in history.events:
        when = event.event_time.ToDatetime()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            kinds[event.event_id] = name
            scheduled[event.event_id] = when
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            started[attrs.scheduled_event_id] = when
            attempts[attrs.scheduled_event_id] = attrs.attempt
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            sid = event.activity_task_completed_event_attributes.scheduled_event_id
            name = kinds[sid]
            first, last = spans.setdefault(name, [scheduled[sid], when])
            spans[name] = [min(first, scheduled[sid]), max(last, when)]
            busy[name] = busy.get(name, 0.0) + (when - started.get(sid, scheduled[sid])).total_seconds()
            counts[name] = counts.get(name, 0) + 1
            retries[name] = retries.get(name, 0) + max(attempts.get(sid, 1) - 1, 0)
    return [
        StepTime(
            name,
            counts[name],
            (spans[name][1] - spans[name][0]).total_seconds(),
            busy[name],
            retries.get(name, 0),
            spans[name][0],
            spans[name][1],
        )
        for name in spans
    ]


def merged_steps(runs: list[list[StepTime]]) -> list[StepTime]:
    """The steps of several runs (a province's counties) as one: counts, work and retries added up,
    the span from the first one scheduled in any run to the last one completed in any."""
    merged: dict[str, StepTime] = {}
    for s in (s for steps in runs for s in steps):
        m = merged.setdefault(s.activity, StepTime(s.activity, 0, 0.0, 0.0, 0, s.first, s.last))
        m.count, m.busy_seconds, m.retries = (
            m.count + s.count,
            m.busy_seconds + s.busy_seconds,
            m.retries + s.retries,
        )
        if m.first and s.first and m.last and s.last:
            m.first, m.last = min(m.first, s.first), max(m.last, s.last)
            m.span_seconds = (m.last - m.first).total_seconds()
    return list(merged.values())
