"""The public publicity pages (/public/publicity/…, no sign-in) and the reviewer's queue of the
objections sent from them (/staff/objections), in Debian's Chromium, on a phone first.

- The list shows a case in publicity with masked data only: the HTML is scanned for the full
  name, ID number, phone and application number of the case.
- An objection from a phone (code read from the SMS simulator's admin view, a photo attached)
  reaches the township reviewer, who registers it on the case (the case's timeline shows it and
  publicity stops); another is dismissed with a reason. The case is walked to publicity through
  the JSON API by the demo staff on the real dev server (tests/e2e/test_dibao_through_api.py).
- A forged form (no token, a foreign origin) is refused; a disguised (an executable named .jpg)
  or oversized file is refused beside its field and nothing is stored.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect
from sqlalchemy import select

from infra.models import AuditEntry, CaseEvent, PublicObjection
from infra.pii import make_pii_vault
from services.case_search import CaseSearch
from tests.e2e.support import eventually
from tests.e2e.test_dibao_through_api import MEMBERS, walk_to_publicity
from tests.factories import id_number, store_application
from tests.sms_sim import SmsSimulator
from tests.web.conftest import Site, accessibility_problems, screenshot

COMMUNITY = "440105001002"  # 珠江帝景社区: the stored cases here; the walked case is in 赤岗社区
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 8
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 4000  # a Windows program


def _unique_name() -> tuple[str, str]:
    last = chr(0x4E00 + uuid.uuid4().int % 20000)
    return f"司马小{last}", f"司**{last}"


def _phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def _stored_case(site: Site, name: str, applicant_id: str, phone: str) -> str:
    """A case stored in publicity with its publicity event (as the workflow writes them); no
    workflow behind it, so the proposed amount shows as "—"."""
    number = f"PUB-{uuid.uuid4().hex[:10].upper()}"
    at = datetime.now(UTC) - timedelta(days=1)
    await store_application(
        site.sessions, number, at, stage="publicity", community_code=COMMUNITY, applicant_name=name,
        applicant_id_number=applicant_id, applicant_phone=phone,
    )  # fmt: skip
    async with site.sessions.begin() as session:
        session.add(
            CaseEvent(
                application_number=number, seq=1, at=at, kind="publicity", stage="publicity", summary="第1轮公示",
                data={"ends_at": (at + timedelta(days=9)).isoformat()},
            )
        )  # fmt: skip
    return number


def _ref(site: Site, number: str) -> str:
    return CaseSearch(site.sessions, make_pii_vault(site.settings)).public_ref(number)


async def _objections(site: Site, number: str) -> list[PublicObjection]:
    async with site.sessions() as session:
        rows = await session.scalars(
            select(PublicObjection).where(PublicObjection.application_number == number)
        )
        return list(rows)


async def _code_for(sms: SmsSimulator, phone: str) -> str:
    async def arrived() -> str | None:
        for message in sms.messages(phone):
            found = re.search(r"\d{6}", message["text"])
            if found:
                return found.group(0)
        return None

    return await eventually(arrived)


async def _object(page: Page, sms: SmsSimulator, ref: str, text: str, phone: str, photo: bool) -> None:
    """Fills the objection form as a visitor does: the case, the text, the phone, the code that
    arrives by SMS, optionally a photo, then sends it."""
    await page.get_by_label("异议对象").select_option(value=ref)
    await page.get_by_label("异议内容").fill(text)
    await page.get_by_label("手机号码").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_role("status")).to_contain_text(f"验证码已发送至 {phone[:3]}****{phone[-4:]}")
    await expect(page.get_by_label("异议内容")).to_have_value(text)  # kept across the code's round trip
    await page.get_by_label("短信验证码").fill(await _code_for(sms, phone))
    if photo:
        await page.get_by_label("证据文件（可选）").set_input_files(
            {"name": "car.jpg", "mimeType": "image/jpeg", "buffer": JPEG}
        )
    await page.get_by_role("button", name="提交异议").click()
    await expect(page.get_by_role("status")).to_contain_text("您的异议已提交")


async def test_the_public_page_shows_the_case_in_publicity_with_masked_data_only(site: Site) -> None:
    name, masked = _unique_name()
    applicant_id, phone = id_number("440105", "19660606", uuid.uuid4().int % 1000), _phone()
    number = await _stored_case(site, name, applicant_id, phone)
    page = await site.page(width=390, height=844)  # no sign-in, a phone
    response = await page.goto(f"/public/publicity/{COMMUNITY}")
    assert response is not None and response.status == 200
    await expect(page.get_by_role("heading", name="珠江帝景社区社会救助公示", level=1)).to_be_visible()
    row = page.locator("tr", has_text=masked)
    await expect(row).to_contain_text("城乡低保")
    await expect(row).to_contain_text("2人")
    await expect(row.locator("td[data-label='公示期']")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d 至 \d{4}-\d\d-\d\d$")
    )
    await expect(row.locator("td[data-label='拟救助金额（元/月）']")).to_have_text(
        "—"
    )  # no workflow behind it
    html = await page.content()
    for secret in (name, applicant_id, applicant_id[-6:], phone, number):
        assert secret not in html, secret
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert await accessibility_problems(page) == []
    await screenshot(page, "public-publicity-phone")
    # The index leads to the township, the township to its communities.
    await page.goto("/public/publicity")
    await page.get_by_role("link", name="赤岗街道").click()
    await page.get_by_role("link", name="珠江帝景社区").click()
    await expect(page.locator("tr", has_text=masked)).to_be_visible()
    wide = await site.page()
    await wide.goto("/public/publicity/440105001")
    await expect(wide.get_by_role("heading", name="赤岗街道社会救助公示")).to_be_visible()
    assert await accessibility_problems(wide) == []
    await screenshot(wide, "public-publicity-township")
    # An unknown community: the Chinese 404 page.
    async with site.http() as http:
        missing = await http.get("/public/publicity/440105009009")
    assert missing.status_code == 404 and "未找到该村（社区）的公示" in missing.text
    assert site.console == []


async def test_an_objection_reaches_the_reviewer_who_registers_it_and_dismisses_another(
    site: Site, sms_simulator: SmsSimulator, application_number: str
) -> None:
    async with site.http() as api:
        await walk_to_publicity(api, application_number)
    ref = _ref(site, application_number)
    first, second = "该户男主人在外开货车跑运输，月收入较高，与公示情况不符", "听说该户有亲戚在外地做生意"
    phone_1, phone_2 = _phone(), _phone()

    visitor = await site.page(width=390, height=844)
    await visitor.goto("/public/publicity/440105001001")
    html = await visitor.content()
    for secret in ("张小明", MEMBERS[0]["id_number"], "13812345678", application_number):
        assert secret not in html, secret
    await expect(visitor.locator(f"option[value='{ref}']")).to_have_text(
        re.compile(r"张\*明（城乡低保，3人）")
    )
    await _object(visitor, sms_simulator, ref, first, phone_1, photo=True)
    assert await accessibility_problems(visitor) == []
    await screenshot(visitor, "public-objection-sent")
    neighbour = await site.page(width=390, height=844)
    await neighbour.goto("/public/publicity/440105001001")
    await _object(neighbour, sms_simulator, ref, second, phone_2, photo=False)
    stored = {o.status for o in await _objections(site, application_number)}
    assert stored == {"open"} and len(await _objections(site, application_number)) == 2

    # The township reviewer's queue: both, with the text, the masked phone and the photo.
    reviewer = await site.signed_in("reviewer_chigang")
    await reviewer.get_by_role("link", name="群众异议").click()
    one = reviewer.locator("article.objection", has_text=first)
    other = reviewer.locator("article.objection", has_text=second)
    await expect(one).to_contain_text(f"{phone_1[:3]}****{phone_1[-4:]}")
    await expect(one.get_by_role("link", name=re.compile("下载"))).to_be_visible()
    assert phone_1 not in await reviewer.content()
    await one.get_by_role("button", name="查看完整号码").click()  # to call the objector back
    await expect(reviewer.locator("article.objection", has_text=first)).to_contain_text(phone_1)
    one = reviewer.locator("article.objection", has_text=first)
    other = reviewer.locator("article.objection", has_text=second)
    assert await accessibility_problems(reviewer) == []
    await screenshot(reviewer, "objections-queue")
    async with reviewer.expect_download() as download:
        await one.get_by_role("link", name=re.compile("下载")).click()
    path = await (await download.value).path()
    assert path is not None and path.read_bytes() == JPEG

    # Another township's reviewer sees none of it; the window's clerk has no queue at all.
    elsewhere = await site.signed_in("reviewer_wushan")
    await elsewhere.goto("/staff/objections")
    await expect(elsewhere.locator("main")).not_to_contain_text(first)
    clerk = await site.signed_in("clerk_chigang")
    refused = await clerk.goto("/staff/objections")
    assert refused is not None and refused.status == 403

    # Dismissed with a reason (while the case is still in publicity) …
    await other.get_by_label("不予登记的理由").fill("经电话核实，反映人所述为传闻，无具体线索")
    await other.get_by_role("button", name="不予登记").click()
    await expect(reviewer.get_by_role("status")).to_contain_text("已记录不予登记的理由")
    # … and registered on the case: publicity stops, the case's timeline shows the objection.
    one = reviewer.locator("article.objection", has_text=first)
    await one.get_by_label("我已核对，确认提交").check()
    reviewer.once("dialog", lambda dialog: dialog.accept())
    await one.get_by_role("button", name="登记为案件异议").click()
    await expect(reviewer.get_by_role("status")).to_contain_text("已登记为案件异议")
    await reviewer.goto(f"/staff/cases/{application_number}")
    await expect(reviewer.locator(".timeline")).to_contain_text(
        "公示期间收到异议：群众通过公示页面反映：" + first
    )
    await expect(reviewer.locator(".timeline")).not_to_contain_text(second)
    statuses = sorted((o.status, o.dismiss_reason or "") for o in await _objections(site, application_number))
    assert statuses == [("dismissed", "经电话核实，反映人所述为传闻，无具体线索"), ("registered", "")]
    async with site.sessions() as session:
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.application_number == application_number)
            )
        )
    assert {"public_objection.submitted", "public_objection.dismissed", "public_objection.registered",
            "application.objection", "public_objection.evidence_read", "public_objection.contact_read"} <= actions  # fmt: skip
    # The case left publicity: it is no longer on the public page.
    await visitor.goto("/public/publicity/440105001001")
    await expect(visitor.locator(f"option[value='{ref}']")).to_have_count(0)
    assert site.console == []


async def test_a_forged_objection_form_is_refused_and_nothing_is_stored(site: Site) -> None:
    name, _ = _unique_name()
    number = await _stored_case(site, name, id_number("440105", "19700101", 7), _phone())
    fields = {"ref": _ref(site, number), "text": "伪造的异议内容测试", "phone": _phone(), "code": "123456",
              "form_key": str(uuid.uuid4())}  # fmt: skip
    url = f"/public/publicity/{COMMUNITY}/objections"
    async with site.http() as http:
        no_token = await http.post(url, data=fields)
        page = await http.get(f"/public/publicity/{COMMUNITY}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        foreign = await http.post(
            url, data={**fields, "csrf_token": token.group(1)}, headers={"Origin": "https://evil.example"}
        )
        wrong = await http.post(url, data={**fields, "csrf_token": "x" * 43})
    assert [no_token.status_code, foreign.status_code, wrong.status_code] == [403, 403, 403]
    assert "页面已过期或来源无法确认" in no_token.text and "拒绝来自其他网站的请求" in foreign.text
    assert await _objections(site, number) == []


async def test_a_disguised_or_oversized_file_is_refused_beside_the_field_and_nothing_is_stored(
    site: Site,
) -> None:
    name, _ = _unique_name()
    number = await _stored_case(site, name, id_number("440105", "19710101", 8), _phone())
    page = await site.page(width=390, height=844)
    await page.goto(f"/public/publicity/{COMMUNITY}")
    for file, message in (
        ({"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": EXE}, "文件类型不符"),
        ({"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)},
         "文件过大"),
    ):  # fmt: skip
        await page.get_by_label("异议对象").select_option(value=_ref(site, number))
        await page.get_by_label("异议内容").fill("该户有一辆小轿车，照片见附件")
        await page.get_by_label("手机号码").fill(_phone())
        await page.get_by_label("短信验证码").fill("123456")
        await page.get_by_label("证据文件（可选）").set_input_files(file)  # type: ignore[arg-type]
        await page.get_by_role("button", name="提交异议").click()
        evidence = page.get_by_label("证据文件（可选）")
        await expect(evidence).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#e-evidence")).to_contain_text(message)
        await expect(page.get_by_label("异议内容")).to_have_value("该户有一辆小轿车，照片见附件")
        await expect(page.get_by_label("短信验证码")).to_have_value("123456")  # not spent: kept
        assert await accessibility_problems(page) == []
    await screenshot(page, "public-objection-refused-file")
    assert await _objections(site, number) == []
    assert site.console == []


async def test_the_same_form_sent_twice_at_once_makes_one_objection(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    name, _ = _unique_name()
    number = await _stored_case(site, name, id_number("440105", "19720202", 9), _phone())
    phone = _phone()
    async with site.http() as http:
        page = await http.get(f"/public/publicity/{COMMUNITY}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        key = re.search(r'name="form_key" value="([^"]+)"', page.text)
        assert token is not None and key is not None
        fields = {"csrf_token": token.group(1), "form_key": key.group(1), "ref": _ref(site, number),
                  "text": "该户家中经营一间小卖部", "phone": phone}  # fmt: skip
        sent = await http.post(f"/public/publicity/{COMMUNITY}/code", data=fields)
        assert sent.status_code == 200 and "验证码已发送至" in sent.text
        fields["code"] = await _code_for(sms_simulator, phone)
        url = f"/public/publicity/{COMMUNITY}/objections"
        answers = await asyncio.gather(http.post(url, data=fields), http.post(url, data=fields))
        again = await http.post(url, data=fields)  # a reload of the sent form, later
    assert [a.status_code for a in (*answers, again)] == [303, 303, 303]
    assert len(await _objections(site, number)) == 1
