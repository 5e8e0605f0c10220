"""`python -m bench.staff_actions` (`make bench-staff`): how long a member of staff waits for the
actions of the task inbox — claim, release, complete (workflow Updates through the API) — and for
the case page's read and the inbox while intake is running.

The stack is `make run`'s, each part in its own process as `make run` starts them
(bench/run_stack.py: the dev server, the simulators, the worker, the API on loopback; SQLite). Seeding is not timed: `--cases` cases
with an open task each in the database (the inbox's load) and `--live` cases filed through the API,
whose running workflows take the actions. The baseline, measured in the same run on the same server,
is the floor of any Update-based action: a no-op Update on a workflow that does nothing else.

Targets (issue 13): claim / release / complete p95 ≤ 100 ms; the case read p95 ≤ 100 ms and the
inbox p95 ≤ 50 ms while `--intake` applications are being filed at concurrency 8. Exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.pages_10k import INVESTIGATOR, Timing, bearer, out, seed_cases
from bench.run_stack import RunStack, run_stack
from domain.calendar import CHINA_TZ
from infra.models import Task
from tests.e2e.support import DIBAO_MATERIALS
from tests.factories import application_payload
from tests.workflows.harness import home_visit

TARGETS_MS = {"claim": 100.0, "release": 100.0, "complete": 100.0, "case read": 100.0, "inbox": 50.0}
INTAKE_CONCURRENCY = 8


@workflow.defn
class FloorWorkflow:
    """The least an Update can cost: accepted, answered, nothing written."""

    def __init__(self) -> None:
        self._stop = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._stop)

    @workflow.update
    async def touch(self, n: int) -> int:
        return n

    @workflow.signal
    def stop(self) -> None:
        self._stop = True


async def floor_updates(client: Client, count: int) -> Timing:
    queue = f"bench-floor-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=queue, workflows=[FloorWorkflow], workflow_runner=UnsandboxedWorkflowRunner()
    ):
        handle = await client.start_workflow(
            FloorWorkflow.run, id=f"floor-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        await handle.execute_update(FloorWorkflow.touch, -1)  # warm: the workflow is cached
        samples = []
        for n in range(count):
            started = time.perf_counter()
            await handle.execute_update(FloorWorkflow.touch, n)
            samples.append((time.perf_counter() - started) * 1000)
        await handle.signal(FloorWorkflow.stop)
    return Timing("no-op Update (baseline)", samples)


async def file_case(api: httpx.AsyncClient, clerk: dict[str, str]) -> str:
    number = f"440105-L{uuid.uuid4().hex[:10].upper()}"
    answer = await api.post(
        "/api/v1/applications", json=application_payload(number, materials=DIBAO_MATERIALS), headers=clerk
    )
    assert answer.status_code == 201, answer.text
    return number


async def home_visits(stack: RunStack, numbers: list[str], within: float = 300.0) -> dict[str, str]:
    """application number → its open home-visit task id, once every case has one."""
    async with asyncio.timeout(within):
        while True:
            async with stack.sessions() as session:
                rows = (
                    await session.execute(
                        select(Task.application_number, Task.task_id).where(
                            Task.application_number.in_(numbers),
                            Task.task_type == "home_visit",
                            Task.status == "open",
                        )
                    )
                ).all()
            if len(rows) == len(numbers):
                return {number: task_id for number, task_id in rows}
            await asyncio.sleep(0.5)


async def timed_call(samples: list[float], request: Awaitable[httpx.Response]) -> Any:
    """Await the request (a coroutine starts nothing before it is awaited) and time it."""
    started = time.perf_counter()
    answer = await request
    samples.append((time.perf_counter() - started) * 1000)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


async def task_actions(api: httpx.AsyncClient, token: dict[str, str], tasks: dict[str, str]) -> list[Timing]:
    claim: list[float] = []
    release: list[float] = []
    complete: list[float] = []
    today = datetime.now(CHINA_TZ).date().isoformat()
    form = {"outcome": "completed", "form": {**home_visit(50_000), "visited_on": today}}
    for task_id in tasks.values():
        url = f"/api/v1/tasks/{task_id}"
        await timed_call(claim, api.post(f"{url}/claim", headers=token))
        await timed_call(release, api.post(f"{url}/release", headers=token))
        await timed_call(claim, api.post(f"{url}/claim", headers=token))
        await timed_call(complete, api.post(f"{url}/complete", json=form, headers=token))
    return [Timing("claim", claim), Timing("release", release), Timing("complete", complete)]


async def reads_during_intake(
    api: httpx.AsyncClient, token: dict[str, str], clerk: dict[str, str], live: list[str], intake: int
) -> tuple[list[Timing], float]:
    """The case read and the inbox, one after the other, for as long as `intake` applications are
    being filed at INTAKE_CONCURRENCY; returns the timings and the intake's rate (cases/s)."""
    reads: list[float] = []
    inbox: list[float] = []
    remaining = intake

    async def filer() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await file_case(api, clerk)

    started = time.perf_counter()
    filers = [asyncio.create_task(filer()) for _ in range(INTAKE_CONCURRENCY)]
    n = 0
    while not all(f.done() for f in filers):
        number = live[n % len(live)]
        n += 1
        case = await timed_call(reads, api.get(f"/api/v1/applications/{number}", headers=token))
        assert case["application_number"] == number
        await timed_call(inbox, api.get("/api/v1/tasks?limit=20", headers=token))
    await asyncio.gather(*filers)
    rate = intake / (time.perf_counter() - started)
    return [Timing("case read", reads), Timing("inbox", inbox)], rate


async def run(cases: int, live_count: int, intake: int, floor_count: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-staff-") as tmp:
        async with run_stack(Path(tmp)) as stack:
            out(f"seeding {cases:,} cases with an open task each, and {live_count} running cases …")
            seeded_at = time.perf_counter()
            await seed_cases(stack, cases)
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api:
                clerk = await bearer(api, "clerk_chigang")
                token = await bearer(api, INVESTIGATOR)
                live = [await file_case(api, clerk) for _ in range(live_count)]
                tasks = await home_visits(stack, live)
                out(f"  seeded in {time.perf_counter() - seeded_at:.1f} s (not timed)")
                floor = await floor_updates(stack.client, floor_count)
                actions = await task_actions(api, token, tasks)
                reads, rate = await reads_during_intake(api, token, clerk, live, intake)
    return report(floor, actions + reads, cases, live_count, intake, rate)


def report(floor: Timing, timings: list[Timing], cases: int, live: int, intake: int, rate: float) -> int:
    out()
    out(f"{cases:,} cases with open tasks in the database, {live} running workflows; HTTP on loopback")
    out(f"reads measured while {intake} applications were filed at concurrency {INTAKE_CONCURRENCY} "
        f"({rate:.1f} applications/s)")  # fmt: skip
    out(f"{'':28} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}   {'p95 ÷ baseline':>14}  target")
    base = floor.pct(0.95)
    out(f"{floor.name:28} {len(floor.samples_ms):5d} {floor.pct(0.5):8.1f} {base:8.1f}")
    missed = 0
    for t in timings:
        target = TARGETS_MS[t.name]
        verdict = "ok" if t.pct(0.95) <= target else "MISSED"
        missed += verdict != "ok"
        out(f"{t.name:28} {len(t.samples_ms):5d} {t.pct(0.5):8.1f} {t.pct(0.95):8.1f}   "
            f"{t.pct(0.95) / base:13.1f}×  ≤ {target:.0f} ms {verdict}")  # fmt: skip
    return 1 if missed else 0


def main() -> None:
    # The bulk cases have no workflow: their status query's "not found" warning is expected here.
    logging.getLogger("services.workflow_gateway").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases with an open task (the inbox)")
    parser.add_argument("--live", type=int, default=50, help="running cases whose tasks are acted on")
    parser.add_argument("--intake", type=int, default=200, help="applications filed during the reads")
    parser.add_argument("--floor", type=int, default=200, help="no-op Updates for the baseline")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.cases, args.live, args.intake, args.floor)))


if __name__ == "__main__":
    main()
