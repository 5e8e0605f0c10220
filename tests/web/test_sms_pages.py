"""短信通知 on the case page: the household's choice about payment SMS, switched by the window with
a posted form (audited), shown to anyone on the case, and not offered to a role that may not set it."""

from __future__ import annotations

import uuid

from playwright.async_api import expect
from sqlalchemy import select

from infra.models import Application, AuditEntry
from tests.e2e.support import file_complete_case, login
from tests.web.conftest import Site


async def test_the_window_switches_payment_sms_off_and_on_from_the_case_page(site: Site) -> None:
    number = f"440105-S{uuid.uuid4().hex[:10].upper()}"
    async with site.http() as api:
        await file_complete_case(api, await login(api, "clerk_chigang"), number)
    page = await site.signed_in("clerk_chigang")
    await page.goto(f"/staff/cases/{number}")
    section = page.locator("section[aria-labelledby=h-sms]")
    await expect(section).to_contain_text("救助金到账短信：发送")
    await section.get_by_role("button", name="该户不接收到账短信").click()
    await expect(page.get_by_role("status")).to_contain_text("已保存该户的到账短信选择")
    await expect(section).to_contain_text("该户已选择不接收")
    async with site.sessions() as session:
        row = await session.scalar(select(Application).where(Application.application_number == number))
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "application.payment_sms", AuditEntry.target_id == number
            )
        )
    assert row is not None and row.payment_sms_opt_out is True
    assert audit is not None
    await section.get_by_role("button", name="恢复发送到账短信").click()
    await expect(section).to_contain_text("救助金到账短信：发送")

    investigator = await site.signed_in("inv_chigang_1")
    await investigator.goto(f"/staff/cases/{number}")
    sms = investigator.locator("section[aria-labelledby=h-sms]")
    await expect(sms).to_contain_text("救助金到账短信：发送")
    await expect(sms.get_by_role("button")).to_have_count(0)
