"""Enrolled households for payroll tests and the benchmark, written in bulk (not through the
lifecycle: these tests are about paying, not enrolling)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.beneficiary import BeneficiaryStatus
from infra.models import Beneficiary, PayeeAccount
from infra.pii import PiiVault


def account_number(seq: int, prefix: str = "622202") -> str:
    """A 19-digit card number with a valid Luhn check digit."""
    body = f"{prefix}{seq:012d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def household_number(county: str, seq: int, tag: str = "P") -> str:
    return f"{county}-{tag}{seq:07d}"


async def seed_households(
    sessions: async_sessionmaker[AsyncSession], vault: PiiVault, county: str, count: int, *,
    start_month: str = "2026-01", amount_fen: int = 80_000, tag: str = "P", first: int = 1,
    with_accounts: bool = True, chunk: int = 10_000,
) -> list[str]:  # fmt: skip
    numbers = [household_number(county, first + i, tag) for i in range(count)]
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for start in range(0, count, chunk):
            part = numbers[start : start + chunk]
            await session.execute(
                insert(Beneficiary),
                [
                    {"application_number": n, "assistance_type": "dibao", "county_code": county,
                     "township_code": county + "001", "community_code": county + "001001", "category": "C",
                     "monthly_amount_fen": amount_fen, "start_month": start_month,
                     "status": BeneficiaryStatus.ACTIVE.value, "masked_name": "张*明",
                     "masked_id_number": "4401**********1234", "integrity_mark": False}
                    for n in part
                ],
            )  # fmt: skip
            if with_accounts:
                await session.execute(
                    insert(PayeeAccount),
                    [
                        {"application_number": n, "account_holder": "张小明",
                         "account_sealed": vault.seal(acct := account_number(first + start + i)),
                         "account_digest": vault.digest(acct), "account_last4": acct[-4:], "bank_name": "测试银行",
                         "updated_by": "seed", "updated_at": now}
                        for i, n in enumerate(part)
                    ],
                )  # fmt: skip
    return numbers
