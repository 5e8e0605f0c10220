"""SQLAlchemy 2 async engine and session factory (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(database_url: str, echo: bool = False, pool_size: int | None = None) -> AsyncEngine:
    """`pool_size`: the connections this process keeps (None: SQLAlchemy's 5, plus 10 on demand);
    a number is the whole pool, no overflow (DATABASE_POOL_SIZE)."""
    # Statement parameters hold case data (free text, amounts, sealed values): keep them out of the
    # error messages that reach logs and Temporal failures.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if pool_size is not None:
        kwargs.update(pool_size=pool_size, max_overflow=0)
    if database_url.startswith("sqlite"):
        # One file shared by the API and the worker: wait on locks instead of failing at once.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(database_url, **kwargs)
    if database_url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


MMAP_BYTES = 1 << 30  # address space, not memory: the pages stay the OS's to evict


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the worker writes; foreign keys are off by default in SQLite.
    # WAL is a property of the file, kept once set: ask first, and switch only a file not in WAL yet.
    cursor.execute("PRAGMA journal_mode")
    (mode,) = cursor.fetchone()
    if str(mode).lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Read the file through a memory map (shared with every connection through the OS page cache)
    # instead of a read() call per page: an aggregate over a county's year (the statistics) looks
    # up hundreds of thousands of index pages, far more than SQLite's own 2 MB page cache holds.
    cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    cursor.close()


def conflict_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT with ON CONFLICT for the session's database (the product runs on SQLite and
    PostgreSQL; both dialects offer `on_conflict_do_nothing` / `on_conflict_do_update`)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def sqlite_file(database_url: str) -> Path | None:
    """The file behind a sqlite URL (None for PostgreSQL or an in-memory database)."""
    if not database_url.startswith("sqlite") or ":memory:" in database_url:
        return None
    return Path(database_url.split(":///", 1)[1])


# SQLSTATEs of a server that cannot serve now: class 08 (connection exception) and 57P01–57P03
# (admin shutdown, crash shutdown, cannot connect now: starting up, shutting down, recovering).
_OUTAGE_STATES = ("57P01", "57P02", "57P03")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached right now (down, restarting, recovering,
    the network to it cut, the pool exhausted), as opposed to a fault in the statement or the data.
    A request that met it may be sent again later unchanged."""
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, PoolTimeout)):
        return True  # asyncpg's connect raises these unwrapped (connection refused, no route)
    state = getattr(exc, "sqlstate", None)
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(state, str) and (state.startswith("08") or state in _OUTAGE_STATES)
