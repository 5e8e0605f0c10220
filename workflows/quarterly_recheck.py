"""季度数据比对: every quarter, all enrolled households re-checked against the departments' data;
the quarter's warnings join the 预警清单 for the dynamic-management work."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
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
    from workflows.queues import departments_queue

PAGE_SIZE = 50  # households per activity
# Households a batch asks the departments about in one query (at most 100 ID numbers together):
# one request per department for a few dozen households instead of one each.
HOUSEHOLDS_PER_QUERY = 50
PARALLEL_BATCHES = 4  # batches in flight: bounded, far below the 2,000 pending-activity limit
# A run hands over to its next run (continue-as-new) after this many pages, ~10 events each: a
# province's 250,000 households would otherwise reach Temporal's 51,200-event history limit.
PAGES_PER_RUN = 400
# Departments may be down for hours: a batch keeps retrying with a long backoff rather than failing.
BATCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=30))


def quarter_before(day: date) -> str:
    """The quarter of the day before `day`: a run on 2027-01-01 checks 2026Q4."""
    last = day - timedelta(days=1)
    return f"{last.year}Q{(last.month - 1) // 3 + 1}"


@dataclass
class QuarterlyRecheckResult:
    period: str
    checked: int = 0
    warned_households: int = 0
    warnings: int = 0
    # Households a person must look at: listed in quarterly_recheck_failures (a list here would
    # grow toward the payload limit with the province).
    failed_households: int = 0


@dataclass
class QuarterlyRecheckInput:
    period: str | None = None  # default: the quarter before the run
    county_code: str | None = None  # None: every county (the Schedule's run)
    page_size: int = PAGE_SIZE
    pages_per_run: int = PAGES_PER_RUN
    households_per_query: int = HOUSEHOLDS_PER_QUERY
    # Carried by continue-as-new: where the previous run stopped, the day the check is as of (the
    # same for every run of one re-check), and the totals so far.
    after: int = 0
    as_of: date | None = None
    totals: QuarterlyRecheckResult | None = None


@workflow.defn
class QuarterlyRecheckWorkflow:
    """Started by the quarterly Schedule (or by hand). Pages through active beneficiaries and
    re-checks them in bounded parallel batches, continuing as new every `pages_per_run` pages with
    its cursor and totals. Query: ``progress``."""

    def __init__(self) -> None:
        self._result = QuarterlyRecheckResult(period="")

    @workflow.run
    async def run(self, input: QuarterlyRecheckInput) -> QuarterlyRecheckResult:
        today = input.as_of or workflow.now().astimezone(CHINA_TZ).date()
        if input.totals is not None:
            self._result = input.totals
        if input.period is None:
            # The quarter the Schedule meant: a catch-up run started days late checks that one.
            # A continued run carries its period (and so never asks again).
            due = period_time() if workflow.patched("quarterly-period-of-schedule") else workflow.now()
            self._result.period = quarter_before(due.astimezone(CHINA_TZ).date())
        else:
            self._result.period = input.period
        after, pages = input.after, 0
        in_flight: list[asyncio.Task[RecheckBatchResult]] = []
        while True:
            page: BeneficiaryPage = await workflow.execute_activity_method(
                QuarterlyActivities.list_beneficiaries, args=[after, input.page_size, input.county_code],
                start_to_close_timeout=timedelta(seconds=60),
            )  # fmt: skip
            pages += 1
            if page.ids:
                batch = RecheckBatchInput(self._result.period, today, page.ids, input.households_per_query)
                in_flight.append(asyncio.create_task(self._recheck(batch)))
            # Hand over to a new run once this one has done its share of pages (its batches
            # finished first: a run's totals are complete when it continues as new).
            hand_over = (
                page.next_after is not None
                and (pages >= input.pages_per_run or workflow.info().is_continue_as_new_suggested())
                and workflow.patched("quarterly-continue-as-new")
            )
            if len(in_flight) >= PARALLEL_BATCHES or page.next_after is None or hand_over:
                done = await asyncio.gather(*in_flight)
                in_flight = []
                for part in done:
                    self._merge(part)
            if hand_over and page.next_after is not None:
                workflow.continue_as_new(
                    replace(
                        input, period=self._result.period, after=page.next_after, as_of=today,
                        totals=self._result,
                    )
                )  # fmt: skip
            if page.next_after is None:
                return self._result
            after = page.next_after

    async def _recheck(self, batch: RecheckBatchInput) -> RecheckBatchResult:
        result: RecheckBatchResult = await workflow.execute_activity_method(
            QuarterlyActivities.recheck_batch,
            batch,
            task_queue=departments_queue(),  # it calls every department for every household
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=BATCH_RETRY,
        )
        return result

    def _merge(self, part: RecheckBatchResult) -> None:
        self._result.checked += part.checked
        self._result.warned_households += part.warned_households
        self._result.warnings += part.warnings
        # The batch wrote its failures to the database; only their number is kept here.
        self._result.failed_households += len(part.failed)

    @workflow.query
    def progress(self) -> QuarterlyRecheckResult:
        return self._result
