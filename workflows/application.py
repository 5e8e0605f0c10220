"""The application workflow: one durable execution per application (申请)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.applications import ApplicationActivities
    from domain.application import (
        ApplicationResult,
        ApplicationStatus,
        ComputeDeadlineInput,
        RecordStageInput,
        StartApplicationInput,
        WithdrawInput,
    )
    from domain.enums import Stage
    from workflows import search_attributes as sa

WHOLE_PROCESS_WORKING_DAYS = 30
_ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class ApplicationWorkflow:
    """Drives one application from intake to its outcome.

    Queries: ``status`` — stage, whole-process deadline, overdue flag.
    Updates: ``withdraw`` — the applicant withdraws (rejected once the case is closed).
    Search attributes: Stage, AssistanceType, CountyCode, GreenChannel, Deadline, Overdue.
    """

    @workflow.init
    def __init__(self, input: StartApplicationInput) -> None:
        self._input = input
        self._status = ApplicationStatus(
            application_number=input.application_number,
            stage=Stage.INTAKE,
            deadline=None,
            deadline_provisional=False,
            overdue=False,
        )

    @workflow.run
    async def run(self, input: StartApplicationInput) -> ApplicationResult:
        deadline = await workflow.execute_activity_method(
            ApplicationActivities.compute_deadline,
            ComputeDeadlineInput(start=input.accepted_at, working_days=WHOLE_PROCESS_WORKING_DAYS),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
        )
        self._status.deadline = deadline.at
        self._status.deadline_provisional = deadline.provisional
        workflow.upsert_search_attributes(
            [
                sa.ASSISTANCE_TYPE.value_set(input.assistance_type.value),
                sa.COUNTY_CODE.value_set(input.county_code),
                sa.GREEN_CHANNEL.value_set(input.green_channel),
                sa.DEADLINE.value_set(deadline.at),
                sa.OVERDUE.value_set(False),
            ]
        )
        await self._enter(Stage.INTAKE)
        # The following stages are driven by staff tasks; until then the case waits at intake.
        await workflow.wait_condition(lambda: self._status.stage is Stage.WITHDRAWN)
        await self._record(Stage.WITHDRAWN)
        return ApplicationResult(input.application_number, self._status.stage)

    @workflow.query
    def status(self) -> ApplicationStatus:
        return self._status

    @workflow.update
    def withdraw(self, input: WithdrawInput) -> ApplicationStatus:
        self._status.stage = Stage.WITHDRAWN
        sa_update = [sa.STAGE.value_set(Stage.WITHDRAWN.value)]
        workflow.upsert_search_attributes(sa_update)
        return self._status

    @withdraw.validator
    def _validate_withdraw(self, input: WithdrawInput) -> None:
        if self._status.stage in (Stage.WITHDRAWN, Stage.REJECTED, Stage.ENROLLED, Stage.CLOSED):
            raise ApplicationError("案件已办结，不能撤回", type="CaseClosed", non_retryable=True)
        if not input.reason.strip():
            raise ApplicationError("撤回申请须注明原因", type="InvalidInput", non_retryable=True)

    async def _enter(self, stage: Stage) -> None:
        self._status.stage = stage
        workflow.upsert_search_attributes([sa.STAGE.value_set(stage.value)])
        await self._record(stage)

    async def _record(self, stage: Stage) -> None:
        await workflow.execute_activity_method(
            ApplicationActivities.record_stage,
            RecordStageInput(self._status.application_number, stage),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
        )
