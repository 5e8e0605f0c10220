"""信息核对 inside the application workflow: every department queried in parallel; an unreachable
department makes the case wait — visibly, with a durable backoff — and never fails it; bad data
is handed to a person."""

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

# A few quick attempts ride out a blip; after that the case waits on durable timers instead of
# keeping an activity retrying for days, so that "waiting for <department>" shows in the UI.
QUICK_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=3,
    non_retryable_error_types=["DepartmentBadData", "CaseMissing"],
)
FIRST_WAIT = timedelta(minutes=15)
LONGEST_WAIT = timedelta(hours=2)
INCOME_MONTHS = 12


@dataclass
class CrossCheckOutcome:
    results: list[DepartmentResult]
    bad_data: dict[str, str]  # department → what was wrong


class CrossCheckMixin(CaseMachinery):
    _waiting_for: list[str]

    async def _cross_check(self) -> CrossCheckOutcome:
        self._waiting_for = []
        answers = await asyncio.gather(*(self._query_until_answered(d) for d in Department))
        results = [a for a in answers if isinstance(a, DepartmentResult)]
        bad = {d.value: a for d, a in zip(Department, answers, strict=True) if isinstance(a, str)}
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
