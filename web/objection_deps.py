"""The services of the public objection pages and the reviewer's queue, built per request from
the app's resources (like api/deps.py's): the phone-code service on an SMS gateway of its own,
closed when the request is done (a code is sent rarely; no connection pool is kept for it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends

from api.deps import AuditDep, CaseSearchDep, ClockDep, PiiDep, SessionsDep, SettingsDep
from infra.sms.http import sms_gateway_from_settings
from services.phone_codes import PhoneCodeService
from services.public_objections import PublicObjections


async def phone_codes(
    settings: SettingsDep, sessions: SessionsDep, clock: ClockDep, pii: PiiDep, trail: AuditDep
) -> AsyncIterator[PhoneCodeService]:
    gateway = sms_gateway_from_settings(settings)
    try:
        yield PhoneCodeService(sessions, gateway, clock, pii=pii, user_agent=trail.context.user_agent)
    finally:
        await gateway.aclose()


PhoneCodesDep = Annotated[PhoneCodeService, Depends(phone_codes)]


def public_objections(
    sessions: SessionsDep,
    pii: PiiDep,
    search: CaseSearchDep,
    codes: PhoneCodesDep,
    trail: AuditDep,
    clock: ClockDep,
) -> PublicObjections:
    return PublicObjections(sessions, pii, search, codes, trail, clock)


PublicObjectionsDep = Annotated[PublicObjections, Depends(public_objections)]


def reviewer_objections(
    sessions: SessionsDep, pii: PiiDep, search: CaseSearchDep, trail: AuditDep, clock: ClockDep
) -> PublicObjections:
    """The reviewer's side: no phone code is sent or checked there."""
    return PublicObjections(sessions, pii, search, None, trail, clock)


ReviewerObjectionsDep = Annotated[PublicObjections, Depends(reviewer_objections)]
