"""`python -m bench.intake_1000` (`make bench-intake`): how many cases a second the product takes in
through the API, how long a clerk waits for the save, and how soon the first human step of every
case (the investigator's home visit, after the data check) is open.

The stack is `make run`'s, each part in its own process (bench/run_stack.py). Seeding is not
timed. Two baselines measured in the same run:
- the raw start rate: `start_workflow` of the same workflow inputs at the same concurrency, on a task
  queue no worker polls (what the server alone can start; none of those cases runs);
- the same cases' first steps are what the intake-to-first-task rate measures, against nothing but
  the clock: the target is absolute (≥ 10 cases/s).

Targets (issue 13): API intake rate ≥ 0.7× the raw start rate; ≥ 10 cases/s from the first POST
until every case has its home visit open; API p95 ≤ 300 ms. Exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.pages_10k import Timing, bearer, out
from bench.run_stack import RunStack, peak_rss_mib, rss_mib, run_stack
from domain.application import StartApplicationInput, workflow_id_for
from domain.enums import AssistanceType, Channel
from domain.masking import mask_name
from infra.models import Task
from infra.seed import seed_demo
from tests.e2e.support import DIBAO_MATERIALS
from tests.factories import application_payload
from workflows import search_attributes as sa
from workflows.application import ApplicationWorkflow

MIN_START_RATIO = 0.7
MIN_CASES_PER_S = 10.0
MAX_P95_MS = 300.0
FIRST_TASK = "home_visit"


def numbers(count: int, tag: str) -> list[str]:
    return [f"440105-{tag}{uuid.uuid4().hex[:10].upper()}" for _ in range(count)]


async def at_concurrency(count: int, concurrency: int, one: Callable[[int], Awaitable[float]]) -> list[float]:
    """`one(i)` for i in range(count), `concurrency` at a time; each returns its latency (ms)."""
    samples: list[float] = []
    next_i = 0

    async def lane() -> None:
        nonlocal next_i
        while next_i < count:
            i, next_i = next_i, next_i + 1
            samples.append(await one(i))

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return samples


def start_input(number: str, payload: dict[str, Any]) -> StartApplicationInput:
    """What the intake service starts the workflow with (infra/case_start.py), from the payload."""
    region = payload["region"]
    incomes = [int(m["monthly_income_fen"]) for m in payload["members"]]
    return StartApplicationInput(
        application_number=number, assistance_type=AssistanceType(payload["assistance_type"]),
        county_code=region["county_code"], township_code=region["township_code"],
        community_code=region["community_code"], green_channel=False, accepted_at=datetime.now(UTC),
        channel=Channel(payload["channel"]), household_size=len(payload["members"]),
        declared_monthly_income_fen=sum(incomes), declared_member_incomes_fen=incomes,
        materials_provided=list(payload.get("materials") or []), commitment_signed=False,
        staff_relative=False, masked_name=mask_name(payload["applicant"]["name"]), submitted_by=None,
    )  # fmt: skip


async def raw_starts(stack: RunStack, count: int, concurrency: int) -> tuple[Timing, float]:
    queue = f"bench-raw-{uuid.uuid4().hex[:8]}"  # polled by nobody: none of these cases runs
    todo = numbers(count, "R")

    async def one(i: int) -> float:
        number = todo[i]
        started = time.perf_counter()
        await stack.client.start_workflow(
            ApplicationWorkflow.run, start_input(number, application_payload(number, materials=DIBAO_MATERIALS)),
            id=workflow_id_for(number), task_queue=queue,
            search_attributes=sa.initial("dibao", "440105", False),
        )  # fmt: skip
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    samples = await at_concurrency(count, concurrency, one)
    return Timing("raw start_workflow (baseline)", samples), count / (time.perf_counter() - started)


async def api_intake(
    api: httpx.AsyncClient, clerk: dict[str, str], todo: list[str], concurrency: int
) -> tuple[Timing, float, float]:
    """The POSTs; returns their timing, the rate, and when they began (perf_counter)."""

    async def one(i: int) -> float:
        number = todo[i]
        started = time.perf_counter()
        answer = await api.post(
            "/api/v1/applications", json=application_payload(number, materials=DIBAO_MATERIALS), headers=clerk
        )
        if answer.status_code != 201:
            raise SystemExit(f"intake refused {number}: {answer.status_code} {answer.text[:300]}")
        return (time.perf_counter() - started) * 1000

    began = time.perf_counter()
    samples = await at_concurrency(len(todo), concurrency, one)
    return Timing("API intake POST", samples), len(todo) / (time.perf_counter() - began), began


async def first_tasks_open(stack: RunStack, todo: list[str], began: float, within: float) -> float:
    """Seconds from `began` until every case has its home visit open (polled every 0.25 s)."""
    async with asyncio.timeout(within):
        while True:
            async with stack.sessions() as session:
                opened = await session.scalar(
                    select(func.count()).where(
                        Task.application_number.in_(todo), Task.task_type == FIRST_TASK
                    )
                )
            if opened == len(todo):
                return time.perf_counter() - began
            await asyncio.sleep(0.25)


async def run(count: int, concurrency: int, worker_env: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        async with run_stack(Path(tmp), worker_env) as stack:
            await seed_demo(stack.sessions)  # idempotent: the stack seeded it already
            raw, raw_rate = await raw_starts(stack, count, concurrency)
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=120) as api:
                clerk = await bearer(api, "clerk_chigang")
                await api.post(  # warm the API's first-request paths (not timed)
                    "/api/v1/applications",
                    json=application_payload(numbers(1, "W")[0], materials=DIBAO_MATERIALS), headers=clerk,
                )  # fmt: skip
                todo = numbers(count, "L")
                posts, api_rate, began = await api_intake(api, clerk, todo, concurrency)
                to_first = await first_tasks_open(stack, todo, began, within=max(600.0, count * 1.0))
            worker_rss = [(rss_mib(p), peak_rss_mib(p)) for p in stack.child_pids("workers.main")]
    return report(count, concurrency, raw, raw_rate, posts, api_rate, to_first, worker_rss)


def report(
    count: int, concurrency: int, raw: Timing, raw_rate: float, posts: Timing, api_rate: float,
    to_first: float, worker_rss: list[tuple[float, float]],
) -> int:  # fmt: skip
    cases_per_s = count / to_first
    checks = [
        ("API intake rate ÷ raw start rate", api_rate / raw_rate, f"≥ {MIN_START_RATIO}×",
         api_rate / raw_rate >= MIN_START_RATIO),
        ("cases/s, intake → every home visit open", cases_per_s, f"≥ {MIN_CASES_PER_S:.0f}/s",
         cases_per_s >= MIN_CASES_PER_S),
        ("API p95 ms", posts.pct(0.95), f"≤ {MAX_P95_MS:.0f} ms", posts.pct(0.95) <= MAX_P95_MS),
    ]  # fmt: skip
    out()
    out(f"{count} applications at concurrency {concurrency}, `make run`'s stack (one process each)")
    out(f"{'':34} {'rate /s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    out(f"{raw.name:34} {raw_rate:8.1f} {raw.pct(0.5):8.1f} {raw.pct(0.95):8.1f}")
    out(f"{posts.name:34} {api_rate:8.1f} {posts.pct(0.5):8.1f} {posts.pct(0.95):8.1f}")
    out(f"first POST → every home visit open: {to_first:.1f} s")
    for pid_rss, pid_peak in worker_rss:
        out(f"worker RSS {pid_rss:.0f} MiB (peak {pid_peak:.0f} MiB)")
    missed = 0
    for name, value, target, ok in checks:
        missed += not ok
        out(f"  {name:42} {value:8.2f}  {target:10} {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE",
        help="a variable for the stack's processes (a worker setting tried as a lever); repeatable",
    )  # fmt: skip
    args = parser.parse_args()
    worker_env = dict(item.split("=", 1) for item in args.env)
    sys.exit(asyncio.run(run(args.applications, args.concurrency, worker_env)))


if __name__ == "__main__":
    main()
