"""The payee account (发放账户) of a case: one sealed row per application number, which the payroll
joins to every bank order of that case — monthly payments of an enrolled household and the one-off
or staged 临时救助 orders of a case that is never enrolled alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.beneficiaries import AccountIn, AccountOut
from domain.bank import valid_account_number
from domain.masking import mask_name
from domain.payroll import OrderKind
from domain.staff import Actor, covers
from infra.models import Application, PayeeAccount, PaymentOrder
from infra.pii import PiiVault
from services.errors import ApiError
from services.payments import masked_account

# One-off orders the bank pays (the 急难型 rescue is paid at the counter, in-kind aid handed over).
_ONE_OFF_BANK_KINDS = (OrderKind.ONE_OFF.value, OrderKind.STAGE.value)


def account_out(row: PayeeAccount) -> AccountOut:
    # The detail is open to every role of the region (operators, supervisors too): the holder's name
    # is masked like the household's own (the full one is the personal-data endpoint's business).
    return AccountOut(
        account_holder=mask_name(row.account_holder), account=masked_account(row.account_last4) or "",
        bank_name=row.bank_name, updated_by=row.updated_by, updated_at=row.updated_at,
    )  # fmt: skip


async def store_account(
    sessions: async_sessionmaker[AsyncSession], vault: PiiVault, number: str, actor: Actor, body: AccountIn
) -> AccountOut:
    """Register or correct the account, its number sealed with a keyed digest beside it."""
    digits = body.account_number.replace(" ", "")
    if not valid_account_number(digits):
        message = "银行卡号无效：应为16至19位数字且校验位正确，请核对后重新填写"
        # Named field too, so a form shows the message beside the card number it is about.
        errors = [{"field": "account_number", "type": "invalid_account", "message": message}]
        raise ApiError(422, "invalid_account", message, errors=errors)
    async with sessions.begin() as session:
        row = await session.get(PayeeAccount, number)
        if row is None:
            row = PayeeAccount(application_number=number)
            session.add(row)
        row.account_holder, row.bank_name = body.account_holder, body.bank_name
        row.account_sealed, row.account_digest = vault.seal(digits), vault.digest(digits)
        row.account_last4, row.updated_by, row.updated_at = digits[-4:], actor.username, datetime.now(UTC)
        return account_out(row)


async def put_case_account(
    sessions: async_sessionmaker[AsyncSession], vault: PiiVault, number: str, actor: Actor, body: AccountIn
) -> AccountOut:
    """The account of a case's one-off bank orders (临时救助 paid once or in stages): the case is
    not enrolled, so the beneficiaries route does not know it."""
    async with sessions() as session:
        case = await session.scalar(select(Application).where(Application.application_number == number))
        if case is None or not covers(actor.region_code, case.community_code):
            raise ApiError(404, "application_not_found", f"未找到申请 {number}")
        orders = await session.scalar(
            select(func.count())
            .select_from(PaymentOrder)
            .where(
                PaymentOrder.application_number == number,
                PaymentOrder.kind.in_(_ONE_OFF_BANK_KINDS),
                PaymentOrder.form_of_aid == "cash",
            )
        )
    if not orders:
        raise ApiError(
            409,
            "no_bank_order",
            "该案件没有需经银行发放的一次性救助，无需登记账户（按月发放的请在救助对象中登记）",
        )
    return await store_account(sessions, vault, number, actor, body)
