"""季度数据比对: every quarter, all enrolled households re-checked against the departments' data;
the quarter's warnings join the 预警清单 for the dynamic-management work."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.scheduled import period_time

with workflow.unsafe.imports_passed_through():
    from activities.quarterly import (
        BeneficiaryPage,
        QuarterlyActivities,
        RecheckBatchInput,
        RecheckBatchResult,
    )
    from domain.calendar import CHINA_TZ

PAGE_SIZE = 50  # households per activity
PARALLEL_BATCHES = 4  # batches in flight: bounded, far below the 2,000 pending-activity limit
# Departments may be down for hours: a batch keeps retrying with a long backoff rather than failing.
BATCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=30))


def quarter_before(day: date) -> str:
    """The quarter of the day before `day`: a run on 2027-01-01 checks 2026Q4."""
    last = day - timedelta(days=1)
    return f"{last.year}Q{(last.month - 1) // 3 + 1}"


@dataclass
class QuarterlyRecheckInput:
    period: str | None = None  # default: the quarter before the run


@dataclass
class QuarterlyRecheckResult:
    period: str
    checked: int = 0
    warned_households: int = 0
    warnings: int = 0
    failed: list[str] = field(default_factory=list)


@workflow.defn
class QuarterlyRecheckWorkflow:
    """Started by the quarterly Schedule (or by hand). Pages through active beneficiaries and
    re-checks them in bounded parallel batches. Query: ``progress``."""

    def __init__(self) -> None:
        self._result = QuarterlyRecheckResult(period="")

    @workflow.run
    async def run(self, input: QuarterlyRecheckInput) -> QuarterlyRecheckResult:
        today = workflow.now().astimezone(CHINA_TZ).date()
        # The quarter the Schedule meant: a catch-up run started days late checks that one.
        due = period_time() if workflow.patched("quarterly-period-of-schedule") else workflow.now()
        self._result.period = input.period or quarter_before(due.astimezone(CHINA_TZ).date())
        after = 0
        in_flight: list[asyncio.Task[RecheckBatchResult]] = []
        while True:
            page: BeneficiaryPage = await workflow.execute_activity_method(
                QuarterlyActivities.list_beneficiaries, args=[after, PAGE_SIZE],
                start_to_close_timeout=timedelta(seconds=60),
            )  # fmt: skip
            if page.ids:
                batch = RecheckBatchInput(self._result.period, today, page.ids)
                in_flight.append(asyncio.create_task(self._recheck(batch)))
            if len(in_flight) >= PARALLEL_BATCHES or page.next_after is None:
                done = await asyncio.gather(*in_flight)
                in_flight = []
                for part in done:
                    self._merge(part)
            if page.next_after is None:
                return self._result
            after = page.next_after

    async def _recheck(self, batch: RecheckBatchInput) -> RecheckBatchResult:
        result: RecheckBatchResult = await workflow.execute_activity_method(
            QuarterlyActivities.recheck_batch,
            batch,
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=BATCH_RETRY,
        )
        return result

    def _merge(self, part: RecheckBatchResult) -> None:
        self._result.checked += part.checked
        self._result.warned_households += part.warned_households
        self._result.warnings += part.warnings
        self._result.failed.extend(part.failed)

    @workflow.query
    def progress(self) -> QuarterlyRecheckResult:
        return self._result
