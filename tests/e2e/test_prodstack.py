"""`make run-production`'s topology as an operator gets it (issue 12, items 1 to 3): the Temporal
server on PostgreSQL with SQL visibility, two workers, two API instances, a real process tree on
ports and files of its own, stopped by Ctrl-C — and on it the checks that matter there: intake and
tasks through both API instances, the payroll with two workers, the privacy scan of Temporal's
PostgreSQL tables, the operators' search-attribute filters (Stage, Overdue, WaitingFor) on SQL
visibility, the start repair. Everything shares one stack start (docs/production.md, "Tests").

Needs the production engine (scripts/toolchain.sh production): a missing binary fails the test with
the fix, never skips it. Timeouts are generous: the first start creates the cluster, the Temporal
schemas and the application's, on two shared cores."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from domain.application import workflow_id_for
from domain.beneficiary import current_month
from infra.db import make_engine, make_session_factory
from infra.models import Application
from infra.pii import PiiVault, make_pii_vault
from infra.seed import DEMO_PASSWORD
from infra.settings import Settings
from tests.conftest import REPO, TOOLS, temporal_cli, toolchain_path
from tests.e2e.support import DIBAO_MATERIALS
from tests.factories import application_payload, id_number
from tests.payroll.households import account_number, seed_households
from tests.ports import free_ports

pytestmark = pytest.mark.production
UP = "production topology is up"


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_run(length: int, taken: set[int]) -> int:
    """The first of `length` consecutive free ports (the server's four membership ports)."""
    for _ in range(200):
        base = random.randint(20000, 29000)
        run = range(base, base + length)
        if not taken.intersection(run) and all(_free(p) for p in run):
            return base
    raise AssertionError("no run of free ports found")


def _engine(var: str, name: str, what: str) -> str:
    # The production engine is not part of `scripts/toolchain.sh all`: name its own command.
    return toolchain_path(
        var,
        TOOLS / "bin" / name,
        f"{what} (built by `make test-production` / `scripts/toolchain.sh production`)",
    )


class ProdStack:
    def __init__(self, state: Path, pg_dir: Path) -> None:
        names = ("POSTGRES", "TEMPORAL", "TEMPORAL_HTTP", "HISTORY", "MATCHING", "SYSTEM_WORKER", "UI")
        names += ("DEPARTMENTS", "BANK", "SMS")
        drawn = free_ports(len(names) + 2)
        self.ports = dict(zip(names, drawn, strict=False))
        self.apis = (drawn[-2], drawn[-1])
        self.ports["MEMBERSHIP"] = _free_run(4, set(drawn))
        self.env = {
            **os.environ,
            "TEMPORAL_CLI_PATH": temporal_cli(),
            "TEMPORAL_SERVER_PATH": _engine("TEMPORAL_SERVER_PATH", "temporal-server", "Temporal server"),
            "TEMPORAL_SQL_TOOL_PATH": _engine(
                "TEMPORAL_SQL_TOOL_PATH", "temporal-sql-tool", "Temporal SQL tool"
            ),
            "TEMPORAL_UI_SERVER_PATH": _engine(
                "TEMPORAL_UI_SERVER_PATH", "temporal-ui-server", "Temporal UI server"
            ),
            "PROD_STATE_DIR": str(state),
            "PROD_PG_DIR": str(pg_dir),
            "PROD_API_PORTS": ",".join(map(str, self.apis)),
            "PROD_BUILD_ID": f"test-{uuid.uuid4().hex[:8]}",
            **{f"PROD_{name}_PORT": str(port) for name, port in self.ports.items()},
        }
        self.log = state.parent / "prodstack.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, within: float = 420.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "infra.prodstack"], cwd=REPO, env=self.env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + within
        while UP not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("production stack did not come up:\n" + self.tail())
            time.sleep(0.5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        return self.proc.wait(timeout=180)

    def api(self, index: int) -> str:
        return f"http://127.0.0.1:{self.apis[index]}"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ProdStack]:
    # PostgreSQL runs as the `postgres` user: its data directory cannot live under pytest's
    # root-only tmp_path, so it gets a directory of its own in /tmp.
    pg_dir = Path(tempfile.mkdtemp(prefix="sa-prodstack-pg-", dir="/tmp"))
    prod = ProdStack(tmp_path / "state", pg_dir)
    yield prod
    if prod.proc is not None and prod.proc.poll() is None:
        prod.proc.send_signal(signal.SIGINT)
        try:
            prod.proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            prod.proc.kill()
    subprocess.run(
        [str(REPO / "scripts" / "postgres.sh"), "stop", str(pg_dir)], check=False, capture_output=True
    )
    shutil.rmtree(pg_dir, ignore_errors=True)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _until(check: Any, within: float, what: str) -> Any:
    end = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not reached within {within:.0f} s")
        time.sleep(0.5)


async def _temporal_rows(port: int, workflow_id: str, id_number: str) -> tuple[int, int, int]:
    """(executions, history nodes, history nodes containing the ID number) of the workflow, read
    from the Temporal server's own PostgreSQL database."""
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="sa", database="temporal")
    try:
        executions = await conn.fetchval(
            "SELECT count(*) FROM executions WHERE workflow_id = $1", workflow_id
        )
        nodes = await conn.fetchval(
            "SELECT count(*) FROM history_node n JOIN executions e ON n.tree_id = e.run_id"
            " WHERE e.workflow_id = $1",
            workflow_id,
        )
        leaked = await conn.fetchval(
            "SELECT count(*) FROM history_node WHERE position($1::bytea in data) > 0", id_number.encode()
        )
    finally:
        await conn.close()
    return int(executions), int(nodes), int(leaked)


def _vault(stack: ProdStack) -> PiiVault:
    """A vault with this installation's PII keys (generated by the stack on its first start)."""
    keys = json.loads((Path(stack.env["PROD_STATE_DIR"]) / "secrets.json").read_text())
    return make_pii_vault(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            pii_keys=json.loads(keys["PII_KEYS"]),
            pii_active_key=keys["PII_ACTIVE_KEY"],
            pii_hash_key=keys["PII_HASH_KEY"],
        )
    )


def _app_db(stack: ProdStack) -> str:
    return f"postgresql+asyncpg://sa@127.0.0.1:{stack.ports['POSTGRES']}/social_assistance"


async def _store_pending_case(stack: ProdStack, payload: dict[str, Any], accepted_at: datetime) -> None:
    """What an API process killed between its commit and the workflow start leaves behind: the
    case stored, pending, sealed with this installation's keys, and no workflow."""
    clerk = {
        "username": "clerk_chigang",
        "display_name": "陈晓敏",
        "role": "intake_clerk",
        "region_code": "440105001",
    }
    number = payload["application_number"]
    row = Application(
        application_number=number,
        workflow_id=workflow_id_for(number),
        assistance_type="dibao",
        channel="walk_in",
        county_code="440105",
        township_code="440105001",
        community_code="440105001001",
        applicant_name=payload["applicant"]["name"],
        household_size=len(payload["members"]),
        green_channel=False,
        stage="intake",
        accepted_at=accepted_at,
        workflow_pending=True,
    )
    row.seal_personal_data(
        _vault(stack),
        id_number=payload["applicant"]["id_number"],
        phone=payload["applicant"]["phone"],
        submission={**payload, "submitted_by": clerk},
    )
    engine = make_engine(_app_db(stack))
    try:
        async with make_session_factory(engine).begin() as session:
            session.add(row)
    finally:
        await engine.dispose()


def _person_payload(number: str, seq: int, applicant: str, spouse: str, phone: str) -> dict[str, Any]:
    """A case of its own people: names, ID numbers and phone no other case of the test shares, so
    the privacy scan looks for each case's own personal data."""
    applicant_id = id_number(birth="19750101", seq=seq)
    payload = application_payload(number, materials=DIBAO_MATERIALS)
    payload["applicant"] = {"name": applicant, "id_number": applicant_id, "phone": phone}
    payload["members"] = [
        {"name": applicant, "id_number": applicant_id, "relation": "self", "monthly_income_fen": 50_000},
        {
            "name": spouse,
            "id_number": id_number(birth="19780202", seq=seq + 1),
            "relation": "spouse",
            "monthly_income_fen": 0,
        },
    ]
    return payload


def _personal_data(payload: dict[str, Any]) -> dict[str, str]:
    """label → value of every name, ID number and phone of a case (labels never hold the value)."""
    number = payload["application_number"]
    found = {f"{number} applicant phone": payload["applicant"]["phone"]}
    found[f"{number} applicant name"] = payload["applicant"]["name"]
    found[f"{number} applicant ID"] = payload["applicant"]["id_number"]
    for i, member in enumerate(payload["members"]):
        found[f"{number} member {i} name"] = member["name"]
        found[f"{number} member {i} ID"] = member["id_number"]
    return found


async def _privacy_leaks(port: int, needles: dict[str, str]) -> list[str]:
    """Every (database, table, column, label) where a value of `needles` is found in clear (UTF-8)
    in any text, bytea or JSON column of the Temporal server's two databases."""
    labels, values = list(needles), [v.encode() for v in needles.values()]
    leaks: list[str] = []
    for database in ("temporal", "temporal_visibility"):
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="sa", database=database)
        try:
            columns = await conn.fetch(
                "SELECT table_name, column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'public' AND data_type IN"
                " ('bytea', 'text', 'character varying', 'character', 'json', 'jsonb')"
            )
            for col in columns:
                table, column = col["table_name"], col["column_name"]
                value = f'"{column}"'
                if col["data_type"] != "bytea":
                    value = f"convert_to({value}::text, 'UTF8')"
                hits = await conn.fetch(
                    f'SELECT DISTINCT i FROM "{table}", generate_subscripts($1::bytea[], 1) AS i'
                    f" WHERE position(($1::bytea[])[i] in {value}) > 0",
                    values,
                )
                leaks += [f"{database}.{table}.{column}: {labels[r['i'] - 1]}" for r in hits]
        finally:
            await conn.close()
    return leaks


async def _scanned_rows(port: int) -> dict[str, int]:
    """Rows of the tables the privacy scan must have looked at (a scan of empty tables proves nothing)."""
    counts: dict[str, int] = {}
    for database, table in (
        ("temporal", "history_node"),
        ("temporal", "executions"),
        ("temporal_visibility", "executions_visibility"),
    ):
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="sa", database=database)
        try:
            counts[f"{database}.{table}"] = int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
        finally:
            await conn.close()
    return counts


async def _history(address: str, workflow_id: str) -> list[Any]:
    client = await Client.connect(address)
    return [event async for event in client.get_workflow_handle(workflow_id).fetch_history_events()]


def _data_check_done(address: str, workflow_id: str) -> bool:
    """Every department query the case scheduled has completed (so a fault set now cannot reach it)."""
    events = asyncio.run(_history(address, workflow_id))
    asked = {
        e.event_id
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.activity_type.name == "query_department"
    }
    answered = {
        e.activity_task_completed_event_attributes.scheduled_event_id
        for e in events
        if e.HasField("activity_task_completed_event_attributes")
    }
    return bool(asked) and asked <= answered


def _activity_identities(address: str, workflow_ids: list[str]) -> dict[str, int]:
    """identity → activity tasks it started, over the given workflows' histories."""
    counts: dict[str, int] = {}
    for workflow_id in workflow_ids:
        for event in asyncio.run(_history(address, workflow_id)):
            if event.HasField("activity_task_started_event_attributes"):
                identity = event.activity_task_started_event_attributes.identity
                counts[identity] = counts.get(identity, 0) + 1
    return counts


def _worker_pids(stack: ProdStack) -> set[int]:
    """The pids of the stack's two `workers.main` children (the SDK's identity is `<pid>@<host>`)."""
    assert stack.proc is not None
    pids: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == stack.proc.pid and b"workers.main" in cmdline:
            pids.add(int(stat.parent.name))
    return pids


def _bank(stack: ProdStack, path: str, **params: str) -> Any:
    response = httpx.get(f"http://127.0.0.1:{stack.ports['BANK']}{path}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


async def _closed(address: str, workflow_id: str) -> str:
    """The workflow's status name (its result is encrypted: the plain client reads status only)."""
    client = await Client.connect(address)
    described = await client.get_workflow_handle(workflow_id).describe()
    return described.status.name if described.status is not None else ""


def _pay_county_month(stack: ProdStack, finance: dict[str, str], month: str) -> tuple[str, Any]:
    """海珠区's month paid through API instance 2 as its finance officer: (workflow id, the run as
    GET /api/v1/payroll/runs shows it once the workflow has completed)."""
    response = httpx.post(
        stack.api(1) + "/api/v1/payroll/runs",
        json={"county_code": "440105", "month": month},
        headers={**finance, "Idempotency-Key": uuid.uuid4().hex},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    workflow_id = response.json()["workflow_id"]
    address = f"127.0.0.1:{stack.ports['TEMPORAL']}"
    status = _until(
        lambda: (s := asyncio.run(_closed(address, workflow_id))) != "RUNNING" and s,
        180,
        "the payroll run",
    )
    assert status == "COMPLETED", status + stack.tail()
    runs = httpx.get(
        stack.api(1) + "/api/v1/payroll/runs", params={"month": month}, headers=finance, timeout=30
    )
    assert runs.status_code == 200, runs.text
    (run,) = runs.json()
    return workflow_id, run


async def _build_of(address: str, workflow_id: str) -> str:
    client = await Client.connect(address)
    described = await client.get_workflow_handle(workflow_id).describe()
    build: str = described.raw_description.workflow_execution_info.versioning_info.deployment_version.build_id
    return build


async def _listed(address: str, query: str) -> list[str]:
    client = await Client.connect(address)
    return [wf.id async for wf in client.list_workflows(query)]


async def _seed_households(stack: ProdStack, count: int) -> list[str]:
    """Enrolled 海珠区 households with bank accounts sealed with this installation's keys."""
    engine = make_engine(_app_db(stack))
    try:
        return await seed_households(make_session_factory(engine), _vault(stack), "440105", count, tag="Q")
    finally:
        await engine.dispose()


def _login(stack: ProdStack, username: str) -> dict[str, str]:
    token = httpx.post(
        stack.api(0) + "/api/v1/auth/token",
        data={"username": username, "password": DEMO_PASSWORD},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _open_tasks(stack: ProdStack, clerk: dict[str, str], number: str) -> list[str] | None:
    case = httpx.get(f"{stack.api(1)}/api/v1/applications/{number}", headers=clerk, timeout=30)
    assert case.status_code == 200, case.text
    return [t["task_type"] for t in case.json()["open_tasks"]] or None


def test_production_topology_serves_cases_pays_and_hides_personal_data_on_postgres(
    stack: ProdStack, application_number: str
) -> None:
    """One stack start (the expensive part) for every check, in one function: the checks share the
    stack's state (its ledger, its visibility), so separate tests would depend on their order."""
    stack.start()
    clerk = _login(stack, "clerk_chigang")
    address = f"127.0.0.1:{stack.ports['TEMPORAL']}"
    port = stack.ports["POSTGRES"]
    prefix = application_number[:-4]
    cases: dict[str, dict[str, Any]] = {}

    # Intake on API instance 1.
    payload = _person_payload(application_number, 101, "张小明", "李秀英", "13812345678")
    created = httpx.post(stack.api(0) + "/api/v1/applications", json=payload, headers=clerk, timeout=60)
    assert created.status_code == 201, created.text + stack.tail()
    workflow_id = created.json()["workflow_id"]
    cases[workflow_id] = payload

    # Two cases the intake stored but never started (an API process killed after its commit), one
    # accepted 100 days ago: its 30-working-day limit has passed, so it is Overdue once started.
    # Stored now, so the workers' start repair (every 30 s) runs while the payroll does.
    orphan = _person_payload(prefix + "FFFF", 303, "王建国", "赵丽华", "13922223333")
    late = _person_payload(prefix + "EEEE", 505, "刘德胜", "孙美玲", "13744445555")
    now = datetime.now(UTC)
    asyncio.run(_store_pending_case(stack, orphan, now - timedelta(minutes=5)))
    asyncio.run(_store_pending_case(stack, late, now - timedelta(days=100)))
    for case in (orphan, late):
        cases[workflow_id_for(case["application_number"])] = case

    # The other API instance (same token: the instances share the generated JWT secret) sees the
    # case, and the first tasks the workers opened.
    tasks = _until(lambda: _open_tasks(stack, clerk, application_number), 120, "first tasks via API 2")
    assert tasks == ["home_visit"]

    # SMS through the simulator with the installation's generated key: the workers' 受理 notice of
    # that case, and a portal sign-in code sent by API instance 2 (an API with the development
    # SMS_API_KEY would not have started; with no SMS settings the code would not arrive).
    sms = f"http://127.0.0.1:{stack.ports['SMS']}/admin/messages"

    def received(phone: str, template: str) -> list[Any] | None:
        listed = httpx.get(sms, params={"phone": phone}, timeout=30).json()
        return [m for m in listed if m["template"] == template] or None

    _until(lambda: received("13812345678", "application_accepted"), 120, "the 受理 SMS")
    asked = httpx.post(stack.api(1) + "/portal/login/code", data={"phone": "13912340000"}, timeout=30)
    assert asked.status_code == 200 and "验证码已发送" in asked.text, asked.text[-2000:] + stack.tail()
    assert received("13912340000", "verification_code")

    # The history lives in the Temporal server's PostgreSQL database.
    executions, nodes, leaked = asyncio.run(
        _temporal_rows(port, workflow_id, payload["applicant"]["id_number"])
    )
    assert executions == 1 and nodes > 0 and leaked == 0
    query = f"WorkflowId = '{workflow_id}' AND CountyCode = '440105' AND GreenChannel = false"
    assert _until(lambda: asyncio.run(_listed(address, query)), 60, "visibility") == [workflow_id]
    # The workers poll as the stack's build, made current at start (worker versioning).
    assert asyncio.run(_build_of(address, workflow_id)) == stack.env["PROD_BUILD_ID"]

    # The payroll with two workers: households with sealed accounts (this installation's keys),
    # the county's month started through API instance 2, every household credited exactly once.
    households = asyncio.run(_seed_households(stack, 12))
    month = current_month(datetime.now(UTC))
    payroll_id, run = _pay_county_month(stack, _login(stack, "finance_haizhu"), month)
    assert run["status"] == "completed" and run["orders_by_status"].get("paid", 0) >= len(households), run
    for number in households:
        credited = _bank(stack, "/admin/ledger", reference=f"{number}:{month}")
        assert (credited["count"], credited["total_fen"]) == (1, 80_000), credited
    assert _bank(stack, "/admin/ledger/summary")["duplicates"] == []

    # The start repair in the worker processes starts both stored cases.
    for case in (orphan, late):
        number = case["application_number"]
        assert _until(lambda n=number: _open_tasks(stack, clerk, n), 150, "start repair") == ["home_visit"]

    # WaitingFor on SQL visibility: 税务 down (the simulator's fault route) before a case is filed,
    # once the earlier cases' department queries are all answered (the fault must not reach them).
    for earlier in cases:
        _until(lambda w=earlier: _data_check_done(address, w), 120, f"data check of {earlier}")
    sim = f"http://127.0.0.1:{stack.ports['DEPARTMENTS']}/admin/faults"
    waiting = _person_payload(prefix + "DDDD", 707, "陈淑芬", "周永强", "13566667777")
    fault = httpx.post(sim, json={"department": "tax", "down_for_seconds": 900}, timeout=30)
    assert fault.status_code == 200, fault.text
    try:
        created = httpx.post(stack.api(1) + "/api/v1/applications", json=waiting, headers=clerk, timeout=60)
        assert created.status_code == 201, created.text
        waiting_id = created.json()["workflow_id"]
        cases[waiting_id] = waiting
        listed = _until(
            lambda: asyncio.run(_listed(address, "WaitingFor = 'tax'")), 120, "WaitingFor = 'tax'"
        )
        assert listed == [waiting_id]
    finally:
        httpx.delete(sim, params={"department": "tax"}, timeout=30)
    assert httpx.get(sim, timeout=30).json() == {}  # no fault left behind

    # Stage and Overdue, as the operators filter (exact sets: every case of the test is in
    # 入户调查/信息核对, only the late one is overdue).
    def exactly(query: str, expected: set[str]) -> bool:
        return set(asyncio.run(_listed(address, query))) == expected

    every = set(cases)
    _until(lambda: exactly("Stage = 'verification'", every), 60, "Stage = 'verification'")
    late_id = workflow_id_for(late["application_number"])
    _until(lambda: exactly("Overdue = true", {late_id}), 60, "Overdue = true")
    _until(lambda: exactly("Overdue = false AND Stage = 'verification'", every - {late_id}), 60, "Overdue")
    assert asyncio.run(_listed(address, "Stage = 'intake'")) == []

    # The privacy scan: no name (UTF-8), ID number or phone of any case, nor any household's
    # account number, in any text, bytea or JSON column of Temporal's two databases.
    needles = {label: value for case in cases.values() for label, value in _personal_data(case).items()}
    needles.update({f"{n} account": account_number(i + 1) for i, n in enumerate(households)})
    rows = asyncio.run(_scanned_rows(port))
    assert min(rows.values()) > 0, rows
    assert asyncio.run(_privacy_leaks(port, needles)) == []
    # The scan finds what is in clear: the application numbers (workflow ids, never personal data).
    control = asyncio.run(_privacy_leaks(port, {"control": application_number}))
    assert any(".history_node." in hit for hit in control) and any("visibility" in hit for hit in control)

    # Both worker processes did work: the activity tasks of the payroll and the cases were
    # started by the two `workers.main` children (the SDK's identity is `<pid>@<host>`).
    identities = _activity_identities(address, [payroll_id, *cases])
    pids = _worker_pids(stack)
    assert len(pids) == 2, pids
    assert {int(identity.split("@")[0]) for identity in identities} == pids, identities

    # Ctrl-C stops every process, the database last.
    assert stack.stop() == 0, stack.tail()
    assert "已停止 / stopped." in stack.tail()
    for name in ("UI", "TEMPORAL", "DEPARTMENTS", "BANK", "POSTGRES"):
        assert not _port_open(stack.ports[name]), f"{name} port still open after Ctrl-C"
    for api_port in stack.apis:
        assert not _port_open(api_port), f"API port {api_port} still open after Ctrl-C"
    secrets = json.loads((Path(stack.env["PROD_STATE_DIR"]) / "secrets.json").read_text())
    assert (
        secrets["JWT_SECRET"]
        and oct((Path(stack.env["PROD_STATE_DIR"]) / "secrets.json").stat().st_mode)[-3:] == "600"
    )
