"""The 受理登记 form as the browser sends it, and its translation to the API's ApplicationIn.

Only translation lives here — field names, yuan to fen, which optional section is sent — and the
way back: the model's field errors (pydantic locations such as `members.2.id_number`) to the
form's field names, so every message stands beside its own input. Every rule (ID checksum, incomes
not negative, the applicant among the members, the channel's sections) is ApplicationIn's, the
same model POST /api/v1/applications validates with.

The applicant is always the household's first member (relation 本人); the form lists the other
members in rows `members-<i>-<field>`. A row left entirely blank is not a member (a row added and
not used); a row partly filled is, and its empty fields are reported as missing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from domain.enums import Channel, Relation

RELATION_LABELS: dict[str, str] = {
    Relation.SPOUSE.value: "配偶",
    Relation.CHILD.value: "子女",
    Relation.PARENT.value: "父母",
    Relation.GRANDPARENT.value: "（外）祖父母",
    Relation.GRANDCHILD.value: "（外）孙子女",
    Relation.SIBLING.value: "兄弟姐妹",
    Relation.OTHER.value: "其他共同生活的家庭成员",
}
# The window files walk-ins, proxies and grid reports; online applications arrive by the portal.
CHANNEL_LABELS: dict[str, str] = {
    Channel.WALK_IN.value: "窗口受理（本人申请）",
    Channel.PROXY.value: "帮办代办（代理申请）",
    Channel.GRID_REPORT.value: "网格员主动发现上报",
}
MAX_ROWS = 30  # ApplicationIn: at most 30 members
_AMOUNT_HINT = "请填写金额（元），如 1200 或 1200.50"


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@dataclass
class MemberRow:
    name: str = ""
    id_number: str = ""
    relation: str = Relation.SPOUSE.value
    income: str = ""

    def blank(self) -> bool:
        return not (self.name or self.id_number or self.income)


@dataclass
class IntakeForm:
    application_number: str = ""
    assistance_type: str = ""
    channel: str = Channel.WALK_IN.value
    community_code: str = ""
    applicant_name: str = ""
    applicant_id_number: str = ""
    applicant_phone: str = ""
    applicant_income: str = ""
    members: list[MemberRow] = field(default_factory=lambda: [MemberRow()])
    reason: str = ""
    green_channel: bool = False
    materials: list[str] = field(default_factory=list)
    commitment_signed: bool = False
    proxy_name: str = ""
    proxy_relation: str = ""
    grid_code: str = ""
    grid_reporter: str = ""
    relative: bool = False
    relative_relation: str = ""
    relative_position: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> IntakeForm:
        indices = sorted(
            {
                int(key.split("-")[1])
                for key in form.keys()
                if key.startswith("members-") and key.count("-") == 2 and key.split("-")[1].isdigit()
            }
        )[:MAX_ROWS]
        rows = [
            MemberRow(
                name=_text(form, f"members-{i}-name", 64),
                id_number=_text(form, f"members-{i}-id_number", 64),
                relation=_text(form, f"members-{i}-relation", 16) or Relation.OTHER.value,
                income=_text(form, f"members-{i}-income", 32),
            )
            for i in indices
        ]
        return cls(
            application_number=_text(form, "application_number", 64),
            assistance_type=_text(form, "assistance_type", 32),
            channel=_text(form, "channel", 32) or Channel.WALK_IN.value,
            community_code=_text(form, "community_code", 32),
            applicant_name=_text(form, "applicant-name", 64),
            applicant_id_number=_text(form, "applicant-id_number", 64),
            applicant_phone=_text(form, "applicant-phone", 32),
            applicant_income=_text(form, "applicant-income", 32),
            members=rows,
            reason=_text(form, "reason"),
            green_channel=form.get("green_channel") == "1",
            materials=[m for m in form.getlist("materials") if isinstance(m, str)][:50],
            commitment_signed=form.get("commitment_signed") == "1",
            proxy_name=_text(form, "proxy-name", 64),
            proxy_relation=_text(form, "proxy-relation_or_org", 64),
            grid_code=_text(form, "grid-grid_code", 64),
            grid_reporter=_text(form, "grid-reporter", 64),
            relative=form.get("relative") == "1",
            relative_relation=_text(form, "relative-relation", 64),
            relative_position=_text(form, "relative-staff_position", 64),
        )

    def add_member(self) -> None:
        if len(self.members) < MAX_ROWS - 1:
            self.members.append(MemberRow())

    def remove_member(self, index: int) -> None:
        if 0 <= index < len(self.members):
            del self.members[index]

    def keep_materials_of(self, offered: tuple[str, ...]) -> None:
        """After a change of type: only the ticks the new type's checklist has."""
        self.materials = [m for m in self.materials if m in offered]


@dataclass(frozen=True)
class Payload:
    body: dict[str, Any]
    errors: dict[str, str]  # what could not even be put into the body (an amount that is not one)
    rows: list[int]  # model member k ≥ 1 ← form row rows[k - 1]


def to_fen(text: str) -> int | None:
    """元 as typed (full-width digits and a thousands comma accepted) → fen; None if not an amount."""
    value = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").removesuffix("元")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def _given(**values: str) -> dict[str, str]:
    """An empty input is a missing field (the model says 必填项缺失), not a malformed one."""
    return {k: v for k, v in values.items() if v}


def to_payload(form: IntakeForm, region: tuple[str, str] | None) -> Payload:
    """The body for ApplicationIn. `region` is (county, township) of the chosen village when it is
    one the clerk was offered; otherwise they are read off the code, and the service answers (a
    village outside the clerk's jurisdiction is refused there, not here)."""
    errors: dict[str, str] = {}
    code = form.community_code
    county, township = region if region else (code[:6], code[:9])

    def income(text: str, name: str) -> dict[str, Any]:
        if not text:
            return {}  # the model reports it missing
        fen = to_fen(text)
        if fen is None:
            errors[name] = _AMOUNT_HINT
            return {}
        return {"monthly_income_fen": fen}

    members: list[dict[str, Any]] = [
        {
            **_given(name=form.applicant_name, id_number=form.applicant_id_number),
            "relation": Relation.SELF.value,
            **income(form.applicant_income, "applicant-income"),
        }
    ]
    rows: list[int] = []
    for i, row in enumerate(form.members):
        if row.blank():
            continue
        rows.append(i)
        members.append(
            {
                **_given(name=row.name, id_number=row.id_number),
                "relation": row.relation,
                **income(row.income, f"members-{i}-income"),
            }
        )
    body: dict[str, Any] = {
        "application_number": form.application_number,
        "assistance_type": form.assistance_type,
        "channel": form.channel,
        "region": {"county_code": county, "township_code": township, "community_code": code},
        "applicant": _given(
            name=form.applicant_name, id_number=form.applicant_id_number, phone=form.applicant_phone
        ),
        "members": members,
        "green_channel": form.green_channel,
        "reason": form.reason,
        "materials": form.materials,
        "commitment_signed": form.commitment_signed,
    }
    # A section is sent only for its channel (a proxy typed, then the channel changed back to a
    # walk-in, is not filed); the model then requires it for that channel.
    if form.channel == Channel.PROXY.value and (form.proxy_name or form.proxy_relation):
        body["proxy"] = {"name": form.proxy_name, "relation_or_org": form.proxy_relation}
    if form.channel == Channel.GRID_REPORT.value and (form.grid_code or form.grid_reporter):
        body["grid_report"] = {"grid_code": form.grid_code, "reporter": form.grid_reporter}
    if form.relative:
        body["staff_relative"] = {
            "relation": form.relative_relation,
            "staff_position": form.relative_position,
        }
    return Payload(body, errors, rows)


_MEMBER_FIELDS = {"name": "name", "id_number": "id_number", "relation": "relation"}
_SECTIONS = {
    "applicant": "applicant",
    "proxy": "proxy",
    "grid_report": "grid",
    "staff_relative": "relative",
}
_SECTION_FIRST = {
    "proxy": "proxy-name",
    "grid_report": "grid-grid_code",
    "staff_relative": "relative-relation",
}


def _income_message(error: dict[str, str]) -> str:
    if error.get("type") == "greater_than_equal":
        return "月收入不能为负数"
    if error.get("type") == "less_than_equal":
        return "月收入不能超过1,000,000.00元"
    return error["message"]


def form_field(error: dict[str, str], rows: list[int]) -> tuple[str, str]:
    """(form field name, message) of one of the model's errors ({field, type, message})."""
    parts = error["field"].split(".")
    head = parts[0]
    message = error["message"]
    if head == "members" and len(parts) >= 2 and parts[1].isdigit():
        k = int(parts[1])
        leaf = parts[2] if len(parts) > 2 else "name"
        prefix = "applicant" if k == 0 else f"members-{rows[k - 1]}" if k - 1 < len(rows) else "members"
        if leaf == "monthly_income_fen":
            return f"{prefix}-income", _income_message(error)
        if prefix == "members":
            return "members", message
        return f"{prefix}-{_MEMBER_FIELDS.get(leaf, 'name')}", message
    if head == "members":
        return "members", message
    if head == "region":
        return "community_code", message
    if head in _SECTIONS:
        if len(parts) == 1:
            return _SECTION_FIRST.get(head, f"{_SECTIONS[head]}-name"), message
        return f"{_SECTIONS[head]}-{parts[1]}", message
    if head in ("assistance_type", "channel", "reason", "materials", "application_number", "green_channel"):
        return head, message
    # Model-level checks (duplicate ID numbers among the members, the applicant not among them).
    return "members", message


def form_errors(errors: list[dict[str, str]], rows: list[int]) -> dict[str, str]:
    """The first message per form field (the applicant's name and ID number are also member 0's:
    one message, beside the applicant's input)."""
    result: dict[str, str] = {}
    for error in errors:
        name, message = form_field(error, rows)
        result.setdefault(name, message)
    return result
