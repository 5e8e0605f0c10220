"""The province bench's direct work on PostgreSQL, outside the product's code paths: seeding a
province's households with COPY (untimed), and the COPY baseline of the final payment rows.

asyncpg straight, not the ORM: a million households and their sealed accounts are written in well
under a minute this way (the ORM's executemany would take several)."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

import asyncpg

from domain.beneficiary import BeneficiaryStatus
from infra.pii import PiiVault
from tests.payroll.households import account_number, household_number

TAG = "V"  # household numbers <county>-V0000001 …: none of the other benches' or tests'
TOWNSHIPS = 10  # per county, so a county's orders are not all of one township
_BENEFICIARY_COLUMNS = (
    "application_number", "assistance_type", "county_code", "township_code", "community_code", "category",
    "monthly_amount_fen", "start_month", "status", "masked_name", "masked_id_number", "integrity_mark",
)  # fmt: skip
_ACCOUNT_COLUMNS = (
    "application_number", "account_holder", "account_sealed", "account_digest", "account_last4",
    "bank_name", "updated_by", "updated_at",
)  # fmt: skip
COPY_TABLE = "bench_payment_orders_copy"


def dsn(database_url: str) -> str:
    """asyncpg's DSN for the SQLAlchemy URL (postgresql+asyncpg://… → postgresql://…)."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def county_codes(count: int) -> list[str]:
    """Twenty real district codes of 广州 and 深圳 (44 广东省), then made-up ones of the province."""
    real = [f"4401{d:02d}" for d in (3, 4, 5, 6, 11, 12, 13, 14, 15, 17, 18)]
    real += [f"4403{d:02d}" for d in (3, 4, 5, 6, 7, 8, 9, 10, 11)]
    made_up = [f"449{n:03d}" for n in range(1, max(count - len(real), 0) + 1)]
    return (real + made_up)[:count]


def _households(county: str, count: int, amount_fen: int, start_month: str) -> Iterator[tuple[object, ...]]:
    for i in range(count):
        township = f"{county}{i % TOWNSHIPS + 1:03d}"
        yield (
            household_number(county, i + 1, TAG), "dibao", county, township, township + "001", "C",
            amount_fen, start_month, BeneficiaryStatus.ACTIVE.value, "张*明", "4401**********1234", False,
        )  # fmt: skip


def _accounts(
    vault: PiiVault, county: str, first_seq: int, count: int, now: datetime
) -> Iterator[tuple[object, ...]]:
    for i in range(count):
        number = account_number(first_seq + i)
        yield (
            household_number(county, i + 1, TAG), "张小明", vault.seal(number), vault.digest(number),
            number[-4:], "测试银行", "seed", now,
        )  # fmt: skip


async def seed_province(
    database_url: str, vault: PiiVault, counties: list[str], per_county: int, *, amount_fen: int,
    start_month: str = "2026-01",
) -> int:  # fmt: skip
    """Each county's enrolled households with a sealed account each (distinct card numbers across
    the province), then VACUUM ANALYZE and a checkpoint: the tables as a production database
    holds them the night before, not just after a bulk load. Returns the households written."""
    now = datetime.now(UTC)
    connection = await asyncpg.connect(dsn(database_url))
    try:
        for n, county in enumerate(counties):
            first_seq = n * per_county + 1
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "beneficiaries", columns=_BENEFICIARY_COLUMNS,
                    records=_households(county, per_county, amount_fen, start_month),
                )  # fmt: skip
                await connection.copy_records_to_table(
                    "payee_accounts", columns=_ACCOUNT_COLUMNS,
                    records=_accounts(vault, county, first_seq, per_county, now),
                )  # fmt: skip
        await connection.execute("VACUUM (ANALYZE) beneficiaries, payee_accounts, payment_orders")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    return per_county * len(counties)


async def copy_baseline(database_url: str, month: str, counties: list[str]) -> tuple[int, float]:
    """The floor: the run's final payment rows, read out first (untimed), then COPYed into a fresh
    table of payment_orders' definition (its columns, constraints and indexes). Returns (rows,
    seconds of the COPY)."""
    connection = await asyncpg.connect(dsn(database_url))
    try:
        buffer = io.BytesIO()
        await connection.copy_from_query(
            "SELECT * FROM payment_orders WHERE month = $1 AND county_code = ANY($2::text[])",
            month, counties, output=buffer, format="binary",
        )  # fmt: skip
        await connection.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        await connection.execute(f"CREATE TABLE {COPY_TABLE} (LIKE payment_orders INCLUDING ALL)")
        buffer.seek(0)
        started = time.perf_counter()
        status = await connection.copy_to_table(COPY_TABLE, source=buffer, format="binary")
        seconds = time.perf_counter() - started
        await connection.execute(f"DROP TABLE {COPY_TABLE}")
    finally:
        await connection.close()
    return int(status.split()[-1]), seconds


async def configure_cluster(
    database_url: str, settings: dict[str, str], restart: Callable[[], Awaitable[None]]
) -> None:
    """ALTER SYSTEM SET each setting, then the cluster restarted by `restart` (the Temporal server
    and the workers reconnect by themselves); with pg_stat_statements among the preloaded
    libraries, the extension is created."""
    connection = await asyncpg.connect(dsn(database_url))
    try:
        for name, value in settings.items():
            await connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    finally:
        await connection.close()
    await restart()
    for _ in range(60):
        try:
            connection = await asyncpg.connect(dsn(database_url))
            break
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(1.0)
    try:
        if "pg_stat_statements" in settings.get("shared_preload_libraries", ""):
            await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    finally:
        await connection.close()


async def reset_statement_stats(database_url: str) -> None:
    connection = await asyncpg.connect(dsn(database_url))
    try:
        await connection.execute("SELECT pg_stat_statements_reset()")
    finally:
        await connection.close()


async def top_statements(database_url: str, limit: int = 15) -> list[str]:
    """The statements that took the most time since the reset, every database of the cluster
    (the application's and Temporal's), one line each."""
    connection = await asyncpg.connect(dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT d.datname, s.calls, s.rows, s.total_exec_time, s.mean_exec_time, s.query"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " ORDER BY s.total_exec_time DESC LIMIT $1",
            limit,
        )
    finally:
        await connection.close()
    return [
        f"{r['total_exec_time'] / 1000:8.2f} s {r['calls']:>8} calls {r['rows']:>9} rows "
        f"{r['mean_exec_time']:8.2f} ms  {r['datname'][:12]:<12} {' '.join(r['query'].split())[:150]}"
        for r in rows
    ]
