"""Authorization matrix (issue 6): every route of the API × every role × own / other jurisdiction.

ROUTES is the contract. Per route (method + path): the roles that may call it and its scope —
  PUBLIC  no token needed (health check, login, the API documentation);
  STAFF   any signed-in caller of the listed roles; the answer is not tied to a region (the caller's
          own profile, the national holiday calendar, the payload codec);
  CASE    addresses one case or task: allowed roles get it in their own jurisdiction, and in the
          other jurisdiction 403/404 with nothing of the case in the answer;
  LIST    lists rows: a filter naming the other jurisdiction yields 403 or only the caller's rows.
Every request is real: the demo staff (plus the 天河区 accounts the seed lacks) log in, cases are
filed through the API and run on the real dev server (tests/e2e/matrix_world.py).

test_every_route_is_in_the_matrix fails when the app serves a route ROUTES does not list, so a new
route cannot ship without someone deciding who may call it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import fastapi.routing
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from starlette.routing import Mount
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from api.auth import issue_token
from domain.staff import Role
from infra.seed import DEMO_PASSWORD
from infra.settings import load_settings
from tests.conftest import BankSimulator
from tests.e2e.matrix_money import MATRIX_MONTH
from tests.e2e.matrix_world import HZ, TH, Side, World, matrix_world
from tests.e2e.support import Sessions


class Scope(StrEnum):
    PUBLIC = "public"
    STAFF = "staff"
    CASE = "case"
    LIST = "list"


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, str] | None = None


Hook = Callable[[World, str, Side], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    roles: frozenset[Role]
    scope: Scope
    build: Callable[[World, Side], Call]  # a valid request aimed at this jurisdiction's case/rows
    # What an allowed caller gets in its own jurisdiction; None: anything but 401/403 (routes whose
    # business answers depend on what ran before, e.g. a household already stopped → 409).
    own: frozenset[int] | None = frozenset({200})
    variant: str = ""
    # LIST: per row, the region codes that make it the caller's (any one must lie in the caller's
    # region); an empty tuple is a system-wide row, which only county-level callers may get.
    rows: Callable[[httpx.Response], list[tuple[str, ...]]] | None = None
    sees_own: frozenset[Role] = frozenset()  # LIST: roles that must get rows of their own side
    before: Hook | None = None  # run for an allowed caller in its own jurisdiction, before the call
    after: Hook | None = None  # ... and after a successful call (undo, so rows stay independent)
    form_login: bool = False  # credentials go in the form (username/password), not a bearer token
    note: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


ALL = frozenset(Role)
NOBODY: frozenset[Role] = frozenset()
CLERK, INVESTIGATOR, REVIEWER = Role.INTAKE_CLERK, Role.INVESTIGATOR, Role.TOWNSHIP_REVIEWER
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.OPERATOR})
# Roles bound to the province (code 44): both jurisdictions of the matrix are their own.
PROVINCE_WIDE = frozenset({Role.PROVINCIAL_OPERATOR})
OPERATORS = frozenset({Role.OPERATOR, Role.PROVINCIAL_OPERATOR})
APPS, TASKS, BENEFICIARIES = "/api/v1/applications", "/api/v1/tasks", "/api/v1/beneficiaries"
STAFF_ADMIN = "/api/v1/admin/staff"
MATRIX_ACCOUNT = "6222020000000000018"  # a 19-digit card number with a valid Luhn check digit


def _get(url: str, **params: Any) -> Callable[[World, Side], Call]:
    return lambda w, s: Call("GET", url, params=params or None)


def _task(kind: str) -> Callable[[Side], str]:
    return (lambda s: s.home_visit_task) if kind == "home_visit" else (lambda s: s.supplement_task)


async def _claim(world: World, user: str, side: Side, task_id: str) -> None:
    response = await world.api.post(f"{TASKS}/{task_id}/claim", headers=world.headers[user])
    assert response.status_code == 200, f"setup: {user} could not claim {task_id}: {response.text}"


async def _release(world: World, user: str, side: Side, task_id: str) -> None:
    response = await world.api.post(f"{TASKS}/{task_id}/release", headers=world.headers[user])
    assert response.status_code == 200, f"cleanup: {user} could not release {task_id}: {response.text}"


def _task_routes(kind: str, actor: Role, empty_outcome: str) -> tuple[Route, ...]:
    """The task routes for one task: who may act is the task's candidate role (home visit →
    investigator; supplement → intake clerk), and supervisors/operators may read it."""
    tid = _task(kind)
    url = TASKS + "/{task_id}"
    return (
        Route("GET", url, frozenset({actor}) | OVERSIGHT, Scope.CASE,
              lambda w, s: Call("GET", f"{TASKS}/{tid(s)}"), variant=kind),
        Route("POST", url + "/claim", frozenset({actor}), Scope.CASE,
              lambda w, s: Call("POST", f"{TASKS}/{tid(s)}/claim"), variant=kind,
              after=lambda w, u, s: _release(w, u, s, tid(s))),
        Route("POST", url + "/release", frozenset({actor}), Scope.CASE,
              lambda w, s: Call("POST", f"{TASKS}/{tid(s)}/release"), variant=kind,
              before=lambda w, u, s: _claim(w, u, s, tid(s))),
        # An empty form: every check of role and jurisdiction passes, then the form is refused (422),
        # so the case is not moved on by the matrix.
        Route("POST", url + "/complete", frozenset({actor}), Scope.CASE,
              lambda w, s: Call("POST", f"{TASKS}/{tid(s)}/complete", json={"outcome": empty_outcome, "form": {}}),
              own=frozenset({422}), variant=kind),
    )  # fmt: skip


def _json_rows(*fields: str) -> Callable[[httpx.Response], list[tuple[str, ...]]]:
    def rows(response: httpx.Response) -> list[tuple[str, ...]]:
        body = response.json()
        items = body["items"] if isinstance(body, dict) else body
        return [tuple(str(i[f]) for f in fields if i.get(f)) for i in items]

    return rows


def _csv_rows(*columns: str) -> Callable[[httpx.Response], list[tuple[str, ...]]]:
    def rows(response: httpx.Response) -> list[tuple[str, ...]]:
        header, *body = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
        at = [header.index(c) for c in columns]
        return [tuple(r[i] for i in at if r[i]) for r in body]

    return rows


ROUTES: tuple[Route, ...] = (
    # -- public --------------------------------------------------------------------------------
    Route("GET", "/healthz", NOBODY, Scope.PUBLIC, _get("/healthz")),
    Route("GET", "/openapi.json", NOBODY, Scope.PUBLIC, _get("/openapi.json")),
    Route("GET", "/docs", NOBODY, Scope.PUBLIC, _get("/docs")),
    Route("GET", "/docs/oauth2-redirect", NOBODY, Scope.PUBLIC, _get("/docs/oauth2-redirect")),
    Route("GET", "/redoc", NOBODY, Scope.PUBLIC, _get("/redoc")),
    Route("POST", "/api/v1/auth/token", NOBODY, Scope.PUBLIC,
          lambda w, s: Call("POST", "/api/v1/auth/token", data={"username": "clerk_chigang", "password": DEMO_PASSWORD})),
    Route("GET", "/ops/login", NOBODY, Scope.PUBLIC, _get("/ops/login")),
    Route("POST", "/ops/logout", NOBODY, Scope.PUBLIC, lambda w, s: Call("POST", "/ops/logout")),
    # The public publicity pages (no sign-in; tests/web/test_public_publicity_pages.py): their forms
    # need the token of a page served to the browser, so a bare POST is refused (403).
    Route("GET", "/public/publicity", NOBODY, Scope.PUBLIC, _get("/public/publicity")),
    Route("GET", "/public/publicity/{code}", NOBODY, Scope.PUBLIC, _get("/public/publicity/440105001001")),
    Route("POST", "/public/publicity/{code}/code", NOBODY, Scope.PUBLIC,
          lambda w, s: Call("POST", "/public/publicity/440105001001/code", data={"phone": "13900000000"}),
          own=frozenset({403})),
    Route("POST", "/public/publicity/{code}/objections", NOBODY, Scope.PUBLIC,
          lambda w, s: Call("POST", "/public/publicity/440105001001/objections", data={"text": "异议内容测试"}),
          own=frozenset({403})),
    Route("GET", "/public/{rest:path}", NOBODY, Scope.PUBLIC, _get("/public/no-such-page"), own=frozenset({404})),
    # The operator's browser session for the Temporal UI's codec calls: a login form, operators only.
    Route("POST", "/ops/login", OPERATORS, Scope.STAFF, lambda w, s: Call("POST", "/ops/login"),
          form_login=True),
    # -- signed in, not tied to a region --------------------------------------------------------
    Route("GET", "/api/v1/auth/me", ALL, Scope.STAFF, _get("/api/v1/auth/me")),
    Route("GET", "/api/v1/admin/calendar/{year}", ALL, Scope.STAFF, _get("/api/v1/admin/calendar/2099")),
    # The holiday calendar is national: only a provincial operator may load it. 2099: no test uses it.
    Route("PUT", "/api/v1/admin/calendar/{year}", frozenset({Role.PROVINCIAL_OPERATOR}), Scope.STAFF,
          lambda w, s: Call("PUT", "/api/v1/admin/calendar/2099", json={"days": [], "complete": False})),
    # Operators decrypt their own jurisdiction's payloads, provincial operators any (tests/e2e/
    # test_codec_jurisdiction.py); an empty request passes every check.
    Route("POST", "/api/v1/codec/decode", OPERATORS, Scope.STAFF,
          lambda w, s: Call("POST", "/api/v1/codec/decode", json={"payloads": []})),
    Route("POST", "/api/v1/codec/encode", OPERATORS, Scope.STAFF,
          lambda w, s: Call("POST", "/api/v1/codec/encode", json={"payloads": []})),
    Route("GET", "/api/v1/audit/verify", frozenset({Role.SUPERVISOR}), Scope.STAFF, _get("/api/v1/audit/verify")),
    # The intake window's types and the clerk's own villages (the answer holds only those).
    Route("GET", "/api/v1/intake/options", frozenset({CLERK}), Scope.STAFF, _get("/api/v1/intake/options")),
    # -- a staff account: operators lift login locks of accounts in their own region only ----------
    Route("DELETE", "/api/v1/auth/lockouts/{username}", frozenset({Role.OPERATOR}), Scope.CASE,
          lambda w, s: Call("DELETE", f"/api/v1/auth/lockouts/{w.username(s.key, CLERK)}")),
    # -- staff accounts (系统管理): operators manage the accounts of their own region only -------------
    # Each own-side call passes every check of role and jurisdiction, then changes nothing: an
    # initial password too short (422), an unknown role (422), re-enabling an active account (200).
    Route("GET", STAFF_ADMIN, OPERATORS, Scope.LIST,
          lambda w, s: Call("GET", STAFF_ADMIN, params={"region_code": s.county}), rows=_json_rows("region_code")),
    Route("POST", STAFF_ADMIN, OPERATORS, Scope.CASE,
          lambda w, s: Call("POST", STAFF_ADMIN, json={
              "username": f"mx_new_{s.key}", "display_name": "矩阵测试", "role": "intake_clerk",
              "region_code": s.township, "password": "short"}), own=frozenset({422})),
    Route("GET", STAFF_ADMIN + "/{username}", OPERATORS, Scope.CASE,
          lambda w, s: Call("GET", f"{STAFF_ADMIN}/{w.username(s.key, CLERK)}")),
    Route("PATCH", STAFF_ADMIN + "/{username}", OPERATORS, Scope.CASE,
          lambda w, s: Call("PATCH", f"{STAFF_ADMIN}/{w.username(s.key, CLERK)}", json={"role": "no_such_role"}),
          own=frozenset({422})),
    Route("PUT", STAFF_ADMIN + "/{username}/password", OPERATORS, Scope.CASE,
          lambda w, s: Call("PUT", f"{STAFF_ADMIN}/{w.username(s.key, CLERK)}/password", json={"password": "short"}),
          own=frozenset({422})),
    Route("PUT", STAFF_ADMIN + "/{username}/active", OPERATORS, Scope.CASE,
          lambda w, s: Call("PUT", f"{STAFF_ADMIN}/{w.username(s.key, CLERK)}/active", json={"active": True})),
    # -- one case ---------------------------------------------------------------------------------
    # Intake: the jurisdiction is the applicant's community in the body. First filing 201, then 200.
    Route("POST", APPS, frozenset({CLERK}), Scope.CASE,
          lambda w, s: Call("POST", APPS, json=s.payload(s.intake)), own=frozenset({200, 201})),
    Route("GET", APPS + "/{application_number}", ALL, Scope.CASE, lambda w, s: Call("GET", f"{APPS}/{s.main}")),
    # The unmasked record: only the roles whose work needs it (SPEC "Users"); every read is audited.
    Route("GET", APPS + "/{application_number}/personal-data",
          frozenset({CLERK, INVESTIGATOR, REVIEWER, Role.COUNTY_APPROVER}), Scope.CASE,
          lambda w, s: Call("GET", f"{APPS}/{s.main}/personal-data")),
    Route("GET", APPS + "/{application_number}/timeline", ALL, Scope.CASE,
          lambda w, s: Call("GET", f"{APPS}/{s.main}/timeline")),
    # 一次性告知书 of a case (masked): whoever may read the case.
    Route("GET", APPS + "/{application_number}/materials-notice", ALL, Scope.CASE,
          lambda w, s: Call("GET", f"{APPS}/{s.main}/materials-notice")),
    # The case is in verification, not publicity: the reviewer passes every check but the stage (409).
    Route("POST", APPS + "/{application_number}/objections", frozenset({REVIEWER}), Scope.CASE,
          lambda w, s: Call("POST", f"{APPS}/{s.main}/objections", json={"summary": "群众反映其家庭有经营收入"}),
          own=frozenset({409})),
    # A case of its own: the first allowed caller withdraws it (200), the next finds it closed (409).
    Route("POST", APPS + "/{application_number}/withdraw", frozenset({CLERK, REVIEWER}), Scope.CASE,
          lambda w, s: Call("POST", f"{APPS}/{s.withdrawal}/withdraw", json={"reason": "申请人主动撤回申请"}),
          own=frozenset({200, 409})),
    Route("POST", APPS + "/{application_number}/extend", frozenset({Role.COUNTY_APPROVER}), Scope.CASE,
          lambda w, s: Call("POST", f"{APPS}/{s.main}/extend", json={"reason": "需跨地区核查家庭财产"}),
          own=frozenset({200, 409})),
    # The household's choice about payment SMS: the window and the township reviewer record it.
    Route("PUT", APPS + "/{application_number}/payment-sms", frozenset({CLERK, REVIEWER}), Scope.CASE,
          lambda w, s: Call("PUT", f"{APPS}/{s.main}/payment-sms", json={"opt_out": False})),
    Route("GET", APPS + "/{application_number}/sms", ALL, Scope.CASE, lambda w, s: Call("GET", f"{APPS}/{s.main}/sms")),
    *_task_routes("home_visit", INVESTIGATOR, "completed"),
    *_task_routes("supplement", CLERK, "supplied"),
    # -- money: enrolled households, payment orders, payroll runs, public disclosure ---------------
    Route("GET", BENEFICIARIES + "/{number}", ALL, Scope.CASE, lambda w, s: Call("GET", f"{BENEFICIARIES}/{s.beneficiary}")),
    Route("POST", BENEFICIARIES + "/{number}/changes", frozenset({CLERK, INVESTIGATOR, REVIEWER}), Scope.CASE,
          lambda w, s: Call("POST", f"{BENEFICIARIES}/{s.beneficiary}/changes",
                            json={"kind": "other", "description": "家庭住址门牌号变更", "occurred_on": "2026-11-20"}),
          own=None),
    Route("POST", BENEFICIARIES + "/{number}/fraud", frozenset({Role.COUNTY_APPROVER}), Scope.CASE,
          lambda w, s: Call("POST", f"{BENEFICIARIES}/{s.beneficiary}/fraud",
                            json={"findings": "隐瞒个体经营收入", "since_month": MATRIX_MONTH,
                                  "policy_basis": "《社会救助暂行办法》第六十八条"}),
          own=None),
    Route("PUT", BENEFICIARIES + "/{number}/account", frozenset({Role.FINANCE_OFFICER, REVIEWER}), Scope.CASE,
          lambda w, s: Call("PUT", f"{BENEFICIARIES}/{s.beneficiary}/account",
                            json={"account_number": MATRIX_ACCOUNT, "account_holder": s.applicant_name,
                                  "bank_name": "中国工商银行广州分行"}),
          own=None),
    # A case's one-off 临时救助 orders: the matrix's case has none (409), another county's is 404.
    Route("PUT", APPS + "/{application_number}/account", frozenset({Role.FINANCE_OFFICER, REVIEWER}), Scope.CASE,
          lambda w, s: Call("PUT", f"{APPS}/{s.main}/account",
                            json={"account_number": MATRIX_ACCOUNT, "account_holder": s.applicant_name,
                                  "bank_name": "中国工商银行广州分行"}),
          own=frozenset({409})),
    Route("GET", BENEFICIARIES + "/{number}/recovery", frozenset({Role.FINANCE_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR}),
          Scope.CASE, lambda w, s: Call("GET", f"{BENEFICIARIES}/{s.beneficiary}/recovery"), own=None),
    Route("POST", BENEFICIARIES + "/{number}/recovery/payments", frozenset({Role.FINANCE_OFFICER}), Scope.CASE,
          lambda w, s: Call("POST", f"{BENEFICIARIES}/{s.beneficiary}/recovery/payments",
                            json={"reference": f"MX-{s.key}", "amount_fen": 100, "received_on": "2026-11-20"}),
          own=None),
    Route("POST", "/api/v1/payments/{order_key}/retry", frozenset({Role.FINANCE_OFFICER}), Scope.CASE,
          lambda w, s: Call("POST", f"/api/v1/payments/{s.failed_order}/retry"), own=None),
    # 200 when delivered (again: the recorded delivery), 409 once the fraud row has stopped the household.
    Route("POST", "/api/v1/payments/{order_key}/delivered", frozenset({Role.FINANCE_OFFICER, REVIEWER}), Scope.CASE,
          lambda w, s: Call("POST", f"/api/v1/payments/{s.in_kind_order}/delivered", json={}), own=None),
    # The county is the jurisdiction: in the body (start a run), the query or the path.
    Route("POST", "/api/v1/payroll/runs", frozenset({Role.FINANCE_OFFICER}), Scope.CASE,
          lambda w, s: Call("POST", "/api/v1/payroll/runs", json={"county_code": s.county, "month": MATRIX_MONTH}),
          own=frozenset({202})),
    # Finance runs the money; the county approver and the supervisor read the runs they answer for.
    Route("GET", "/api/v1/payroll/runs", frozenset({Role.FINANCE_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR}),
          Scope.CASE,
          lambda w, s: Call("GET", "/api/v1/payroll/runs", params={"county": s.county})),
    Route("GET", "/api/v1/disclosures/{county_code}/{month}", ALL, Scope.CASE,
          lambda w, s: Call("GET", f"/api/v1/disclosures/{s.county}/{MATRIX_MONTH}")),
    Route("GET", "/api/v1/disclosures/{county_code}/{month}.csv", ALL, Scope.CASE,
          lambda w, s: Call("GET", f"/api/v1/disclosures/{s.county}/{MATRIX_MONTH}.csv")),
    # -- lists --------------------------------------------------------------------------------------
    Route("GET", BENEFICIARIES, ALL, Scope.LIST,
          lambda w, s: Call("GET", BENEFICIARIES, params={"region_code": s.county}),
          rows=_json_rows("community_code"), sees_own=ALL),
    Route("GET", "/api/v1/credit-records", frozenset({Role.SUPERVISOR, Role.COUNTY_APPROVER}), Scope.LIST,
          _get("/api/v1/credit-records"), rows=_json_rows("township_code", "county_code")),
    Route("GET", "/api/v1/payments/queue", frozenset({Role.FINANCE_OFFICER}), Scope.LIST,
          lambda w, s: Call("GET", "/api/v1/payments/queue", params={"month": MATRIX_MONTH}),
          rows=_json_rows("township_code", "county_code")),
    # Statistics: every staff role but the operators, for a region inside their own jurisdiction
    # (the side's township is inside every one of its staff's regions); the other side's is 403.
    Route("GET", "/api/v1/statistics/overview", ALL - OPERATORS, Scope.CASE,
          lambda w, s: Call("GET", "/api/v1/statistics/overview",
                            params={"region": s.township, "period": "2026-11"})),
    # The ministry's monthly report is the county's: county-level staff and supervisors only.
    Route("GET", "/api/v1/statistics/monthly-report",
          frozenset({Role.COUNTY_APPROVER, Role.FINANCE_OFFICER, Role.SUPERVISOR}), Scope.CASE,
          lambda w, s: Call("GET", "/api/v1/statistics/monthly-report",
                            params={"county": s.county, "month": "2026-11"})),
    # Case search: a region filter of the other jurisdiction is refused (403), rows are the caller's.
    Route("GET", APPS, ALL, Scope.LIST, lambda w, s: Call("GET", APPS, params={"region_code": s.county}),
          rows=_json_rows("community_code"), sees_own=ALL),
    # Search by the applicant's ID number (in the body): the roles that may see it, own cases only.
    Route("POST", APPS + "/search", frozenset({CLERK, INVESTIGATOR, REVIEWER, Role.COUNTY_APPROVER}), Scope.LIST,
          lambda w, s: Call("POST", APPS + "/search", json={"id_number": s.applicant_id}),
          rows=_json_rows("community_code"), sees_own=frozenset({CLERK, INVESTIGATOR, REVIEWER, Role.COUNTY_APPROVER})),
    # The township's publicity notice: no filter, only the caller's townships (none in publicity here).
    Route("GET", APPS + "/publicity", frozenset({REVIEWER, Role.TOWNSHIP_HEAD, Role.SUPERVISOR}), Scope.LIST,
          _get(APPS + "/publicity"), rows=_json_rows("township_code")),
    Route("GET", TASKS, ALL, Scope.LIST, lambda w, s: Call("GET", TASKS, params={"application_number": s.main}),
          rows=_json_rows("region_code"), sees_own=frozenset({INVESTIGATOR}) | OVERSIGHT),
    Route("GET", "/api/v1/notifications", ALL, Scope.LIST,
          lambda w, s: Call("GET", "/api/v1/notifications", params={"application_number": s.main}),
          rows=_json_rows("region_code"), sees_own=ALL),
    Route("GET", "/api/v1/warnings", ALL, Scope.LIST,
          lambda w, s: Call("GET", "/api/v1/warnings", params={"county_code": s.county, "rule": "mx_probe"}),
          rows=_json_rows("township_code"), sees_own=ALL),
    Route("GET", "/api/v1/warnings.csv", ALL, Scope.LIST,
          lambda w, s: Call("GET", "/api/v1/warnings.csv", params={"township_code": s.township, "rule": "mx_probe"}),
          rows=_csv_rows("乡镇街道"), sees_own=ALL),
    # The audit log: a row is the supervisor's when its target or its actor lies in the region.
    Route("GET", "/api/v1/audit", frozenset({Role.SUPERVISOR}), Scope.LIST,
          lambda w, s: Call("GET", "/api/v1/audit", params={"application_number": s.main}),
          rows=_json_rows("region_code", "actor_region"), sees_own=frozenset({Role.SUPERVISOR})),
    Route("GET", "/api/v1/audit.csv", frozenset({Role.SUPERVISOR}), Scope.LIST,
          lambda w, s: Call("GET", "/api/v1/audit.csv", params={"application_number": s.main}),
          rows=_csv_rows("区划", "操作人辖区"), sees_own=frozenset({Role.SUPERVISOR})),
)  # fmt: skip

SECURED = [r for r in ROUTES if r.scope is not Scope.PUBLIC]
COUNTY_CODE_LENGTH = 6
_JSON = {"Accept": "application/json"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest_asyncio.fixture(scope="module")
async def world(
    dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str, department_adapters: AdapterFactory,
    bank_simulator: BankSimulator,
) -> AsyncIterator[World]:  # fmt: skip
    async with matrix_world(
        dev_env, sessions, sqlite_url, department_adapters, bank_simulator.base_url
    ) as built:
        yield built


async def send(world: World, call: Call, headers: dict[str, str] | None) -> httpx.Response:
    # No cookie jar: the operator's /ops/login session cookie must not ride along on other requests.
    world.api.cookies.clear()
    try:
        return await world.api.request(
            call.method, call.url, params=call.params, json=call.json, data=call.data, headers=headers or {}
        )
    finally:
        world.api.cookies.clear()


def _chinese_refusal(response: httpx.Response, status: int) -> bool:
    if response.status_code != status:
        return False
    body = response.json()
    return bool(body.get("code")) and bool(_CJK.search(str(body.get("message", ""))))


def _inside(row: tuple[str, ...], region: str) -> bool:
    if not row:
        return len(region) <= COUNTY_CODE_LENGTH  # a system-wide row: county-level callers only
    return any(code.startswith(region) for code in row)


async def _probe(world: World, route: Route, role: Role, actor: str, target: str) -> list[str]:
    """One request by the `role` account of jurisdiction `actor` at the resource of `target`."""
    user, side = world.username(actor, role), world.sides[target]
    own = actor == target or role in PROVINCE_WIDE
    allowed = role in route.roles
    if allowed and own and route.before:
        await route.before(world, user, side)
    call, headers = route.build(world, side), world.headers[user]
    if route.form_login:
        call, headers = replace(call, data={"username": user, "password": DEMO_PASSWORD}), _JSON
    response = await send(world, call, headers)
    status = response.status_code
    who = f"{user} ({role.value}, {actor}) → {target}'s: {status} {response.text[:160]}"
    problems: list[str] = []
    if status >= 500:
        problems.append(f"server error: {who}")
    elif not allowed:
        if not _chinese_refusal(response, 403):
            problems.append(f"role not allowed, expected 403 with a Chinese message: {who}")
    elif route.scope is Scope.LIST:
        rows = route.rows(response) if route.rows and status == 200 else []
        if status != 200 and (own or status != 403):
            problems.append(f"list refused an allowed role: {who}")
        if outside := [r for r in rows if not _inside(r, world.regions[user])]:
            problems.append(f"rows outside {world.regions[user]} ({outside[:5]}): {who}")
        if own and role in route.sees_own and not rows:
            problems.append(f"expected the caller's own rows, got none: {who}")
    elif own or route.scope is Scope.STAFF:
        if status not in (route.own or range(200, 500)) or status in (401, 403):
            problems.append(
                f"allowed in own jurisdiction, expected {sorted(route.own or [])} or no refusal: {who}"
            )
    elif status not in (403, 404):
        problems.append(f"other jurisdiction, expected 403/404: {who}")
    if not own and (leaked := [x for x in side.secrets() if x in response.text]):
        problems.append(f"the other jurisdiction's data leaked ({leaked}): {who}")
    if allowed and own and route.after and status in (200, 201):
        await route.after(world, user, side)
    return problems


def is_page(path: str) -> bool:
    # /portal (掌上办) takes no bearer token either: its own session cookie, tested in
    # tests/web/test_portal_pages.py (every portal route without a session → the portal's login;
    # staff cookie, API token and tampered cookies refused both ways).
    return path == "/" or path.startswith(("/staff", "/static", "/portal"))


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of everything the app answers. FastAPI ≥ 0.16x keeps included routers as
    lazy branches; iter_route_contexts flattens them (older versions list the routes directly)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    served: set[tuple[str, str]] = set()
    for entry in flatten(app.routes) if flatten else app.routes:
        original = getattr(entry, "original_route", entry)
        if is_page(entry.path):
            continue  # the staff pages sign in by cookie: tests/web/test_page_routes.py covers them
        if isinstance(original, Mount):
            served.add(("MOUNT", original.path))
            continue
        methods = set(getattr(entry, "methods", None) or {"WEBSOCKET"})
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD for every GET route
        served |= {(m, entry.path) for m in methods}
    return served


def test_every_route_is_in_the_matrix() -> None:
    served = served_routes(create_app(load_settings()))
    listed = {(r.method, r.path) for r in ROUTES}
    missing = sorted(served - listed)
    assert not missing, (
        "These routes are not in the authorization matrix: "
        + ", ".join(f"{m} {p}" for m, p in missing)
        + ". Add each to ROUTES in tests/e2e/test_authorization_matrix.py: the roles that may call it, "
        "its scope (PUBLIC, STAFF, CASE or LIST) and a valid request for each jurisdiction; the matrix "
        "then checks it for every role, in the caller's own jurisdiction and in the other one."
    )
    stale = sorted(listed - served)
    assert not stale, f"ROUTES lists routes the app no longer serves (remove them): {stale}"


@pytest.mark.parametrize("route", SECURED, ids=lambda r: r.id)
async def test_each_role_in_each_jurisdiction(world: World, route: Route) -> None:
    problems: list[str] = []
    for actor in (HZ, TH):
        for role in Role:
            # STAFF routes are the same everywhere: one request per account is the whole story.
            targets = (actor,) if route.scope is Scope.STAFF else (HZ, TH)
            for target in targets:
                problems += await _probe(world, route, role, actor, target)
    assert not problems, f"{route.id}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("route", SECURED, ids=lambda r: r.id)
async def test_missing_expired_or_forged_token_is_401(world: World, route: Route) -> None:
    call = route.build(world, world.sides[HZ])
    if route.form_login:
        # One failed attempt under an unknown name: nobody's lockout counter moves.
        wrong = replace(call, data={"username": "mx_nobody", "password": "wrong-password"})
        response = await send(world, wrong, _JSON)
        assert _chinese_refusal(response, 401), (route.id, response.status_code, response.text)
        return
    secret = world.settings.jwt_secret
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = issue_token(secret, "operator_haizhu", Role.OPERATOR, "440105", timedelta(minutes=30), hour_ago)
    forged = issue_token(
        "another-secret-" + secret, "operator_haizhu", Role.OPERATOR, "440105", timedelta(hours=1)
    )
    for token, code in ((None, "not_authenticated"), (expired, "invalid_token"), (forged, "invalid_token"),
                        ("not-a-token", "invalid_token")):  # fmt: skip
        response = await send(world, call, {"Authorization": f"Bearer {token}"} if token else None)
        assert _chinese_refusal(response, 401), (route.id, token, response.status_code, response.text)
        assert response.json()["code"] == code and response.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.scope is Scope.PUBLIC], ids=lambda r: r.id)
async def test_public_routes_answer_without_a_token(world: World, route: Route) -> None:
    response = await send(world, route.build(world, world.sides[HZ]), None)
    assert response.status_code in route.own, (route.id, response.status_code, response.text[:200])
