"""The API's one door into a running case: the `status` query and the validated updates.

An update refused by the workflow's validator leaves no trace in the case; its ApplicationError
`type` becomes the HTTP status and snake_case `code`, and its Chinese message is passed through.
Every update takes an optional `update_id` (api/idempotency.py): the same id is one action, and a
retry answers with the first outcome.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.application import (
    ApplicationResult,
    ApplicationStatus,
    CalendarLoadedInput,
    ExtendDeadlineInput,
    ObjectionInput,
    WithdrawInput,
    workflow_id_for,
)
from domain.tasks import ClaimTaskInput, CompleteTaskInput, TaskRecord
from services.errors import ApiError
from workflows.application import ApplicationWorkflow

log = logging.getLogger(__name__)
T = TypeVar("T")

# A query or update needs a worker; without one the call would hang, so it is bounded.
_QUERY_TIMEOUT = timedelta(seconds=10)
_UPDATE_TIMEOUT = timedelta(seconds=30)

# ApplicationError.type raised by the workflow's validators → HTTP status.
REJECTION_STATUS: dict[str, int] = {
    "TaskNotFound": 404,
    "TaskNotOpen": 409,
    "Forbidden": 403,
    "InvalidForm": 422,
    "WrongStage": 409,
    "SpotCheckPending": 409,
    "AlreadyExtended": 409,
    "CaseClosed": 409,
    "AmountNotAllowed": 422,
}
_UNAVAILABLE = "流程服务暂时不可用，请稍后重试；本次操作未生效"


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def rejection(exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type:
        status = REJECTION_STATUS.get(cause.type, 409)
        errors = cause.details[0] if cause.details and isinstance(cause.details[0], list) else None
        api_error = ApiError(status, snake_case(cause.type), cause.message or "操作被拒绝")
        if errors is not None:
            api_error.extra["errors"] = errors  # field-level errors from the workflow's form check
        return api_error
    # A bug in the update handler itself: the case is unchanged (an update failure is not a
    # workflow failure), but the caller cannot fix it by changing the request.
    log.error("update failed without a typed rejection: %r", cause)
    return ApiError(500, "workflow_error", "流程处理出错，本次操作未生效，请联系运维人员")


class WorkflowGateway:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _handle(self, application_number: str) -> WorkflowHandle[ApplicationWorkflow, ApplicationResult]:
        return self._client.get_workflow_handle_for(
            ApplicationWorkflow.run, workflow_id_for(application_number)
        )

    async def status(
        self, application_number: str, rpc_timeout: timedelta = _QUERY_TIMEOUT
    ) -> ApplicationStatus | None:
        """None when the workflow cannot answer (server down, no worker, not started yet) within
        `rpc_timeout`."""
        handle = self._handle(application_number)
        try:
            return await handle.query(ApplicationWorkflow.status, rpc_timeout=rpc_timeout)
        except (RPCError, RuntimeError, WorkflowQueryFailedError) as exc:
            log.warning("status query for %s failed: %s", handle.id, exc)
            return None

    def _task_handle(self, application_number: str, workflow_id: str | None) -> WorkflowHandle[Any, Any]:
        """The workflow that owns a task: the application's, or (a lifecycle task: re-review,
        change re-check) the beneficiary workflow named on the task row. Both define the updates
        claim_task / release_task / complete_task with the same input types."""
        return self._client.get_workflow_handle(workflow_id or workflow_id_for(application_number))

    async def claim(
        self, application_number: str, input: ClaimTaskInput, workflow_id: str | None = None,
        update_id: str | None = None,
    ) -> TaskRecord:  # fmt: skip
        handle = self._task_handle(application_number, workflow_id)
        return await self._guard(
            handle.execute_update(
                "claim_task",
                input,
                id=update_id,
                result_type=TaskRecord,
                rpc_timeout=_UPDATE_TIMEOUT,
            )
        )

    async def release(
        self, application_number: str, input: ClaimTaskInput, workflow_id: str | None = None,
        update_id: str | None = None,
    ) -> TaskRecord:  # fmt: skip
        handle = self._task_handle(application_number, workflow_id)
        return await self._guard(
            handle.execute_update(
                "release_task",
                input,
                id=update_id,
                result_type=TaskRecord,
                rpc_timeout=_UPDATE_TIMEOUT,
            )
        )

    async def complete(
        self, application_number: str, input: CompleteTaskInput, workflow_id: str | None = None,
        update_id: str | None = None,
    ) -> TaskRecord:  # fmt: skip
        handle = self._task_handle(application_number, workflow_id)
        return await self._guard(
            handle.execute_update(
                "complete_task",
                input,
                id=update_id,
                result_type=TaskRecord,
                rpc_timeout=_UPDATE_TIMEOUT,
            )
        )

    async def file_objection(
        self, application_number: str, input: ObjectionInput, update_id: str | None = None
    ) -> ApplicationStatus:
        handle = self._handle(application_number)
        return await self._guard(
            handle.execute_update(
                ApplicationWorkflow.file_objection, input, id=update_id, rpc_timeout=_UPDATE_TIMEOUT
            )
        )

    async def withdraw(
        self, application_number: str, input: WithdrawInput, update_id: str | None = None
    ) -> ApplicationStatus:
        handle = self._handle(application_number)
        return await self._guard(
            handle.execute_update(
                ApplicationWorkflow.withdraw, input, id=update_id, rpc_timeout=_UPDATE_TIMEOUT
            )
        )

    async def extend(
        self, application_number: str, input: ExtendDeadlineInput, update_id: str | None = None
    ) -> ApplicationStatus:
        handle = self._handle(application_number)
        return await self._guard(
            handle.execute_update(
                ApplicationWorkflow.extend_deadline, input, id=update_id, rpc_timeout=_UPDATE_TIMEOUT
            )
        )

    async def calendar_loaded(self, workflow_id: str, input: CalendarLoadedInput) -> bool:
        """Tell a running case that a year's calendar was loaded. False when it is not running
        (finished since its limit was recorded): nothing to count again there."""
        handle = self._client.get_workflow_handle_for(ApplicationWorkflow.run, workflow_id)
        try:
            await handle.signal(ApplicationWorkflow.calendar_loaded, input, rpc_timeout=_QUERY_TIMEOUT)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    @staticmethod
    async def _guard(call: Awaitable[T]) -> T:
        try:
            return await call
        except WorkflowUpdateFailedError as exc:
            raise rejection(exc) from None
        except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
            # Unlike a refusal, the update may have been accepted and still be running (e.g. its
            # database write is being retried): the outcome is unknown, so say so.
            log.error("update timed out: %s", exc)
            raise ApiError(
                503,
                "workflow_timeout",
                "流程服务响应超时，操作结果未知；请先刷新案件或待办状态，再决定是否重试"
                "（携带相同的 Idempotency-Key 重试不会重复办理）",
            ) from exc
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                # No running execution: finished (or, after an intake outage, not started yet).
                raise ApiError(
                    409, "case_closed", "案件流程不在运行中（已办结或尚未启动），不能办理"
                ) from None
            log.error("update failed: %s", exc)
            raise ApiError(503, "workflow_unavailable", _UNAVAILABLE) from exc
        except RuntimeError as exc:  # the SDK's reconnect failure when the server is unreachable
            log.error("update failed: %s", exc)
            raise ApiError(503, "workflow_unavailable", _UNAVAILABLE) from exc
