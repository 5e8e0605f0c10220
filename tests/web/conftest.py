"""Browser tests of the staff pages: the real app served by uvicorn on a loopback port (in the test's
event loop, beside a worker on the real dev server and the shared SQLite database), driven by
Debian's Chromium through Playwright (executable_path: Playwright's own download cannot reach the
internet here). Every page a test opens can be scanned for accessibility (axe, bundled, offline)
and photographed into SCREENSHOT_DIR (README: "Pages")."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from infra.models import Staff
from infra.passwords import hash_password
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import DEMO_PASSWORD, seed_demo
from infra.settings import REPO_ROOT, Settings, load_settings
from infra.sms.http import sms_gateway_from_settings
from tests.browser import chromium_path
from tests.e2e.addresses import unique_ip
from tests.sms_sim import SmsSimulator
from workers.build import WorkerResources, build_worker

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", REPO_ROOT / "var" / "screenshots"))
SERIOUS = ("serious", "critical")
_REFUSAL = re.compile(
    r"^Failed to load resource: the server responded with a status of 4(01|03|09|22|23|29) "
)


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("playwright is not installed. Fix: .venv/bin/pip install -e '.[dev]'", pytrace=False)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # the sandbox needs user namespaces
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        yield chromium
        await chromium.close()


@dataclass
class Site:
    """The served app: its URL, settings and database, and helpers to act as a staff member."""

    url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    browser: Browser
    contexts: list[BrowserContext]

    console: list[str]
    env: WorkflowEnvironment | None = None  # the server behind the pages (ts_site: time-skipping)

    async def context(self, width: int = 1366, height: int = 768) -> BrowserContext:
        """A browser of its own, with a client address of its own (the app trusts the loopback
        proxy, as behind a real one): login failures are counted per address in the shared database,
        so no test's failures throttle another's logins."""
        context = await self.browser.new_context(
            base_url=self.url,
            viewport={"width": width, "height": height},
            locale="zh-CN",
            extra_http_headers={"X-Forwarded-For": unique_ip()},
        )
        self.contexts.append(context)
        return context

    async def page(self, width: int = 1366, height: int = 768) -> Page:
        """A page whose console errors (a script error, a CSP violation) land in `console` — but
        Chromium's note that a page was answered with a refusal a test provoked on purpose (401,
        403, 409, 422, 423, 429); a 404 or a 5xx (a missing file, a crash) is still recorded."""
        page = await (await self.context(width, height)).new_page()
        page.on(
            "console",
            lambda m: (
                self.console.append(m.text) if m.type == "error" and not _REFUSAL.match(m.text) else None
            ),
        )
        page.on("pageerror", lambda e: self.console.append(str(e)))
        return page

    async def signed_in(self, username: str, password: str = DEMO_PASSWORD, **size: int) -> Page:
        page = await self.page(**size)
        await sign_in(page, username, password)
        return page

    async def staff(self, role: str, region_code: str, password: str = DEMO_PASSWORD) -> str:
        """A staff account of this test's own (lockouts and password changes touch nobody else's)."""
        username = f"web_{role[:10]}_{uuid.uuid4().hex[:8]}"
        async with self.sessions.begin() as session:
            session.add(
                Staff(
                    username=username,
                    display_name=f"测试{username[-4:]}",
                    password_hash=hash_password(password),
                    role=role,
                    region_code=region_code,
                )
            )
        return username

    def http(self) -> httpx.AsyncClient:
        """A plain HTTP client (no browser) for what a browser would never send: forged posts."""
        return httpx.AsyncClient(
            base_url=self.url, follow_redirects=False, headers={"X-Forwarded-For": unique_ip()}
        )


async def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    await page.goto("/staff/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state("networkidle")


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    # proxy_headers off: the app itself decides whom to believe (settings.trusted_proxies).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def _serving(
    browser: Browser,
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sqlite_url: str,
    task_queue: str,
    department_adapters: AdapterFactory,
    sms_simulator: SmsSimulator,
) -> AsyncIterator[Site]:
    # The app's SMS gateway (sign-in codes) and the worker's (the notices to applicants) point at
    # the test session's SMS simulator, so a browser test reads both there as a family would.
    settings = load_settings(
        database_url=sqlite_url,
        temporal_task_queue=task_queue,
        trusted_proxies=["127.0.0.1/32"],
        sms_base_url=sms_simulator.url,
    )
    await seed_demo(sessions)
    app = create_app(settings, session_factory=sessions, temporal_client=env.client)
    sms = sms_gateway_from_settings(settings)
    resources = WorkerResources(
        sessions,
        load_policy_book(settings.policy_file),
        department_adapters,
        sms=sms,
        pii=make_pii_vault(settings),
    )
    worker = build_worker(env.client, task_queue, resources)
    try:
        async with worker:
            server, task, url = await serve(app)
            site = Site(url, settings, sessions, browser, [], [], env)
            try:
                yield site
            finally:
                for context in site.contexts:
                    await context.close()
                server.should_exit = True
                await task
    finally:
        await sms.aclose()


@pytest_asyncio.fixture
async def site(
    browser: Browser,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sqlite_url: str,
    task_queue: str,
    department_adapters: AdapterFactory,
    sms_simulator: SmsSimulator,
) -> AsyncIterator[Site]:
    """The pages on the real dev server (real time)."""
    async with _serving(
        browser, dev_env, sessions, sqlite_url, task_queue, department_adapters, sms_simulator
    ) as site:
        yield site


@pytest_asyncio.fixture
async def ts_site(
    browser: Browser,
    ts_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sqlite_url: str,
    task_queue: str,
    department_adapters: AdapterFactory,
    sms_simulator: SmsSimulator,
) -> AsyncIterator[Site]:
    """The pages on the time-skipping test server: `await site.env.sleep(…)` moves the workflows'
    clock (a publicity of 7 working days passes in a second); the pages' own clock stays real."""
    async with _serving(
        browser, ts_env, sessions, sqlite_url, task_queue, department_adapters, sms_simulator
    ) as site:
        yield site


async def accessibility_problems(page: Page) -> list[str]:
    """Serious and critical axe violations of the page as it is now (axe-core bundled, offline)."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


async def screenshot(page: Page, name: str) -> Path:
    path = SCREENSHOT_DIR / f"{name}.png"  # Playwright makes the folder
    await page.screenshot(path=str(path), full_page=True)
    return path


Check = Callable[[], Awaitable[Any]]
