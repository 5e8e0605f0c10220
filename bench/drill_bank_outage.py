"""`python -m bench.drill_bank_outage [--households 10000] [--outage 60]`: the bank down while a
county's monthly payroll runs.

On the production topology (bench/drill_stack.py): households enrolled in 海珠区 with bank accounts
sealed with this installation's keys; the bank simulator's fault injection (docs/simulators.md)
set before the run starts — the first file is taken by the bank and its answer lost (a timeout
after processing: the case where a resend could pay twice), then every request refused (503) for
`--outage` seconds; after the outage one result file comes back truncated. The finance officer
starts the month through API instance 2 (as in the production test).

Promises checked, exit 1 when one breaks: during the outage the run waits (not completed, not
failed, no order paid twice, none marked paid without the bank); after it the run resumes by
itself and completes; every household is paid exactly once — the bank's ledger holds one credit
per reference and as many references as paid orders, the right total, no duplicate — and every
order row is paid. Printed: the run's time, the outage, the retries of the bank steps.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.client import Client

from bench.drill_cases import login, machine, out
from bench.drill_stack import DrillStack, drill_stack
from bench.steps import activity_steps
from domain.beneficiary import current_month
from domain.payroll import OrderStatus
from infra.db import make_engine, make_session_factory
from infra.models import PaymentOrder
from infra.pii import make_pii_vault
from tests.payroll.households import seed_households

COUNTY = "440105"
AMOUNT_FEN = 80_000
BANK_TIMEOUT_SECONDS = (
    10  # the gateway's timeout in this drill (BANK_TIMEOUT_SECONDS), so a lost answer costs 10 s
)


async def bank(stack: DrillStack, method: str, path: str, **kwargs: Any) -> Any:
    async with httpx.AsyncClient(timeout=60) as client:
        answer = await client.request(method, stack.bank_url + path, **kwargs)
    answer.raise_for_status()
    return answer.json()


async def run_view(stack: DrillStack, finance: dict[str, str], month: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(timeout=60) as client:
        runs = await client.get(
            f"{stack.api(0)}/api/v1/payroll/runs", params={"month": month}, headers=finance
        )
    if runs.status_code != 200 or not runs.json():
        return None
    view: dict[str, Any] = runs.json()[0]
    return view


async def order_counts(stack: DrillStack, month: str) -> dict[str, int]:
    engine = make_engine(stack.settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.execute(
                select(PaymentOrder.status, func.count())
                .where(PaymentOrder.county_code == COUNTY, PaymentOrder.month == month)
                .group_by(PaymentOrder.status)
            )
            return {status: count for status, count in rows}
    finally:
        await engine.dispose()


async def run(households: int, outage: float, within: float) -> int:
    problems: list[str] = []
    out(
        f"drill: bank outage of {outage:.0f} s during the payroll of {households:,} households, production topology"
    )
    async with drill_stack({"BANK_TIMEOUT_SECONDS": str(BANK_TIMEOUT_SECONDS)}) as stack:
        out(f"stack up (state in {stack.layout.state})")
        engine = make_engine(stack.settings.database_url)
        started = time.monotonic()
        numbers = await seed_households(
            make_session_factory(engine), make_pii_vault(stack.settings), COUNTY, households, tag="Z",
            amount_fen=AMOUNT_FEN,
        )  # fmt: skip
        await engine.dispose()
        out(f"seeded {len(numbers):,} households with sealed accounts in {time.monotonic() - started:.1f} s")

        # The first file is taken and its answer lost; then the bank refuses everything.
        lost = {"kind": "timeout", "endpoint": "submit", "after_processing": True,
                "sleep_seconds": BANK_TIMEOUT_SECONDS + 10}  # fmt: skip
        await bank(stack, "POST", "/admin/faults", json=lost)
        await bank(stack, "POST", "/admin/faults", json={"kind": "unavailable", "times": 10_000})
        finance = await login(stack.api(1), "finance_haizhu")
        month = current_month(datetime.now(UTC))
        async with httpx.AsyncClient(timeout=60) as client:
            started_run = await client.post(
                f"{stack.api(1)}/api/v1/payroll/runs", json={"county_code": COUNTY, "month": month},
                headers={**finance, "Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
        if started_run.status_code != 202:
            raise SystemExit(f"payroll start answered {started_run.status_code}: {started_run.text}")
        workflow_id = started_run.json()["workflow_id"]
        began = time.monotonic()
        out(f"payroll {workflow_id} started; the bank is down")

        await asyncio.sleep(outage)
        view = await run_view(stack, finance, month)
        counts = await order_counts(stack, month)
        summary = await bank(stack, "GET", "/admin/ledger/summary")
        refused = [f for f in await bank(stack, "GET", "/admin/faults") if f["kind"] == "unavailable"]
        refusals = 10_000 - (refused[0]["remaining"] if refused else 0)
        out(
            f"after {outage:.0f} s of outage: run {view and view['status']}, orders {counts}, "
            f"bank refused {refusals} requests, ledger {summary['credit_count']} credits"
        )
        if view is None or view["status"] == "completed":
            problems.append(f"the run did not wait for the bank: {view}")
        if counts.get(OrderStatus.PAID.value, 0):
            problems.append(f"{counts[OrderStatus.PAID.value]} orders marked paid while the bank was down")
        if summary["duplicates"]:
            problems.append(f"paid twice during the outage: {len(summary['duplicates'])} references")
        if refusals == 0:
            problems.append("the bank was never asked during the outage (no retry?)")

        await bank(stack, "DELETE", "/admin/faults")
        await bank(stack, "POST", "/admin/faults", json={"kind": "truncated", "endpoint": "result"})
        back = time.monotonic()
        out("the bank is back (one result file will come back truncated)")
        temporal = await Client.connect(
            stack.settings.temporal_address, namespace=stack.settings.temporal_namespace
        )
        handle = temporal.get_workflow_handle(workflow_id)
        status = ""
        while time.monotonic() - back < within:
            description = await handle.describe()
            status = description.status.name if description.status is not None else ""
            if status != "RUNNING":
                break
            await asyncio.sleep(1.0)
        finished = time.monotonic()
        out(
            f"payroll {status} {finished - back:.1f} s after the bank came back ({finished - began:.1f} s in all)"
        )

        view = await run_view(stack, finance, month)
        counts = await order_counts(stack, month)
        summary = await bank(stack, "GET", "/admin/ledger/summary")
        paid = counts.get(OrderStatus.PAID.value, 0)
        out(
            f"orders {counts}; bank ledger {summary['credit_count']} credits for {summary['reference_count']} references, total {summary['total_fen'] / 100:,.2f} 元"
        )
        if status != "COMPLETED" or view is None or view["status"] != "completed":
            problems.append(f"the run did not complete: workflow {status}, run {view and view['status']}")
        if paid != sum(counts.values()) or paid < households:
            problems.append(f"{paid} orders paid of {sum(counts.values())} ({households} households seeded)")
        if not summary["credit_count"] == summary["reference_count"] == paid:
            problems.append(
                f"ledger: {summary['credit_count']} credits, {summary['reference_count']} references, {paid} paid orders"
            )
        if summary["duplicates"]:
            problems.append(f"{len(summary['duplicates'])} references credited more than once")
        if summary["total_fen"] != paid * AMOUNT_FEN:
            problems.append(f"ledger total {summary['total_fen']} fen, expected {paid * AMOUNT_FEN}")
        for number in numbers[:: max(1, len(numbers) // 25)]:  # each one, for a sample of households
            credited = await bank(stack, "GET", "/admin/ledger", params={"reference": f"{number}:{month}"})
            if (credited["count"], credited["total_fen"]) != (1, AMOUNT_FEN):
                problems.append(f"{number}: {credited['count']} credits, {credited['total_fen']} fen")
        steps = await activity_steps(handle)
        out(f"  {'step':<22}{'activities':>11}{'span s':>9}{'retries':>9}")
        for s in steps:
            out(f"  {s.activity:<22}{s.count:>11}{s.span_seconds:>9.1f}{s.retries:>9}")
        problems += [f"{p} during the drill" for p in stack.died()]
        if problems:
            for name in ("worker-1", "worker-2", "bank"):
                out(f"--- {name} log (tail) ---\n{stack.log_tail(name)}")
    out(f"machine: {machine()}")
    for problem in problems[:40]:
        out(f"FAIL: {problem}")
    out("OK: the run waited, resumed and paid every household exactly once" if not problems else "")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drill_bank_outage", description="演练：发放期间银行中断"
    )
    parser.add_argument(
        "--households", type=int, default=10_000, help="households paid (quick: --households 500)"
    )
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the bank refuses every request")
    parser.add_argument(
        "--within", type=float, default=900.0, help="seconds the run may take after the outage"
    )
    args = parser.parse_args(argv)
    return asyncio.run(run(args.households, args.outage, args.within))


if __name__ == "__main__":
    raise SystemExit(main())
