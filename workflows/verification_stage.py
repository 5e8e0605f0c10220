"""Verification stage of the application workflow: the home visit, the departments' data
(信息核对), the household assessment with its warnings, and the applicant's re-check (复查)."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.assessment import (
        AssessHouseholdInput,
        AssessHouseholdResult,
        AssessmentActivities,
        VisitFigures,
    )
    from activities.warnings import RecordWarningsInput, WarningActivities
    from domain.application import (
        ApplicationStatus,
        RecheckInput,
    )
    from domain.assessment import household_income_fen, proposed_amount_fen
    from domain.calendar import CHINA_TZ
    from domain.departments import DEPARTMENT_LABELS, DepartmentBadData, DepartmentResult
    from domain.enums import Stage
    from domain.forms import (
        HomeVisitForm,
        OpinionForm,
        recorded_form,
    )
    from domain.household_assessment import HouseholdAssessment, assess_household
    from domain.limits import LimitName
    from domain.policy import DataCheckMode
    from domain.records import (
        DeadlineUnit,
    )
    from domain.staff import Role, covers
    from domain.tasks import (
        TaskRecord,
        TaskType,
    )
    from workflows.case_machinery import CLOSED_STAGES, rejected
    from workflows.cross_check import DEPARTMENTS_BEFORE_POLICY, CrossCheckMixin


class VerificationStage(CrossCheckMixin):
    _disputed: bool
    _income_visit: int | None
    _income_department: int | None
    _department_results: list[DepartmentResult]
    _assessment: HouseholdAssessment | None
    _events_of_checks: list[str]
    _visit_form: HomeVisitForm | None
    _rechecking: bool
    _decided: bool

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
            departments = self._departments()
            asked = (
                "税务、人社、医保、不动产、车辆、市场监管、公积金、金融等部门"
                if set(departments) == set(DEPARTMENTS_BEFORE_POLICY)
                else "、".join(DEPARTMENT_LABELS[d] for d in departments)
            )
            await self._event("data_check_started", f"已向{asked}发起信息核对")
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
            manual = await self._assess(recorded_form(HomeVisitForm, visit.form))
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

    async def _assess(self, visit: HomeVisitForm) -> TaskRecord | None:
        """精准识别 from the departments' data and the visit; warnings send the case to closer review.
        Returns a data-check task for a person when the departments' data cannot be assessed."""
        i = self._input
        self._visit_form = visit
        self._events_of_checks.append(workflow.now().isoformat())
        declared = i.declared_member_incomes_fen or [i.declared_monthly_income_fen] + [0] * (
            i.household_size - 1
        )
        as_of = workflow.now().astimezone(CHINA_TZ).date()
        if workflow.patched("assessment-in-activity"):
            # The rules decide the commands that follow (warnings, a task): recorded as they ran.
            result: AssessHouseholdResult = await self._act(
                AssessmentActivities.assess_household,
                AssessHouseholdInput(
                    i.application_number, declared, self._department_results,
                    VisitFigures(visit.found_monthly_income_fen, visit.rigid_expenses_fen),
                    self._policy.standards, as_of,
                ),
            )  # fmt: skip
            bad_data, assessment = result.bad_data, result.assessment
        else:  # executions started before: assessed in the workflow, with the code of the day
            bad_data, assessment = None, None
            try:
                assessment = assess_household(
                    declared, self._department_results, visit, standards=self._policy.standards, as_of=as_of
                )
            except DepartmentBadData as exc:
                bad_data = str(exc)
        if bad_data is not None or assessment is None:
            await self._event("department_bad_data", f"部门数据无法用于核算：{bad_data}")
            return await self._open_task(
                TaskType.DATA_CHECK, i.township_code, note=f"部门数据异常，请人工核对：{bad_data}"
            )
        self._assessment = a = assessment
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
