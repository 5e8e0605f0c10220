"""The intake page's form translation: yuan as typed to fen, and the model's error locations back to
the form's field names (each message beside its own input)."""

from __future__ import annotations

from web.intake_form import IntakeForm, MemberRow, form_errors, to_fen, to_payload


def test_amounts_in_yuan_as_clerks_type_them() -> None:
    assert to_fen("1200") == 120_000
    assert to_fen("１，２００．５０".replace("，", ",")) == 120_050
    assert to_fen("１２００") == 120_000  # full-width digits pasted from an input method
    assert to_fen("1,200.5元") == 120_050
    assert to_fen("-100") == -10_000  # the model refuses it, beside the field
    assert to_fen("12.345") is None and to_fen("一千") is None and to_fen("nan") is None


def test_blank_rows_are_not_members_and_errors_find_their_rows() -> None:
    form = IntakeForm(
        application_number="440105001-20261201-ABCDEF",
        assistance_type="dibao",
        community_code="440105001001",
        applicant_name="张小明",
        applicant_income="0",
        members=[MemberRow(), MemberRow(name="李秀英", income="-1")],
    )
    payload = to_payload(form, ("440105", "440105001"))
    assert [m.get("name") for m in payload.body["members"]] == ["张小明", "李秀英"]
    assert payload.rows == [1]  # model member 1 is the form's second row
    errors = form_errors(
        [
            {"field": "members.1.monthly_income_fen", "type": "greater_than_equal", "message": "不能小于0"},
            {"field": "members.1.id_number", "type": "missing", "message": "必填项缺失"},
            {"field": "applicant.id_number", "type": "value_error", "message": "身份证号码校验位错误"},
            {"field": "members.0.id_number", "type": "value_error", "message": "身份证号码校验位错误"},
            {"field": "region", "type": "value_error", "message": "村（社区）不属于所填乡镇（街道）"},
            {"field": "proxy", "type": "value_error", "message": "帮办代办须填写代办人姓名及与申请人关系"},
            {"field": "body", "type": "value_error", "message": "家庭成员身份证号码重复"},
        ],
        payload.rows,
    )
    assert errors == {
        "members-1-income": "月收入不能为负数",
        "members-1-id_number": "必填项缺失",
        "applicant-id_number": "身份证号码校验位错误",
        "community_code": "村（社区）不属于所填乡镇（街道）",
        "proxy-name": "帮办代办须填写代办人姓名及与申请人关系",
        "members": "家庭成员身份证号码重复",
    }


def test_a_section_is_filed_only_for_its_channel() -> None:
    form = IntakeForm(channel="walk_in", proxy_name="王大妈", proxy_relation="邻居")
    assert "proxy" not in to_payload(form, None).body
    form.channel = "proxy"
    assert to_payload(form, None).body["proxy"] == {"name": "王大妈", "relation_or_org": "邻居"}
