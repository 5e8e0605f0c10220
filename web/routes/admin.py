"""系统管理 (operators): staff accounts of the operator's region and the holiday calendar of a year.

Every rule is the service's (services/staff_admin.py, services/calendar.py), which the JSON API
calls too; a refusal on a form is shown beside its fields (422) or as the error page (403/404), and
every change — and every refused attempt — is in the audit log. Loading a calendar is the
provincial operator's alone, checked and its refusal audited as the API does.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import AuditDep, ClockDep, GatewayDep, LoginGuardDep, SessionsDep
from api.schemas.admin import CalendarDayIn, CalendarYearIn
from domain.calendar import CHINA_TZ
from domain.staff import ROLE_LABELS, Actor, Role
from services.audit import Target
from services.calendar import CalendarService, changed_days
from services.errors import ApiError
from services.staff_admin import NewStaff, StaffAdmin, StaffChange
from web.csrf import require_csrf
from web.pages import PageRoute, require_page_roles
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

Operator = Annotated[Actor, Depends(require_page_roles(Role.OPERATOR, Role.PROVINCIAL_OPERATOR))]
Username = Annotated[str, Form(max_length=64)]
DONE = {
    "created": "账号已建立，可以用初始密码登录（请提醒本人登录后修改密码）。",
    "changed": "岗位、辖区已修改，即时生效。",
    "password": "密码已重置：该账号在所有浏览器和设备上的登录均已失效。",
    "deactivated": "账号已停用：该账号的登录均已失效，不能再登录。",
    "reactivated": "账号已重新启用。",
    "unlocked": "登录锁定已解除。",
    "not_locked": "该账号当前没有被锁定。",
}


def staff_admin(sessions: SessionsDep, trail: AuditDep, guard: LoginGuardDep, clock: ClockDep) -> StaffAdmin:
    return StaffAdmin(sessions, trail, guard, clock)


AdminDep = Annotated[StaffAdmin, Depends(staff_admin)]


def _field_errors(refusal: ApiError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in refusal.extra.get("errors", []):
        errors.setdefault(e["field"], e["message"])
    return errors


def _back(username: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/admin/staff/{username}?done={done}", status_code=303)


def _choices(admin: StaffAdmin, operator: Actor) -> dict[str, Any]:
    return {"roles": [(r.value, ROLE_LABELS[r]) for r in admin.assignable_roles(operator)]}


# -- staff accounts ------------------------------------------------------------------------------
@router.get("/admin", include_in_schema=False)
async def admin_home(_: Operator) -> RedirectResponse:
    return RedirectResponse("/staff/admin/staff", status_code=303)


@router.get("/admin/staff", response_class=HTMLResponse, include_in_schema=False)
async def staff_list(
    request: Request,
    operator: Operator,
    admin: AdminDep,
    region: Annotated[str, Query(max_length=12, pattern=r"^\d{0,12}$")] = "",
) -> HTMLResponse:
    accounts = await admin.accounts(operator, region or None)
    regions = await admin.regions(operator)
    return render(
        request,
        "admin/staff_list.html",
        {"title": "工作人员账号", "accounts": accounts, "regions": regions, "region": region},
    )


@router.get("/admin/staff/new", response_class=HTMLResponse, include_in_schema=False)
async def new_staff_page(request: Request, operator: Operator, admin: AdminDep) -> HTMLResponse:
    return await _new_form(request, operator, admin, {}, {}, None)


async def _new_form(
    request: Request,
    operator: Actor,
    admin: StaffAdmin,
    values: dict[str, str],
    errors: dict[str, str],
    error: str | None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "新建工作人员账号",
        "values": {"username": "", "display_name": "", "role": "", "region_code": ""} | values,
        "errors": errors,
        "error": error,
        "regions": await admin.regions(operator),
        "form_key": values.get("form_key") or str(uuid.uuid4()),
        **_choices(admin, operator),
    }
    return render(request, "admin/staff_new.html", context, status_code=status_code)


@router.post("/admin/staff/new", include_in_schema=False)
async def create_staff(
    request: Request,
    operator: Operator,
    admin: AdminDep,
    username: Username = "",
    display_name: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    region_code: Annotated[str, Form(max_length=12)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    new = NewStaff(username.strip(), display_name, role, region_code, password)
    try:
        account, _ = await admin.create(operator, new, form_key or None)
    except ApiError as refusal:
        if refusal.status_code not in (409, 422):
            raise
        values = {"username": username, "display_name": display_name, "role": role,
                  "region_code": region_code, "form_key": form_key}  # fmt: skip
        return await _new_form(
            request, operator, admin, values, _field_errors(refusal), refusal.message, refusal.status_code
        )
    return _back(account.username, "created")


@router.get("/admin/staff/{username}", response_class=HTMLResponse, include_in_schema=False)
async def staff_page(
    request: Request,
    operator: Operator,
    admin: AdminDep,
    username: str,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return await _account_page(request, operator, admin, username, notice=DONE.get(done))


async def _account_page(
    request: Request,
    operator: Actor,
    admin: StaffAdmin,
    username: str,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    account = await admin.account(operator, username)
    context = {
        "title": f"工作人员账号 {account.username}",
        "account": account,
        "own": account.username == operator.username,
        "regions": await admin.regions(operator),
        "notice": notice,
        "errors": errors or {},
        "error": error,
        "values": {
            "display_name": account.display_name,
            "role": account.role.value,
            "region_code": account.region_code,
        }
        | (values or {}),
        "now": datetime.now(CHINA_TZ),
        **_choices(admin, operator),
    }
    return render(request, "admin/staff_account.html", context, status_code=status_code)


async def _refused_on_form(
    request: Request, operator: Actor, admin: StaffAdmin, username: str, refusal: ApiError,
    values: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    if refusal.status_code != 422:
        raise refusal
    return await _account_page(
        request, operator, admin, username, errors=_field_errors(refusal), error=refusal.message,
        values=values, status_code=422,
    )  # fmt: skip


@router.post("/admin/staff/{username}/change", include_in_schema=False)
async def change_staff(
    request: Request,
    operator: Operator,
    admin: AdminDep,
    username: str,
    display_name: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    region_code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    change = StaffChange(display_name or None, role or None, region_code or None)
    try:
        await admin.change(operator, username, change)
    except ApiError as refusal:
        values = {"display_name": display_name, "role": role, "region_code": region_code}
        return await _refused_on_form(request, operator, admin, username, refusal, values)
    return _back(username, "changed")


@router.post("/admin/staff/{username}/password", include_in_schema=False)
async def reset_password(
    request: Request,
    operator: Operator,
    admin: AdminDep,
    username: str,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        await admin.reset_password(operator, username, password)
    except ApiError as refusal:
        return await _refused_on_form(request, operator, admin, username, refusal)
    return _back(username, "password")


@router.post("/admin/staff/{username}/active", include_in_schema=False)
async def set_active(
    operator: Operator,
    admin: AdminDep,
    username: str,
    active: Annotated[str, Form(pattern="^(0|1)$")] = "0",
) -> Response:
    await admin.set_active(operator, username, active == "1")
    return _back(username, "reactivated" if active == "1" else "deactivated")


@router.post("/admin/staff/{username}/unlock", include_in_schema=False)
async def unlock(operator: Operator, admin: AdminDep, username: str) -> Response:
    lifted = await admin.unlock(operator, username)
    return _back(username, "unlocked" if lifted else "not_locked")


# -- holiday calendar ----------------------------------------------------------------------------
KINDS = {"放假": False, "休": False, "调休上班": True, "上班": True, "班": True}
_SPLIT = re.compile(r"[,，\t;；]+|\s+")


def parse_days(text: str) -> tuple[list[tuple[int, str, CalendarDayIn | None]], dict[int, str]]:
    """The table's rows (line number, the line, the day) and, by line number, what is wrong with a
    row that cannot be read. A row: date, 放假 or 调休上班, then the holiday's name (optional)."""
    rows: list[tuple[int, str, CalendarDayIn | None]] = []
    problems: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p for p in _SPLIT.split(line.strip(), maxsplit=2) if p]
        day: CalendarDayIn | None = None
        try:
            when = date.fromisoformat(parts[0])
        except ValueError:
            problems[number] = "日期格式应为 2027-01-01"
        else:
            kind = parts[1] if len(parts) > 1 else ""
            if kind not in KINDS:
                problems[number] = "第二列应为“放假”或“调休上班”"
            else:
                name = parts[2].strip() if len(parts) > 2 else ""
                try:
                    day = CalendarDayIn(day=when, is_working_day=KINDS[kind], name=name)
                except ValidationError:
                    problems[number] = "节日名称不能超过64个字"
        rows.append((number, line, day))
    return rows, problems


def _year_text(days: list[CalendarDayIn]) -> str:
    return "\n".join(
        f"{d.day.isoformat()},{'调休上班' if d.is_working_day else '放假'},{d.name}".rstrip(",") for d in days
    )


async def _calendar_page(
    request: Request,
    actor: Actor,
    sessions: Any,
    year: int,
    *,
    text: str | None = None,
    complete: bool = True,
    problems: dict[int, str] | None = None,
    rows: list[tuple[int, str, CalendarDayIn | None]] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    loaded = await CalendarService(sessions).get_year(year)
    context = {
        "title": f"{year} 年节假日安排",
        "year": year,
        "loaded": loaded,
        "may_load": actor.role is Role.PROVINCIAL_OPERATOR,
        "text": _year_text(loaded.days) if text is None else text,
        "complete": complete,
        "problems": problems or {},
        "rows": rows or [],
        "error": error,
        "notice": notice,
    }
    return render(request, "admin/calendar.html", context, status_code=status_code)


Year = Annotated[int, Query(ge=2000, le=2100)]


@router.get("/admin/calendar", response_class=HTMLResponse, include_in_schema=False)
async def calendar_page(
    request: Request,
    operator: Operator,
    sessions: SessionsDep,
    year: Year = 0,
    loaded: Annotated[int, Query(ge=0, le=1_000_000)] = -1,
) -> Response:
    if not year:
        return RedirectResponse(
            f"/staff/admin/calendar?year={datetime.now(CHINA_TZ).year + 1}", status_code=303
        )
    notice = f"已载入 {year} 年节假日安排，已通知 {loaded} 件在办案件重新推算期限。" if loaded >= 0 else None
    return await _calendar_page(request, operator, sessions, year, notice=notice)


@router.post("/admin/calendar", include_in_schema=False)
async def load_calendar(
    request: Request,
    operator: Operator,
    sessions: SessionsDep,
    gateway: GatewayDep,
    trail: AuditDep,
    year: Annotated[int, Form(ge=2000, le=2100)],
    days: Annotated[str, Form(max_length=40_000)] = "",
    complete: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    target = Target("calendar", str(year))
    if operator.role is not Role.PROVINCIAL_OPERATOR:
        # The API's role check (require_roles on PUT /api/v1/admin/calendar/{year}), recorded as
        # the API's audited route records it: an operator of one county tried to move every
        # county's deadlines.
        await trail.record(
            operator, "calendar.replace", target, status_code=403, detail={"year": year, "code": "forbidden"}
        )
        raise ApiError(403, "forbidden", "此操作仅限省级运维监控人员")
    rows, problems = parse_days(days)
    detail: dict[str, Any] = {"year": year, "complete": bool(complete), "days": len(rows)}
    again: dict[str, Any] = {"text": days, "complete": bool(complete), "rows": rows}
    if problems:
        await trail.record(
            operator, "calendar.replace", target, status_code=422, detail=detail | {"code": "unreadable"}
        )
        return await _calendar_page(
            request, operator, sessions, year, problems=problems, status_code=422,
            error="有的行无法读取，请按提示修改后重新提交", **again,
        )  # fmt: skip
    try:
        body = CalendarYearIn(days=[d for _, _, d in rows if d is not None], complete=bool(complete))
    except ValidationError:
        return await _calendar_page(request, operator, sessions, year, status_code=422,
                                    error="一年最多366行", **again)  # fmt: skip
    service = CalendarService(sessions, gateway)
    before = await service.get_year(year)
    try:
        result = await service.replace_year(year, body, operator)
    except ApiError as refusal:
        # The service's own check (dates outside the year, a date twice): beside the rows it names.
        by_line: dict[int, str] = {}
        for e in refusal.extra.get("errors", []):
            index = int(e["field"].split(".")[1])
            by_line.setdefault(rows[index][0], e["message"])
        await trail.record(operator, "calendar.replace", target, status_code=refusal.status_code,
                           detail=detail | {"code": refusal.code})  # fmt: skip
        return await _calendar_page(
            request, operator, sessions, year, problems=by_line, error=refusal.message,
            status_code=refusal.status_code, **again,
        )  # fmt: skip
    # The entry the API's PUT /api/v1/admin/calendar/{year} writes.
    detail |= changed_days(before, result) | {
        "was_complete": before.complete,
        "cases_notified": result.cases_notified,
    }
    await trail.record(operator, "calendar.replace", target, detail=detail)
    return RedirectResponse(
        f"/staff/admin/calendar?year={year}&loaded={result.cases_notified}", status_code=303
    )
