"""Shared fixtures: the two real Temporal servers (from .tools/, never downloaded), a migrated
database, and unique task queues and application numbers per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from infra.db import make_engine, make_session_factory
from infra.departments.factory import department_adapter_factory, make_department_http_client
from infra.migrate import upgrade_async
from infra.seed import seed_demo
from infra.settings import load_settings
from infra.temporal_client import ensure_search_attributes, make_data_converter
from infra.temporal_tuning import dev_server_args
from simulators.bank import BankState, create_bank_app
from simulators.departments import FaultBook, Population, create_app

# The SMS simulator's fixtures (`sms_simulator`), for every test directory.
from tests.sms_sim import SmsSimulator, _sms_faults_cleared, sms_simulator  # noqa: F401
from workflows import search_attributes as sa

REPO = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("SA_TOOLS_DIR") or REPO / ".tools")


def toolchain_path(env_var: str, default: Path, what: str) -> str:
    """A toolchain executable, or a failed run that says how to install it. Never a skip."""
    path = Path(os.environ.get(env_var) or default)
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"{what} not found at {path}. Fix: run scripts/toolchain.sh (make test runs it), "
            f"or set {env_var} to an existing executable.",
            pytrace=False,
        )
    return str(path)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Say the order's seed even under -q (pytest-randomly prints it only in the header), so a
    failure that depends on the order can be run again in that order."""
    seed = getattr(session.config.option, "randomly_seed", None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if seed is not None and reporter is not None:
        reporter.write_line(
            f"tests in random order; to repeat this order: make test PYTEST_ARGS=--randomly-seed={seed}"
        )


def temporal_cli() -> str:
    return toolchain_path("TEMPORAL_CLI_PATH", TOOLS / "bin" / "temporal", "Temporal CLI (dev server)")


@pytest_asyncio.fixture(scope="session")
async def dev_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (temporal server start-dev), headless, on a database file of
    the session. Not in memory: under heavy load the server's SQLite driver can drop a connection
    after an interrupted query ("Error interrupted (9)"), and an in-memory database vanishes with its
    last connection — the namespace with it, so every later call answered "Namespace default is not
    found" for the rest of the run (seen in a fresh-clone run; temporalio/temporal#3784)."""
    database = tmp_path_factory.mktemp("temporal-dev-server") / "temporal.db"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=sa.ALL_KEYS,
        data_converter=make_data_converter(load_settings()),
        dev_server_log_level="error",
        dev_server_extra_args=[
            "--db-filename",
            str(database),
            # The file only has to outlive a dropped connection, not a power cut: no fsync.
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=off",
            *dev_server_args(),  # as `make run` starts it
        ],
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Java time-skipping test server (io.temporal:temporal-test-server)."""
    path = toolchain_path(
        "TEMPORAL_TEST_SERVER_PATH",
        TOOLS / "bin" / "temporal-test-server",
        "Temporal time-skipping test server",
    )
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=make_data_converter(load_settings())
    )
    await ensure_search_attributes(env.client, env.client.namespace)
    yield env
    await env.shutdown()


def test_server_path() -> str:
    return toolchain_path(
        "TEMPORAL_TEST_SERVER_PATH",
        TOOLS / "bin" / "temporal-test-server",
        "Temporal time-skipping test server",
    )


@asynccontextmanager
async def dated_test_server(start: datetime) -> AsyncIterator[WorkflowEnvironment]:
    """The real time-skipping test server with its clock started at `start` (via libfaketime in the
    toolchain's wrapper), so a test can run a case on real 2026 dates around holidays."""
    os.environ["TEMPORAL_TEST_SERVER_FAKE_START"] = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    try:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=test_server_path(),
            data_converter=make_data_converter(load_settings()),
            test_server_startup_timeout=timedelta(seconds=90),
        )
    finally:
        del os.environ["TEMPORAL_TEST_SERVER_FAKE_START"]
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        yield env
    finally:
        await env.shutdown()


@dataclass
class DepartmentSimulator:
    """The department simulator served on a real loopback socket, shared by a test session."""

    url: str
    population: Population
    faults: FaultBook


@pytest.fixture(scope="session")
def department_simulator() -> Iterator[DepartmentSimulator]:
    from tests.simulators.server import serve

    population = Population.generate(300, 2026, date(2026, 11, 22))
    faults = FaultBook()
    with serve(create_app(population, faults)) as url:
        yield DepartmentSimulator(url, population, faults)


@pytest_asyncio.fixture(scope="session")
async def department_adapters(department_simulator: DepartmentSimulator) -> AsyncIterator[AdapterFactory]:
    """The real HTTP adapters pointed at the simulator, as the worker builds them."""
    settings = load_settings(department_base_url=department_simulator.url, department_timeout_seconds=5.0)
    async with make_department_http_client(settings) as client:
        yield department_adapter_factory(settings, client)


@pytest.fixture(autouse=True)
def _department_faults_cleared(department_simulator: DepartmentSimulator) -> Iterator[None]:
    # A test that takes a department down must not leave it down for the next one.
    yield
    department_simulator.faults.clear()


@dataclass
class BankSimulator:
    """The bank (代发) simulator served on a real loopback socket, shared by a test session.
    `state` is the simulator's own state: register accounts, inspect the ledger, `reset()` it."""

    base_url: str
    state: BankState


@pytest.fixture(scope="session")
def bank_simulator() -> Iterator[BankSimulator]:
    from tests.simulators.server import serve

    state = BankState()
    with serve(create_bank_app(state)) as url:
        yield BankSimulator(url, state)


@pytest.fixture(autouse=True)
def _bank_faults_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    # Only for tests that use the bank: the others never start it. A fault or a slow bank left
    # behind must not leak into the next test; the ledger stays (tests reset it when they need to).
    yield
    if "bank_simulator" in request.fixturenames:
        bank: BankSimulator = request.getfixturevalue("bank_simulator")
        bank.state.faults.clear()
        bank.state.set_processing_seconds(None)


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex}"


@pytest.fixture
def application_number() -> str:
    return f"440105-{uuid.uuid4().hex[:12].upper()}"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'app.db'}"


@pytest_asyncio.fixture(scope="session")
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated, seeded embedded database shared by the workflow and end-to-end tests."""
    await upgrade_async(sqlite_url)
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    await seed_demo(factory)
    yield factory
    await engine.dispose()
