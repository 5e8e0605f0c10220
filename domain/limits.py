"""The time limits a case runs against (SPEC.md) and which task events satisfy them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.records import DeadlineInfo, DeadlineUnit
from domain.staff import Role
from domain.tasks import TaskType


class LimitName(StrEnum):
    WHOLE_PROCESS = "whole_process"
    VERIFICATION_START = "verification_start"
    DATA_CHECK_START = "data_check_start"
    APPROVAL = "approval"
    REFUSAL_NOTICE = "refusal_notice"
    EMERGENCY_APPROVAL = "emergency_approval"
    EMERGENCY_PAPERWORK = "emergency_paperwork"


LIMIT_LABELS: dict[LimitName, str] = {
    LimitName.WHOLE_PROCESS: "全流程办结时限",
    LimitName.VERIFICATION_START: "入户调查启动时限",
    LimitName.DATA_CHECK_START: "信息核对启动时限",
    LimitName.APPROVAL: "县级审批时限",
    LimitName.REFUSAL_NOTICE: "不予批准书面告知时限",
    LimitName.EMERGENCY_APPROVAL: "急难型先行救助24小时时限",
    LimitName.EMERGENCY_PAPERWORK: "急难型补办手续时限",
}

# Starting the work is what these limits ask for: claiming the task counts, and so does finishing it.
MET_ON_CLAIM: dict[TaskType, LimitName] = {
    TaskType.HOME_VISIT: LimitName.VERIFICATION_START,
    TaskType.DATA_CHECK: LimitName.DATA_CHECK_START,
}
MET_ON_COMPLETE: dict[TaskType, LimitName] = {
    **MET_ON_CLAIM,
    TaskType.COUNTY_APPROVAL: LimitName.APPROVAL,
    TaskType.REFUSAL_NOTICE: LimitName.REFUSAL_NOTICE,
    TaskType.EMERGENCY_PAPERWORK: LimitName.EMERGENCY_PAPERWORK,
}


@dataclass
class LimitState:
    """One running time limit. `version` changes when the deadline moves (an extension, a count
    made again once the holiday calendar is loaded); a limit started again for a new round (a
    county "return") continues its predecessor's numbering, so notice keys built from it never
    repeat. `start`, `amount` and `unit` say how the deadline is counted, to count it again."""

    name: LimitName
    info: DeadlineInfo
    notify_role: Role
    notify_region: str
    met: bool = False
    cancelled: bool = False
    reminded: bool = False
    breached: bool = False
    version: int = 0
    start: datetime | None = None
    amount: int = 0
    unit: DeadlineUnit | None = None

    @property
    def active(self) -> bool:
        return not (self.met or self.cancelled)
