"""The Jinja2 environment of the pages: autoescaped, strict about undefined names (a typo in a
template fails its test instead of printing nothing), with the few filters the pages share."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.calendar import CHINA_TZ
from domain.deadline_labels import due_day

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"


def _bj_datetime(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


def _bj_date(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
    return value.isoformat()


def _due_date(value: datetime | None) -> str:
    return due_day(value).strftime("%Y-%m-%d") if value else "—"


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:,.2f}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(bj_datetime=_bj_datetime, bj_date=_bj_date, due_date=_due_date, yuan=_yuan)
    env.globals["static"] = lambda name: f"{STATIC_PREFIX}/{name}"
    return env


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page: the template with the request's actor, navigation and CSRF token (web.pages sets
    them on request.state) and the given context."""
    from web.csrf import page_token  # the token is made on first use, then its cookie is set

    base = {
        "request": request,
        "actor": getattr(request.state, "actor", None),
        "nav": getattr(request.state, "nav", []),
        "csrf_token": page_token(request),
    }
    html = environment().get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status_code)
