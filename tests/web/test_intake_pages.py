"""受理登记 in a real browser: a clerk files cases of several types (members added and removed, the
policy's checklist, 告知承诺), sees the confirmation and prints the 一次性告知书; errors of the API's own
model stand beside their fields; a double click or a resent form files one case; a clerk cannot
file for a village outside their jurisdiction, whatever a forged form says."""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from typing import Any

from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select

from infra.models import Application
from infra.seed import DEMO_PASSWORD
from tests.e2e.addresses import unique_ip
from tests.e2e.support import count_rows, events_of, login
from tests.factories import application_payload, id_number, pii_vault, with_wrong_check_char
from tests.web.conftest import Site, accessibility_problems, screenshot, sign_in

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def unique_id(region: str = "440105") -> str:
    """An ID number no other test files (a birth date and sequence of its own)."""
    birth = f"{random.randint(1950, 1999)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    return id_number(region, birth, random.randint(0, 999))


def script_errors(site: Site) -> list[str]:
    """Script errors and CSP violations; not Chromium's note of a page answered 4xx (a refused or
    invalid form comes back as its page with 403/422, on purpose)."""
    return [m for m in site.console if not m.startswith("Failed to load resource: the server responded")]


async def cases_of(site: Site, applicant_id: str) -> list[Application]:
    digest = pii_vault().digest(applicant_id)
    async with site.sessions() as session:
        return list(
            await session.scalars(select(Application).where(Application.applicant_id_number_digest == digest))
        )


async def number_on(page: Page) -> str:
    return (await page.locator("input[name=application_number]").get_attribute("value")) or ""


async def fill_applicant(page: Page, applicant_id: str, income: str = "500", name: str = "张小明") -> None:
    await page.get_by_label("申请人户籍（居住）所在村（社区）").select_option(label="赤岗街道 · 赤岗社区")
    applicant = page.get_by_role("group", name="申请人")
    await applicant.get_by_label("姓名").fill(name)
    await applicant.get_by_label("身份证号码").fill(applicant_id)
    await applicant.get_by_label("联系电话").fill("13812345678")
    await applicant.get_by_label("月收入（元）").fill(income)
    await page.locator("#f-reason").fill("家庭主要劳动力因病失业，无稳定收入")


async def fill_member(page: Page, n: int, name: str, member_id: str, relation: str, income: str) -> None:
    row = page.get_by_role("group", name=f"成员{n}", exact=True)
    await row.get_by_label("姓名").fill(name)
    await row.get_by_label("身份证号码").fill(member_id)
    await row.get_by_label("与申请人关系").select_option(label=relation)
    await row.get_by_label("月收入（元）").fill(income)


async def no_script_context(site: Site) -> BrowserContext:
    context = await site.browser.new_context(
        base_url=site.url,
        viewport={"width": 1366, "height": 768},
        locale="zh-CN",
        java_script_enabled=False,
        extra_http_headers={"X-Forwarded-For": unique_ip()},
    )
    site.contexts.append(context)
    return context


async def test_a_clerk_files_a_dibao_case_with_two_members_and_prints_the_notice(site: Site) -> None:
    page = await site.signed_in("clerk_chigang")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="受理登记").click()
    await expect(page.get_by_role("heading", name="受理登记", level=1)).to_be_visible()
    number = await number_on(page)
    applicant_id, spouse_id, child_id = unique_id(), unique_id(), unique_id()
    await fill_applicant(page, applicant_id)
    await fill_member(page, 1, "李秀英", spouse_id, "配偶", "0")
    # In place (htmx): a second row, the first one's values kept; then removed again.
    await page.get_by_role("button", name="添加成员").click()
    await expect(page.get_by_role("group", name="成员2", exact=True)).to_be_visible()
    await expect(page.get_by_role("group", name="成员1", exact=True).get_by_label("姓名")).to_have_value(
        "李秀英"
    )
    await fill_member(page, 2, "张小军", child_id, "子女", "0")
    await page.get_by_role("button", name="删除成员2").click()
    await expect(page.get_by_role("group", name="成员2", exact=True)).to_have_count(0)
    spouse = page.get_by_role("group", name="成员1", exact=True)
    await expect(spouse.get_by_label("身份证号码")).to_have_value(spouse_id)
    await expect(spouse.get_by_label("与申请人关系")).to_have_value("spouse")
    await expect(page.get_by_role("group", name="申请人").get_by_label("身份证号码")).to_have_value(
        applicant_id
    )
    assert await number_on(page) == number  # the same application throughout
    # The 低保 checklist is the policy's (defaults in config/policies.toml), not the page's.
    materials = page.get_by_role("group", name="申请材料（城乡低保）")
    for name in ("身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明"):
        await expect(materials.get_by_label(name)).to_be_visible()
    await materials.get_by_label("身份证明").check()
    await materials.get_by_label("户口簿").check()
    assert await accessibility_problems(page) == []
    await screenshot(page, "intake")
    await page.get_by_role("button", name="保存受理").click()

    await expect(page).to_have_url(re.compile(rf"/staff/intake/{number}$"))
    await expect(page.get_by_role("heading", name="受理登记完成")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text(number)
    await expect(page.get_by_text("张*明")).to_be_visible()
    assert applicant_id not in await page.content()
    await expect(page.get_by_role("link", name="查看案件")).to_have_attribute(
        "href", f"/staff/cases/{number}"
    )
    assert await accessibility_problems(page) == []
    [case] = await cases_of(site, applicant_id)
    assert (case.application_number, case.household_size, case.assistance_type) == (number, 2, "dibao")

    await page.get_by_role("link", name="打印一次性告知书").click()
    await expect(page).to_have_url(re.compile(rf"/staff/intake/{number}/notice$"))
    sheet = page.locator("article.notice-sheet")
    await expect(sheet.get_by_role("heading", name="社会救助申请一次性告知书")).to_be_visible()
    missing = sheet.locator("ol.missing li")
    await expect(missing).to_have_text(["家庭收入情况说明", "家庭财产情况说明"])
    await expect(sheet).to_contain_text("赤岗街道社会救助受理窗口")
    await expect(sheet).to_contain_text("30个工作日")
    await expect(sheet).to_contain_text(f"{applicant_id[:4]}**********{applicant_id[-4:]}")
    html = await page.content()
    assert applicant_id not in html and "张小明" not in html and "13812345678" not in html
    # The workflow gives the same notice (its timeline entry lists the same materials).
    [notice_event] = await events_of(site.sessions, number, "materials_notice")
    assert notice_event.data["missing"] == ["家庭收入情况说明", "家庭财产情况说明"]
    assert await accessibility_problems(page) == []
    await screenshot(page, "intake-notice")
    await page.emulate_media(media="print")
    await expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    assert script_errors(site) == []


async def test_members_are_added_and_removed_without_javascript(site: Site) -> None:
    page = await (await no_script_context(site)).new_page()
    await sign_in(page, "clerk_chigang", DEMO_PASSWORD)
    await page.goto("/staff/intake")
    number = await number_on(page)
    applicant_id, member_id = unique_id(), unique_id()
    await fill_applicant(page, applicant_id)
    await fill_member(page, 1, "李秀英", member_id, "配偶", "１２００")
    await page.get_by_role("button", name="添加成员").click()  # a plain submit: the page comes back
    await expect(page.get_by_role("group", name="成员2", exact=True)).to_be_visible()
    await expect(
        page.get_by_role("group", name="成员1", exact=True).get_by_label("月收入（元）")
    ).to_have_value("１２００")
    await expect(page.get_by_role("group", name="申请人").get_by_label("姓名")).to_have_value("张小明")
    await page.get_by_role("button", name="删除成员1").click()
    await expect(page.get_by_role("group", name="成员2", exact=True)).to_have_count(0)
    await expect(page.get_by_role("group", name="成员1", exact=True).get_by_label("姓名")).to_have_value("")
    assert await number_on(page) == number
    assert "/staff/intake" == page.url.removeprefix(site.url)  # nothing personal went into a URL
    assert await cases_of(site, applicant_id) == []  # re-rendering files nothing


async def test_field_errors_stand_beside_their_fields(site: Site) -> None:
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/intake")
    applicant_id = unique_id()
    await fill_applicant(page, with_wrong_check_char(applicant_id))
    await fill_member(page, 1, "李秀英", unique_id(), "配偶", "-100")
    await page.get_by_role("button", name="保存受理").click()
    await expect(page.locator("#intake-alert")).to_contain_text("提交的内容有误")
    await expect(page.locator("#e-applicant-id_number")).to_contain_text("身份证号码校验位错误")
    await expect(page.locator("#f-applicant-id_number")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#e-members-0-income")).to_contain_text("月收入不能为负数")
    await expect(page.locator("#e-applicant-phone")).to_have_count(0)  # a right field stays quiet
    # A row named but without an ID number is a member with a missing field, not a blank row.
    await page.get_by_role("button", name="添加成员").click()
    await page.get_by_role("group", name="成员2", exact=True).get_by_label("姓名").fill("张小军")
    await page.get_by_role("button", name="保存受理").click()
    await expect(page.locator("#e-members-1-id_number")).to_contain_text("必填项缺失")
    await expect(page.locator("#f-members-0-income")).to_have_value("-100")  # values are kept
    assert await accessibility_problems(page) == []
    assert await cases_of(site, applicant_id) == []
    assert await cases_of(site, with_wrong_check_char(applicant_id)) == []
    assert script_errors(site) == []


async def test_a_double_click_files_one_case(site: Site) -> None:
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/intake")
    number = await number_on(page)
    applicant_id = unique_id()
    await fill_applicant(page, applicant_id)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    await page.get_by_role("button", name="保存受理").dblclick()
    await expect(page).to_have_url(re.compile(rf"/staff/intake/{number}$"))
    await expect(page.get_by_role("status")).to_contain_text(number)
    assert [c.application_number for c in await cases_of(site, applicant_id)] == [number]
    assert len(posts) >= 1  # app.js locks the button after the first; the server holds either way
    assert script_errors(site) == []


async def test_two_sends_of_the_same_form_at_once_file_one_case(site: Site) -> None:
    """The double click that gets past the button lock (app.js not loaded yet, two tabs of one
    form): both sends reach the server together and both land on the one case."""
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/intake")
    number = await number_on(page)
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    applicant_id = unique_id()

    async def send() -> tuple[int, str]:
        response = await page.context.request.post(
            "/staff/intake",
            form=_form(number, token or "", applicant_id),
            headers={"Origin": site.url, "Referer": f"{site.url}/staff/intake"},
            max_redirects=0,
        )
        return response.status, response.headers.get("location", "")

    answers = await asyncio.gather(send(), send())
    assert answers == [(303, f"/staff/intake/{number}")] * 2
    assert await count_rows(site.sessions, number) == 1
    assert len(await cases_of(site, applicant_id)) == 1


async def test_the_same_form_posted_again_without_javascript_files_one_case(site: Site) -> None:
    context = await no_script_context(site)
    page = await context.new_page()
    await sign_in(page, "clerk_chigang", DEMO_PASSWORD)
    await page.goto("/staff/intake")
    number = await number_on(page)
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    applicant_id = unique_id()
    await fill_applicant(page, applicant_id)
    await page.get_by_role("button", name="保存受理").click()
    await expect(page).to_have_url(re.compile(rf"/staff/intake/{number}$"))
    # The browser sends the very same form once more (a resend after a dropped answer, the
    # back button's "resubmit"): the same fields, the same application number.
    again = await context.request.post(
        "/staff/intake",
        form=_form(number, token or "", applicant_id),
        headers={"Origin": site.url, "Referer": f"{site.url}/staff/intake"},
        max_redirects=0,
    )
    assert again.status == 303 and again.headers["location"] == f"/staff/intake/{number}"
    assert await count_rows(site.sessions, number) == 1
    assert len(await cases_of(site, applicant_id)) == 1
    # The form changed (back button, edited) and sent under the same number: refused, not filed
    # as a second case nor over the first; the page links to the case already filed.
    changed = {**_form(number, token or "", applicant_id), "reason": "改过的申请理由"}
    conflict = await context.request.post(
        "/staff/intake",
        form=changed,
        headers={"Origin": site.url, "Referer": f"{site.url}/staff/intake"},
        max_redirects=0,
    )
    assert conflict.status == 409
    assert f'href="/staff/intake/{number}"' in await conflict.text()
    [case] = await cases_of(site, applicant_id)
    assert case.submission(pii_vault())["reason"] == "家庭主要劳动力因病失业，无稳定收入"


def _form(number: str, token: str, applicant_id: str, community: str = "440105001001") -> dict[str, Any]:
    return {
        "csrf_token": token,
        "application_number": number,
        "assistance_type": "dibao",
        "channel": "walk_in",
        "community_code": community,
        "applicant-name": "张小明",
        "applicant-id_number": applicant_id,
        "applicant-phone": "13812345678",
        "applicant-income": "500",
        "members-0-name": "",
        "members-0-id_number": "",
        "members-0-relation": "spouse",
        "members-0-income": "",
        "reason": "家庭主要劳动力因病失业，无稳定收入",
        "action": "save",
    }


async def test_a_clerk_cannot_file_for_a_village_outside_their_jurisdiction(site: Site) -> None:
    page = await site.signed_in("clerk_wushan")  # 五山街道, 天河区
    await page.goto("/staff/intake")
    villages = page.get_by_label("申请人户籍（居住）所在村（社区）")
    await expect(villages.locator("option")).to_have_text(
        ["请选择", "五山街道 · 华农社区", "五山街道 · 岑村村委会"]
    )
    number = await number_on(page)
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    applicant_id = unique_id()
    # A forged form naming a village of 海珠区 (赤岗社区).
    refused = await page.context.request.post(
        "/staff/intake",
        form=_form(number, token or "", applicant_id, community="440105001001"),
        headers={"Origin": site.url, "Referer": f"{site.url}/staff/intake"},
        max_redirects=0,
    )
    assert refused.status == 403
    text = await refused.text()
    assert "未保存" in text and "不在您的受理范围内" in text
    assert 'id="e-community_code"' in text
    assert await count_rows(site.sessions, number) == 0
    assert await cases_of(site, applicant_id) == []
    # Nor does the clerk read the notice of a 海珠区 case (filed through the JSON API).
    other = f"WEB-{uuid.uuid4().hex[:10]}"
    async with site.http() as api:
        clerk = await login(api, "clerk_chigang")
        filed = await api.post("/api/v1/applications", json=application_payload(other), headers=clerk)
        assert filed.status_code == 201, filed.text
    for path in (f"/staff/intake/{other}", f"/staff/intake/{other}/notice"):
        response = await page.goto(path)
        assert response is not None and response.status == 403
        await expect(page.get_by_role("alert")).to_contain_text("不在您的管辖范围内")
        assert "张*明" not in await page.content()


async def test_the_form_fits_a_390_px_phone(site: Site) -> None:
    page = await site.signed_in("clerk_chigang", width=390, height=844)
    await page.goto("/staff/intake")
    await expect(page.get_by_role("button", name="保存受理")).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert await accessibility_problems(page) == []
    await screenshot(page, "intake-phone")
    assert script_errors(site) == []


async def test_an_emergency_temporary_assistance_intake_with_full_width_digits(site: Site) -> None:
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/intake")
    number = await number_on(page)
    applicant_id = unique_id()
    # Pasted from a Chinese input method: full-width digits, which the API's model normalises.
    await fill_applicant(page, applicant_id.translate(FULL_WIDTH), income="８００")
    await page.get_by_label("救助类型").select_option(label="临时救助（急难型）")  # htmx: the checklist
    materials = page.get_by_role("group", name="申请材料（临时救助（急难型））")
    await expect(materials.get_by_role("checkbox")).to_have_count(1)
    await expect(materials.get_by_label("身份证明")).to_be_visible()
    await expect(page.get_by_role("group", name="申请人").get_by_label("姓名")).to_have_value("张小明")
    await page.get_by_label("受理方式").select_option(label="帮办代办（代理申请）")
    await page.get_by_label("代办人姓名").fill("王大妈")
    await page.get_by_label("与申请人关系或代办机构").fill("邻居")
    await page.get_by_role("button", name="保存受理").click()
    await expect(page).to_have_url(re.compile(rf"/staff/intake/{number}$"))
    [case] = await cases_of(site, applicant_id)  # stored as the ASCII number it is
    assert (case.assistance_type, case.channel) == ("temp_emergency", "proxy")
    await page.goto(f"/staff/intake/{number}/notice")
    await expect(page.locator("article")).to_contain_text("先行救助后 5个工作日内补齐")
    await expect(page.locator("ol.missing li")).to_have_text(["身份证明"])
    assert script_errors(site) == []


async def test_a_tekun_intake_with_the_commitment_and_a_staff_relative(site: Site) -> None:
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/intake?type=tekun")
    number = await number_on(page)
    applicant_id = unique_id()
    await fill_applicant(page, applicant_id, income="0", name="欧阳小明")
    materials = page.get_by_role("group", name="申请材料（特困人员供养）")
    await expect(materials.get_by_role("checkbox")).to_have_count(4)
    await materials.get_by_label("身份证明").check()
    await page.get_by_label("申请人已签署告知承诺书").check()
    await page.get_by_label("申请人是民政工作人员或村（社区）干部的近亲属", exact=False).check()
    await page.get_by_label("与该工作人员的关系").fill("兄弟")
    await page.get_by_label("该工作人员的单位和职务").fill("赤岗社区居委会委员")
    await page.get_by_role("button", name="保存受理").click()
    await expect(page).to_have_url(re.compile(rf"/staff/intake/{number}$"))
    [case] = await cases_of(site, applicant_id)
    assert (case.assistance_type, case.household_size) == ("tekun", 1)
    submission = case.submission(pii_vault())
    assert submission["staff_relative"] == {"relation": "兄弟", "staff_position": "赤岗社区居委会委员"}
    await page.get_by_role("link", name="打印一次性告知书").click()
    sheet = page.locator("article")
    await expect(sheet.locator("ol.missing li")).to_have_text(["无劳动能力证明", "生活自理能力评估表"])
    await expect(sheet).to_contain_text("无需提供：户口簿")
    await expect(sheet).to_contain_text("欧**明")
    assert await accessibility_problems(page) == []
    assert script_errors(site) == []


async def test_the_intake_pages_are_the_clerks(site: Site) -> None:
    page = await site.signed_in("approver_haizhu")
    response = await page.goto("/staff/intake")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("此页面仅限受理窗口人员")
    await expect(page.locator("form#intake-form")).to_have_count(0)


async def test_a_form_without_its_application_number_is_not_saved(site: Site) -> None:
    page = await site.signed_in("clerk_chigang")
    await page.goto("/staff/intake")
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    applicant_id = unique_id()
    form = {**_form("", token or "", applicant_id)}
    for _ in range(2):  # sent twice: under a number made per send it would be two cases
        answer = await page.context.request.post(
            "/staff/intake", form=form, headers={"Origin": site.url}, max_redirects=0
        )
        assert answer.status == 422 and "表单缺少申请编号" in await answer.text()
    assert await cases_of(site, applicant_id) == []
