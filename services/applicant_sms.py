"""The household's choice about payment SMS (到账短信), and the SMS a case has sent, for staff.

The opt-out covers the monthly payment messages only: the notices the law requires (decisions,
refusal reasons, the exit notice) are sent whatever the household chose."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.staff import Actor, Role
from infra.models import Application, SmsRecord
from services.case_view import CaseService

# Who records the household's choice: the window and the township reviewer (who talk to the family).
PAYMENT_SMS_ROLES = frozenset({Role.INTAKE_CLERK, Role.TOWNSHIP_REVIEWER})


class ApplicantSmsService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cases: CaseService) -> None:
        self._sessions = sessions
        self._cases = cases

    async def set_payment_opt_out(self, application_number: str, opt_out: bool, actor: Actor) -> bool:
        await self._cases.load(application_number, actor)  # jurisdiction: 403 / 404
        async with self._sessions.begin() as session:
            await session.execute(
                update(Application)
                .where(Application.application_number == application_number)
                .values(payment_sms_opt_out=opt_out)
            )
        return opt_out

    async def messages(self, application_number: str, actor: Actor) -> tuple[bool, list[SmsRecord]]:
        """(opted out of payment messages?, the case's SMS newest first)."""
        row = await self._cases.load(application_number, actor)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(SmsRecord)
                .where(SmsRecord.application_number == application_number)
                .order_by(SmsRecord.created_at.desc(), SmsRecord.message_id)
            )
            return row.payment_sms_opt_out, list(rows)
