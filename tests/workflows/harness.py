"""Driving an application workflow in tests the way staff would: through its updates."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from domain.application import ApplicationStatus, StartApplicationInput, workflow_id_for
from domain.calendar import CHINA_TZ
from domain.enums import AssistanceType, Stage
from domain.policy import PolicyBook
from domain.staff import Actor, Role
from domain.tasks import ClaimTaskInput, CompleteTaskInput, TaskRecord, TaskType
from infra.case_projection import read_projection
from infra.models import CaseEvent, DeadlineBreach, Notification, Task
from infra.policy_config import load_policy_book
from infra.sms.base import SmsGateway
from tests.conftest import REPO, dated_test_server
from tests.factories import pii_vault, store_application
from workers.build import WorkerResources, build_worker
from workflows.application import ApplicationWorkflow

Sessions = async_sessionmaker[AsyncSession]
POLICIES = load_policy_book(Path(REPO / "config" / "policies.toml"))


@dataclass
class Departments:
    """Set for the session by tests/workflows/conftest.py: the adapters to the simulator."""

    adapters: AdapterFactory = field(default=lambda county: {})  # replaced before any case runs


DEPARTMENTS = Departments()

CLERK = Actor("clerk_chigang", "窗口王芳", Role.INTAKE_CLERK, "440105001")
INVESTIGATOR = Actor("inv_chigang_1", "调查员李强", Role.INVESTIGATOR, "440105001")
COUNTY_INVESTIGATOR = Actor("inv_haizhu", "县调查员陈刚", Role.INVESTIGATOR, "440105")
REVIEWER = Actor("reviewer_chigang", "审核员赵敏", Role.TOWNSHIP_REVIEWER, "440105001")
HEAD = Actor("head_chigang", "街道主任孙伟", Role.TOWNSHIP_HEAD, "440105001")
APPROVER = Actor("approver_haizhu", "审批员周洁", Role.COUNTY_APPROVER, "440105")
OTHER_APPROVER = Actor("approver_tianhe", "审批员吴昊", Role.COUNTY_APPROVER, "440106")


def beijing(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


def end_of(day: date) -> datetime:
    """The exclusive instant a limit due on `day` is breached (00:00 Beijing time next day)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=CHINA_TZ)


# -- forms staff fill in ---------------------------------------------------------------------
def home_visit(income_fen: int, disputed: bool = False) -> dict[str, Any]:
    return {
        "investigators": ["inv_chigang_1", "inv_chigang_2"],
        "visited_on": "2026-09-29",
        "findings": {
            "housing": "自有住房一套，约60平方米，陈旧",
            "property": "无车辆，无商铺，存款约2000元",
            "income_expenses": "申请人打零工月入约500元，配偶无业",
            "neighbours": "邻居反映家庭确实困难",
        },
        "found_monthly_income_fen": income_fen,
        "rigid_expenses_fen": 30000,
        "signed_form_ref": "RHDC-2026-0001",
        "photo_refs": ["IMG-0001"],
        "disputed": disputed,
    }


def data_check(income_fen: int) -> dict[str, Any]:
    return {"report_ref": "HD-2026-0001", "department_monthly_income_fen": income_fen}


def review(passed: bool = True) -> dict[str, Any]:
    attendees = [{"name": f"代表{i}", "capacity": "resident"} for i in range(7)]
    return {
        "held_on": "2026-10-09",
        "attendees": attendees,
        "votes_for": 6 if passed else 1,
        "votes_against": 1 if passed else 6,
        "abstentions": 0,
        "minutes": "经评议，申请家庭符合条件",
        "recording_ref": "LX-2026-0001",
    }


def opinion(**extra: Any) -> dict[str, Any]:
    return {"opinion": "经调查核实，建议纳入保障", **extra}


def approval(**extra: Any) -> dict[str, Any]:
    return {"opinion": "同意纳入低保", **extra}


def reasons(text: str = "家庭人均收入高于当地低保标准") -> dict[str, Any]:
    return {"reasons": text}


def notice() -> dict[str, Any]:
    return {"sent_on": "2026-10-20", "notice_ref": "BYPZ-2026-001", "delivery": "in_person"}


def steps(events: list[Any]) -> list[tuple[str, str]]:
    """The activities a history ran, in order: ("activity", type) for one scheduled through the
    server, ("local", type) for a local activity (its marker)."""
    found = []
    for e in events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            found.append(("activity", e.activity_task_scheduled_event_attributes.activity_type.name))
        elif e.HasField("marker_recorded_event_attributes"):
            marker = e.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity":
                data = json.loads(marker.details["data"].payloads[0].data)
                found.append(("local", data["activity_type"]))
    return found


# -- the case under test ---------------------------------------------------------------------
@dataclass
class Case:
    env: WorkflowEnvironment
    sessions: Sessions
    handle: WorkflowHandle[ApplicationWorkflow, Any]
    number: str

    async def status(self) -> ApplicationStatus:
        result: ApplicationStatus = await self.handle.query(ApplicationWorkflow.status)
        return result

    async def idle(self, within: float = 60.0) -> None:
        """Wait until the workflow has settled — no activity in flight and its state and timeline
        unchanged over a few polls — so a snapshot is stable. (The Java test server does not report
        pending workflow tasks, so quiet time stands in for that.)"""
        async with asyncio.timeout(within):
            previous, quiet = None, 0
            while quiet < 4:
                raw = await self._describe_raw()
                snapshot = (await self.status(), len(await self.events()))
                busy = bool(raw.pending_activities) or raw.HasField("pending_workflow_task")
                quiet = 0 if busy or snapshot != previous else quiet + 1
                previous = snapshot
                await asyncio.sleep(0.05)
        await self.assert_projected()

    async def assert_projected(self) -> None:
        """Settled, the database says what the workflow says (the case read serves it from there):
        its projection is the status less the open tasks, and the open tasks are the task rows. Every
        test that waits for a settled case checks this on the way."""
        live = await self.status()
        async with self.sessions() as session:
            projected = await read_projection(session, self.number)
            open_rows = set(
                await session.scalars(
                    select(Task.task_id).where(
                        Task.application_number == self.number,
                        Task.workflow_id.is_(None),
                        Task.status.in_(("open", "claimed")),
                    )
                )
            )
        assert projected == replace(live, open_tasks=[]), (projected, live)
        assert open_rows == {t.task_id for t in live.open_tasks}

    async def _describe_raw(self) -> Any:
        # The raw RPC, not handle.describe(): the Java test server stores an unset Datetime search
        # attribute as a payload the SDK's typed decoder cannot read (the dev server is fine).
        request = DescribeWorkflowExecutionRequest(
            namespace=self.env.client.namespace, execution=WorkflowExecution(workflow_id=self.handle.id)
        )
        return await self.env.client.workflow_service.describe_workflow_execution(request)

    async def search_attributes(self) -> dict[str, Any]:
        """Search attributes as JSON values; an unset attribute is absent or None."""
        raw = await self._describe_raw()
        fields = raw.workflow_execution_info.search_attributes.indexed_fields
        return {name: json.loads(p.data) if p.data else None for name, p in fields.items()}

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(CHINA_TZ)

    async def task(self, task_type: TaskType, within: float = 60.0) -> TaskRecord:
        """The open task of that type, once the workflow has created it."""
        async with asyncio.timeout(within):
            while True:
                for task in (await self.status()).open_tasks:
                    if task.task_type is task_type:
                        return task
                await asyncio.sleep(0.05)

    async def stage(self, stage: Stage, within: float = 60.0) -> None:
        async with asyncio.timeout(within):
            while (await self.status()).stage is not stage:
                await asyncio.sleep(0.05)

    async def claim(self, task_type: TaskType, actor: Actor) -> TaskRecord:
        task = await self.task(task_type)
        result: TaskRecord = await self.handle.execute_update(
            ApplicationWorkflow.claim_task, ClaimTaskInput(task.task_id, actor)
        )
        return result

    async def complete(
        self, task_type: TaskType, actor: Actor, outcome: str, form: dict[str, Any]
    ) -> TaskRecord:
        task = await self.task(task_type)
        result: TaskRecord = await self.handle.execute_update(
            ApplicationWorkflow.complete_task, CompleteTaskInput(task.task_id, actor, outcome, form)
        )
        return result

    async def advance_to(self, when: datetime) -> None:
        """Skip the server's clock forward to `when`; timers due before it fire on the way."""
        delta = when - await self.env.get_current_time()
        assert delta > timedelta(0), f"cannot go back in time to {when}"
        await self.env.sleep(delta)
        await asyncio.sleep(0.3)  # let the worker finish the activations the timers caused

    async def events(self, kind: str | None = None) -> list[CaseEvent]:
        async with self.sessions() as session:
            query = select(CaseEvent).where(CaseEvent.application_number == self.number)
            if kind:
                query = query.where(CaseEvent.kind == kind)
            return list(await session.scalars(query.order_by(CaseEvent.seq)))

    async def breaches(self) -> list[DeadlineBreach]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(DeadlineBreach).where(DeadlineBreach.application_number == self.number)
            )
            return list(rows)

    async def notifications(self, kind: str) -> list[Notification]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Notification).where(
                    Notification.application_number == self.number, Notification.kind == kind
                )
            )
            return list(rows)

    async def overdue_attribute(self) -> bool | None:
        value = (await self.search_attributes()).get("Overdue")
        return None if value is None else bool(value)


@asynccontextmanager
async def case_at(
    start: datetime,
    sessions: Sessions,
    number: str,
    assistance_type: AssistanceType = AssistanceType.DIBAO,
    *,
    county: str = "440105",
    township: str = "440105001",
    community: str = "440105001001",
    household_size: int = 3,
    declared_income_fen: int = 60_000,
    materials: list[str] | None = None,
    rng: random.Random | None = None,
    member_ids: list[str] | None = None,
    policies: PolicyBook = POLICIES,
    department_slots: int = 20,
    sms: SmsGateway | None = None,
    phone: str = "13812345678",
    **extra: Any,
) -> AsyncIterator[Case]:
    """A test server whose clock starts at `start`, a worker, and a case accepted at that moment.
    `sms`: the SMS gateway the notices go through (none: no SMS is sent); `phone`: the applicant's."""
    async with dated_test_server(start) as env:
        task_queue = f"tq-{number}"
        resources = WorkerResources(
            sessions, policies, DEPARTMENTS.adapters, rng or random.Random(7), pii=pii_vault(),
            department_slots=department_slots, sms=sms,
        )  # fmt: skip
        async with build_worker(env.client, task_queue, resources):
            accepted = await env.get_current_time()
            await store_application(
                sessions, number, accepted, assistance_type=assistance_type.value,
                county_code=county, township_code=township, community_code=community,
                household_size=household_size, member_ids=member_ids, applicant_phone=phone,
            )  # fmt: skip
            policy = policies.resolve(assistance_type, county)
            start_input = StartApplicationInput(
                application_number=number,
                assistance_type=assistance_type,
                county_code=county,
                township_code=township,
                community_code=community,
                green_channel=extra.pop("green_channel", False),
                accepted_at=accepted,
                household_size=household_size,
                declared_monthly_income_fen=declared_income_fen,
                materials_provided=list(policy.required_materials) if materials is None else materials,
                masked_name="张*明",
                submitted_by=CLERK,
                **extra,
            )
            handle = await env.client.start_workflow(
                ApplicationWorkflow.run, start_input, id=workflow_id_for(number), task_queue=task_queue
            )
            yield Case(env, sessions, handle, number)


# -- common stretches of a case --------------------------------------------------------------
async def verify(case: Case, visit_income_fen: int = 60_000, department_income_fen: int = 45_000) -> None:
    await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(visit_income_fen))
    if any(t.task_type is TaskType.DATA_CHECK for t in (await case.status()).open_tasks):
        await case.complete(TaskType.DATA_CHECK, INVESTIGATOR, "completed", data_check(department_income_fen))


async def to_approval(case: Case, **opinion_fields: Any) -> None:
    """Verification, democratic review, opinion and a full publicity without objection."""
    await verify(case)
    await case.stage(Stage.DEMOCRATIC_REVIEW)
    await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
    await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(**opinion_fields))
    await case.stage(Stage.PUBLICITY)
    ends = await publicity_end(case)
    await case.advance_to(ends + timedelta(minutes=30))
    await case.stage(Stage.APPROVAL)


async def publicity_end(case: Case, round_number: int | None = None) -> datetime:
    """When the current (or given) publicity round ends, once the workflow has announced it."""
    await case.idle()
    wanted = round_number or (await case.status()).publicity_rounds
    async with asyncio.timeout(60):
        while len(events := await case.events("publicity")) < wanted:
            await asyncio.sleep(0.05)
    return datetime.fromisoformat(events[wanted - 1].data["ends_at"])


def limit(status: ApplicationStatus, name: str) -> Any:
    """The limit of that name (call after `case.idle()` or a task wait, so it has been started)."""
    return {lim.name: lim for lim in status.limits}[name]


class AlwaysDraw(random.Random):
    """A spot-check draw that always samples, whatever the county's quota says."""

    def random(self) -> float:
        return 0.0


class NeverDraw(random.Random):
    def random(self) -> float:
        return 0.999
