"""`python -m bench.statistics_200k` (`make bench-statistics`): the county's monthly statistics and
the ministry's monthly report with 200,000 applications (their time limits, breaches and stage
timelines) and 100,000 beneficiaries with 12 months of payments in the application database.

Seeding is bulk inserts (executemany) into a freshly migrated database and is not timed. Timed, in
the same run: the overview of county 440105 for 2026-11 (every figure of services/statistics.py)
and the monthly report, each against a target of ≤ 1 s, printed beside one plain `SELECT COUNT(*)`
over each table they read (the floor: a scan of the same rows). `--database-url` runs it on
PostgreSQL (an empty database the bench may migrate and fill). Exits 1 when a target is missed or a
figure is not what the seeding implies.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.stack import migrated_database
from domain.calendar import CHINA_TZ
from domain.enums import AssistanceType
from domain.policy import RegionStandards
from domain.staff import Actor, Role
from infra.models import (
    Application,
    Beneficiary,
    CaseEvent,
    CaseLimit,
    PaymentOrder,
    QuarterlyCheck,
    Region,
    RiskWarningRow,
    Task,
)
from services.statistics import StatisticsService

COUNTY = "440105"
COMMUNITIES = (
    ("440105001001", "urban"),
    ("440105001002", "rural"),
    ("440105002001", "urban"),
    ("440105002002", "rural"),
)
MONTH = "2026-11"
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
TARGET_SECONDS = 1.0
NOW = datetime(2026, 12, 1, 10, tzinfo=CHINA_TZ)
CHUNK = 10_000
STAGES = ("intake", "verification", "approval")
TYPES = ("dibao", "dibao", "dibao", "tekun", "temp_expenditure")
CHANNELS = ("walk_in", "online", "proxy", "grid_report")
TABLES = (Application, CaseLimit, CaseEvent, Beneficiary, PaymentOrder, Task, RiskWarningRow, QuarterlyCheck)


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _bulk(sessions: async_sessionmaker[AsyncSession], model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with sessions.begin() as session:
            await session.execute(insert(model), rows[start : start + CHUNK])


def _case_rows(
    n: int, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One application accepted in 2026 (spread over January–November), its three limits (about
    one in twelve breached) and its timeline (accepted, three stages, a decision)."""
    number = f"{COUNTY}-S{n:07d}"
    community, _ = COMMUNITIES[n % len(COMMUNITIES)]
    accepted = datetime(2026, 1, 5, 9, tzinfo=CHINA_TZ) + timedelta(minutes=(n * 2411) % (320 * 24 * 60))
    kind = TYPES[n % len(TYPES)]
    decided = n < 100_000 or n % 3 == 0  # the first 100,000 are the enrolled households
    stage = ("approved" if n < 100_000 or n % 5 else "rejected") if decided else STAGES[n % 3]
    app = {
        "application_number": number, "workflow_id": f"application-{number}", "assistance_type": kind,
        "channel": CHANNELS[n % 4], "county_code": COUNTY, "township_code": community[:9], "community_code": community,
        "applicant_name": "测试", "applicant_id_number_sealed": "x", "applicant_id_number_digest": f"d{n}",
        "applicant_phone_sealed": "x", "applicant_phone_digest": f"p{n}", "household_size": 1 + n % 4,
        "green_channel": n % 17 == 0, "payload_sealed": "x", "payload_fingerprint": f"f{n}", "stage": stage,
        "accepted_at": accepted, "workflow_pending": False, "created_at": accepted, "updated_at": accepted,
    }  # fmt: skip
    limits = []
    for seq, (name, days) in enumerate(
        (("verification_start", 4), ("approval", 20), ("whole_process", 42)), 1
    ):
        deadline = accepted + timedelta(days=days)
        breached = deadline if (n + seq) % 12 == 0 else None
        limits.append({
            "application_number": number, "limit_name": name, "county_code": COUNTY, "township_code": community[:9],
            "assistance_type": kind, "green_channel": n % 17 == 0, "started_at": accepted, "deadline": deadline,
            "breached_at": breached, "seq": seq,
        })  # fmt: skip
    events = [
        {
            "application_number": number,
            "seq": 1,
            "at": accepted,
            "kind": "accepted",
            "stage": "intake",
            "summary": "",
            "data": {},
        }
    ]
    at = accepted
    previous: tuple[str | None, datetime | None] = (None, None)  # as record_event keeps them
    for seq, name in enumerate((*STAGES, stage) if decided else STAGES[: STAGES.index(stage) + 1], 2):
        events.append(
            {
                "application_number": number,
                "seq": seq,
                "at": at,
                "kind": "stage",
                "stage": name,
                "summary": "",
                "data": {},
                "previous_stage": previous[0],
                "previous_stage_at": previous[1],
            }
        )
        previous = (name, at)
        at += timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 8))
    return app, limits, events


async def seed(sessions: async_sessionmaker[AsyncSession], applications: int, households: int) -> None:
    rng = random.Random(20261201)
    async with sessions.begin() as session:
        for code, name, level, parent, kind in (
            (COUNTY, "海珠区", "county", None, None), ("440105001", "赤岗街道", "township", COUNTY, None),
            ("440105002", "新港街道", "township", COUNTY, None),
            *((c, f"社区{c[-3:]}", "community", c[:9], k) for c, k in COMMUNITIES),
        ):  # fmt: skip
            session.add(Region(code=code, name=name, level=level, parent_code=parent, urban_rural=kind))
    for start in range(0, applications, 50_000):
        apps, limits, events = [], [], []
        for n in range(start, min(start + 50_000, applications)):
            app, lim, ev = _case_rows(n, rng)
            apps.append(app)
            limits += lim
            events += ev
        await _bulk(sessions, Application, apps)
        await _bulk(sessions, CaseLimit, limits)
        await _bulk(sessions, CaseEvent, events)
    for start in range(0, households, 20_000):
        homes, orders, tasks, checks = [], [], [], []
        for n in range(start, min(start + 20_000, households)):
            number = f"{COUNTY}-S{n:07d}"
            community, _ = COMMUNITIES[n % len(COMMUNITIES)]
            kind = TYPES[n % len(TYPES)] if TYPES[n % len(TYPES)] != "temp_expenditure" else "dibao"
            exit_month = "2026-11" if n % 50 == 0 else None
            homes.append({
                "application_number": number, "assistance_type": kind, "county_code": COUNTY,
                "township_code": community[:9], "community_code": community, "category": "ABC"[n % 3],
                "monthly_amount_fen": 40_000 + (n % 7) * 10_000, "household_size": 1 + n % 4, "start_month": "2025-12",
                "status": "exited" if exit_month else ("phase_out" if n % 41 == 0 else "active"),
                "exit_month": exit_month, "masked_name": "张*", "masked_id_number": "4401**********0000",
            })  # fmt: skip
            for month in MONTHS:
                failed = (n + int(month[5:])) % 97 == 0
                paid_day = 10 if n % 23 else 14
                orders.append({
                    "order_key": f"{number}:{month}", "application_number": number, "kind": "monthly", "month": month,
                    "county_code": COUNTY, "township_code": community[:9], "assistance_type": kind,
                    "amount_fen": 40_000 + (n % 7) * 10_000, "form_of_aid": "cash", "status": "failed" if failed else "paid",
                    "batch_id": f"B-{month}-{n // 5000}", "attempts": 2 if n % 61 == 0 else 1,
                    "paid_at": None if failed else datetime(2026, int(month[5:]), paid_day, 10, tzinfo=CHINA_TZ),
                    "ordered_at": datetime(2026, int(month[5:]), 10, 8, tzinfo=CHINA_TZ),
                    "masked_name": "张*", "masked_id_number": "4401**********0000",
                })  # fmt: skip
            # The year's four quarterly data exchanges (02:00 on the quarter's first day) checked
            # every household; one in 37 raised a warning.
            checks += [
                {"period": "2025Q4" if q == 1 else f"2026Q{q - 1}", "application_number": number,
                 "county_code": COUNTY, "warned": n % 37 == 0,
                 "checked_at": datetime(2026, 3 * q - 2, 1, 2, tzinfo=CHINA_TZ)}
                for q in (1, 2, 3, 4)
            ]  # fmt: skip
            if n % 10 == 0:
                done = datetime(2026, 1 + n % 11, 15, 10, tzinfo=CHINA_TZ)
                tasks.append({
                    "task_id": f"{number}:re_review", "application_number": number, "task_type": "re_review",
                    "stage": "enrolled", "candidate_role": "investigator", "region_code": community[:9],
                    "county_code": COUNTY, "status": "completed", "created_at": done, "completed_at": done,
                    "outcome": "exit" if n % 500 == 0 else "continue", "form": {}, "note": "", "revision": 1,
                })  # fmt: skip
        await _bulk(sessions, Beneficiary, homes)
        await _bulk(sessions, PaymentOrder, orders)
        await _bulk(sessions, Task, tasks)
        await _bulk(sessions, QuarterlyCheck, checks)


async def plain_counts(sessions: async_sessionmaker[AsyncSession]) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    counts: dict[str, int] = {}
    async with sessions() as session:
        for model in TABLES:
            counts[model.__tablename__] = int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
    return time.perf_counter() - started, counts


async def timed(label: str, call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call()
    seconds = time.perf_counter() - started
    out(f"  {label:<34}{seconds:>8.3f} s")
    return seconds, result


async def run(database_url: str | None, applications: int, households: int, reuse: Path | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-statistics-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{reuse or Path(tmp) / 'app.db'}"
        # Migrating a kept file runs the migrations written since it was seeded (their fills).
        engine, sessions = await migrated_database(url)
        try:
            async with sessions() as session:
                seeded = int(await session.scalar(select(func.count()).select_from(Application)) or 0)
            out(
                f"statistics benchmark on {engine.dialect.name}: {applications:,} applications, {households:,} households × 12 months"
            )
            if seeded and reuse is None:
                out("FAIL: the database is not empty (the bench fills a fresh one; --reuse keeps a file)")
                return 1
            if seeded and seeded != applications:
                out(f"FAIL: {reuse} holds {seeded:,} applications, not {applications:,}")
                return 1
            if seeded:
                out(f"reusing {reuse} (seeded before; not reseeded)")
            else:
                started = time.perf_counter()
                await seed(sessions, applications, households)
                out(f"seeded in {time.perf_counter() - started:.1f} s (not timed)")
            if engine.dialect.name == "postgresql":
                async with engine.begin() as connection:
                    await connection.execute(text("ANALYZE"))
            service = StatisticsService(sessions, lambda county: RegionStandards(), lambda: NOW)
            actor = Actor("bench", "基准", Role.SUPERVISOR, COUNTY)
            await service.overview(actor, COUNTY, MONTH)  # warm the caches once, as a running server has them
            out("timed (warm):")
            count_seconds, (_, counts) = await timed(
                f"plain COUNT(*) of the {len(TABLES)} tables", lambda: plain_counts(sessions)
            )
            overview_seconds, overview = await timed(
                f"overview {COUNTY} {MONTH}", lambda: service.overview(actor, COUNTY, MONTH)
            )
            dibao_seconds, _ = await timed(
                f"overview {COUNTY} {MONTH} 低保 only",
                lambda: service.overview(actor, COUNTY, MONTH, AssistanceType.DIBAO),
            )
            report_seconds, report = await timed(
                f"monthly report {COUNTY} {MONTH}", lambda: service.monthly_report(actor, COUNTY, MONTH)
            )
        finally:
            await engine.dispose()
    out("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    problems = []
    for label, seconds in (
        ("overview", overview_seconds),
        ("overview 低保", dibao_seconds),
        ("monthly report", report_seconds),
    ):
        if seconds > TARGET_SECONDS:
            problems.append(f"{label} took {seconds:.3f} s, over the {TARGET_SECONDS:.0f} s target")
    out(
        f"ratio to the plain COUNT(*): overview {overview_seconds / count_seconds:.1f}×, report {report_seconds / count_seconds:.1f}×"
    )
    paid = sum(1 for n in range(households) if (n + 11) % 97 != 0)
    if overview.money.paid != paid:
        problems.append(f"paid orders of {MONTH}: {overview.money.paid:,}, expected {paid:,}")
    if overview.roster.households != households - len(range(0, households, 50)):
        problems.append(f"roster households {overview.roster.households:,}")
    out(
        f"figures: received {overview.applications.totals.received:,}, limits due {overview.limits.overall.met + overview.limits.overall.breached:,} "
        f"(on time {overview.limits.overall.on_time_rate.percent}%), paid {overview.money.paid:,} "
        f"({overview.money.paid_fen / 100:,.2f} 元), roster {overview.roster.households:,}, report rows {len(report.rows)}"
    )
    for problem in problems:
        out(f"FAIL: {problem}")
    if not problems:
        out("OK: targets met, figures as seeded")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statistics_200k", description="统计分析性能基准")
    parser.add_argument("--database-url", default=None, help="默认：临时 SQLite 文件；PostgreSQL 须为空库")
    parser.add_argument("--applications", type=int, default=200_000)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="SQLite 文件：不存在或为空则填充并保留，已填充则直接复用（不重新填充）",
    )
    args = parser.parse_args(argv)
    if args.households > args.applications:
        parser.error("--households must not exceed --applications")
    if args.reuse and args.database_url:
        parser.error("--reuse is for a SQLite file; a --database-url database is reused as it is")
    return asyncio.run(run(args.database_url, args.applications, args.households, args.reuse))


if __name__ == "__main__":
    raise SystemExit(main())
