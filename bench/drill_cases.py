"""What the case drills share: filing cases through the two API instances, waiting until each has
reached its first tasks, and checking the application database for anything lost or doubled.

A case "reaches its first tasks" when its home-visit task is open and its queries to the departments
have gone out (信息核对 and 入户调查 start together; the visit is the first step a person takes):
what the clerk sees on the case page. Every case of a
drill is filed alike (a 低保 household of two the departments know nothing about), so every case
must end the phase with the same rows: the same timeline kinds, task types and notification kinds,
each as many times as in the first undisturbed case. A row too many is a duplicate an activity
retry wrote twice; a row too few is a step lost.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from bench.drill_stack import WORKERS, DrillStack
from domain.application import workflow_id_for
from infra.db import make_engine, make_session_factory
from infra.models import Application, CaseEvent, Notification, Task
from infra.seed import DEMO_PASSWORD
from tests.factories import id_number

MATERIALS = ["身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明"]
# The timeline event of the queries sent to the departments (workflows/verification_stage.py).
CHECK_DONE = "data_check_started"
FIRST_TASK = "home_visit"
Shape = tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def machine() -> str:
    """The cores and how busy the machine is (others share it): figures mean little without it."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.1f} (1 min) {five:.1f} (5 min)"


def payload(number: str, n: int) -> dict[str, Any]:
    """Case n of a drill: people of its own (ID numbers differ by birth date), unknown to the
    department simulator, so every case takes the same path."""
    birth = date(1950, 1, 1) + timedelta(days=n % 15000)
    seq = 100 + n // 15000
    applicant = id_number(birth=birth.strftime("%Y%m%d"), seq=seq)
    spouse = id_number(birth=birth.strftime("%Y%m%d"), seq=seq + 500)
    return {
        "application_number": number,
        "assistance_type": "dibao",
        "channel": "walk_in",
        "region": {"county_code": "440105", "township_code": "440105001", "community_code": "440105001001"},
        "applicant": {"name": "张小明", "id_number": applicant, "phone": "13812345678"},
        "members": [
            {"name": "张小明", "id_number": applicant, "relation": "self", "monthly_income_fen": 50_000},
            {"name": "李秀英", "id_number": spouse, "relation": "spouse", "monthly_income_fen": 0},
        ],
        "reason": "家庭主要劳动力因病失业，无稳定收入",
        "materials": MATERIALS,
    }


def numbers(tag: str, count: int) -> list[str]:
    run = uuid.uuid4().hex[:6].upper()
    return [f"440105-{tag}{run}{i:05d}" for i in range(count)]


async def login(api: str, username: str = "clerk_chigang") -> dict[str, str]:
    async with httpx.AsyncClient(timeout=60) as client:
        token = await client.post(
            f"{api}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
    if token.status_code != 200:
        raise SystemExit(f"login as {username} failed: {token.status_code} {token.text}")
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass
class Intake:
    """What the clerks got back: per status code, the cases, and the 503 bodies seen."""

    statuses: Counter[int] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)  # "503 database_unavailable", "0 ReadTimeout" …
    saved_unstarted: list[str] = field(default_factory=list)  # 503 workflow_unavailable: saved
    failed: dict[str, str] = field(default_factory=dict)  # number → last answer, never saved
    unavailable_bodies: list[dict[str, Any]] = field(default_factory=list)


async def file_cases(
    stack: DrillStack,
    headers: dict[str, str],
    cases: list[str],
    offset: int,
    intake: Intake,
    concurrency: int = 8,
    retry_until: float = 0.0,
) -> None:
    """POST every case, alternating the two API instances. A 503 workflow_unavailable means
    "saved, starts by itself": the clerk does nothing more. Anything else that is not 201 is
    sent again (same number: idempotent) until `retry_until` (monotonic), as a clerk would."""
    gate = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient, i: int, number: str) -> None:
        async with gate:
            while True:
                try:
                    answer = await client.post(
                        f"{stack.api(i % 2)}/api/v1/applications",
                        json=payload(number, offset + i), headers=headers,
                    )  # fmt: skip
                    status, body = answer.status_code, answer.text
                    code = (
                        answer.json().get("code", "")
                        if "json" in answer.headers.get("content-type", "")
                        else ""
                    )
                except httpx.TransportError as exc:
                    status, body, code = 0, repr(exc), type(exc).__name__
                intake.statuses[status] += 1
                intake.answers[f"{status} {code}".strip()] += 1
                if status == 201:
                    intake.failed.pop(number, None)
                    return
                if status == 503 and answer.json().get("code") == "workflow_unavailable":
                    intake.unavailable_bodies.append(answer.json())
                    if "application_number" in answer.json():
                        intake.saved_unstarted.append(number)
                        intake.failed.pop(number, None)
                        return
                intake.failed[number] = f"{status} {body[:300]}"
                if time.monotonic() > retry_until:
                    return
                await asyncio.sleep(1.0)

    async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=10)) as client:
        await asyncio.gather(*(one(client, i, n) for i, n in enumerate(cases)))


class AppDb:
    """The application database, read as an auditor would: rows per case."""

    def __init__(self, stack: DrillStack) -> None:
        self.engine: AsyncEngine = make_engine(stack.settings.database_url)
        self.sessions: async_sessionmaker[AsyncSession] = make_session_factory(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def reached(self, cases: list[str]) -> set[str]:
        """The cases whose data check is done and whose home visit is open."""
        async with self.sessions() as session:
            checked = set(
                await session.scalars(
                    select(CaseEvent.application_number).where(
                        CaseEvent.application_number.in_(cases), CaseEvent.kind == CHECK_DONE
                    )
                )
            )
            visiting = set(
                await session.scalars(
                    select(Task.application_number).where(
                        Task.application_number.in_(cases), Task.task_type == FIRST_TASK
                    )
                )
            )
        return checked & visiting

    async def stored(self, cases: list[str]) -> tuple[int, int]:
        """(cases stored, of which still waiting for their workflow to start)."""
        async with self.sessions() as session:
            found = await session.scalar(
                select(func.count()).where(Application.application_number.in_(cases))
            )
            pending = await session.scalar(
                select(func.count()).where(
                    Application.application_number.in_(cases), Application.workflow_pending.is_(True)
                )
            )
        return int(found or 0), int(pending or 0)

    async def shapes(self, cases: list[str]) -> dict[str, Shape]:
        """Per case: (timeline kinds, task types, notification kinds), each with its count."""
        events: dict[str, Counter[str]] = {n: Counter() for n in cases}
        tasks: dict[str, Counter[str]] = {n: Counter() for n in cases}
        notes: dict[str, Counter[str]] = {n: Counter() for n in cases}
        async with self.sessions() as session:
            for table, column, into in (
                (CaseEvent, CaseEvent.kind, events),
                (Task, Task.task_type, tasks),
                (Notification, Notification.kind, notes),
            ):
                rows = await session.execute(
                    select(table.application_number, column, func.count())
                    .where(table.application_number.in_(cases))
                    .group_by(table.application_number, column)
                )
                for number, kind, count in rows:
                    into[number][kind] = count
        return {
            n: (
                tuple(sorted(events[n].items())),
                tuple(sorted(tasks[n].items())),
                tuple(sorted(notes[n].items())),
            )
            for n in cases
        }

    async def sequence_problems(self, cases: list[str]) -> list[str]:
        """The timeline's numbers must run 1..n per case: a gap is a lost event."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(CaseEvent.application_number, func.count(), func.max(CaseEvent.seq))
                .where(CaseEvent.application_number.in_(cases))
                .group_by(CaseEvent.application_number)
            )
            return [f"{n}: {c} timeline events, last seq {m}" for n, c, m in rows if c != m]


async def wait_all(
    db: AppDb,
    cases: list[str],
    within: float,
    progress: Callable[[int], Awaitable[None]] | None = None,
    enough: int | None = None,
) -> tuple[float, set[str]]:
    """Seconds until every case (or `enough` of them) has reached its first tasks, or `within` ran
    out, and the cases that did."""
    started = time.monotonic()
    done: set[str] = set()
    while time.monotonic() - started < within:
        try:
            done |= await db.reached([n for n in cases if n not in done])
        except Exception as exc:  # the database restarting under a drill: ask again
            out(f"  (progress query failed: {type(exc).__name__})")
        if progress is not None:
            await progress(len(done))
        if len(done) >= (len(cases) if enough is None else enough):
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - started, done


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


async def settle(stack: DrillStack, within: float = 180.0, idle_share: float = 0.05) -> float:
    """Wait until the workers and the Temporal server are (nearly) idle: the last cases' department
    queries answered, nothing left to retry. Returns the seconds waited."""
    names = (*WORKERS, "temporal")
    pids = [stack.children[n].pid for n in names if n in stack.children]
    hz = os.sysconf("SC_CLK_TCK")
    started = time.monotonic()
    while time.monotonic() - started < within:
        before = _cpu_ticks(pids)
        await asyncio.sleep(2.0)
        if (_cpu_ticks(pids) - before) / hz / 2.0 < idle_share * len(pids):
            break
    return time.monotonic() - started


async def workflow_problems(stack: DrillStack, expected: int) -> list[str]:
    """Temporal's view: exactly `expected` application workflows, all running (none failed,
    terminated or timed out, none started twice)."""
    client = await Client.connect(
        stack.settings.temporal_address, namespace=stack.settings.temporal_namespace
    )
    kind = "WorkflowType = 'ApplicationWorkflow'"
    problems = []
    for _ in range(30):  # SQL visibility is written a moment after the execution
        total = (await client.count_workflows(kind)).count
        running = (await client.count_workflows(f"{kind} AND ExecutionStatus = 'Running'")).count
        if total == running == expected:
            return []
        await asyncio.sleep(1.0)
    problems.append(f"Temporal: {total} application workflows, {running} running, expected {expected}")
    return problems


async def activity_retries(stack: DrillStack, cases: list[str]) -> Counter[str]:
    """Activity type → attempts beyond the first, over the cases' histories (the server records
    the attempt of the run that completed)."""
    client = await Client.connect(
        stack.settings.temporal_address, namespace=stack.settings.temporal_namespace
    )
    retries: Counter[str] = Counter()
    gate = asyncio.Semaphore(8)

    async def one(number: str) -> None:
        async with gate:
            kinds: dict[int, str] = {}
            async for event in client.get_workflow_handle(workflow_id_for(number)).fetch_history_events():
                if event.HasField("activity_task_scheduled_event_attributes"):
                    kinds[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
                elif event.HasField("activity_task_started_event_attributes"):
                    attrs = event.activity_task_started_event_attributes
                    if attrs.attempt > 1:
                        retries[kinds.get(attrs.scheduled_event_id, "?")] += attrs.attempt - 1

    await asyncio.gather(*(one(n) for n in cases))
    return retries


def shape_problems(shapes: dict[str, Shape], reference: Shape) -> list[str]:
    """Every case whose rows differ from the reference case's: duplicates or losses."""
    problems = []
    for number, shape in shapes.items():
        if shape == reference:
            continue
        for label, got, want in zip(("timeline", "tasks", "notifications"), shape, reference, strict=True):
            g, w = Counter(dict(got)), Counter(dict(want))
            if g != w:
                extra, lost = g - w, w - g
                problems.append(f"{number} {label}: doubled {dict(extra)} lost {dict(lost)}")
    return problems


def describe(shape: Shape) -> str:
    events, tasks, notes = shape
    return (
        f"{sum(c for _, c in events)} timeline events, {sum(c for _, c in tasks)} task(s) "
        f"({', '.join(k for k, _ in tasks)}), {sum(c for _, c in notes)} notification(s)"
    )
