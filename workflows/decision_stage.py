"""Decision stages of the application workflow: the approver's decision and what follows it
(hand-over or written refusal), and the 急难型 rescue with its payment order and paperwork."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.case_records import CaseRecordActivities
    from domain.amount_rules import (
        AMOUNT_NOT_ALLOWED,
        AmountNotAllowed,
        amounts_set,
        approval_total_fen,
        check_ceiling,
        decided_form,
        sets_amount,
        township_must_refer,
    )
    from domain.amounts import needs_county_decision
    from domain.beneficiary import EnrolInput, LifecycleInput, add_months, lifecycle_workflow_id
    from domain.calendar import CHINA_TZ
    from domain.enums import Stage
    from domain.forms import (
        ApprovalForm,
        EmergencyApprovalForm,
        recorded_form,
    )
    from domain.limits import LimitName
    from domain.notices import SENT, SMS_PATCH, month_words, yuan
    from domain.records import (
        DeadlineInfo,
        DeadlineUnit,
        HandOverInput,
        PaymentOrderInput,
        SpotCheckInput,
    )
    from domain.staff import Role
    from domain.tasks import (
        TaskRecord,
        TaskStatus,
        TaskType,
    )
    from workflows.beneficiary_lifecycle import BeneficiaryWorkflow
    from workflows.case_machinery import CaseMachinery, rejected


class DecisionStage(CaseMachinery):
    _spot_check: TaskRecord | None
    _decided: bool
    _accepted_at: Any
    # The township's approval of a grant it referred to the county (一事一议), in this round.
    _township_decision: TaskRecord | None = None

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
        task = await self._refer_to_county(task, limit.info)
        if self._spot_check is not None and self._spot_check.status is not TaskStatus.COMPLETED:
            await self._cancel_open_tasks("审批已作出，抽查不再需要")
        return task

    async def _refer_to_county(self, task: TaskRecord, due: DeadlineInfo) -> TaskRecord:
        """一事一议: a one-off grant above the township's limit that the township approved is
        decided by the county approver; nothing is paid on the township's word alone."""
        self._township_decision = None
        if task.outcome != "approve" or task.candidate_role is Role.COUNTY_APPROVER:
            return task
        form = recorded_form(ApprovalForm, task.form)
        amount = approval_total_fen(form, self._status.proposed_amount_fen)
        if not township_must_refer(self._policy, amount) or not workflow.patched("township-limit-county"):
            return task
        self._township_decision = task
        await self._event(
            "county_decision", f"乡镇拟批准{self._yuan(amount)}，超过乡镇审批权限，报县级一事一议",
            task.completed_by_actor, amount_fen=amount,
        )  # fmt: skip
        county = await self._open_task(
            TaskType.COUNTY_APPROVAL, self._input.county_code, due, role=Role.COUNTY_APPROVER
        )
        return await self._complete(county)

    def _check_amount(self, task: TaskRecord, outcome: str, form: Any) -> None:
        """Validator rule: no amount a person enters grants more than the case's policy allows
        anyone to. (The formula's own proposal is the policy: a big household is not refused.)"""
        if outcome != "approve":
            return
        if task.task_type is TaskType.EMERGENCY_APPROVAL:
            amounts = [form.amount_fen]
        elif task.task_type is TaskType.COUNTY_APPROVAL and sets_amount(form):
            total = approval_total_fen(form, self._status.proposed_amount_fen, self._policy.recurring)
            amounts = [total, *amounts_set(form)]
        else:
            return
        try:
            for amount in amounts:
                check_ceiling(self._policy, amount)
        except AmountNotAllowed as exc:
            raise rejected(AMOUNT_NOT_ALLOWED, str(exc)) from None

    async def _approve(self, decision: TaskRecord) -> None:
        i = self._input
        form = recorded_form(ApprovalForm, decision.form)
        if self._township_decision is not None:  # the county decided what the township referred
            form = decided_form(recorded_form(ApprovalForm, self._township_decision.form), form)
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
        if workflow.patched(SMS_PATCH):
            self._approval_sms(form, amount, start_month)
        if self._policy.recurring:
            await self._act(
                CaseRecordActivities.hand_over,
                HandOverInput(i.application_number, i.assistance_type, i.county_code, i.township_code,
                              i.community_code, category, amount, start_month),
            )  # fmt: skip
            # Cases approved before the lifecycle existed were handed over without one.
            if workflow.patched("enrol-beneficiary"):
                await self._start_lifecycle(category, amount, start_month)
        elif form.stages_fen:
            total = sum(form.stages_fen)
            self._status.approved_amount_fen = total
            for n, stage_amount in enumerate(form.stages_fen, start=1):
                await self._order_payment(
                    f"stage-{n}",
                    stage_amount,
                    form.form_of_aid,
                    add_months(start_month, n - 1),
                    form.in_kind_items,
                )
        elif amount:
            await self._order_payment(
                "one_off", amount, form.form_of_aid, workflow.now().astimezone(CHINA_TZ).strftime("%Y-%m"),
                form.in_kind_items,
            )  # fmt: skip

    def _approval_sms(self, form: ApprovalForm, amount: int, start_month: str) -> None:
        """审批通过: the monthly amount and the first month; a one-off grant, its total."""
        if self._policy.recurring:
            params = {**self._case_params(), "amount": yuan(amount), "first_month": month_words(start_month)}
            self._tell("approved", "approved", params)
            return
        total = sum(form.stages_fen) if form.stages_fen else amount
        self._tell("approved", "approved_once", {**self._case_params(), "amount": yuan(total)})

    async def _start_lifecycle(self, category: str | None, amount: int, start_month: str) -> None:
        i = self._input
        enrolment = EnrolInput(
            i.application_number, i.assistance_type, i.county_code, i.township_code, i.community_code,
            category, amount, start_month, i.green_channel, household_size=i.household_size,
        )  # fmt: skip
        await workflow.start_child_workflow(
            BeneficiaryWorkflow.run, LifecycleInput(enrolment), id=lifecycle_workflow_id(i.application_number),
            parent_close_policy=ParentClosePolicy.ABANDON,
        )  # fmt: skip
        await self._event("handed_over", f"已移交动态管理：{start_month}起按月发放")

    async def _reject(self, reasons: str) -> None:
        i = self._input
        await self._enter(Stage.REJECTED)
        await self._event("rejected", "不予批准。理由：" + reasons)
        limit = await self._start_limit(
            LimitName.REFUSAL_NOTICE, workflow.now(), self._policy.limits.refusal_notice_days,
            DeadlineUnit.WORKING_DAYS, Role.TOWNSHIP_REVIEWER, i.township_code,
        )  # fmt: skip
        task = await self._open_task(TaskType.REFUSAL_NOTICE, i.township_code, limit.info, note=reasons)
        if workflow.patched(SMS_PATCH):
            await self._refusal_notice(task, reasons)
        else:
            await self._complete(task)
        await self._event("notice_sent", "不予批准告知书已送达")

    async def _refusal_notice(self, task: TaskRecord, reasons: str) -> None:
        """The refusal's reasons go by SMS at once; its delivery report is an electronic delivery
        (电子送达) that completes the refusal-notice task within its limit. Until then — or when
        the SMS cannot be delivered — the township's staff deliver it in person or by post, as
        before: whichever comes first completes the task."""
        delivered: str | None = None

        async def electronic() -> None:
            nonlocal delivered
            sent = await self._sms("refused", "refused", {**self._case_params(), "reasons": reasons})
            if sent is not None and sent.outcome == SENT and await self._sms_delivered(sent.message_id):
                delivered = sent.message_id

        job = asyncio.create_task(electronic())
        await self._wait(lambda: task.status is TaskStatus.COMPLETED or delivered is not None)
        if task.status is not TaskStatus.COMPLETED and delivered is not None:
            now = workflow.now()
            task.status, task.outcome = TaskStatus.COMPLETED, "sent"
            task.form = {
                "sent_on": now.astimezone(CHINA_TZ).date().isoformat(),
                "notice_ref": f"短信{delivered}",
                "delivery": "electronic",
            }
            task.completed_by, task.completed_at = "system:sms", now
            self._meet_for_task(task, completed=True)
            await self._save_task(task)
            await self._event(
                "task_completed", "办结待办：送达不予批准告知书，结果：已送达（短信电子送达，回执确认）",
                outcome="sent", form=task.form, task_id=task.task_id,
            )  # fmt: skip
        if not job.done():
            job.cancel()  # delivered in person first: the delivery report no longer matters
        try:
            await job
        except asyncio.CancelledError:
            pass

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
        form = recorded_form(EmergencyApprovalForm, task.form)
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
            # The county may grant less (or, within the cap, more) than the township proposed.
            # (Patched: a case already past this point paid the township's amount.)
            decided = recorded_form(ApprovalForm, county.form).adjusted_amount_fen
            if decided is not None and workflow.patched("emergency-county-amount"):
                form = form.model_copy(update={"amount_fen": decided})
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
        if workflow.patched(SMS_PATCH):
            self._tell("approved", "approved_once", {**self._case_params(), "amount": yuan(form.amount_fen)})

    async def _order_payment(
        self, kind: str, amount: int, form_of_aid: str, month: str | None = None, items: str = ""
    ) -> None:
        i = self._input
        order = PaymentOrderInput(
            f"{i.application_number}:{kind}", i.application_number, "stage" if kind.startswith("stage") else kind,
            amount, form_of_aid, workflow.now(), month, i.county_code, i.township_code, i.assistance_type.value,
            items,
        )  # fmt: skip
        await self._act(CaseRecordActivities.create_payment_order, order)
        aid = "现金" if form_of_aid == "cash" else "实物"
        await self._event(
            "payment_ordered", f"已下达支付指令：{self._yuan(amount)}（{aid}）", order_key=order.order_key
        )


def _month_after(day: date) -> str:
    first_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_next.strftime("%Y-%m")
