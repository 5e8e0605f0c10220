"""The 办理 pages' forms: how each outcome form of domain.tasks.OUTCOME_FORMS is laid out as HTML
fields, and how a submitted HTML form becomes the JSON-shaped dict the task service validates.

Nothing here decides whether a completion is valid: the dict goes to `TaskService.complete`, whose
validation (the same Pydantic models as the API and the workflow's validator) answers with field
errors. This module only translates what a browser can send into what the API would have received:
- money is typed in 元 and sent in 分 (the forms' unit), "1,234.5" → 123450;
- number fields are text inputs (a phone keyboard via `inputmode`), normalised with NFKC as the
  API's code-like fields are (api/schemas/codes.py), so full-width digits pasted from a Chinese
  input method count ("１２３" → 123) — a `type=number` input would silently drop them;
- empty inputs are left out (the model's default applies, or it reports the field as missing);
- repeated rows (investigators, attendees, one line per item) become lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from api.schemas.codes import ascii_code
from domain import forms
from domain.amounts import SELF_CARE_ITEM_LABELS
from domain.tasks import OUTCOME_FORMS, TaskType

# What the browser sends: name → every value submitted under it (starlette's FormData.multi_items).
Submitted = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Field:
    """One input of a form. `name` is the form model's field; a dotted name is a nested model's
    field (findings.housing). Kinds: text, textarea, date, yuan (元 → 分), int, check (a bool with a
    default), yesno (a bool that must be answered), select, multi (checkboxes → list), lines (one
    item per line → list), rows (a repeated text input → list; `count` inputs)."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    hint: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    count: int = 0
    default: str = ""


@dataclass(frozen=True)
class Group:
    """Fields shown together under a legend (the four steps of a home visit, the exit notice).
    `optional`: the nested model is sent only when one of its fields is filled in."""

    name: str
    legend: str
    fields: tuple[Field, ...]
    optional: bool = False


@dataclass(frozen=True)
class Attendees:
    """民主评议 attendees: `count` rows of name + capacity (rows left empty are dropped)."""

    name: str
    label: str
    count: int = 9
    capacities: tuple[tuple[str, str], ...] = ()


Item = Field | Group | Attendees


@dataclass(frozen=True)
class FormLayout:
    items: tuple[Item, ...]
    # An error of the whole model (a model validator: "two different investigators") is shown
    # beside this field rather than above the form.
    model_error_field: str | None = None

    def names(self) -> list[str]:
        return [i.name for i in self.items]


CATEGORY = (("A", "A类（重病重残、收入固定，每3个月复核）"), ("B", "B类（有劳动能力、就业不稳定，每6个月复核）"),
            ("C", "C类（无劳动能力、收入稳定，每12个月复核）"))  # fmt: skip
AID = (("cash", "现金"), ("in_kind", "实物"))
DELIVERY = (("in_person", "当面送达"), ("post", "邮寄送达"), ("electronic", "电子送达"))
CAPACITY = (
    ("committee", "村（居）委会成员"),
    ("party_member", "党员代表"),
    ("resident", "居民代表"),
    ("official", "乡镇（街道）工作人员"),
)
SELF_CARE = tuple((item.value, label) for item, label in SELF_CARE_ITEM_LABELS.items())

REASONS = FormLayout(
    (Field("reasons", "理由（书面，将写入档案）", "textarea", True, "至少4个字，写明事实和政策依据"),)
)
MATERIALS = FormLayout(
    (
        Field("materials", "已收取的材料", "lines", True, "每行一项，如：户口簿"),
        Field("notes", "备注", "textarea"),
    )
)
HOME_VISIT = FormLayout(
    (
        Field("investigators", "入户调查人员（至少2人）", "rows", True, "填写姓名或工号", count=3),
        Field("visited_on", "入户日期", "date", True),
        Group(
            "findings",
            "四步法调查情况",
            (
                Field("housing", "一看住房", "textarea", True),
                Field("property", "二查财产", "textarea", True),
                Field("income_expenses", "三问收支（含灵活就业等隐性收入）", "textarea", True),
                Field("neighbours", "四访邻里", "textarea", True),
            ),
        ),
        Field("found_monthly_income_fen", "核实的家庭月收入（元）", "yuan", True),
        Field("rigid_expenses_fen", "刚性支出（医疗、教育、康复，元/月）", "yuan"),
        Field("signed_form_ref", "签字的入户调查表（档案编号）", required=True),
        Field("photo_refs", "现场照片（档案编号，每行一个）", "lines"),
        Field("disputed", "调查中发现争议或存疑（需民主评议）", "check"),
    ),
    model_error_field="investigators",
)
DATA_CHECK = FormLayout(
    (
        Field("report_ref", "核对报告编号", required=True),
        Field("department_monthly_income_fen", "部门数据显示的家庭月收入（元）", "yuan", True),
        Field("findings", "核对情况", "textarea"),
    )
)
DEMOCRATIC_REVIEW = FormLayout(
    (
        Field("held_on", "评议日期", "date", True),
        Attendees("attendees", "参会人员（至少5人）", capacities=CAPACITY),
        Field("votes_for", "赞成票", "int", True),
        Field("votes_against", "反对票", "int", True),
        Field("abstentions", "弃权票", "int", default="0"),
        Field("minutes", "评议记录", "textarea", True),
        Field("recording_ref", "会议录音录像档案编号", required=True),
    ),
    model_error_field="votes_for",
)
OPINION = FormLayout(
    (
        Field("opinion", "初审意见", "textarea", True),
        Field("category", "低保分类管理类别", "select", choices=CATEGORY, hint="低保案件填写"),
        Field("unable_items", "特困：不能自理的项目", "multi", choices=SELF_CARE),
        Field("severity", "临时救助：困难程度"),
        Field("disability_level", "残疾等级（两项补贴）"),
        Field("eligible_for_living_subsidy", "符合困难残疾人生活补贴条件", "check", default="on"),
    )
)
REINVESTIGATION = FormLayout(
    (
        Field("findings", "复核调查情况", "textarea", True),
        Field("objection_upheld", "异议是否成立", "yesno", True),
        Field("found_monthly_income_fen", "复核认定的家庭月收入（元）", "yuan", hint="收入有变化时填写"),
    )
)
SPOT_CHECK = FormLayout(
    (
        Field("investigators", "抽查人员（至少2人）", "rows", True, count=3),
        Field("findings", "抽查情况", "textarea", True),
        Field("consistent", "抽查结果与乡镇调查一致", "yesno", True),
    )
)
APPROVAL = FormLayout(
    (
        Field("opinion", "审批意见", "textarea", True),
        Field("category", "分类管理类别", "select", choices=CATEGORY, hint="不填则按乡镇初审意见"),
        Field("adjusted_amount_fen", "调整后的月救助金额（元）", "yuan", hint="不填则按拟救助金额"),
        Field("adjustment_reason", "调整金额的理由", "textarea"),
        Field("stages_fen", "临时救助分次发放：每期金额（元，每行一期）", "lines", hint="一次发放请不填"),
        Field("form_of_aid", "救助方式", "select", choices=AID, default="cash"),
        Field("in_kind_items", "实物救助的物品清单", "textarea"),
    ),
    model_error_field="adjustment_reason",
)
AMOUNT_CONFIRMATION = FormLayout(
    (
        Field("opinion", "县级确认意见", "textarea", True),
        Field("amount_fen", "确认的月救助金额（元）", "yuan", hint="不填则按复核申请的金额"),
    )
)
NOTICE = FormLayout(
    (
        Field("sent_on", "送达日期", "date", True),
        Field("notice_ref", "告知书文号", required=True),
        Field("delivery", "送达方式", "select", True, choices=DELIVERY),
    )
)
EMERGENCY_APPROVAL = FormLayout(
    (
        Field("amount_fen", "先行救助金额（元）", "yuan", True),
        Field("form_of_aid", "救助方式", "select", True, choices=AID),
        Field("in_kind_items", "实物救助的物品清单", "textarea"),
        Field("severity", "困难程度", required=True),
        Field("opinion", "审批意见", "textarea", True),
    )
)
RE_REVIEW = FormLayout(
    (
        Field("visited_on", "复核入户日期", "date", True),
        Field("findings", "复核情况", "textarea", True),
        Field("monthly_income_fen", "核实的家庭月收入（元）", "yuan", True),
        Field("new_amount_fen", "调整后的月救助金额（元）", "yuan", hint="调整时填写"),
        Field("new_category", "调整后的类别", "select", choices=CATEGORY),
        Field("phase_out_months", "渐退月数（1–12）", "int", hint="渐退时填写"),
        Group(
            "exit_notice",
            "退出告知书（退出时填写，提前1个月书面告知）",
            (
                Field("reasons", "退出理由", "textarea"),
                Field("policy_basis", "政策依据", "textarea"),
                Field("referral", "就业/培训转介", "textarea"),
            ),
            optional=True,
        ),
    )
)

LAYOUTS: dict[type[BaseModel], FormLayout] = {
    forms.ReasonForm: REASONS,
    forms.MaterialsForm: MATERIALS,
    forms.HomeVisitForm: HOME_VISIT,
    forms.DataCheckForm: DATA_CHECK,
    forms.DemocraticReviewForm: DEMOCRATIC_REVIEW,
    forms.OpinionForm: OPINION,
    forms.ReinvestigationForm: REINVESTIGATION,
    forms.SpotCheckForm: SPOT_CHECK,
    forms.ApprovalForm: APPROVAL,
    forms.AmountConfirmationForm: AMOUNT_CONFIRMATION,
    forms.NoticeForm: NOTICE,
    forms.EmergencyApprovalForm: EMERGENCY_APPROVAL,
    forms.ReReviewForm: RE_REVIEW,
}

# Decisions that cannot be taken back: the form asks "我已核对，确认提交" (and app.js once more).
IRREVERSIBLE = frozenset({"approve", "reject", "exit", "abandoned"})
# Outcomes whose form is shown first (open) on the page.
PRIMARY = ("completed", "approve", "recommend_approve", "supplied", "sent", "continue")


@dataclass(frozen=True)
class Outcome:
    value: str
    layout: FormLayout
    confirm: bool


def outcomes_of(task_type: TaskType) -> list[Outcome]:
    allowed = OUTCOME_FORMS[task_type]
    ordered = sorted(allowed, key=lambda o: PRIMARY.index(o) if o in PRIMARY else len(PRIMARY))
    return [Outcome(o, LAYOUTS[allowed[o]], o in IRREVERSIBLE) for o in ordered]


# -- from the browser's form to the service's dict ------------------------------------------------
class Unreadable(ValueError):
    """A value the page cannot turn into what the form wants (not a number, 3 decimals of 元)."""


def _number(raw: str) -> str:
    try:
        text = ascii_code(raw)
    except ValueError as exc:
        raise Unreadable(str(exc)) from None
    return str(text).replace(",", "").replace(" ", "")


def yuan_to_fen(raw: str) -> int:
    text = _number(raw)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Unreadable("请填写金额（元），如 1234.50") from None
    fen = amount * 100
    if not amount.is_finite() or fen != fen.to_integral_value():
        raise Unreadable("金额最多精确到分（小数点后两位）")
    return int(fen)


def _int(raw: str) -> int | str:
    text = _number(raw)
    # Not a whole number: passed on as typed, the form's own check answers ("应为整数").
    return int(text) if text.lstrip("-").isdigit() else text


@dataclass
class Parsed:
    form: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # conversion problems, by field name


def _values(submitted: Submitted, name: str) -> list[str]:
    return [v.strip() for v in submitted.get(name, ()) if v.strip()]


def _one(submitted: Submitted, name: str) -> str:
    values = _values(submitted, name)
    return values[0] if values else ""


def _field_value(f: Field, prefix: str, submitted: Submitted, parsed: Parsed) -> tuple[bool, Any]:
    """(present, value) of one field; a conversion problem is noted and the field left out."""
    key = prefix + f.name
    if f.kind == "check":
        return True, bool(_values(submitted, key))
    if f.kind in ("multi", "rows"):
        values = _values(submitted, key)
        return bool(values) or f.required, values
    if f.kind == "lines":
        lines = [line.strip() for line in _one_raw(submitted, key).splitlines() if line.strip()]
        if key.endswith("_fen"):  # amounts per line, in 元
            try:
                return True, [yuan_to_fen(line) for line in lines]
            except Unreadable as exc:
                parsed.errors[key] = str(exc)
                return False, None
        return bool(lines) or f.required, lines
    raw = _one(submitted, key)
    if not raw:
        return False, None
    try:
        if f.kind == "yuan":
            return True, yuan_to_fen(raw)
        if f.kind == "int":
            return True, _int(raw)
        if f.kind == "date":
            return True, _number(raw)  # ２０２６-１１-０３ from an input method, too
    except Unreadable as exc:
        parsed.errors[key] = str(exc)
        return False, None
    if f.kind == "yesno":
        return True, raw == "yes"
    return True, raw


def _one_raw(submitted: Submitted, name: str) -> str:
    values = submitted.get(name, ())
    return values[0] if values else ""


def parse_form(layout: FormLayout, submitted: Submitted) -> Parsed:
    parsed = Parsed()
    for item in layout.items:
        if isinstance(item, Field):
            present, value = _field_value(item, "", submitted, parsed)
            if present:
                parsed.form[item.name] = value
        elif isinstance(item, Group):
            nested: dict[str, Any] = {}
            for f in item.fields:
                present, value = _field_value(f, item.name + ".", submitted, parsed)
                if present and value not in ("", None):
                    nested[f.name] = value
            if nested or not item.optional:
                parsed.form[item.name] = nested
        else:
            rows = []
            for n in range(item.count):
                name = _one(submitted, f"{item.name}.{n}.name")
                capacity = _one(submitted, f"{item.name}.{n}.capacity")
                if name:  # a capacity picked for an empty row is not an attendee
                    rows.append({"name": name, "capacity": capacity})
            parsed.form[item.name] = rows
    return parsed


def errors_by_field(layout: FormLayout, errors: list[dict[str, str]]) -> tuple[dict[str, str], list[str]]:
    """The service's field errors keyed by the page's input names, and those with no input of
    their own (shown above the form). A list item's error (attendees.3.name) is shown beside it;
    a model-level error beside the field the layout names."""
    known = set(_input_names(layout))
    by_field: dict[str, str] = {}
    general: list[str] = []
    for e in errors:
        name = e.get("field", "")
        if name in ("body", "form", "") and layout.model_error_field:
            name = layout.model_error_field
        base = _list_base(name, known)
        if base is not None:
            by_field.setdefault(base, e["message"])
        else:
            general.append(e["message"])
    return by_field, general


def _list_base(name: str, known: set[str]) -> str | None:
    if name in known:
        return name
    parts = name.split(".")
    # investigators.1 → investigators; attendees.3.name stays (its own input)
    for cut in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:cut])
        if candidate in known:
            return candidate
    return None


def _input_names(layout: FormLayout) -> list[str]:
    names: list[str] = []
    for item in layout.items:
        if isinstance(item, Field):
            names.append(item.name)
        elif isinstance(item, Group):
            names += [f"{item.name}.{f.name}" for f in item.fields]
        else:
            names.append(item.name)
            for n in range(item.count):
                names += [f"{item.name}.{n}.name", f"{item.name}.{n}.capacity", f"{item.name}.{n}"]
    return names
