"""`python -m bench.payroll_province` (`make bench-province`): a province's payroll night — 1,000,000
households in 20 counties paid, reconciled and disclosed for one month in one run, on the production
topology (bench/drill_stack.py: the Temporal server on PostgreSQL, the application database on
PostgreSQL, two worker processes, the bank simulator in its own process).

The 20 county payrolls start at once, as the counties' Schedules start them on the same night: each
Schedule's run hands its month to the month's one workflow, `payroll-<county>-<month>`, which is
what this bench starts directly (with the month, as the hand-over does). Each county's disclosure
(the DisclosureWorkflow's publish step and the masked list rendered to CSV) follows its payroll.
Seeding (households, sealed accounts) is not timed. The baseline, in the same run: PostgreSQL's
COPY of the same final payment rows into a fresh table of payment_orders' definition.

Target: wall ≤ 180 s. Checks: the bank's ledger holds one credit per household and as many
distinct references, nobody credited twice, the right total; every order paid; every county
disclosed in full. Exits 1 when the target or a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowHandle

from bench.drill_cases import machine, out
from bench.drill_stack import WORKERS, DrillStack, drill_stack
from bench.payroll_100k import disclosure_csv
from bench.proc_cpu import cpu_seconds, postmaster_pid, tree_cpu_seconds
from bench.province_db import (
    configure_cluster,
    copy_baseline,
    county_codes,
    reset_statement_stats,
    seed_province,
    top_statements,
)
from bench.steps import StepTime, activity_steps, merged_steps
from domain.beneficiary import current_month
from domain.payroll import DisclosureInput, OrderStatus, PayrollInput, PayrollResult, payroll_workflow_id
from infra.db import make_engine, make_session_factory
from infra.models import PaymentOrder
from infra.pii import make_pii_vault
from infra.temporal_client import connect_client
from workflows.payroll import DisclosureWorkflow, PayrollWorkflow

AMOUNT_FEN = 80_000
TARGET_SECONDS = 180.0


@dataclass
class County:
    code: str
    handle: WorkflowHandle[Any, PayrollResult]
    result: PayrollResult | None = None
    published: int = 0
    listed: int = 0
    csv_bytes: int = 0
    paid_at: float = 0.0  # seconds into the night
    disclosed_at: float = 0.0


async def county_night(
    client: Client, stack: DrillStack, county: County, month: str, started: float, sessions: Any
) -> None:
    county.result = await county.handle.result()
    county.paid_at = time.perf_counter() - started
    county.published = await client.execute_workflow(
        DisclosureWorkflow.run, DisclosureInput(county.code, month), id=f"disclosure-{county.code}-{month}",
        task_queue=stack.settings.temporal_task_queue,
    )  # fmt: skip
    county.listed, county.csv_bytes = await disclosure_csv(sessions, county.code, month)
    county.disclosed_at = time.perf_counter() - started
    paid = county.result.paid
    out(
        f"  {county.code}: {paid:,} paid at {county.paid_at:6.1f} s, disclosed at {county.disclosed_at:6.1f} s"
    )


def cpu_snapshot(stack: DrillStack) -> dict[str, float]:
    """CPU seconds so far of each process of the topology (PostgreSQL: all its backends)."""
    snapshot = {name: cpu_seconds(stack.children[name].pid) for name in (*WORKERS, "bank", "temporal")}
    postmaster = postmaster_pid(stack.layout.pg_dir)
    snapshot["postgres"] = tree_cpu_seconds(postmaster) if postmaster else 0.0
    snapshot["bench"] = time.process_time()
    return snapshot


async def check(
    stack: DrillStack, sessions: Any, counties: list[County], month: str, households: int
) -> list[str]:
    problems = []
    codes = [c.code for c in counties]
    async with sessions() as session:
        rows = await session.execute(
            select(PaymentOrder.status, func.count())
            .where(PaymentOrder.county_code.in_(codes), PaymentOrder.month == month)
            .group_by(PaymentOrder.status)
        )
        statuses = {status: int(n) for status, n in rows}
    async with httpx.AsyncClient(timeout=120) as client:
        answer = await client.get(f"{stack.bank_url}/admin/ledger/summary")
    answer.raise_for_status()
    ledger = answer.json()
    paid = statuses.get(OrderStatus.PAID.value, 0)
    out(f"orders by status: {statuses}")
    out(
        f"bank ledger: {ledger['credit_count']:,} credits, {ledger['reference_count']:,} distinct references, "
        f"{ledger['total_fen'] / 100:,.2f} 元, {len(ledger['duplicates'])} credited twice"
    )
    if paid != households or sum(statuses.values()) != households:
        problems.append(f"{paid:,} of {sum(statuses.values()):,} orders paid, {households:,} households")
    if not ledger["credit_count"] == ledger["reference_count"] == households:
        problems.append(
            f"ledger: {ledger['credit_count']:,} credits for {ledger['reference_count']:,} references, "
            f"expected {households:,} of each"
        )
    if ledger["duplicates"]:
        problems.append(f"{len(ledger['duplicates'])} references credited more than once")
    if ledger["total_fen"] != households * AMOUNT_FEN:
        problems.append(f"ledger total {ledger['total_fen']} fen, expected {households * AMOUNT_FEN}")
    per_county = households // len(counties)
    for c in counties:
        result = c.result
        if result is None or (result.paid, result.failed) != (per_county, 0):
            problems.append(f"{c.code}: the workflow reports {result and (result.paid, result.failed)}")
        if not c.published == c.listed == per_county:
            problems.append(f"{c.code}: disclosure {c.published} published, {c.listed} listed")
    return problems + [f"{p} during the run" for p in stack.died()]


def start_profilers(stack: DrillStack, folder: Path | None) -> list[subprocess.Popen[bytes]]:
    """py-spy on the workers and the bank for the night (collapsed stacks, one file each)."""
    if folder is None:
        return []
    binary = shutil.which("py-spy")
    if binary is None:
        raise SystemExit("--py-spy needs py-spy on PATH (pip install py-spy)")
    folder.mkdir(parents=True, exist_ok=True)
    profilers = []
    for name in (*WORKERS, "bank"):
        out_file, pid = str(folder / f"{name}.txt"), str(stack.children[name].pid)
        command = [binary, "record", "--nonblocking", "-r", "50", "-f", "raw", "-o", out_file, "-p", pid]
        profilers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return profilers


def stop_profilers(profilers: list[subprocess.Popen[bytes]]) -> None:
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)
    for profiler in profilers:
        profiler.wait(timeout=60)


async def restart_postgres(stack: DrillStack) -> None:
    await asyncio.to_thread(stack.stop_postgres, "fast")
    await asyncio.to_thread(stack.start_postgres)


def report(steps: list[StepTime], counties: list[County], cpu: dict[str, float], wall: float) -> None:
    out(f"  {'step (all counties)':<28}{'activities':>11}{'span s':>9}{'busy s':>9}{'retries':>9}")
    for s in steps:
        out(f"  {s.activity:<28}{s.count:>11}{s.span_seconds:>9.2f}{s.busy_seconds:>9.2f}{s.retries:>9}")
    paid = sorted(c.paid_at for c in counties)
    disclosed = sorted(c.disclosed_at for c in counties)
    out(f"  first county paid {paid[0]:.1f} s, last {paid[-1]:.1f} s; last disclosed {disclosed[-1]:.1f} s")
    out(f"  disclosure CSV: {sum(c.csv_bytes for c in counties) / 1e6:.1f} MB in all")
    share = "  ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
    out(f"CPU seconds during the night ({sum(cpu.values()):.1f} of {2 * wall:.1f} on 2 cores): {share}")


async def run(
    households: int,
    county_count: int,
    batch_size: int,
    within: float,
    pg_stats: bool,
    pg_set: list[str],
    py_spy: Path | None,
) -> int:
    codes = county_codes(county_count)
    per_county = households // county_count
    households = per_county * county_count
    out(
        f"a province's payroll night: {households:,} households in {county_count} counties "
        f"({per_county:,} each), files of {batch_size}, production topology"
    )
    out(f"machine at start: {machine()}")
    async with drill_stack() as stack:
        out(f"stack up (state in {stack.layout.state})")
        url = stack.settings.database_url
        cluster = dict(item.split("=", 1) for item in pg_set)
        if pg_stats:
            cluster["shared_preload_libraries"] = "pg_stat_statements"
        if cluster:
            out(f"PostgreSQL settings for this run: {cluster}")
            await configure_cluster(url, cluster, lambda: restart_postgres(stack))
        engine = make_engine(stack.settings.database_url)
        sessions = make_session_factory(engine)
        try:
            began = time.perf_counter()
            await seed_province(
                stack.settings.database_url, make_pii_vault(stack.settings), codes, per_county,
                amount_fen=AMOUNT_FEN,
            )  # fmt: skip
            out(
                f"seeded {households:,} households with sealed accounts in {time.perf_counter() - began:.1f} s (not timed)"
            )
            client = await connect_client(stack.settings)
            month = current_month(datetime.now(UTC))
            out(f"machine before the night: {machine()}")
            if pg_stats:
                await reset_statement_stats(url)

            profilers = start_profilers(stack, py_spy)
            cpu_before, started = cpu_snapshot(stack), time.perf_counter()
            queue = stack.settings.temporal_task_queue
            handles = await asyncio.gather(
                *(
                    client.start_workflow(
                        PayrollWorkflow.run, PayrollInput(code, month, batch_size),
                        id=payroll_workflow_id(code, month), task_queue=queue,
                    )
                    for code in codes
                )
            )  # fmt: skip
            counties = [County(code, handle) for code, handle in zip(codes, handles, strict=True)]
            out(f"{county_count} payrolls of {month} started in {time.perf_counter() - started:.2f} s")
            await asyncio.wait_for(
                asyncio.gather(*(county_night(client, stack, c, month, started, sessions) for c in counties)),
                timeout=within,
            )
            wall = time.perf_counter() - started
            cpu_after = cpu_snapshot(stack)
            stop_profilers(profilers)
            out(f"machine after the night: {machine()}")

            cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
            steps = merged_steps([await activity_steps(c.handle) for c in counties])
            problems = await check(stack, sessions, counties, month, households)
            statements = await top_statements(url) if pg_stats else []
            copied, copy_seconds = await copy_baseline(url, month, codes)
        finally:
            await engine.dispose()
        if problems:
            for name in (*WORKERS, "bank"):
                out(f"--- {name} log (tail) ---\n{stack.log_tail(name)}")
    report(steps, counties, cpu, wall)
    if statements:
        out("PostgreSQL's busiest statements during the night (pg_stat_statements):")
        for line in statements:
            out(f"  {line}")
    ratio = wall / copy_seconds
    out(
        f"wall (payroll + disclosure, {households:,} households): {wall:.1f} s   "
        f"COPY of the {copied:,} final rows: {copy_seconds:.2f} s   ratio: {ratio:.1f}×"
    )
    out(f"machine: {machine()}")
    if wall > TARGET_SECONDS:
        problems.append(f"wall time {wall:.1f} s is over the {TARGET_SECONDS:.0f} s target")
    for problem in problems[:40]:
        out(f"FAIL: {problem}")
    out("OK: every household paid exactly once and disclosed, target met" if not problems else "")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.payroll_province", description="全省按月发放之夜性能基准"
    )
    parser.add_argument("--households", type=int, default=1_000_000, help="in all, split evenly")
    parser.add_argument("--counties", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=5000, help="lines per bank file")
    parser.add_argument(
        "--pg-stats", action="store_true", help="print PostgreSQL's busiest statements (pg_stat_statements)"
    )
    parser.add_argument(
        "--pg-set", action="append", default=[], metavar="NAME=VALUE",
        help="a PostgreSQL setting for this run (ALTER SYSTEM, then a restart before seeding)",
    )  # fmt: skip
    parser.add_argument(
        "--py-spy", type=Path, metavar="DIR", help="profile the workers and the bank with py-spy into DIR"
    )
    parser.add_argument("--within", type=float, default=1800.0, help="seconds before the run is given up")
    args = parser.parse_args(argv)
    return asyncio.run(
        run(
            args.households,
            args.counties,
            args.batch_size,
            args.within,
            args.pg_stats,
            args.pg_set,
            args.py_spy,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
