"""The application workflow: one durable execution per application (申请), for every type."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Activity results are decoded inside the sandbox, where pydantic resolves a dataclass's
    # annotations in its module as the sandbox's modules hold it — only what this module imports
    # (the stage modules are passed through): the assessment's and its warnings' modules too.
    from activities.assessment import AssessHouseholdResult  # noqa: F401
    from activities.reference import ReferenceActivities
    from domain.amount_rules import approval_total_fen, township_must_refer
    from domain.amounts import needs_county_decision
    from domain.application import (
        ApplicationResult,
        ApplicationStatus,
        CalendarLoadedInput,
        ExtendDeadlineInput,
        ObjectionInput,
        StartApplicationInput,
        WithdrawInput,
    )
    from domain.departments import DepartmentResult
    from domain.enums import ASSISTANCE_TYPE_LABELS, Stage
    from domain.forms import (
        ApprovalForm,
        DemocraticReviewForm,
        HomeVisitForm,
        OpinionForm,
        recorded_form,
    )
    from domain.household_assessment import HouseholdAssessment
    from domain.limits import LimitName
    from domain.notices import SMS_PATCH, date_words
    from domain.policy import AmountRule, DayCounting, ReviewMode
    from domain.records import (
        DeadlineUnit,
        ResolvePolicyInput,
    )
    from domain.risk import RiskWarning  # noqa: F401
    from domain.staff import Actor, Role, covers
    from domain.tasks import (
        TaskRecord,
        TaskStatus,
        TaskType,
    )
    from workflows import search_attributes as sa
    from workflows.case_machinery import CLOSED_STAGES, CaseEnded, Withdrawn, rejected
    from workflows.decision_stage import DecisionStage
    from workflows.task_updates import TaskUpdates
    from workflows.verification_stage import VerificationStage


@workflow.defn
class ApplicationWorkflow(VerificationStage, DecisionStage, TaskUpdates):
    """Drives one application through intake → verification → democratic review → publicity →
    approval (or, for 急难型, rescue → paperwork), as the case's policy says.

    Queries: ``status``.
    Updates: ``claim_task``, ``release_task``, ``complete_task`` (human tasks, validated),
    ``file_objection`` (during publicity), ``extend_deadline`` (30 → 45 working days),
    ``withdraw`` (any stage before the decision).
    Signals: ``calendar_loaded`` (a year's holiday calendar was loaded: provisional limits are
    counted again).
    Search attributes: Stage, AssistanceType, CountyCode, GreenChannel, Deadline, Overdue.
    """

    @workflow.init
    def __init__(self, input: StartApplicationInput) -> None:
        self._init_machinery(input)
        self._status = ApplicationStatus(
            input.application_number, Stage.INTAKE, input.assistance_type, input.green_channel
        )
        self._disputed = False
        self._income_visit: int | None = None
        self._income_department: int | None = None
        self._department_results: list[DepartmentResult] = []
        self._assessment: HouseholdAssessment | None = None
        self._events_of_checks: list[str] = []  # one entry per assessment (first check, then 复查)
        self._visit_form: HomeVisitForm | None = None
        self._rechecking = False
        self._opinion: OpinionForm | None = None
        self._spot_check: TaskRecord | None = None
        self._accepted_at = input.accepted_at
        # Set once money is ordered or the county has decided: the applicant can no longer withdraw.
        self._decided = False
        self._withdrawal_reason = ""

    @workflow.run
    async def run(self, input: StartApplicationInput) -> ApplicationResult:
        self._policy = await self._act(
            ReferenceActivities.resolve_policy, ResolvePolicyInput(input.assistance_type, input.county_code)
        )
        # Also set by the API at start; set here too so a case started any other way is findable.
        workflow.upsert_search_attributes(
            [
                sa.ASSISTANCE_TYPE.value_set(input.assistance_type.value),
                sa.COUNTY_CODE.value_set(input.county_code),
                sa.GREEN_CHANNEL.value_set(input.green_channel),
            ]
        )
        await self._event(
            "submitted", f"登记申请：{ASSISTANCE_TYPE_LABELS[input.assistance_type]}，家庭{input.household_size}人",
            input.submitted_by, channel=input.channel.value, green_channel=input.green_channel,
            declared_monthly_income_fen=input.declared_monthly_income_fen,
        )  # fmt: skip
        try:
            try:
                await self._intake()
                if self._policy.emergency:
                    await self._emergency()
                else:
                    await self._standard()
            except Withdrawn:
                await self._close_withdrawn()
        except CaseEnded as ended:
            await self._enter(ended.stage)
        self._cancel_limits()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._notices_sent()  # none before the SMS patch
        return ApplicationResult(
            input.application_number, self._status.stage, self._status.approved_amount_fen
        )

    # -- stages -----------------------------------------------------------------------------
    async def _intake(self) -> None:
        i, p = self._input, self._policy
        await self._enter(Stage.INTAKE)
        if i.staff_relative:
            await self._event(
                "filed_for_record", "申请人为民政工作人员或村（社区）干部近亲属，已备案，须由县级开展入户调查"
            )
        if i.commitment_signed:
            await self._event(
                "commitment",
                "申请人已签署告知承诺书：可由部门共享获取的材料不再要求提供："
                + "、".join(p.fetchable_materials),
            )
        # 急难型: rescue first — nothing is asked for up front; the paperwork task collects it later.
        missing = [] if p.emergency else p.missing_materials(i.materials_provided, i.commitment_signed)
        accepted = i.accepted_at
        if missing:
            self._status.missing_materials = missing
            await self._event(
                "materials_notice", "一次性告知：请一次性补齐以下材料：" + "、".join(missing), missing=missing
            )
            if workflow.patched(SMS_PATCH):
                self._tell(
                    "materials", "materials_missing", {**self._case_params(), "materials": "、".join(missing)}
                )
            task = await self._complete(await self._open_task(TaskType.SUPPLEMENT_MATERIALS, i.township_code))
            if task.outcome == "abandoned":
                raise CaseEnded(Stage.CLOSED)
            self._status.missing_materials = []
            accepted = workflow.now()
        self._accepted_at = accepted
        await self._event("accepted", "材料齐全，正式受理", accepted_at=accepted.isoformat())
        if workflow.patched(SMS_PATCH):
            self._tell("accepted", "application_accepted", self._case_params())
        await self._start_limit(
            LimitName.WHOLE_PROCESS, accepted, p.limits.whole_process_days, DeadlineUnit.WORKING_DAYS,
            Role.TOWNSHIP_REVIEWER, i.township_code,
        )  # fmt: skip

    async def _standard(self) -> None:
        await self._verification()
        while True:
            if self._review_needed():
                await self._democratic_review()
            opinion = await self._township_opinion()
            if opinion.outcome == "recommend_approve" and self._policy.publicity:
                opinion = await self._publicity(opinion)
            decision = await self._approval()
            if decision.outcome != "return":
                break
            await self._event("returned", "县级退回补充调查：" + decision.form.get("reasons", ""))
            await self._verification()
        self._meet(LimitName.WHOLE_PROCESS)
        self._decided = True
        if decision.outcome == "approve":
            await self._approve(decision)
        else:
            await self._reject(decision.form.get("reasons", ""))

    def _review_needed(self) -> bool:
        mode = self._policy.democratic_review
        return mode is ReviewMode.ALWAYS or (mode is ReviewMode.ON_DISPUTE and self._disputed)

    async def _democratic_review(self) -> None:
        await self._enter(Stage.DEMOCRATIC_REVIEW)
        task = await self._complete(
            await self._open_task(TaskType.DEMOCRATIC_REVIEW, self._input.township_code)
        )
        form = recorded_form(DemocraticReviewForm, task.form)
        verdict = "通过" if form.passed else "未通过"
        await self._event(
            "review", f"民主评议{verdict}：参会{len(form.attendees)}人，赞成{form.votes_for}、反对{form.votes_against}、弃权{form.abstentions}",
            task.completed_by_actor, recording_ref=form.recording_ref, passed=form.passed,
        )  # fmt: skip

    async def _township_opinion(self) -> TaskRecord:
        task = await self._complete(
            await self._open_task(TaskType.TOWNSHIP_OPINION, self._input.township_code)
        )
        if task.outcome == "recommend_approve":
            self._opinion = recorded_form(OpinionForm, task.form)
            self._status.category = self._opinion.category
            self._status.proposed_amount_fen = self._proposed(self._opinion)
            await self._event(
                "opinion", f"乡镇初审意见：建议批准，拟救助{self._yuan(self._status.proposed_amount_fen)}"
            )
        else:
            await self._event("opinion", "乡镇初审意见：建议不予批准。理由：" + task.form.get("reasons", ""))
        return task

    async def _publicity(self, opinion: TaskRecord) -> TaskRecord:
        i, limits = self._input, self._policy.limits
        while True:
            # Counted before the stage opens: objections are accepted from that moment, and one that
            # arrives while the notice is being written must still stop this round.
            before = self._status.objections
            await self._enter(Stage.PUBLICITY)
            self._status.publicity_rounds += 1
            unit = (
                DeadlineUnit.CALENDAR_DAYS
                if limits.publicity_counting is DayCounting.CALENDAR
                else DeadlineUnit.WORKING_DAYS
            )
            period = await self._deadline(workflow.now(), limits.publicity_days, unit)
            await self._event(
                "publicity", f"第{self._status.publicity_rounds}轮公示：{i.masked_name}，家庭{i.household_size}人，"
                f"拟救助{self._yuan(self._status.proposed_amount_fen)}；公示期至{period.due_date_iso}",
                ends_at=period.at.isoformat(), masked_name=i.masked_name, household_size=i.household_size,
            )  # fmt: skip
            if workflow.patched(SMS_PATCH):
                n = self._status.publicity_rounds
                self._tell(
                    "publicity" + (f":{n}" if n > 1 else ""), "stage_publicity",
                    {**self._case_params(), "until": date_words(period.due_date_iso)},
                )  # fmt: skip
            seen = before if workflow.patched("publicity-early-objection") else self._status.objections
            interrupted = await self._sleep_until(
                period.at,
                lambda: self._status.objections > seen or self._withdrawal is not None,  # noqa: B023
            )
            if self._withdrawal is not None:
                raise Withdrawn()
            if not interrupted:
                await self._event("publicity_ended", "公示期满，无异议")
                return opinion
            await self._event("publicity_stopped", "公示期间收到异议，公示中止，启动复核调查")
            await self._enter(Stage.VERIFICATION)
            task = await self._complete(await self._open_task(TaskType.REINVESTIGATION, i.township_code))
            found = task.form.get("found_monthly_income_fen")
            if found is not None:
                self._income_visit = found
                if self._visit_form is not None and self._assessment is not None:
                    # The re-investigation's figure stands in for the first visit's: assess again.
                    await self._assess(
                        self._visit_form.model_copy(update={"found_monthly_income_fen": found})
                    )
            self._disputed = True
            if self._policy.democratic_review is not ReviewMode.NEVER:
                await self._democratic_review()
            opinion = await self._township_opinion()
            if opinion.outcome != "recommend_approve":
                return opinion

    async def _close_withdrawn(self) -> None:
        actor = self._withdrawal
        await self._cancel_open_tasks("申请人撤回申请")
        self._cancel_limits()
        await self._enter(Stage.WITHDRAWN)
        await self._event("withdrawn", "申请人撤回申请。原因：" + self._withdrawal_reason, actor)

    # -- queries and updates ----------------------------------------------------------------
    def _check_completion(self, task: TaskRecord, outcome: str, form: Any) -> None:
        if self._withdrawal is not None:
            # Accepted earlier in this same activation: the case is being closed as withdrawn.
            raise rejected("CaseClosed", "申请人已撤回申请，该待办不再办理")
        self._check_amount(task, outcome, form)
        if task.task_type is TaskType.COUNTY_APPROVAL and outcome == "approve":
            spot = self._spot_check
            if spot is not None and spot.status is not TaskStatus.COMPLETED:
                raise rejected("SpotCheckPending", "本案已被抽中县级抽查，抽查完成前不能批准")
        if task.task_type is TaskType.TOWNSHIP_OPINION and outcome == "recommend_approve":
            assert isinstance(form, OpinionForm)
            if self._policy.amount_rule is AmountRule.DIBAO_GAP and self._proposed(form) == 0:
                raise rejected("InvalidForm", "家庭人均收入不低于低保标准，不能建议批准")

    def _decision_accepted(self) -> bool:
        """A decision task completed, whether or not the main coroutine has acted on it yet: an
        update accepted earlier in the same activation has changed the task but not `_decided`."""
        for task in self._tasks.values():
            if task.status is not TaskStatus.COMPLETED:
                continue
            if task.task_type is TaskType.COUNTY_APPROVAL and task.outcome != "return":
                if not self._referred_to_county(task):
                    return True
            if task.task_type is TaskType.EMERGENCY_APPROVAL and (
                task.outcome == "reject"
                or not needs_county_decision(
                    task.form.get("amount_fen", 0), self._policy.standards.temp_township_limit_fen
                )
            ):
                return True  # the township's word orders the rescue money at once
        return False

    def _referred_to_county(self, task: TaskRecord) -> bool:
        """The township's approval of a one-off grant above its limit: not a decision yet, the
        county decides it (一事一议, see DecisionStage._refer_to_county)."""
        if task.outcome != "approve" or task.candidate_role is Role.COUNTY_APPROVER:
            return False
        amount = approval_total_fen(recorded_form(ApprovalForm, task.form), self._status.proposed_amount_fen)
        return township_must_refer(self._policy, amount)

    @workflow.signal
    async def calendar_loaded(self, input: CalendarLoadedInput) -> None:
        if workflow.patched("recount-deadlines-on-calendar-load"):
            await self._recount_provisional(input.year)

    @workflow.update
    async def file_objection(self, input: ObjectionInput) -> ApplicationStatus:
        self._status.objections += 1
        await self._event("objection", "公示期间收到异议：" + input.summary, input.actor)
        return self.status()

    @file_objection.validator
    def _validate_objection(self, input: ObjectionInput) -> None:
        self._check_case_actor(input.actor, Role.TOWNSHIP_REVIEWER)
        if self._status.stage is not Stage.PUBLICITY:
            raise rejected("WrongStage", "案件不在公示期，不能登记公示异议")
        if len(input.summary.strip()) < 4:
            raise rejected("InvalidForm", "请写明异议内容")

    @workflow.update
    async def extend_deadline(self, input: ExtendDeadlineInput) -> ApplicationStatus:
        # Marked before the await: a second extension validated while this one computes its date
        # must already be refused (validators only see state that handlers set synchronously).
        self._status.whole_process_extended = True
        state = self._limits[LimitName.WHOLE_PROCESS]
        days = self._policy.limits.whole_process_extended_days
        state.info = await self._deadline(self._accepted_at, days, DeadlineUnit.WORKING_DAYS)
        state.version += 1
        state.reminded = False
        # Counted again from the same start if the calendar of a year it runs through is loaded later.
        state.start, state.amount, state.unit = self._accepted_at, days, DeadlineUnit.WORKING_DAYS
        self._refresh_search_attributes()
        await self._event(
            "extended", f"办理时限延长至{state.info.due_date_iso}。理由：{input.reason}", input.actor,
            limit=state.name.value, deadline=state.info.at.isoformat(), provisional=state.info.provisional,
        )  # fmt: skip
        return self.status()

    @extend_deadline.validator
    def _validate_extend(self, input: ExtendDeadlineInput) -> None:
        self._check_case_actor(input.actor, Role.COUNTY_APPROVER)
        state = self._limits.get(LimitName.WHOLE_PROCESS)
        if state is None or not state.active:
            raise rejected("WrongStage", "案件当前没有进行中的办理时限")
        if self._status.whole_process_extended:
            raise rejected("AlreadyExtended", "办理时限已延长过一次")
        if state.breached:
            raise rejected("WrongStage", "办理时限已届满，不能再延长")
        if len(input.reason.strip()) < 4:
            raise rejected("InvalidForm", "延长办理时限须写明理由")

    @workflow.update
    async def withdraw(self, input: WithdrawInput) -> ApplicationStatus:
        self._withdrawal_reason = input.reason
        self._withdrawal = input.actor
        if not workflow.patched("withdraw-ends-with-the-case"):
            await workflow.wait_condition(lambda: self._status.stage is Stage.WITHDRAWN)
            return self.status()
        # Any closed stage ends the wait: a withdrawal must never keep a decided case open (the
        # validators refuse the races that led there; this is the last line).
        await workflow.wait_condition(lambda: self._status.stage in CLOSED_STAGES)
        if self._status.stage is not Stage.WITHDRAWN:
            raise rejected("CaseClosed", "案件已作出决定，撤回未生效")
        return self.status()

    @withdraw.validator
    def _validate_withdraw(self, input: WithdrawInput) -> None:
        if input.actor.role not in (Role.INTAKE_CLERK, Role.TOWNSHIP_REVIEWER):
            raise rejected("Forbidden", "撤回申请须由受理窗口或乡镇审核人员登记")
        if not covers(input.actor.region_code, self._input.township_code):
            raise rejected("Forbidden", "该案件不在您的管辖范围内")
        decided = self._decided or self._decision_accepted()
        if decided or self._status.stage in CLOSED_STAGES or self._withdrawal is not None:
            raise rejected("CaseClosed", "案件已作出决定（或已先行救助）或已办结，不能撤回")
        if len(input.reason.strip()) < 2:
            raise rejected("InvalidForm", "撤回申请须注明原因")

    def _check_case_actor(self, actor: Actor, role: Role) -> None:
        if actor.role is not role:
            raise rejected("Forbidden", "您的角色不能办理此事项")
        if not covers(actor.region_code, self._input.township_code):
            raise rejected("Forbidden", "该案件不在您的管辖范围内")
