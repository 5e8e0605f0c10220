"""Personal data through the API and at rest: the case view masks it, the one personal-data endpoint
gives the full record to the roles whose work needs it (inside their jurisdiction) and to nobody
else, resubmission still works on the sealed submission, and the database file itself holds no ID
number or phone number in clear."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.masking import mask_id_number, mask_phone
from infra.db import sqlite_file
from infra.models import Application
from tests.e2e.support import DIBAO_MATERIALS, login, refused, verification_tasks
from tests.factories import application_payload, id_number, pii_vault
from tests.raw_files import raw_bytes

Sessions = async_sessionmaker[AsyncSession]


def household(number: str) -> dict[str, Any]:
    """A submission with ID numbers and a phone no other test uses, so a search for them in the
    shared database file can only find this case's."""
    rng = random.Random(number)
    birth = f"19{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    applicant_id, spouse_id = (
        id_number(birth=birth, seq=rng.randint(0, 999)),
        id_number(seq=rng.randint(0, 999)),
    )
    phone = f"139{rng.randint(0, 99_999_999):08d}"
    body = application_payload(number, materials=DIBAO_MATERIALS)
    body["applicant"] = {"name": "冼晓桐", "id_number": applicant_id, "phone": phone}
    body["members"] = [
        {"name": "冼晓桐", "id_number": applicant_id, "relation": "self", "monthly_income_fen": 30_000},
        {"name": "区美玲", "id_number": spouse_id, "relation": "spouse", "monthly_income_fen": 0},
    ]
    return body


def secrets_of(body: dict[str, Any]) -> list[str]:
    return [body["applicant"]["phone"], *(m["id_number"] for m in body["members"])]


async def test_views_are_masked_and_only_the_roles_that_need_it_read_the_full_record(
    api: httpx.AsyncClient, clerk: dict[str, str], application_number: str
) -> None:
    body = household(application_number)
    applicant = body["applicant"]
    filed = await api.post("/api/v1/applications", json=body, headers=clerk)
    assert filed.status_code == 201, filed.text

    for username in ("clerk_chigang", "supervisor_haizhu", "operator_haizhu"):
        headers = await login(api, username)
        view = await api.get(f"/api/v1/applications/{application_number}", headers=headers)
        timeline = await api.get(f"/api/v1/applications/{application_number}/timeline", headers=headers)
        assert view.status_code == 200 and timeline.status_code == 200
        case = view.json()
        assert case["applicant_id_number_masked"] == mask_id_number(applicant["id_number"])
        assert (
            case["applicant_phone_masked"]
            == mask_phone(applicant["phone"])
            == applicant["phone"][:3] + "****" + applicant["phone"][-4:]
        )
        for secret in secrets_of(body):
            assert secret not in filed.text + view.text + timeline.text

    url = f"/api/v1/applications/{application_number}/personal-data"
    for username in ("clerk_chigang", "inv_chigang_1", "reviewer_chigang", "approver_haizhu"):
        response = await api.get(url, headers=await login(api, username))
        assert response.status_code == 200, (username, response.text)
        assert response.headers["cache-control"] == "no-store"
        record = response.json()
        assert record["applicant"] == applicant
        assert [(m["name"], m["id_number"], m["relation"]) for m in record["members"]] == [
            (m["name"], m["id_number"], m["relation"]) for m in body["members"]
        ]
        assert record["reason"] == body["reason"] and record["application_number"] == application_number

    # Roles whose work does not need the full record, whatever their region.
    for username in ("head_chigang", "finance_haizhu", "supervisor_haizhu", "operator_haizhu"):
        denied = refused(await api.get(url, headers=await login(api, username)), 403, "forbidden")
        assert "个人信息" in denied["message"]
    # The right role, the wrong jurisdiction: the record does not leave its region.
    for username in ("clerk_wushan", "approver_tianhe", "reviewer_wushan"):
        denied = refused(await api.get(url, headers=await login(api, username)), 403, "forbidden")
        assert applicant["id_number"] not in str(denied)
    refused(
        await api.get("/api/v1/applications/440105-NONE-0000/personal-data", headers=clerk),
        404,
        "application_not_found",
    )
    refused(await api.get(url), 401, "not_authenticated")


async def test_resubmission_is_recognised_on_the_sealed_submission_and_lookups_use_the_digest(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> None:
    body = household(application_number)
    assert (await api.post("/api/v1/applications", json=body, headers=clerk)).status_code == 201
    # The same content again (a colleague at the window): the existing case, not a second one.
    again = await api.post("/api/v1/applications", json=body, headers=await login(api, "clerk_chigang"))
    assert again.status_code == 200 and again.json()["created"] is False
    changed = {**body, "applicant": {**body["applicant"], "phone": "13900000000"}}
    refused(
        await api.post("/api/v1/applications", json=changed, headers=clerk),
        409,
        "application_number_conflict",
    )

    vault = pii_vault()
    async with sessions() as session:
        [row] = list(
            await session.scalars(
                select(Application).where(
                    Application.applicant_id_number_digest == vault.digest(body["applicant"]["id_number"])
                )
            )
        )
    assert row.application_number == application_number
    assert row.applicant_phone(vault) == body["applicant"]["phone"]
    assert row.submission(vault)["members"] == body["members"]
    stored = " ".join(str(v) for v in row.__dict__.values())
    for secret in secrets_of(body):
        assert secret not in stored


async def test_the_database_file_holds_no_id_number_or_phone_in_clear(
    api: httpx.AsyncClient,
    clerk: dict[str, str],
    sessions: Sessions,
    sqlite_url: str,
    application_number: str,
) -> None:
    body = household(application_number)
    assert (await api.post("/api/v1/applications", json=body, headers=clerk)).status_code == 201
    # Let the worker do its part too (stage, tasks, timeline, the departments' data check).
    await verification_tasks(api, sessions, application_number)

    database = sqlite_file(sqlite_url)
    assert database is not None
    files = [p for p in (database, Path(f"{database}-wal")) if p.exists()]
    raw = b"".join(raw_bytes(p) for p in files)
    # The scan reads the data: names stay in clear (the issue is about ID numbers, phones, accounts).
    assert "冼晓桐".encode() in raw and application_number.encode() in raw
    for secret in secrets_of(body):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in raw, (secret, encoding, [p.name for p in files])
