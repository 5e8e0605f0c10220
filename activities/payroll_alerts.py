"""Alerts about the payroll calendar, told to the county's finance officers and supervisors in
their in-system inbox, once each: a month the Schedule never ran (a catch-up window missed after an
outage, a run dropped behind one stuck at the bank, a paused schedule), and a scheduled run that
starts late (caught up after an outage, or buffered behind the previous month's run)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.case_records import insert_once
from domain.beneficiary import add_months, months_between
from domain.calendar import CHINA_TZ
from domain.staff import Role
from infra.models import Notification, PayrollRun

log = logging.getLogger(__name__)

# A county that has not paid for longer than this is a new county or a decision, not a skip.
_LOOKBACK_MONTHS = 12
_RECIPIENTS = (Role.FINANCE_OFFICER, Role.SUPERVISOR)


@dataclass
class MissedMonthsInput:
    county_code: str
    month: str  # the month the Schedule is paying now


@dataclass
class LateStartInput:
    county_code: str
    month: str
    scheduled_at: datetime
    started_at: datetime


class PayrollAlertActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def report_missed_months(self, input: MissedMonthsInput) -> list[str]:
        """The months between the county's last payroll and this one that have no payroll run;
        each is notified once (a unique key per county, month and role)."""
        async with self._sessions() as session:
            last = await session.scalar(
                select(func.max(PayrollRun.month)).where(
                    PayrollRun.county_code == input.county_code,
                    PayrollRun.month < input.month,
                    PayrollRun.month >= add_months(input.month, -_LOOKBACK_MONTHS),
                )
            )
        if last is None:
            return []
        missed = [add_months(last, n) for n in range(1, months_between(last, input.month) - 1)]
        for month in missed:
            log.warning("payroll of county %s for %s was never run by its schedule", input.county_code, month)
            await self._tell(
                input.county_code, f"payroll-missed:{input.county_code}:{month}", "payroll_missed",
                f"{input.county_code} {month} 月的按月发放未按计划执行（定时任务被跳过或错过补发时限），"
                "请核实后手动发起该月发放",
            )  # fmt: skip
        return missed

    @activity.defn
    async def report_late_start(self, input: LateStartInput) -> None:
        """A scheduled run that starts well after its time: it pays the right month, but late."""
        hours = (input.started_at - input.scheduled_at).total_seconds() / 3600
        log.warning("payroll of county %s for %s started %.1f h late", input.county_code, input.month, hours)
        planned = input.scheduled_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        await self._tell(
            input.county_code, f"payroll-late:{input.county_code}:{input.month}", "payroll_late",
            f"{input.county_code} {input.month} 月的按月发放晚于计划时间（{planned}）{hours:.0f} 小时启动"
            "（服务中断后补发，或排在上月仍未完成的发放之后），请关注到账时间",
        )  # fmt: skip

    async def _tell(self, county_code: str, key: str, kind: str, message: str) -> None:
        for role in _RECIPIENTS:
            await insert_once(
                self._sessions,
                Notification(
                    key=f"{key}:{role.value}", application_number="", kind=kind, recipient_role=role.value,
                    region_code=county_code, message=message,
                ),
            )  # fmt: skip
