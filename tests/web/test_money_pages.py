"""救助对象 and 资金发放 in a real browser: the roster and a household's page, the county approver's
fraud stop (offered to nobody else, confirmed), a payee account with a wrong card number, a month's
payroll started from the page (twice: one run), the failed-payment queue's retry, the disclosure CSV
downloaded and parsed, another county's finance officer refused, accessibility and a 390-px phone.

The app is served as in conftest's `site`, with the bank simulator behind the payroll worker and the
payroll's clock set ahead (tests/e2e/money_support.pay_months_ahead), so this file pays months of its
own (MONTH) that no other test of the shared database pays."""

from __future__ import annotations

import csv
import io
import random
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from playwright.async_api import Page, expect
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from domain.masking import mask_name
from infra.bank.http import make_bank_gateway
from infra.models import AuditEntry, BeneficiaryEvent, PaymentOrder, PayrollRun
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from simulators.bank.state import Account
from tests.conftest import BankSimulator
from tests.e2e.money_support import enrol_household, pay_months_ahead
from tests.e2e.support import Sessions, eventually, login
from tests.factories import id_number
from tests.payroll.households import account_number
from tests.web.conftest import Site, accessibility_problems, screenshot, serve
from workers.build import WorkerResources, build_worker

MONTH = "2061-03"  # this file's payroll month (no other test pays 2061)
START = "2061-01"
FUTURE = "2101-05"  # after the payroll clock's "now" (2100-01): refused


@pytest_asyncio.fixture
async def money_site(
    browser: Any, dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str, task_queue: str,
    department_adapters: AdapterFactory, bank_simulator: BankSimulator,
) -> AsyncIterator[Site]:  # fmt: skip
    settings = load_settings(
        database_url=sqlite_url, temporal_task_queue=task_queue, trusted_proxies=["127.0.0.1/32"],
        bank_base_url=bank_simulator.base_url, bank_timeout_seconds=5,
    )  # fmt: skip
    await seed_demo(sessions)
    bank = make_bank_gateway(settings)
    app = pay_months_ahead(create_app(settings, session_factory=sessions, temporal_client=dev_env.client))
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), department_adapters, bank=bank,
        payer_account=settings.bank_payer_account, pii=make_pii_vault(settings),
    )  # fmt: skip
    try:
        async with build_worker(dev_env.client, task_queue, resources):
            server, task, url = await serve(app)
            site = Site(url, settings, sessions, browser, [], [])
            try:
                yield site
            finally:
                for context in site.contexts:
                    await context.close()
                server.should_exit = True
                await task
    finally:
        await bank.aclose()


def number(tag: str) -> str:
    return f"WEBM-{tag}-{uuid.uuid4().hex[:8]}"


async def enrol(
    env: WorkflowEnvironment, sessions: Sessions, queue: str, n: str, name: str, **kw: Any
) -> None:
    await enrol_household(
        env.client, sessions, queue, n, name=name, id_number=id_number(seq=random.randint(0, 999)), **kw
    )


async def put_account(site: Site, n: str, account: str, holder: str) -> None:
    async with site.http() as http:
        response = await http.put(
            f"/api/v1/beneficiaries/{n}/account",
            json={"account_number": account, "account_holder": holder, "bank_name": "中国工商银行广州分行"},
            headers=await login(http, "finance_haizhu"),
        )
    assert response.status_code == 200, response.text


def script_errors(site: Site) -> list[str]:
    """The console's errors but Chromium's note on a page answered with the refusal the test
    provoked (a form re-shown with 422, the 403 page): a script error or a CSP violation stays."""
    refused = re.compile(r"^Failed to load resource: the server responded with a status of 4(03|09|22) ")
    return [m for m in site.console if not refused.match(m)]


async def fits_the_phone(page: Page) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= 390


async def test_roster_and_household_pages_show_masked_households_with_their_filters(
    money_site: Site, dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str
) -> None:
    site = money_site
    a, b = number("RA"), number("RB")
    await enrol(dev_env, sessions, task_queue, a, "欧阳秀英", start_month=START, category="A")
    await enrol(dev_env, sessions, task_queue, b, "陈国平", start_month=START, category="C")
    page = await site.signed_in("approver_haizhu")
    await page.goto("/staff/")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="救助对象").click()
    await expect(page.get_by_role("heading", name="救助对象名册", level=1)).to_be_visible()
    # Filters as the API takes them: category A of 赤岗街道, 城乡低保, active.
    await page.get_by_label("状态").select_option("active")
    await page.get_by_label("救助类别").select_option("dibao")
    await page.get_by_label("分类管理类别").select_option("A")
    await page.get_by_label("县、乡镇或村社区编码").fill("440105001")
    await page.get_by_role("button", name="筛选").click()
    await expect(page).to_have_url(re.compile(r"category=A"))
    # The shared database holds other tests' households: page through to ours.
    rows = page.locator("tbody tr")
    while not await page.get_by_role("link", name=a).count():
        await page.get_by_role("link", name="下一页").click()
    assert await page.get_by_role("link", name=b).count() == 0  # category C is filtered out
    row = rows.filter(has=page.get_by_role("link", name=a))
    await expect(row).to_contain_text("欧**英")
    await expect(row).to_contain_text("正常发放")
    assert "欧阳秀英" not in await page.content()
    assert await accessibility_problems(page) == []
    await screenshot(page, "beneficiaries")

    # Full-width digits pasted into the month filter are the month; a wrong month is refused beside it.
    await page.goto("/staff/beneficiaries?review_due_by=２０２７-13")
    await expect(
        page.locator(".field.invalid", has=page.get_by_label("复核到期（月份及以前）"))
    ).to_be_visible()

    await page.goto(f"/staff/beneficiaries/{a}")
    await expect(page.get_by_role("heading", name=f"救助对象 {a}", level=1)).to_be_visible()
    await expect(page.get_by_text("欧**英").first).to_be_visible()
    await expect(page.locator(".facts", has_text="下次复核月份")).to_contain_text(re.compile(r"20\d\d-\d\d"))
    await expect(page.get_by_role("heading", name="动态管理记录")).to_be_visible()
    assert await page.locator(".timeline li").count() >= 1
    await expect(page.get_by_role("heading", name="认定骗取救助（骗保停发）")).to_be_visible()
    assert "欧阳秀英" not in await page.content()
    assert await accessibility_problems(page) == []
    await screenshot(page, "beneficiary")

    # At the door, on a phone: the same pages fit 390 px.
    phone = await site.signed_in("inv_chigang_1", width=390, height=844)
    for path in ("/staff/beneficiaries", f"/staff/beneficiaries/{a}"):
        await phone.goto(path)
        assert await fits_the_phone(phone), path
    assert await accessibility_problems(phone) == []
    await expect(phone.get_by_role("heading", name="情况变化报告")).to_be_visible()
    await expect(phone.get_by_role("heading", name="认定骗取救助（骗保停发）")).to_have_count(0)
    assert script_errors(site) == []


async def test_fraud_stop_is_offered_to_the_county_approver_only_and_asks_for_confirmation(
    money_site: Site, dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str
) -> None:
    site, n = money_site, number("FRD")
    await enrol(dev_env, sessions, task_queue, n, "冯建国", start_month=START)
    url = f"/staff/beneficiaries/{n}"
    heading = "认定骗取救助（骗保停发）"

    # The township reviewer sees the household, not the fraud stop; a forged post is the 403 page.
    reviewer = await site.signed_in("reviewer_chigang")
    await reviewer.goto(url)
    await expect(reviewer.get_by_role("heading", name=heading)).to_have_count(0)
    token = await reviewer.locator("input[name=csrf_token]").first.input_value()
    forged = await reviewer.request.post(
        f"{url}/fraud",
        form={"csrf_token": token, "findings": "隐瞒经营收入", "since_month": START, "policy_basis": "第六十八条",
              "confirm": "1"},
        headers={"Origin": site.url},
    )  # fmt: skip
    assert forged.status == 403 and "此页面仅限" in await forged.text()

    approver = await site.signed_in("approver_haizhu")
    await approver.goto(url)
    token_of_approver = await approver.locator("input[name=csrf_token]").first.input_value()
    form = approver.locator("form", has=approver.get_by_role("button", name="认定骗保并停发"))
    await form.get_by_label("认定事实").fill("隐瞒经营网店收入，每月约5000元")
    await form.get_by_label("自哪个月起不符合条件").fill(START)
    await form.get_by_label("政策依据").fill("《社会救助暂行办法》第六十八条")
    # Without the checkbox the server refuses too (the browser's `required` removed, as a script could).
    await form.get_by_label("我已核对，确认提交").evaluate("box => box.removeAttribute('required')")
    approver.once("dialog", lambda d: d.accept())
    await form.get_by_role("button", name="认定骗保并停发").click()
    confirm_field = approver.locator(".field.invalid", has=approver.get_by_label("我已核对，确认提交"))
    await expect(confirm_field).to_contain_text("请勾选")
    await expect(approver.get_by_text("正常发放").first).to_be_visible()  # nothing happened

    # Checked, then the browser asks once more: "cancel" sends nothing.
    form = approver.locator("form", has=approver.get_by_role("button", name="认定骗保并停发"))
    await form.get_by_label("我已核对，确认提交").check()
    dialogs: list[str] = []

    async def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    approver.once("dialog", dismiss)
    await form.get_by_role("button", name="认定骗保并停发").click()
    assert dialogs and "不可撤销" in dialogs[0]
    # The values typed survive the refusal: confirm and send.
    form = approver.locator("form", has=approver.get_by_role("button", name="认定骗保并停发"))
    await expect(form.get_by_label("认定事实")).to_have_value("隐瞒经营网店收入，每月约5000元")
    await form.get_by_label("我已核对，确认提交").check()
    approver.once("dialog", lambda d: d.accept())
    await form.get_by_role("button", name="认定骗保并停发").click()
    await expect(approver.get_by_role("status")).to_contain_text("已认定骗取救助")

    async def stopped() -> bool:
        await approver.goto(url)
        return await approver.get_by_text("已停发").count() > 0

    await eventually(stopped, within=30)
    await expect(approver.get_by_role("heading", name=heading)).to_have_count(0)  # not twice
    await expect(approver.locator(".timeline")).to_contain_text("骗")
    recovery = approver.locator("section", has=approver.get_by_role("heading", name="追回款项"))
    await expect(recovery).to_contain_text(START)  # recovered from the month the finding names
    await expect(recovery).to_contain_text("approver_haizhu")
    # Audited like the API's: the refusal without confirmation, then one stop (the dismissed
    # dialog sent nothing: no third entry, no 409 "already stopped").
    async with sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry.status_code)
                .where(AuditEntry.application_number == n, AuditEntry.action == "beneficiary.fraud")
                .order_by(AuditEntry.id)
            )
        )
    assert entries == [422, 200]
    # A stale form (another tab) sent after the stop: the page as it stands, saying why.
    stale = await approver.request.post(
        f"{url}/fraud", headers={"Origin": site.url},
        form={"csrf_token": token_of_approver, "findings": "隐瞒经营网店收入，每月约5000元", "since_month": START,
              "policy_basis": "《社会救助暂行办法》第六十八条", "confirm": "1", "form_key": uuid.uuid4().hex},
    )  # fmt: skip
    stale_page = await stale.text()
    assert stale.status == 409 and "已被停发，不能重复认定" in stale_page and "已停发" in stale_page
    assert await accessibility_problems(approver) == []
    assert script_errors(site) == []


async def test_a_wrong_card_number_is_refused_beside_its_field_and_a_right_one_is_shown_masked(
    money_site: Site, dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str
) -> None:
    site, n = money_site, number("ACC")
    await enrol(dev_env, sessions, task_queue, n, "黄秀兰", start_month=START)
    good = account_number(random.randint(10**6, 10**9))
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)  # the Luhn check digit off by one
    page = await site.signed_in("finance_haizhu")
    await page.goto(f"/staff/beneficiaries/{n}")
    form = page.locator("form", has=page.get_by_role("button", name="保存账户"))
    await form.get_by_label("银行卡号").fill(wrong)
    await form.get_by_label("开户人姓名").fill("黄秀兰")
    await form.get_by_label("开户银行").fill("中国工商银行广州分行")
    await form.get_by_role("button", name="保存账户").click()
    card = page.locator(".field.invalid", has=page.get_by_label("银行卡号"))
    await expect(card.get_by_role("alert")).to_contain_text("银行卡号无效")
    await expect(page.get_by_label("银行卡号")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("开户银行")).to_have_value("中国工商银行广州分行")  # kept
    assert wrong not in await page.content()  # the number typed is not echoed back
    assert await accessibility_problems(page) == []

    form = page.locator("form", has=page.get_by_role("button", name="保存账户"))
    await form.get_by_label("银行卡号").fill(good)
    await form.get_by_role("button", name="保存账户").click()
    await expect(page.get_by_role("status")).to_contain_text("发放账户已保存")
    account = page.locator(".facts", has_text="账号（脱敏）")
    await expect(account).to_contain_text(good[-4:])
    html = await page.content()
    assert good not in html and "黄秀兰" not in html
    await expect(account).to_contain_text("黄*兰")
    assert script_errors(site) == []


async def test_payroll_started_from_the_page_runs_once_and_a_failed_payment_is_retried_once(
    money_site: Site, dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str,
    bank_simulator: BankSimulator,
) -> None:  # fmt: skip
    site = money_site
    seq = random.randint(10**6, 10**9)
    good, closed, formula = number("PG"), number("PC"), number("PF")
    # The unpaid household's name is this test's own (rare characters): the shared database holds
    # other tests' paid households of the same month, and the disclosure shows masked names only.
    closed_name = "司马" + "".join(
        random.choice("璇瑾琰瑜琛璟玥珂瑶翊翎曦旻昀晗暄煜炜烨焱") for _ in range(2)
    )
    closed_masked = mask_name(closed_name)
    households = {good: "陈大伟", closed: closed_name, formula: "=HYPERLINK"}
    for n, name in households.items():
        await enrol(dev_env, sessions, task_queue, n, name, start_month=MONTH)
    await put_account(site, good, account_number(seq), "陈大伟")
    await put_account(site, closed, account_number(seq + 1), closed_name)
    await put_account(site, formula, account_number(seq + 2), "=HYPERLINK")
    bank_simulator.state.register(Account(account_number(seq + 1), closed_name, "closed"))

    page = await site.signed_in("finance_haizhu")
    await page.goto("/staff/")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="资金发放").click()
    await expect(page.get_by_role("heading", name="资金发放", level=1)).to_be_visible()
    start = page.locator("form", has=page.get_by_role("button", name="启动发放"))
    # A month not yet begun is refused beside the month, in Chinese.
    await start.get_by_label("发放月份").fill(FUTURE)
    await start.get_by_role("button", name="启动发放").click()
    month_field = page.locator(".field.invalid", has=page.get_by_label("发放月份"))
    await expect(month_field.get_by_role("alert")).to_contain_text("不能发放尚未到来的月份")
    assert await accessibility_problems(page) == []

    # A double click, then the same form sent again: one payroll run of the county-month. (The bank
    # takes a few seconds over the file, so the run is surely still going when the resend arrives:
    # a month whose run has finished may rightly be run again, for the corrected orders.)
    bank_simulator.state.set_processing_seconds(3)
    start = page.locator("form", has=page.get_by_role("button", name="启动发放"))
    await start.get_by_label("发放月份").fill(MONTH)
    token = await start.locator("input[name=csrf_token]").input_value()
    await start.get_by_role("button", name="启动发放").dblclick()
    await expect(page.get_by_role("status")).to_contain_text(f"{MONTH} 的发放已启动")
    again = await page.request.post(
        "/staff/payments/runs", form={"csrf_token": token, "month": MONTH, "county_code": "440105"},
        headers={"Origin": site.url}, max_redirects=0,
    )  # fmt: skip
    assert again.status == 303
    await dev_env.client.get_workflow_handle(f"payroll-440105-{MONTH}").result()
    bank_simulator.state.set_processing_seconds(None)
    async with sessions() as session:
        runs = list(await session.scalars(select(PayrollRun).where(PayrollRun.month == MONTH)))
    assert [(r.county_code, r.runs) for r in runs] == [("440105", 1)]

    await page.goto(f"/staff/payments/runs/440105/{MONTH}")
    await expect(page.locator(".facts")).to_contain_text("已完成")
    await expect(page.get_by_role("heading", name="银行批次")).to_be_visible()
    assert await page.locator("tbody tr").count() >= 1
    await page.goto(f"/staff/payments?month={MONTH}")
    run_row = page.locator("tbody tr", has=page.get_by_role("link", name=MONTH))
    await expect(run_row).to_contain_text("已完成")
    assert await accessibility_problems(page) == []
    await screenshot(page, "payments")

    # The failed-payment queue: the closed account, with its reason; retried once from the page.
    await page.get_by_role("link", name="发放失败待处理").click()
    await page.get_by_label("发放月份").fill(MONTH)
    await page.get_by_role("button", name="筛选").click()
    while not await page.get_by_role("link", name=closed).count():
        await page.get_by_role("link", name="下一页").click()
    row = page.locator("tbody tr", has=page.get_by_role("link", name=closed))
    await expect(row).to_contain_text("账户已销户")
    await expect(row).to_contain_text(closed_masked)
    assert good not in await page.locator("tbody").inner_text()
    assert await accessibility_problems(page) == []
    bank_simulator.state.register(Account(account_number(seq + 1), closed_name, "open"))
    await row.get_by_role("button", name=f"重新发放 {closed}:{MONTH}").click()
    swapped = page.locator(f"#order-{closed}-{MONTH}")
    await expect(swapped.get_by_role("status")).to_have_text("待重新发放")
    async with sessions() as session:
        order = await session.scalar(
            select(PaymentOrder).where(PaymentOrder.order_key == f"{closed}:{MONTH}")
        )
    assert order is not None and order.status == "retry"
    # Without JavaScript (a plain post): the page says the order's state; a second retry is refused.
    token = await page.locator("input[name=csrf_token]").first.input_value()
    second = await page.request.post(
        f"/staff/payments/failed/{closed}:{MONTH}/retry", form={"csrf_token": token},
        headers={"Origin": site.url}, max_redirects=0,
    )  # fmt: skip
    refusal = await second.text()
    assert second.status == 409 and "只有发放失败的指令才能重新发放" in refusal and "待重新发放" in refusal
    await page.goto(f"/staff/payments/failed?retried={closed}:{MONTH}")
    await expect(page.get_by_role("status").first).to_contain_text("待重新发放")

    # The monthly disclosure, and its CSV: the API's, masked, with the formula neutralised.
    await page.get_by_role("link", name="按月公开").click()
    await page.get_by_label("公开月份").fill(MONTH)
    await page.get_by_role("button", name="查看").click()
    await expect(page.locator("tbody")).to_contain_text("陈*伟")
    assert await accessibility_problems(page) == []
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name=re.compile("下载 CSV")).click()
    download = await waiting.value
    assert download.suggested_filename == f"disclosure-440105-{MONTH}.csv"
    raw = (await download.path()).read_bytes().decode("utf-8")  # as sent: CRLF rows
    assert raw.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(raw.removeprefix("\ufeff"))))
    assert table[0] == ["姓名", "身份证号", "救助类别", "金额（元）", "乡镇街道编码", "乡镇街道"]
    names = [r[0] for r in table[1:]]
    assert "陈*伟" in names and closed_masked not in names  # not paid (yet): not disclosed
    assert "'=********K" in names and not any(name.startswith("=") for name in names)
    assert not any(full in raw for full in households.values() if not full.startswith("="))
    async with site.http() as http:
        api_csv = await http.get(
            f"/api/v1/disclosures/440105/{MONTH}.csv", headers=await login(http, "finance_haizhu")
        )
    assert api_csv.text == raw  # the same document as the API's
    assert script_errors(site) == []


async def test_another_countys_finance_officer_gets_the_403_page_for_this_countys_run(
    money_site: Site,
) -> None:
    site = money_site
    outsider = await site.staff("finance_officer", "440106")
    page = await site.signed_in(outsider)
    response = await page.goto(f"/staff/payments/runs/440105/{MONTH}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    text = await page.locator("main").inner_text()
    assert "银行批次" not in text and "户数" not in text and "440105" not in text
    csv_response = await page.request.get(f"/staff/payments/disclosure.csv?county=440105&month={MONTH}")
    assert csv_response.status == 403 and "姓名" not in await csv_response.text()
    # Their own county's page opens (and lists none of 海珠区's runs).
    await page.goto("/staff/payments")
    await expect(page.get_by_role("heading", name="发放批次（县区 440106）")).to_be_visible()
    assert await accessibility_problems(page) == []
    # A clerk is no reader of runs at all.
    clerk = await site.signed_in("clerk_chigang")
    response = await clerk.goto("/staff/payments")
    assert response is not None and response.status == 403
    assert script_errors(site) == []


async def test_a_change_report_is_checked_beside_its_fields_and_a_resubmission_reports_once(
    money_site: Site, dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str
) -> None:
    site, n = money_site, number("CHG")
    await enrol(dev_env, sessions, task_queue, n, "何秀珍", start_month=START)
    page = await site.signed_in("inv_chigang_1")
    await page.goto(f"/staff/beneficiaries/{n}")
    form = page.locator("form", has=page.get_by_role("button", name="提交报告"))
    await form.get_by_label("变化情况").select_option("member_death")
    await form.get_by_label("情况说明").fill("病故")  # shorter than the domain's four characters
    await form.get_by_label("发生日期").fill("2026-11-18")
    await form.get_by_role("button", name="提交报告").click()
    described = page.locator(".field.invalid", has=page.get_by_label("情况说明"))
    await expect(described.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_label("发生日期")).to_have_value("2026-11-18")  # kept
    assert await accessibility_problems(page) == []

    form = page.locator("form", has=page.get_by_role("button", name="提交报告"))
    await form.get_by_label("情况说明").fill("户主之母于本月病故")
    sent = {
        "csrf_token": await form.locator("input[name=csrf_token]").input_value(),
        "form_key": await form.locator("input[name=form_key]").input_value(),
        "kind": "member_death", "description": "户主之母于本月病故", "occurred_on": "2026-11-18",
    }  # fmt: skip
    await form.get_by_role("button", name="提交报告").click()
    await expect(page.get_by_role("status")).to_contain_text("情况变化报告已登记")
    # The same form sent again (a reload's resubmission, a second click): one report.
    again = await page.request.post(
        f"/staff/beneficiaries/{n}/changes", form=sent, headers={"Origin": site.url}, max_redirects=0
    )
    assert again.status == 303

    async def reported() -> list[BeneficiaryEvent] | None:
        async with sessions() as session:
            rows = list(
                await session.scalars(
                    select(BeneficiaryEvent).where(
                        BeneficiaryEvent.application_number == n, BeneficiaryEvent.kind == "change_reported"
                    )
                )
            )
        return rows or None

    assert len(await eventually(reported, within=30)) == 1
    await page.goto(f"/staff/beneficiaries/{n}")
    await expect(page.locator(".timeline")).to_contain_text("户主之母于本月病故")
    await expect(page.get_by_role("heading", name="在办事项")).to_be_visible()
    await expect(page.get_by_role("link", name="家庭情况变化复核")).to_be_visible()
    assert script_errors(site) == []


async def test_the_county_approver_and_the_supervisor_read_the_runs_and_finance_pages_fit_a_phone(
    money_site: Site,
) -> None:
    site = money_site
    for reader in ("approver_haizhu", "supervisor_haizhu"):
        page = await site.signed_in(reader)
        await page.goto("/staff/payments")
        await expect(page.get_by_role("heading", name="发放批次（县区 440105）")).to_be_visible()
        await expect(page.get_by_role("button", name="启动发放")).to_have_count(0)  # finance only
        await expect(page.get_by_role("link", name="发放失败待处理")).to_have_count(0)
        assert await accessibility_problems(page) == []
        response = await page.goto("/staff/payments/failed")
        assert response is not None and response.status == 403
    phone = await site.signed_in("finance_haizhu", width=390, height=844)
    for path in ("/staff/payments", "/staff/payments/failed", f"/staff/payments/disclosure?month={MONTH}"):
        await phone.goto(path)
        assert await fits_the_phone(phone), path
        assert await accessibility_problems(phone) == [], path
    assert script_errors(site) == []
