"""/api/v1/statistics: jurisdiction (nobody sees another county, township staff their township),
the period's validation, and the monthly report's three forms holding the same numbers."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.models import CaseLimit, PaymentOrder
from tests.e2e.support import login
from tests.factories import store_application

OVERVIEW = "/api/v1/statistics/overview"
REPORT = "/api/v1/statistics/monthly-report"


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_a_township_reviewer_sees_the_own_township_only(api: httpx.AsyncClient) -> None:
    headers = await login(api, "reviewer_chigang")  # 赤岗街道 440105001
    for region in ("440105", "440105002", "440106", "440106001"):
        refused = await api.get(OVERVIEW, params={"region": region, "period": "2026-11"}, headers=headers)
        assert refused.status_code == 403, (region, refused.text)
        assert refused.json()["code"] == "forbidden" and _chinese(refused.json()["message"])
    report = await api.get(REPORT, params={"county": "440105", "month": "2026-11"}, headers=headers)
    assert report.status_code == 403
    own = await api.get(OVERVIEW, params={"period": "2026-11"}, headers=headers)
    assert own.status_code == 200, own.text
    assert own.json()["region_code"] == "440105001" and own.json()["region_name"] == "赤岗街道"


async def test_the_approver_of_tianhe_gets_nothing_of_haizhu(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await login(api, "approver_tianhe")  # 天河区 440106
    for params in ({"region": "440105", "period": "2026-11"}, {"region": "440105001", "period": "2026-11"}):
        assert (await api.get(OVERVIEW, params=params, headers=headers)).status_code == 403
    assert (
        await api.get(REPORT, params={"county": "440105", "month": "2026-11"}, headers=headers)
    ).status_code == 403

    async def figures() -> tuple[dict[str, object], dict[str, object]]:
        overview = await api.get(OVERVIEW, params={"period": "2026-11"}, headers=headers)
        report = await api.get(REPORT, params={"month": "2026-11"}, headers=headers)
        assert overview.status_code == report.status_code == 200, (overview.text, report.text)
        body = overview.json()
        body.pop("as_of")
        return body, report.json()

    before = await figures()
    assert before[0]["region_code"] == "440106" and before[1]["county_code"] == "440106"
    # A case, a breached limit and a payment in 海珠区 in November: nothing of it reaches 天河区.
    number = f"440105-ST-{uuid.uuid4().hex[:10]}"
    accepted = datetime(2026, 11, 3, 2, tzinfo=UTC)
    await store_application(sessions, number, accepted, stage="approved", applicant_name="统计隔离")
    async with sessions.begin() as session:
        session.add(
            CaseLimit(
                application_number=number, limit_name="approval", county_code="440105", township_code="440105001",
                assistance_type="dibao", green_channel=False, started_at=accepted,
                deadline=datetime(2026, 11, 10, 16, tzinfo=UTC), breached_at=datetime(2026, 11, 10, 16, tzinfo=UTC), seq=1,
            )
        )  # fmt: skip
        session.add(
            PaymentOrder(
                order_key=f"{number}:2026-11", application_number=number, kind="monthly", month="2026-11",
                county_code="440105", township_code="440105001", assistance_type="dibao", amount_fen=80_000,
                form_of_aid="cash", status="paid", attempts=1, paid_at=datetime(2026, 11, 10, 2, tzinfo=UTC),
                ordered_at=accepted, batch_id="ST-BATCH",
            )
        )  # fmt: skip
    assert await figures() == before
    haizhu = await api.get(
        OVERVIEW, params={"period": "2026-11"}, headers=await login(api, "approver_haizhu")
    )
    assert haizhu.json()["applications"]["totals"]["received"] >= 1  # it is counted where it belongs


async def test_periods_in_the_future_or_malformed_are_refused_in_chinese(api: httpx.AsyncClient) -> None:
    headers = await login(api, "supervisor_haizhu")
    for period, code in (
        ("2099-01", "period_in_future"),
        ("2099Q1", "period_in_future"),
        ("2026-13", "invalid_period"),
        ("上个月", "validation_error"),
    ):
        response = await api.get(OVERVIEW, params={"period": period}, headers=headers)
        assert response.status_code == 422, (period, response.text)
        assert response.json()["code"] == code and _chinese(response.json()["message"])
    future = await api.get(REPORT, params={"month": "2099-01"}, headers=headers)
    assert future.status_code == 422 and future.json()["code"] == "period_in_future"
    assert (await api.get(OVERVIEW, params={"period": "2026-11"}, headers=headers)).status_code == 200
    operator = await login(api, "operator_haizhu")
    assert (await api.get(OVERVIEW, params={"period": "2026-11"}, headers=operator)).status_code == 403


async def test_the_monthly_report_as_json_csv_and_xlsx_holds_the_same_numbers(api: httpx.AsyncClient) -> None:
    headers = await login(api, "approver_haizhu")
    params = {"county": "440105", "month": "2026-11"}
    report = (await api.get(REPORT, params=params, headers=headers)).json()
    as_csv = await api.get(REPORT, params={**params, "format": "csv"}, headers=headers)
    as_xlsx = await api.get(REPORT, params={**params, "format": "xlsx"}, headers=headers)
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.content.startswith(
        b"\xef\xbb\xbf"
    )
    assert "attachment" in as_xlsx.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    assert lines[0] == [c.value for c in sheet[2]] == ["序号", "类别", "指标", "计量单位", "本月数"]
    rows = report["rows"]
    assert len(lines) == len(rows) + 1 and sheet.max_row == len(rows) + 2
    for n, row in enumerate(rows):
        cells = [c.value for c in sheet[n + 3]]
        assert lines[n + 1][2] == cells[2] == row["item"]
        if row["kind"] == "fen" and row["value"] is not None:
            assert lines[n + 1][4] == f"{row['value'] // 100}.{row['value'] % 100:02d}"
            assert round(float(cells[4]) * 100) == row["value"]
        else:
            assert lines[n + 1][4] == ("" if row["value"] is None else str(row["value"]))
            assert cells[4] == row["value"]
