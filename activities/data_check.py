"""信息核对: one department query per activity, against whichever adapter the county uses.

The activity reads the members' ID numbers from the application database itself, so they never
enter workflow history; results come back per member index. A slow department is heartbeated
through; an unreachable one fails the attempt (retryable); bad data fails it for good
(non-retryable) so that the workflow hands the check to a person.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.departments import (
    DEPARTMENT_LABELS,
    Department,
    DepartmentAdapter,
    DepartmentBadData,
    DepartmentResult,
    DepartmentUnavailable,
)
from infra.models import Application
from infra.pii import PiiVault

log = logging.getLogger(__name__)

# Heartbeat while a slow department keeps us waiting, well inside the heartbeat timeout.
HEARTBEAT_EVERY_SECONDS = 5.0

AdapterFactory = Callable[[str], Mapping[Department, DepartmentAdapter]]


@dataclass
class QueryDepartmentInput:
    application_number: str
    department: Department
    county_code: str
    months: int
    as_of: date


class DataCheckActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], adapters: AdapterFactory, pii: PiiVault
    ) -> None:
        self._sessions = sessions
        self._adapters = adapters
        self._pii = pii  # the members' ID numbers are sealed at rest

    async def _member_ids(self, application_number: str) -> list[str]:
        async with self._sessions() as session:
            row = await session.scalar(
                select(Application).where(Application.application_number == application_number)
            )
        if row is None:
            raise ApplicationError(
                f"申请 {application_number} 不存在", type="CaseMissing", non_retryable=True
            )
        ids = [str(m["id_number"]) for m in row.submission(self._pii).get("members", [])]
        if not ids:
            # Checking nobody would pass every check: a person must look at this case.
            raise ApplicationError(
                f"申请 {application_number} 没有家庭成员信息，无法核对",
                type="CaseMissing",
                non_retryable=True,
            )
        return ids

    @activity.defn
    async def query_department(self, input: QueryDepartmentInput) -> DepartmentResult:
        label = DEPARTMENT_LABELS[input.department]
        adapter = self._adapters(input.county_code)[input.department]
        ids = await self._member_ids(input.application_number)
        query = asyncio.create_task(adapter.query(ids, input.months, input.as_of))
        try:
            while not query.done():
                await asyncio.wait({query}, timeout=HEARTBEAT_EVERY_SECONDS)
                if not query.done():
                    activity.heartbeat(f"waiting for {input.department.value}")
            return query.result()
        except DepartmentBadData as exc:
            raise ApplicationError(
                f"{label}返回的数据异常：{exc}", type="DepartmentBadData", non_retryable=True
            ) from None
        except DepartmentUnavailable as exc:
            raise ApplicationError(f"{label}暂时无法访问：{exc}", type="DepartmentUnavailable") from None
        finally:
            if not query.done():
                query.cancel()  # the activity was cancelled (case withdrawn, worker shutting down)
