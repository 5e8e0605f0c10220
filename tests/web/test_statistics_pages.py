"""统计分析 in a real browser: a county of this test's own (its two townships, cases, limits, re-reviews
and payments seeded as the projections write them), so no other test's data can change a figure.
The filters change the figures; the headline rates below target are red and say 未达标; every chart
is drawn (SVG in each chart container) beside its table; the monthly report downloads as a CSV with
BOM and an xlsx that openpyxl opens; a township reviewer cannot choose another township (a forged
query is the 403 page); the page fits 1366×768 and a 390-px phone, and a bad period is answered
beside the period fields."""

from __future__ import annotations

import csv
import io
import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import openpyxl
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import CHINA_TZ
from domain.limits import LimitName
from domain.staff import Role
from infra.models import CaseLimit, PaymentOrder, Region, Task
from tests.factories import store_application
from tests.web.conftest import Site, accessibility_problems, screenshot

Sessions = async_sessionmaker[AsyncSession]
MONTH = "2026-10"  # the seeded month (past: the service refuses a period that has not begun)


def bj(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=CHINA_TZ)


@dataclass(frozen=True)
class County:
    code: str
    one: str  # 甲街道: 5 cases in October (+1 in September), limits 3 met / 1 breached
    two: str  # 乙街道: 2 cases in October, its one limit met

    @property
    def name(self) -> str:
        return f"统计测试区{self.code[-4:]}"


async def seed_county(sessions: Sessions) -> County:
    """Hand-counted figures for October (county / 甲 / 乙):
    received 7 / 5 / 2; limits met 4 of 5 (80.00 %) / 3 of 4 (75.00 %) / 1 of 1 (100.00 %);
    re-reviews 4 with one exit (75.00 %) / 3 with it (66.67 %) / 1 without (100.00 %); monthly payments 3, one
    credited after the payment day (the 10th): timeliness 66.67 % / 50.00 % / 100.00 %, paid
    1,800.00 / 1,100.00 / 700.00 元. September: one case of 甲, one payment of 500.00 元."""
    code = f"9{random.randint(10000, 99999)}"
    county = County(code, f"{code}001", f"{code}002")
    async with sessions.begin() as session:
        session.add(Region(code=code, name=county.name, level="county", parent_code=None))
        await session.flush()
        for township, name in ((county.one, "甲街道"), (county.two, "乙街道")):
            session.add(Region(code=township, name=name, level="township", parent_code=code))
            await session.flush()
            session.add(
                Region(code=f"{township}001", name=f"{name}社区", level="community", parent_code=township,
                       urban_rural="urban")
            )  # fmt: skip
    tag = uuid.uuid4().hex[:8].upper()
    cases: list[tuple[str, str, str, str, str]] = [  # (number, township, type, stage, accepted)
        (f"{code}-A1-{tag}", county.one, "dibao", "approved", "2026-10-09"),
        (f"{code}-A2-{tag}", county.one, "dibao", "approved", "2026-10-10"),
        (f"{code}-A3-{tag}", county.one, "dibao", "rejected", "2026-10-12"),
        (f"{code}-A4-{tag}", county.one, "dibao", "verification", "2026-10-20"),
        (f"{code}-A5-{tag}", county.one, "tekun", "approval", "2026-10-21"),
        (f"{code}-A0-{tag}", county.one, "dibao", "approved", "2026-09-15"),
        (f"{code}-B1-{tag}", county.two, "dibao", "approved", "2026-10-13"),
        (f"{code}-B2-{tag}", county.two, "temp_expenditure", "approval", "2026-10-22"),
    ]
    for number, township, kind, stage, accepted in cases:
        await store_application(
            sessions, number, bj(accepted), assistance_type=kind, stage=stage, county_code=code,
            township_code=township, community_code=f"{township}001",
        )  # fmt: skip
    a1, a2, a3, a4, _a5, a0, b1, _b2 = (c[0] for c in cases)
    limits = [  # (case, limit, deadline, breached)
        (a1, LimitName.VERIFICATION_START, "2026-10-14", False),
        (a2, LimitName.VERIFICATION_START, "2026-10-15", True),
        (a3, LimitName.APPROVAL, "2026-10-28", False),
        (a4, LimitName.VERIFICATION_START, "2026-10-23", False),
        (b1, LimitName.APPROVAL, "2026-10-27", False),
    ]
    reviews = [(a1, "exit"), (a2, "continue"), (a3, "continue"), (b1, "continue")]
    payments = [  # (case, month, amount, credited)
        (a0, "2026-09", 50_000, "2026-09-08"),
        (a1, MONTH, 50_000, "2026-10-08"),
        (a2, MONTH, 60_000, "2026-10-15"),  # after the payment day: late
        (b1, MONTH, 70_000, "2026-10-09"),
    ]
    township_of = {c[0]: c[1] for c in cases}
    async with sessions.begin() as session:
        for seq, (number, limit, deadline, breached) in enumerate(limits):
            session.add(
                CaseLimit(
                    application_number=number, limit_name=limit.value, county_code=code,
                    township_code=township_of[number], assistance_type="dibao", green_channel=False,
                    started_at=bj("2026-10-09"), deadline=bj(deadline, 17),
                    breached_at=bj(deadline, 18) if breached else None, seq=seq,
                )
            )  # fmt: skip
        for number, outcome in reviews:
            session.add(
                Task(
                    task_id=f"t-{uuid.uuid4().hex}", application_number=number, workflow_id=f"life-{number}",
                    task_type="re_review", stage="review", candidate_role=Role.TOWNSHIP_REVIEWER.value,
                    region_code=township_of[number], county_code=code, status="completed",
                    created_at=bj("2026-10-16"), completed_at=bj("2026-10-20"), completed_by="test",
                    outcome=outcome, form={}, note="",
                )
            )  # fmt: skip
        for number, month, amount, credited in payments:
            session.add(
                PaymentOrder(
                    order_key=f"test-{number}-{month}", application_number=number, kind="monthly",
                    month=month, county_code=code, township_code=township_of[number],
                    assistance_type="dibao", amount_fen=amount, form_of_aid="bank", status="paid",
                    batch_id=f"B-{tag}", attempts=1, paid_at=bj(credited), ordered_at=bj(credited, 8),
                )
            )  # fmt: skip
    return county


def headline(page: Page, key: str) -> Any:
    return page.locator(f".headline[data-key='{key}']")


def count_cell(page: Page, label: str) -> Any:
    return page.locator("table.counts tr", has=page.get_by_role("rowheader", name=label, exact=True)).locator(
        "td.num"
    )


async def choose(page: Page, *, region: str | None = None, kind: str = "month", **fields: str) -> None:
    """Fill the filter form as a user does and submit it (a plain GET form)."""
    if region is not None:
        await page.get_by_label("地区").select_option(region)
    await page.get_by_label("统计期间").select_option(kind)
    for label, value in fields.items():
        field = {"month": "月份", "year": "年度", "start": "起始日期", "end": "截止日期"}.get(label)
        if field:
            await page.get_by_label(field).fill(value)
        elif label == "quarter":
            await page.get_by_label("季度").select_option(value)
        elif label == "type":
            await page.get_by_label("救助类别").select_option(value)
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_load_state("networkidle")


async def charts_drawn(page: Page) -> list[int]:
    """SVG elements in each chart container (ECharts' SVG renderer draws one per chart)."""
    return [await c.locator("svg").count() for c in await page.locator(".chart").all()]


async def test_the_figures_follow_the_filters_the_charts_draw_and_the_report_downloads(site: Site) -> None:
    county = await seed_county(site.sessions)
    supervisor = await site.staff(Role.SUPERVISOR.value, county.code)
    page = await site.signed_in(supervisor)
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="统计分析").click()
    await expect(page.get_by_role("heading", name="统计分析", level=1)).to_be_visible()

    await choose(page, region=county.code, month=MONTH)
    await expect(page.locator("#scope")).to_contain_text(county.name)
    await expect(count_cell(page, "受理申请（件）")).to_have_text("7")
    await expect(headline(page, "on_time").locator(".value")).to_have_text("80.00 %")
    await expect(headline(page, "on_time")).to_have_class("headline below")
    await expect(headline(page, "on_time")).to_contain_text("未达标")
    await expect(headline(page, "on_time")).to_contain_text("4 / 5")
    await expect(headline(page, "on_time")).to_contain_text("达标率 = 按时完成的时限数")  # the formula
    await expect(headline(page, "precise").locator(".value")).to_have_text("75.00 %")
    await expect(headline(page, "timeliness").locator(".value")).to_have_text("66.67 %")
    await expect(count_cell(page, "发放金额（元）")).to_have_text("1,800.00")
    townships = page.locator("#h-townships + * table, section[aria-labelledby='h-townships'] table")
    await expect(townships.get_by_role("row", name="甲街道")).to_contain_text("75.00 %")
    await expect(townships.get_by_role("row", name="乙街道")).to_contain_text("100.00 %")
    stages = page.locator("section[aria-labelledby='h-stages'] table")
    await expect(stages.get_by_role("row", name="家庭经济状况核查")).to_contain_text("1")
    await expect(stages.get_by_role("row", name="审批")).to_contain_text("2")
    assert await charts_drawn(page) == [1, 1, 1, 1, 1]
    assert await page.locator("section[aria-labelledby='h-limits'] .chart svg path").count() > 0
    by_type = page.locator("#detail-by_type table")
    await expect(by_type.get_by_role("row", name="城乡低保")).to_have_text(
        re.compile(r"城乡低保\s*5\s*3\s*1\s*0\s*0\s*1")
    )
    await expect(page.locator("#detail-by_channel").get_by_role("row", name="窗口受理")).to_contain_text("7")
    assert await accessibility_problems(page) == []
    await screenshot(page, "statistics-overview")

    # The monthly report of the county and month: the CSV (BOM, Chinese header) and the workbook
    # hold the same rows; October's spending is the three payments.
    await expect(page.locator("#h-report + p")).to_contain_text(f"{county.name} · {MONTH}")
    async with page.expect_download() as csv_download:
        await page.get_by_role("link", name="导出月报 CSV").click()
    saved = await (await csv_download.value).path()
    raw = saved.read_bytes().decode("utf-8")
    assert raw.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(raw.removeprefix("\ufeff"))))
    assert header == ["序号", "类别", "指标", "计量单位", "本月数"]
    assert [r[4] for r in rows if r[2] == "当月社会救助资金支出"] == ["1800.00"]
    async with page.expect_download() as xlsx_download:
        await page.get_by_role("link", name="导出月报 Excel（xlsx）").click()
    download = await xlsx_download.value
    assert download.suggested_filename == f"monthly-report-{county.code}-{MONTH}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO((await download.path()).read_bytes())).active
    assert sheet is not None
    cells = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [[str(c[0]), c[1], c[2], c[3]] for c in cells] == [r[:4] for r in rows]
    assert [c[4] for c in cells] == [
        float(r[4]) if "." in r[4] else int(r[4]) if r[4] else None for r in rows
    ]

    # A township: its own figures, on target (not red).
    await choose(page, region=county.two, month=MONTH)
    await expect(count_cell(page, "受理申请（件）")).to_have_text("2")
    await expect(headline(page, "on_time").locator(".value")).to_have_text("100.00 %")
    await expect(headline(page, "on_time")).to_have_class("headline")
    await expect(headline(page, "precise").locator(".value")).to_have_text("100.00 %")
    await expect(count_cell(page, "发放金额（元）")).to_have_text("700.00")
    # One type; another month; a quarter (three months of payments in its chart's table).
    await choose(page, region=county.code, month=MONTH, type="tekun")
    await expect(count_cell(page, "受理申请（件）")).to_have_text("1")
    await expect(page.locator("#scope")).to_contain_text("特困人员供养")
    await choose(page, region=county.code, type="", month="2026-09")
    await expect(count_cell(page, "受理申请（件）")).to_have_text("1")
    await expect(count_cell(page, "发放金额（元）")).to_have_text("500.00")
    await choose(page, region=county.code, kind="quarter", year="２０２６", quarter="4")  # pasted full-width
    await expect(count_cell(page, "受理申请（件）")).to_have_text("7")
    payments = page.locator("section[aria-labelledby='h-payments'] table tbody tr")
    await expect(payments).to_have_count(3)
    await expect(payments.first).to_contain_text("1,800.00")
    await choose(page, region=county.code, kind="range", start="2026-09-01", end="2026-10-31")
    await expect(count_cell(page, "受理申请（件）")).to_have_text("8")
    assert await charts_drawn(page) == [1, 1, 1, 1, 1]
    assert site.console == []


async def test_a_township_reviewer_sees_only_their_township_and_a_forged_one_is_refused(site: Site) -> None:
    county = await seed_county(site.sessions)
    reviewer = await site.staff(Role.TOWNSHIP_REVIEWER.value, county.one)
    page = await site.signed_in(reviewer)
    await page.goto(f"/staff/statistics?kind=month&month={MONTH}")
    options = page.get_by_label("地区").locator("option")
    assert [t.strip() for t in await options.all_inner_texts()] == ["甲街道"]  # nothing else to choose
    assert await page.get_by_role("link", name="导出月报 CSV").count() == 0  # the county's report
    async with site.http() as http:  # typed in anyway: the service's refusal
        http.cookies.update({c["name"]: c["value"] for c in await page.context.cookies()})
        refused = await http.get(f"/staff/statistics/monthly-report.csv?county={county.code}&month={MONTH}")
    assert refused.status_code == 403 and "序号" not in refused.text
    await expect(count_cell(page, "受理申请（件）")).to_have_text("5")
    await expect(headline(page, "on_time").locator(".value")).to_have_text("75.00 %")
    # The other township, the whole county, another county: typed into the URL.
    for forged in (county.two, county.code, "440105"):
        response = await page.goto(f"/staff/statistics?region={forged}&kind=month&month={MONTH}")
        assert response is not None and response.status == 403, forged
        await expect(page.get_by_role("heading", name="无权访问", level=1)).to_be_visible()
        await expect(page.get_by_role("alert")).to_contain_text("所选地区不在您的管辖范围内")
        assert await page.locator(".headline, .chart, table.counts").count() == 0  # no figure leaks
    # An operator runs the system and is no part of the reporting line: no link, and refused.
    operator = await site.signed_in("operator_haizhu")
    assert await operator.get_by_role("link", name="统计分析").count() == 0
    response = await operator.goto("/staff/statistics")
    assert response is not None and response.status == 403
    assert site.console == []


async def test_a_period_not_begun_or_reversed_is_answered_beside_the_period_fields(site: Site) -> None:
    county = await seed_county(site.sessions)
    page = await site.signed_in(await site.staff(Role.COUNTY_APPROVER.value, county.code))
    await page.goto("/staff/statistics")
    await choose(page, month="2099-01")
    await expect(page.locator("#e-period")).to_contain_text("统计期间尚未开始")
    assert await page.locator(".headline").count() == 0
    await expect(page.get_by_label("月份")).to_have_value("2099-01")  # the form keeps what was asked
    await choose(page, kind="range", start="2026-10-31", end="2026-10-01")
    await expect(page.locator("#e-period")).to_contain_text("结束日期早于开始日期")
    assert await accessibility_problems(page) == []
    await choose(page, kind="range", start="2026-10-01", end="2026-10-31")
    await expect(count_cell(page, "受理申请（件）")).to_have_text("7")
    assert site.console == []


async def test_the_page_fits_a_laptop_and_a_phone_and_draws_without_animation(site: Site) -> None:
    county = await seed_county(site.sessions)
    supervisor = await site.staff(Role.SUPERVISOR.value, county.code)
    query = f"/staff/statistics?region={county.code}&kind=month&month={MONTH}"
    for width, height in ((1366, 768), (390, 844)):
        page = await site.signed_in(supervisor, width=width, height=height)
        await page.goto(query)
        await expect(count_cell(page, "受理申请（件）")).to_have_text("7")
        assert await charts_drawn(page) == [1, 1, 1, 1, 1]
        scroll: int = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (width, scroll)  # no sideways scrolling
        for box in [await c.bounding_box() for c in await page.locator(".chart svg").all()]:
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        # Animation is off (a printed page shows the finished chart), and printing redraws them.
        animated = await page.evaluate(
            "[...document.querySelectorAll('.chart')].map(el => echarts.getInstanceByDom(el).getOption().animation)"
        )
        assert animated == [False] * 5
        if width == 390:
            await screenshot(page, "statistics-phone")
        await page.emulate_media(media="print")
        await page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert await charts_drawn(page) == [1, 1, 1, 1, 1]
        await expect(page.get_by_role("button", name="查询")).to_be_hidden()
        await expect(page.get_by_role("form", name="统计条件")).to_be_hidden()  # paper has no filters
        await expect(page.get_by_role("link", name="导出月报 CSV")).to_be_hidden()  # nor links
    assert site.console == []
