"""The applicant portal's services for its edges (web/portal, and the staff pages' 网上申请): the
phone-code service with the app's SMS gateway, the portal and the window's online queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.deps import (
    ApplicationServiceDep,
    AuditDep,
    CaseServiceDep,
    ClockDep,
    PiiDep,
    SessionsDep,
    SettingsDep,
)
from api.intake_deps import _policy_book
from infra.sms.base import SmsGateway
from services.audit import clean
from services.online_applications import OnlineApplicationService
from services.phone_codes import PhoneCodeService
from services.portal import PortalService


def sms_gateway(request: Request, settings: SettingsDep) -> SmsGateway:
    """The app's SMS gateway: app.state.sms_gateway when the app set one, else one made from the
    settings (SMS_BASE_URL, SMS_API_KEY) on first use and kept for the app's life."""
    gateway: SmsGateway | None = getattr(request.app.state, "sms_gateway", None)
    if gateway is None:
        from infra.sms.http import sms_gateway_from_settings

        gateway = sms_gateway_from_settings(settings)
        request.app.state.sms_gateway = gateway
    return gateway


SmsGatewayDep = Annotated[SmsGateway, Depends(sms_gateway)]


def phone_code_service(
    request: Request, sessions: SessionsDep, gateway: SmsGatewayDep, clock: ClockDep, pii: PiiDep
) -> PhoneCodeService:
    return PhoneCodeService(
        sessions, gateway, clock, pii=pii, user_agent=clean(request.headers.get("user-agent"), 200)
    )


PhoneCodeServiceDep = Annotated[PhoneCodeService, Depends(phone_code_service)]


def portal_service(
    settings: SettingsDep,
    sessions: SessionsDep,
    cases: CaseServiceDep,
    pii: PiiDep,
    clock: ClockDep,
    trail: AuditDep,
) -> PortalService:
    return PortalService(sessions, cases, _policy_book(settings.policy_file), pii, clock, trail)


PortalServiceDep = Annotated[PortalService, Depends(portal_service)]


def online_application_service(
    settings: SettingsDep,
    sessions: SessionsDep,
    applications: ApplicationServiceDep,
    pii: PiiDep,
    clock: ClockDep,
    trail: AuditDep,
) -> OnlineApplicationService:
    return OnlineApplicationService(
        sessions, applications, _policy_book(settings.policy_file), pii, clock, trail
    )


OnlineApplicationServiceDep = Annotated[OnlineApplicationService, Depends(online_application_service)]
