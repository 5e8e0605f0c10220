"""`python -m bench.quarterly_100k` (`make bench-quarterly`): the quarterly data exchange (季度数据比对)
for 100,000 enrolled households, end to end on this machine — real Temporal dev server, SQLite
application database, department simulator on a loopback socket, the worker from `build_worker` —
against a baseline: the same households queried straight through the department adapters, in the
same batches and as many batches at once, with no workflow and no database write (the floor).

Seeding (the simulator's population, the households' case files) is not timed. Checked after the
run: one `quarterly_checks` row per household and nobody listed for a person, the warnings the
planted mismatches must raise (and none for the clean household), the workflow's totals equal to
the rows written. Exits 1 when the target (workflow ≤ 2× the baseline) or a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from temporalio.client import WorkflowHandle

from activities.data_check import AdapterFactory
from activities.quarterly_queries import Household, ask, groups_by_county
from bench.quarterly_seed import Enrolled, Planted, enrol_all, population_for
from bench.stack import Stack, payroll_stack
from bench.steps import activity_steps
from domain.departments import Department, DepartmentAdapter, DepartmentUnavailable
from infra.models import QuarterlyCheck, RecheckFailure, RiskWarningRow
from workflows.quarterly_recheck import (
    HOUSEHOLDS_PER_QUERY,
    PAGE_SIZE,
    PARALLEL_BATCHES,
    QuarterlyRecheckInput,
    QuarterlyRecheckResult,
    QuarterlyRecheckWorkflow,
)

PERIOD = "2026Q4"
MAX_RAW_RETRIES = 100
TARGET_RATIO = 2.0


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


@dataclass
class RssWatch:
    start: int = 0
    peak: int = 0


@contextmanager
def watch_rss(every: float = 0.1) -> Iterator[RssWatch]:
    """This process's resident set, sampled from a thread (the event loop may be busy): its value
    when the watch starts and its peak while it runs."""
    watch, stop = RssWatch(rss_bytes(), rss_bytes()), threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            watch.peak = max(watch.peak, rss_bytes())

    thread = threading.Thread(target=sample, name="rss-watch", daemon=True)
    thread.start()
    try:
        yield watch
    finally:
        stop.set()
        thread.join()
        watch.peak = max(watch.peak, rss_bytes())


def pages(households: list[Enrolled], size: int) -> list[list[Enrolled]]:
    return [households[i : i + size] for i in range(0, len(households), size)]


async def raw_queries(
    adapters: AdapterFactory, households: list[Enrolled], size: int, per_query: int, as_of: date,
    retries: list[int],
) -> int:  # fmt: skip
    """The floor: the department queries a re-check batch makes (`activities.quarterly_queries`:
    the same groups of each county's households, every department at once per group, the groups of a batch one
    after the other), at most PARALLEL_BATCHES batches in flight, the answers validated and mapped by
    the adapters; nothing decrypted, assessed or written. Returns the number of households answered."""
    gate = asyncio.Semaphore(PARALLEL_BATCHES)

    async def ask_again(
        departments: Mapping[Department, DepartmentAdapter], group: list[Household]
    ) -> list[Any]:
        # As the re-check's batches are retried: a department that dropped the connection is asked
        # again (counted, and printed), not taken as the end of the run.
        while True:
            try:
                return await ask(departments, group, as_of)
            except DepartmentUnavailable:
                retries[0] += 1
                if retries[0] > MAX_RAW_RETRIES:
                    raise
                await asyncio.sleep(1)

    async def batch(part: list[Enrolled]) -> int:
        answered = 0
        async with gate:
            asked = [Household(n, h.community_code[:6], h.id_numbers) for n, h in enumerate(part)]
            for county, county_groups in groups_by_county(asked, per_query).items():
                for group in county_groups:
                    outcomes = await ask_again(adapters(county), group)
                    answered += sum(1 for o in outcomes if not isinstance(o, Exception))
        return answered

    return sum(await asyncio.gather(*(batch(p) for p in pages(households, size))))


async def history_steps(stack: Stack, workflow_id: str) -> dict[str, list[float]]:
    """Activity type → [count, busy seconds, retries] over every run of the chain (it continues
    as new every few hundred pages)."""
    totals: dict[str, list[float]] = {}
    async for execution in stack.env.client.list_workflows(f'WorkflowId = "{workflow_id}"'):
        handle: WorkflowHandle[Any, Any] = stack.env.client.get_workflow_handle(
            workflow_id, run_id=execution.run_id
        )
        for step in await activity_steps(handle):
            row = totals.setdefault(step.activity, [0, 0.0, 0])
            row[0] += step.count
            row[1] += step.busy_seconds
            row[2] += step.retries
    return totals


async def check(
    stack: Stack, result: QuarterlyRecheckResult, households: list[Enrolled], planted: list[Planted]
) -> list[str]:
    """What must hold after the run; every broken promise is one line."""
    problems: list[str] = []
    async with stack.sessions() as session:
        checks = dict(
            (await session.execute(
                select(QuarterlyCheck.application_number, QuarterlyCheck.warned).where(QuarterlyCheck.period == PERIOD)
            )).all()
        )  # fmt: skip
        check_rows = await session.scalar(
            select(func.count()).select_from(QuarterlyCheck).where(QuarterlyCheck.period == PERIOD)
        )
        failed = await session.scalar(
            select(func.count()).select_from(RecheckFailure).where(RecheckFailure.period == PERIOD)
        )
        warnings = (await session.execute(
            select(RiskWarningRow.application_number, RiskWarningRow.rule)
            .where(RiskWarningRow.origin == "quarterly", RiskWarningRow.period == PERIOD)
        )).all()  # fmt: skip
    numbers = {h.number for h in households}
    if check_rows != len(households) or set(checks) != numbers:
        missed, extra = len(numbers - set(checks)), len(set(checks) - numbers)
        problems.append(
            f"{check_rows} check rows for {len(households)} households ({missed} missed, {extra} unknown)"
        )
    if failed:
        problems.append(f"{failed} households listed for a person (none expected)")
    if (result.checked, result.failed_households) != (len(households), 0):
        problems.append(
            f"the workflow reports {result.checked} checked and {result.failed_households} failed"
        )
    rules: dict[str, set[str]] = {}
    for number, rule in warnings:
        rules.setdefault(number, set()).add(rule)
    if len(warnings) != result.warnings or len(rules) != result.warned_households:
        problems.append(
            f"the workflow reports {result.warnings} warnings of {result.warned_households} households, "
            f"the database holds {len(warnings)} of {len(rules)}"
        )
    if {n for n, warned in checks.items() if warned} != set(rules):
        problems.append("the checks marked warned are not the households with warnings")
    for p in planted:
        found = rules.get(p.number, set())
        if p.rule is None and found:
            problems.append(f"clean household {p.number} raised {sorted(found)}")
        elif p.rule is not None and p.rule not in found:
            problems.append(f"planted {p.number}: no {p.rule} warning (raised {sorted(found)})")
    return problems


async def run(households: int, batch_size: int, per_query: int) -> int:
    as_of = date.today()  # what the workflow takes as the day of the check
    started = time.perf_counter()
    population, enrolled, planted = population_for(households, as_of)
    out(
        f"quarterly re-check benchmark: {len(enrolled):,} households ({len(population):,} in the department "
        f"simulator, {len(planted)} planted), pages of {batch_size}, {PARALLEL_BATCHES} in flight, "
        f"up to {per_query} households a department query, period {PERIOD}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-quarterly-") as tmp:
        async with payroll_stack(Path(tmp), population=population) as stack:
            await enrol_all(stack.sessions, stack.vault, enrolled)
            out(f"seeded in {time.perf_counter() - started:.1f} s (not timed); load average {load()}")

            with watch_rss() as raw_rss:
                mark, cpu = time.perf_counter(), time.process_time()
                raw_retries = [0]
                answered = await raw_queries(
                    stack.departments, enrolled, batch_size, per_query, as_of, raw_retries
                )
                raw = time.perf_counter() - mark
                raw_cpu = time.process_time() - cpu
            out(
                f"baseline: {answered:,} of {len(enrolled):,} households answered by every department straight "
                f"through the adapters: {raw:.2f} s (CPU {raw_cpu:.1f} s, {raw_retries[0]} groups asked again); "
                f"load average {load()}"
            )

            workflow_id = f"quarterly-bench-{stack.task_queue}"
            with watch_rss() as rss:
                mark, cpu = time.perf_counter(), time.process_time()
                result: QuarterlyRecheckResult = await stack.env.client.execute_workflow(
                    QuarterlyRecheckWorkflow.run, QuarterlyRecheckInput(period=PERIOD, page_size=batch_size, households_per_query=per_query),
                    id=workflow_id, task_queue=stack.task_queue,
                )  # fmt: skip
                wall = time.perf_counter() - mark
                wall_cpu = time.process_time() - cpu
            wall_load = load()
            steps = await history_steps(stack, workflow_id)
            problems = await check(stack, result, enrolled, planted)
    ratio = wall / raw
    out(
        f"workflow: {wall:.2f} s (CPU {wall_cpu:.1f} s): {result.checked:,} checked, {result.warned_households:,} "
        f"households warned, {result.warnings:,} warnings, {result.failed_households} for a person"
    )
    out(f"  {'activity':<22}{'count':>8}{'busy s':>10}{'retries':>9}")
    for name, (count, busy, retries) in steps.items():
        out(f"  {name:<22}{int(count):>8}{busy:>10.1f}{int(retries):>9}")
    mb = 1024 * 1024
    out(
        "memory of this process (worker, department simulator, bench — one process): "
        f"RSS {rss.start / mb:.0f} MB at the start of the workflow, peak {rss.peak / mb:.0f} MB during it "
        f"(+{(rss.peak - rss.start) / mb:.0f} MB; baseline +{(raw_rss.peak - raw_rss.start) / mb:.0f} MB); "
        f"lifetime peak (getrusage, seeding included) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    out(f"wall: {wall:.2f} s   baseline: {raw:.2f} s   ratio: {ratio:.2f}×   load average {wall_load}")
    if ratio > TARGET_RATIO:
        problems.append(f"ratio {ratio:.2f}× is above the {TARGET_RATIO:g}× target")
    for problem in problems:
        out(f"FAIL: {problem}")
    if not problems:
        out("OK: every household checked once, the planted mismatches warned, target met")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.quarterly_100k", description="十万户季度数据比对性能基准"
    )
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument(
        "--batch-size", type=int, default=PAGE_SIZE, help="households per re-check batch (page)"
    )
    parser.add_argument(
        "--households-per-query", type=int, default=HOUSEHOLDS_PER_QUERY,
        help="households asked about in one department query (1: each alone)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    return asyncio.run(run(args.households, args.batch_size, args.households_per_query))


if __name__ == "__main__":
    raise SystemExit(main())
