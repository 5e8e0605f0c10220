"""Helpers for the end-to-end tests: log in as a demo account, poll the projections."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.models import Application, CaseEvent, Task
from infra.seed import DEMO_PASSWORD
from tests.factories import application_payload

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")

# Everything 城乡低保 asks for on paper: with it, intake is complete and verification starts at once.
DIBAO_MATERIALS = ["身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明"]


async def login(api: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = await api.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 15.0) -> T:
    """Poll until `check` returns something truthy; the projections are written by activities."""
    async with asyncio.timeout(within):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.05)


async def count_rows(sessions: Sessions, number: str) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Application).where(Application.application_number == number)
        )
    return int(count or 0)


async def case_tasks(sessions: Sessions, number: str) -> list[Task]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Task).where(Task.application_number == number).order_by(Task.task_id)
            )
        )


async def file_complete_case(api: httpx.AsyncClient, clerk: dict[str, str], number: str) -> dict[str, Any]:
    payload = application_payload(number, materials=DIBAO_MATERIALS)
    response = await api.post("/api/v1/applications", json=payload, headers=clerk)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def event_kinds(sessions: Sessions, number: str) -> list[str]:
    """The kinds of the case's timeline events, in order."""
    async with sessions() as session:
        return list(
            await session.scalars(
                select(CaseEvent.kind).where(CaseEvent.application_number == number).order_by(CaseEvent.seq)
            )
        )


async def events_of(sessions: Sessions, number: str, kind: str) -> list[CaseEvent]:
    """Poll until the workflow has put at least one event of this kind on the timeline."""

    async def recorded() -> list[CaseEvent]:
        async with sessions() as session:
            return list(
                await session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.application_number == number, CaseEvent.kind == kind)
                    .order_by(CaseEvent.seq)
                )
            )

    return await eventually(recorded)


async def waiting_on(sessions: Sessions, number: str, task_type: str) -> Task:
    """Wait until the workflow has opened a task of this type and put its opening on the timeline:
    the case is then quiet (waiting on people) and stays so until someone acts."""

    async def ready() -> Task | None:
        tasks = [t for t in await case_tasks(sessions, number) if t.task_type == task_type]
        if not tasks or tasks[-1].status != "open":
            return None
        async with sessions() as session:
            opened = list(
                await session.scalars(
                    select(CaseEvent.data).where(
                        CaseEvent.application_number == number, CaseEvent.kind == "task_opened"
                    )
                )
            )
        return tasks[-1] if any(d.get("task_id") == tasks[-1].task_id for d in opened) else None

    return await eventually(ready)


async def verification_tasks(api: httpx.AsyncClient, sessions: Sessions, number: str) -> dict[str, Task]:
    """Wait until the workflow has opened the home visit and started the automatic data check
    (信息核对 queries the departments itself: no person's task), both on the timeline, so that the
    case is quiet (waiting on the investigators) when the test starts acting."""

    async def ready() -> dict[str, Task] | None:
        tasks = {t.task_type: t for t in await case_tasks(sessions, number)}
        kinds = await event_kinds(sessions, number)
        if "home_visit" in tasks and "task_opened" in kinds and "data_check_started" in kinds:
            return tasks
        return None

    tasks = await eventually(ready)
    assert set(tasks) == {"home_visit"}, tasks  # the data check opens no task while departments answer
    return tasks


async def snapshot(api: httpx.AsyncClient, headers: dict[str, str], number: str) -> tuple[Any, int]:
    """The case as the workflow reports it, and the length of its timeline: what a refusal must
    leave exactly as it was."""
    case = await api.get(f"/api/v1/applications/{number}", headers=headers)
    timeline = await api.get(f"/api/v1/applications/{number}/timeline", headers=headers)
    assert case.status_code == 200 and timeline.status_code == 200
    assert case.json()["live"] is True  # the comparison is with the workflow's own view
    return case.json(), len(timeline.json()["events"])


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message"], body
    return body


async def inbox(api: httpx.AsyncClient, username: str, number: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(
        "/api/v1/tasks", params={"application_number": number, **params}, headers=await login(api, username)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
