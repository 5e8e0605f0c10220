"""登录 / 退出 / 修改密码 in a real browser, and the protections every page shares: the login guard's
lockout, CSRF tokens on forms, a lapsed session returning the user where they were, the CSP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from infra.seed import DEMO_PASSWORD
from tests.web.conftest import Site, accessibility_problems, screenshot, sign_in
from web.session import COOKIE_NAME, issue_session


async def test_a_clerk_signs_in_to_the_workbench_of_their_role_and_out_again(site: Site) -> None:
    page = await site.page()
    await page.goto("/staff/")  # not signed in: the login page, coming back here afterwards
    await expect(page).to_have_url(re.compile(r"/staff/login\?next=%2Fstaff%2F"))
    assert await accessibility_problems(page) == []
    await screenshot(page, "login")
    await sign_in(page, "clerk_chigang")
    await expect(page.get_by_role("heading", name="工作台", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="主导航")
    await expect(nav.get_by_role("link", name="受理登记")).to_be_visible()
    await expect(nav.get_by_role("link", name="审计")).to_have_count(0)  # the supervisor's page
    await expect(page.get_by_text("（受理窗口人员）")).to_be_visible()
    assert await accessibility_problems(page) == []
    await screenshot(page, "home")
    await page.get_by_role("button", name="退出").click()
    await expect(page).to_have_url(re.compile(r"/staff/login$"))
    await page.goto("/staff/")
    await expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    assert site.console == []  # no script error, no CSP violation


async def test_pages_carry_a_csp_without_inline_scripts_and_are_not_cached(site: Site) -> None:
    async with site.http() as http:
        response = await http.get("/staff/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["cache-control"] == "no-store"


async def test_a_wrong_password_says_so_and_the_fifth_locks_the_account(site: Site) -> None:
    username = await site.staff("intake_clerk", "440105001")
    page = await site.page()
    for _ in range(4):
        await sign_in(page, username, "不是这个密码1")
        await expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    await sign_in(page, username, "不是这个密码1")
    await expect(page.get_by_role("alert")).to_contain_text("账号已临时锁定")
    await sign_in(page, username, DEMO_PASSWORD)  # the right password, during the lock
    await expect(page.get_by_role("alert")).to_contain_text("账号已临时锁定")
    await expect(page).to_have_url(re.compile(r"/staff/login"))
    # The username stays in the form, the password does not.
    await expect(page.get_by_label("用户名")).to_have_value(username)
    await expect(page.get_by_label("密码")).to_have_value("")


def _cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


async def test_a_form_posted_without_the_pages_token_is_refused(site: Site) -> None:
    username = await site.staff("intake_clerk", "440105001")
    page = await site.signed_in(username)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    body = {
        "current_password": DEMO_PASSWORD,
        "new_password": "Forged-pass-2026",
        "confirm_password": "Forged-pass-2026",
    }
    async with site.http() as http:
        # The session cookie alone (what another site's form would make the browser send).
        forged = await http.post(
            "/staff/password", data=body, headers=_cookie_header({COOKIE_NAME: cookies[COOKIE_NAME]})
        )
        assert forged.status_code == 403
        assert "页面已过期或来源无法确认" in forged.text
        # A token that is not the browser's own.
        wrong = await http.post(
            "/staff/password", data={**body, "csrf_token": "x" * 43}, headers=_cookie_header(cookies)
        )
        assert wrong.status_code == 403
        # Another site's origin, even with the right token.
        token = cookies["sa_staff_csrf"]
        cross = await http.post(
            "/staff/password",
            data={**body, "csrf_token": token},
            headers={
                **_cookie_header(cookies),
                "Origin": "https://evil.example",
                "Sec-Fetch-Site": "cross-site",
            },
        )
        assert cross.status_code == 403
    # The password is unchanged: the demo password still signs in.
    again = await site.signed_in(username)
    await expect(again.get_by_role("heading", name="工作台", level=1)).to_be_visible()


async def test_a_lapsed_session_returns_to_the_page_the_user_was_on(site: Site) -> None:
    username = await site.staff("investigator", "440105001")
    page = await site.signed_in(username)
    lapsed = issue_session(
        site.settings.jwt_secret,
        username,
        "whatever",
        timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    # The same cookie (name, host, path), its token an hour past its end.
    await page.context.add_cookies(
        [{"name": COOKIE_NAME, "value": lapsed, "domain": "127.0.0.1", "path": "/staff"}]
    )
    await page.goto("/staff/password?from=inbox")
    await expect(page).to_have_url(
        re.compile(r"/staff/login\?next=%2Fstaff%2Fpassword%3Ffrom%3Dinbox&expired=1")
    )
    await expect(page.get_by_role("status")).to_contain_text("登录已过期")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(re.compile(r"/staff/password\?from=inbox$"))


async def test_login_never_sends_the_user_to_another_site(site: Site) -> None:
    username = await site.staff("investigator", "440105001")
    page = await site.page()
    await page.goto("/staff/login?next=https%3A%2F%2Fevil.example%2F")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(site.url + "/staff/")


async def test_changing_the_password_checks_it_beside_the_fields_and_ends_other_sessions(site: Site) -> None:
    username = await site.staff("township_reviewer", "440105001")
    elsewhere = await site.signed_in(username)  # the same person, another browser
    page = await site.signed_in(username)
    await page.goto("/staff/password")
    assert await accessibility_problems(page) == []

    async def submit(current: str, new: str, confirm: str) -> None:
        await page.get_by_label("当前密码").fill(current)
        await page.get_by_label(re.compile(r"^新密码")).fill(new)
        await page.get_by_label("再次输入新密码").fill(confirm)
        await page.get_by_role("button", name="修改密码").click()

    await submit("错误的当前密码", "Better-pass-2026", "Better-pass-2026")
    current_field = page.locator(".field", has=page.get_by_label("当前密码"))
    await expect(current_field.locator(".field-error")).to_have_text("当前密码不正确")
    await submit(DEMO_PASSWORD, "short1", "short2")
    new_field = page.locator(".field", has=page.get_by_label(re.compile(r"^新密码")))
    await expect(new_field.locator(".field-error")).to_contain_text("新密码至少10位")
    confirm_field = page.locator(".field", has=page.get_by_label("再次输入新密码"))
    await expect(confirm_field.locator(".field-error")).to_have_text("两次输入的新密码不一致")
    assert await accessibility_problems(page) == []

    await submit(DEMO_PASSWORD, "Better-pass-2026", "Better-pass-2026")
    await expect(page.get_by_role("status")).to_contain_text("密码已修改")
    await page.goto("/staff/")  # this browser stays signed in
    await expect(page.get_by_role("heading", name="工作台", level=1)).to_be_visible()
    await elsewhere.goto("/staff/")  # the other one is signed out
    await expect(elsewhere).to_have_url(re.compile(r"/staff/login\?next=.*&expired=1"))
    fresh = await site.page()
    await sign_in(fresh, username, DEMO_PASSWORD)
    await expect(fresh.get_by_role("alert")).to_contain_text("用户名或密码错误")
    await sign_in(fresh, username, "Better-pass-2026")
    await expect(fresh.get_by_role("heading", name="工作台", level=1)).to_be_visible()
