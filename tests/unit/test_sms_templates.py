"""The SMS templates: Chinese texts, exact parameters, and never a full ID number or bank account."""

from __future__ import annotations

import pytest

from domain.masking import mask_account, mask_id_number
from domain.sms_templates import (
    TEMPLATES,
    SensitiveParam,
    TemplateError,
    check_params,
    placeholders,
    render,
)
from tests.factories import id_number

CARD = "6222020200112233445"  # 19 digits


def test_the_sign_in_code_reads_as_the_contract_says() -> None:
    text = render("verification_code", {"code": "042917", "minutes": "5"})
    assert text.startswith("【社会救助】") and "042917" in text and "5分钟内有效" in text


def test_approval_names_the_amount_and_the_first_month() -> None:
    text = render(
        "approved",
        {
            "assistance": "城乡低保",
            "application_number": "440106001001-20261201-A1B2C3",
            "amount": "1,050.00",
            "first_month": "2026年12月",
        },
    )
    assert (
        "每月1,050.00元" in text and "自2026年12月起发放" in text and "440106001001-20261201-A1B2C3" in text
    )


@pytest.mark.parametrize(
    "value",
    [
        id_number(seq=7),
        id_number(seq=7)[:17] + "X",
        "身份证 " + id_number(seq=8) + " 的家庭",
        CARD,
        "6222 0202 0011 2233 445",  # a card written in groups
        "440106199001011",  # a 15-digit (first-generation) ID number
    ],
)
def test_a_full_id_number_or_account_is_refused_in_any_parameter(value: str) -> None:
    with pytest.raises(SensitiveParam) as refused:
        check_params("fraud_stop", {"assistance": "城乡低保", "reason": value, "stop_date": "2026年12月1日"})
    assert value not in str(refused.value)  # the refusal itself does not repeat the number


def test_masked_forms_and_application_numbers_pass() -> None:
    check_params(
        "fraud_stop",
        {
            "assistance": "城乡低保",
            "reason": f"隐瞒收入（身份证 {mask_id_number(id_number(seq=9))}，账户 {mask_account(CARD)}）",
            "stop_date": "2026年12月1日",
        },
    )
    check_params(
        "application_accepted", {"assistance": "特困", "application_number": "440106001001-20261201-FF0011"}
    )


def test_unknown_template_and_wrong_parameters_are_refused() -> None:
    with pytest.raises(TemplateError):
        render("no_such_template", {})
    with pytest.raises(TemplateError, match="缺少"):
        render("verification_code", {"code": "123456"})
    with pytest.raises(TemplateError, match="多出"):
        render("verification_code", {"code": "123456", "minutes": "5", "name": "张三"})


def test_every_template_renders_in_chinese_with_the_signature() -> None:
    for code in TEMPLATES:
        text = render(code, {name: "一" for name in placeholders(code)})
        assert text.startswith("【社会救助】") and "{" not in text
