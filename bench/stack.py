"""The benchmark's stack, built as `make run` and the end-to-end tests build theirs: the real
Temporal dev server on a SQLite file (WAL), a freshly migrated SQLite application database, the bank
and department simulators served in-process on loopback sockets, and the worker from `build_worker`."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from infra.bank.http import make_bank_gateway
from infra.db import make_engine, make_session_factory
from infra.departments.factory import department_adapter_factory, make_department_http_client
from infra.migrate import upgrade_async
from infra.pii import PiiVault, make_pii_vault
from infra.policy_config import load_policy_book
from infra.settings import REPO_ROOT, load_settings
from infra.temporal_client import make_data_converter
from infra.temporal_tuning import dev_server_args
from simulators.bank import BankState, create_bank_app
from simulators.departments import FaultBook, Population
from simulators.departments import create_app as create_department_app
from tests.simulators.server import serve
from workers.build import WorkerResources, Workers, build_worker
from workflows import search_attributes as sa

# As infra/devstack.py starts the server: WAL keeps its single SQLite connection from stalling.
SERVER_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
SERVER_ARGS = [*SERVER_PRAGMAS, *dev_server_args()]


@dataclass
class Stack:
    env: WorkflowEnvironment
    sessions: async_sessionmaker[AsyncSession]
    vault: PiiVault
    bank: BankState
    task_queue: str
    workdir: Path
    # county code → the department adapters the worker uses (the quarterly bench's raw baseline
    # queries the simulator through the same ones)
    departments: AdapterFactory


def temporal_cli() -> str:
    path = Path(os.environ.get("TEMPORAL_CLI_PATH") or REPO_ROOT / ".tools" / "bin" / "temporal")
    if not os.access(path, os.X_OK):
        raise SystemExit(
            f"Temporal CLI not found at {path}. Fix: run scripts/toolchain.sh (make bench runs it), "
            "or set TEMPORAL_CLI_PATH to an existing executable."
        )
    return str(path)


async def migrated_database(url: str) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    await upgrade_async(url)
    engine = make_engine(url)
    return engine, make_session_factory(engine)


@asynccontextmanager
async def payroll_stack(
    workdir: Path, server_args: list[str] | None = None, population: Population | None = None
) -> AsyncIterator[Stack]:
    """Everything up and a worker polling; torn down in reverse order on the way out.
    `server_args`: the dev server's flags instead of the project's (a benchmark's "before");
    `population`: the department simulator's people (default: 300 households)."""
    settings = load_settings()
    vault = make_pii_vault(settings)
    async with AsyncExitStack() as stack:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(),
            dev_server_database_filename=str(workdir / "temporal.db"),
            dev_server_extra_args=SERVER_ARGS if server_args is None else server_args,
            search_attributes=sa.ALL_KEYS,
            data_converter=make_data_converter(settings),
            dev_server_log_level="error",
        )
        stack.push_async_callback(env.shutdown)
        engine, sessions = await migrated_database(f"sqlite+aiosqlite:///{workdir / 'app.db'}")
        stack.push_async_callback(engine.dispose)
        bank_state = BankState(processing_seconds=0.0)
        bank_url = stack.enter_context(serve(create_bank_app(bank_state)))
        bank_settings = load_settings(bank_base_url=bank_url, bank_timeout_seconds=60)
        bank = make_bank_gateway(bank_settings)
        stack.push_async_callback(bank.aclose)
        # The payroll never asks the departments; the cases of the staff-action bench do (their
        # data check), so the department simulator answers on a loopback socket as in the tests.
        if population is None:
            population = Population.generate(300, 2026, date(2026, 11, 22))
        # Idle connections kept longer than the client's pool keeps them (5 s): the server never closes
        # a connection the client is about to reuse, a race a loaded machine loses now and then.
        department_url = stack.enter_context(
            serve(create_department_app(population, FaultBook()), keep_alive_seconds=60)
        )
        department_settings = load_settings(department_base_url=department_url)
        departments = await stack.enter_async_context(make_department_http_client(department_settings))
        adapters = department_adapter_factory(department_settings, departments)
        resources = WorkerResources(
            sessions, load_policy_book(settings.policy_file), adapters,
            bank=bank, payer_account=bank_settings.bank_payer_account, pii=vault,
        )  # fmt: skip
        task_queue = f"bench-{uuid.uuid4().hex[:8]}"
        worker: Workers = build_worker(env.client, task_queue, resources)
        await stack.enter_async_context(worker)
        yield Stack(env, sessions, vault, bank_state, task_queue, workdir, adapters)
