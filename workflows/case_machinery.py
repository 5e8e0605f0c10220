"""Machinery every case workflow uses: the timeline, human tasks and time-limit watchers.

Deterministic workflow code only; every side effect is an activity. Kept apart from the stage
logic in application.py so that both stay readable.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case_records import CaseRecordActivities
    from activities.reference import ReferenceActivities
    from domain.amounts import format_yuan
    from domain.application import ApplicationStatus, LimitView, StartApplicationInput, StatusProjection
    from domain.enums import ASSISTANCE_TYPE_LABELS, STAGE_LABELS, Stage
    from domain.limits import LIMIT_LABELS, MET_ON_CLAIM, MET_ON_COMPLETE, LimitName, LimitState
    from domain.notices import SMS_PATCH
    from domain.policy import AssistancePolicy
    from domain.records import (
        BreachInput,
        CaseEventInput,
        ComputeDeadlineInput,
        DeadlineInfo,
        DeadlineUnit,
        NotifyInput,
        RecordStageInput,
        SaveTaskInput,
        TaskWithEventInput,
    )
    from domain.staff import ROLE_LABELS, Actor, Role, covers
    from domain.tasks import TASK_LABELS, TASK_ROLES, TaskRecord, TaskStatus, TaskType
    from workflows import search_attributes as sa
    from workflows.applicant_notices import ApplicantNotices

# A task's row and its timeline entry in one activity (issue 13: a staff action answered after one
# round trip, not two). Executions that started before it keep the two activities.
TASK_WITH_EVENT_PATCH = "task-with-event"

# A stage's entry on the timeline also moves the case row's stage, in the same transaction (issue 13:
# one activity per stage change, not two). Executions that started before it keep record_stage.
STAGE_WITH_EVENT_PATCH = "stage-with-event"


ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Database writes retry for a long time: a case waits out a database outage rather than failing.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
CLOSED_STAGES = (Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN, Stage.CLOSED)


class Withdrawn(Exception):
    """Raised inside the stage logic when the applicant withdraws, to unwind to the close-out."""


class CaseEnded(Exception):
    def __init__(self, stage: Stage) -> None:
        super().__init__(stage.value)
        self.stage = stage


def rejected(kind: str, message: str, *details: Any) -> ApplicationError:
    """An update refused by its validator: `kind` is mapped to an HTTP status by the API; details
    (e.g. field errors) travel with it."""
    return ApplicationError(message, *details, type=kind, non_retryable=True)


def open_task_or_reject(tasks: dict[str, TaskRecord], task_id: str, actor: Actor) -> TaskRecord:
    """The refusals every workflow with human tasks gives, in order: unknown, closed, wrong role,
    outside the actor's jurisdiction, claimed by someone else."""
    task = tasks.get(task_id)
    if task is None:
        raise rejected("TaskNotFound", f"本案件没有编号为 {task_id} 的待办")
    if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        raise rejected(
            "TaskNotOpen",
            f"待办“{TASK_LABELS[task.task_type]}”已{_STATUS_WORDS[task.status]}，不能再办理",
        )
    if actor.role is not task.candidate_role:
        raise rejected(
            "Forbidden", f"“{TASK_LABELS[task.task_type]}”须由{ROLE_LABELS[task.candidate_role]}办理"
        )
    if not covers(actor.region_code, task.region_code):
        raise rejected("Forbidden", "该待办不在您的管辖范围内")
    if task.status is TaskStatus.CLAIMED and task.assignee != actor.username:
        raise rejected("TaskNotOpen", f"该待办已由 {task.assignee} 认领")
    return task


class CaseMachinery(ApplicantNotices):
    _input: StartApplicationInput
    _policy: AssistancePolicy
    _status: ApplicationStatus

    def _init_machinery(self, input: StartApplicationInput) -> None:
        self._input = input
        self._tasks: dict[str, TaskRecord] = {}
        self._limits: dict[LimitName, LimitState] = {}
        self._event_seq = 0
        self._task_seq = 0
        self._withdrawal: Actor | None = None
        self._watchers: list[asyncio.Task[None]] = []
        self._waiting_for: list[str] = []  # departments the data cross-check is waiting for
        self._stage_entries: dict[Stage, int] = {}  # for the SMS business keys of repeated stages
        self._projected: ApplicationStatus | None = None  # the status last sent to the database
        self._projection_seq = 0

    # -- activities -------------------------------------------------------------------------
    async def _act(self, fn: Any, arg: Any) -> Any:
        # Not local activities, though they save a round trip (tried for issue 13): an update's
        # acceptance then waits for the workflow task the local activity holds open, and under heavy
        # load a race test saw the approval sent with a withdrawal refused as "case closed".
        return await workflow.execute_activity_method(
            fn, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )

    def _reserve_event(
        self, kind: str, summary: str, actor: Actor | None, data: dict[str, Any]
    ) -> CaseEventInput:
        """Take the next timeline position now, synchronously, so the order of the timeline is the
        order in which things happened even when the write itself comes later."""
        self._event_seq += 1
        i = self._input
        return CaseEventInput(
            i.application_number,
            self._event_seq,
            workflow.now(),
            kind,
            self._status.stage.value,
            summary,
            actor,
            data,
            self._projection(),
        )

    def _projection(self) -> StatusProjection | None:
        """The case's status for the database (the case read), when it changed since the last one
        sent: every change of it is followed by a record (a timeline entry, a task's row), and the
        record carries it. A copy — the status's lists change in place."""
        view = copy.deepcopy(replace(self._status, limits=self._limit_views(), open_tasks=[]))
        if view == self._projected:
            return None
        self._projected = view
        self._projection_seq += 1
        return StatusProjection(self._projection_seq, view)

    async def _event(self, kind: str, summary: str, actor: Actor | None = None, **data: Any) -> None:
        await self._act(CaseRecordActivities.record_event, self._reserve_event(kind, summary, actor, data))

    async def _task_action(
        self, task: TaskRecord, kind: str, summary: str, actor: Actor, **data: Any
    ) -> None:
        """Persist a staff action on a task (from an update handler) and put it on the timeline."""
        event = self._reserve_event(kind, summary, actor, {"task_id": task.task_id, **data})
        await self._save_task_with(task, event)

    async def _save_task_with(self, task: TaskRecord, event: CaseEventInput) -> None:
        """The task's row and its timeline entry in one activity (the update answers after one
        round trip, not two); executions started before the patch keep their two activities."""
        if workflow.patched(TASK_WITH_EVENT_PATCH):
            row = self._next_row(task)
            await self._act(CaseRecordActivities.save_task_with_event, TaskWithEventInput(row, event))
            return
        await self._save_task(task)
        await self._act(CaseRecordActivities.record_event, event)

    async def _notify(self, key: str, kind: str, role: Role, region: str, message: str) -> None:
        number = self._input.application_number
        await self._act(
            CaseRecordActivities.notify, NotifyInput(f"{number}:{key}", number, kind, role, region, message)
        )

    async def _deadline(self, start: datetime, amount: int, unit: DeadlineUnit) -> DeadlineInfo:
        result: DeadlineInfo = await self._act(
            ReferenceActivities.compute_deadline, ComputeDeadlineInput(start, amount, unit)
        )
        return result

    async def _enter(self, stage: Stage) -> None:
        self._status.stage = stage
        self._refresh_search_attributes()
        if not workflow.patched(STAGE_WITH_EVENT_PATCH):
            number = self._input.application_number
            await self._act(CaseRecordActivities.record_stage, RecordStageInput(number, stage.value))
        await self._event("stage", f"进入{STAGE_LABELS[stage]}阶段")  # also the case row's stage
        template = _STAGE_NOTICES.get(stage)
        if template is not None and workflow.patched(SMS_PATCH):
            n = self._stage_entries[stage] = self._stage_entries.get(stage, 0) + 1
            self._tell(
                f"{template.removeprefix('stage_')}" + (f":{n}" if n > 1 else ""),
                template,
                self._case_params(),
            )

    # -- notices to the applicant --------------------------------------------------------------
    def _notice_case(self) -> tuple[str, str]:
        return self._input.application_number, self._input.township_code

    def _case_params(self) -> dict[str, str]:
        """What every case template names: the assistance and the application number."""
        i = self._input
        return {
            "assistance": ASSISTANCE_TYPE_LABELS[i.assistance_type],
            "application_number": i.application_number,
        }

    def _refresh_search_attributes(self) -> None:
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.STAGE.value_set(self._status.stage.value),
            sa.OVERDUE.value_set(self._status.overdue),
        ]
        pending = [s.info.at for s in self._limits.values() if s.active]
        updates.append(sa.DEADLINE.value_set(min(pending)) if pending else sa.DEADLINE.value_unset())
        updates.append(sa.WAITING_FOR.value_set(list(self._waiting_for)))
        workflow.upsert_search_attributes(updates)

    # -- waiting ----------------------------------------------------------------------------
    async def _wait(self, condition: Callable[[], bool]) -> None:
        await workflow.wait_condition(lambda: condition() or self._withdrawal is not None)
        if self._withdrawal is not None:
            raise Withdrawn()

    async def _sleep_until(self, when: datetime, condition: Callable[[], bool]) -> bool:
        """Wait until `when` or until `condition` holds; True when the condition came first."""
        remaining = when - workflow.now()
        if remaining <= timedelta(0):
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=remaining)
        except TimeoutError:
            return condition()
        return True

    # -- tasks ------------------------------------------------------------------------------
    async def _open_task(
        self, task_type: TaskType, region: str, due: DeadlineInfo | None = None, role: Role | None = None,
        note: str = "",
    ) -> TaskRecord:  # fmt: skip
        self._task_seq += 1
        task = TaskRecord(
            task_id=f"{self._input.application_number}-T{self._task_seq:02d}",
            task_type=task_type,
            stage=self._status.stage.value,
            candidate_role=role or TASK_ROLES[task_type],
            region_code=region,
            due_at=due.at if due else None,
            follow_up_at=due.reminder_at if due else None,
            created_at=workflow.now(),
            note=note,
        )
        self._tasks[task.task_id] = task
        opened = self._reserve_event(
            "task_opened", f"生成待办：{TASK_LABELS[task_type]}", None,
            {"task_id": task.task_id, "task_type": task_type.value, "role": task.candidate_role.value,
             "region": region, "due": due.due_date_iso if due else None},
        )  # fmt: skip
        await self._save_task_with(task, opened)
        return task

    def _next_row(self, task: TaskRecord) -> SaveTaskInput:
        task.revision += 1  # this state's number: a late write of an older one cannot replace it
        return SaveTaskInput(self._input.application_number, self._input.county_code, task)

    async def _save_task(self, task: TaskRecord) -> None:
        row = replace(self._next_row(task), projection=self._projection())
        await self._act(CaseRecordActivities.save_task, row)

    async def _complete(self, task: TaskRecord) -> TaskRecord:
        await self._wait(lambda: task.status is TaskStatus.COMPLETED)
        return task

    async def _cancel_open_tasks(self, reason: str) -> None:
        for task in self._tasks.values():
            if task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED):
                task.status = TaskStatus.CANCELLED
                task.note = reason
                await self._save_task(task)

    def _open_task_or_reject(self, task_id: str, actor: Actor) -> TaskRecord:
        return open_task_or_reject(self._tasks, task_id, actor)

    def _meet_for_task(self, task: TaskRecord, completed: bool) -> None:
        name = (MET_ON_COMPLETE if completed else MET_ON_CLAIM).get(task.task_type)
        if name is not None:
            self._meet(name)

    # -- time limits ------------------------------------------------------------------------
    async def _start_limit(
        self, name: LimitName, start: datetime, amount: int, unit: DeadlineUnit, role: Role, region: str
    ) -> LimitState:
        previous = self._limits.get(name)
        if previous is not None:
            previous.cancelled = True
        # A new round of the same limit (after a county "return") numbers on from the old one: its
        # reminder and breach notices carry the version in their idempotency key, and a key that
        # repeats would be dropped as a duplicate of the first round's notice.
        version = previous.version + 1 if previous is not None else 0
        info = await self._deadline(start, amount, unit)
        state = LimitState(name, info, role, region, version=version, start=start, amount=amount, unit=unit)
        self._limits[name] = state
        self._refresh_search_attributes()
        self._watchers.append(asyncio.create_task(self._watch(state)))
        await self._event(
            "limit_started",
            f"{LIMIT_LABELS[name]}：须于{state.info.due_date_iso}前完成" + ("（节假日安排未发布，期限暂按周末推算）" if state.info.provisional else ""),
            limit=name.value, deadline=state.info.at.isoformat(), provisional=state.info.provisional,
        )  # fmt: skip
        return state

    async def _recount_provisional(self, year: int | None) -> None:
        """Count again, from their start, the running limits whose deadline was provisional (their
        count ran through a year whose holiday calendar was not loaded)."""
        for state in list(self._limits.values()):
            await self._recount(state, year)

    async def _recount(self, state: LimitState, year: int | None) -> None:
        """Recount one provisional limit with the calendar as it is now. A deadline that moves gets
        a new version (its watcher re-arms on the new date, the old reminder and breach never fire),
        the open tasks it dated follow it, and the timeline says why."""
        while state.active and not state.breached and state.info.provisional and state.unit is not None:
            version, old = state.version, state.info
            assert state.start is not None
            info = await self._deadline(state.start, state.amount, state.unit)
            if state.version != version:
                continue  # moved meanwhile (an extension): count the deadline it has now
            if info.at < old.at:
                # Never earlier: staff were given the old date, and a count that moved it earlier
                # could breach at once, unreminded (a make-up working day counted, no holiday).
                info = replace(old, provisional=info.provisional)
            if not state.active or state.breached or info == old:
                return
            state.info = info
            label = LIMIT_LABELS[state.name]
            cause = f"因{year}年节假日安排已载入" if year else "因节假日安排已载入"
            if info.at != old.at:
                state.version += 1
                state.reminded = False
                summary = f"{cause}，{label}由{old.due_date_iso}顺延至{info.due_date_iso}"
            else:
                summary = f"{cause}，{label}核定为{info.due_date_iso}"
            if info.provisional:
                summary += "（仍有年份节假日安排未发布，期限暂按周末推算）"
            self._refresh_search_attributes()
            await self._event(
                "deadline_moved", summary, limit=state.name.value, previous_deadline=old.at.isoformat(),
                deadline=info.at.isoformat(), provisional=info.provisional, calendar_year=year,
            )  # fmt: skip
            for task in self._tasks.values():
                if task.due_at == old.at and task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED):
                    task.due_at, task.follow_up_at = info.at, info.reminder_at
                    await self._save_task(task)
            return

    async def _moved_on_recheck(self, state: LimitState) -> bool:
        """Before a provisional limit's reminder or breach fires, count it once more: the calendar
        may have been loaded without this case hearing of it (the API's signal lost). True when the
        deadline moved and the watcher must wait again."""
        if not state.info.provisional or not workflow.patched("recheck-provisional-deadline"):
            return False
        version = state.version
        await self._recount(state, None)
        return state.version != version

    def _meet(self, name: LimitName) -> None:
        state = self._limits.get(name)
        if state is not None and state.active:
            state.met = True
            self._refresh_search_attributes()

    async def _watch(self, state: LimitState) -> None:
        label = LIMIT_LABELS[state.name]
        while True:
            version = state.version

            def settled() -> bool:
                return not state.active or state.version != version  # noqa: B023 - evaluated in-loop

            if not state.reminded:
                if await self._sleep_until(state.info.reminder_at, settled):
                    if state.active:
                        continue
                    return
                if await self._moved_on_recheck(state):
                    continue
                if not state.active:
                    return
                state.reminded = True
                message = f"案件{self._input.application_number}的{label}将于{state.info.due_date_iso}届满，请及时办理"
                key = f"remind:{state.name.value}:{state.version}"
                await self._notify(key, "reminder", state.notify_role, state.notify_region, message)
                await self._notify(
                    key + ":sup", "reminder", Role.SUPERVISOR, self._input.county_code, message
                )
                await self._event(
                    "reminder", f"时限提醒：{label}将于{state.info.due_date_iso}届满", limit=state.name.value
                )
            if await self._sleep_until(state.info.at, settled):
                if state.active:
                    continue
                return
            if await self._moved_on_recheck(state):
                continue
            if not state.active:
                return
            await self._breach(state)
            return

    async def _breach(self, state: LimitState) -> None:
        state.breached = True
        self._status.overdue = True
        self._refresh_search_attributes()
        label = LIMIT_LABELS[state.name]
        i = self._input
        await self._act(
            CaseRecordActivities.record_breach,
            BreachInput(
                i.application_number, state.name.value, state.info.at, workflow.now(), self._status.stage.value,
                i.county_code, i.township_code, i.green_channel,
            ),
        )  # fmt: skip
        message = f"案件{i.application_number}已超过{label}（{state.info.due_date_iso}），当前阶段：{STAGE_LABELS[self._status.stage]}"
        await self._notify(
            f"breach:{state.name.value}:{state.version}", "breach", Role.SUPERVISOR, i.county_code, message
        )
        await self._event(
            "breach",
            f"超期：{label}已于{state.info.due_date_iso}届满仍未完成，已通报监督人员",
            limit=state.name.value,
        )

    def _cancel_limits(self) -> None:
        for state in self._limits.values():
            if state.active:
                state.cancelled = True
        self._refresh_search_attributes()

    # -- views ------------------------------------------------------------------------------
    @workflow.query
    def status(self) -> ApplicationStatus:
        # A copy: a query must never change the workflow's state.
        open_tasks = [t for t in self._tasks.values() if t.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)]
        return replace(self._status, limits=self._limit_views(), open_tasks=open_tasks)

    def _limit_views(self) -> list[LimitView]:
        return [
            LimitView(
                s.name.value, LIMIT_LABELS[s.name], s.info.at, s.info.due_date_iso, s.info.provisional,
                s.met, s.breached, s.active,
            )
            for s in self._limits.values()
        ]  # fmt: skip

    def _yuan(self, fen: int | None) -> str:
        return format_yuan(fen or 0)


# Stages the family is told of on entry (公示 is told with its period, in the publicity stage).
_STAGE_NOTICES: dict[Stage, str] = {
    Stage.VERIFICATION: "stage_investigation",
    Stage.APPROVAL: "stage_approval",
}

_STATUS_WORDS = {
    TaskStatus.OPEN: "待办理",
    TaskStatus.CLAIMED: "被认领",
    TaskStatus.COMPLETED: "办结",
    TaskStatus.CANCELLED: "取消",
}
