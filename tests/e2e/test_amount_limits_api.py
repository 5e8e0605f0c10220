"""Amounts through the API (issue 15, item 2), on the real dev server with a worker and the bank
simulator: an amount past the policy's ceiling is refused with 422 and changes nothing, and a
one-off 临时救助 of a case that is never enrolled gets a payee account and is paid once."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.beneficiary import EnrolInput, LifecycleInput, add_months, current_month, lifecycle_workflow_id
from domain.enums import AssistanceType
from infra.models import Beneficiary, Task
from tests.conftest import BankSimulator
from tests.e2e.money_support import Desk, money_api, pay_month
from tests.e2e.support import Sessions, eventually, refused, snapshot, waiting_on
from tests.e2e.test_dibao_through_api import HOME_VISIT_FORM
from tests.factories import application_payload, id_number, store_application
from tests.payroll.households import account_number

__all__ = ["money_api"]  # the fixture, used by name
ACCOUNT = {"account_holder": "张小明", "bank_name": "中国工商银行广州分行"}


def number(tag: str) -> str:
    return f"AMT-{tag}-{uuid.uuid4().hex[:8]}"


async def test_a_rescue_of_ten_million_yuan_is_refused_with_422_and_nothing_changes(
    money_api: httpx.AsyncClient, sessions: Sessions
) -> None:
    desk, n = Desk(money_api), number("CAP")
    payload = application_payload(n, assistance_type="temp_emergency", materials=["身份证明"],
                                  reason="住房失火，家庭财物全部烧毁")  # fmt: skip
    filed = await desk.call("POST", "clerk_chigang", "/api/v1/applications", json=payload)
    assert filed.status_code == 201, filed.text
    task = await waiting_on(sessions, n, "emergency_approval")
    url = f"/api/v1/tasks/{task.task_id}/complete"
    rescue = {"form_of_aid": "cash", "severity": "critical", "opinion": "突发火灾，先行救助"}
    before = await snapshot(money_api, await desk.headers("head_chigang"), n)

    huge = {"outcome": "approve", "form": {**rescue, "amount_fen": 1_000_000_000}}  # 10,000,000 元
    body = refused(await desk.call("POST", "head_chigang", url, json=huge), 422, "amount_not_allowed")
    assert "上限30000.00元" in body["message"]
    assert await snapshot(money_api, await desk.headers("head_chigang"), n) == before

    fair = {"outcome": "approve", "form": {**rescue, "amount_fen": 200_000}}
    done = await desk.ok("POST", "head_chigang", url, json=fair)
    assert done["status"] == "completed"
    # A rescue is paid at the counter, not through the bank: no account to register for it.
    account = {**ACCOUNT, "account_number": account_number(random.randint(10**6, 10**9))}
    await waiting_on(sessions, n, "emergency_paperwork")
    refused(await desk.call("PUT", "finance_haizhu", f"/api/v1/applications/{n}/account", json=account),
            409, "no_bank_order")  # fmt: skip


async def test_a_one_off_grant_of_a_case_not_enrolled_gets_an_account_and_is_paid_once(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions,
    bank_simulator: BankSimulator,
) -> None:  # fmt: skip
    desk, n = Desk(money_api), number("ONE")
    payload = application_payload(n, assistance_type="temp_expenditure", materials=["身份证明", "户口簿", "支出票据"],
                                  reason="家庭成员突发重病，医疗支出骤增")  # fmt: skip
    filed = await desk.call("POST", "clerk_chigang", "/api/v1/applications", json=payload)
    assert filed.status_code == 201, filed.text
    visit = await waiting_on(sessions, n, "home_visit")
    form = {"outcome": "completed", "form": HOME_VISIT_FORM}
    await desk.ok("POST", "inv_chigang_1", f"/api/v1/tasks/{visit.task_id}/complete", json=form)
    opinion = await waiting_on(sessions, n, "township_opinion")
    recommend = {
        "outcome": "recommend_approve",
        "form": {"opinion": "医疗支出骤增，建议给予临时救助", "severity": "general"},
    }
    await desk.ok("POST", "reviewer_chigang", f"/api/v1/tasks/{opinion.task_id}/complete", json=recommend)
    decision = await waiting_on(sessions, n, "county_approval")
    assert decision.candidate_role == "township_head"
    approve = {"outcome": "approve", "form": {"opinion": "同意给予临时救助"}}
    await desk.ok("POST", "head_chigang", f"/api/v1/tasks/{decision.task_id}/complete", json=approve)

    async def ordered() -> str | None:
        body = await desk.ok("GET", "reviewer_chigang", f"/api/v1/applications/{n}/timeline")
        keys = [e["data"].get("order_key") for e in body["events"] if e["kind"] == "payment_ordered"]
        return keys[0] if keys else None

    key = await eventually(ordered, within=30)
    assert key == f"{n}:one_off"
    account = {**ACCOUNT, "account_number": account_number(random.randint(10**6, 10**9))}
    # Not enrolled: the beneficiaries' route does not know the case.
    refused(await desk.call("PUT", "finance_haizhu", f"/api/v1/beneficiaries/{n}/account", json=account),
            404, "beneficiary_not_found")  # fmt: skip
    url = f"/api/v1/applications/{n}/account"
    refused(await desk.call("PUT", "finance_haizhu", url, json={**account, "account_number": "6222"}),
            422, "invalid_account")  # fmt: skip
    refused(await desk.call("PUT", "reviewer_wushan", url, json=account), 404, "application_not_found")
    refused(await desk.call("PUT", "inv_chigang_1", url, json=account), 403, "forbidden")
    shown = await desk.ok("PUT", "finance_haizhu", url, json=account)
    assert shown["account"].endswith(account["account_number"][-4:])
    assert account["account_number"] not in str(shown) and shown["account_holder"] == "张*明"

    # A month no other test pays in 海珠区 (the payroll's clock is set ahead in these tests): the run
    # of a later month takes a one-off order still unpaid from an earlier one.
    await pay_month(desk, dev_env.client, "2088-06")
    assert len(bank_simulator.state.credits_of(key)) == 1
    assert [c.amount_fen for c in bank_simulator.state.credits_of(key)] == [117_000 * 2]


async def test_a_re_review_raise_past_the_formula_goes_to_the_county_approvers_inbox(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str
) -> None:
    desk, n = Desk(money_api), number("RAI")
    # A household of 3, enrolled two years ago (class C: its yearly re-review is due at once).
    await store_application(
        sessions, n, datetime.now(UTC), stage="approved", applicant_id_number=id_number(seq=9)
    )
    start = add_months(current_month(datetime.now(UTC)), -24)
    enrolment = EnrolInput(n, AssistanceType.DIBAO, "440105", "440105001", "440105001001", "C", 250_000, start,
                           household_size=3)  # fmt: skip
    await dev_env.client.start_workflow(
        "BeneficiaryWorkflow", LifecycleInput(enrolment), id=lifecycle_workflow_id(n), task_queue=task_queue
    )

    async def task_of(task_type: str) -> Task | None:
        async with sessions() as session:
            return await session.scalar(
                select(Task).where(Task.application_number == n, Task.task_type == task_type)
            )

    review = await eventually(lambda: task_of("re_review"), within=30)
    url = f"/api/v1/tasks/{review.task_id}/complete"
    visit = {
        "visited_on": "2026-11-20",
        "findings": "家中新增重病患者，医疗支出大",
        "monthly_income_fen": 60_000,
    }
    huge = {"outcome": "adjust", "form": {**visit, "new_amount_fen": 1_000_000_000}}
    body = refused(await desk.call("POST", "inv_chigang_1", url, json=huge), 422, "amount_not_allowed")
    assert "上限10000.00元" in body["message"]
    # 3500 元 > the formula's (1170 − 200) × 3 = 2910 元: accepted, but not paid on the investigator's word.
    raised = {"outcome": "adjust", "form": {**visit, "new_amount_fen": 350_000}}
    await desk.ok("POST", "inv_chigang_1", url, json=raised)
    confirm = await eventually(lambda: task_of("amount_confirmation"), within=30)
    assert (confirm.candidate_role, confirm.region_code) == ("county_approver", "440105")
    inbox = await desk.ok("GET", "approver_haizhu", "/api/v1/tasks", params={"application_number": n})
    assert [t["task_type"] for t in inbox["items"]] == ["amount_confirmation"]
    async with sessions() as session:
        row = await session.scalar(select(Beneficiary).where(Beneficiary.application_number == n))
    assert row is not None and row.monthly_amount_fen == 250_000

    confirmation = f"/api/v1/tasks/{confirm.task_id}/complete"
    agree = {"outcome": "approve", "form": {"opinion": "经县级审核，同意按复核金额上调"}}
    refused(await desk.call("POST", "inv_chigang_1", confirmation, json=agree), 403, "forbidden")
    await desk.ok("POST", "approver_haizhu", confirmation, json=agree)

    async def pending() -> int | None:
        detail = await desk.ok("GET", "approver_haizhu", f"/api/v1/beneficiaries/{n}")
        return detail["lifecycle"] and detail["lifecycle"]["pending_amount_fen"]

    assert await eventually(pending, within=30) == 350_000
