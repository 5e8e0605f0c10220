"""`python -m bench.drill_temporal_kill [--cases 500] [--outage 30]`: the Temporal server SIGKILLed
mid-flight and restarted after an outage.

On the production topology (bench/drill_stack.py): the first half of the cases is filed through the
two API instances; the server is SIGKILLed; the second half is filed during the outage; the server
is restarted. Promises checked, exit 1 when one breaks:
- during the outage the API answers 503 with its code and Chinese message — intake
  `workflow_unavailable` "申请已保存…无需重新提交" with the application number (the case is saved),
  an action on a task `workflow_unavailable` "…本次操作未生效" — and the case page answers 200
  with 流程待启动 for a saved case;
- after the restart every case reaches its first tasks (the start repair starts the saved ones, no
  clerk resubmits), with no row doubled or lost and one running workflow per case.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from bench.drill_cases import (
    AppDb,
    Intake,
    describe,
    file_cases,
    login,
    machine,
    numbers,
    out,
    settle,
    shape_problems,
    wait_all,
    workflow_problems,
)
from bench.drill_stack import DrillStack, drill_stack
from infra.models import Task

SAVED = "无需重新提交"
NOT_DONE = "本次操作未生效"


async def probe_outage(stack: DrillStack, db: AppDb, saved: str | None, filed: list[str]) -> list[str]:
    """What the API says while the server is down; every wrong answer is one line."""
    problems: list[str] = []
    clerk, investigator = await login(stack.api(1)), await login(stack.api(0), "inv_haizhu")
    async with db.sessions() as session:
        task_id = await session.scalar(
            Task.__table__.select()
            .with_only_columns(Task.task_id)
            .where(Task.application_number.in_(filed))
            .limit(1)
        )
    async with httpx.AsyncClient(timeout=60) as client:
        if task_id is not None:
            claim = await client.post(
                f"{stack.api(0)}/api/v1/tasks/{task_id}/claim",
                headers={**investigator, "Idempotency-Key": uuid.uuid4().hex},
            )
            body: dict[str, Any] = claim.json()
            out(f"  during the outage, claim a task: {claim.status_code} {body}")
            if (
                claim.status_code != 503
                or body.get("code") != "workflow_unavailable"
                or NOT_DONE not in body.get("message", "")
            ):
                problems.append(f"task claim during the outage answered {claim.status_code} {body}")
        else:
            problems.append("no task of the first half to claim during the outage")
        if saved is not None:
            page = await client.get(f"{stack.api(1)}/api/v1/applications/{saved}", headers=clerk)
            view = page.json()
            out(
                f"  during the outage, a saved case's page: {page.status_code} stage_label={view.get('stage_label')}"
            )
            if page.status_code != 200 or view.get("stage_label") != "流程待启动":
                problems.append(f"case page of a saved case answered {page.status_code} {str(view)[:200]}")
    return problems


async def run(count: int, outage: float, within: float) -> int:
    problems: list[str] = []
    out(f"drill: Temporal server SIGKILL, {count} cases, outage {outage:.0f} s, production topology")
    async with drill_stack({"START_REPAIR_INTERVAL_SECONDS": "5"}) as stack:
        out(f"stack up (state in {stack.layout.state})")
        db = AppDb(stack)
        try:
            cases = numbers("T", count)
            before, during = cases[: count // 2], cases[count // 2 :]
            headers = await login(stack.api(0))
            started = time.monotonic()
            first, second = Intake(), Intake()
            await file_cases(stack, headers, before, 0, first)
            _, reached = await wait_all(db, before, within, enough=len(before) // 2)
            out(
                f"first half filed: {dict(first.statuses)}, {len(reached)} at their tasks, the rest in flight"
            )
            stack.kill("temporal")
            killed = time.monotonic() - started
            out(f"SIGKILL temporal at {killed:.1f} s")
            await file_cases(stack, headers, during, len(before), second)
            out(
                f"second half filed during the outage: {dict(second.statuses)} ({len(second.saved_unstarted)} saved, not started)"
            )
            saved = second.saved_unstarted[0] if second.saved_unstarted else None
            problems += await probe_outage(stack, db, saved, before)
            stored, pending = await db.stored(cases)
            out(f"stored during the outage: {stored} cases, {pending} waiting for their workflow")
            for body in second.unavailable_bodies:
                if SAVED not in body.get("message", "") or "application_number" not in body:
                    problems.append(f"intake 503 without the saved-case message: {body}")
                    break
            if second.statuses != Counter({503: len(during)}) and second.statuses.get(201, 0) == 0:
                problems.append(f"intake during the outage answered {dict(second.statuses)}")
            rest = outage - (time.monotonic() - started - killed)
            await asyncio.sleep(max(rest, 0.0))
            stack.restart("temporal")
            restarted = time.monotonic() - started
            await stack.wait_temporal()
            up = time.monotonic() - started
            out(f"temporal restarted at {restarted:.1f} s (gRPC port open at {up:.1f} s)")
            drained, done = await wait_all(db, cases, within)
            out(f"{len(done)}/{count} cases at their tasks {drained:.1f} s after the restart")
            waited = await settle(stack)
            out(f"settled {waited:.0f} s later")

            stored, pending = await db.stored(cases)
            if (stored, pending) != (count, 0):
                problems.append(f"{stored} cases stored, {pending} still waiting for their workflow")
            if len(done) != count:
                problems.append(f"{count - len(done)} cases never reached their tasks")
            if first.statuses != Counter({201: len(before)}):
                problems.append(f"intake before the outage answered {dict(first.statuses)}")
            if first.failed or second.failed:
                problems.append(
                    f"intake lost cases: {dict(list({**first.failed, **second.failed}.items())[:5])}"
                )
            shapes = await db.shapes(cases)
            reference, seen = Counter(shapes[n] for n in before).most_common(1)[0]
            out(f"each case: {describe(reference)} (as in {seen} of {len(before)} cases filed before)")
            problems += shape_problems(shapes, reference)
            problems += await db.sequence_problems(cases)
            problems += await workflow_problems(stack, count)
            problems += [f"{p} during the drill" for p in stack.died() if not p.startswith("temporal ")]
        finally:
            await db.close()
        if problems:
            for name in ("worker-1", "api-1", "temporal"):
                out(f"--- {name} log (tail) ---\n{stack.log_tail(name)}")
    out(
        f"outage {restarted - killed:.1f} s; {len(second.saved_unstarted)} cases saved during it and "
        f"started by the repair; every case at its tasks {drained:.1f} s after the restart"
    )
    out(f"machine: {machine()}")
    for problem in problems[:40]:
        out(f"FAIL: {problem}")
    out("OK: 503 during the outage, every case continued, nothing doubled or lost" if not problems else "")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drill_temporal_kill", description="演练：流程服务被强杀"
    )
    parser.add_argument("--cases", type=int, default=500, help="cases in all (quick: --cases 20)")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds the server stays down")
    parser.add_argument("--within", type=float, default=900.0, help="seconds the cases may take after it")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.cases, args.outage, args.within))


if __name__ == "__main__":
    raise SystemExit(main())
