"""One 低保 case walked through the pages by the demo accounts of five roles, as a township would:
受理 (clerk) → 入户调查, with the departments' data check running beside it (investigator) → 民主评议
and 初审意见 (township reviewer) → 7 working days of 公示 → 县级审批 (county approver) → the household
on the roster (finance officer).

The case runs on the **time-skipping test server** behind the pages (`ts_site`): the publicity's
timer is passed with `env.sleep`, the way a week of waiting would pass; everything else is done by
clicking. Only the demo accounts and the pages are used — no API call, no database write.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.async_api import Page, expect

from tests.e2e.support import eventually, waiting_on
from tests.factories import id_number
from tests.web.conftest import Site, accessibility_problems, screenshot
from tests.web.test_intake_pages import fill_applicant, fill_member, number_on
from tests.web.test_task_pages import HOME_VISIT, open_outcome, outcome_form, submitted

REVIEW_PEOPLE = (
    ("陈主任", "村（居）委会成员"),
    ("林委员", "村（居）委会成员"),
    ("党员周", "党员代表"),
    ("居民吴", "居民代表"),
    ("居民郑", "居民代表"),
)


async def open_task_from_inbox(page: Page, number: str, task_label: str) -> None:
    """The inbox filtered by the case's number, then the task's own page, as staff click it."""
    await page.goto("/staff/tasks")
    await page.get_by_label("申请编号").fill(number)
    await page.get_by_role("button", name="筛选").click()
    await page.get_by_role("link", name=task_label).first.click()
    await expect(page.get_by_role("heading", name=task_label, level=1)).to_be_visible()


async def test_a_dibao_case_from_intake_to_the_roster_through_the_pages_of_five_roles(ts_site: Site) -> None:
    site = ts_site
    assert site.env is not None
    suffix = uuid.uuid4().int % 900 + 100
    applicant_id = id_number("440105", "19700315", suffix)
    spouse_id = id_number("440105", "19720620", (suffix + 1) % 1000)

    # 受理登记 — the intake clerk of 赤岗街道, every material provided.
    clerk = await site.signed_in("clerk_chigang")
    await clerk.goto("/staff/intake")
    number = await number_on(clerk)
    await fill_applicant(clerk, applicant_id, income="300")
    await fill_member(clerk, 1, "李秀英", spouse_id, "配偶", "0")
    materials = clerk.get_by_role("group", name="申请材料（城乡低保）")
    for box in await materials.get_by_role("checkbox").all():
        await box.check()
    await clerk.get_by_role("button", name="保存受理").click()
    await expect(clerk.get_by_role("heading", name="受理登记完成")).to_be_visible()

    # 入户调查 — the investigator, on a phone at the door; a doubt found sends it to 民主评议.
    await waiting_on(site.sessions, number, "home_visit")
    investigator = await site.signed_in("inv_chigang_1", width=390, height=844)
    await open_task_from_inbox(investigator, number, "入户调查")
    await investigator.get_by_label("第1人").fill("李建华")
    await investigator.get_by_label("第2人").fill("黄丽娟")
    for label, value in HOME_VISIT.items():
        await investigator.get_by_label(label).fill(value)
    await investigator.get_by_label("核实的家庭月收入（元）").fill("300")
    await investigator.get_by_label("调查中发现争议或存疑（需民主评议）").check()
    await investigator.get_by_role("button", name="提交：已完成").click()
    await expect(investigator.get_by_role("status")).to_contain_text("该待办已办结")

    # 民主评议 and 初审意见 — the township reviewer.
    await waiting_on(site.sessions, number, "democratic_review")
    reviewer = await site.signed_in("reviewer_chigang")
    await open_task_from_inbox(reviewer, number, "民主评议")
    for i, (name, capacity) in enumerate(REVIEW_PEOPLE):
        await reviewer.get_by_label(f"第{i + 1}位参会人员姓名").fill(name)
        await reviewer.get_by_label(f"第{i + 1}位参会人员身份").select_option(label=capacity)
    await reviewer.get_by_label("赞成票").fill("5")
    await reviewer.get_by_label("反对票").fill("0")
    await reviewer.get_by_label("评议记录").fill("经民主评议，认为申请家庭收入情况属实，同意申请")
    await reviewer.get_by_label("会议录音录像档案编号").fill("LX-2026-1201")
    await reviewer.get_by_role("button", name="提交：已完成").click()
    await expect(reviewer.get_by_role("status")).to_contain_text("该待办已办结")

    await waiting_on(site.sessions, number, "township_opinion")
    await open_task_from_inbox(reviewer, number, "乡镇初审意见")
    details = await open_outcome(reviewer, "建议批准")
    await details.get_by_label("初审意见").fill(
        "经入户调查和民主评议，家庭人均收入低于当地低保标准，建议批准"
    )
    await details.get_by_label("低保分类管理类别").select_option("B")
    await submitted(site, reviewer, details, "建议批准")

    # 公示 — on the township's notice now; seven working days pass on the server's clock.
    await reviewer.goto("/staff/publicity")
    notice = reviewer.locator("main")
    await expect(notice).to_contain_text(f"{applicant_id[:4]}**********{applicant_id[-4:]}")  # masked
    await expect(notice).not_to_contain_text(applicant_id)
    await expect(notice).not_to_contain_text("张小明")
    await site.env.sleep(timedelta(days=12))

    # 县级审批 — the county approver, with the file beside the decision.
    await waiting_on(site.sessions, number, "county_approval")
    approver = await site.signed_in("approver_haizhu")
    await open_task_from_inbox(approver, number, "县级审批")
    details = await open_outcome(approver, "批准")
    await details.get_by_label("审批意见").fill("符合城乡低保条件，同意纳入保障")
    await details.get_by_label("我已核对，确认提交").check()
    approver.on("dialog", lambda dialog: dialog.accept())
    await submitted(site, approver, outcome_form(approver, "批准"), "批准")
    await approver.goto(f"/staff/cases/{number}")
    await expect(approver.locator("main")).to_contain_text("公示")
    assert await accessibility_problems(approver) == []
    await screenshot(approver, "walkthrough-case-approved")

    # 救助对象 — the household on the county's roster, as the finance officer sees it.
    finance = await site.signed_in("finance_haizhu")

    async def on_roster() -> bool:
        await finance.goto("/staff/beneficiaries")
        return number in await finance.locator("main").inner_text()

    await eventually(on_roster, within=60)
    await finance.get_by_role("link", name=re.compile(number)).first.click()
    await expect(finance.locator("main")).to_contain_text("张*明")
    await expect(finance.locator("main")).not_to_contain_text(applicant_id)
    assert await accessibility_problems(finance) == []
    assert site.console == []
