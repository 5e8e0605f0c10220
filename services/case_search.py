"""Finding cases (案件检索) and the township's publicity notice (公示), read from the case tables.

Both edges use it: GET /api/v1/applications and GET /api/v1/applications/publicity, and the
staff pages /staff/cases and /staff/publicity. Jurisdiction is the region prefix, as for one case
(CaseService.load): a region filter outside the caller's region is refused (403), one above it
narrows to the caller's own region. Nothing personal is a filter here (no name, no ID number):
those never travel in a URL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.cases import (
    CasePage,
    CaseSummaryOut,
    IdSearchIn,
    PublicCommunityOut,
    PublicityEntryOut,
    PublicityNoticeOut,
    PublicPublicityEntryOut,
    PublicTownshipOut,
    RegionOption,
)
from domain.enums import ASSISTANCE_TYPE_LABELS, STAGE_LABELS, AssistanceType, RegionLevel, Stage
from domain.masking import PERSONAL_DATA_ROLES, mask_id_number, mask_name
from domain.messages import field_errors
from domain.staff import Actor, Role, covers
from infra.case_start import PENDING_LABEL
from infra.models import Application, CaseEvent, DeadlineBreach, Region
from infra.pii import PiiVault
from services.audit import AuditTrail, Target
from services.errors import ApiError, forbidden
from services.workflow_gateway import WorkflowGateway

# Who prints the township's notice, and who oversees it (SPEC.md, "Staff front").
PUBLICITY_ROLES = frozenset({Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_HEAD, Role.SUPERVISOR})


@dataclass(frozen=True)
class CaseFilter:
    application_number: str | None = None  # a prefix: the window types the start of a number
    stage: Stage | None = None
    assistance_type: AssistanceType | None = None
    region_code: str | None = None
    overdue: bool = False
    limit: int = 20
    offset: int = 0


def may_search_by_id(actor: Actor) -> bool:
    """Whether the answer (has this person applied?) is the caller's to know: the roles that see
    full ID numbers in their work (domain/masking.py)."""
    return actor.role in PERSONAL_DATA_ROLES


def _breached() -> ColumnElement[bool]:
    return exists().where(DeadlineBreach.application_number == Application.application_number)


class CaseSearch:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pii: PiiVault,
        gateway: WorkflowGateway | None = None,
    ) -> None:
        self._sessions = sessions
        self._pii = pii
        self._gateway = gateway

    def _scope(self, actor: Actor, region_code: str | None) -> str:
        """The region the search covers: the filter's when inside the caller's jurisdiction."""
        if not region_code:
            return actor.region_code
        if covers(actor.region_code, region_code):
            return region_code
        if covers(region_code, actor.region_code):
            return actor.region_code  # a wider filter than the caller's region: their own
        raise forbidden("所选地区不在您的管辖范围内")

    async def search(self, actor: Actor, f: CaseFilter) -> CasePage:
        region = self._scope(actor, f.region_code)
        conditions: list[ColumnElement[bool]] = [
            Application.community_code.startswith(region, autoescape=True)
        ]
        if f.application_number:
            conditions.append(
                Application.application_number.startswith(f.application_number, autoescape=True)
            )
        if f.stage is not None:
            conditions.append(Application.stage == f.stage.value)
        if f.assistance_type is not None:
            conditions.append(Application.assistance_type == f.assistance_type.value)
        if f.overdue:
            conditions.append(_breached())
        return await self._page(conditions, f.limit, f.offset)

    async def by_id_number(self, actor: Actor, id_number: str, limit: int = 50) -> CasePage:
        """The caller's cases whose applicant has this ID number (validated by the caller's body
        model), found by its keyed digest: the number itself is never compared or stored. Only
        for the roles that may see a full ID number: the answer tells whether this person applied."""
        if not may_search_by_id(actor):
            raise forbidden("您的岗位无权按身份证号查找案件")
        conditions = [
            Application.community_code.startswith(actor.region_code, autoescape=True),
            Application.applicant_id_number_digest == self._pii.digest(id_number),
        ]
        return await self._page(conditions, limit, 0)

    async def _page(self, conditions: list[ColumnElement[bool]], limit: int, offset: int) -> CasePage:
        query = select(Application, _breached().label("overdue"), Region.name).outerjoin(
            Region, Region.code == Application.community_code
        )
        query = query.where(*conditions)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(Application).where(*conditions))
            rows = (
                await session.execute(
                    query.order_by(Application.accepted_at.desc(), Application.application_number)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
        items = [_summary(row, bool(overdue), name) for row, overdue, name in rows]
        return CasePage(items=items, total=int(total or 0), limit=limit, offset=offset)

    async def regions(self, actor: Actor) -> list[RegionOption]:
        """The townships and communities the caller may filter by (their own region first)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Region)
                .where(Region.code.startswith(actor.region_code, autoescape=True))
                .order_by(Region.code)
            )
            return [RegionOption(code=r.code, name=r.name, level=r.level) for r in rows]

    async def publicity(self, actor: Actor) -> list[PublicityNoticeOut]:
        """The cases of the caller's township (a county supervisor: of each township of the
        county) now in publicity, masked as a public notice must be."""
        if actor.role not in PUBLICITY_ROLES:
            raise forbidden("公示名单仅限乡镇审核人员、乡镇（街道）负责人和监督人员查看")
        extra = {actor.region_code} if actor.region_code and len(actor.region_code) == 9 else set()
        rows, rounds, names = await self._in_publicity(
            Application.community_code.startswith(actor.region_code, autoescape=True), extra
        )
        notices: dict[str, PublicityNoticeOut] = {}
        if len(actor.region_code) == 9:
            notices[actor.region_code] = _notice(actor.region_code, names)
        for row in rows:
            notice = notices.setdefault(row.township_code, _notice(row.township_code, names))
            notice.entries.append(await self._entry(row, rounds.get(row.application_number, []), names))
        return list(notices.values())

    async def _in_publicity(
        self, where: ColumnElement[bool], region_codes: set[str]
    ) -> tuple[list[Application], dict[str, list[CaseEvent]], dict[str, str]]:
        """The cases now in publicity under the condition, their publicity rounds (events), and
        the names of their townships and communities (and of the given regions)."""
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(Application)
                    .where(Application.stage == Stage.PUBLICITY.value, where)
                    .order_by(Application.township_code, Application.application_number)
                )
            )
            numbers = [r.application_number for r in rows]
            events = list(
                await session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.application_number.in_(numbers), CaseEvent.kind == "publicity")
                    .order_by(CaseEvent.application_number, CaseEvent.seq)
                )
            )
            codes = {r.township_code for r in rows} | {r.community_code for r in rows} | region_codes
            found = await session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
            names = {str(code): str(name) for code, name in found.all()}
        rounds: dict[str, list[CaseEvent]] = {}
        for event in events:
            rounds.setdefault(event.application_number, []).append(event)
        return rows, rounds, names

    # -- the public page (no sign-in): masked fields only, nothing else leaves --
    def public_ref(self, application_number: str) -> str:
        """The public page's name for a case: a keyed digest, so the application number (and
        with it the count of a township's cases) never reaches the public."""
        return self._pii.digest(f"publicity-ref:{application_number}")[:24]

    async def public_community(self, community_code: str) -> PublicCommunityOut:
        """A community's current publicity list for anyone; 404 for a code that is no community."""
        async with self._sessions() as session:
            community = await session.scalar(
                select(Region).where(
                    Region.code == community_code, Region.level == RegionLevel.COMMUNITY.value
                )
            )
            township = (
                await session.get(Region, community.parent_code)
                if community and community.parent_code
                else None
            )
        if community is None or township is None:
            raise ApiError(404, "not_found", "未找到该村（社区）的公示")
        rows, rounds, _ = await self._in_publicity(Application.community_code == community_code, set())
        # The proposed amounts are the workflows' (one query each, side by side: a community has a
        # handful of cases in publicity at a time). Unanswered: shown as "—".
        statuses = await asyncio.gather(
            *(self._gateway.status(r.application_number) for r in rows) if self._gateway else ()
        )
        entries = []
        for i, row in enumerate(rows):
            latest, ends = _latest_round(rounds.get(row.application_number, []))
            status = statuses[i] if statuses else None
            entries.append(
                PublicPublicityEntryOut(
                    ref=self.public_ref(row.application_number),
                    assistance_type_label=ASSISTANCE_TYPE_LABELS[AssistanceType(row.assistance_type)],
                    applicant_name_masked=mask_name(row.applicant_name),
                    household_size=row.household_size,
                    proposed_amount_fen=status.proposed_amount_fen if status else None,
                    round=max(1, len(rounds.get(row.application_number, []))),
                    starts_at=latest.at if latest else row.updated_at,
                    ends_at=ends,
                )
            )
        return PublicCommunityOut(
            community_code=community.code,
            community_name=community.name,
            township_code=township.code,
            township_name=township.name,
            entries=entries,
        )

    async def public_township(self, township_code: str) -> PublicTownshipOut:
        """A township's communities and how many of their households are in publicity now."""
        async with self._sessions() as session:
            township = await session.scalar(
                select(Region).where(Region.code == township_code, Region.level == RegionLevel.TOWNSHIP.value)
            )
            if township is None:
                raise ApiError(404, "not_found", "未找到该乡镇（街道）")
            communities = list(
                await session.scalars(
                    select(Region).where(Region.parent_code == township_code).order_by(Region.code)
                )
            )
            counts = dict(
                (
                    await session.execute(
                        select(Application.community_code, func.count())
                        .where(
                            Application.stage == Stage.PUBLICITY.value,
                            Application.township_code == township_code,
                        )
                        .group_by(Application.community_code)
                    )
                ).all()
            )
        return PublicTownshipOut(
            township_code=township.code,
            township_name=township.name,
            communities=[(c.code, c.name, int(counts.get(c.code, 0))) for c in communities],
        )

    async def public_townships(self) -> list[tuple[str, str, str]]:
        """Every township as (code, name, its county's name): the public index."""
        async with self._sessions() as session:
            rows = list(await session.scalars(select(Region).order_by(Region.code)))
        counties = {r.code: r.name for r in rows if r.level == RegionLevel.COUNTY.value}
        return [
            (r.code, r.name, counties.get(r.parent_code or "", ""))
            for r in rows
            if r.level == RegionLevel.TOWNSHIP.value
        ]

    async def public_case(self, community_code: str, ref: str) -> Application | None:
        """The case a public objection names: one of the community's cases in publicity now."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Application).where(
                    Application.stage == Stage.PUBLICITY.value, Application.community_code == community_code
                )
            )
            return next((r for r in rows if self.public_ref(r.application_number) == ref), None)

    async def _entry(
        self, row: Application, rounds: list[CaseEvent], names: dict[str, str]
    ) -> PublicityEntryOut:
        latest, ends = _latest_round(rounds)
        # The proposed amount lives in the workflow (the township's opinion); one query per case
        # in publicity (a township has a handful at a time). Unanswered: printed as "—".
        status = await self._gateway.status(row.application_number) if self._gateway else None
        return PublicityEntryOut(
            application_number=row.application_number,
            assistance_type_label=ASSISTANCE_TYPE_LABELS[AssistanceType(row.assistance_type)],
            community_name=names.get(row.community_code),
            applicant_name_masked=mask_name(row.applicant_name),
            applicant_id_number_masked=mask_id_number(row.applicant_id_number(self._pii)),
            household_size=row.household_size,
            proposed_amount_fen=status.proposed_amount_fen if status else None,
            round=max(1, len(rounds)),
            starts_at=latest.at if latest else row.updated_at,
            ends_at=ends,
        )


def _latest_round(rounds: list[CaseEvent]) -> tuple[CaseEvent | None, datetime | None]:
    latest = rounds[-1] if rounds else None
    ends = (latest.data or {}).get("ends_at") if latest else None
    return latest, datetime.fromisoformat(ends) if isinstance(ends, str) else None


def _notice(code: str, names: dict[str, str]) -> PublicityNoticeOut:
    return PublicityNoticeOut(township_code=code, township_name=names.get(code, code), entries=[])


def _summary(row: Application, overdue: bool, community: str | None) -> CaseSummaryOut:
    stage = Stage(row.stage)
    return CaseSummaryOut(
        application_number=row.application_number,
        assistance_type=row.assistance_type,
        assistance_type_label=ASSISTANCE_TYPE_LABELS[AssistanceType(row.assistance_type)],
        stage=stage.value,
        stage_label=PENDING_LABEL if row.workflow_pending else STAGE_LABELS[stage],
        county_code=row.county_code,
        township_code=row.township_code,
        community_code=row.community_code,
        community_name=community,
        applicant_name_masked=mask_name(row.applicant_name),
        household_size=row.household_size,
        green_channel=row.green_channel,
        accepted_at=row.accepted_at,
        overdue=overdue,
        workflow_pending=row.workflow_pending,
    )


async def search_by_id_number(search: CaseSearch, trail: AuditTrail, actor: Actor, raw: str) -> CasePage:
    """The pages' search by ID number (a POST form): the API's body model validates it (a field
    error for the page), and the search is audited as POST /api/v1/applications/search is."""
    target = Target("application")
    try:
        try:
            wanted = IdSearchIn.model_validate({"id_number": raw})
        except ValidationError as invalid:
            raise ApiError(422, "validation_error", "提交的内容有误", errors=field_errors(invalid)) from None
        found = await search.by_id_number(actor, wanted.id_number)
    except ApiError as refusal:
        detail = {"code": refusal.code, "channel": "web"}
        await trail.record(
            actor, "application.search_by_id", target, status_code=refusal.status_code, detail=detail
        )
        raise
    await trail.record(
        actor, "application.search_by_id", target, detail={"found": found.total, "channel": "web"}
    )
    return found
