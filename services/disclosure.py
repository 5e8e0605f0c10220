"""按月公开: a county's paid (or delivered) payments of one month, with masked names and ID numbers.

Only the masked forms copied onto the payment orders when they were made are read here; the
applicants' full names and (sealed) ID numbers are never joined in, so the export cannot leak them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.payments import DisclosureOut, DisclosureRow
from domain.amounts import format_yuan
from domain.enums import ASSISTANCE_TYPE_LABELS, AssistanceType
from domain.staff import Actor
from infra.csv_export import csv_text
from infra.models import Disclosure, PaymentOrder, Region
from services.payments import check_county

DISCLOSED = ("paid", "delivered")
CSV_HEADER = ["姓名", "身份证号", "救助类别", "金额（元）", "乡镇街道编码", "乡镇街道"]


def type_label(code: str | None) -> str:
    try:
        return ASSISTANCE_TYPE_LABELS[AssistanceType(code or "")]
    except ValueError:
        return code or ""


class DisclosureService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def month(self, actor: Actor, county_code: str, month: str) -> DisclosureOut:
        # Public information once published; still behind a login, for any role of the county.
        check_county(actor, county_code)
        o = PaymentOrder
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        o.masked_name,
                        o.masked_id_number,
                        o.assistance_type,
                        o.amount_fen,
                        o.township_code,
                        Region.name,
                        o.disclosure_id,
                    )
                    .outerjoin(Region, Region.code == o.township_code)
                    .where(o.county_code == county_code, o.month == month, o.status.in_(DISCLOSED))
                    .order_by(o.township_code, o.id)
                )
            ).all()
            published = await session.scalar(
                select(Disclosure)
                .where(Disclosure.county_code == county_code, Disclosure.month == month)
                .order_by(Disclosure.seq)
            )
        items = [
            DisclosureRow(
                masked_name=name,
                masked_id_number=id_masked,
                assistance_type=kind,
                type_label=type_label(kind),
                amount=format_yuan(fen).removesuffix("元"),
                township_code=township,
                township_name=township_name or "",
                published=disclosure_id is not None,
            )
            for name, id_masked, kind, fen, township, township_name, disclosure_id in rows
        ]
        return DisclosureOut(
            county_code=county_code, month=month, published=published is not None,
            published_at=published.published_at if published else None, households=len(items),
            total=format_yuan(sum(r.amount_fen for r in rows)).removesuffix("元"), rows=items,
        )  # fmt: skip

    @staticmethod
    def csv_rows(out: DisclosureOut) -> list[list[str]]:
        return [
            [
                r.masked_name,
                r.masked_id_number,
                r.type_label,
                r.amount,
                r.township_code or "",
                r.township_name,
            ]
            for r in out.rows
        ]

    @classmethod
    def csv_document(cls, out: DisclosureOut) -> str:
        """The CSV both edges send (the API's .csv route and the finance page's download): UTF-8
        with a BOM for Excel, every cell through infra.csv_export's formula-injection guard."""
        return csv_text(CSV_HEADER, cls.csv_rows(out))

    @staticmethod
    def csv_filename(out: DisclosureOut) -> str:
        return f"disclosure-{out.county_code}-{out.month}.csv"
