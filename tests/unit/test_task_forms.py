"""The 办理 pages' form layouts (web/task_forms.py): every field of every outcome form has an input,
and what a browser sends becomes what the API would have received (元 → 分, full-width digits)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from domain.tasks import OUTCOME_FORMS, TaskType, validate_completion
from web.task_forms import LAYOUTS, Group, errors_by_field, outcomes_of, parse_form, yuan_to_fen


def _model_fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


@pytest.mark.parametrize("model", sorted({m for f in OUTCOME_FORMS.values() for m in f.values()}, key=str))
def test_every_field_of_every_outcome_form_has_an_input(model: type[BaseModel]) -> None:
    layout = LAYOUTS[model]
    assert set(layout.names()) == _model_fields(model)
    for item in layout.items:
        if isinstance(item, Group):
            nested = model.model_fields[item.name].annotation
            inner = next(a for a in getattr(nested, "__args__", (nested,)) if a is not type(None))
            assert {f.name for f in item.fields} == _model_fields(inner)


def test_every_task_type_offers_each_of_its_outcomes() -> None:
    for task_type in TaskType:
        assert {o.value for o in outcomes_of(task_type)} == set(OUTCOME_FORMS[task_type])


def test_amounts_typed_in_yuan_with_full_width_digits_become_fen() -> None:
    assert yuan_to_fen("１，２３４.５") == 123450  # NFKC: the full-width comma is a comma
    assert yuan_to_fen("800") == 80000
    with pytest.raises(ValueError, match="小数点后两位"):
        yuan_to_fen("1.234")
    with pytest.raises(ValueError, match="半角"):
        yuan_to_fen("٣٠٠")  # Arabic-Indic digits: refused as the API refuses them in codes


def _home_visit(**changes: list[str]) -> dict[str, list[str]]:
    sent = {
        "investigators": ["王伟", "李娜", ""],
        "visited_on": ["２０２６-１１-２０"],
        "findings.housing": ["自有住房一套，约50平方米"],
        "findings.property": ["无车辆、无存款"],
        "findings.income_expenses": ["丈夫打零工，月收入约800元"],
        "findings.neighbours": ["邻居反映情况属实"],
        "found_monthly_income_fen": ["８００"],
        "rigid_expenses_fen": [""],
        "signed_form_ref": ["HV-2026-001"],
        "photo_refs": ["P-1\n\nP-2"],
    }
    return sent | changes


def test_a_home_visit_from_the_browser_is_the_form_the_api_takes() -> None:
    parsed = parse_form(LAYOUTS[OUTCOME_FORMS[TaskType.HOME_VISIT]["completed"]], _home_visit())
    assert parsed.errors == {}
    form: dict[str, Any] = parsed.form
    assert form["investigators"] == ["王伟", "李娜"] and form["found_monthly_income_fen"] == 80000
    assert "rigid_expenses_fen" not in form and form["disputed"] is False
    assert form["photo_refs"] == ["P-1", "P-2"]
    validate_completion(TaskType.HOME_VISIT, "completed", form)  # the API's own check passes


def test_the_services_errors_land_beside_the_inputs_they_belong_to() -> None:
    layout = LAYOUTS[OUTCOME_FORMS[TaskType.DEMOCRATIC_REVIEW]["completed"]]
    errors = [
        {"field": "attendees.2.capacity", "type": "enum", "message": "取值无效"},
        {"field": "body", "type": "value_error", "message": "票数合计不能超过参会人数"},
        {"field": "minutes", "type": "missing", "message": "必填项缺失"},
        {"field": "who_knows", "type": "extra_forbidden", "message": "不允许的字段"},
    ]
    by_field, general = errors_by_field(layout, errors)
    assert by_field == {
        "attendees.2.capacity": "取值无效",
        "votes_for": "票数合计不能超过参会人数",
        "minutes": "必填项缺失",
    }
    assert general == ["不允许的字段"]
