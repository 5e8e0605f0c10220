"""Full-width and other Unicode digits at intake (issue 16, item 1), through the API and the database.

The same person filed again with a full-width ID number passed intake as a second identity: its
digest matched nothing, so every department answered "no records" and no duplicate check fired.
Now the full-width form is stored as the ASCII form (same digests, same codes, same case), and
what does not normalise to ASCII — Arabic-Indic digits, zero-width characters, Cyrillic
look-alikes — is refused with a field error, storing nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from infra.models import Application
from tests.e2e.support import Sessions
from tests.factories import application_payload

FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def full_width(value: str) -> str:
    return "".join(FULL_WIDTH.get(c, c) for c in value)


def every_code_full_width(payload: dict[str, Any]) -> dict[str, Any]:
    p = copy.deepcopy(payload)
    p["application_number"] = full_width(p["application_number"])
    p["region"] = {k: full_width(v) for k, v in p["region"].items()}
    p["applicant"]["id_number"] = full_width(p["applicant"]["id_number"])
    p["applicant"]["phone"] = full_width(p["applicant"]["phone"])
    for member in p["members"]:
        member["id_number"] = full_width(member["id_number"])
    return p


async def stored(sessions: Sessions, number: str) -> Application | None:
    async with sessions() as session:
        return await session.scalar(select(Application).where(Application.application_number == number))


async def test_a_full_width_copy_of_a_filing_is_the_same_filing(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> None:
    payload = application_payload(application_number)
    first = await api.post("/api/v1/applications", json=payload, headers=clerk)
    assert first.status_code == 201, first.text
    again = await api.post("/api/v1/applications", json=every_code_full_width(payload), headers=clerk)
    # The same number, the same content: a resubmission, answered with the case already filed.
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["application_number"] == application_number
    looked_up = await api.get(f"/api/v1/applications/{full_width(application_number)}", headers=clerk)
    assert looked_up.status_code == 200 and looked_up.json()["application_number"] == application_number


async def test_the_same_person_in_full_width_digits_is_stored_as_the_same_person(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> None:
    ascii_filing = application_payload(application_number)
    assert (await api.post("/api/v1/applications", json=ascii_filing, headers=clerk)).status_code == 201
    second_number = application_number[:-1] + ("Z" if application_number[-1] != "Z" else "Y")
    second = every_code_full_width(application_payload(second_number))
    second["application_number"] = second_number
    response = await api.post("/api/v1/applications", json=second, headers=clerk)
    assert response.status_code == 201, response.text
    first_row, second_row = await stored(sessions, application_number), await stored(sessions, second_number)
    assert first_row is not None and second_row is not None
    # The digests are what intake, the data check and the duplicate checks look people up by.
    assert second_row.applicant_id_number_digest == first_row.applicant_id_number_digest
    assert second_row.applicant_phone_digest == first_row.applicant_phone_digest
    assert (second_row.county_code, second_row.township_code, second_row.community_code) == (
        "440105", "440105001", "440105001001",
    )  # fmt: skip


def _arabic_indic(value: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isascii() and c.isdigit() else c for c in value)


@pytest.mark.parametrize(
    ("field", "mutate"),
    [
        ("applicant.id_number", lambda p: p["applicant"].update(id_number=_arabic_indic(p["applicant"]["id_number"]))),
        ("applicant.id_number", lambda p: p["applicant"].update(id_number="\u200b" + p["applicant"]["id_number"])),
        ("members.1.id_number", lambda p: p["members"][1].update(id_number=p["members"][1]["id_number"][:9] + "\u200d" + p["members"][1]["id_number"][9:])),
        ("applicant.phone", lambda p: p["applicant"].update(phone="138\u20601234\u20605678")),
        ("region.county_code", lambda p: p["region"].update(county_code="44О105")),  # Cyrillic О
        ("region.township_code", lambda p: p["region"].update(township_code=_arabic_indic("440105001"))),
        ("application_number", lambda p: p.update(application_number=p["application_number"].replace("-", "\u2010"))),
    ],
)  # fmt: skip
async def test_digits_of_other_scripts_invisible_characters_and_look_alikes_are_refused(
    api: httpx.AsyncClient,
    clerk: dict[str, str],
    sessions: Sessions,
    application_number: str,
    field: str,
    mutate: Any,
) -> None:
    payload = application_payload(application_number)
    mutate(payload)
    response = await api.post("/api/v1/applications", json=payload, headers=clerk)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.application_number.in_([application_number, payload["application_number"]]))
        )
    assert count == 0
