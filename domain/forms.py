"""The forms staff fill in to complete a task. Strict: unknown fields are errors, money is fen."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.amounts import SelfCareItem
from domain.messages import field_errors
from domain.recorded_forms import recorded_form

# recorded_form: a form accepted earlier, loaded without today's rules (the workflow side).
__all__ = ["field_errors", "recorded_form"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=4000)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Fen = Annotated[int, Field(ge=0, le=1_000_000_000)]
Category = Literal["A", "B", "C"]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MaterialsForm(_Form):
    materials: list[Ref] = Field(min_length=1, description="已收取的材料")
    notes: str = Field(default="", max_length=4000)


class ReasonForm(_Form):
    reasons: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=4000)] = Field(
        description="理由（书面，将写入档案）"
    )


class FourStepFindings(_Form):
    """四步法：看住房、查财产、问收支、访邻里."""

    housing: Text
    property: Text
    income_expenses: Text
    neighbours: Text


class HomeVisitForm(_Form):
    investigators: list[Ref] = Field(min_length=2, description="入户调查人员（至少2人）")
    visited_on: date
    findings: FourStepFindings
    found_monthly_income_fen: Fen = Field(description="核实的家庭月收入（分），含灵活就业等隐性收入")
    rigid_expenses_fen: Fen = Field(default=0, description="刚性支出（医疗、教育、康复，分/月）")
    signed_form_ref: Ref = Field(description="签字的入户调查表（档案编号）")
    photo_refs: list[Ref] = Field(default_factory=list)
    disputed: bool = Field(default=False, description="调查中发现争议或存疑")

    @model_validator(mode="after")
    def _two_people(self) -> HomeVisitForm:
        if len(set(self.investigators)) < 2:
            raise ValueError("入户调查须由至少2名不同的工作人员进行")
        return self


class DataCheckForm(_Form):
    report_ref: Ref = Field(description="核对报告编号")
    department_monthly_income_fen: Fen = Field(description="部门数据显示的家庭月收入（分）")
    findings: str = Field(default="", max_length=4000)


class AttendeeCapacity(StrEnum):
    COMMITTEE = "committee"  # 村（居）委会成员
    PARTY_MEMBER = "party_member"  # 党员代表
    RESIDENT = "resident"  # 居民代表
    OFFICIAL = "official"  # 乡镇（街道）工作人员


class Attendee(_Form):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    capacity: AttendeeCapacity


class DemocraticReviewForm(_Form):
    held_on: date
    attendees: list[Attendee] = Field(min_length=5, description="参会人员（至少5人）")
    votes_for: int = Field(ge=0)
    votes_against: int = Field(ge=0)
    abstentions: int = Field(ge=0, default=0)
    minutes: Text = Field(description="评议记录")
    recording_ref: Ref = Field(description="会议录音录像档案编号")

    @model_validator(mode="after")
    def _votes(self) -> DemocraticReviewForm:
        if self.votes_for + self.votes_against + self.abstentions > len(self.attendees):
            raise ValueError("票数合计不能超过参会人数")
        return self

    @property
    def passed(self) -> bool:
        return self.votes_for * 2 > self.votes_for + self.votes_against + self.abstentions


class OpinionForm(_Form):
    opinion: Text = Field(description="初审意见")
    category: Category | None = Field(default=None, description="低保分类管理类别 A/B/C")
    unable_items: list[SelfCareItem] = Field(default_factory=list, description="特困：不能自理的项目")
    severity: str | None = Field(default=None, max_length=200, description="临时救助：困难程度")
    disability_level: str | None = Field(default=None, max_length=200, description="残疾等级")
    eligible_for_living_subsidy: bool = True


class ReinvestigationForm(_Form):
    findings: Text
    objection_upheld: bool = Field(description="异议是否成立")
    found_monthly_income_fen: Fen | None = None


class SpotCheckForm(_Form):
    investigators: list[Ref] = Field(min_length=2)
    findings: Text
    consistent: bool = Field(description="抽查结果与乡镇调查一致")


class ApprovalForm(_Form):
    opinion: Text = Field(description="审批意见")
    category: Category | None = None
    adjusted_amount_fen: Fen | None = Field(default=None, description="调整后的月救助金额（分），须说明理由")
    adjustment_reason: str = Field(default="", max_length=4000)
    # 临时救助: paid once or in stages (one amount per month from the month after approval), in
    # cash or in kind.
    stages_fen: list[Annotated[int, Field(gt=0, le=1_000_000_000)]] = Field(
        default_factory=list, max_length=12, description="分次发放：每期金额（分），按月依次发放"
    )
    form_of_aid: Literal["cash", "in_kind"] = Field(default="cash", description="现金或实物")
    in_kind_items: str = Field(default="", max_length=2000, description="实物救助的物品清单")

    @model_validator(mode="after")
    def _reason(self) -> ApprovalForm:
        if self.adjusted_amount_fen is not None and len(self.adjustment_reason.strip()) < 4:
            raise ValueError("调整救助金额须写明理由")
        if len(self.stages_fen) == 1:
            raise ValueError("分次发放至少两期；一次发放请不填分期")
        if self.form_of_aid == "in_kind" and len(self.in_kind_items.strip()) < 2:
            raise ValueError("实物救助须列明物品")
        return self


class AmountConfirmationForm(_Form):
    """县级确认: the county approver confirms a re-review's raise beyond the standard formula, or
    sets the amount it confirms instead."""

    opinion: Text = Field(description="县级确认意见")
    amount_fen: Fen | None = Field(default=None, description="确认的月救助金额（分）；不填则按复核申请的金额")


class Delivery(StrEnum):
    IN_PERSON = "in_person"
    POST = "post"
    ELECTRONIC = "electronic"


class NoticeForm(_Form):
    sent_on: date
    notice_ref: Ref = Field(description="告知书文号")
    delivery: Delivery


class EmergencyApprovalForm(_Form):
    amount_fen: int = Field(gt=0, le=1_000_000_000)
    form_of_aid: Literal["cash", "in_kind"]
    in_kind_items: str = Field(default="", max_length=2000)
    severity: str = Field(max_length=200)
    opinion: Text


LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000)]


class ExitNotice(_Form):
    """退出告知书: reasons, the policy basis, and a referral to employment/training."""

    reasons: LongText = Field(description="退出理由")
    policy_basis: LongText = Field(description="政策依据")
    referral: LongText = Field(description="就业/培训转介（如：转介人社部门职业技能培训）")


class ReReviewOutcome(StrEnum):
    CONTINUE = "continue"  # 维持
    ADJUST = "adjust"  # 调整金额/类别
    PHASE_OUT = "phase_out"  # 渐退
    EXIT = "exit"  # 退出


class ReReviewForm(_Form):
    """复核 (scheduled re-review, a member's death, a change report): what the investigator found."""

    visited_on: date
    findings: LongText
    monthly_income_fen: Fen = Field(description="核实的家庭月收入（分）")
    new_amount_fen: Fen | None = Field(default=None, description="调整后的月救助金额（分）")
    new_category: Literal["A", "B", "C"] | None = None
    phase_out_months: int | None = Field(default=None, ge=1, le=12, description="渐退月数")
    exit_notice: ExitNotice | None = None
