"""Test data: valid ID numbers and application payloads."""

from __future__ import annotations

import random
from typing import Any

from domain.identity import id_check_char
from infra.pii import PiiVault, make_pii_vault
from infra.settings import load_settings


def id_number(region: str = "440105", birth: str = "19800101", seq: int | None = None) -> str:
    body = f"{region}{birth}{(seq if seq is not None else random.randint(0, 999)):03d}"
    return body + id_check_char(body)


def pii_vault() -> PiiVault:
    """The vault of the default (development) settings: what the tests' API and workers use."""
    return make_pii_vault(load_settings())


def with_wrong_check_char(value: str) -> str:
    wrong = "0" if value[-1] != "0" else "1"
    return value[:-1] + wrong


def application_payload(number: str, **overrides: Any) -> dict[str, Any]:
    applicant_id = id_number(seq=101)
    payload: dict[str, Any] = {
        "application_number": number,
        "assistance_type": "dibao",
        "channel": "walk_in",
        "region": {"county_code": "440105", "township_code": "440105001", "community_code": "440105001001"},
        "applicant": {"name": "张小明", "id_number": applicant_id, "phone": "13812345678"},
        "members": [
            {"name": "张小明", "id_number": applicant_id, "relation": "self", "monthly_income_fen": 50_000},
            {
                "name": "李秀英",
                "id_number": id_number(birth="19820304", seq=202),
                "relation": "spouse",
                "monthly_income_fen": 0,
            },
        ],
        "reason": "家庭主要劳动力因病失业，无稳定收入",
    }
    payload.update(overrides)
    return payload


async def store_application(
    sessions: Any, number: str, accepted_at: Any, member_ids: list[str] | None = None, **overrides: Any
) -> None:
    """Insert an application row directly, as the intake API would have done, personal data sealed
    (the members' ID numbers are what the data cross-check looks up)."""
    from domain.application import workflow_id_for
    from infra.models import Application

    values: dict[str, Any] = {
        "application_number": number,
        "workflow_id": workflow_id_for(number),
        "assistance_type": "dibao",
        "channel": "walk_in",
        "county_code": "440105",
        "township_code": "440105001",
        "community_code": "440105001001",
        "applicant_name": "张小明",
        "household_size": 2,
        "green_channel": False,
        "stage": "intake",
        "accepted_at": accepted_at,
    }
    applicant_id = overrides.pop("applicant_id_number", id_number(seq=101))
    phone = overrides.pop("applicant_phone", "13812345678")
    values.update(overrides)
    ids = member_ids or [id_number(seq=900 + i) for i in range(int(values["household_size"]))]
    values["household_size"] = len(ids)
    submission = {
        "members": [
            {"name": f"成员{i + 1}", "id_number": mid, "monthly_income_fen": 0} for i, mid in enumerate(ids)
        ]
    }
    row = Application(**values)
    row.seal_personal_data(pii_vault(), id_number=applicant_id, phone=phone, submission=submission)
    async with sessions.begin() as session:
        session.add(row)
