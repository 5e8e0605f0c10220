"""短信模板: the Chinese texts of every message we send to applicants, by template code.

A message is sent as a template code and its parameters (as real providers take them: the text
is registered with the provider in advance). `render` gives the text the family reads.

Personal data: a parameter may never hold a full ID number (18 characters, or the old 15) or a bank
account number (16–19 digits) — masked forms only (domain.masking). `check_params` refuses such a
value; the provider simulator and the notice activities both call it, so a slip in a caller fails
loudly instead of putting an ID number on a phone's lock screen.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

SIGNATURE = "【社会救助】"

# code → text. `{name}` are the parameters, all required, no others allowed.
TEMPLATES: dict[str, str] = {
    # Sign-in to the applicant portal, and an objector's phone on the public publicity page.
    "verification_code": "您的验证码为{code}，{minutes}分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。",
    "application_accepted": (
        "您的{assistance}申请已受理，申请编号{application_number}。用申请时登记的手机号登录“掌上办”可查询办理进度。"
    ),
    # 一次性告知: everything missing, in one message.
    "materials_missing": (
        "您的{assistance}申请（编号{application_number}）还需补充以下材料：{materials}。"
        "请一次补齐后交乡镇（街道）便民服务窗口，或请村（社区）工作人员帮办。"
    ),
    "stage_investigation": (
        "您的{assistance}申请（编号{application_number}）已进入入户调查，工作人员将与您联系上门核实，请保持电话畅通。"
    ),
    "stage_publicity": (
        "您的{assistance}申请（编号{application_number}）调查已完成，现在社区（村）张榜公示，公示至{until}。"
        "公示期间任何人可提出异议。"
    ),
    "stage_approval": (
        "您的{assistance}申请（编号{application_number}）已报审批机关审批，审批结果将以短信告知。"
    ),
    "approved": (
        "您的{assistance}申请（编号{application_number}）已审批通过，每月{amount}元，自{first_month}起发放。"
    ),
    "approved_once": "您的{assistance}申请（编号{application_number}）已审批通过，救助金额{amount}元。",
    "refused": (
        "您的{assistance}申请（编号{application_number}）经审核不予批准，理由：{reasons}。"
        "如有异议，可自收到本通知之日起60日内申请行政复议，或6个月内提起行政诉讼。"
    ),
    "payment_credited": "{month}{assistance}救助金{amount}元已发放至您尾号{account_tail}的账户，请注意查收。",
    "rereview_appointment": (
        "您家的{assistance}定期复核，工作人员将于{date}前上门核实家庭情况，请届时配合。"
    ),
    "exit_notice": (
        "经复核，您家的{assistance}拟于{stop_month}起停止发放，理由：{reasons}。"
        "如有异议，请于{stop_month}前向乡镇（街道）提出。"
    ),
    "fraud_stop": (
        "经核查，您家的{assistance}因{reason}自{stop_date}起停止发放，多领的救助金将依法追回。"
        "如有异议，可依法申请行政复议。"
    ),
}

# A run of 15 or more digits, spaces inside it ignored (an 18-character ID number ending in X
# still has 17): an ID number (15 or 18) or a bank card (16–19). Application numbers keep
# their hyphens ("440106-20261201-A1B2C3"), so no legitimate parameter has such a run.
_LONG_DIGITS = re.compile(r"\d{15,}")


class TemplateError(ValueError):
    """Unknown template, or parameters missing or not its own."""


class SensitiveParam(ValueError):
    """A parameter holds what looks like a full ID number or bank account."""


def placeholders(template: str) -> frozenset[str]:
    try:
        text = TEMPLATES[template]
    except KeyError:
        raise TemplateError(f"未知的短信模板：{template[:40]}") from None
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def check_params(template: str, params: Mapping[str, str]) -> None:
    """Raises TemplateError or SensitiveParam; the message names the parameter, never its value."""
    expected = placeholders(template)
    missing, extra = expected - params.keys(), params.keys() - expected
    if missing or extra:
        raise TemplateError(f"短信模板 {template} 的参数不符：缺少 {sorted(missing)}，多出 {sorted(extra)}")
    for name, value in params.items():
        if not isinstance(value, str):
            raise TemplateError(f"短信模板 {template} 的参数 {name} 应为文本")
        if contains_full_number(value):
            raise SensitiveParam(f"短信参数 {name} 含完整的身份证号或银行账号，只能使用脱敏形式")


def contains_full_number(value: str) -> bool:
    return _LONG_DIGITS.search(re.sub(r"[\s\u3000]", "", value)) is not None


def render(template: str, params: Mapping[str, str]) -> str:
    """The text the family reads, signature first."""
    check_params(template, params)
    return SIGNATURE + TEMPLATES[template].format(**params)
