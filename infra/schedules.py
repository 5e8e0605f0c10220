"""Temporal Schedules of the product: created if missing, idempotently, when the worker starts."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)

from domain.payroll import DisclosureInput, PayrollInput
from domain.policy import PolicyBook, RegionStandards
from infra.models import Region
from workflows.payroll import DisclosureWorkflow, PayrollWorkflow
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


def _monthly(day: int, hour: int, comment: str) -> ScheduleSpec:
    return ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(
                day_of_month=[ScheduleRange(day)],
                hour=[ScheduleRange(hour)],
                minute=[ScheduleRange(0)],
                second=[ScheduleRange(0)],
                comment=comment,
            )
        ],
        time_zone_name="Asia/Shanghai",
    )


def payroll_schedule_id(county_code: str) -> str:
    return f"payroll-{county_code}"


def disclosure_schedule_id(county_code: str) -> str:
    return f"disclosure-{county_code}"


def payroll_schedule(county_code: str, standards: RegionStandards, task_queue: str) -> Schedule:
    # 08:00 Beijing time on the county's payroll day; the run pays the month it starts in. The
    # workflow id is the schedule's own (Temporal appends the start time), so a run started by hand
    # for the same month (payroll-<county>-<month>) is a different execution: safe, the orders are
    # keyed by household and month.
    action = ScheduleActionStartWorkflow(
        PayrollWorkflow.run,
        PayrollInput(county_code),
        id=payroll_schedule_id(county_code),
        task_queue=task_queue,
    )
    return Schedule(action=action, spec=_monthly(standards.payroll_day, 8, "按月发放"))


def disclosure_schedule(county_code: str, standards: RegionStandards, task_queue: str) -> Schedule:
    # 07:00 on the disclosure day (by the 5th): last month's payments are published.
    action = ScheduleActionStartWorkflow(
        DisclosureWorkflow.run, DisclosureInput(county_code), id=disclosure_schedule_id(county_code),
        task_queue=task_queue,
    )  # fmt: skip
    return Schedule(action=action, spec=_monthly(standards.disclosure_day, 7, "按月公开"))


async def _create(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return False
    log.info("created schedule %s", schedule_id)
    return True


async def ensure_schedules(
    client: Client, task_queue: str, counties: Mapping[str, RegionStandards] | None = None
) -> list[str]:
    """Create the schedules that do not exist yet; returns the ids it created. `counties`: each
    county's standards (payroll and disclosure days) — one payroll and one disclosure schedule each.
    An existing schedule is left as it is (an operator may have paused or edited it)."""
    created: list[str] = []
    if await _create(client, QUARTERLY_SCHEDULE_ID, quarterly_schedule(task_queue)):
        created.append(QUARTERLY_SCHEDULE_ID)
    return created + await ensure_county_schedules(client, task_queue, counties or {})


async def ensure_county_schedules(
    client: Client, task_queue: str, counties: Mapping[str, RegionStandards]
) -> list[str]:
    """The payroll and disclosure schedules of each county that lacks them; returns the ids created."""
    created: list[str] = []
    for county, standards in sorted(counties.items()):
        if await _create(
            client, payroll_schedule_id(county), payroll_schedule(county, standards, task_queue)
        ):
            created.append(payroll_schedule_id(county))
        sid = disclosure_schedule_id(county)
        if await _create(client, sid, disclosure_schedule(county, standards, task_queue)):
            created.append(sid)
    return created


async def county_standards(
    sessions: async_sessionmaker[AsyncSession], policies: PolicyBook
) -> dict[str, RegionStandards]:
    """The counties to pay: the county-level regions in the database and those the policy book
    configures, each with its resolved standards."""
    async with sessions() as session:
        codes = set(await session.scalars(select(Region.code).where(Region.level == "county")))
    codes |= set(policies.regions)
    return {code: policies.resolve_standards(code) for code in codes}
