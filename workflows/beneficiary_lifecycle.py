"""The life of one enrolled household (动态管理), for as long as it is assisted.

BeneficiaryWorkflow, id `beneficiary-<application number>`, started by the application workflow on
approval of a recurring type. It never pays: the monthly payroll pays whatever the beneficiaries
table says is payable, and this workflow keeps that table true over the years.

- Re-review (定期复核) on the class's rhythm (A 3, B 6, C 12 months, never less often than the county's
  floor): a task for the township's investigators; outcome continue / adjust / phase-out / exit.
- Change reports (家庭情况变化): a re-check task, due within 3 months after a member's death. An
  honest self-report earns the 诚信救助对象 mark.
- Exit (退出): the written notice (reasons, policy basis, employment/training referral) is issued one
  month ahead; the household is paid until the exit takes effect. Phase-out (渐退) pays up to 6
  more months first. Re-entry later is a new application through the green channel.
- Fraud (骗取): payment stops at once, the money paid since is to be recovered, credit file entry.
- History stays bounded: the workflow continues as new with its state when Temporal suggests it
  (or past `history_limit`), at the next wake-up by its own calendar.

Updates: claim_task, release_task, complete_task, report_change, report_fraud. Query: view.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.beneficiaries import BeneficiaryActivities
    from activities.case_records import CaseRecordActivities
    from activities.reference import ReferenceActivities
    from domain.amount_rules import AMOUNT_NOT_ALLOWED, AmountNotAllowed, check_ceiling, raise_needs_county
    from domain.amounts import format_yuan
    from domain.beneficiary import (
        CHANGE_KIND_LABELS,
        STATUS_LABELS,
        BeneficiaryEventInput,
        BeneficiaryStatus,
        ChangeKind,
        CreditRecordInput,
        EnrolInput,
        ExitNoticeInput,
        LifecycleInput,
        LifecycleState,
        LifecycleView,
        PendingConfirmation,
        PendingReport,
        ReportChangeInput,
        ReportFraudInput,
        StopForFraudInput,
        UpdateBeneficiaryInput,
        add_months,
        check_re_review,
        current_month,
        due_after_months,
        exit_effective_month,
        lifecycle_workflow_id,
        month_start,
    )
    from domain.calendar import CHINA_TZ
    from domain.enums import ASSISTANCE_TYPE_LABELS
    from domain.forms import AmountConfirmationForm, ExitNotice, ReReviewForm, ReReviewOutcome, recorded_form
    from domain.notices import SMS_PATCH, date_words, month_words
    from domain.policy import AssistancePolicy, RegionStandards
    from domain.records import NotifyInput, ResolvePolicyInput, SaveTaskInput
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
        recorded_completion,
        validate_completion,
    )
    from workflows.applicant_notices import ApplicantNotices
    from workflows.case_machinery import ACTIVITY_RETRY, ACTIVITY_TIMEOUT, open_task_or_reject, rejected

_ENDED = (BeneficiaryStatus.EXITED, BeneficiaryStatus.STOPPED)


@workflow.defn
class BeneficiaryWorkflow(ApplicantNotices):
    @workflow.init
    def __init__(self, input: LifecycleInput) -> None:
        self._e: EnrolInput = input.enrolment
        self._s: LifecycleState = input.state or LifecycleState(
            status=BeneficiaryStatus.PENDING_ENROLMENT, category=self._e.category,
            amount_fen=self._e.monthly_amount_fen, next_review_month=self._e.start_month,
        )  # fmt: skip
        self._tasks: dict[str, TaskRecord] = {t.task_id: t for t in self._s.open_tasks}
        self._fraud: ReportFraudInput | None = None
        self._standards = RegionStandards()
        self._policy: AssistancePolicy | None = None  # resolved at the start of every run

    # -- main loop -------------------------------------------------------------------------------
    @workflow.run
    async def run(self, input: LifecycleInput) -> str:
        policy: AssistancePolicy = await self._act(
            ReferenceActivities.resolve_policy,
            ResolvePolicyInput(self._e.assistance_type, self._e.county_code),
        )
        self._standards, self._policy = policy.standards, policy
        if input.state is None:
            await self._enrol()
        quiet = False
        while self._s.status not in _ENDED:
            if self._fraud is not None:
                await self._stop_for_fraud(self._fraud)
                break
            for report in self._take_reports():
                await self._open_recheck(report)
            for task in [t for t in self._tasks.values() if t.status is TaskStatus.COMPLETED]:
                del self._tasks[task.task_id]
                await self._apply_review(task)
            await self._on_calendar()
            if self._s.status in _ENDED:
                # A fraud report accepted while the calendar's work was under way (before the exit
                # took effect) is still a stop: recovery and the credit file do not lapse with
                # the exit, and the reporter's update is waiting for the stop.
                if self._fraud is not None and workflow.patched("lifecycle-fraud-at-exit"):
                    await self._stop_for_fraud(self._fraud)
                break
            if workflow.patched("lifecycle-task-escalation"):
                await self._escalate_tasks()
            info = workflow.info()
            long_history = info.get_current_history_length() > input.history_limit
            # Only after a timer's wake-up: not just after a staff action, whose caller is likely
            # to read the view right away (it would meet the run handing over to the next).
            if (
                (long_history or info.is_continue_as_new_suggested())
                and quiet
                and workflow.all_handlers_finished()
            ):
                self._s.open_tasks = list(self._tasks.values())
                # The next run keeps this run's history budget (the default would replace it).
                limit = (
                    input.history_limit
                    if workflow.patched("lifecycle-keep-history-limit")
                    else LifecycleInput.history_limit
                )
                workflow.continue_as_new(LifecycleInput(self._e, self._s, history_limit=limit))
            quiet = not await self._sleep_until_something()
        if workflow.patched("lifecycle-handlers-finish"):
            # An update still under way (a task completed as the exit took effect, the fraud
            # report's answer) must finish before the run closes, or its caller gets no answer.
            await workflow.wait_condition(workflow.all_handlers_finished)
        return self._s.status.value

    async def _enrol(self) -> None:
        e = self._e
        result = await self._act(BeneficiaryActivities.enrol, e)
        interval = self._standards.review_interval_months(self._s.category)
        self._s.status = BeneficiaryStatus.ACTIVE
        self._s.next_review_month = add_months(e.start_month, interval)
        await self._update(status=BeneficiaryStatus.ACTIVE, next_review_month=self._s.next_review_month)
        summary = f"纳入救助：{e.start_month}起每月{format_yuan(e.monthly_amount_fen)}" + (
            f"，{e.category}类，每{interval}个月复核一次" if e.category else f"，每{interval}个月复核一次"
        )
        if result.previous_application:
            summary += f"（曾于申请{result.previous_application}退出，经绿色通道重新纳入）"
        await self._event("enrolled", summary, previous_application=result.previous_application)

    def _take_reports(self) -> list[PendingReport]:
        reports, self._s.pending_reports = self._s.pending_reports, []
        return reports

    async def _on_calendar(self) -> None:
        """What the date itself brings: a re-review due, a notice to issue, an exit taking effect."""
        month = current_month(workflow.now())
        s = self._s
        if s.pending_from_month is not None and month >= s.pending_from_month:
            s.amount_fen = s.pending_amount_fen if s.pending_amount_fen is not None else s.amount_fen
            s.pending_amount_fen = s.pending_from_month = None
            await self._update(amount_fen=s.amount_fen)
        if s.exit_month is not None and month >= s.exit_month:
            s.status = BeneficiaryStatus.EXITED
            await self._update(status=s.status)
            await self._cancel_open_tasks("救助已终止")
            await self._event("exited", f"自{s.exit_month}起停止发放，救助终止")
            return
        if s.status is BeneficiaryStatus.PHASE_OUT and s.exit_month is None and s.phase_out_until is not None:
            notice_month = add_months(s.phase_out_until, 1 - self._standards.exit_notice_months)
            if month >= notice_month:
                await self._issue_exit_notice(s.phase_out_notice, effective=add_months(s.phase_out_until, 1))
        if s.status is not BeneficiaryStatus.EXITING and month >= s.next_review_month:
            if not any(t.task_type is TaskType.RE_REVIEW for t in self._tasks.values()):
                # Due by the end of the review month (00:00 of the next month's first day).
                review_month = s.next_review_month
                due = month_start(add_months(review_month, 1), hour=0)
                await self._open_task(TaskType.RE_REVIEW, due=due, note=f"{review_month}定期复核")
                if workflow.patched(SMS_PATCH):
                    last_day = (due - timedelta(microseconds=1)).astimezone(CHINA_TZ).date().isoformat()
                    await self._sms(
                        f"rereview:{review_month}", "rereview_appointment",
                        {"assistance": self._assistance(), "date": date_words(last_day)},
                    )  # fmt: skip
                s.next_review_month = add_months(
                    s.next_review_month, self._standards.review_interval_months(s.category)
                )
                await self._update(next_review_month=s.next_review_month)

    async def _sleep_until_something(self) -> bool:
        """Sleep until the calendar's next date or until something happens: True when woken by an
        update (a report, a completed task, fraud), False when the time came."""
        s = self._s
        wakes = [month_start(s.next_review_month)]
        if s.pending_from_month is not None:
            wakes.append(month_start(s.pending_from_month))
        if s.exit_month is not None:
            wakes.append(month_start(s.exit_month))
        if s.phase_out_until is not None and s.exit_month is None:
            wakes.append(month_start(add_months(s.phase_out_until, 1 - self._standards.exit_notice_months)))
        timeout: timedelta | None
        if workflow.patched("lifecycle-future-wakes"):
            # Escalations wake the run only where they are carried out (their own patch), and a
            # date already past (a review month while a review is still open, or while the exit
            # notice runs) is no reason to wake: nothing would change until a person acts, and an
            # hourly poll costs events for as long as they do not.
            if workflow.patched("lifecycle-task-escalation"):
                wakes.extend(when for _, when, _ in self._escalations_pending())
            future = [when for when in wakes if when > workflow.now()]
            timeout = min(future) - workflow.now() if future else None
        else:
            wakes.extend(when for _, when, _ in self._escalations_pending())
            timeout = min(wakes) - workflow.now()
            if timeout <= timedelta(0):
                timeout = timedelta(hours=1)  # already due (e.g. a review opened): look again later

        def woken() -> bool:
            return (
                self._fraud is not None
                or bool(s.pending_reports)
                or any(t.status is TaskStatus.COMPLETED for t in self._tasks.values())
            )

        try:
            await workflow.wait_condition(woken, timeout=timeout)
        except TimeoutError:
            return False
        return True

    def _escalations_pending(self) -> list[tuple[TaskRecord, datetime, bool]]:
        """(task, when, overdue?) of the next escalation step of every open task."""
        out: list[tuple[TaskRecord, datetime, bool]] = []
        for task in self._tasks.values():
            if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED) or task.due_at is None:
                continue
            if task.follow_up_at is not None and task.task_id not in self._s.reminded_tasks:
                out.append((task, task.follow_up_at, False))
            elif task.task_id not in self._s.overdue_tasks:
                out.append((task, task.due_at, True))
        return out

    async def _escalate_tasks(self) -> None:
        """A re-review or re-check a week from its due date reminds the township's investigators;
        one past it is reported to the county's supervisors. Each step happens once per task."""
        now, s, e = workflow.now(), self._s, self._e
        for task, when, overdue in self._escalations_pending():
            if now < when:
                continue
            assert task.due_at is not None
            label = TASK_LABELS[task.task_type]
            due_day = (task.due_at - timedelta(microseconds=1)).astimezone(CHINA_TZ).date().isoformat()
            if not overdue:
                s.reminded_tasks.append(task.task_id)
                message = f"救助对象{e.application_number}的{label}须于{due_day}前完成，请及时办理"
                await self._notify(
                    f"{task.task_id}:remind", "reminder", task.candidate_role, task.region_code, message
                )
                await self._event("reminder", f"时限提醒：{label}须于{due_day}前完成", task_id=task.task_id)
                if now < task.due_at:
                    continue
            s.overdue_tasks.append(task.task_id)
            message = f"救助对象{e.application_number}的{label}已超过办理期限（{due_day}），仍未完成"
            await self._notify(f"{task.task_id}:overdue", "breach", Role.SUPERVISOR, e.county_code, message)
            await self._event(
                "task_overdue",
                f"超期：{label}已于{due_day}届满仍未完成，已通报监督人员",
                task_id=task.task_id,
            )

    # -- outcomes --------------------------------------------------------------------------------
    async def _open_recheck(self, pending: PendingReport) -> None:
        report = pending.report
        months = self._standards.death_recheck_months if report.kind is ChangeKind.MEMBER_DEATH else 1
        # "Within 3 months" of the bureau learning of it: to the day, not to the end of a later month.
        due = due_after_months(pending.received_at, months)
        note = ("[主动申报] " if report.self_reported else "") + report.description
        task = await self._open_task(TaskType.CHANGE_RECHECK, due=due, note=note)
        if report.self_reported:
            self._s.self_reported_tasks.append(task.task_id)
        await self._event(
            "change_reported", f"收到家庭情况变化报告（{CHANGE_KIND_LABELS[report.kind]}）：{report.description}",
            pending.actor, task_id=task.task_id, self_reported=report.self_reported,
        )  # fmt: skip

    async def _apply_review(self, task: TaskRecord) -> None:
        if task.task_type is TaskType.AMOUNT_CONFIRMATION:
            await self._apply_confirmation(task)
            return
        outcome = ReReviewOutcome(task.outcome or "continue")
        form = recorded_form(ReReviewForm, task.form)
        s, actor = self._s, task.completed_by_actor
        self._s.reviews_done += 1
        if outcome is ReReviewOutcome.ADJUST:
            if self._raise_beyond_formula(form) and workflow.patched("re-review-raise-county"):
                await self._ask_county(task, form)
            else:
                await self._adjust(form.new_amount_fen, form.new_category, actor)
        elif outcome is ReReviewOutcome.PHASE_OUT:
            months = min(form.phase_out_months or 1, self._standards.phase_out_max_months)
            s.status, s.phase_out_until = (
                BeneficiaryStatus.PHASE_OUT,
                add_months(current_month(workflow.now()), months),
            )
            s.phase_out_notice = form.exit_notice
            await self._update(status=s.status, phase_out_until=s.phase_out_until)
            await self._event(
                "phase_out", f"进入渐退期：继续发放至{s.phase_out_until}，期满退出", actor,
                phase_out_until=s.phase_out_until,
            )  # fmt: skip
        elif outcome is ReReviewOutcome.EXIT:
            effective = exit_effective_month(
                workflow.now().astimezone(CHINA_TZ).date(), self._standards.exit_notice_months
            )
            await self._issue_exit_notice(form.exit_notice, effective=effective, actor=actor)
        else:
            await self._event("review_continued", "复核结论：维持救助", actor)
        if task.task_id in s.self_reported_tasks:
            s.self_reported_tasks.remove(task.task_id)
            await self._grant_integrity_mark(actor)

    async def _adjust(self, new_amount: int | None, new_category: str | None, actor: Actor | None) -> None:
        s = self._s
        next_month = add_months(current_month(workflow.now()), 1)
        # This month's payroll may not have run yet: it pays the old amount, the next month's
        # the new one (written to the table when that month begins, see _on_calendar).
        amount = new_amount if new_amount is not None else s.pending_amount_fen
        if amount is not None and amount != s.amount_fen:
            s.pending_amount_fen, s.pending_from_month = amount, next_month
        else:
            s.pending_amount_fen = s.pending_from_month = None
        s.category = new_category or s.category
        await self._update(category=s.category)
        shown = amount if amount is not None else s.amount_fen
        await self._event(
            "adjusted", f"复核调整：自{next_month}起每月{format_yuan(shown)}" + (f"，{s.category}类" if s.category else ""),
            actor, amount_fen=shown, category=s.category, from_month=next_month,
        )  # fmt: skip

    def _raise_beyond_formula(self, form: ReReviewForm) -> bool:
        if form.new_amount_fen is None or self._policy is None:
            return False
        return raise_needs_county(
            self._policy,
            self._e.household_size,
            self._s.amount_fen,
            form.new_amount_fen,
            form.monthly_income_fen,
        )

    async def _ask_county(self, review: TaskRecord, form: ReReviewForm) -> None:
        """A raise past the standard formula is not the investigator's to give: the adjustment waits
        for the county approver's confirmation (the household is paid the current amount meanwhile)."""
        assert form.new_amount_fen is not None
        e = self._e
        task = await self._open_task(
            TaskType.AMOUNT_CONFIRMATION, due=due_after_months(workflow.now(), 1),
            note=f"复核拟上调至每月{format_yuan(form.new_amount_fen)}，超出标准计算金额，须县级确认",
            role=Role.COUNTY_APPROVER, region=e.county_code,
        )  # fmt: skip
        self._s.confirmations.append(
            PendingConfirmation(
                task.task_id, form.new_amount_fen, form.new_category, review.completed_by_actor
            )
        )
        await self._event(
            "adjustment_referred", f"复核拟上调救助金额至每月{format_yuan(form.new_amount_fen)}，超出标准计算金额，报县级确认",
            review.completed_by_actor, amount_fen=form.new_amount_fen, task_id=task.task_id,
        )  # fmt: skip

    async def _apply_confirmation(self, task: TaskRecord) -> None:
        s = self._s
        pending = next((c for c in s.confirmations if c.task_id == task.task_id), None)
        s.confirmations = [c for c in s.confirmations if c.task_id != task.task_id]
        if pending is None:
            return
        if task.outcome != "approve":
            await self._event(
                "adjustment_refused", "县级未确认复核上调的救助金额，维持原金额。理由：" + task.form.get("reasons", ""),
                task.completed_by_actor,
            )  # fmt: skip
            return
        confirmed = recorded_form(AmountConfirmationForm, task.form).amount_fen
        amount = pending.amount_fen if confirmed is None else confirmed
        await self._adjust(amount, pending.category, task.completed_by_actor)

    async def _issue_exit_notice(
        self, notice: ExitNotice | None, effective: str, actor: Actor | None = None
    ) -> None:
        assert notice is not None  # the form validator demands it for phase-out and exit
        s = self._s
        s.status, s.exit_month = BeneficiaryStatus.EXITING, effective
        await self._update(status=s.status, exit_month=effective)
        now = workflow.now()
        await self._act(
            BeneficiaryActivities.issue_exit_notice,
            ExitNoticeInput(
                f"{self._e.application_number}:{effective}", self._e.application_number, self._e.county_code,
                now, effective, notice.reasons, notice.policy_basis, notice.referral,
            ),
        )  # fmt: skip
        await self._event(
            "exit_notice", f"送达退出告知书：自{effective}起停止发放。理由：{notice.reasons}；依据：{notice.policy_basis}；"
            f"转介：{notice.referral}", actor, effective_month=effective,
        )  # fmt: skip
        if workflow.patched(SMS_PATCH):
            await self._sms(
                f"exit:{effective}", "exit_notice",
                {"assistance": self._assistance(), "stop_month": month_words(effective), "reasons": notice.reasons},
            )  # fmt: skip

    async def _grant_integrity_mark(self, actor: Actor | None) -> None:
        if self._s.integrity_mark:
            return
        self._s.integrity_mark = True
        await self._update(integrity_mark=True)
        e = self._e
        await self._act(
            BeneficiaryActivities.record_credit,
            CreditRecordInput(
                f"{e.application_number}:integrity", e.application_number, e.county_code, "integrity",
                "主动如实申报家庭情况变化，认定为诚信救助对象", workflow.now(),
            ),
        )  # fmt: skip
        await self._event("integrity_mark", "主动如实申报家庭情况变化，认定为诚信救助对象", actor)

    async def _stop_for_fraud(self, fraud: ReportFraudInput) -> None:
        e, f = self._e, fraud.finding
        result = await self._act(
            BeneficiaryActivities.stop_for_fraud,
            StopForFraudInput(e.application_number, e.county_code, f.since_month, f.findings, fraud.actor.username, workflow.now()),
        )  # fmt: skip
        self._s.status = BeneficiaryStatus.STOPPED
        await self._cancel_open_tasks("已停发")
        await self._act(
            BeneficiaryActivities.record_credit,
            CreditRecordInput(
                f"{e.application_number}:fraud", e.application_number, e.county_code, "fraud",
                f"骗取救助：{f.findings}（依据：{f.policy_basis}）", workflow.now(),
            ),
        )  # fmt: skip
        await self._event(
            "stopped_for_fraud", f"查实骗取救助，立即停发；自{f.since_month}起已发放的{format_yuan(result.amount_due_fen)}"
            f"予以追回，记入信用档案。{f.findings}", fraud.actor, amount_due_fen=result.amount_due_fen,
        )  # fmt: skip
        if workflow.patched(SMS_PATCH):
            today = workflow.now().astimezone(CHINA_TZ).date().isoformat()
            await self._sms(
                "fraud-stop", "fraud_stop",
                {"assistance": self._assistance(), "reason": f.findings, "stop_date": date_words(today)},
            )  # fmt: skip

    # -- updates ---------------------------------------------------------------------------------
    @workflow.update
    async def claim_task(self, input: ClaimTaskInput) -> TaskRecord:
        task = self._tasks[input.task_id]
        task.status, task.assignee = TaskStatus.CLAIMED, input.actor.username
        await self._save_task(task)
        await self._event(
            "task_claimed", f"认领待办：{TASK_LABELS[task.task_type]}", input.actor, task_id=task.task_id
        )
        return task

    @claim_task.validator
    def _validate_claim(self, input: ClaimTaskInput) -> None:
        if open_task_or_reject(self._tasks, input.task_id, input.actor).status is TaskStatus.CLAIMED:
            raise rejected("TaskNotOpen", "您已认领该待办")

    @workflow.update
    async def release_task(self, input: ClaimTaskInput) -> TaskRecord:
        task = self._tasks[input.task_id]
        task.status, task.assignee = TaskStatus.OPEN, None
        await self._save_task(task)
        await self._event(
            "task_released", f"退回待办池：{TASK_LABELS[task.task_type]}", input.actor, task_id=task.task_id
        )
        return task

    @release_task.validator
    def _validate_release(self, input: ClaimTaskInput) -> None:
        if open_task_or_reject(self._tasks, input.task_id, input.actor).status is not TaskStatus.CLAIMED:
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
        await self._save_task(task)
        outcome = OUTCOME_LABELS.get(input.outcome, input.outcome)
        await self._event(
            "task_completed", f"办结待办：{TASK_LABELS[task.task_type]}，结果：{outcome}", input.actor,
            task_id=task.task_id, outcome=input.outcome,
        )  # fmt: skip
        return task

    @complete_task.validator
    def _validate_complete(self, input: CompleteTaskInput) -> None:
        task = open_task_or_reject(self._tasks, input.task_id, input.actor)
        try:
            form = validate_completion(task.task_type, input.outcome, input.form)
        except FormInvalid as exc:
            raise rejected("InvalidForm", str(exc), exc.errors) from None
        if self._policy is None:  # a task carried over continue-as-new, before the policy is back
            raise rejected("WrongStage", "救助对象信息正在加载，请稍后重试")
        amount: int | None = None
        if isinstance(form, ReReviewForm):
            try:
                check_re_review(ReReviewOutcome(input.outcome), form, self._standards.phase_out_max_months)
            except ValueError as exc:
                raise rejected("InvalidForm", str(exc)) from None
            amount = form.new_amount_fen if input.outcome == ReReviewOutcome.ADJUST.value else None
        elif isinstance(form, AmountConfirmationForm):
            amount = form.amount_fen
        if amount is not None:
            try:
                check_ceiling(self._policy, amount)
            except AmountNotAllowed as exc:
                raise rejected(AMOUNT_NOT_ALLOWED, str(exc)) from None

    @workflow.update
    async def report_change(self, input: ReportChangeInput) -> LifecycleView:
        self._s.pending_reports.append(PendingReport(input.report, input.actor, workflow.now()))
        return self.view()

    @report_change.validator
    def _validate_report(self, input: ReportChangeInput) -> None:
        self._check_actor(input.actor, (Role.INVESTIGATOR, Role.TOWNSHIP_REVIEWER, Role.INTAKE_CLERK))

    @workflow.update
    async def report_fraud(self, input: ReportFraudInput) -> LifecycleView:
        self._fraud = input
        await workflow.wait_condition(lambda: self._s.status is BeneficiaryStatus.STOPPED)
        return self.view()

    @report_fraud.validator
    def _validate_fraud(self, input: ReportFraudInput) -> None:
        self._check_actor(input.actor, (Role.COUNTY_APPROVER,))
        if self._fraud is not None:
            raise rejected("AlreadyStopped", "该救助对象已被停发")

    def _check_actor(self, actor: Actor, roles: tuple[Role, ...]) -> None:
        if self._s.status in _ENDED:
            raise rejected("BeneficiaryEnded", f"该救助对象{STATUS_LABELS[self._s.status]}，不能再办理")
        if actor.role not in roles:
            raise rejected("Forbidden", "您的角色不能办理此事项")
        if not covers(actor.region_code, self._e.community_code):
            raise rejected("Forbidden", "该救助对象不在您的管辖范围内")

    @workflow.query
    def view(self) -> LifecycleView:
        s = self._s
        open_tasks = [t for t in self._tasks.values() if t.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)]
        return LifecycleView(
            self._e.application_number, s.status, s.category, s.amount_fen, s.next_review_month,
            s.phase_out_until, s.exit_month, s.integrity_mark, s.reviews_done, open_tasks,
            s.pending_amount_fen, s.pending_from_month,
        )  # fmt: skip

    # -- plumbing --------------------------------------------------------------------------------
    def _notice_case(self) -> tuple[str, str]:
        return self._e.application_number, self._e.township_code

    def _assistance(self) -> str:
        return ASSISTANCE_TYPE_LABELS[self._e.assistance_type]

    async def _act(self, fn: Any, arg: Any) -> Any:
        return await workflow.execute_activity_method(
            fn, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )

    async def _notify(self, key: str, kind: str, role: Role, region: str, message: str) -> None:
        number = self._e.application_number
        await self._act(
            CaseRecordActivities.notify, NotifyInput(f"{number}:{key}", number, kind, role, region, message)
        )

    async def _update(self, **values: Any) -> None:
        await self._act(
            BeneficiaryActivities.update_beneficiary,
            UpdateBeneficiaryInput(self._e.application_number, **values),
        )

    async def _event(self, kind: str, summary: str, actor: Actor | None = None, **data: Any) -> None:
        self._s.event_seq += 1
        await self._act(
            BeneficiaryActivities.record_beneficiary_event,
            BeneficiaryEventInput(
                self._e.application_number, self._s.event_seq, workflow.now(), kind, summary, actor, data
            ),
        )

    async def _open_task(
        self, task_type: TaskType, due: datetime, note: str = "", role: Role = Role.INVESTIGATOR,
        region: str | None = None,
    ) -> TaskRecord:  # fmt: skip
        self._s.task_seq += 1
        task = TaskRecord(
            task_id=f"{self._e.application_number}-L{self._s.task_seq:02d}", task_type=task_type,
            stage="beneficiary", candidate_role=role, region_code=region or self._e.township_code,
            due_at=due, follow_up_at=due - timedelta(days=7), created_at=workflow.now(), note=note,
        )  # fmt: skip
        self._tasks[task.task_id] = task
        await self._save_task(task)
        await self._event(
            "task_opened", f"生成待办：{TASK_LABELS[task_type]}" + (f"（{note}）" if note else ""),
            task_id=task.task_id, due=due.astimezone(CHINA_TZ).date().isoformat(),
        )  # fmt: skip
        return task

    async def _save_task(self, task: TaskRecord) -> None:
        task.revision += 1  # this state's number: a late write of an older one cannot replace it
        e = self._e
        await self._act(
            CaseRecordActivities.save_task,
            SaveTaskInput(
                e.application_number, e.county_code, task, lifecycle_workflow_id(e.application_number)
            ),
        )

    async def _cancel_open_tasks(self, reason: str) -> None:
        for task in list(self._tasks.values()):
            if task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED):
                task.status, task.note = TaskStatus.CANCELLED, reason
                await self._save_task(task)
        self._tasks.clear()
