"""The stages a case goes through (its 进度条), derived from its policy as the workflow runs it.

The standard path (workflows/application.py `_standard`): 受理 → 家庭经济状况核查 → 民主评议
(every case where the policy says "always"; only after a dispute where it says "on_dispute"; never
where "never") → 乡镇初审意见 → 公示 (where the policy publicises) → 审批 (the county, or the
township head where the policy names them) → 已批准. 急难型 (`_emergency`): 受理 → 先行救助 →
补办手续 → 已救助. The green channel walks the standard path with shorter limits. A case that ends
otherwise (不予批准, 撤回, 办结 without decision) ends on that step; the steps it never reached are
shown as passed over, not as done.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from domain.enums import STAGE_LABELS, Stage
from domain.policy import AssistancePolicy, ReviewMode
from domain.staff import Role

OPINION = "township_opinion"  # a step of its own, though the workflow stays in the stage before it
ENDINGS = (Stage.REJECTED, Stage.WITHDRAWN, Stage.CLOSED)


class StepState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"
    PASSED_OVER = "passed_over"  # the case ended (or moved on) without this step


STEP_STATE_LABELS: dict[StepState, str] = {
    StepState.DONE: "已完成",
    StepState.CURRENT: "当前",
    StepState.UPCOMING: "未开始",
    StepState.PASSED_OVER: "未经过",
}


@dataclass(frozen=True)
class StageStep:
    key: str  # a Stage value, or OPINION
    label: str
    state: StepState

    @property
    def state_label(self) -> str:
        return STEP_STATE_LABELS[self.state]


def _path(policy: AssistancePolicy, reviewed: bool) -> list[tuple[str, str]]:
    if policy.emergency:
        return [
            (Stage.INTAKE.value, "受理"),
            (Stage.RESCUE.value, "先行救助"),
            (Stage.PAPERWORK.value, "补办手续"),
            (Stage.APPROVED.value, "已救助"),
        ]
    steps = [(Stage.INTAKE.value, "受理"), (Stage.VERIFICATION.value, STAGE_LABELS[Stage.VERIFICATION])]
    mode = policy.democratic_review
    if mode is ReviewMode.ALWAYS or (mode is ReviewMode.ON_DISPUTE and reviewed):
        steps.append((Stage.DEMOCRATIC_REVIEW.value, "民主评议"))
    steps.append((OPINION, "乡镇初审意见"))
    if policy.publicity:
        steps.append((Stage.PUBLICITY.value, "公示"))
    approver = "县级审批" if policy.approver_role is Role.COUNTY_APPROVER else "乡镇（街道）审批"
    steps.append((Stage.APPROVAL.value, approver))
    steps.append((Stage.APPROVED.value, "已批准" if policy.recurring else "已救助"))
    return steps


def stage_path(
    policy: AssistancePolicy,
    stage: Stage,
    *,
    visited: Collection[str],
    opinion_open: bool = False,
) -> list[StageStep]:
    """The case's steps in order with their state.

    `visited`: the stages the case's timeline shows it in (and OPINION once an opinion was given);
    `opinion_open`: a township opinion task is open now (the case is at that step)."""
    reviewed = Stage.DEMOCRATIC_REVIEW.value in visited or stage is Stage.DEMOCRATIC_REVIEW
    steps = _path(policy, reviewed)
    keys = [k for k, _ in steps]
    if stage in ENDINGS:
        # The case ended here: its last step is the ending, what it never reached is passed over.
        steps[-1] = (stage.value, STAGE_LABELS[stage])
        keys[-1] = stage.value
    current = OPINION if opinion_open and OPINION in keys else stage.value
    at = keys.index(current) if current in keys else len(keys) - 1
    result: list[StageStep] = []
    for i, (key, label) in enumerate(steps):
        if i == at:
            state = StepState.CURRENT
        elif i < at:
            state = StepState.DONE if key in visited else StepState.PASSED_OVER
        else:
            state = StepState.UPCOMING
        result.append(StageStep(key, label, state))
    return result
