"""What the intake window (一窗受理) offers a clerk, and the one-time notice (一次性告知书) of a case.

The intake itself is ApplicationService.submit (the JSON API's POST /api/v1/applications); this
module gives its edges what they need around it, from the same sources the workflow uses:
- the assistance types the policy configuration knows, with each type's materials as the
  policy lists them for the clerk's county (never a list written into a page);
- the townships and villages (communities) of the clerk's own jurisdiction, the only ones a
  clerk may file for (the submit refuses any other, whatever a forged form says);
- an application number for a new form: the window keys the number (SPEC: it is the case's
  idempotency key), made once when the form is shown, so a double click or a resent form files
  the same number, and the service answers with the one case it already holds;
- the notice of a case: the materials not yet provided (the workflow's own notice when it has
  recorded one, else the same rule, `AssistancePolicy.missing_materials`, on the stored
  submission), those waived under the commitment (告知承诺制), the office and the time limits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import CHINA_TZ
from domain.enums import ASSISTANCE_TYPE_LABELS, AssistanceType, RegionLevel
from domain.masking import mask_id_number, mask_name
from domain.policy import AssistancePolicy, PolicyBook
from domain.staff import Actor, Role, county_of
from infra.models import CaseEvent, Region
from infra.pii import PiiVault
from services.case_view import CaseService
from services.errors import forbidden


@dataclass(frozen=True)
class TypeOption:
    code: str
    label: str
    emergency: bool  # 急难型: rescue first, materials afterwards
    required_materials: tuple[str, ...]
    fetchable_materials: tuple[str, ...]  # waived when the applicant signs the commitment


@dataclass(frozen=True)
class CommunityOption:
    code: str
    name: str


@dataclass(frozen=True)
class TownshipOption:
    code: str
    name: str
    county_code: str
    communities: tuple[CommunityOption, ...]


@dataclass(frozen=True)
class IntakeOptions:
    types: tuple[TypeOption, ...]
    townships: tuple[TownshipOption, ...]

    def type_option(self, code: str) -> TypeOption:
        """The chosen type, or the first one (an unknown code is the model's error to report)."""
        return next((t for t in self.types if t.code == code), self.types[0])

    def region_of(self, community_code: str) -> tuple[str, str] | None:
        """(county, township) of an offered village, or None for one outside the jurisdiction."""
        for township in self.townships:
            if any(c.code == community_code for c in township.communities):
                return township.county_code, township.code
        return None


@dataclass(frozen=True)
class MaterialsNotice:
    """一次性告知书: everything the printed notice says, personal data masked."""

    application_number: str
    assistance_type_label: str
    applicant_name_masked: str
    applicant_id_number_masked: str
    household_size: int
    office: str  # the township's window that accepted the application
    community: str
    accepted_at: datetime
    emergency: bool
    provided: tuple[str, ...]
    missing: tuple[str, ...]
    waived: tuple[str, ...]  # fetched from the departments under the signed commitment
    whole_process_days: int
    whole_process_extended_days: int
    paperwork_days: int  # 急难型: the paperwork after the rescue


def new_application_number(actor: Actor, now: datetime) -> str:
    """<jurisdiction>-<date>-<random>: unique without a counter (48 random bits a window and day)."""
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    return f"{actor.region_code}-{day}-{secrets.token_hex(3).upper()}"


class IntakeService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policies: PolicyBook,
        cases: CaseService,
        pii: PiiVault,
    ) -> None:
        self._sessions = sessions
        self._policies = policies
        self._cases = cases
        self._pii = pii

    async def options(self, clerk: Actor) -> IntakeOptions:
        if clerk.role is not Role.INTAKE_CLERK:
            raise forbidden("受理申请须由受理窗口人员办理")
        county = county_of(clerk.region_code)
        types = tuple(
            _type_option(self._policies.resolve(kind, county))
            for kind in AssistanceType
            if kind.value in self._policies.types
        )
        return IntakeOptions(types, await self._townships(clerk.region_code))

    async def applicant_options(self) -> IntakeOptions:
        """What the applicant portal offers (no clerk, no jurisdiction): every township and village
        on file and the types with their checklists as the policy resolves them for the county —
        the same sources as the window's form. (One county per deployment here; with several, the
        checklist shown is the first county's and the window's acceptance re-checks it.)"""
        townships = await self._townships("")
        county = townships[0].county_code if townships else ""
        types = tuple(
            _type_option(self._policies.resolve(kind, county))
            for kind in AssistanceType
            if kind.value in self._policies.types
        )
        return IntakeOptions(types, townships)

    def policy(self, assistance_type: AssistanceType, county_code: str) -> AssistancePolicy:
        return self._policies.resolve(assistance_type, county_code)

    async def _townships(self, region_code: str) -> tuple[TownshipOption, ...]:
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(Region)
                    .where(Region.level == RegionLevel.COMMUNITY.value, Region.code.startswith(region_code))
                    .order_by(Region.code)
                )
            )
            parents = {r.parent_code for r in rows if r.parent_code}
            towns = {
                t.code: t
                for t in await session.scalars(
                    select(Region).where(Region.code.in_(parents), Region.level == RegionLevel.TOWNSHIP.value)
                )
            }
        result: list[TownshipOption] = []
        for code in sorted(towns):
            town = towns[code]
            villages = tuple(CommunityOption(r.code, r.name) for r in rows if r.parent_code == code)
            result.append(TownshipOption(code, town.name, town.parent_code or county_of(code), villages))
        return tuple(result)

    async def notice(self, application_number: str, actor: Actor) -> MaterialsNotice:
        row = await self._cases.load(application_number, actor)  # jurisdiction: 403 / 404
        kind = AssistanceType(row.assistance_type)
        policy = self._policies.resolve(kind, row.county_code)
        submission = row.submission(self._pii)
        provided = [str(m) for m in submission.get("materials") or []]
        signed = bool(submission.get("commitment_signed"))
        missing = await self._recorded_notice(application_number)
        if missing is None:  # the workflow has not written its notice yet (or will not: 急难型)
            missing = policy.missing_materials(provided, signed)
        async with self._sessions() as session:
            names = {
                r.code: r.name
                for r in await session.scalars(
                    select(Region).where(Region.code.in_([row.township_code, row.community_code]))
                )
            }
        return MaterialsNotice(
            application_number=row.application_number,
            assistance_type_label=ASSISTANCE_TYPE_LABELS[kind],
            applicant_name_masked=mask_name(row.applicant_name),
            applicant_id_number_masked=mask_id_number(row.applicant_id_number(self._pii)),
            household_size=row.household_size,
            office=names.get(row.township_code, row.township_code),
            community=names.get(row.community_code, row.community_code),
            accepted_at=row.accepted_at,
            emergency=policy.emergency,
            provided=tuple(provided),
            missing=tuple(missing),
            waived=tuple(m for m in policy.fetchable_materials if signed and m in policy.required_materials),
            whole_process_days=policy.limits.whole_process_days,
            whole_process_extended_days=policy.limits.whole_process_extended_days,
            paperwork_days=policy.limits.emergency_paperwork_days,
        )

    async def _recorded_notice(self, application_number: str) -> list[str] | None:
        async with self._sessions() as session:
            event = await session.scalar(
                select(CaseEvent)
                .where(
                    CaseEvent.application_number == application_number, CaseEvent.kind == "materials_notice"
                )
                .order_by(CaseEvent.seq)
                .limit(1)
            )
        if event is None or not isinstance((event.data or {}).get("missing"), list):
            return None
        return [str(m) for m in event.data["missing"]]


def _type_option(policy: AssistancePolicy) -> TypeOption:
    return TypeOption(
        code=policy.assistance_type.value,
        label=policy.label or ASSISTANCE_TYPE_LABELS[policy.assistance_type],
        emergency=policy.emergency,
        required_materials=policy.required_materials,
        fetchable_materials=tuple(m for m in policy.fetchable_materials if m in policy.required_materials),
    )
