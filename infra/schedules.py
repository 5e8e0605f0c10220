"""Temporal Schedules of the product: created if missing, idempotently, when the worker starts."""

from __future__ import annotations

import logging

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)

from workflows.quarterly_recheck import QuarterlyRecheckInput, QuarterlyRecheckWorkflow

log = logging.getLogger(__name__)

QUARTERLY_SCHEDULE_ID = "quarterly-data-exchange"


def quarterly_schedule(task_queue: str) -> Schedule:
    # 02:00 Beijing time on the first day of each quarter: the quarter just ended is checked.
    spec = ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(
                month=[ScheduleRange(1), ScheduleRange(4), ScheduleRange(7), ScheduleRange(10)],
                day_of_month=[ScheduleRange(1)],
                hour=[ScheduleRange(2)],
                minute=[ScheduleRange(0)],
                second=[ScheduleRange(0)],
                comment="季度数据比对",
            )
        ],
        time_zone_name="Asia/Shanghai",
    )
    action = ScheduleActionStartWorkflow(
        QuarterlyRecheckWorkflow.run, QuarterlyRecheckInput(), id="quarterly-recheck", task_queue=task_queue
    )
    return Schedule(action=action, spec=spec)


async def ensure_schedules(client: Client, task_queue: str) -> list[str]:
    """Create the schedules that do not exist yet; returns the ids it created."""
    try:
        await client.create_schedule(QUARTERLY_SCHEDULE_ID, quarterly_schedule(task_queue))
    except ScheduleAlreadyRunningError:
        return []
    log.info("created schedule %s", QUARTERLY_SCHEDULE_ID)
    return [QUARTERLY_SCHEDULE_ID]
