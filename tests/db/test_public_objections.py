"""Objections from the public publicity page (services/public_objections.py) as data: what is
stored (sealed, with the file's hash), what is refused and leaves nothing behind, one objection per
form, the limits per phone and per address, and the reviewer's dismissal — on SQLite and (CI's
second pass) PostgreSQL. The pages and the registration on a running case are in
tests/web/test_public_publicity_pages.py."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.models import Application, AuditEntry, PublicObjection, PublicObjectionEvidence
from infra.pii import PiiVault
from infra.pii_rotation import rotate
from infra.seed import seed_demo
from infra.settings import load_settings
from services.audit import AuditTrail, RequestContext
from services.case_search import CaseSearch
from services.errors import ApiError
from services.public_objections import ObjectionForm, ObjectionLimits, PublicObjections
from tests.factories import pii_vault, store_application

pytestmark = pytest.mark.db

AT = datetime(2026, 11, 2, 2, tzinfo=UTC)
COMMUNITY = "440105001001"
REVIEWER = Actor("reviewer_chigang", "王志强", Role.TOWNSHIP_REVIEWER, "440105001")
OTHER_REVIEWER = Actor("reviewer_wushan", "梁伟明", Role.TOWNSHIP_REVIEWER, "440106001")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"photo-bytes" * 50
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
PHONE = "13912345678"
TEXT = "该户家中有一辆小轿车，且男主人在外经营小店"


class Codes:
    """The phone-code service's stand-in: a code is good once (as the real one's)."""

    def __init__(self) -> None:
        self.good: dict[str, str] = {}
        self.verified = 0

    async def request(self, phone: str, purpose: str, client_ip: str | None) -> object:
        self.good[phone] = "246810"
        return None

    async def verify(self, phone: str, purpose: str, code: str) -> object:
        assert purpose == "objection"
        await asyncio.sleep(0)  # the real one awaits its database: let a racing send run meanwhile
        if self.good.get(phone) != code:
            raise ApiError(422, "wrong_code", "验证码不正确或已过期")
        del self.good[phone]  # single use
        self.verified += 1
        return True


class World:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.pii = pii_vault()
        self.search = CaseSearch(sessions, self.pii)
        self.codes = Codes()
        self.now = AT + timedelta(days=3)

    def service(self, ip: str = "203.0.113.7", limits: ObjectionLimits | None = None) -> PublicObjections:
        trail = AuditTrail(self.sessions, lambda: self.now, RequestContext(ip, "test"))
        return PublicObjections(
            self.sessions, self.pii, self.search, self.codes, trail, lambda: self.now, limits
        )

    def form(
        self, phone: str = PHONE, evidence: bytes | None = None, key: str | None = None, **kw: str
    ) -> ObjectionForm:
        self.codes.good[phone] = "246810"  # a fresh code for each form filled in
        values = {"community_code": COMMUNITY, "ref": self.search.public_ref("O-1"), "text": TEXT,
                  "phone": phone, "code": "246810", "form_key": key or str(uuid.uuid4())}  # fmt: skip
        values.update(kw)
        return ObjectionForm(evidence=evidence, **values)

    async def stored(self) -> int:
        async with self.sessions() as session:
            objections = await session.scalar(select(func.count()).select_from(PublicObjection))
            files = await session.scalar(select(func.count()).select_from(PublicObjectionEvidence))
        return int(objections or 0) + int(files or 0)


async def _world(engine: AsyncEngine) -> World:
    sessions = make_session_factory(engine)
    await seed_demo(sessions)
    await store_application(sessions, "O-1", AT, stage="publicity", applicant_name="欧阳小明")
    await store_application(sessions, "O-2", AT, stage="verification")
    return World(sessions)


async def test_an_objection_is_stored_sealed_with_its_evidence_hash_and_audited(
    migrated: AsyncEngine,
) -> None:
    world = await _world(migrated)
    receipt = await world.service().submit(world.form(evidence=JPEG))
    assert receipt.created
    values: list[str] = []
    async with migrated.connect() as connection:
        for table in ("public_objections", "public_objection_evidence"):
            for row in (await connection.execute(text(f"SELECT * FROM {table}"))).all():
                values += [str(v) for v in row]
    raw = " ".join(values)
    # Nothing of what the objector wrote lies in clear: not the text, not the phone, not the photo.
    assert TEXT not in raw and PHONE not in raw and "photo-bytes" not in raw
    assert hashlib.sha256(JPEG).hexdigest() in raw
    queue = await world.service().queue(REVIEWER)
    assert [(i.application_number, i.text, i.phone_masked) for i in queue] == [("O-1", TEXT, "139****5678")]
    assert queue[0].evidence is not None and queue[0].evidence.content_type == "image/jpeg"
    kind, data = await world.service().evidence(receipt.objection_id, REVIEWER)
    assert (kind, data) == ("image/jpeg", JPEG)
    async with world.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        submitted = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "public_objection.submitted")
        )
    assert actions == ["public_objection.submitted", "public_objection.evidence_read"]
    assert submitted is not None and submitted.actor_username is None and submitted.client_ip == "203.0.113.7"
    assert PHONE not in str(submitted.detail) and submitted.application_number == "O-1"


@pytest.mark.parametrize(
    ("evidence", "code"),
    [(EXE, "file_type_not_allowed"), (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "file_too_large")],
    ids=["executable-named-jpg", "oversized"],
)
async def test_a_disguised_or_oversized_file_is_refused_beside_its_field_and_nothing_is_stored(
    migrated: AsyncEngine, evidence: bytes, code: str
) -> None:
    world = await _world(migrated)
    with pytest.raises(ApiError) as refused:
        await world.service().submit(world.form(evidence=evidence))
    assert refused.value.status_code == 422
    assert [(e["field"], e["type"]) for e in refused.value.extra["errors"]] == [("evidence", code)]
    assert await world.stored() == 0 and world.codes.verified == 0  # the code is not used up either


async def test_a_wrong_code_a_case_not_in_publicity_and_a_landline_are_refused(migrated: AsyncEngine) -> None:
    world = await _world(migrated)
    with pytest.raises(ApiError) as wrong:
        await world.service().submit(world.form(code="135790"))
    assert [e["field"] for e in wrong.value.extra["errors"]] == ["code"]
    with pytest.raises(ApiError) as fields:
        await world.service().submit(
            world.form(ref=world.search.public_ref("O-2"), phone="020-12345678", text="短")
        )
    assert sorted(e["field"] for e in fields.value.extra["errors"]) == ["phone", "ref", "text"]
    assert await world.stored() == 0


async def test_the_same_form_sent_twice_even_at_once_is_one_objection(migrated: AsyncEngine) -> None:
    world = await _world(migrated)
    key = str(uuid.uuid4())
    first, second = await asyncio.gather(
        world.service().submit(world.form(key=key)), world.service().submit(world.form(key=key))
    )
    third = await world.service().submit(world.form(key=key, code="000000"))  # the code is spent: no matter
    assert first.objection_id == second.objection_id == third.objection_id
    assert sorted([first.created, second.created, third.created]) == [False, False, True]
    assert await world.stored() == 1
    # Someone else's phone cannot reuse the form for their own objection.
    with pytest.raises(ApiError) as reused:
        await world.service().submit(world.form(phone="13700001111", key=key))
    assert reused.value.status_code == 409


async def test_submissions_are_limited_per_phone_and_per_address(migrated: AsyncEngine) -> None:
    world = await _world(migrated)
    limits = ObjectionLimits(per_phone_hour=2, per_phone_day=3, per_address_hour=3)
    for ip in ("198.51.100.1", "198.51.100.2"):
        await world.service(ip, limits).submit(world.form())
    with pytest.raises(ApiError) as phone:
        await world.service("198.51.100.3", limits).submit(world.form())  # a third address, same phone
    assert phone.value.status_code == 429 and phone.value.extra["errors"][0]["field"] == "phone"
    world.now += timedelta(minutes=61)  # the hour has passed: the phone may send again, up to its day
    await world.service("198.51.100.3", limits).submit(world.form())
    world.now += timedelta(minutes=61)
    with pytest.raises(ApiError) as day:
        await world.service("198.51.100.4", limits).submit(world.form())
    assert day.value.status_code == 429
    # One address, many phones: three an hour.
    for n in range(3):
        await world.service("192.0.2.9", limits).submit(world.form(phone=f"1360000000{n}"))
    with pytest.raises(ApiError) as address:
        await world.service("192.0.2.9", limits).submit(world.form(phone="13600000009"))
    assert address.value.status_code == 429
    assert await world.stored() == 6


async def test_the_reviewer_dismisses_with_a_reason_once_and_no_other_township_sees_it(
    migrated: AsyncEngine,
) -> None:
    world = await _world(migrated)
    receipt = await world.service().submit(world.form())
    service = world.service()
    assert await service.queue(OTHER_REVIEWER) == []
    with pytest.raises(ApiError) as elsewhere:
        await service.dismiss(receipt.objection_id, "经核实与事实不符", OTHER_REVIEWER)
    assert elsewhere.value.status_code == 404
    with pytest.raises(ApiError) as short:
        await service.dismiss(receipt.objection_id, "否", REVIEWER)
    assert short.value.extra["errors"][0]["field"] == "reason"
    await service.dismiss(receipt.objection_id, "经入户核实，该车辆已于去年转让", REVIEWER)
    with pytest.raises(ApiError) as again:
        await service.dismiss(receipt.objection_id, "重复处理", REVIEWER)
    assert again.value.status_code == 409 and "reviewer_chigang" in again.value.message
    assert await service.queue(REVIEWER) == []
    closed = await service.queue(REVIEWER, include_closed=True)
    assert [(i.status, i.dismiss_reason, i.decided_by) for i in closed] == [
        ("dismissed", "经入户核实，该车辆已于去年转让", "reviewer_chigang")
    ]
    async with world.sessions() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "public_objection.dismissed"))
        )
    assert [(e.actor_username, e.outcome) for e in entries] == [("reviewer_chigang", "ok")]


async def test_two_reviewers_dismissing_at_once_close_it_once(migrated: AsyncEngine) -> None:
    world = await _world(migrated)
    receipt = await world.service().submit(world.form())
    second = Actor("reviewer_chigang_2", "赵二", Role.TOWNSHIP_REVIEWER, "440105001")
    outcomes = await asyncio.gather(
        world.service().dismiss(receipt.objection_id, "经核实与事实不符", REVIEWER),
        world.service().dismiss(receipt.objection_id, "经核实情况不实", second),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ApiError", "NoneType"]


async def test_the_objectors_full_phone_is_for_the_townships_reviewer_only_and_audited(
    migrated: AsyncEngine,
) -> None:
    world = await _world(migrated)
    receipt = await world.service().submit(world.form())
    head = Actor("head_chigang", "刘国栋", Role.TOWNSHIP_HEAD, "440105001")
    for actor, status in ((OTHER_REVIEWER, 404), (head, 403)):
        with pytest.raises(ApiError) as refused:
            await world.service().contact(receipt.objection_id, actor)
        assert refused.value.status_code == status
    assert await world.service().contact(receipt.objection_id, REVIEWER) == PHONE
    async with world.sessions() as session:
        reads = list(
            await session.scalars(
                select(AuditEntry.actor_username).where(AuditEntry.action == "public_objection.contact_read")
            )
        )
    assert reads == ["reviewer_chigang"]


async def test_key_rotation_reseals_objections_and_their_files_and_recomputes_the_phone_digest(
    migrated: AsyncEngine,
) -> None:
    world = await _world(migrated)
    try:
        new_key, new_hash = os.urandom(32), os.urandom(32)
        receipt = await world.service().submit(world.form(evidence=JPEG))  # under the development keys
        configured = {k: base64.b64decode(v) for k, v in load_settings().pii_keys.items()}
        report = await rotate(migrated, PiiVault({**configured, "new": new_key}, "new", new_hash))
        assert report.resealed["public_objections"] == 2 and report.digests["public_objections"] == 1
        assert report.resealed["public_objection_evidence"] == 1
        # Everything opens without the old key; the phone's limits count under the new hash key.
        world.pii = PiiVault({"new": new_key}, "new", new_hash)
        world.search = CaseSearch(world.sessions, world.pii)
        [item] = await world.service().queue(REVIEWER)
        assert (item.text, item.phone_masked) == (TEXT, "139****5678")
        assert await world.service().evidence(receipt.objection_id, REVIEWER) == ("image/jpeg", JPEG)
        async with world.sessions() as session:
            row = await session.get(PublicObjection, receipt.objection_id)
        assert row is not None and row.phone_digest == world.pii.digest(PHONE)
    finally:  # rows sealed with this test's key could not be opened by the next test's downgrade
        async with migrated.begin() as connection:
            for table in (PublicObjectionEvidence, PublicObjection, Application):
                await connection.execute(delete(table))
