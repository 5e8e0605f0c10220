"""Monthly payroll of one county (按月发放) and the monthly public disclosure (按月公开).

PayrollWorkflow: freeze the month's snapshot into payment orders → cut them into bank files (代发)
→ send each file and reconcile the bank's result file → close the run. Safe to run again for the
same month at any time (after a crash, or to pay the finance queue's corrected orders): every step
is keyed by household and month, so nobody is paid twice. Query: progress.

The month's run has one workflow id, `payroll-<county>-<month>`, whoever starts it: the API starts
or joins it, and a run started by the Schedule (whose id Temporal suffixes with the time) takes
its month from the scheduled time, reports months the Schedule never ran, and hands the month to
that one run (a child) — or, when finance already started it by hand, leaves it to that run.

DisclosureWorkflow: by the 5th, publish last month's payments (masked names and ID numbers), and
the earlier months' payments settled since their publication.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.scheduled import period_time, scheduled_start_time

with workflow.unsafe.imports_passed_through():
    from activities.case_records import CaseRecordActivities
    from activities.notices import NoticeActivities
    from activities.payroll import PayrollActivities
    from activities.payroll_alerts import LateStartInput, MissedMonthsInput, PayrollAlertActivities
    from domain.beneficiary import add_months, current_month
    from domain.notices import SMS_PATCH, PayrollNoticesInput, PayrollNoticesResult
    from domain.payroll import (
        BatchOutcome,
        BatchRef,
        DisclosureInput,
        FreezeResult,
        PayrollInput,
        PayrollResult,
        PlanBatchesInput,
        PublishDisclosureInput,
        payroll_workflow_id,
    )
    from domain.records import NotifyInput
    from domain.staff import Role

# A scheduled run starting later than this (a catch-up, a run buffered behind last month's) is
# told to finance: the money arrives late.
_LATE_START = timedelta(hours=1)
# Files in flight at once: enough to overlap the bank's processing, few enough not to flood it.
_PARALLEL_FILES = 4
_DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# The bank may be down for hours: keep trying the same file (same batch id) with backoff.
_BANK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["BatchNotFound", "RunNotFound"],
)  # fmt: skip
# The SMS provider down: a few tries (the activity itself retries the households it missed).
_SMS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30), maximum_interval=timedelta(minutes=5), maximum_attempts=4
)
# A result file not ready yet: ask again soon, then less often.
_RESULT_POLL = RetryPolicy(
    initial_interval=timedelta(milliseconds=500), backoff_coefficient=1.5, maximum_interval=timedelta(minutes=2),
    non_retryable_error_types=["BatchNotFound"],
)  # fmt: skip


@workflow.defn
class PayrollWorkflow:
    def __init__(self) -> None:
        self._result: PayrollResult | None = None

    @workflow.run
    async def run(self, input: PayrollInput) -> PayrollResult:
        # Histories from before the patch paid the month the run started in, as one workflow.
        if input.month is None and workflow.patched("payroll-month-of-schedule"):
            return await self._hand_over_scheduled(input)
        month = input.month or current_month(workflow.now())
        step = timedelta(seconds=input.step_timeout_seconds)
        frozen: FreezeResult = await workflow.execute_activity_method(
            PayrollActivities.freeze_snapshot, args=[input.county_code, month],
            start_to_close_timeout=step * 5, retry_policy=_DB_RETRY,
        )  # fmt: skip
        result = self._result = PayrollResult(input.county_code, month, frozen.run_id, frozen.orders_total)
        files: list[BatchRef] = await workflow.execute_activity_method(
            PayrollActivities.plan_batches, PlanBatchesInput(frozen.run_id, input.batch_size),
            start_to_close_timeout=step * 5, retry_policy=_DB_RETRY,
        )  # fmt: skip
        gate = asyncio.Semaphore(_PARALLEL_FILES)

        async def pay(ref: BatchRef) -> BatchOutcome:
            async with gate:
                sent: BatchOutcome = await workflow.execute_activity_method(
                    PayrollActivities.submit_batch, ref.batch_id, start_to_close_timeout=step,
                    retry_policy=_BANK_RETRY,
                )  # fmt: skip
                if sent.state in ("completed", "rejected"):
                    return sent
                settled: BatchOutcome = await workflow.execute_activity_method(
                    PayrollActivities.reconcile_batch, ref.batch_id, start_to_close_timeout=step,
                    retry_policy=_RESULT_POLL,
                )  # fmt: skip
                return settled

        for outcome in await asyncio.gather(*(pay(ref) for ref in files)):
            result.batches.append(outcome)
            result.paid += outcome.paid
            result.failed += outcome.failed
            result.paid_fen += outcome.paid_fen
        if workflow.patched(SMS_PATCH):
            await self._tell_households(input.county_code, month, frozen.run_id, step)
        await workflow.execute_activity_method(
            PayrollActivities.close_run, frozen.run_id, start_to_close_timeout=step, retry_policy=_DB_RETRY
        )
        return result

    async def _tell_households(self, county: str, month: str, run_id: int, step: timedelta) -> None:
        """到账通知 to the paid households (not those who opted out). Their phones failing does not
        hold the month up: what the provider would not take is told to finance."""
        try:
            sent: PayrollNoticesResult = await workflow.execute_activity_method(
                NoticeActivities.send_payroll_notices, PayrollNoticesInput(run_id),
                start_to_close_timeout=max(step * 10, timedelta(minutes=30)), heartbeat_timeout=timedelta(minutes=2),
                retry_policy=_SMS_RETRY,
            )  # fmt: skip
        except ActivityError:
            sent = PayrollNoticesResult(unavailable=["*"])
        if sent.unavailable:
            missed = "全部" if sent.unavailable == ["*"] else f"{len(sent.unavailable)}户"
            await workflow.execute_activity_method(
                CaseRecordActivities.notify,
                NotifyInput(
                    f"payroll-sms:{county}:{month}:{run_id}", "", "sms_failed", Role.FINANCE_OFFICER, county,
                    f"{month}救助金到账短信发送失败（{missed}），短信平台多次重试仍不可用",
                ),
                start_to_close_timeout=timedelta(minutes=1), retry_policy=_DB_RETRY,
            )  # fmt: skip

    async def _hand_over_scheduled(self, input: PayrollInput) -> PayrollResult:
        month = current_month(period_time())
        scheduled = scheduled_start_time()
        if scheduled is not None:
            await workflow.execute_activity_method(
                PayrollAlertActivities.report_missed_months, MissedMonthsInput(input.county_code, month),
                start_to_close_timeout=timedelta(minutes=1), retry_policy=_DB_RETRY,
            )  # fmt: skip
            if workflow.now() - scheduled > _LATE_START:
                await workflow.execute_activity_method(
                    PayrollAlertActivities.report_late_start,
                    LateStartInput(input.county_code, month, scheduled, workflow.now()),
                    start_to_close_timeout=timedelta(minutes=1), retry_policy=_DB_RETRY,
                )  # fmt: skip
        month_input = PayrollInput(input.county_code, month, input.batch_size, input.step_timeout_seconds)
        try:
            # Awaited, so that the Schedule's overlap policy (buffer one) sees a run stuck at the
            # bank as still running; abandoned if this one is ended, so the payment goes on.
            result: PayrollResult = await workflow.execute_child_workflow(
                PayrollWorkflow.run, month_input, id=payroll_workflow_id(input.county_code, month),
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )  # fmt: skip
        except WorkflowAlreadyStartedError:
            # Finance started this month by hand and it is still running: that run pays it.
            workflow.logger.info("payroll %s %s already running: left to it", input.county_code, month)
            return PayrollResult(input.county_code, month, 0, 0)
        self._result = result
        return result

    @workflow.query
    def progress(self) -> PayrollResult | None:
        return self._result


@workflow.defn
class DisclosureWorkflow:
    @workflow.run
    async def run(self, input: DisclosureInput) -> int:
        if workflow.patched("disclosure-month-of-schedule"):
            start = period_time()
        else:
            start = workflow.now()
        month = input.month or add_months(current_month(start), -1)
        published: int = await workflow.execute_activity_method(
            PayrollActivities.publish_disclosure, PublishDisclosureInput(input.county_code, month),
            start_to_close_timeout=timedelta(minutes=2), retry_policy=_DB_RETRY,
        )  # fmt: skip
        return published
