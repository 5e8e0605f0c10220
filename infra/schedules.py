"""Temporal Schedules of the product: created if missing, idempotently, when the worker starts, and
brought up to date (policy, timing, action) when an existing one differs.

Every schedule buffers one run behind a run still going (a payroll stuck at the bank delays the
next month's, never drops it silently) and catches up runs missed for a few days (an outage over
the payroll day); each run takes its period from its scheduled time (workflows/scheduled.py), so a
late start still pays or checks the right month. Older misses are reported by the next payroll
run to the county's finance officers and supervisors (activities/payroll_alerts.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.payroll import DisclosureInput, PayrollInput
from domain.policy import PolicyBook, RegionStandards
from infra.models import Region
from workflows.payroll import DisclosureWorkflow, PayrollWorkflow
from workflows.quarterly_recheck import QuarterlyRecheckInput, QuarterlyRecheckWorkflow

log = logging.getLogger(__name__)

QUARTERLY_SCHEDULE_ID = "quarterly-data-exchange"
# A catch-up older than this is not run by itself: the payroll day is long past, a person decides
# (the next run reports the missed month).
CATCHUP_WINDOW = timedelta(days=3)
POLICY = SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE, catchup_window=CATCHUP_WINDOW)


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
    return Schedule(action=action, spec=spec, policy=POLICY)


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
    # 08:00 Beijing time on the county's payroll day; the run pays the month it was scheduled in.
    # Its own id is the schedule's (Temporal appends the time); it hands the month to the month's
    # one run, payroll-<county>-<month>, which finance's POST /payroll/runs starts or joins too.
    action = ScheduleActionStartWorkflow(
        PayrollWorkflow.run,
        PayrollInput(county_code),
        id=payroll_schedule_id(county_code),
        task_queue=task_queue,
    )
    return Schedule(action=action, spec=_monthly(standards.payroll_day, 8, "按月发放"), policy=POLICY)


def disclosure_schedule(county_code: str, standards: RegionStandards, task_queue: str) -> Schedule:
    # 07:00 on the disclosure day (by the 5th): last month's payments are published.
    action = ScheduleActionStartWorkflow(
        DisclosureWorkflow.run, DisclosureInput(county_code), id=disclosure_schedule_id(county_code),
        task_queue=task_queue,
    )  # fmt: skip
    return Schedule(action=action, spec=_monthly(standards.disclosure_day, 7, "按月公开"), policy=POLICY)


def _timing(spec: ScheduleSpec) -> list[tuple[list[int], list[int], list[int]]]:
    return [
        ([r.start for r in c.month], [r.start for r in c.day_of_month], [r.start for r in c.hour])
        for c in spec.calendars
    ]


def _differs(current: Schedule, wanted: Schedule) -> bool:
    a, b = current.action, wanted.action
    if not (isinstance(a, ScheduleActionStartWorkflow) and isinstance(b, ScheduleActionStartWorkflow)):
        return True
    return (
        (current.policy.overlap, current.policy.catchup_window, current.policy.pause_on_failure)
        != (wanted.policy.overlap, wanted.policy.catchup_window, wanted.policy.pause_on_failure)
        or (a.workflow, a.id, a.task_queue) != (b.workflow, b.id, b.task_queue)
        or _timing(current.spec) != _timing(wanted.spec)
        or current.spec.time_zone_name != wanted.spec.time_zone_name
    )


async def _create(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    """Create the schedule, or bring an existing one up to date; True when it was created.
    An update keeps the schedule's state (an operator's pause and its note)."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        await _update(client, schedule_id, schedule)
        return False
    log.info("created schedule %s", schedule_id)
    return True


async def _update(client: Client, schedule_id: str, schedule: Schedule) -> None:
    def updater(input: ScheduleUpdateInput) -> ScheduleUpdate | None:
        current = input.description.schedule
        if not _differs(current, schedule):
            return None
        log.info("updating schedule %s to the current policy and timing", schedule_id)
        return ScheduleUpdate(
            Schedule(action=schedule.action, spec=schedule.spec, policy=schedule.policy, state=current.state)
        )

    await client.get_schedule_handle(schedule_id).update(updater)


async def ensure_schedules(
    client: Client, task_queue: str, counties: Mapping[str, RegionStandards] | None = None
) -> list[str]:
    """Create the schedules that do not exist yet and update those that differ from what the code
    and the policy book want; returns the ids it created. `counties`: each county's standards
    (payroll and disclosure days) — one payroll and one disclosure schedule each. An operator's
    pause (and its note) is kept; the timing, action and policy are the code's."""
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
