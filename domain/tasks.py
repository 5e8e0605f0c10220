"""Human tasks: their types, who may do them, their outcomes and the form each outcome needs.

The same form models validate at the API edge (422 with field errors) and in the workflow's update
validator, so a malformed completion can never reach the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from domain import forms
from domain.recorded_forms import recorded_form
from domain.staff import Actor, Role


class TaskType(StrEnum):
    SUPPLEMENT_MATERIALS = "supplement_materials"  # 补齐材料（一次性告知后）
    HOME_VISIT = "home_visit"  # 入户调查
    DATA_CHECK = "data_check"  # 信息核对
    DEMOCRATIC_REVIEW = "democratic_review"  # 民主评议
    TOWNSHIP_OPINION = "township_opinion"  # 乡镇初审意见
    REINVESTIGATION = "reinvestigation"  # 公示异议复核调查
    SPOT_CHECK = "spot_check"  # 县级抽查（特困 ≥30 %）
    COUNTY_APPROVAL = "county_approval"  # 审核确认/审批
    REFUSAL_NOTICE = "refusal_notice"  # 不予批准书面告知
    EMERGENCY_APPROVAL = "emergency_approval"  # 急难型先行救助审批（24小时）
    EMERGENCY_PAPERWORK = "emergency_paperwork"  # 急难型补办手续（5个工作日）
    RE_REVIEW = "re_review"  # 定期复核（A/B/C类 3/6/12个月）
    CHANGE_RECHECK = "change_recheck"  # 情况变化复核（成员死亡3个月内）
    AMOUNT_CONFIRMATION = "amount_confirmation"  # 复核上调金额超出标准：县级确认


TASK_LABELS: dict[TaskType, str] = {
    TaskType.SUPPLEMENT_MATERIALS: "补齐申请材料",
    TaskType.HOME_VISIT: "入户调查",
    TaskType.DATA_CHECK: "家庭经济状况信息核对",
    TaskType.DEMOCRATIC_REVIEW: "民主评议",
    TaskType.TOWNSHIP_OPINION: "乡镇初审意见",
    TaskType.REINVESTIGATION: "公示异议复核调查",
    TaskType.SPOT_CHECK: "县级抽查入户",
    TaskType.COUNTY_APPROVAL: "县级审批",
    TaskType.REFUSAL_NOTICE: "送达不予批准告知书",
    TaskType.EMERGENCY_APPROVAL: "急难型临时救助先行审批",
    TaskType.EMERGENCY_PAPERWORK: "急难型临时救助补办手续",
    TaskType.RE_REVIEW: "定期复核",
    TaskType.CHANGE_RECHECK: "家庭情况变化复核",
    TaskType.AMOUNT_CONFIRMATION: "县级确认复核调整金额",
}

TASK_ROLES: dict[TaskType, Role] = {
    TaskType.SUPPLEMENT_MATERIALS: Role.INTAKE_CLERK,
    TaskType.HOME_VISIT: Role.INVESTIGATOR,
    TaskType.DATA_CHECK: Role.INVESTIGATOR,
    TaskType.DEMOCRATIC_REVIEW: Role.TOWNSHIP_REVIEWER,
    TaskType.TOWNSHIP_OPINION: Role.TOWNSHIP_REVIEWER,
    TaskType.REINVESTIGATION: Role.INVESTIGATOR,
    TaskType.SPOT_CHECK: Role.INVESTIGATOR,
    TaskType.COUNTY_APPROVAL: Role.COUNTY_APPROVER,
    TaskType.REFUSAL_NOTICE: Role.TOWNSHIP_REVIEWER,
    TaskType.EMERGENCY_APPROVAL: Role.TOWNSHIP_HEAD,
    TaskType.EMERGENCY_PAPERWORK: Role.INTAKE_CLERK,
    TaskType.RE_REVIEW: Role.INVESTIGATOR,
    TaskType.CHANGE_RECHECK: Role.INVESTIGATOR,
    TaskType.AMOUNT_CONFIRMATION: Role.COUNTY_APPROVER,
}

# (task type, outcome) → the form that outcome requires.
OUTCOME_FORMS: dict[TaskType, dict[str, type[BaseModel]]] = {
    TaskType.SUPPLEMENT_MATERIALS: {"supplied": forms.MaterialsForm, "abandoned": forms.ReasonForm},
    TaskType.HOME_VISIT: {"completed": forms.HomeVisitForm},
    TaskType.DATA_CHECK: {"completed": forms.DataCheckForm},
    TaskType.DEMOCRATIC_REVIEW: {"completed": forms.DemocraticReviewForm},
    TaskType.TOWNSHIP_OPINION: {"recommend_approve": forms.OpinionForm, "recommend_reject": forms.ReasonForm},
    TaskType.REINVESTIGATION: {"completed": forms.ReinvestigationForm},
    TaskType.SPOT_CHECK: {"completed": forms.SpotCheckForm},
    TaskType.COUNTY_APPROVAL: {
        "approve": forms.ApprovalForm,
        "reject": forms.ReasonForm,
        "return": forms.ReasonForm,
    },
    TaskType.REFUSAL_NOTICE: {"sent": forms.NoticeForm},
    TaskType.EMERGENCY_APPROVAL: {"approve": forms.EmergencyApprovalForm, "reject": forms.ReasonForm},
    TaskType.EMERGENCY_PAPERWORK: {"completed": forms.MaterialsForm},
    TaskType.RE_REVIEW: {o.value: forms.ReReviewForm for o in forms.ReReviewOutcome},
    TaskType.CHANGE_RECHECK: {o.value: forms.ReReviewForm for o in forms.ReReviewOutcome},
    TaskType.AMOUNT_CONFIRMATION: {"approve": forms.AmountConfirmationForm, "reject": forms.ReasonForm},
}

OUTCOME_LABELS: dict[str, str] = {
    "supplied": "已补齐",
    "abandoned": "放弃申请",
    "completed": "已完成",
    "recommend_approve": "建议批准",
    "recommend_reject": "建议不予批准",
    "approve": "批准",
    "reject": "不予批准",
    "return": "退回补充调查",
    "sent": "已送达",
    "continue": "维持救助",
    "adjust": "调整救助金额或类别",
    "phase_out": "渐退",
    "exit": "退出",
}


class TaskStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class FormInvalid(ValueError):
    """A completion whose outcome or form does not fit the task; carries field-level errors."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


def validate_completion(task_type: TaskType, outcome: str, form: dict[str, Any]) -> BaseModel:
    allowed = OUTCOME_FORMS[task_type]
    if outcome not in allowed:
        names = "、".join(f"{o}（{OUTCOME_LABELS.get(o, o)}）" for o in allowed)
        raise FormInvalid(
            f"“{TASK_LABELS[task_type]}”的办理结果只能是：{names}",
            [{"field": "outcome", "type": "invalid_outcome", "message": f"可选：{names}"}],
        )
    try:
        return allowed[outcome].model_validate(form)
    except ValidationError as exc:
        raise FormInvalid("表单填写有误", forms.field_errors(exc)) from None


def recorded_completion(task_type: TaskType, outcome: str, form: dict[str, Any]) -> dict[str, Any]:
    """The form of a completion the validator accepted, as the task stores it — for the update
    handler, which runs again on every replay with today's code: no rule is checked again (see
    domain.recorded_forms). An outcome today's code no longer knows keeps its form as recorded."""
    model = OUTCOME_FORMS[task_type].get(outcome)
    if model is None:
        return dict(form)
    return recorded_form(model, form).model_dump(mode="json")


@dataclass
class TaskRecord:
    """A task as the workflow knows it; the database row is its projection for the inbox."""

    task_id: str
    task_type: TaskType
    stage: str
    candidate_role: Role
    region_code: str  # jurisdiction: who may see and do it
    due_at: datetime | None
    follow_up_at: datetime | None
    status: TaskStatus = TaskStatus.OPEN
    assignee: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    completed_by_actor: Actor | None = None
    outcome: str | None = None
    form: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    # Numbered by the owning workflow on every save, in the order its states happened: the inbox
    # row keeps the newest, whatever order the writes land in (0: a save from before revisions).
    revision: int = 0


@dataclass
class ClaimTaskInput:
    task_id: str
    actor: Actor


@dataclass
class CompleteTaskInput:
    task_id: str
    actor: Actor
    outcome: str
    form: dict[str, Any] = field(default_factory=dict)
