"""预警清单 API: per jurisdiction, filters, and a CSV export without names or ID numbers."""

from __future__ import annotations

import csv
import io
from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.models import RiskWarningRow
from tests.e2e.support import login


async def plant_warning(
    sessions: async_sessionmaker[AsyncSession], number: str, township: str, rule: str
) -> None:
    async with sessions.begin() as session:
        session.add(
            RiskWarningRow(
                application_number=number, origin="application", period="2026-10-12",
                county_code=township[:6], township_code=township, rule=rule, title="收入变化超过20%",
                explanation="成员2近3个月月均收入3200.00元，较此前6个月月均2500.00元增长28.0%，超过20%",
                member=1, observed_on=date(2026, 9, 30), sources=["tax"],
                figures={"before_fen": 250_000, "after_fen": 320_000, "change_bp": 2800}, status="open",
            )
        )  # fmt: skip


async def test_warning_list_by_jurisdiction_and_csv_export(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], application_number: str
) -> None:
    await plant_warning(sessions, application_number, "440105001", "income_change")
    await plant_warning(sessions, application_number + "X", "440106001", "new_vehicle")

    haizhu = await login(api, "approver_haizhu")
    listed = (
        await api.get("/api/v1/warnings", params={"application_number": application_number}, headers=haizhu)
    ).json()
    assert [(w["rule"], w["member"], w["figures"]["change_bp"]) for w in listed] == [
        ("income_change", 1, 2800)
    ]
    other_county = await api.get("/api/v1/warnings", params={"rule": "new_vehicle"}, headers=haizhu)
    assert application_number + "X" not in {w["application_number"] for w in other_county.json()}

    export = await api.get("/api/v1/warnings.csv", params={"rule": "income_change"}, headers=haizhu)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    text = export.text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["申请编号", "来源", "期间"]
    mine = [r for r in rows[1:] if r[0] == application_number]
    assert mine and mine[0][5] == "income_change" and mine[0][8] == "2" and mine[0][10] == "税务部门"
    assert "张" not in text  # the list carries no names (and no ID numbers)

    assert (await api.get("/api/v1/warnings")).status_code == 401
