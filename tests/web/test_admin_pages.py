"""预警清单, 审计 and 系统管理 in a real browser: the warning list and its CSV, the audit log's filters
and chain check (supervisors only), staff accounts of the operator's region (create, role change,
password reset, deactivation — and an operator of 海珠区 meeting a 天河区 account), and loading a
year's holiday calendar from a table of days.

The calendar load and the broken audit chain run on a site with a database of its own (`own_site`):
loading 2027 in the shared database would move other tests' deadlines, and a tampered chain there
would fail every other chain check."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, Dialog, Page, expect
from sqlalchemy import select, text
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade_async
from infra.models import CalendarDay, RiskWarningRow, Staff
from infra.seed import DEMO_PASSWORD, seed_demo
from infra.settings import load_settings
from tests.web.conftest import Site, accessibility_problems, screenshot, serve, sign_in

NEW_PASSWORD = "Chushi2027mima"


async def plant_warning(site: Site, number: str, township: str, rule: str, title: str) -> None:
    async with site.sessions.begin() as session:
        session.add(
            RiskWarningRow(
                application_number=number, origin="application", period="2026-10-12",
                county_code=township[:6], township_code=township, rule=rule, title=title,
                explanation="成员2近3个月月均收入3200.00元，较此前6个月月均2500.00元增长28.0%，超过20%",
                member=1, observed_on=date(2026, 9, 30), sources=["tax"],
                figures={"before_fen": 250_000, "after_fen": 320_000, "change_bp": 2800}, status="open",
            )
        )  # fmt: skip


def console_besides(site: Site, *statuses: int) -> list[str]:
    """The console's messages other than the browser's note on a page answered with one of these
    statuses on purpose (a refusal page, a form sent back with its errors)."""
    expected = tuple(f"the server responded with a status of {s} " for s in statuses)
    return [m for m in site.console if not any(e in m for e in expected)]


def field_of(page: Page, label: str | re.Pattern[str]) -> object:
    return page.locator(".field", has=page.get_by_label(label))


# -- 预警清单 ------------------------------------------------------------------------------------
async def test_the_warning_list_filters_and_downloads_the_apis_csv(site: Site, tmp_path: Path) -> None:
    number = f"440105-{uuid.uuid4().hex[:12].upper()}"
    await plant_warning(site, number, "440105001", "income_change", "收入变动超过20%")
    await plant_warning(site, number, "440105001", "new_vehicle", "新登记车辆")
    await plant_warning(site, number + "T", "440106001", "income_change", "天河区的预警")
    page = await site.signed_in("approver_haizhu")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="预警清单").click()
    await expect(page.get_by_role("heading", name="预警清单", level=1)).to_be_visible()
    await page.get_by_label("申请编号").fill(number)
    await page.get_by_label("预警规则").select_option("income_change")
    await page.get_by_role("button", name="筛选").click()
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("收入变动超过20%")
    await expect(rows.first).to_contain_text("第2位成员")
    await expect(rows.first).to_contain_text("税务")
    await page.get_by_label("申请编号").fill(number + "T")  # the other county's case: nothing
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("没有符合条件的预警")).to_be_visible()
    await page.get_by_label("申请编号").fill(number)
    await page.get_by_role("button", name="筛选").click()
    assert await accessibility_problems(page) == []
    await screenshot(page, "warnings")

    async with page.expect_download() as info:
        await page.get_by_role("link", name=re.compile("导出 CSV")).click()
    download = await info.value
    saved = tmp_path / "warnings.csv"
    await download.save_as(saved)
    content = saved.read_bytes().decode("utf-8")
    assert content.startswith("\ufeff")  # Excel opens it as UTF-8
    header, *body = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert header[:3] == ["申请编号", "来源", "期间"]
    assert [r[0] for r in body if r[0].startswith(number)] != []
    assert all(r[3] == "440105" for r in body)  # the county's own warnings only
    assert all(r[5] == "income_change" for r in body)  # the filter on screen
    # The same file as the API's export with the same filter.
    async with site.http() as http:
        token = (await http.post("/api/v1/auth/token", data={"username": "approver_haizhu",
                                                             "password": DEMO_PASSWORD})).json()["access_token"]  # fmt: skip
        api_csv = await http.get(
            "/api/v1/warnings.csv",
            params={"rule": "income_change"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert api_csv.text == content
    assert site.console == []


# -- 审计 ----------------------------------------------------------------------------------------
async def test_a_supervisor_filters_the_audit_log_and_checks_its_chain(site: Site) -> None:
    someone = await site.staff("intake_clerk", "440105001")
    await (await site.signed_in(someone)).close()  # leaves "登录成功" by this account
    page = await site.signed_in("supervisor_haizhu")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计").click()
    await expect(page.get_by_role("heading", name="审计日志", level=1)).to_be_visible()
    await page.get_by_label("操作人用户名").fill(someone)
    await page.get_by_role("button", name="筛选").click()
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("登录成功")
    await expect(page.get_by_text("共 1 条")).to_be_visible()
    await page.get_by_label("结果").select_option("refused")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("没有符合条件的记录")).to_be_visible()
    await page.get_by_label("结果").select_option("")
    await page.get_by_role("button", name="筛选").click()
    assert await accessibility_problems(page) == []
    await screenshot(page, "audit")

    # A time that is not one: the message beside its field.
    await page.goto("/staff/audit?from=yesterday")
    await expect(field_of(page, "起始时间（含）").locator(".field-error")).to_contain_text("时间格式")  # type: ignore[attr-defined]

    await page.goto("/staff/audit")
    await page.get_by_role("link", name="核验审计链是否完整").click()
    await expect(page.get_by_role("status")).to_contain_text("审计链完整")
    assert await accessibility_problems(page) == []
    assert console_besides(site, 422) == []


async def test_the_audit_pages_are_refused_to_everyone_but_supervisors(site: Site) -> None:
    for username in ("operator_haizhu", "approver_haizhu"):
        page = await site.signed_in(username)
        await expect(
            page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计")
        ).to_have_count(0)
        for path in ("/staff/audit", "/staff/audit/verify", "/staff/audit.csv"):
            response = await page.goto(path)
            assert response is not None and response.status == 403, (username, path)
            await expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
            await expect(page.locator("main")).not_to_contain_text("登录成功")
    assert console_besides(site, 403) == []


# -- 系统管理: staff accounts ----------------------------------------------------------------------
async def create_account(
    page: Page, username: str, role: str, region: str, password: str = NEW_PASSWORD
) -> None:
    await page.goto("/staff/admin/staff/new")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("姓名").fill("新来的同事")
    await page.get_by_label("岗位").select_option(role)
    await page.get_by_label("辖区").select_option(region)
    await page.get_by_label("初始密码").fill(password)
    await page.get_by_role("button", name="建立账号").click()


async def test_an_operator_creates_an_account_that_signs_in_then_changes_its_role(site: Site) -> None:
    operator = await site.signed_in("operator_haizhu")
    await operator.get_by_role("navigation", name="主导航").get_by_role("link", name="系统管理").click()
    await expect(operator.get_by_role("heading", name="工作人员账号", level=1)).to_be_visible()
    await expect(operator.locator("main")).not_to_contain_text("天河区")
    await expect(operator.locator("main")).not_to_contain_text("罗淑芬")
    assert await accessibility_problems(operator) == []
    await screenshot(operator, "admin-staff")

    name = f"web{uuid.uuid4().hex[:10]}"
    # Field errors beside their fields: a name that is not one, a password with the username in it.
    await create_account(operator, "X!", "intake_clerk", "440105001", password="short")
    await expect(field_of(operator, "用户名").locator(".field-error")).to_contain_text("小写字母")  # type: ignore[attr-defined]
    await expect(field_of(operator, "初始密码").locator(".field-error")).to_contain_text("至少10位")  # type: ignore[attr-defined]
    assert await accessibility_problems(operator) == []
    await create_account(operator, name, "intake_clerk", "440105001")
    await expect(operator.get_by_role("status")).to_contain_text("账号已建立")
    await expect(operator.locator(".facts")).to_contain_text("受理窗口人员")

    newcomer = await site.signed_in(name, NEW_PASSWORD)
    await expect(newcomer.get_by_text("（受理窗口人员）")).to_be_visible()

    await operator.get_by_label("岗位").select_option("investigator")
    await operator.get_by_role("button", name="保存修改").click()
    await expect(operator.get_by_role("status")).to_contain_text("岗位、辖区已修改")
    await newcomer.goto("/staff/")  # at once, without signing in again
    await expect(newcomer.get_by_text("（入户调查员）")).to_be_visible()

    # An operator cannot give a role above their own, nor change their own account.
    options = await operator.get_by_label("岗位").locator("option").all_inner_texts()
    assert "省级运维监控人员" not in options
    await operator.goto("/staff/admin/staff/operator_haizhu")
    await expect(operator.get_by_text("这是您自己的账号")).to_be_visible()
    await expect(operator.get_by_role("button", name="停用账号")).to_have_count(0)
    async with site.http() as http:  # a forged form does not get round it either
        await http.get("/staff/login")
        csrf = http.cookies.get("sa_staff_csrf")
        assert csrf is not None
        cookies = await operator.context.cookies()
        jar = {c["name"]: c["value"] for c in cookies}
        response = await http.post(
            "/staff/admin/staff/operator_haizhu/active",
            data={"csrf_token": jar["sa_staff_csrf"], "active": "0"},
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Origin": site.url},
        )
    assert response.status_code == 403 and "不能修改自己账号" in response.text
    async with site.sessions() as session:
        assert (await session.scalar(select(Staff.active).where(Staff.username == "operator_haizhu"))) is True
    assert console_besides(site, 422) == []


async def test_a_password_reset_ends_the_accounts_sessions_and_a_deactivation_locks_it_out(
    site: Site,
) -> None:
    target = await site.staff("township_reviewer", "440105001")
    elsewhere = await site.signed_in(target)
    operator = await site.signed_in("operator_haizhu")
    confirmations: list[str] = []

    async def confirm(dialog: Dialog) -> None:  # app.js asks once more before these two
        confirmations.append(dialog.message)
        await dialog.accept()

    operator.on("dialog", confirm)
    await operator.goto(f"/staff/admin/staff/{target}")
    await operator.get_by_label("新的初始密码").fill("short")
    await operator.get_by_role("button", name="重置密码").click()
    await expect(field_of(operator, "新的初始密码").locator(".field-error")).to_contain_text("至少10位")  # type: ignore[attr-defined]
    await operator.get_by_label("新的初始密码").fill(NEW_PASSWORD)
    await operator.get_by_role("button", name="重置密码").click()
    await expect(operator.get_by_role("status")).to_contain_text("密码已重置")
    assert await accessibility_problems(operator) == []

    await elsewhere.goto("/staff/")  # the account's own session ended
    await expect(elsewhere).to_have_url(re.compile(r"/staff/login\?next=.*&expired=1"))
    fresh = await site.page()
    await sign_in(fresh, target, DEMO_PASSWORD)
    await expect(fresh.get_by_role("alert")).to_contain_text("用户名或密码错误")
    await sign_in(fresh, target, NEW_PASSWORD)
    await expect(fresh.get_by_role("heading", name="工作台", level=1)).to_be_visible()

    await operator.get_by_role("button", name="停用账号").click()
    await expect(operator.get_by_role("status")).to_contain_text("账号已停用")
    assert len(confirmations) == 3 and "停用" in confirmations[-1]
    await fresh.goto("/staff/")
    await expect(fresh).to_have_url(re.compile(r"/staff/login\?next="))
    again = await site.page()
    await sign_in(again, target, NEW_PASSWORD)
    await expect(again.get_by_role("alert")).to_contain_text("用户名或密码错误")

    # Every change is in the audit log, where the region's supervisor reads it.
    supervisor = await site.signed_in("supervisor_haizhu")
    await supervisor.goto("/staff/audit?actor=operator_haizhu")
    for label in ("重置工作人员密码", "停用工作人员账号"):
        await expect(
            supervisor.locator("tbody tr", has_text=target).filter(has_text=label).first
        ).to_be_visible()
    assert console_besides(site, 422, 401) == []


async def test_an_operator_of_haizhu_cannot_see_or_edit_tianhe_accounts(site: Site) -> None:
    tianhe = await site.staff("county_approver", "440106")
    operator = await site.signed_in("operator_haizhu")
    await operator.goto("/staff/admin/staff")
    await expect(operator.locator("main")).not_to_contain_text(tianhe)
    await operator.goto("/staff/admin/staff?region=440106")
    await expect(operator.locator("main")).not_to_contain_text(tianhe)
    response = await operator.goto(f"/staff/admin/staff/{tianhe}")
    # Not found in the operator's jurisdiction: whether the account exists elsewhere is not told.
    assert response is not None and response.status == 404
    await expect(operator.locator("main")).not_to_contain_text("县级审批")
    await expect(operator.locator("main")).not_to_contain_text("天河")
    async with site.sessions() as session:
        display = await session.scalar(select(Staff.display_name).where(Staff.username == tianhe))
    assert display is not None
    await expect(operator.locator("main")).not_to_contain_text(display)

    # Forged forms: a change, a reset, a deactivation of the 天河区 account; an account made in 天河区.
    jar = {c["name"]: c["value"] for c in await operator.context.cookies()}
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Origin": site.url}
    token = jar["sa_staff_csrf"]
    async with site.http() as http:
        for path, form in (
            (f"/staff/admin/staff/{tianhe}/change", {"role": "operator", "region_code": "440105"}),
            (f"/staff/admin/staff/{tianhe}/password", {"password": NEW_PASSWORD}),
            (f"/staff/admin/staff/{tianhe}/active", {"active": "0"}),
            (f"/staff/admin/staff/{tianhe}/unlock", {}),
        ):
            response = await http.post(path, data={"csrf_token": token, **form}, headers=headers)
            assert response.status_code == 404, (path, response.status_code)
            assert display not in response.text and "440106" not in response.text
        made = await http.post(
            "/staff/admin/staff/new",
            data={"csrf_token": token, "username": f"web{uuid.uuid4().hex[:8]}", "display_name": "越权",
                  "role": "county_approver", "region_code": "440106", "password": NEW_PASSWORD,
                  "form_key": str(uuid.uuid4())},
            headers=headers,
        )  # fmt: skip
        assert made.status_code == 403 and "辖区以外" in made.text
    async with site.sessions() as session:
        row = await session.scalar(select(Staff).where(Staff.username == tianhe))
    assert row is not None and (row.role, row.region_code, row.active) == ("county_approver", "440106", True)
    assert console_besides(site, 404) == []


async def test_an_operator_lifts_a_login_lock_and_the_list_fits_a_phone(site: Site) -> None:
    target = await site.staff("investigator", "440105001")
    door = await site.page(width=390, height=844)
    for _ in range(5):
        await sign_in(door, target, "不是这个密码1")
    await expect(door.get_by_role("alert")).to_contain_text("账号已临时锁定")

    operator = await site.signed_in("operator_haizhu", width=390, height=844)
    await operator.goto("/staff/admin/staff?region=440105001")
    await expect(operator.locator("tbody tr", has_text=target)).to_contain_text("登录锁定中")
    assert await accessibility_problems(operator) == []
    width = await operator.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # no sideways scrolling on the phone
    await operator.get_by_role("link", name=target).click()
    await operator.get_by_role("button", name="解除登录锁定").click()
    await expect(operator.get_by_role("status")).to_contain_text("登录锁定已解除")
    await sign_in(door, target, DEMO_PASSWORD)
    await expect(door.get_by_role("heading", name="工作台", level=1)).to_be_visible()
    assert console_besides(site, 401, 423) == []


# -- 系统管理: holiday calendar (a database of its own) -------------------------------------------
@pytest_asyncio.fixture
async def own_site(browser: Browser, dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'own.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    await seed_demo(sessions)
    settings = load_settings(database_url=url, trusted_proxies=["127.0.0.1/32"])
    app = create_app(settings, session_factory=sessions, temporal_client=dev_env.client)
    server, task, base = await serve(app)
    site = Site(base, settings, sessions, browser, [], [])
    try:
        yield site
    finally:
        for context in site.contexts:
            await context.close()
        server.should_exit = True
        await task
        await engine.dispose()


TABLE_2027 = """# 2027 年部分安排
2027-01-01,放假,元旦
2027-02-06,放假,春节
2027-02-07,放假,春节
2027-02-14，调休上班，春节
2027-10-01 放假 国庆节"""


async def test_a_provincial_operator_loads_2027_and_a_bad_row_is_named_beside_it(own_site: Site) -> None:
    site = own_site
    provincial = await site.staff("provincial_operator", "44")
    page = await site.signed_in(provincial)
    await page.goto("/staff/admin/calendar?year=2027")
    await expect(page.get_by_role("heading", name="2027 年节假日安排", level=1)).to_be_visible()
    await expect(page.get_by_text("尚未载入")).to_be_visible()

    days = page.get_by_label(re.compile("与常规周末不同的日期"))
    await days.fill(
        TABLE_2027 + "\n2027-13-01,放假,不存在的日子\n2026-12-31,放假,去年\n2027-05-01,休息日,劳动节"
    )
    await page.get_by_role("button", name="载入").click()
    problems = page.locator(".rows-check tbody tr")
    await expect(problems).to_have_count(2)  # what the page cannot read, before the service's check
    await expect(problems.nth(0)).to_contain_text("第 7 行")
    await expect(problems.nth(0)).to_contain_text("日期格式")
    await expect(problems.nth(1)).to_contain_text("第 9 行")
    await expect(problems.nth(1)).to_contain_text("放假")
    await expect(days).to_have_value(re.compile("不存在的日子"))  # the table stays as typed
    assert await accessibility_problems(page) == []

    # The service's own check (a date of another year, a date twice), beside the row it names.
    await days.fill(TABLE_2027 + "\n2026-12-31,放假,去年\n2027-01-01,放假,元旦")
    await page.get_by_role("button", name="载入").click()
    await expect(problems).to_have_count(2)
    await expect(problems.nth(0)).to_contain_text("第 7 行")
    await expect(problems.nth(0)).to_contain_text("不在 2027 年内")
    await expect(problems.nth(1)).to_contain_text("第 8 行")
    await expect(problems.nth(1)).to_contain_text("重复")
    async with site.sessions() as session:
        assert list(await session.scalars(select(CalendarDay).where(CalendarDay.year == 2027))) == []

    await days.fill(TABLE_2027)
    await page.get_by_role("button", name="载入").click()
    await expect(page.get_by_role("status")).to_contain_text("已载入 2027 年节假日安排")
    await expect(page.get_by_text("已载入完整的官方安排")).to_be_visible()
    rows = page.locator("table.calendar tbody tr")
    await expect(rows).to_have_count(5)
    await expect(rows.nth(3)).to_contain_text("调休上班")
    assert await accessibility_problems(page) == []
    await screenshot(page, "admin-calendar")

    # The same as the API reads, and the load is in the audit log.
    async with site.http() as http:
        token = (await http.post("/api/v1/auth/token", data={"username": "approver_haizhu",
                                                             "password": DEMO_PASSWORD})).json()["access_token"]  # fmt: skip
        year = (
            await http.get("/api/v1/admin/calendar/2027", headers={"Authorization": f"Bearer {token}"})
        ).json()
    assert year["complete"] is True and [d["day"] for d in year["days"]][:2] == ["2027-01-01", "2027-02-06"]
    async with site.sessions() as session:
        entries = (await session.execute(text(
            "SELECT outcome, status_code FROM audit_log WHERE action = 'calendar.replace' ORDER BY id"
        ))).all()  # fmt: skip
    assert [tuple(e) for e in entries] == [("refused", 422), ("refused", 422), ("ok", 200)]
    assert console_besides(site, 422) == []


async def test_only_the_provincial_operator_may_load_a_calendar(own_site: Site) -> None:
    site = own_site
    page = await site.signed_in("operator_haizhu")
    await page.goto("/staff/admin/calendar?year=2027")
    await expect(page.get_by_text("只有省级运维监控人员可以载入")).to_be_visible()
    await expect(page.get_by_role("button", name="载入")).to_have_count(0)
    assert await accessibility_problems(page) == []
    jar = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with site.http() as http:
        response = await http.post(
            "/staff/admin/calendar",
            data={
                "csrf_token": jar["sa_staff_csrf"],
                "year": "2027",
                "days": "2027-01-01,放假,元旦",
                "complete": "1",
            },
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Origin": site.url},
        )
    assert response.status_code == 403 and "仅限省级运维监控人员" in response.text
    async with site.sessions() as session:
        assert list(await session.scalars(select(CalendarDay).where(CalendarDay.year == 2027))) == []
        entries = (await session.execute(text(
            "SELECT actor_username, outcome, status_code FROM audit_log WHERE action = 'calendar.replace'"
        ))).all()  # fmt: skip
    assert [tuple(e) for e in entries] == [("operator_haizhu", "refused", 403)]


async def test_a_broken_audit_chain_is_shown_with_the_first_entry_that_does_not_fit(own_site: Site) -> None:
    site = own_site
    for _ in range(3):  # a few entries: logins
        await (await site.signed_in("clerk_chigang")).close()
    async with site.sessions.begin() as session:
        await session.execute(text("DROP TRIGGER audit_log_no_update"))
        await session.execute(text("UPDATE audit_log SET status_code = 403 WHERE id = 2"))
    page = await site.signed_in("supervisor_haizhu")
    await page.goto("/staff/audit/verify")
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("审计链已断开")
    await expect(alert).to_contain_text("第 2 条记录的内容与其哈希不符")
    await expect(alert).to_contain_text("第一条不符的记录编号：2")
    assert await accessibility_problems(page) == []
    assert site.console == []
