"""The world the authorization matrix runs in: two jurisdictions (海珠区/赤岗街道 and 天河区/五山街道),
one staff account of every role in each, and in each a few real cases on the real dev server.

Built once per module (the matrix sends hundreds of requests; filing cases for each would take
minutes), with its own worker and task queue so that the cases stay answerable for the whole module.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from domain.masking import mask_name
from domain.staff import Role
from infra.bank.http import make_bank_gateway
from infra.models import Notification, RiskWarningRow, Staff
from infra.passwords import hash_password
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import DEMO_PASSWORD, seed_demo
from infra.settings import Settings, load_settings
from tests.e2e.matrix_money import add_orders, enrol
from tests.e2e.money_support import pay_months_ahead
from tests.e2e.support import DIBAO_MATERIALS, Sessions, case_tasks, eventually, login
from tests.factories import application_payload, id_number
from workers.build import WorkerResources, build_worker

HZ, TH = "haizhu", "tianhe"

# Accounts the demo seed lacks in 天河区: created in the test database only.
EXTRA_STAFF: tuple[tuple[str, str, Role, str], ...] = (
    ("mx_inv_wushan", "测试调查员", Role.INVESTIGATOR, "440106001"),
    ("mx_head_wushan", "测试街道负责人", Role.TOWNSHIP_HEAD, "440106001"),
    ("mx_finance_tianhe", "测试财务", Role.FINANCE_OFFICER, "440106"),
    ("mx_supervisor_tianhe", "测试监督", Role.SUPERVISOR, "440106"),
    ("mx_operator_tianhe", "测试运维", Role.OPERATOR, "440106"),
    ("mx_operator_province", "测试省级运维", Role.PROVINCIAL_OPERATOR, "44"),
)

STAFF: dict[str, dict[Role, str]] = {
    HZ: {
        Role.INTAKE_CLERK: "clerk_chigang",
        Role.INVESTIGATOR: "inv_chigang_1",
        Role.TOWNSHIP_REVIEWER: "reviewer_chigang",
        Role.TOWNSHIP_HEAD: "head_chigang",
        Role.COUNTY_APPROVER: "approver_haizhu",
        Role.FINANCE_OFFICER: "finance_haizhu",
        Role.SUPERVISOR: "supervisor_haizhu",
        Role.OPERATOR: "operator_haizhu",
        # The province covers both jurisdictions: each side has its own account, the same reach.
        Role.PROVINCIAL_OPERATOR: "operator_province",
    },
    TH: {
        Role.INTAKE_CLERK: "clerk_wushan",
        Role.INVESTIGATOR: "mx_inv_wushan",
        Role.TOWNSHIP_REVIEWER: "reviewer_wushan",
        Role.TOWNSHIP_HEAD: "mx_head_wushan",
        Role.COUNTY_APPROVER: "approver_tianhe",
        Role.FINANCE_OFFICER: "mx_finance_tianhe",
        Role.SUPERVISOR: "mx_supervisor_tianhe",
        Role.OPERATOR: "mx_operator_tianhe",
        Role.PROVINCIAL_OPERATOR: "mx_operator_province",
    },
}


@dataclass
class Side:
    """One jurisdiction: its region codes, its applicant (to spot leaks) and its cases."""

    key: str
    county: str
    township: str
    community: str
    applicant_name: str
    applicant_masked: str
    applicant_id: str
    phone: str
    main: str = ""  # complete materials: in verification, home visit open (investigator)
    supplement: str = ""  # materials missing: supplement task open (intake clerk)
    withdrawal: str = ""  # withdrawn by the matrix itself
    intake: str = ""  # the number the intake route files
    beneficiary: str = ""  # an enrolled household (approved earlier)
    failed_order: str = ""  # payment order keys
    in_kind_order: str = ""
    home_visit_task: str = ""
    supplement_task: str = ""

    @property
    def region(self) -> dict[str, str]:
        return {"county_code": self.county, "township_code": self.township, "community_code": self.community}

    def payload(self, number: str, **overrides: Any) -> dict[str, Any]:
        applicant = {"name": self.applicant_name, "id_number": self.applicant_id, "phone": self.phone}
        member = {"name": self.applicant_name, "id_number": self.applicant_id, "relation": "self",
                  "monthly_income_fen": 40_000}  # fmt: skip
        return application_payload(
            number, region=self.region, applicant=applicant, members=[member], **overrides
        )

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in an answer to staff of the other jurisdiction."""
        return (self.applicant_name, self.applicant_masked, self.applicant_id, self.phone)


@dataclass
class World:
    app: FastAPI  # its lifespan is running: serve it (lifespan off) or call it through `api`
    api: httpx.AsyncClient
    settings: Settings
    sessions: Sessions
    sides: dict[str, Side]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # username → Authorization
    regions: dict[str, str] = field(default_factory=dict)  # username → region code

    def username(self, side: str, role: Role) -> str:
        return STAFF[side][role]


# Rare characters: the sides' names must occur in no other test's data in the shared database, or an
# answer listing the caller's own cases (another test's case under a common name like 张小明) would
# read as the other side's data leaking.
_RARE = "璇瑾琰瑜琛璟玥珂瑶翊翎曦旻昀晗暄煜炜烨焱熠灏澈泓湛漪涟沅汐潇"


def _person(rng: random.Random, surname: str, county: str, birth: str) -> tuple[str, str, str, str]:
    name = surname + "".join(rng.choice(_RARE) for _ in range(2))
    phone = f"13{rng.randrange(10**9):09d}"
    return name, mask_name(name), id_number(county, birth, rng.randrange(100, 999)), phone


def _sides(run: str) -> dict[str, Side]:
    rng = random.Random(run)
    hz = Side(HZ, "440105", "440105001", "440105001001", *_person(rng, "上官", "440105", "19800101"))
    th = Side(TH, "440106", "440106001", "440106001001", *_person(rng, "欧阳", "440106", "19750505"))
    for side in (hz, th):
        prefix = f"{side.county}-MX{run}"
        side.main, side.supplement = f"{prefix}M", f"{prefix}S"
        side.withdrawal, side.intake = f"{prefix}W", f"{prefix}I"
        side.beneficiary = f"{prefix}B"
    return {HZ: hz, TH: th}


async def _add_extra_staff(sessions: Sessions) -> None:
    async with sessions() as session:
        known = set(await session.scalars(select(Staff.username)))
    missing = [s for s in EXTRA_STAFF if s[0] not in known]
    hashed = {username: hash_password(DEMO_PASSWORD) for username, *_ in missing}
    async with sessions.begin() as session:
        for username, name, role, region in missing:
            session.add(Staff(username=username, display_name=name, password_hash=hashed[username],
                              role=role.value, region_code=region, active=True))  # fmt: skip


async def _file(
    api: httpx.AsyncClient, clerk: dict[str, str], side: Side, number: str, materials: list[str]
) -> None:
    response = await api.post(
        "/api/v1/applications", json=side.payload(number, materials=materials), headers=clerk
    )
    assert response.status_code == 201, response.text


async def _open_task(sessions: Sessions, number: str, task_type: str) -> str:
    async def opened() -> str | None:
        tasks = [t for t in await case_tasks(sessions, number) if t.task_type == task_type]
        return tasks[-1].task_id if tasks and tasks[-1].status == "open" else None

    return await eventually(opened, within=30)


async def _rows_to_list(sessions: Sessions, run: str, sides: dict[str, Side]) -> None:
    """A notification for every role and a warning in each jurisdiction, so that the list routes
    have rows on both sides of the boundary (an empty list would prove nothing)."""
    async with sessions.begin() as session:
        for side in sides.values():
            for role in Role:
                session.add(Notification(
                    key=f"mx-{run}-{side.key}-{role.value}", application_number=side.main, kind="reminder",
                    recipient_role=role.value, region_code=side.township, message="授权矩阵测试提醒",
                ))  # fmt: skip
            session.add(RiskWarningRow(
                application_number=side.main, origin="application", period="2026-11-22",
                county_code=side.county, township_code=side.township, rule="mx_probe", title="授权矩阵测试预警",
                explanation="仅供授权矩阵测试", member=-1, observed_on=None, sources=["tax"], figures={},
                status="open",
            ))  # fmt: skip


@asynccontextmanager
async def matrix_world(
    dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str, adapters: AdapterFactory, bank_url: str
) -> AsyncIterator[World]:
    run = uuid.uuid4().hex[:8].upper()
    settings = load_settings(database_url=sqlite_url, temporal_task_queue=f"tq-matrix-{run}",
                             bank_base_url=bank_url, bank_timeout_seconds=5)  # fmt: skip
    await seed_demo(sessions)
    await _add_extra_staff(sessions)
    app = pay_months_ahead(create_app(settings, session_factory=sessions, temporal_client=dev_env.client))
    bank = make_bank_gateway(settings)
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), adapters, bank=bank,
        payer_account=settings.bank_payer_account, pii=make_pii_vault(settings),
    )  # fmt: skip
    worker = build_worker(dev_env.client, settings.temporal_task_queue, resources)
    try:
        async with worker, app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as api:
                world = World(app, api, settings, sessions, _sides(run))
                await _populate(world, dev_env, run)
                yield world
    finally:
        await bank.aclose()


async def _populate(world: World, dev_env: WorkflowEnvironment, run: str) -> None:
    api, sessions = world.api, world.sessions
    for staff in STAFF.values():
        for username in staff.values():
            world.headers[username] = await login(api, username)
            me = await api.get("/api/v1/auth/me", headers=world.headers[username])
            world.regions[username] = me.json()["region_code"]
    for side in world.sides.values():
        clerk = world.headers[STAFF[side.key][Role.INTAKE_CLERK]]
        await _file(api, clerk, side, side.main, DIBAO_MATERIALS)
        await _file(api, clerk, side, side.supplement, ["身份证明"])
        await _file(api, clerk, side, side.withdrawal, DIBAO_MATERIALS)
        region = (side.county, side.township, side.community)
        await enrol(dev_env.client, sessions, world.settings.temporal_task_queue, side.beneficiary, region,
                    side.applicant_name, side.applicant_id)  # fmt: skip
        side.failed_order, side.in_kind_order = await add_orders(
            sessions, side.beneficiary, side.county, side.township, side.applicant_masked
        )
    for side in world.sides.values():
        side.home_visit_task = await _open_task(sessions, side.main, "home_visit")
        side.supplement_task = await _open_task(sessions, side.supplement, "supplement_materials")
    await _rows_to_list(sessions, run, world.sides)
