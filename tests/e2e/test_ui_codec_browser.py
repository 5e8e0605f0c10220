"""A real browser on `make run`'s stack: the Temporal Web UI shows a case's workflow input decrypted
to a signed-in operator, and ciphertext to everyone else.

Debian's chromium, driven headless by Playwright (executable_path: Playwright's own browser
download cannot reach the internet here). The operator does what the README says: sets the UI's
Codec Server to the browser setting with cross-origin credentials (the dev server cannot set that
toggle), signs in at /ops/login, opens the case's history. Screenshots go to the test's tmp_path.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from infra.seed import DEMO_PASSWORD
from tests.browser import chromium_path
from tests.e2e.support import DIBAO_MATERIALS
from tests.e2e.test_devstack import DevStack
from tests.factories import application_payload

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Only the decrypted input holds these: the workflow id (in the page title) holds the number.
PLAINTEXT = ("masked_name", "张*明")


@pytest.fixture
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed. Fix: .venv/bin/pip install -e '.[dev]'", pytrace=False)
    # The sandbox needs user namespaces, which a root container does not give it.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    """`make run`'s stack on free ports: the dev server gets --ui-codec-endpoint for this API."""
    dev = DevStack(tmp_path)
    try:
        dev.start()
        yield dev
    finally:
        if dev.proc is not None and dev.proc.poll() is None:
            dev.stop()  # Ctrl-C: the stack stops its children (Temporal, worker, API, simulators)


def _history_url(stack: DevStack, number: str) -> str:
    """The case's history page in the UI, once the UI's own API knows the run."""
    workflow_id = f"application-{number}"
    ui = f"http://127.0.0.1:{stack.ui_port}"
    deadline = time.monotonic() + 15
    while True:
        found = httpx.get(f"{ui}/api/v1/namespaces/default/workflows/{workflow_id}")
        if found.status_code == 200:
            run_id = found.json()["workflowExecutionInfo"]["execution"]["runId"]
            return f"{ui}/namespaces/default/workflows/{workflow_id}/{run_id}/history"
        assert time.monotonic() < deadline, found.text
        time.sleep(0.2)


def _use_codec_with_credentials(page: Page, stack: DevStack) -> None:
    """The UI's Codec Server dialog, as README tells operators: browser setting, our endpoint,
    "Include cross-origin credentials" on (stored in the browser's localStorage)."""
    page.locator("[data-testid^=data-encoder-status]").first.click()
    page.get_by_test_id("override-accordion").locator("button").first.click()
    page.get_by_test_id("use-local-endpoint-input").check()
    page.get_by_test_id("data-encoder-endpoint-input").fill(f"{stack.api()}/api/v1/codec")
    # The dialog's lower part overflows under the page (ui 2.42 at this window height), where the
    # page intercepts clicks: the switch and Apply are used from the keyboard.
    switch = page.get_by_test_id("data-encoder-include-credentials").locator("input")
    switch.focus()
    page.keyboard.press("Space")
    assert switch.is_checked()
    page.get_by_test_id("confirm-data-encoder-button").focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("confirm-data-encoder-button").wait_for(state="hidden")


def _open_history(page: Page, url: str, expect_status: int) -> str:
    """Open the history page, wait for the UI's decode call and its answer and for the Input panel
    to show the decrypted input (200) or the ciphertext envelope; return the page's text."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/codec/decode")) as call:
        page.goto(url)
    assert call.value.status == expect_status, call.value.text()
    page.get_by_role("heading", name="Input", exact=True).wait_for()
    shown = "张*明" if expect_status == 200 else "encryption-key-id"
    page.get_by_text(shown).first.wait_for(timeout=15_000)
    return page.locator("body").inner_text()


def _sign_in(page: Page, stack: DevStack, username: str) -> str:
    page.goto(f"{stack.api()}/ops/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.locator(".ok, .error").first.wait_for()  # the signed-in page, or the form with the refusal
    return page.locator("body").inner_text()


def test_the_temporal_ui_shows_decrypted_input_to_a_signed_in_operator_only(
    browser: Browser, stack: DevStack, application_number: str, tmp_path: Path
) -> None:
    clerk = stack.login("clerk_chigang")
    body = application_payload(application_number, materials=DIBAO_MATERIALS)
    created = httpx.post(f"{stack.api()}/api/v1/applications", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    history = _history_url(stack, application_number)

    operator = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    # Out of the box the UI calls our codec (--ui-codec-endpoint) and gets 401: ciphertext only.
    text = _open_history(operator, history, 401)
    assert not any(p in text for p in PLAINTEXT), "plaintext shown without an operator session"
    assert "Codec Server could not connect" in text
    _use_codec_with_credentials(operator, stack)
    text = _open_history(operator, history, 401)  # credentials on, but nobody signed in yet
    assert not any(p in text for p in PLAINTEXT)
    operator.screenshot(path=str(tmp_path / "1-not-signed-in.png"), full_page=True)

    assert "已登录：何俊杰（operator_haizhu）" in _sign_in(operator, stack, "operator_haizhu")
    operator.screenshot(path=str(tmp_path / "2-signed-in.png"), full_page=True)
    text = _open_history(operator, history, 200)
    assert all(p in text for p in PLAINTEXT), text[:2000]
    assert f'"{application_number}"' in text  # quoted: a JSON value, not the page title
    assert "张小明" not in text and body["applicant"]["id_number"] not in text  # inputs carry no more
    operator.screenshot(path=str(tmp_path / "3-operator.png"), full_page=True)

    operator.goto(f"{stack.api()}/ops/login")
    operator.get_by_role("button", name="退出登录").click()
    operator.locator("#password").wait_for()  # back to the form: signed out
    text = _open_history(operator, history, 401)
    assert not any(p in text for p in PLAINTEXT), "plaintext still shown after logout"

    # Another role: the login page refuses it, so its UI gets ciphertext even with the same settings.
    investigator = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    investigator.goto(history)
    _use_codec_with_credentials(investigator, stack)
    assert "此登录仅限运维监控人员" in _sign_in(investigator, stack, "inv_chigang_1")
    text = _open_history(investigator, history, 401)
    assert not any(p in text for p in PLAINTEXT), "plaintext shown to an investigator"
    investigator.screenshot(path=str(tmp_path / "4-investigator.png"), full_page=True)
