"""信息核对 inside the application workflow: every department queried in parallel; an unreachable
department makes the case wait — visibly, with a backoff the server keeps — and never fails it; bad
data, or a department still unreachable after `DEPARTMENT_WAIT_LIMIT`, is handed to a person."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.data_check import DataCheckActivities, QueryDepartmentInput
    from domain.calendar import CHINA_TZ
    from domain.departments import DEPARTMENT_LABELS, Department, DepartmentResult
    from workflows.case_machinery import CaseMachinery, Withdrawn
    from workflows.queues import departments_queue

# A few quick attempts ride out a blip; after that the case says it is waiting (the timeline and the
# WaitingFor search attribute) and one activity goes on retrying on the server's backoff.
QUICK_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=3,
    non_retryable_error_types=["DepartmentBadData", "CaseMissing"],
)
FIRST_WAIT = timedelta(minutes=15)
LONGEST_WAIT = timedelta(hours=2)
# The server retries an activity without writing an event per attempt: a month-long outage of all
# eight departments costs the case a constant number of history events, not ~500 a day (durable
# timers and one activity per cycle would reach Temporal's 51,200-event limit in months).
WAITING_RETRIES = RetryPolicy(
    initial_interval=FIRST_WAIT,
    backoff_coefficient=2.0,
    maximum_interval=LONGEST_WAIT,
    non_retryable_error_types=["DepartmentBadData", "CaseMissing"],
)
# After this long without an answer the department's part of the check goes to a person (a data
# check task, as for bad data): the case is not held for an outage of unknown length, and the
# investigator can obtain the figures another way (a letter to the department, the applicant's own
# statements). A working week: a department down for a day or two still answers by itself.
DEPARTMENT_WAIT_LIMIT = timedelta(days=5)
INCOME_MONTHS = 12
# What executions started before the patch "departments-from-policy" queried: the members of the
# Department enum at that time, in its order. Frozen, so a department added to the enum later
# cannot change how those histories replay.
DEPARTMENTS_BEFORE_POLICY: tuple[Department, ...] = (
    Department.TAX,
    Department.SOCIAL_INSURANCE,
    Department.MEDICAL_INSURANCE,
    Department.REAL_ESTATE,
    Department.VEHICLES,
    Department.BUSINESS,
    Department.HOUSING_FUND,
    Department.DEPOSITS,
)


@dataclass
class CrossCheckOutcome:
    results: list[DepartmentResult]
    bad_data: dict[str, str]  # department → what was wrong


class CrossCheckMixin(CaseMachinery):
    _waiting_for: list[str]

    def _departments(self) -> tuple[Department, ...]:
        """The departments this case queries: its policy's (resolved at acceptance and recorded),
        never the enum of the day — a department added to the code must not add commands to the
        cases already running."""
        if workflow.patched("departments-from-policy"):
            return self._policy.departments
        return DEPARTMENTS_BEFORE_POLICY

    async def _cross_check(self) -> CrossCheckOutcome:
        self._waiting_for = []
        departments = self._departments()
        answers = await asyncio.gather(*(self._query_until_answered(d) for d in departments))
        results = [a for a in answers if isinstance(a, DepartmentResult)]
        bad = {d.value: a for d, a in zip(departments, answers, strict=True) if isinstance(a, str)}
        return CrossCheckOutcome(results, bad)

    async def _query_until_answered(self, department: Department) -> DepartmentResult | str:
        """The department's result, or the reason its data was refused (for a person to handle)."""
        label = DEPARTMENT_LABELS[department]
        wait = FIRST_WAIT
        request = QueryDepartmentInput(
            self._input.application_number, department, self._input.county_code, INCOME_MONTHS,
            workflow.now().astimezone(CHINA_TZ).date(),
        )  # fmt: skip
        while True:
            try:
                result: DepartmentResult = await workflow.execute_activity_method(
                    DataCheckActivities.query_department,
                    request,
                    task_queue=departments_queue(),
                    start_to_close_timeout=timedelta(minutes=5),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=QUICK_RETRIES,
                )
            except ActivityError as err:
                cause = err.cause
                if isinstance(cause, ApplicationError) and cause.type in ("DepartmentBadData", "CaseMissing"):
                    await self._event("department_bad_data", cause.message, department=department.value)
                    await self._stop_waiting(department)
                    return cause.message
                await self._start_waiting(department, getattr(cause, "message", None) or str(err))
                if workflow.patched("data-check-server-retry"):
                    return await self._wait_for_department(department, request)
                # Executions started before the patch keep their durable-timer loop.
                if await self._sleep_until(workflow.now() + wait, lambda: self._withdrawal is not None):
                    raise Withdrawn() from None
                wait = min(wait * 2, LONGEST_WAIT)
                continue
            if department.value in self._waiting_for:
                await self._event(
                    "department_back", f"{label}已恢复，核对数据已取得", department=department.value
                )
            await self._stop_waiting(department)
            return result

    async def _wait_for_department(
        self, department: Department, request: QueryDepartmentInput
    ) -> DepartmentResult | str:
        """One activity the server retries until the department answers, its data is bad, or
        `DEPARTMENT_WAIT_LIMIT` passes (then the reason for a person); a withdrawal cancels it."""
        label = DEPARTMENT_LABELS[department]
        query = workflow.start_activity_method(
            DataCheckActivities.query_department,
            request,
            task_queue=departments_queue(),
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=DEPARTMENT_WAIT_LIMIT,
            retry_policy=WAITING_RETRIES,
        )
        await workflow.wait_condition(lambda: query.done() or self._withdrawal is not None)
        if not query.done():
            query.cancel()
            raise Withdrawn()
        try:
            result: DepartmentResult = query.result()
        except ActivityError as err:
            cause = err.cause
            await self._stop_waiting(department)
            if isinstance(cause, ApplicationError) and cause.type in ("DepartmentBadData", "CaseMissing"):
                await self._event("department_bad_data", cause.message, department=department.value)
                return cause.message
            days = DEPARTMENT_WAIT_LIMIT.days
            reason = f"{label}系统连续{days}天无法访问，已转人工核对"
            await self._event("department_handed_over", reason, department=department.value)
            return reason
        await self._event("department_back", f"{label}已恢复，核对数据已取得", department=department.value)
        await self._stop_waiting(department)
        return result

    async def _start_waiting(self, department: Department, reason: str) -> None:
        if department.value in self._waiting_for:
            return
        self._waiting_for.append(department.value)
        self._refresh_search_attributes()
        label = DEPARTMENT_LABELS[department]
        await self._event(
            "waiting_for_department",
            f"等待{label}系统恢复（{reason}），案件保留，恢复后自动继续",
            department=department.value,
        )

    async def _stop_waiting(self, department: Department) -> None:
        if department.value in self._waiting_for:
            self._waiting_for.remove(department.value)
            self._refresh_search_attributes()
