"""掌上办 (the applicant portal, issue 14 items 3 and 5) in a real browser at a phone's size (390×844):
sign in with the code the SMS simulator received, prove the ID number, apply with a photo, the
clerk accepts it in the staff front, the applicant follows the case. And what a hostile user
tries: guessing codes, another applicant's case, a guessed number, a tampered or foreign session
cookie, an oversized upload and an executable named .jpg."""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from datetime import timedelta
from typing import Any

import fastapi.routing
import httpx
from fastapi.routing import APIRoute
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from api.app import create_app
from domain.notices import yuan
from infra.models import Application, OnlineApplication, PortalUpload
from infra.settings import load_settings
from tests.e2e.support import eventually, login
from tests.e2e.test_dibao_through_api import HOME_VISIT_FORM, OPINION_FORM, REVIEW_FORM
from tests.factories import id_number, pii_vault
from tests.sms_sim import SmsSimulator
from tests.web.conftest import Site, accessibility_problems, screenshot
from tests.web.test_page_routes import _sample

PHONE_SIZE = {"width": 390, "height": 844}
# The smallest JPEG header a camera writes: enough for the content check (magic bytes).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(2048) + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(4096)


def unique_phone() -> str:
    return f"15{random.randint(0, 9)}{random.randint(0, 99_999_999):08d}"


def unique_id() -> str:
    birth = f"{random.randint(1950, 1999)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    return id_number("440105", birth, random.randint(0, 999))


def script_errors(site: Site) -> list[str]:
    return [m for m in site.console if not m.startswith("Failed to load resource: the server responded")]


def latest_code(sms: SmsSimulator, phone: str) -> str:
    [newest, *_] = [m for m in sms.messages(phone) if m["template"] == "verification_code"]
    found = re.search(r"[0-9]{6}", newest["text"])
    assert found, newest
    return found.group(0)


async def request_code(page: Page, phone: str) -> None:
    await page.goto("/portal/")
    await expect(page).to_have_url(re.compile(r"/portal/login$"))
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_role("status")).to_contain_text("验证码已发送")


async def sign_in(site: Site, sms: SmsSimulator, phone: str, applicant_id: str) -> Page:
    page = await site.page(**PHONE_SIZE)
    await request_code(page, phone)
    await page.get_by_label("短信验证码").fill(latest_code(sms, phone))
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("heading", name="核验身份")).to_be_visible()
    await page.get_by_label("申请人身份证号").fill(applicant_id)
    await page.get_by_role("button", name="确定").click()
    await expect(page.get_by_role("heading", name="我的申请")).to_be_visible()
    return page


async def fill_application(page: Page, applicant_id: str, name: str) -> None:
    await page.goto("/portal/")
    await page.get_by_role("link", name="我要申请救助").click()
    await expect(page.get_by_role("heading", name="申请救助")).to_be_visible()
    await page.get_by_label("户籍或居住地所在村（社区）").select_option(label="赤岗街道 · 赤岗社区")
    applicant = page.get_by_role("group", name="申请人（您本人）")
    await applicant.get_by_label("姓名").fill(name)
    await applicant.get_by_label("身份证号").fill(applicant_id)
    await applicant.get_by_label("每月收入（元）").fill("300")
    await page.get_by_label("家里的困难").fill("丈夫因病去世，本人无稳定收入")
    await page.get_by_label("我已阅读并同意以上告知承诺").check()


async def online_rows(site: Site, applicant_id: str) -> list[OnlineApplication]:
    digest = pii_vault().digest(applicant_id)
    async with site.sessions() as session:
        return list(
            await session.scalars(
                select(OnlineApplication).where(OnlineApplication.applicant_id_number_digest == digest)
            )
        )


async def test_apply_online_with_a_photo_the_window_accepts_and_the_applicant_follows(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-home")

    await fill_application(page, applicant_id, "王秀兰")
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-apply")
    await page.get_by_label("身份证明").set_input_files(
        files=[{"name": "身份证.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    # A hostile applicant forges the window's green channel (shorter limits) into the form.
    await page.evaluate(
        """() => { const f = document.querySelector('form[enctype="multipart/form-data"]');
        const i = document.createElement('input'); i.type = 'hidden'; i.name = 'green_channel';
        i.value = '1'; f.appendChild(i); }"""
    )
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator(".status-line")).to_contain_text("等待乡镇（街道）窗口受理")
    await expect(page.get_by_role("link", name="身份证明")).to_be_visible()
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-online")
    [row] = await online_rows(site, applicant_id)
    assert row.status == "submitted" and row.application_number is None
    async with site.sessions() as session:
        [upload] = list(
            await session.scalars(select(PortalUpload).where(PortalUpload.online_application_id == row.id))
        )
        started = await session.scalar(select(func.count()).select_from(Application).where(
            Application.applicant_id_number_digest == pii_vault().digest(applicant_id)))  # fmt: skip
    assert started == 0  # no case, no workflow, no clock before the window accepts
    assert upload.content_type == "image/jpeg" and JPEG not in upload.content_sealed
    assert pii_vault().open_bytes(upload.content_sealed) == JPEG
    # The applicant's own file opens for them.
    async with page.expect_response(re.compile(r"/portal/files/")) as opened:
        await page.get_by_role("link", name="身份证明").click()
    assert (await opened.value).headers["content-type"] == "image/jpeg"
    await page.go_back()

    clerk = await site.signed_in("clerk_chigang")
    await clerk.goto("/staff/online-applications")
    assert await accessibility_problems(clerk) == []
    await screenshot(clerk, "online-applications")
    await clerk.get_by_role("link", name=row.reference).click()
    await expect(clerk.get_by_role("heading", name=f"网上申请审核 {row.reference}")).to_be_visible()
    assert await accessibility_problems(clerk) == []
    await screenshot(clerk, "online-application-detail")
    await clerk.get_by_label("我已核对，确认受理").check()
    clerk.once("dialog", lambda d: d.accept())
    await clerk.get_by_role("button", name="受理", exact=True).click()
    await expect(clerk.get_by_role("heading", name="受理登记完成")).to_be_visible()
    [row] = await online_rows(site, applicant_id)
    assert row.status == "accepted" and row.application_number
    async with site.sessions() as session:
        case = await session.scalar(
            select(Application).where(Application.application_number == row.application_number)
        )
    assert case is not None and case.channel == "online"
    assert case.green_channel is False  # the window's decision, never the applicant's

    await page.goto("/portal/")
    await page.get_by_role("link", name=re.compile("最低生活保障|低保")).first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("申请")
    await expect(page.locator("dl.facts")).to_contain_text(row.application_number)
    await expect(page.locator(".status-line")).to_contain_text(re.compile("已受理|正在"))
    await expect(page.get_by_role("heading", name="办理进度")).to_be_visible()
    # What is needed from the family: the window's 一次性告知 (only 身份证明 was uploaded; the
    # commitment waives what the departments supply), in the needs box and among the notices.
    await expect(page.get_by_role("region", name="需要您补交")).to_contain_text("家庭收入情况说明")
    await expect(page.get_by_role("region", name="给您的通知")).to_contain_text("一次性告知")
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-case")
    assert script_errors(site) == []


async def test_the_sixth_code_try_is_refused_with_a_clear_message(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    phone = unique_phone()
    page = await site.page(**PHONE_SIZE)
    await request_code(page, phone)
    right = latest_code(sms_simulator, phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        await page.get_by_label("短信验证码").fill(wrong)
        await page.get_by_role("button", name="登录").click()
        await expect(page.locator("#e-code")).to_have_text(f"验证码不正确，还可以再试 {left} 次")
    await page.get_by_label("短信验证码").fill(wrong)
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#e-code")).to_contain_text("验证码错误次数过多，该验证码已失效")
    await page.get_by_label("短信验证码").fill(right)  # the 6th try, even with the right code
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#e-code")).to_contain_text("请重新获取验证码")
    await expect(page.get_by_role("heading", name="登录掌上办")).to_be_visible()
    assert "sa_portal_session" not in {c["name"] for c in await page.context.cookies()}
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-login-refused")
    assert script_errors(site) == []


async def _accepted_case(site: Site, sms: SmsSimulator, phone: str, applicant_id: str) -> tuple[Page, str]:
    page = await sign_in(site, sms, phone, applicant_id)
    await fill_application(page, applicant_id, "赵桂芳")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator(".status-line")).to_contain_text("等待")
    reference = page.url.rsplit("/", 1)[1]
    clerk = await site.signed_in("clerk_chigang")
    await clerk.goto(f"/staff/online-applications/{reference}")
    await clerk.get_by_label("我已核对，确认受理").check()
    clerk.once("dialog", lambda d: d.accept())
    await clerk.get_by_role("button", name="受理", exact=True).click()
    await expect(clerk.get_by_role("heading", name="受理登记完成")).to_be_visible()
    [row] = await online_rows(site, applicant_id)
    assert row.application_number
    return page, row.application_number


async def test_another_applicant_sees_nothing_of_a_case(site: Site, sms_simulator: SmsSimulator) -> None:
    owner_phone, owner_id = unique_phone(), unique_id()
    owner, number = await _accepted_case(site, sms_simulator, owner_phone, owner_id)
    await owner.goto(f"/portal/cases/{number}")
    await expect(owner.locator("dl.facts")).to_contain_text(number)

    # Another phone (with the owner's own ID number, even): 404, the same words as no such case.
    stranger = await sign_in(site, sms_simulator, unique_phone(), owner_id)
    response = await stranger.goto(f"/portal/cases/{number}")
    assert response is not None and response.status == 404
    await expect(stranger.get_by_role("alert")).to_contain_text("未找到这份申请")
    assert number not in await stranger.content()
    # The owner's phone but another ID number: 404 too (both must be proved).
    same_phone = owner  # (a second code within the minute is refused: the owner re-enters an ID)
    await same_phone.goto("/portal/identity")
    await same_phone.get_by_label("申请人身份证号").fill(unique_id())
    await same_phone.get_by_role("button", name="确定").click()
    response = await same_phone.goto(f"/portal/cases/{number}")
    assert response is not None and response.status == 404
    assert "赵" not in await same_phone.locator("main").inner_text()
    # A guessed number: the same 404.
    guessed = f"440105001-20261201-W{uuid.uuid4().hex[:6].upper()}"
    response = await stranger.goto(f"/portal/cases/{guessed}")
    assert response is not None and response.status == 404
    await expect(stranger.get_by_role("alert")).to_contain_text("未找到这份申请")
    assert await accessibility_problems(stranger) == []
    await screenshot(stranger, "portal-not-found")
    # The stranger's list holds nothing of the owner's.
    await stranger.goto("/portal/")
    assert number not in await stranger.content()
    assert script_errors(site) == []


async def test_sessions_do_not_cross_between_portal_staff_and_api(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    portal_cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == "sa_portal_session")
    clerk = await site.signed_in("clerk_chigang")
    staff_cookie = next(c["value"] for c in await clerk.context.cookies() if c["name"] == "sa_staff_session")

    async with site.http() as http:
        # The applicant's session opens no staff page and no API route.
        for path in ("/staff/", "/staff/online-applications", "/staff/tasks"):
            r = await http.get(
                path, cookies={"sa_staff_session": portal_cookie, "sa_portal_session": portal_cookie}
            )
            assert r.status_code == 303 and r.headers["location"].startswith("/staff/login"), path
        r = await http.get("/api/v1/tasks", headers={"Authorization": f"Bearer {portal_cookie}"})
        assert r.status_code == 401
        # The staff session opens no portal page.
        r = await http.get("/portal/", cookies={"sa_portal_session": staff_cookie})
        assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
        # A tampered portal cookie (the ID digest edited, signature kept): refused.
        head, body, sig = portal_cookie.split(".")
        forged_body = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
        for forged in (f"{head}.{forged_body}.{sig}", f"{head}.{body}.{sig[:-2]}xx", portal_cookie[:-1]):
            r = await http.get("/portal/", cookies={"sa_portal_session": forged})
            assert r.status_code == 303 and "/portal/login" in r.headers["location"]
        # The real one works from the same client (the check is the cookie, nothing else).
        r = await http.get("/portal/", cookies={"sa_portal_session": portal_cookie})
        assert r.status_code == 200 and "我的申请" in r.text
        # A form posted from another site with the real session (no CSRF token, foreign Origin).
        r = await http.post(
            "/portal/identity",
            data={"id_number": unique_id()},
            cookies={"sa_portal_session": portal_cookie},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert r.status_code == 403 and "set-cookie" not in r.headers
    assert script_errors(site) == []


async def test_an_oversized_or_disguised_upload_is_refused_beside_its_field_and_nothing_is_stored(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    await fill_application(page, applicant_id, "钱玉珍")
    await page.get_by_label("身份证明").set_input_files(
        files=[{"name": "照片.jpg", "mimeType": "image/jpeg", "buffer": EXE}]
    )
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator("#e-file-0")).to_contain_text("这个文件不是照片或 PDF")
    await expect(page.locator("#f-file-0")).to_have_attribute("aria-invalid", "true")
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-upload-refused")
    assert await online_rows(site, applicant_id) == []

    await page.get_by_label("我已阅读并同意以上告知承诺").check()
    big = JPEG[:-2] + bytes(5 * 1024 * 1024) + b"\xff\xd9"
    await page.get_by_label("户口簿").set_input_files(
        files=[{"name": "户口簿.jpg", "mimeType": "image/jpeg", "buffer": big}]
    )
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator("#e-file-1")).to_contain_text("文件太大")
    assert await online_rows(site, applicant_id) == []
    async with site.sessions() as session:
        assert (await session.scalar(select(func.count()).select_from(PortalUpload).where(
            PortalUpload.sha256 == hashlib.sha256(EXE).hexdigest()))) == 0  # fmt: skip
    assert script_errors(site) == []


async def test_a_file_is_never_served_without_its_applicants_session(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    await fill_application(page, applicant_id, "孙美华")
    await page.get_by_label("身份证明").set_input_files(
        files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    await page.get_by_role("button", name="提交申请").click()
    link = page.get_by_role("link", name="身份证明")
    href = await link.get_attribute("href")
    assert href and href.startswith("/portal/files/")
    other = await sign_in(site, sms_simulator, unique_phone(), unique_id())
    response = await other.goto(href)
    assert response is not None and response.status == 404
    async with httpx.AsyncClient(base_url=site.url, follow_redirects=False) as anonymous:
        r = await anonymous.get(href)
        assert r.status_code == 303 and JPEG not in r.content
    # A clerk of another township cannot open it either.
    foreign = await site.staff("intake_clerk", "440105002")
    clerk = await site.signed_in(foreign)
    token = href.rsplit("/", 1)[1]
    response = await clerk.goto(f"/staff/online-applications/files/{token}")
    assert response is not None and response.status == 403
    assert script_errors(site) == []


PORTAL_PUBLIC = {"/portal/login", "/portal/login/code", "/portal/logout", "/portal/{rest:path}"}


async def test_every_portal_page_without_a_session_sends_the_browser_to_the_portal_login(site: Site) -> None:
    app = create_app(load_settings())
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = [
        r
        for r in (list(flatten(app.routes)) if flatten else list(app.routes))
        if isinstance(getattr(r, "original_route", r), APIRoute)
        and r.path.startswith("/portal")
        and r.path not in PORTAL_PUBLIC
    ]
    assert {r.path for r in routes} >= {"/portal/", "/portal/apply", "/portal/cases/{application_number}"}
    problems = []
    async with site.http() as http:
        for route in routes:
            for method in sorted(route.methods - {"HEAD"}):
                path = route.path.replace("{reference}", "WS20261201ABCDEF01").replace(
                    "{token}", "abcdefghijkl"
                )
                response = await http.request(method, _sample(path))
                location = response.headers.get("location", "")
                if response.status_code != 303 or not location.startswith("/portal/login"):
                    problems.append(f"{method} {route.path}: {response.status_code} {location}")
    assert problems == []


async def test_a_returned_application_shows_the_applicant_what_is_missing_and_can_be_withdrawn(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    await fill_application(page, applicant_id, "周丽娟")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator(".status-line")).to_contain_text("等待")
    reference = page.url.rsplit("/", 1)[1]

    clerk = await site.signed_in("clerk_chigang")
    await clerk.goto(f"/staff/online-applications/{reference}")
    returned = clerk.locator("form", has=clerk.get_by_role("button", name="退回申请人"))
    await expect(returned.get_by_label("身份证明")).to_be_checked()  # the policy's rule: none uploaded
    await returned.get_by_label("说明（申请人可见）").fill("请补拍清晰的身份证正反面")
    await clerk.get_by_role("button", name="退回申请人").click()
    await expect(clerk.get_by_role("heading", name="网上申请")).to_be_visible()
    assert reference not in await clerk.content()  # no longer in the queue

    await page.goto("/portal/")
    await expect(page.locator(".items")).to_contain_text("补齐材料后重新申请")
    await page.goto(f"/portal/applications/{reference}")
    needs = page.get_by_role("region", name="需要您补齐")
    await expect(needs).to_contain_text("身份证明")
    await expect(needs).to_contain_text("请补拍清晰的身份证正反面")
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-returned")

    # A second one, withdrawn by the applicant before the window acts: it leaves the queue.
    await fill_application(page, applicant_id, "周丽娟")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator(".status-line")).to_contain_text("等待")
    second = page.url.rsplit("/", 1)[1]
    await page.get_by_role("button", name="撤回这份申请").click()
    await expect(page.locator(".status-line")).to_contain_text("已撤回")
    await clerk.goto(f"/staff/online-applications/{second}")
    await expect(clerk.get_by_role("button", name="受理", exact=True)).to_have_count(0)
    statuses = sorted(r.status for r in await online_rows(site, applicant_id))
    assert statuses == ["returned", "withdrawn"]
    assert script_errors(site) == []


async def test_a_case_filed_for_the_family_at_the_window_is_followed_in_the_portal(
    site: Site, sms_simulator: SmsSimulator
) -> None:
    """帮办代办: a community worker files at the window (channel proxy) with the family's phone and
    ID number; the family signs in with that phone and follows the case, and asks to withdraw."""
    from tests.e2e.support import login
    from tests.factories import application_payload

    phone, applicant_id = unique_phone(), unique_id()
    number = f"440105001-PROXY-{uuid.uuid4().hex[:8].upper()}"
    payload = application_payload(
        number,
        channel="proxy",
        proxy={"name": "社区工作者李红", "relation_or_org": "赤岗社区居委会"},
        applicant={"name": "吴大爷", "id_number": applicant_id, "phone": phone},
    )
    payload["members"][0].update(name="吴大爷", id_number=applicant_id)
    async with httpx.AsyncClient(base_url=site.url, headers={"X-Forwarded-For": "10.77.0.1"}) as api:
        clerk = await login(api, "clerk_chigang")
        response = await api.post("/api/v1/applications", json=payload, headers=clerk)
        assert response.status_code == 201, response.text

    page = await sign_in(site, sms_simulator, phone, applicant_id)
    await page.locator(f"a[href='/portal/cases/{number}']").click()
    await expect(page.locator("dl.facts")).to_contain_text(number)
    await expect(page.locator(".status-line")).to_contain_text(re.compile("已受理|正在"))
    await page.get_by_label("撤回原因").fill("家里情况好转，不再申请")
    await page.get_by_role("button", name="申请撤回").click()
    await expect(page.get_by_role("region", name="撤回申请")).to_contain_text("您已申请撤回")
    async with site.sessions() as session:
        from infra.models import Notification

        asked = list(
            await session.scalars(select(Notification).where(Notification.application_number == number))
        )
    assert [n.kind for n in asked if n.kind == "withdrawal_request"] == ["withdrawal_request"]
    assert script_errors(site) == []


async def test_two_clerks_accepting_at_once_make_one_case(site: Site, sms_simulator: SmsSimulator) -> None:
    import asyncio

    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    await fill_application(page, applicant_id, "郑春梅")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator(".status-line")).to_contain_text("等待")
    reference = page.url.rsplit("/", 1)[1]
    colleague = await site.staff("intake_clerk", "440105001")
    clerks = [await site.signed_in("clerk_chigang"), await site.signed_in(colleague)]
    for clerk in clerks:
        await clerk.goto(f"/staff/online-applications/{reference}")
        await clerk.get_by_label("我已核对，确认受理").check()
        clerk.once("dialog", lambda d: d.accept())

    await asyncio.gather(*(c.get_by_role("button", name="受理", exact=True).click() for c in clerks))
    numbers = set()
    for clerk in clerks:
        await expect(clerk.get_by_role("heading", name="受理登记完成")).to_be_visible()
        numbers.add(await clerk.locator("strong.number").inner_text())
    [row] = await online_rows(site, applicant_id)
    assert numbers == {row.application_number}
    async with site.sessions() as session:
        cases = await session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.applicant_id_number_digest == pii_vault().digest(applicant_id))
        )
    assert cases == 1
    assert script_errors(site) == []


def sms_of(sms: SmsSimulator, phone: str, template: str) -> dict[str, str] | None:
    found = [m for m in sms.messages(phone) if m["template"] == template]
    return found[0] if found else None


async def until_sms(sms: SmsSimulator, phone: str, template: str, within: float = 60) -> dict[str, str]:
    """The newest message of this template the phone received, once the worker has sent it."""

    async def sent() -> dict[str, str] | None:
        return sms_of(sms, phone, template)

    return await eventually(sent, within=within)


async def test_the_family_applies_by_phone_and_is_told_acceptance_and_approval_with_its_amount(
    ts_site: Site, sms_simulator: SmsSimulator
) -> None:
    """Issue 14's browser scenario end to end: the code read from the SMS simulator → an application
    with photos → the window accepts it in the staff front → the family sees the stage and the 受理
    message (SMS and portal) → the case walked to the county's approval (the publicity's 7 working
    days passed on the time-skipping server) → the approval SMS and the portal show the amount and
    the first month."""
    site = ts_site
    assert site.env is not None
    phone, applicant_id = unique_phone(), unique_id()
    page = await sign_in(site, sms_simulator, phone, applicant_id)
    await fill_application(page, applicant_id, "孙凤英")
    # A photo of every material on the checklist: the window has nothing to ask for, the case is 受理.
    for field in await page.locator("#materials input[type=file]").all():
        await field.set_input_files(files=[{"name": "材料.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator(".status-line")).to_contain_text("等待乡镇（街道）窗口受理")
    reference = page.url.rsplit("/", 1)[1]

    clerk = await site.signed_in("clerk_chigang")
    await clerk.goto(f"/staff/online-applications/{reference}")
    await clerk.get_by_label("我已核对，确认受理").check()
    clerk.once("dialog", lambda d: d.accept())
    await clerk.get_by_role("button", name="受理", exact=True).click()
    await expect(clerk.get_by_role("heading", name="受理登记完成")).to_be_visible()
    [row] = await online_rows(site, applicant_id)
    number = row.application_number
    assert number

    accepted = await until_sms(sms_simulator, phone, "application_accepted")
    assert number in accepted["text"] and "已受理" in accepted["text"]
    assert sms_of(sms_simulator, phone, "materials_missing") is None  # every material was there
    notices = page.get_by_role("region", name="给您的通知")

    async def case_page_shows(text: str) -> bool:
        await page.goto(f"/portal/cases/{number}")
        return text in await notices.inner_text()

    await eventually(lambda: case_page_shows(accepted["text"]), within=30)
    await expect(page.locator("dl.facts")).to_contain_text(number)
    await expect(page.locator(".status-line")).to_contain_text(re.compile("已受理|正在"))
    await until_sms(sms_simulator, phone, "stage_investigation")

    # The township's work, through the staff API as the desk tests do (the pages of each task
    # are the walkthrough's subject): 入户调查 → 民主评议 → 初审意见 → 公示 → 县级审批.
    async with site.http() as api:
        desks = {u: await login(api, u) for u in ("inv_chigang_1", "reviewer_chigang", "approver_haizhu")}

        async def complete(username: str, task_type: str, outcome: str, form: dict[str, Any]) -> None:
            async def opened() -> dict[str, Any] | None:
                listed = await api.get(
                    "/api/v1/tasks", params={"application_number": number}, headers=desks[username]
                )
                return next((t for t in listed.json()["items"] if t["task_type"] == task_type), None)

            task = await eventually(opened, within=60)
            done = await api.post(
                f"/api/v1/tasks/{task['task_id']}/complete",
                json={"outcome": outcome, "form": form},
                headers=desks[username],
            )
            assert done.status_code == 200, done.text

        await complete(
            "inv_chigang_1",
            "home_visit",
            "completed",
            {**HOME_VISIT_FORM, "found_monthly_income_fen": 30_000},
        )
        await complete("reviewer_chigang", "democratic_review", "completed", REVIEW_FORM)
        await complete("reviewer_chigang", "township_opinion", "recommend_approve", OPINION_FORM)
        await until_sms(sms_simulator, phone, "stage_publicity")
        await site.env.sleep(timedelta(days=12))  # the publicity's 7 working days
        await complete(
            "approver_haizhu",
            "county_approval",
            "approve",
            {"opinion": "符合城乡低保条件，同意纳入保障", "category": "B"},
        )
        case = (await api.get(f"/api/v1/applications/{number}", headers=desks["approver_haizhu"])).json()
    amount_fen = case["approved_amount_fen"]
    assert amount_fen and amount_fen > 0

    approved = await until_sms(sms_simulator, phone, "approved")
    assert f"每月{yuan(amount_fen)}元" in approved["text"], approved
    first_month = re.search(r"自([0-9]{4}年[0-9]{1,2}月)起发放", approved["text"])
    assert first_month, approved
    await eventually(lambda: case_page_shows(approved["text"]), within=30)
    await expect(page.locator("dl.facts")).to_contain_text(f"每月 {amount_fen / 100:,.2f} 元")
    await expect(notices).to_contain_text(first_month.group(1))
    assert await accessibility_problems(page) == []
    await screenshot(page, "portal-case-approved")
    assert script_errors(site) == []
