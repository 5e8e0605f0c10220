"""Any /staff path no page answers: the 404 page (signed-in or not, it shows nothing of a case)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.errors import ApiError
from web.pages import PageRoute, error_page

router = APIRouter(prefix="/staff", route_class=PageRoute)


@router.get("/{rest:path}", include_in_schema=False)
async def not_found(request: Request, rest: str) -> Response:
    return error_page(request, ApiError(404, "page_not_found", "您要找的页面不存在，请从导航栏进入"))
