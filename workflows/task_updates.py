"""Staff actions on a case's tasks, as validated workflow updates: claim, release, complete.
The validators refuse synchronously (the API answers 403/404/409/422) and change nothing."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.tasks import (
        OUTCOME_LABELS,
        TASK_LABELS,
        ClaimTaskInput,
        CompleteTaskInput,
        FormInvalid,
        TaskRecord,
        TaskStatus,
        recorded_completion,
        validate_completion,
    )
    from workflows.case_machinery import CaseMachinery, rejected


class TaskUpdates(CaseMachinery):
    def _check_completion(self, task: TaskRecord, outcome: str, form: Any) -> None:
        """Rules a particular workflow adds on top of the form (overridden where needed)."""

    @workflow.update
    async def claim_task(self, input: ClaimTaskInput) -> TaskRecord:
        task = self._tasks[input.task_id]
        task.status, task.assignee = TaskStatus.CLAIMED, input.actor.username
        self._meet_for_task(task, completed=False)
        await self._task_action(task, "task_claimed", f"认领待办：{TASK_LABELS[task.task_type]}", input.actor)
        return task

    @claim_task.validator
    def _validate_claim(self, input: ClaimTaskInput) -> None:
        task = self._open_task_or_reject(input.task_id, input.actor)
        if task.status is TaskStatus.CLAIMED:
            raise rejected("TaskNotOpen", "您已认领该待办")

    @workflow.update
    async def release_task(self, input: ClaimTaskInput) -> TaskRecord:
        task = self._tasks[input.task_id]
        task.status, task.assignee = TaskStatus.OPEN, None
        await self._task_action(
            task, "task_released", f"退回待办池：{TASK_LABELS[task.task_type]}", input.actor
        )
        return task

    @release_task.validator
    def _validate_release(self, input: ClaimTaskInput) -> None:
        task = self._open_task_or_reject(input.task_id, input.actor)
        if task.status is not TaskStatus.CLAIMED:
            raise rejected("TaskNotOpen", "该待办尚未被认领")

    @workflow.update
    async def complete_task(self, input: CompleteTaskInput) -> TaskRecord:
        task = self._tasks[input.task_id]
        # The validator checked the form; this runs again on replay, with today's rules.
        form = recorded_completion(task.task_type, input.outcome, input.form)
        task.status, task.outcome = TaskStatus.COMPLETED, input.outcome
        task.form = form
        task.assignee = task.assignee or input.actor.username
        task.completed_by, task.completed_at = input.actor.username, workflow.now()
        task.completed_by_actor = input.actor
        self._meet_for_task(task, completed=True)
        outcome = OUTCOME_LABELS.get(input.outcome, input.outcome)
        await self._task_action(
            task, "task_completed", f"办结待办：{TASK_LABELS[task.task_type]}，结果：{outcome}", input.actor,
            outcome=input.outcome, form=task.form,
        )  # fmt: skip
        return task

    @complete_task.validator
    def _validate_complete(self, input: CompleteTaskInput) -> None:
        task = self._open_task_or_reject(input.task_id, input.actor)
        try:
            form = validate_completion(task.task_type, input.outcome, input.form)
        except FormInvalid as exc:
            raise rejected("InvalidForm", str(exc), exc.errors) from None
        self._check_completion(task, input.outcome, form)
