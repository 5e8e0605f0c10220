"""The application workflow: one durable execution per application (申请), for every type."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case_records import CaseRecordActivities
    from activities.reference import ReferenceActivities
    from activities.warnings import RecordWarningsInput, WarningActivities
    from domain.amounts import needs_county_decision
    from domain.application import (
        ApplicationResult,
        ApplicationStatus,
        ExtendDeadlineInput,
        ObjectionInput,
        RecheckInput,
        StartApplicationInput,
        WithdrawInput,
    )
    from domain.assessment import household_income_fen, proposed_amount_fen
    from domain.calendar import CHINA_TZ
    from domain.departments import DepartmentBadData, DepartmentResult
    from domain.enums import ASSISTANCE_TYPE_LABELS, Stage
    from domain.forms import (
        ApprovalForm,
        DemocraticReviewForm,
        EmergencyApprovalForm,
        HomeVisitForm,
        OpinionForm,
    )
    from domain.household_assessment import HouseholdAssessment, assess_household
    from domain.limits import LimitName
    from domain.policy import AmountRule, DataCheckMode, DayCounting, ReviewMode
    from domain.records import (
        DeadlineUnit,
        HandOverInput,
        PaymentOrderInput,
        ResolvePolicyInput,
        SpotCheckInput,
    )
    from domain.staff import Actor, Role, covers
    from domain.tasks import (
        OUTCOME_LABELS,
        TASK_LABELS,
        ClaimTaskInput,
        CompleteTaskInput,
        FormInvalid,
        TaskRecord,
        TaskStatus,
        TaskType,
        validate_completion,
    )
    from workflows import search_attributes as sa
    from workflows.case_machinery import CLOSED_STAGES, CaseEnded, Withdrawn, rejected
    from workflows.cross_check import CrossCheckMixin


@workflow.defn
class ApplicationWorkflow(CrossCheckMixin):
    """Drives one application through intake → verification → democratic review → publicity →
    approval (or, for 急难型, rescue → paperwork), as the case's policy says.

    Queries: ``status``.
    Updates: ``claim_task``, ``release_task``, ``complete_task`` (human tasks, validated),
    ``file_objection`` (during publicity), ``extend_deadline`` (30 → 45 working days),
    ``withdraw`` (any stage before the decision).
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
            task = await self._complete(await self._open_task(TaskType.SUPPLEMENT_MATERIALS, i.township_code))
            if task.outcome == "abandoned":
                raise CaseEnded(Stage.CLOSED)
            self._status.missing_materials = []
            accepted = workflow.now()
        self._accepted_at = accepted
        await self._event("accepted", "材料齐全，正式受理", accepted_at=accepted.isoformat())
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

    async def _verification(self) -> None:
        i, limits = self._input, self._policy.limits
        await self._enter(Stage.VERIFICATION)
        now = workflow.now()
        visit_region = i.county_code if i.staff_relative else i.township_code
        visit_days = (
            limits.green_verification_start_days if i.green_channel else limits.verification_start_days
        )
        visit_limit = await self._start_limit(
            LimitName.VERIFICATION_START,
            now,
            visit_days,
            DeadlineUnit.WORKING_DAYS,
            Role.INVESTIGATOR,
            visit_region,
        )
        note = "备案案件：须由县级调查人员入户" if i.staff_relative else ""
        visit = await self._open_task(TaskType.HOME_VISIT, visit_region, visit_limit.info, note=note)
        check_days = limits.green_verification_start_days if i.green_channel else limits.data_check_start_days
        mode = self._policy.data_check
        manual: TaskRecord | None = None
        if mode is not DataCheckMode.NONE:
            check_limit = await self._start_limit(
                LimitName.DATA_CHECK_START,
                now,
                check_days,
                DeadlineUnit.WORKING_DAYS,
                Role.INVESTIGATOR,
                i.township_code,
            )
            if mode is DataCheckMode.MANUAL:
                manual = await self._open_task(TaskType.DATA_CHECK, i.township_code, check_limit.info)
        if mode is DataCheckMode.AUTOMATIC:
            self._meet(LimitName.DATA_CHECK_START)  # the queries go out now
            await self._event(
                "data_check_started",
                "已向税务、人社、医保、不动产、车辆、市场监管、公积金、金融等部门发起信息核对",
            )
            # The home visit goes on in parallel (it is a person's task); a department's bad data
            # reaches a person as soon as it arrives, not after the visit.
            outcome = await self._cross_check()
            self._department_results = outcome.results
            if outcome.bad_data:
                reasons = "；".join(outcome.bad_data.values())
                manual = await self._open_task(
                    TaskType.DATA_CHECK, i.township_code, note="部门数据异常，请人工核对：" + reasons
                )
        await self._complete(visit)
        if mode is DataCheckMode.AUTOMATIC and manual is None:
            manual = await self._assess(HomeVisitForm.model_validate(visit.form))
        if manual is not None:
            await self._complete(manual)
        self._income_visit = visit.form["found_monthly_income_fen"]
        self._disputed = self._disputed or bool(visit.form.get("disputed"))
        if manual is not None:
            self._assessment = None  # a person's figures replace the departments' for this case
            self._income_department = manual.form["department_monthly_income_fen"]
        await self._event(
            "verified", f"核查完成：认定家庭月收入{self._yuan(self._household_income())}",
            household_monthly_income_fen=self._household_income(), disputed=self._disputed,
        )  # fmt: skip

    def _review_needed(self) -> bool:
        mode = self._policy.democratic_review
        return mode is ReviewMode.ALWAYS or (mode is ReviewMode.ON_DISPUTE and self._disputed)

    async def _democratic_review(self) -> None:
        await self._enter(Stage.DEMOCRATIC_REVIEW)
        task = await self._complete(
            await self._open_task(TaskType.DEMOCRATIC_REVIEW, self._input.township_code)
        )
        form = DemocraticReviewForm.model_validate(task.form)
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
            self._opinion = OpinionForm.model_validate(task.form)
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
            seen = self._status.objections
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

    async def _approval(self) -> TaskRecord:
        i, p = self._input, self._policy
        await self._enter(Stage.APPROVAL)
        role = p.approver_role
        region = i.county_code if role is Role.COUNTY_APPROVER else i.township_code
        days = p.limits.green_approval_days if i.green_channel else p.limits.approval_days
        limit = await self._start_limit(
            LimitName.APPROVAL, workflow.now(), days, DeadlineUnit.WORKING_DAYS, role, region
        )
        if p.spot_check_percent:
            draw = await self._act(
                CaseRecordActivities.draw_spot_check,
                SpotCheckInput(i.application_number, i.county_code, p.spot_check_percent, workflow.now()),
            )
            await self._event("spot_check_draw", "县级抽查：" + draw.basis, sampled=draw.sampled)
            if draw.sampled:
                self._spot_check = await self._open_task(TaskType.SPOT_CHECK, i.county_code)
        task = await self._complete(
            await self._open_task(TaskType.COUNTY_APPROVAL, region, limit.info, role=role)
        )
        if self._spot_check is not None and self._spot_check.status is not TaskStatus.COMPLETED:
            await self._cancel_open_tasks("审批已作出，抽查不再需要")
        return task

    async def _approve(self, decision: TaskRecord) -> None:
        i = self._input
        form = ApprovalForm.model_validate(decision.form)
        amount = (
            form.adjusted_amount_fen
            if form.adjusted_amount_fen is not None
            else self._status.proposed_amount_fen or 0
        )
        category = form.category or self._status.category
        self._status.approved_amount_fen, self._status.category = amount, category
        start_month = _month_after(workflow.now().astimezone(CHINA_TZ).date())
        await self._enter(Stage.APPROVED)
        await self._event(
            "approved", f"审批批准：救助金额{self._yuan(amount)}" + (f"，类别{category}" if category else "")
            + (f"，自{start_month}起按月发放" if self._policy.recurring else ""),
            decision.completed_by_actor, amount_fen=amount, start_month=start_month,
        )  # fmt: skip
        if self._policy.recurring:
            await self._act(
                CaseRecordActivities.hand_over,
                HandOverInput(i.application_number, i.assistance_type, i.county_code, i.township_code,
                              i.community_code, category, amount, start_month),
            )  # fmt: skip
        elif amount:
            await self._order_payment("one_off", amount, "cash")

    async def _reject(self, reasons: str) -> None:
        i = self._input
        await self._enter(Stage.REJECTED)
        await self._event("rejected", "不予批准。理由：" + reasons)
        limit = await self._start_limit(
            LimitName.REFUSAL_NOTICE, workflow.now(), self._policy.limits.refusal_notice_days,
            DeadlineUnit.WORKING_DAYS, Role.TOWNSHIP_REVIEWER, i.township_code,
        )  # fmt: skip
        await self._complete(
            await self._open_task(TaskType.REFUSAL_NOTICE, i.township_code, limit.info, note=reasons)
        )
        await self._event("notice_sent", "不予批准告知书已送达")

    async def _emergency(self) -> None:
        i, p = self._input, self._policy
        await self._enter(Stage.RESCUE)
        limit = await self._start_limit(
            LimitName.EMERGENCY_APPROVAL, self._accepted_at, p.limits.emergency_approval_hours, DeadlineUnit.HOURS,
            Role.TOWNSHIP_HEAD, i.township_code,
        )  # fmt: skip
        task = await self._complete(
            await self._open_task(TaskType.EMERGENCY_APPROVAL, i.township_code, limit.info)
        )
        if task.outcome == "reject":
            self._meet(LimitName.EMERGENCY_APPROVAL)
            self._meet(LimitName.WHOLE_PROCESS)
            await self._reject(task.form.get("reasons", ""))
            return
        form = EmergencyApprovalForm.model_validate(task.form)
        if needs_county_decision(form.amount_fen, p.standards.temp_township_limit_fen):
            await self._event(
                "county_decision", f"金额{self._yuan(form.amount_fen)}超过乡镇审批权限，报县级一事一议"
            )
            county = await self._complete(
                await self._open_task(
                    TaskType.COUNTY_APPROVAL, i.county_code, limit.info, role=Role.COUNTY_APPROVER
                )
            )
            if county.outcome != "approve":
                self._meet(LimitName.EMERGENCY_APPROVAL)
                self._meet(LimitName.WHOLE_PROCESS)
                await self._reject(county.form.get("reasons", "县级一事一议未予同意"))
                return
        self._decided = True
        await self._order_payment("rescue", form.amount_fen, form.form_of_aid)
        self._status.approved_amount_fen = form.amount_fen
        self._meet(LimitName.EMERGENCY_APPROVAL)
        await self._enter(Stage.PAPERWORK)
        paper_limit = await self._start_limit(
            LimitName.EMERGENCY_PAPERWORK, workflow.now(), p.limits.emergency_paperwork_days, DeadlineUnit.WORKING_DAYS,
            Role.INTAKE_CLERK, i.township_code,
        )  # fmt: skip
        await self._complete(
            await self._open_task(TaskType.EMERGENCY_PAPERWORK, i.township_code, paper_limit.info)
        )
        self._meet(LimitName.WHOLE_PROCESS)
        await self._enter(Stage.APPROVED)
        await self._event("approved", f"急难型临时救助办结：已救助{self._yuan(form.amount_fen)}")

    async def _order_payment(self, kind: str, amount: int, form_of_aid: str) -> None:
        i = self._input
        order = PaymentOrderInput(
            f"{i.application_number}:{kind}", i.application_number, kind, amount, form_of_aid, workflow.now()
        )
        await self._act(CaseRecordActivities.create_payment_order, order)
        aid = "现金" if form_of_aid == "cash" else "实物"
        await self._event(
            "payment_ordered", f"已下达支付指令：{self._yuan(amount)}（{aid}）", order_key=order.order_key
        )

    async def _close_withdrawn(self) -> None:
        actor = self._withdrawal
        await self._cancel_open_tasks("申请人撤回申请")
        self._cancel_limits()
        await self._enter(Stage.WITHDRAWN)
        await self._event("withdrawn", "申请人撤回申请。原因：" + self._withdrawal_reason, actor)

    # -- helpers ----------------------------------------------------------------------------
    async def _assess(self, visit: HomeVisitForm) -> TaskRecord | None:
        """精准识别 from the departments' data and the visit; warnings send the case to closer review.
        Returns a data-check task for a person when the departments' data cannot be assessed."""
        i = self._input
        self._visit_form = visit
        self._events_of_checks.append(workflow.now().isoformat())
        declared = i.declared_member_incomes_fen or [i.declared_monthly_income_fen] + [0] * (
            i.household_size - 1
        )
        try:
            self._assessment = assess_household(
                declared, self._department_results, visit, standards=self._policy.standards,
                as_of=workflow.now().astimezone(CHINA_TZ).date(),
            )  # fmt: skip
        except DepartmentBadData as exc:
            await self._event("department_bad_data", f"部门数据无法用于核算：{exc}")
            return await self._open_task(
                TaskType.DATA_CHECK, i.township_code, note=f"部门数据异常，请人工核对：{exc}"
            )
        a = self._assessment
        summary = f"信息核对完成：家庭月收入{self._yuan(a.monthly_income.amount_fen)}，人均{self._yuan(a.per_capita_income_fen)}"
        summary += f"；预警{len(a.warnings)}条，转入重点审查" if a.warnings else "；无预警"
        await self._event(
            "assessed", summary, monthly_income_fen=a.monthly_income.amount_fen,
            per_capita_income_fen=a.per_capita_income_fen, basis=a.monthly_income.basis,
            expenditure_type_eligible=a.expenditure_type_eligible,
        )  # fmt: skip
        for warning in a.warnings:
            await self._event(
                "warning",
                f"预警：{warning.title}。{warning.explanation}",
                rule=warning.rule.value,
                figures=warning.figures,
            )
        if a.warnings:
            await self._act(
                WarningActivities.record_warnings,
                RecordWarningsInput(
                    i.application_number, "application", a.as_of.isoformat(), i.county_code, i.township_code,
                    list(a.warnings),
                ),
            )  # fmt: skip
            await self._notify(
                f"check-result:{len(self._events_of_checks)}", "check_result", Role.INTAKE_CLERK, i.township_code,
                f"案件{i.application_number}信息核对发现{len(a.warnings)}条预警，请告知申请人核对结果；"
                "申请人如有异议，可提交证据申请复查",
            )  # fmt: skip
            await self._event(
                "check_result_notice", "已通知受理窗口将核对结果告知申请人（可提交证据申请复查）"
            )
            # A warning never rejects: the case goes to closer review — democratic review, whatever
            # the policy's default — with the warnings on its timeline.
            self._disputed = True
        return None

    def _household_income(self) -> int:
        if self._assessment is not None:
            return self._assessment.monthly_income.amount_fen
        return household_income_fen(
            self._input.declared_monthly_income_fen, self._income_visit, self._income_department
        )

    def _proposed(self, opinion: OpinionForm) -> int:
        return proposed_amount_fen(
            self._policy, self._input.household_size, self._household_income(), opinion
        )

    # -- queries and updates ----------------------------------------------------------------
    @workflow.query
    def status(self) -> ApplicationStatus:
        # A copy: a query must never change the workflow's state.
        open_tasks = [t for t in self._tasks.values() if t.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)]
        return replace(self._status, limits=self._limit_views(), open_tasks=open_tasks)

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
        form = validate_completion(task.task_type, input.outcome, input.form)
        task.status, task.outcome = TaskStatus.COMPLETED, input.outcome
        task.form = form.model_dump(mode="json")
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
        if task.task_type is TaskType.COUNTY_APPROVAL and input.outcome == "approve":
            spot = self._spot_check
            if spot is not None and spot.status is not TaskStatus.COMPLETED:
                raise rejected("SpotCheckPending", "本案已被抽中县级抽查，抽查完成前不能批准")
        if task.task_type is TaskType.TOWNSHIP_OPINION and input.outcome == "recommend_approve":
            assert isinstance(form, OpinionForm)
            if self._policy.amount_rule is AmountRule.DIBAO_GAP and self._proposed(form) == 0:
                raise rejected("InvalidForm", "家庭人均收入不低于低保标准，不能建议批准")

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
    async def request_recheck(self, input: RecheckInput) -> ApplicationStatus:
        self._rechecking = True
        await self._event(
            "recheck_requested", "申请人对核对结果提出异议并提交证据，启动复查：" + input.summary, input.actor,
            evidence_refs=input.evidence_refs,
        )  # fmt: skip
        # In the background: a department may be down for hours; the caller gets an answer now.
        self._watchers.append(asyncio.create_task(self._recheck()))
        return self.status()

    async def _recheck(self) -> None:
        outcome = await self._cross_check()
        self._department_results = outcome.results
        if self._visit_form is not None and not outcome.bad_data:
            await self._assess(self._visit_form)
        warnings = len(self._assessment.warnings) if self._assessment else 0
        await self._event("rechecked", f"复查完成：现有预警{warnings}条", warnings=warnings)
        self._rechecking = False

    @request_recheck.validator
    def _validate_recheck(self, input: RecheckInput) -> None:
        if input.actor.role not in (Role.INTAKE_CLERK, Role.TOWNSHIP_REVIEWER):
            raise rejected("Forbidden", "复查申请须由受理窗口或乡镇审核人员登记")
        if not covers(input.actor.region_code, self._input.township_code):
            raise rejected("Forbidden", "该案件不在您的管辖范围内")
        if self._decided or self._status.stage in CLOSED_STAGES:
            raise rejected("CaseClosed", "案件已作出决定，不能再申请复查")
        if self._assessment is None or not self._assessment.warnings:
            raise rejected("WrongStage", "本案没有需要复查的核对预警")
        if self._rechecking:
            raise rejected("WrongStage", "复查正在进行中")
        if not input.evidence_refs or len(input.summary.strip()) < 4:
            raise rejected("InvalidForm", "申请复查须写明异议并提交证据")

    @workflow.update
    async def extend_deadline(self, input: ExtendDeadlineInput) -> ApplicationStatus:
        state = self._limits[LimitName.WHOLE_PROCESS]
        state.info = await self._deadline(
            self._accepted_at, self._policy.limits.whole_process_extended_days, DeadlineUnit.WORKING_DAYS
        )
        state.version += 1
        state.reminded = False
        self._status.whole_process_extended = True
        self._refresh_search_attributes()
        await self._event(
            "extended", f"办理时限延长至{state.info.due_date_iso}。理由：{input.reason}", input.actor
        )
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
        await workflow.wait_condition(lambda: self._status.stage is Stage.WITHDRAWN)
        return self.status()

    @withdraw.validator
    def _validate_withdraw(self, input: WithdrawInput) -> None:
        if input.actor.role not in (Role.INTAKE_CLERK, Role.TOWNSHIP_REVIEWER):
            raise rejected("Forbidden", "撤回申请须由受理窗口或乡镇审核人员登记")
        if not covers(input.actor.region_code, self._input.township_code):
            raise rejected("Forbidden", "该案件不在您的管辖范围内")
        if self._decided or self._status.stage in CLOSED_STAGES or self._withdrawal is not None:
            raise rejected("CaseClosed", "案件已作出决定（或已先行救助）或已办结，不能撤回")
        if len(input.reason.strip()) < 2:
            raise rejected("InvalidForm", "撤回申请须注明原因")

    def _check_case_actor(self, actor: Actor, role: Role) -> None:
        if actor.role is not role:
            raise rejected("Forbidden", "您的角色不能办理此事项")
        if not covers(actor.region_code, self._input.township_code):
            raise rejected("Forbidden", "该案件不在您的管辖范围内")


def _month_after(day: date) -> str:
    first_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_next.strftime("%Y-%m")
