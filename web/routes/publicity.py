"""公示: the township's printable publicity notice of its cases now in publicity (masked, as the
law requires a public notice to be), from the same service as GET /api/v1/applications/publicity."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import CaseSearchDep
from domain.calendar import CHINA_TZ
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])


@router.get("/publicity", response_class=HTMLResponse, include_in_schema=False)
async def publicity_notice(request: Request, actor: PageActor, search: CaseSearchDep) -> HTMLResponse:
    notices = await search.publicity(actor)  # other roles: the 403 page
    return render(
        request,
        "publicity/notice.html",
        {"title": "公示", "notices": notices, "printed_on": datetime.now(CHINA_TZ).date()},
    )
