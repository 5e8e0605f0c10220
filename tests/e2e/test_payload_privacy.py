"""A full 城乡低保 case leaves no personal data in clear in Temporal: not in the history of any of its
workflows, not in the server's own database file, not in search attributes — and an operator, only
an operator, reads the history decrypted through the codec endpoint.

The case runs through the API on a Temporal dev server of its own with an on-disk SQLite database
(as `make run` starts it), so that the very bytes the server keeps can be searched: intake (with
one department briefly down, so failures and retries are stored too), home visit, democratic
review, opinion, publicity, an objection that stops it, re-investigation, a second review, the
township's recommendation to refuse, the county's approval (it decides: approved, with an
adjusted amount), enrolment in the beneficiary lifecycle, one monthly payroll through the bank
simulator, and a change of circumstances reported afterwards.

The dev server cannot skip time, so the 7-working-day publicity never ends here: the objection
ends it, as it would in life, and the township's negative opinion leads to the county's decision
without a second publicity round. Every name, ID number, phone, account and free text is unique
to the run (rare characters), so finding one can only mean a leak.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from domain.bank import valid_account_number
from domain.departments import Department
from domain.payroll import PayrollResult
from infra.bank.http import make_bank_gateway
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade_async
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from simulators.departments import FaultRequest
from tests.conftest import BankSimulator, DepartmentSimulator
from tests.e2e.money_support import pay_months_ahead
from tests.e2e.privacy_support import (
    Household,
    Run,
    codec_request,
    database_bytes,
    decrypted_text,
    disk_dev_server,
    every_run,
    failed_attempt,
    leaks,
    listed,
    settled,
)
from tests.e2e.support import eventually, login
from tests.e2e.test_dibao_through_api import HOME_VISIT_FORM, OPINION_FORM, REVIEW_FORM, Desk
from workers.build import WorkerResources, build_worker

ADJUSTED_FEN = 250_000


@dataclass
class Stack:
    env: WorkflowEnvironment
    api: httpx.AsyncClient
    temporal_dir: Path


@dataclass
class Walked:
    household: Household
    masked_name: str
    month: str
    payroll_id: str
    runs: list[Run]
    failure: DescribeWorkflowExecutionResponse  # the application's, while the tax query was retried


@pytest_asyncio.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory,
    department_adapters: AdapterFactory,
    bank_simulator: BankSimulator,
) -> AsyncIterator[Stack]:
    temporal_dir = tmp_path_factory.mktemp("temporal-server")
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('privacy-app') / 'app.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    await seed_demo(sessions)
    task_queue = f"tq-privacy-{uuid.uuid4().hex}"
    settings = load_settings(
        database_url=url, temporal_task_queue=task_queue, bank_base_url=bank_simulator.base_url,
        bank_timeout_seconds=5,
    )  # fmt: skip
    bank = make_bank_gateway(settings)
    try:
        async with disk_dev_server(temporal_dir / "temporal.db") as env:
            app = pay_months_ahead(create_app(settings, session_factory=sessions, temporal_client=env.client))
            resources = WorkerResources(
                sessions, load_policy_book(settings.policy_file), department_adapters, bank=bank,
                payer_account=settings.bank_payer_account, pii=make_pii_vault(settings),
            )  # fmt: skip
            async with build_worker(env.client, task_queue, resources), app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://api.test", timeout=30
                ) as api:
                    yield Stack(env, api, temporal_dir)
    finally:
        await bank.aclose()
        await engine.dispose()


async def complete(desk: Desk, username: str, task_type: str, outcome: str, form: dict[str, Any]) -> None:
    task = (await desk.wait_for_inbox(username, {task_type}))[task_type]
    await desk.post(username, f"/api/v1/tasks/{task['task_id']}/complete", {"outcome": outcome, "form": form})


async def walk(stack: Stack, h: Household, departments: DepartmentSimulator, bank: BankSimulator) -> Walked:
    api, n = stack.api, h.number
    desk = Desk(api, n)
    departments.faults.apply(FaultRequest(department=Department.TAX, down_for_seconds=600))
    filed = await api.post(
        "/api/v1/applications", json=h.application(), headers=await desk.headers("clerk_chigang")
    )
    assert filed.status_code == 201, filed.text
    # The tax query fails and is retried: the server stores the failure with the pending activity.
    failure = await eventually(lambda: failed_attempt(stack.env.client, f"application-{n}"))
    departments.faults.clear(Department.TAX)
    masked_name = filed.json()["applicant_name_masked"]

    findings = {**HOME_VISIT_FORM["findings"], "income_expenses": h.illness}
    await complete(
        desk, "inv_chigang_1", "home_visit", "completed", {**HOME_VISIT_FORM, "findings": findings}
    )
    attendees = REVIEW_FORM["attendees"][:4] + [{"name": a, "capacity": "resident"} for a in h.attendees]
    review = {
        **REVIEW_FORM,
        "attendees": attendees,
        "minutes": f"评议认为{h.names[0]}家庭情况属实。{h.illness}",
    }
    await complete(desk, "reviewer_chigang", "democratic_review", "completed", review)
    await complete(desk, "reviewer_chigang", "township_opinion", "recommend_approve", OPINION_FORM)
    await desk.wait_for_event("publicity")
    # The notice is on the timeline before the workflow has started the publicity clock: an objection
    # filed in between is counted as seen and lost (reported, workflows/application.py `_publicity`).
    await eventually(lambda: settled(stack.env.client, f"application-{n}"))
    await desk.post("reviewer_chigang", f"/api/v1/applications/{n}/objections", {"summary": h.objection})
    reinvestigation = {
        "findings": f"复核属实：{h.names[0]}每周在{h.token}批发市场帮工两天", "objection_upheld": True,
        "found_monthly_income_fen": 90_000,
    }  # fmt: skip
    await complete(desk, "inv_chigang_1", "reinvestigation", "completed", reinvestigation)
    await complete(desk, "reviewer_chigang", "democratic_review", "completed", review)
    await complete(
        desk,
        "reviewer_chigang",
        "township_opinion",
        "recommend_reject",
        {"reasons": f"异议属实：{h.objection}"},
    )
    approval = {
        "opinion": "县级审核：计入复核所得收入后人均收入仍低于低保标准，予以批准", "category": "B",
        "adjusted_amount_fen": ADJUSTED_FEN, "adjustment_reason": "按复核后的家庭收入重新核定救助金额",
    }  # fmt: skip
    await complete(desk, "approver_haizhu", "county_approval", "approve", approval)
    assert (await stack.env.client.get_workflow_handle(f"application-{n}").result()) is not None

    async def enrolled() -> dict[str, Any] | None:
        body: dict[str, Any] = await desk.get("finance_haizhu", f"/api/v1/beneficiaries/{n}")
        return body["beneficiary"] if body["beneficiary"]["status"] == "active" else None

    beneficiary = await eventually(enrolled)
    assert beneficiary["monthly_amount_fen"] == ADJUSTED_FEN
    month = beneficiary["start_month"]
    finance = await desk.headers("finance_haizhu")
    account = {
        "account_number": h.account,
        "account_holder": h.names[0],
        "bank_name": "中国工商银行广州海珠支行",
    }
    put = await api.put(f"/api/v1/beneficiaries/{n}/account", json=account, headers=finance)
    assert put.status_code == 200, put.text
    started = await api.post(
        "/api/v1/payroll/runs", json={"county_code": "440105", "month": month}, headers=finance
    )
    assert started.status_code == 202, started.text
    payroll_id = started.json()["workflow_id"]
    paid = await asyncio.wait_for(
        stack.env.client.get_workflow_handle(payroll_id, result_type=PayrollResult).result(), 120
    )
    assert (paid.orders, paid.paid, paid.paid_fen) == (1, 1, ADJUSTED_FEN)
    [credit] = bank.state.credits_of(f"{n}:{month}")
    assert (credit.account_number, credit.account_holder) == (h.account, h.names[0])

    change = {
        "kind": "income_change",
        "description": h.change,
        "occurred_on": "2026-11-20",
        "self_reported": True,
    }
    await desk.post("inv_chigang_1", f"/api/v1/beneficiaries/{n}/changes", change)
    await eventually(lambda: _has_task(desk, "inv_chigang_1", "change_recheck"))
    wanted = {f"application-{n}", f"beneficiary-{n}", payroll_id}
    await eventually(lambda: listed(stack.env.client, wanted))  # visibility is eventually consistent
    return Walked(h, masked_name, month, payroll_id, await every_run(stack.env.client), failure)


async def _has_task(desk: Desk, username: str, task_type: str) -> bool:
    return task_type in await desk.inbox_types(username)


@pytest_asyncio.fixture(scope="module")
async def case(
    stack: Stack, department_simulator: DepartmentSimulator, bank_simulator: BankSimulator
) -> Walked:
    household = Household.generate(f"440105-P{uuid.uuid4().hex[:11].upper()}")
    for number in household.id_numbers:  # the departments know nothing of them: no warnings to handle
        assert department_simulator.population.records_of(number) is None, number
    assert valid_account_number(household.account)
    return await walk(stack, household, department_simulator, bank_simulator)


def test_every_workflow_of_the_case_keeps_its_history_encrypted(case: Walked) -> None:
    n = case.household.number
    ids = {run.workflow_id for run in case.runs}
    assert {f"application-{n}", f"beneficiary-{n}", case.payroll_id} <= ids, ids
    for run in case.runs:
        raw = b"".join(event.SerializeToString() for event in run.events)
        assert len(run.events) > 5 and b"binary/encrypted" in raw, run.workflow_id
        assert leaks(raw, case.household.secrets()) == [], run.workflow_id


async def test_the_encrypted_history_does_carry_the_case_s_data(stack: Stack, case: Walked) -> None:
    """The control: decrypted, the same events hold what was submitted, so the scan above looked at
    the payloads that carry it."""
    codec = stack.env.client.data_converter.payload_codec
    assert codec is not None
    by_id = {run.workflow_id: run for run in case.runs}
    h = case.household
    application = await decrypted_text(codec, by_id[f"application-{h.number}"].events)
    for shown in (h.objection, h.illness, h.attendees[0], case.masked_name):
        assert shown in application, shown
    lifecycle = await decrypted_text(codec, by_id[f"beneficiary-{h.number}"].events)
    assert h.change in lifecycle


def test_the_server_s_database_file_holds_no_personal_data(stack: Stack, case: Walked) -> None:
    files = database_bytes(stack.temporal_dir)
    assert "temporal.db" in files, sorted(files)
    everything = b"".join(files.values())
    # The scan reads what the server wrote: the case's identifiers and its encrypted payloads.
    for written in (case.household.number, case.payroll_id, "binary/encrypted", "complete_task"):
        assert written.encode() in everything, written
    for name, blob in files.items():
        assert leaks(blob, case.household.secrets()) == [], name


def test_failures_are_stored_encrypted(stack: Stack, case: Walked) -> None:
    """An activity's failure carries other systems' words — a department's or the bank's error
    message, the database driver's SQL parameters — which may quote the personal data we sent them:
    its message and stack trace are encrypted like any payload."""
    described = case.failure.SerializeToString()
    assert b"Encoded failure" in described and b"binary/encrypted" in described
    stored = [described, *database_bytes(stack.temporal_dir).values()]
    # The simulator's own words, our message around them, and our stack trace (a file name).
    for words in ("服务暂不可用", "暂时无法访问", "data_check.py"):
        assert not any(words.encode() in blob for blob in stored), words


async def test_search_attributes_and_descriptions_hold_no_personal_data(stack: Stack, case: Walked) -> None:
    client: Client = stack.env.client
    application = f"application-{case.household.number}"
    listed = [wf async for wf in client.list_workflows(f"WorkflowId = '{application}'")]
    assert [wf.search_attributes.get("CountyCode") for wf in listed] == [["440105"]]
    assert listed[0].search_attributes.get("Stage") == ["approved"]
    for run in case.runs:
        assert leaks(run.raw_info + run.description, case.household.secrets()) == [], run.workflow_id


async def test_only_an_operator_decodes_the_history_through_the_codec_endpoint(
    stack: Stack, case: Walked
) -> None:
    api = stack.api
    started = next(r for r in case.runs if r.workflow_id.startswith("application-")).events[0]
    request = codec_request(started.workflow_execution_started_event_attributes.input.payloads[0])
    refused = await api.post("/api/v1/codec/decode", json=request)
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    investigator = await login(api, "inv_chigang_1")
    forbidden = await api.post("/api/v1/codec/decode", json=request, headers=investigator)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    operator = await login(api, "operator_haizhu")
    decoded = await api.post("/api/v1/codec/decode", json=request, headers=operator)
    assert decoded.status_code == 200, decoded.text
    plain = base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
    assert case.household.number in plain and case.masked_name in plain
    assert leaks(plain.encode(), case.household.secrets()) == []  # the masked name, no more

    # The operator still reads why an activity failed: the failure decodes like any payload.
    [pending] = [a for a in case.failure.pending_activities if a.HasField("last_failure")]
    request = codec_request(pending.last_failure.encoded_attributes)
    assert (await api.post("/api/v1/codec/decode", json=request, headers=investigator)).status_code == 403
    decoded = await api.post("/api/v1/codec/decode", json=request, headers=operator)
    assert decoded.status_code == 200, decoded.text
    assert "税务部门暂时无法访问" in base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
