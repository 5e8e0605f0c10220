"""Enrolled households through the API, on the real dev server with a worker and the bank simulator,
as the demo staff use them: change reports and their re-check tasks, the 诚信 mark, a fraud stop
with its recovery and credit file, in-kind delivery of a rescue, and the roster with its filters."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.beneficiary import due_after_months
from tests.conftest import BankSimulator
from tests.e2e.money_support import Desk, enrol_household, money_api, pay_month, register_account
from tests.e2e.support import Sessions, eventually, refused, waiting_on
from tests.factories import application_payload, id_number
from tests.payroll.households import account_number

__all__ = ["money_api"]  # the fixture, used by name
XINGANG = ("440105", "440105002", "440105002001")  # 海珠区 新港街道 中大社区
WUSHAN = ("440106", "440106001", "440106001001")  # 天河区 五山街道 华农社区
VISIT = {"visited_on": "2026-11-20", "findings": "入户核实，家庭情况属实", "monthly_income_fen": 30_000}
ROSTER = "/api/v1/beneficiaries"


def number(tag: str) -> str:
    return f"BEN-{tag}-{uuid.uuid4().hex[:8]}"


async def enrol(
    env: WorkflowEnvironment, sessions: Sessions, queue: str, n: str, name: str, **kw: Any
) -> None:
    seq = random.randint(0, 999)
    await enrol_household(env.client, sessions, queue, n, name=name, id_number=id_number(seq=seq), **kw)


async def rechecks(desk: Desk, n: str, user: str = "inv_chigang_1") -> list[dict[str, Any]]:
    """The household's change re-checks in an investigator's inbox (open or claimed)."""
    params = {"application_number": n, "task_type": "change_recheck"}
    items: list[dict[str, Any]] = (await desk.ok("GET", user, "/api/v1/tasks", params=params))["items"]
    return items


async def credits(desk: Desk, user: str, kind: str) -> dict[str, dict[str, Any]]:
    body = await desk.ok("GET", user, "/api/v1/credit-records", params={"kind": kind, "limit": 200})
    assert all(r["kind"] == kind for r in body)
    return {r["application_number"]: r for r in body}


async def roster(desk: Desk, user: str, **params: Any) -> dict[str, dict[str, Any]]:
    """Every page of the roster with these filters, by application number (the database is shared)."""
    found: dict[str, dict[str, Any]] = {}
    while True:
        page = await desk.ok("GET", user, ROSTER, params={**params, "limit": 200, "offset": len(found)})
        found.update((b["application_number"], b) for b in page["items"])
        if not page["items"] or len(found) >= page["total"]:
            return found


def instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def test_change_reports_open_rechecks_and_an_honest_self_report_earns_the_integrity_mark(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str
) -> None:
    desk, n = Desk(money_api), number("CHG")
    await enrol(dev_env, sessions, task_queue, n, "何秀珍", start_month="2027-01", category="A")
    changes = f"{ROSTER}/{n}/changes"
    death = {"kind": "member_death", "description": "户主之母于本月病故", "occurred_on": "2026-11-18"}

    before = datetime.now(UTC)
    await desk.ok("POST", "inv_chigang_1", changes, json=death)
    after = datetime.now(UTC)
    # Any investigator of the township finds it in the inbox, due within 3 months (家庭成员死亡).
    (task,) = await eventually(lambda: rechecks(desk, n, "inv_chigang_2"), within=30)
    assert task["task_label"] == "家庭情况变化复核" and task["status"] == "open"
    assert instant(task["due_at"]) in {due_after_months(before, 3), due_after_months(after, 3)}
    assert "户主之母于本月病故" in task["note"]

    # The household itself comes to the window: a self-report (主动申报), re-checked within a month.
    income = {"kind": "income_change", "description": "本人主动申报：子女已就业，月收入增加2000元",
              "occurred_on": "2026-11-10", "self_reported": True}  # fmt: skip
    await desk.ok("POST", "clerk_chigang", changes, json=income)

    async def both() -> list[dict[str, Any]]:
        items = await rechecks(desk, n)
        return items if len(items) == 2 else []

    (own,) = [t for t in await eventually(both, within=30) if t["task_id"] != task["task_id"]]
    assert own["note"].startswith("[主动申报]")
    assert instant(own["due_at"]) in {due_after_months(before, 1), due_after_months(datetime.now(UTC), 1)}

    # Refused: a role that does not report changes, another county, a report too thin to act on.
    refused(await desk.call("POST", "finance_haizhu", changes, json=death), 403, "forbidden")
    refused(await desk.call("POST", "reviewer_wushan", changes, json=death), 404, "beneficiary_not_found")
    thin = {**death, "description": "死"}
    refused(await desk.call("POST", "inv_chigang_1", changes, json=thin), 422, "validation_error")

    async def reviewed(times: int, event: str = "review_continued") -> dict[str, Any] | None:
        body: dict[str, Any] = await desk.ok("GET", "inv_chigang_1", f"{ROSTER}/{n}")
        kinds = [e["kind"] for e in body["events"]]
        return body if body["lifecycle"]["reviews_done"] == times and event in kinds else None

    # The death re-check ends "continue": no mark. The honest self-report's re-check earns it.
    done = {"outcome": "continue", "form": VISIT}
    await desk.ok("POST", "inv_chigang_1", f"/api/v1/tasks/{task['task_id']}/complete", json=done)
    detail = await eventually(lambda: reviewed(1), within=30)
    assert detail["beneficiary"]["integrity_mark"] is False
    assert n not in await credits(desk, "approver_haizhu", "integrity")
    await desk.ok("POST", "inv_chigang_1", f"/api/v1/tasks/{own['task_id']}/complete", json=done)
    detail = await eventually(lambda: reviewed(2, "integrity_mark"), within=30)  # the grant's last step
    assert detail["beneficiary"]["integrity_mark"] is True and detail["lifecycle"]["integrity_mark"] is True
    assert detail["beneficiary"]["status"] == "active"
    assert [e["kind"] for e in detail["events"]].count("change_reported") == 2
    listed = await roster(desk, "inv_chigang_1")
    assert listed[n]["integrity_mark"] is True
    for reader in ("approver_haizhu", "supervisor_haizhu"):
        credit = (await credits(desk, reader, "integrity"))[n]
        assert credit["kind_label"] == "诚信救助对象" and credit["township_code"] == "440105001"
    assert n not in await credits(desk, "approver_tianhe", "integrity")
    refused(await desk.call("GET", "inv_chigang_1", "/api/v1/credit-records"), 403, "forbidden")
    assert await rechecks(desk, n) == []


async def test_fraud_stop_ends_payment_and_the_money_paid_since_is_recovered_once(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str,
    bank_simulator: BankSimulator,
) -> None:  # fmt: skip
    desk, n, client = Desk(money_api), number("FRD"), dev_env.client
    await enrol(dev_env, sessions, task_queue, n, "冯建国", start_month="2028-01", amount_fen=80_000)
    await register_account(money_api, n, account_number(random.randint(10**6, 10**9)), "冯建国")
    for month in ("2028-01", "2028-02"):
        await pay_month(desk, client, month)
    assert [len(bank_simulator.state.credits_of(f"{n}:{m}")) for m in ("2028-01", "2028-02")] == [1, 1]
    # A cash order is the bank's business: it cannot be marked as handed over in kind.
    marked = await desk.call("POST", "finance_haizhu", f"/api/v1/payments/{n}:2028-01/delivered", json={})
    refused(marked, 409, "not_in_kind")
    # A re-check is open when the fraud comes to light.
    change = {"kind": "other", "description": "群众举报该户经营网店有隐瞒收入", "occurred_on": "2026-11-01"}
    await desk.ok("POST", "inv_chigang_1", f"{ROSTER}/{n}/changes", json=change)
    await eventually(lambda: rechecks(desk, n), within=30)

    fraud = f"{ROSTER}/{n}/fraud"
    finding = {"findings": "隐瞒经营网店收入，每月约5000元", "since_month": "2028-02",
               "policy_basis": "《社会救助暂行办法》第六十八条"}  # fmt: skip
    refused(await desk.call("POST", "reviewer_chigang", fraud, json=finding), 403, "forbidden")
    refused(await desk.call("POST", "approver_tianhe", fraud, json=finding), 404, "beneficiary_not_found")
    bad_month = {**finding, "since_month": "2028-13"}
    refused(await desk.call("POST", "approver_haizhu", fraud, json=bad_month), 422, "validation_error")
    stopped = await desk.ok("POST", "approver_haizhu", fraud, json=finding)
    assert stopped["status"] == "stopped"

    async def stopped_detail() -> dict[str, Any] | None:
        body: dict[str, Any] = await desk.ok("GET", "approver_haizhu", f"{ROSTER}/{n}")
        return body if "stopped_for_fraud" in [e["kind"] for e in body["events"]] else None

    detail = await eventually(stopped_detail, within=30)
    assert detail["beneficiary"]["status"] == "stopped"
    assert await rechecks(desk, n) == []  # the re-check is moot: cancelled
    again = refused(await desk.call("POST", "approver_haizhu", fraud, json=finding), 409, "already_stopped")
    assert "停发" in again["message"]
    late_change = await desk.call("POST", "inv_chigang_1", f"{ROSTER}/{n}/changes", json=change)
    assert "已停发" in refused(late_change, 409, "beneficiary_ended")["message"]

    await pay_month(desk, client, "2028-03")  # the next payroll passes the household by
    assert bank_simulator.state.credits_of(f"{n}:2028-03") == []

    # 追回: what was paid from 2028-02 on (one month), not January.
    recovery = f"{ROSTER}/{n}/recovery"
    plan = await desk.ok("GET", "finance_haizhu", recovery)
    assert (plan["since_month"], plan["amount_due_fen"], plan["outstanding_fen"]) == (
        "2028-02",
        80_000,
        80_000,
    )
    assert (plan["status_label"], plan["decided_by"], plan["payments"]) == ("追回中", "approver_haizhu", [])
    assert (await desk.ok("GET", "approver_haizhu", recovery))["amount_due_fen"] == 80_000
    refused(await desk.call("GET", "approver_tianhe", recovery), 404, "beneficiary_not_found")
    refused(await desk.call("GET", "inv_chigang_1", recovery), 403, "forbidden")

    pay = f"{recovery}/payments"
    first = {"reference": f"SK-{n}-1", "amount_fen": 30_000, "received_on": "2026-11-20"}
    for _ in range(2):  # the same receipt twice is recorded once
        plan = await desk.ok("POST", "finance_haizhu", pay, json=first)
        assert (plan["amount_recovered_fen"], plan["outstanding_fen"], len(plan["payments"])) == (
            30_000,
            50_000,
            1,
        )
    other_amount = {**first, "amount_fen": 40_000}
    refused(await desk.call("POST", "finance_haizhu", pay, json=other_amount), 409, "reference_used")
    over = {"reference": f"SK-{n}-2", "amount_fen": 50_001, "received_on": "2026-11-21"}
    too_much = refused(
        await desk.call("POST", "finance_haizhu", pay, json=over), 422, "amount_exceeds_outstanding"
    )
    assert "500.00元" in too_much["message"]  # what is still outstanding, in yuan
    for bad in ({"amount_fen": 0}, {"amount_fen": -100}, {"received_on": "2026-02-30"}):
        refused(await desk.call("POST", "finance_haizhu", pay, json={**over, **bad}), 422, "validation_error")
    future = {**over, "amount_fen": 100, "received_on": "2099-01-01"}
    refused(await desk.call("POST", "finance_haizhu", pay, json=future), 422, "received_in_future")
    rest = {**over, "amount_fen": 50_000}
    refused(await desk.call("POST", "approver_haizhu", pay, json=rest), 403, "forbidden")
    plan = await desk.ok("GET", "finance_haizhu", recovery)
    assert (plan["amount_recovered_fen"], len(plan["payments"])) == (30_000, 1)  # refusals left no trace

    plan = await desk.ok("POST", "finance_haizhu", pay, json=rest)
    assert (plan["outstanding_fen"], plan["status"], plan["status_label"]) == (0, "settled", "已追回")
    assert [p["amount_fen"] for p in plan["payments"]] == [30_000, 50_000]
    late = {"reference": f"SK-{n}-3", "amount_fen": 1, "received_on": "2026-11-22"}
    refused(await desk.call("POST", "finance_haizhu", pay, json=late), 409, "recovery_settled")

    # 信用档案: the county and its supervisor see the fraud entry; another county does not.
    for reader in ("approver_haizhu", "supervisor_haizhu"):
        credit = (await credits(desk, reader, "fraud"))[n]
        assert credit["kind_label"] == "骗取救助" and "隐瞒经营网店收入" in credit["summary"]
    assert n not in await credits(desk, "approver_tianhe", "fraud")
    assert n not in await credits(desk, "approver_haizhu", "integrity")


async def test_in_kind_rescue_is_marked_delivered_once_by_the_township(
    money_api: httpx.AsyncClient, sessions: Sessions
) -> None:
    desk, n = Desk(money_api), number("KND")
    payload = application_payload(n, assistance_type="temp_emergency", materials=["身份证明"],
                                  reason="住房失火，被褥口粮全部烧毁")  # fmt: skip
    filed = await desk.call("POST", "clerk_chigang", "/api/v1/applications", json=payload)
    assert filed.status_code == 201, filed.text
    task = await waiting_on(sessions, n, "emergency_approval")
    rescue = {"amount_fen": 150_000, "form_of_aid": "in_kind", "in_kind_items": "棉被2床、大米50斤、食用油2桶",
              "severity": "critical", "opinion": "突发火灾，先行救助"}  # fmt: skip
    approve = {"outcome": "approve", "form": rescue}
    await desk.ok("POST", "head_chigang", f"/api/v1/tasks/{task.task_id}/complete", json=approve)

    async def ordered() -> str | None:  # the order key, as the case's timeline shows it
        body = await desk.ok("GET", "reviewer_chigang", f"/api/v1/applications/{n}/timeline")
        keys = [e["data"].get("order_key") for e in body["events"] if e["kind"] == "payment_ordered"]
        return keys[0] if keys else None

    key = await eventually(ordered, within=30)
    url = f"/api/v1/payments/{key}/delivered"
    refused(await desk.call("POST", "inv_chigang_1", url, json={}), 403, "forbidden")
    refused(await desk.call("POST", "reviewer_wushan", url, json={}), 404, "order_not_found")
    nothing = f"/api/v1/payments/{n}:nothing/delivered"
    refused(await desk.call("POST", "reviewer_chigang", nothing, json={}), 404, "order_not_found")
    ahead = {"delivered_at": "2099-01-01T10:00:00+08:00"}
    refused(await desk.call("POST", "reviewer_chigang", url, json=ahead), 422, "delivered_in_future")
    garbled = {"delivered_at": "昨天"}
    refused(await desk.call("POST", "reviewer_chigang", url, json=garbled), 422, "validation_error")

    # Handed over on the morning of the 22nd: a time without a zone is the office's, Beijing time.
    order = await desk.ok("POST", "reviewer_chigang", url, json={"delivered_at": "2026-11-22T09:30:00"})
    assert (order["status"], order["status_label"], order["form_of_aid"]) == (
        "delivered",
        "已发放实物",
        "in_kind",
    )
    assert order["amount_fen"] == 150_000 and order["masked_name"] == "张*明"
    assert instant(order["paid_at"]) == datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    # A second click (or finance recording it too) changes nothing: one delivery, at its first time.
    later = {"delivered_at": "2026-11-22T15:00:00+08:00"}
    assert await desk.ok("POST", "finance_haizhu", url, json=later) == order


async def test_roster_filters_stay_inside_the_jurisdiction_and_show_masked_names(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str
) -> None:
    desk = Desk(money_api)
    a, c, s, x, w = (number(t) for t in ("RA", "RC", "RS", "RX", "RW"))
    names = {a: "欧阳秀英", c: "陈国平", s: "宋志刚", x: "谢美玲", w: "王德胜"}
    for who, category, start, region in ((a, "A", "2027-01", None), (c, "C", "2027-01", None),
                                         (s, "C", "2027-01", None), (x, "B", "2027-06", XINGANG),
                                         (w, "C", "2027-01", WUSHAN)):  # fmt: skip
        where = {"region": region} if region else {}
        await enrol(
            dev_env, sessions, task_queue, who, names[who], start_month=start, category=category, **where
        )
    finding = {"findings": "隐瞒名下车辆及出租房屋收入", "since_month": "2027-01",
               "policy_basis": "《最低生活保障审核确认办法》"}  # fmt: skip
    await desk.ok("POST", "approver_haizhu", f"{ROSTER}/{s}/fraud", json=finding)

    async def view(user: str, **params: Any) -> set[str]:
        found = await roster(desk, user, **params)
        assert not any(name in str(found) for name in names.values())  # masked names only
        assert all("masked_id_number" not in b for b in found.values())
        return set(found) & set(names)

    assert await view("reviewer_chigang") == {a, c, s}  # 赤岗街道 only
    assert await view("approver_haizhu") == {a, c, s, x}  # the whole of 海珠区
    assert await view("approver_tianhe") == {w}
    assert await view("approver_haizhu", region_code="440105002") == {x}
    assert await view("approver_haizhu", region_code="440106") == set()  # another county: nothing
    assert await view("reviewer_chigang", region_code="440105") == {a, c, s}  # not wider than one's own
    assert await view("approver_haizhu", status="stopped") == {s}
    assert await view("approver_haizhu", status="active") == {a, c, x}
    assert await view("approver_haizhu", category="A") == {a}
    assert await view("approver_haizhu", category="C", status="active") == {c}
    assert await view("approver_haizhu", payable_month="2027-03") == {a, c}  # x starts in June; s stopped
    # By assistance type, and by re-review due (复核月份 in or before a month).
    assert await view("approver_haizhu", assistance_type="dibao") == {a, c, s, x}
    assert await view("approver_haizhu", assistance_type="tekun") == set()
    months = {
        n: b["next_review_month"] for n, b in (await roster(desk, "approver_haizhu")).items() if n in names
    }
    due = months[a]
    expected = {n for n, m in months.items() if m is not None and m <= due}
    assert a in expected and await view("approver_haizhu", review_due_by=due) == expected
    found = await roster(desk, "approver_haizhu", region_code="440105001")
    assert (found[a]["masked_name"], found[a]["category"], found[a]["township_code"]) == (
        "欧**英",
        "A",
        "440105001",
    )
    assert found[s]["status"] == "stopped"
    for bad in (
        {"status": "paid"},
        {"category": "D"},
        {"region_code": "44x"},
        {"payable_month": "2027-3"},
        {"assistance_type": "cash"},
        {"review_due_by": "2027-3"},
    ):
        refused(await desk.call("GET", "approver_haizhu", ROSTER, params=bad), 422, "validation_error")

    # Detail: the payee account masked, a correction replacing it; outsiders get "not found".
    first, second = (account_number(random.randint(10**6, 10**9)) for _ in range(2))
    await register_account(money_api, a, first, names[a])
    await register_account(money_api, a, second, names[a], user="reviewer_chigang")
    detail = await desk.ok("GET", "inv_chigang_1", f"{ROSTER}/{a}")
    account = detail["account"]
    assert account["account"].endswith(second[-4:]) and account["updated_by"] == "reviewer_chigang"
    assert account["account_holder"] == detail["beneficiary"]["masked_name"] == "欧**英"
    assert first not in str(detail) and second not in str(detail) and names[a] not in str(detail)
    assert detail["lifecycle"]["status"] == "active"
    refused(await desk.call("GET", "approver_tianhe", f"{ROSTER}/{a}"), 404, "beneficiary_not_found")
    refused(await desk.call("GET", "reviewer_chigang", f"{ROSTER}/{x}"), 404, "beneficiary_not_found")
    body = {"account_number": second, "account_holder": names[a], "bank_name": "中国银行"}
    refused(await desk.call("PUT", "inv_chigang_1", f"{ROSTER}/{a}/account", json=body), 403, "forbidden")
