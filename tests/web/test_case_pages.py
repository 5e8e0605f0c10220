"""案件 and 公示 in a real browser: the case page of a case filed through the JSON API (stage bar,
limits, timeline, open tasks, masked household), the search's filters, another county's approver
refused with nothing of the case shown, 查看完整信息 audited and refused to a role that may not,
case actions with field errors first and a stale page's 409, the printable publicity notice."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect
from sqlalchemy import select

from infra.models import AuditEntry, CaseEvent, DeadlineBreach
from tests.e2e.support import eventually, file_complete_case, login, verification_tasks
from tests.factories import application_payload, id_number, store_application
from tests.web.conftest import Site, accessibility_problems, screenshot

APPLICANT = "张小明"  # tests/factories.application_payload's applicant
MASKED = "张*明"


async def _filed_case(site: Site) -> tuple[str, str]:
    """A 低保 case filed at the window through the JSON API, waiting on its home visit."""
    number = f"440105-W{uuid.uuid4().hex[:10].upper()}"
    async with site.http() as api:
        await file_complete_case(api, await login(api, "clerk_chigang"), number)
        tasks = await verification_tasks(api, site.sessions, number)
    return number, tasks["home_visit"].task_id


def script_errors(site: Site) -> list[str]:
    """The console's errors but Chromium's note on a page answered 403/409/422 on purpose."""
    expected = re.compile(r"^Failed to load resource: the server responded with a status of (403|409|422) ")
    return [m for m in site.console if not expected.match(m)]


async def _no_overflow(page: Page) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    viewport: int = await page.evaluate("window.innerWidth")
    return width <= viewport


async def test_the_case_page_shows_stage_bar_limits_timeline_and_open_tasks_masked(site: Site) -> None:
    number, visit = await _filed_case(site)
    page = await site.signed_in("reviewer_chigang")
    await page.goto(f"/staff/cases/{number}")
    await expect(page.get_by_role("heading", name=f"案件 {number}", level=1)).to_be_visible()
    # The stage bar of 城乡低保 (democratic review "always" in the seed county), at verification.
    bar = page.locator(".stagebar")
    await expect(bar.locator(".step .label")).to_have_text(
        ["受理", "家庭经济状况核查", "民主评议", "乡镇初审意见", "公示", "县级审批", "已批准"]
    )
    await expect(bar.locator('[aria-current="step"] .label')).to_have_text("家庭经济状况核查")
    # Every limit with its last day as a date, its state and the working days left.
    limits = page.locator("section[aria-labelledby=h-limits] table").first
    whole = limits.locator("tr", has_text="全流程办结时限")
    await expect(whole.locator("td").nth(1)).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    await expect(whole).to_contain_text(re.compile(r"进行中"))
    await expect(whole).to_contain_text(re.compile(r"剩余\d+个工作日|今日到期"))
    # The open task links to its own page; the timeline is the case's archive.
    task_link = page.get_by_role("link", name="入户调查")
    await expect(task_link).to_have_attribute("href", f"/staff/tasks/{visit}")
    timeline = page.locator(".timeline")
    await expect(timeline).to_contain_text("登记申请：城乡低保，家庭2人")
    await expect(timeline).to_contain_text("材料齐全，正式受理")
    # Household data masked; the reviewer may withdraw on the applicant's behalf, not object now.
    household = page.locator("section[aria-labelledby=h-household]")
    await expect(household).to_contain_text(MASKED)
    assert APPLICANT not in await page.content()
    await expect(page.get_by_role("heading", name="登记申请人撤回申请")).to_be_visible()
    await expect(page.get_by_role("heading", name="登记公示异议")).to_have_count(0)
    assert await accessibility_problems(page) == []
    await screenshot(page, "case")

    phone = await site.signed_in("inv_chigang_1", width=390, height=844)
    await phone.goto(f"/staff/cases/{number}")
    await expect(phone.get_by_role("link", name="入户调查")).to_be_visible()
    assert await _no_overflow(phone)
    assert await accessibility_problems(phone) == []
    await screenshot(phone, "case-phone")
    assert site.console == []


def _unique_name() -> tuple[str, str]:
    """A name whose masked form no other test's case shows (the last character is kept)."""
    last = chr(0x4E00 + uuid.uuid4().int % 20000)
    return f"欧阳小{last}", f"欧**{last}"


async def _stored_cases(site: Site, prefix: str, name: str = "欧阳小明") -> None:
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    await store_application(site.sessions, f"{prefix}-1", at, stage="verification")
    await store_application(site.sessions, f"{prefix}-2", at + timedelta(days=1), stage="publicity",
                            assistance_type="tekun", applicant_name=name)  # fmt: skip
    await store_application(site.sessions, f"{prefix}-3", at + timedelta(days=2), stage="verification",
                            township_code="440105002", community_code="440105002001")  # fmt: skip
    async with site.sessions.begin() as session:
        session.add(
            DeadlineBreach(
                application_number=f"{prefix}-1", limit_name="verification_start", deadline=at, breached_at=at,
                stage="verification", county_code="440105", township_code="440105001",
            )
        )  # fmt: skip
        session.add(
            CaseEvent(
                application_number=f"{prefix}-2", seq=1, at=at + timedelta(days=1), kind="publicity",
                stage="publicity", summary="第1轮公示", data={"ends_at": (at + timedelta(days=10)).isoformat()},
            )
        )  # fmt: skip


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def test_the_search_filters_by_number_stage_type_region_and_overdue(site: Site) -> None:
    prefix = f"Q{uuid.uuid4().hex[:9].upper()}"
    await _stored_cases(site, prefix)
    page = await site.signed_in("approver_haizhu")
    await page.goto("/staff/cases")
    await expect(page.get_by_role("heading", name="案件查询", level=1)).to_be_visible()
    # A number pasted in full-width characters is the same number.
    await page.get_by_label("申请编号").fill(_full_width(prefix))
    await page.get_by_role("button", name="查询").click()
    rows = page.locator("table.responsive tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text(f"{prefix}-3")  # newest accepted first
    await expect(page.get_by_text("欧**明")).to_be_visible()
    assert "欧阳小明" not in await page.content()
    assert await accessibility_problems(page) == []
    await screenshot(page, "case-search")

    await page.get_by_label("阶段").select_option("publicity")
    await page.get_by_role("button", name="查询").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(f"{prefix}-2")
    await page.get_by_label("阶段").select_option("")
    await page.get_by_label("救助类型").select_option("tekun")
    await page.get_by_role("button", name="查询").click()
    await expect(rows).to_have_count(1)
    await page.get_by_label("救助类型").select_option("")
    await page.get_by_label("地区").select_option("440105002")
    await page.get_by_role("button", name="查询").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(f"{prefix}-3")
    await page.get_by_label("地区").select_option("")
    await page.get_by_label("只看曾超期的案件").check()
    await page.get_by_role("button", name="查询").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(f"{prefix}-1")
    await expect(rows.first).to_contain_text("曾超期")
    assert "overdue=1" in page.url and "欧" not in page.url  # codes only in the URL

    phone = await site.signed_in("reviewer_chigang", width=390, height=844)
    await phone.goto(f"/staff/cases?number={prefix}")
    await expect(phone.locator("table.responsive tbody tr")).to_have_count(2)  # their township only
    assert await _no_overflow(phone)
    assert site.console == []


async def test_another_countys_approver_gets_the_403_page_with_nothing_of_the_case(site: Site) -> None:
    number = f"440105-X{uuid.uuid4().hex[:10].upper()}"
    applicant_id = id_number(seq=333)
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    await store_application(site.sessions, number, at, stage="verification", applicant_name="司马光明",
                            applicant_id_number=applicant_id, applicant_phone="13900001111")  # fmt: skip
    page = await site.signed_in("approver_tianhe")
    response = await page.goto(f"/staff/cases/{number}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="无权访问", level=1)).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("不在您的管辖范围内")
    html = await page.content()
    for leaked in (
        "司马光明",
        "司**明",
        applicant_id,
        applicant_id[-4:],
        "1390",
        "赤岗",
        "城乡低保",
        "家庭经济状况核查",
    ):
        assert leaked not in html, leaked
    assert await accessibility_problems(page) == []
    # Nor through the personal-data button's address, nor the search with 海珠区 as its region.
    token = await page.locator("input[name=csrf_token]").first.input_value()
    forged = await page.request.post(
        f"/staff/cases/{number}/personal-data", form={"csrf_token": token}, headers={"Origin": site.url}
    )
    assert forged.status == 403 and "司马光明" not in await forged.text()
    searched = await page.goto("/staff/cases?region=440105")
    assert searched is not None and searched.status == 403
    assert script_errors(site) == []


async def _audit_reads(site: Site, username: str, number: str) -> list[AuditEntry]:
    async with site.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.application_number == number,
                    AuditEntry.actor_username == username,
                    AuditEntry.action == "personal_data.read",
                )
            )
        )


async def test_the_full_record_is_shown_after_a_post_audited_and_refused_to_the_township_head(
    site: Site,
) -> None:
    number, _ = await _filed_case(site)
    async with site.http() as api:
        case = await api.get(f"/api/v1/applications/{number}", headers=await login(api, "approver_haizhu"))
    masked_id = case.json()["applicant_id_number_masked"]
    applicant_id = application_payload(number)["applicant"]["id_number"]
    page = await site.signed_in("reviewer_chigang")
    await page.goto(f"/staff/cases/{number}")
    await expect(page.get_by_text(applicant_id)).to_have_count(0)
    await page.get_by_role("button", name="查看完整信息").click()
    await expect(page.get_by_role("heading", name=f"完整个人信息 · {number}")).to_be_visible()
    await expect(page.get_by_text(applicant_id).first).to_be_visible()
    await expect(page.get_by_text(APPLICANT).first).to_be_visible()
    await expect(page.get_by_text("李秀英")).to_be_visible()  # the members too
    await expect(page.get_by_role("status")).to_contain_text("已记入审计日志")
    assert applicant_id not in page.url and number in page.url  # a POST's answer: nothing new in the URL
    assert await accessibility_problems(page) == []
    await screenshot(page, "case-personal-data")
    reads = await eventually(lambda: _audit_reads(site, "reviewer_chigang", number))
    assert [(r.outcome, r.status_code) for r in reads] == [("ok", 200)]

    head = await site.signed_in("head_chigang")  # works with the masked forms (domain/masking.py)
    await head.goto(f"/staff/cases/{number}")
    await expect(head.get_by_text(masked_id)).to_be_visible()
    await expect(head.get_by_role("button", name="查看完整信息")).to_have_count(0)
    token = await head.locator("input[name=csrf_token]").first.input_value()
    forged = await head.request.post(
        f"/staff/cases/{number}/personal-data", form={"csrf_token": token}, headers={"Origin": site.url}
    )
    assert forged.status == 403
    body = await forged.text()
    assert "无权查看申请人的完整个人信息" in body and applicant_id not in body and APPLICANT not in body
    refusals = await eventually(lambda: _audit_reads(site, "head_chigang", number))
    assert [(r.outcome, r.status_code) for r in refusals] == [("refused", 403)]
    assert script_errors(site) == []


async def test_a_withdrawal_through_the_page_shows_the_field_error_first_then_a_stale_page_gets_409(
    site: Site,
) -> None:
    number, _ = await _filed_case(site)
    stale = await site.signed_in("reviewer_chigang")
    await stale.goto(f"/staff/cases/{number}")  # opened before the clerk acts
    page = await site.signed_in("clerk_chigang")
    await page.goto(f"/staff/cases/{number}")
    form = page.locator("form", has=page.get_by_role("heading", name="登记申请人撤回申请"))
    await form.get_by_label("撤回原因").fill("走")  # one character: the API asks for two
    await form.get_by_label("我已核对，确认提交").check()
    page.once("dialog", lambda d: d.accept())  # app.js asks once more (data-confirm)
    await form.get_by_role("button", name="登记撤回").click()
    form = page.locator("form", has=page.get_by_role("heading", name="登记申请人撤回申请"))
    error = form.locator(".field-error")
    await expect(error).to_contain_text("2")
    await expect(form.get_by_label("撤回原因")).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_label("撤回原因")).to_have_value("走")  # what was typed stays
    assert await accessibility_problems(page) == []
    await form.get_by_label("撤回原因").fill("申请人已外出务工，主动撤回申请")
    await form.get_by_label("我已核对，确认提交").check()
    page.once("dialog", lambda d: d.accept())
    await form.get_by_role("button", name="登记撤回").click()
    await expect(page.get_by_role("status").first).to_contain_text("已登记撤回")
    assert "外出务工" not in page.url

    async def withdrawn() -> bool:
        await page.reload()
        return "已撤回" in await page.locator(".case-meta").inner_text()

    await eventually(withdrawn)
    await expect(page.locator(".timeline")).to_contain_text(
        "申请人撤回申请。原因：申请人已外出务工，主动撤回申请"
    )
    await expect(page.get_by_role("heading", name="登记申请人撤回申请")).to_have_count(0)

    # The reviewer's page still offers the withdrawal: the workflow refuses it (409) with a refresh.
    form = stale.locator("form", has=stale.get_by_role("heading", name="登记申请人撤回申请"))
    await form.get_by_label("撤回原因").fill("申请人电话告知撤回")
    await form.get_by_label("我已核对，确认提交").check()
    stale.once("dialog", lambda d: d.accept())
    await form.get_by_role("button", name="登记撤回").click()
    alert = stale.locator(".conflict")
    await expect(alert).to_be_visible()
    await expect(alert.get_by_role("link", name="刷新")).to_have_attribute("href", f"/staff/cases/{number}")
    assert await accessibility_problems(stale) == []
    assert script_errors(site) == []


async def test_the_publicity_notice_lists_the_townships_cases_masked_and_prints_on_a4(site: Site) -> None:
    # A case stored in publicity with its publicity event (the workflow's, as record_event writes
    # it): walking a case there through five roles is the walkthrough test's job. Without a
    # running workflow the proposed amount prints as "—".
    prefix = f"G{uuid.uuid4().hex[:9].upper()}"
    name, masked = _unique_name()
    await _stored_cases(site, prefix, name)
    page = await site.signed_in("reviewer_chigang")
    await page.goto("/staff/publicity")
    await expect(page.get_by_role("heading", name="公示", level=1)).to_be_visible()
    sheet = page.locator("article.notice-sheet", has_text="赤岗街道社会救助审核确认公示")
    row = sheet.locator("tr", has_text=masked)
    await expect(row).to_contain_text("特困人员供养")
    await expect(row).to_contain_text("2026-11-03 至 2026-11-12")
    await expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^\d{4}\*+\d{3}[\dX]$"))
    await expect(sheet).to_contain_text("异议渠道")
    html = await page.content()
    assert name not in html and f"{prefix}-1" not in html  # only cases in publicity
    assert await accessibility_problems(page) == []
    await screenshot(page, "publicity")
    # On paper (A4 at 96 dpi is 794 px wide): no navigation, nothing wider than the sheet.
    await page.set_viewport_size({"width": 794, "height": 1123})
    await page.emulate_media(media="print")
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.locator(".screen-only")).to_be_hidden()
    await expect(row).to_be_visible()
    assert await _no_overflow(page)
    pdf = await page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    phone = await site.signed_in("head_chigang", width=390, height=844)
    await phone.goto("/staff/publicity")
    await expect(phone.locator("tr", has_text=masked)).to_be_visible()
    assert await _no_overflow(phone)
    # Other roles have no notice to print.
    clerk = await site.signed_in("clerk_chigang")
    response = await clerk.goto("/staff/publicity")
    assert response is not None and response.status == 403
    assert script_errors(site) == []


async def test_a_case_saved_during_an_outage_shows_the_workflow_pending_and_offers_no_action(
    site: Site,
) -> None:
    number = f"440105-N{uuid.uuid4().hex[:10].upper()}"
    await store_application(
        site.sessions, number, datetime(2026, 11, 2, 2, tzinfo=UTC), workflow_pending=True
    )
    page = await site.signed_in("clerk_chigang")
    await page.goto(f"/staff/cases/{number}")
    await expect(page.locator(".case-meta")).to_contain_text("流程待启动")
    await expect(page.locator(".pending")).to_contain_text("系统将自动补启动流程")
    await expect(page.get_by_role("heading", name="案件操作")).to_have_count(0)
    await expect(page.locator('.stagebar [aria-current="step"] .label')).to_have_text("受理")
    await page.goto(f"/staff/cases?number={number}")
    await expect(page.locator("table.responsive tbody tr")).to_contain_text("流程待启动")
    assert await accessibility_problems(page) == []
    assert site.console == []


async def _audited_actions(site: Site, number: str, action: str) -> list[tuple[str, int, str]]:
    async with site.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.application_number == number, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [(r.outcome, r.status_code, str(r.detail.get("code", ""))) for r in rows]


async def test_an_extension_twice_submitted_with_the_same_form_extends_once_and_is_audited(
    site: Site,
) -> None:
    number, _ = await _filed_case(site)
    page = await site.signed_in("approver_haizhu")
    await page.goto(f"/staff/cases/{number}")
    form = page.locator("form", has=page.get_by_role("heading", name="延长全流程办结时限"))
    await form.get_by_label("延长理由").fill("调查")  # two characters: an extension asks for four
    await form.get_by_label("我已核对，确认提交").check()
    page.once("dialog", lambda d: d.accept())
    await form.get_by_role("button", name="延长时限").click()
    form = page.locator("form", has=page.get_by_role("heading", name="延长全流程办结时限"))
    await expect(form.locator(".field-error")).to_contain_text("4")
    # The same form sent twice (a double click past app.js, a browser's resend): one extension.
    key = await form.locator("input[name=form_key]").input_value()
    token = await form.locator("input[name=csrf_token]").input_value()
    body = {"csrf_token": token, "form_key": key, "text": "需跨地区核查家庭财产", "confirm": "yes"}
    url = f"/staff/cases/{number}/actions/extend"
    for _ in range(2):
        sent = await page.request.post(url, form=body, headers={"Origin": site.url}, max_redirects=0)
        assert sent.status == 303, await sent.text()
        assert sent.headers["location"] == f"/staff/cases/{number}?done=extend"
    await page.goto(f"/staff/cases/{number}?done=extend")
    await expect(page.get_by_role("status").first).to_contain_text("全流程办结时限已延长")
    await expect(page.get_by_role("heading", name="延长全流程办结时限")).to_have_count(0)  # once only
    extended = page.locator(".timeline li", has_text="延长")
    await expect(extended).to_have_count(1)
    # Audited as the API's route is, the refused first attempt included.
    assert await _audited_actions(site, number, "application.extend") == [
        ("refused", 422, "validation_error"), ("ok", 200, ""), ("ok", 200, ""),
    ]  # fmt: skip
    assert script_errors(site) == []


async def test_a_forged_case_action_by_a_role_that_may_not_take_it_is_the_403_page(site: Site) -> None:
    number = f"440105-F{uuid.uuid4().hex[:10].upper()}"
    await store_application(site.sessions, number, datetime(2026, 11, 2, 2, tzinfo=UTC), stage="verification")
    page = await site.signed_in("inv_chigang_1")  # no withdrawal form on the investigator's page
    await page.goto(f"/staff/cases/{number}")
    await expect(page.get_by_role("heading", name="登记申请人撤回申请")).to_have_count(0)
    token = await page.locator("input[name=csrf_token]").first.input_value()
    body = {"csrf_token": token, "form_key": str(uuid.uuid4()), "text": "申请人主动撤回", "confirm": "yes"}
    sent = await page.request.post(
        f"/staff/cases/{number}/actions/withdraw", form=body, headers={"Origin": site.url}, max_redirects=0
    )
    assert sent.status == 403
    assert "此操作仅限受理窗口人员、乡镇审核人员" in await sent.text()
    assert await _audited_actions(site, number, "application.withdraw") == [("refused", 403, "forbidden")]


async def test_a_search_by_id_number_is_posted_shows_field_errors_and_is_audited(site: Site) -> None:
    applicant = id_number(birth="19660606", seq=int(uuid.uuid4().int % 1000))
    number = f"440105-I{uuid.uuid4().hex[:10].upper()}"
    await store_application(
        site.sessions, number, datetime(2026, 11, 2, 2, tzinfo=UTC), applicant_id_number=applicant
    )
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/cases")
    wrong = applicant[:-1] + ("0" if applicant[-1] != "0" else "1")
    await page.get_by_label("申请人身份证号").fill(wrong)
    await page.get_by_role("button", name="查找").click()
    await expect(page.locator("#e-id_number")).to_contain_text("校验位错误")
    await expect(page.get_by_label("申请人身份证号")).to_have_attribute("aria-invalid", "true")
    assert await accessibility_problems(page) == []
    await page.get_by_label("申请人身份证号").fill(applicant)
    await page.get_by_role("button", name="查找").click()
    await expect(page.get_by_role("heading", name=re.compile("身份证号查找结果"))).to_be_visible()
    await expect(page.locator("table.responsive tbody tr")).to_have_count(1)
    await expect(page.locator("table.responsive tbody tr")).to_contain_text(number)
    assert applicant not in page.url and applicant not in await page.content()  # not echoed either
    async with site.sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.actor_username == "clerk_chigang",
                    AuditEntry.action == "application.search_by_id",
                )
            )
        )
    assert [(e.outcome, e.status_code) for e in entries][-2:] == [("refused", 422), ("ok", 200)]
    assert all(applicant not in str(e.detail) and wrong not in str(e.detail) for e in entries)
    head = await site.signed_in("head_chigang")
    await head.goto("/staff/cases")
    await expect(head.get_by_label("申请人身份证号")).to_have_count(0)
    assert script_errors(site) == []
