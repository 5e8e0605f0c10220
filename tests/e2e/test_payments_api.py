"""Finance through the API on the real dev server, with the bank simulator: the queue of failed
orders, retrying one, payroll runs started and listed; a lifecycle (re-review) task done through
the ordinary task API; the monthly payroll and disclosure schedules."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.beneficiary import add_months, current_month
from domain.policy import RegionStandards
from infra.models import BeneficiaryEvent, Task
from infra.policy_config import load_policy_book
from infra.schedules import (
    county_standards,
    disclosure_schedule_id,
    ensure_county_schedules,
    payroll_schedule_id,
)
from infra.settings import load_settings
from simulators.bank.state import Account
from tests.conftest import BankSimulator
from tests.e2e.money_support import enrol_household, money_api, register_account
from tests.e2e.support import Sessions, eventually, login, refused
from tests.factories import id_number
from tests.payroll.households import account_number

__all__ = ["money_api"]  # the fixture, used by name
MONTH = "2027-03"


def number(tag: str) -> str:
    return f"PAY-{tag}-{uuid.uuid4().hex[:8]}"


async def finish_run(
    client: Client, api: httpx.AsyncClient, finance: dict[str, str], month: str
) -> dict[str, object]:
    response = await api.post(
        "/api/v1/payroll/runs", json={"county_code": "440105", "month": month}, headers=finance
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["workflow_id"] == f"payroll-440105-{month}"
    await client.get_workflow_handle(started["workflow_id"], run_id=started["run_id"]).result()
    body: dict[str, object] = started
    return body


async def failed_queue(api: httpx.AsyncClient, finance: dict[str, str], month: str) -> list[dict[str, Any]]:
    """Every page of the county's finance queue for `month` (other tests' households share it)."""
    items: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"month": month, "limit": 200, "offset": len(items)}
        page = await api.get("/api/v1/payments/queue", params=params, headers=finance)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if len(items) >= page.json()["total"] or not page.json()["items"]:
            return items


async def test_failed_payment_is_queued_with_a_chinese_reason_and_paid_once_on_retry(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str,
    bank_simulator: BankSimulator,
) -> None:  # fmt: skip
    api, client = money_api, dev_env.client
    seq = random.randint(10**6, 10**9)
    good, closed, missing = number("G"), number("C"), number("M")
    for n, who in ((good, "陈大伟"), (closed, "林志强"), (missing, "黄秀兰")):
        await enrol_household(
            client,
            sessions,
            task_queue,
            n,
            name=who,
            id_number=id_number(seq=random.randint(0, 999)),
            start_month="2027-01",
        )
    await register_account(api, good, account_number(seq), "陈大伟")
    shown = await register_account(api, closed, account_number(seq + 1), "林志强")
    assert shown["account"].endswith(account_number(seq + 1)[-4:]) and account_number(seq + 1) not in str(
        shown
    )
    bank_simulator.state.register(Account(account_number(seq + 1), "林志强", "closed"))
    finance = await login(api, "finance_haizhu")

    await finish_run(client, api, finance, MONTH)
    mine = {
        i["application_number"]: i
        for i in await failed_queue(api, finance, MONTH)
        if i["application_number"] in (good, closed, missing)
    }
    assert set(mine) == {closed, missing}
    assert mine[closed]["reason_label"] == "账户已销户" and mine[closed]["account"].endswith(
        account_number(seq + 1)[-4:]
    )
    assert account_number(seq + 1) not in str(mine)
    assert mine[missing]["reason_label"] == "未登记发放账户" and mine[missing]["account"] is None

    # Not failed → 409; no account yet → 409 with the reason; outsiders and wrong roles are refused.
    refused(
        await api.post(f"/api/v1/payments/{good}:{MONTH}/retry", headers=finance), 409, "order_not_failed"
    )
    refused(await api.post(f"/api/v1/payments/{missing}:{MONTH}/retry", headers=finance), 409, "no_account")
    refused(
        await api.post(
            f"/api/v1/payments/{closed}:{MONTH}/retry", headers=await login(api, "approver_haizhu")
        ),
        403,
        "forbidden",
    )
    refused(
        await api.get("/api/v1/payments/queue", headers=await login(api, "clerk_chigang")), 403, "forbidden"
    )
    refused(
        await api.post(
            "/api/v1/payroll/runs", json={"county_code": "440106", "month": MONTH}, headers=finance
        ),
        403,
        "forbidden",
    )
    refused(
        await api.post(
            "/api/v1/payroll/runs", json={"county_code": "440105", "month": "2027-13"}, headers=finance
        ),
        422,
        "validation_error",
    )

    # The account reopened, the missing one registered: retry both, run the month again.
    bank_simulator.state.register(Account(account_number(seq + 1), "林志强", "open"))
    await register_account(api, missing, account_number(seq + 2), "黄秀兰", user="reviewer_chigang")
    for n in (closed, missing):
        retried = await api.post(f"/api/v1/payments/{n}:{MONTH}/retry", headers=finance)
        assert retried.status_code == 200 and retried.json()["status"] == "retry", retried.text
    again = await api.post(f"/api/v1/payments/{closed}:{MONTH}/retry", headers=finance)
    refused(again, 409, "order_not_failed")
    await finish_run(client, api, finance, MONTH)  # a finished month may be run again

    for n in (good, closed, missing):
        assert len(bank_simulator.state.credits_of(f"{n}:{MONTH}")) == 1, n
    runs = await api.get("/api/v1/payroll/runs", params={"county": "440105", "month": MONTH}, headers=finance)
    assert runs.status_code == 200, runs.text
    (run,) = runs.json()
    assert run["status"] == "completed" and run["runs"] == 2 and run["batches"]
    assert run["orders_by_status"].get("paid", 0) >= 3
    assert not {i["application_number"] for i in await failed_queue(api, finance, MONTH)} & {
        good,
        closed,
        missing,
    }
    refused(
        await api.get("/api/v1/payroll/runs", params={"county": "440106"}, headers=finance), 403, "forbidden"
    )


async def test_invalid_account_is_refused_in_chinese(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str
) -> None:
    n = number("A")
    await enrol_household(
        dev_env.client,
        sessions,
        task_queue,
        n,
        name="周建明",
        id_number=id_number(seq=7),
        start_month="2027-01",
    )
    finance = await login(money_api, "finance_haizhu")
    bad = await money_api.put(
        f"/api/v1/beneficiaries/{n}/account",
        json={"account_number": "6222020000000000001", "account_holder": "周建明", "bank_name": "工行"},
        headers=finance,
    )
    assert refused(bad, 422, "invalid_account")["message"].startswith("银行卡号无效")
    other = await money_api.put(
        f"/api/v1/beneficiaries/{n}/account",
        json={"account_number": account_number(5), "account_holder": "周建明", "bank_name": "工行"},
        headers=await login(money_api, "reviewer_wushan"),
    )
    refused(other, 404, "beneficiary_not_found")


async def test_re_review_task_is_completed_through_the_task_api(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str
) -> None:
    n = number("R")
    # Enrolled two years ago (class C: yearly review): the re-review is due at once.
    start = add_months(current_month(datetime.now(UTC)), -24)
    await enrol_household(
        dev_env.client, sessions, task_queue, n, name="吴桂芳", id_number=id_number(seq=8), start_month=start
    )

    async def review_task() -> Task | None:
        async with sessions() as session:
            return await session.scalar(
                select(Task).where(Task.application_number == n, Task.task_type == "re_review")
            )

    task = await eventually(review_task, within=30)
    assert task.workflow_id == f"beneficiary-{n}"
    inv = await login(money_api, "inv_chigang_1")
    claimed = await money_api.post(f"/api/v1/tasks/{task.task_id}/claim", headers=inv)
    assert claimed.status_code == 200, claimed.text
    refused(
        await money_api.post(
            f"/api/v1/tasks/{task.task_id}/complete", json={"outcome": "continue", "form": {}}, headers=inv
        ),
        422,
        "invalid_form",
    )
    form = {
        "visited_on": "2026-11-20",
        "findings": "入户核实家庭收入无明显变化",
        "monthly_income_fen": 30_000,
    }
    done = await money_api.post(
        f"/api/v1/tasks/{task.task_id}/complete", json={"outcome": "continue", "form": form}, headers=inv
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"

    async def continued() -> list[str]:
        async with sessions() as session:
            kinds = list(
                await session.scalars(
                    select(BeneficiaryEvent.kind).where(BeneficiaryEvent.application_number == n)
                )
            )
        return kinds if "review_continued" in kinds else []

    kinds = await eventually(continued, within=30)
    assert "task_completed" in kinds
    detail = await money_api.get(f"/api/v1/beneficiaries/{n}", headers=inv)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["live"] is True and body["lifecycle"]["reviews_done"] == 1
    assert "review_continued" in [e["kind"] for e in body["events"]]
    assert "吴桂芳" not in detail.text  # the roster shows the masked name only
    refused(
        await money_api.get(f"/api/v1/beneficiaries/{n}", headers=await login(money_api, "reviewer_wushan")),
        404,
        "beneficiary_not_found",
    )


async def test_payroll_and_disclosure_schedules_per_county(
    dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str
) -> None:
    from infra.seed import seed_demo

    await seed_demo(sessions)
    policies = load_policy_book(load_settings().policy_file)
    counties = await county_standards(sessions, policies)
    assert {"440105", "440106"} <= set(counties)
    county = f"9{random.randint(10_000, 99_999)}"
    wanted = {county: RegionStandards(payroll_day=12, disclosure_day=4)}
    created = await ensure_county_schedules(dev_env.client, task_queue, wanted)
    try:
        assert {payroll_schedule_id(county), disclosure_schedule_id(county)} <= set(created)
        assert payroll_schedule_id(county) not in await ensure_county_schedules(
            dev_env.client, task_queue, wanted
        )
        for sid, day, hour, workflow in (
            (payroll_schedule_id(county), 12, 8, "PayrollWorkflow"),
            (disclosure_schedule_id(county), 4, 7, "DisclosureWorkflow"),
        ):
            described = await dev_env.client.get_schedule_handle(sid).describe()
            spec = described.schedule.spec
            assert spec.time_zone_name == "Asia/Shanghai"
            (cal,) = spec.calendars
            assert [r.start for r in cal.day_of_month] == [day] and [r.start for r in cal.hour] == [hour]
            assert [r.start for r in cal.minute] == [0]
            action = described.schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == workflow
            assert action.task_queue == task_queue
    finally:
        for sid in created:
            await dev_env.client.get_schedule_handle(sid).delete()


async def test_a_payroll_of_a_month_not_yet_begun_is_refused_and_nothing_starts(
    dev_env: WorkflowEnvironment, api: httpx.AsyncClient
) -> None:
    # The API's own clock (today), not the tests' payroll clock set ahead.
    finance = await login(api, "finance_haizhu")
    body = {"county_code": "440105", "month": "2045-01"}
    refusal = refused(
        await api.post("/api/v1/payroll/runs", json=body, headers=finance), 422, "month_in_future"
    )
    assert "2045-01" in refusal["message"] and "尚未到来" in refusal["message"]
    with pytest.raises(RPCError):
        await dev_env.client.get_workflow_handle("payroll-440105-2045-01").describe()
