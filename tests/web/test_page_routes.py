"""Every page of the staff front asks for a session: without one, each answers with the login page
(and where the user wanted to go), never with content. New page routes are covered as they appear."""

from __future__ import annotations

import re

import fastapi.routing
import httpx
from fastapi.routing import APIRoute

from api.app import create_app
from infra.settings import load_settings
from tests.web.conftest import Site

PUBLIC = {"/staff/login", "/staff/{rest:path}", "/staff"}


def page_routes() -> list[APIRoute]:
    app = create_app(load_settings())
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(flatten(app.routes)) if flatten else list(app.routes)
    return [
        r
        for r in routes
        if isinstance(getattr(r, "original_route", r), APIRoute)
        and r.path.startswith("/staff")
        and r.path not in PUBLIC
    ]


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "X440105-SAMPLE", path)


def test_there_are_pages_to_protect() -> None:
    assert {r.path for r in page_routes()} >= {"/staff/", "/staff/password", "/staff/logout"}


async def test_every_page_without_a_session_sends_the_browser_to_login(site: Site) -> None:
    problems = []
    async with site.http() as http:
        for route in page_routes():
            for method in sorted(route.methods - {"HEAD"}):
                response = await http.request(method, _sample(route.path))
                location = response.headers.get("location", "")
                # A post without a session has no cookie, so it passes the CSRF check and meets the
                # login requirement; either way, nothing of the page is rendered.
                if response.status_code != 303 or not location.startswith("/staff/login?next="):
                    problems.append(f"{method} {route.path}: {response.status_code} {location}")
    assert problems == []


async def test_an_unknown_page_is_a_chinese_404_page(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        response = await http.get("/staff/no-such-page")
    assert response.status_code == 404
    assert "您要找的页面不存在" in response.text and response.headers["content-type"].startswith("text/html")
