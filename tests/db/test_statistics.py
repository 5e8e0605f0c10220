"""The statistics of a county of its own (tests/db/statistics_data.py), November 2026: every figure
computed by hand from the seeded rows and asserted exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.beneficiaries import BeneficiaryActivities
from activities.case_records import CaseRecordActivities
from domain.beneficiary import EnrolInput
from domain.enums import AssistanceType
from domain.policy import RegionStandards
from domain.records import CaseEventInput
from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.migrate import downgrade, upgrade
from infra.models import Beneficiary, CaseEvent, CaseLimit, Region
from services.errors import ApiError
from services.statistics import StatisticsService
from services.statistics_report import report_csv, report_xlsx
from tests.db import statistics_data as data
from tests.factories import pii_vault, store_application

pytestmark = pytest.mark.db

APPROVER = Actor("st_approver", "统计审批", Role.COUNTY_APPROVER, data.COUNTY)


def _service(engine: AsyncEngine) -> StatisticsService:
    return StatisticsService(make_session_factory(engine), lambda county: RegionStandards(), lambda: data.NOW)


async def _seeded(engine: AsyncEngine) -> StatisticsService:
    sessions = make_session_factory(engine)
    await data.seed(sessions)
    await data.record_repayment(sessions)
    return _service(engine)


def _rate(r: object) -> tuple[int, int, float | None]:
    return (r.numerator, r.denominator, r.percent)  # type: ignore[attr-defined]


async def test_every_figure_of_the_county_month(migrated: AsyncEngine) -> None:
    service = await _seeded(migrated)
    o = await service.overview(APPROVER, data.COUNTY, "2026-11")

    assert (o.region_code, o.region_name, o.period.months) == (data.COUNTY, "统计测试县", ["2026-11"])
    # -- applications: A1..A5 accepted in November (A6 in October, A7 in the other county)
    a = o.applications
    assert a.totals.model_dump() == {
        "received": 5,
        "approved": 2,
        "rejected": 1,
        "withdrawn": 1,
        "closed": 0,
        "open": 1,
    }
    assert {
        t.assistance_type: (t.received, t.approved, t.rejected, t.withdrawn, t.open) for t in a.by_type
    } == {
        "dibao": (3, 1, 1, 1, 0),
        "tekun": (1, 0, 0, 0, 1),
        "temp_emergency": (1, 1, 0, 0, 0),
    }
    assert {c.channel: c.received for c in a.by_channel} == {
        "walk_in": 2,
        "online": 1,
        "proxy": 1,
        "grid_report": 1,
    }
    assert {s.stage: s.count for s in a.open_by_stage if s.count} == {"approval": 1}
    assert _rate(a.approval_rate) == (2, 3, 66.67)

    # -- time limits due in November: 4 met, 2 breached, 1 running; withdrawn A5's cancelled
    lim = o.limits
    assert (lim.overall.met, lim.overall.breached, lim.overall.running) == (4, 2, 1)
    assert _rate(lim.overall.on_time_rate) == (4, 6, 66.67)
    assert {x.limit: (x.met, x.breached, x.running, x.on_time_rate.percent) for x in lim.per_limit} == {
        "whole_process": (1, 0, 1, 100.0),
        "verification_start": (1, 1, 0, 50.0),
        "approval": (1, 1, 0, 50.0),
        "emergency_approval": (1, 0, 0, 100.0),
    }
    assert next(x.limit for x in lim.per_limit) == "whole_process"  # in LimitName order
    assert {x.township_code: (x.name, x.met, x.breached, x.running) for x in lim.per_township} == {
        data.T1: ("东街道", 4, 2, 1),
        data.T2: ("西镇", 0, 0, 0),  # only the withdrawn case's limit: cancelled
    }
    assert {x.assistance_type: (x.met, x.breached, x.running) for x in lim.per_type} == {
        "dibao": (2, 1, 0),
        "tekun": (1, 1, 1),
        "temp_emergency": (1, 0, 0),
    }
    assert lim.overdue_now == 2  # A3 (breached in November) and A6 (in October), both still open
    assert (lim.green_channel.met, lim.green_channel.breached, lim.green_channel.running) == (1, 1, 1)
    assert _rate(lim.green_channel.on_time_rate) == (1, 2, 50.0)
    assert _rate(lim.emergency_within_24h.on_time_rate) == (1, 1, 100.0)

    # -- working days per stage (stages left in November), PRC calendar (no holiday in November)
    d = {s.stage: (s.count, s.total_days, s.mean, s.median, s.p90) for s in o.durations.per_stage}
    assert d == {
        "intake": (4, 0, 0.0, 0.0, 0),
        "verification": (3, 11, 3.67, 5.0, 5),  # A1 5, A2 5, A5 1 (withdrawn on Monday 9th)
        "approval": (2, 9, 4.5, 4.5, 5),  # A1 4, A2 5
        "rescue": (1, 1, 1.0, 1.0, 1),
        "paperwork": (1, 4, 4.0, 4.0, 4),
    }
    assert [s.stage for s in o.durations.per_stage] == [
        "intake",
        "verification",
        "approval",
        "rescue",
        "paperwork",
    ]
    w = o.durations.whole_process
    assert (w.count, w.total_days, w.mean, w.median, w.p90) == (3, 24, 8.0, 9.0, 10)  # 9, 10, 5

    # -- objections, warnings, spot checks
    ov = o.oversight
    assert (ov.objections_filed, ov.objections_upheld) == (2, 1)
    assert {r.rule: (r.raised, r.open, r.cleared, r.confirmed) for r in ov.warnings} == {
        "income_change": (2, 1, 0, 1),
        "medical_burden": (1, 0, 1, 0),
    }
    assert (
        ov.spot_checks_drawn,
        ov.spot_checks_done,
        ov.spot_checks_consistent,
        ov.spot_checks_inconsistent,
    ) == (
        1,
        1,
        0,
        1,
    )

    # -- the roster at the end of November: H1, H2 (phase-out), H4 (exit in December), H6
    r = o.roster
    assert (r.households, r.persons, r.benefit_fen, r.phase_out_households) == (4, 8, 362_100, 1)
    assert {g.key: (g.households, g.persons, g.benefit_fen) for g in r.by_type} == {
        "dibao": (3, 7, 210_000),
        "tekun": (1, 1, 152_100),
    }
    assert {g.key: (g.households, g.persons) for g in r.by_class} == {"": (1, 1), "A": (1, 3), "B": (2, 4)}
    assert {g.key: (g.label, g.households, g.persons, g.benefit_fen) for g in r.by_area} == {
        "rural": ("农村", 1, 2, 50_000),
        "urban": ("城市", 3, 6, 312_100),
    }
    assert {e.reason: e.households for e in r.exits} == {
        "ineligible": 1,
        "phase_out": 0,
        "fraud": 1,
        "other": 0,
    }
    assert r.mean_standard_fen == 117_000
    assert r.mean_benefit_fen == 45_263  # 362,100 fen ÷ 8 persons = 45,262.5, half up

    # -- money of November
    m = o.money
    assert (m.payments, m.paid, m.paid_fen) == (6, 5, 530_000)
    assert {g.key: (g.payments, g.paid_fen) for g in m.by_type} == {
        "dibao": (4, 330_000),
        "tekun": (0, 0),  # its only order failed
        "temp_emergency": (1, 200_000),
    }
    assert [(g.key, g.payments, g.paid_fen) for g in m.by_month] == [("2026-11", 4, 330_000)]
    assert (m.failed_now, m.retried, m.retried_paid) == (1, 1, 1)
    assert (m.recovered_fen, m.recoveries_opened) == (100_000, 1)
    assert _rate(m.timeliness) == (3, 5, 60.0)  # H6 credited on the 18th, H4 failed
    assert _rate(m.accuracy) == (4, 5, 80.0)  # H5's November is being recovered
    assert _rate(m.socialised) == (4, 5, 80.0)  # the rescue was handed over in cash

    # -- 精准识别率: re-reviews H4 (exit), H6; change re-check H6; the quarterly exchange's H1, H2
    # (found nothing; H3 warned, H6 in October); spot check A3 (inconsistent); fraud stop H5
    # → 7 checked, 3 found ineligible
    p = o.precise_identification
    assert p.checked.model_dump() == {
        "re_reviews": 2,
        "change_rechecks": 1,
        "quarterly_checks": 2,
        "spot_checks": 1,
        "fraud_stops": 1,
    }
    assert p.ineligible.model_dump() == {
        "re_reviews": 1,
        "change_rechecks": 0,
        "quarterly_checks": 0,
        "spot_checks": 1,
        "fraud_stops": 1,
    }
    assert _rate(p.rate) == (4, 7, 57.14)
    assert "精准识别率" in o.formulas["precise_identification.rate"]


async def test_a_township_and_a_type_narrow_the_figures(migrated: AsyncEngine) -> None:
    service = await _seeded(migrated)
    west = await service.overview(APPROVER, data.T2, "2026-11")
    assert west.applications.totals.received == 1 and west.applications.totals.withdrawn == 1
    assert (west.roster.households, west.roster.persons) == (1, 1)  # H4
    assert (west.money.payments, west.money.paid) == (1, 0)
    assert west.limits.overall.met + west.limits.overall.breached == 0
    assert west.precise_identification.checked.quarterly_checks == 0  # H1, H2 are the east's

    dibao = await service.overview(APPROVER, data.COUNTY, "2026-11", AssistanceType.DIBAO)
    assert dibao.applications.totals.model_dump() == {
        "received": 3, "approved": 1, "rejected": 1, "withdrawn": 1, "closed": 0, "open": 0,
    }  # fmt: skip
    assert (dibao.limits.overall.met, dibao.limits.overall.breached) == (2, 1)
    assert (dibao.roster.households, dibao.money.paid_fen) == (3, 330_000)
    assert dibao.precise_identification.checked.quarterly_checks == 2  # H1, H2: 低保
    tekun = await service.overview(APPROVER, data.COUNTY, "2026-11", AssistanceType.TEKUN)
    assert tekun.precise_identification.checked.quarterly_checks == 0

    quarter = await service.overview(APPROVER, data.COUNTY, "2026Q4")
    assert quarter.period.months == ["2026-10", "2026-11", "2026-12"]
    assert quarter.applications.totals.received == 6  # A6 of October too
    assert quarter.money.paid_fen == 560_000  # H3's October too
    assert quarter.precise_identification.checked.quarterly_checks == 3  # H6's October check too


async def test_regions_outside_and_periods_not_begun_are_refused(migrated: AsyncEngine) -> None:
    service = await _seeded(migrated)
    township = Actor("st_reviewer", "统计审核", Role.TOWNSHIP_REVIEWER, data.T1)
    for region in (data.COUNTY, data.T2, data.OTHER_COUNTY):
        with pytest.raises(ApiError) as refused:
            await service.overview(township, region, "2026-11")
        assert refused.value.status_code == 403
    own = await service.overview(township, None, "2026-11")
    assert own.region_code == data.T1 and own.applications.totals.received == 4
    with pytest.raises(ApiError) as other:
        await service.overview(APPROVER, data.OTHER_COUNTY, "2026-11")
    assert other.value.status_code == 403
    for period, code in (
        ("2026-12", "period_in_future"),
        ("2027", "period_in_future"),
        ("2026-13", "invalid_period"),
        ("11/2026", "invalid_period"),
    ):
        with pytest.raises(ApiError) as bad:
            await service.overview(APPROVER, None, period)
        assert (bad.value.status_code, bad.value.code) == (422, code)
    operator = Actor("st_operator", "运维", Role.OPERATOR, data.COUNTY)
    with pytest.raises(ApiError) as ops:
        await service.overview(operator, None, "2026-11")
    assert ops.value.status_code == 403


async def test_the_monthly_report_and_its_files_agree(migrated: AsyncEngine) -> None:
    service = await _seeded(migrated)
    report = await service.monthly_report(APPROVER, None, "2026-11")
    values = {r.code: r.value for r in report.rows}
    assert values == {
        "dibao_urban_households": 2, "dibao_urban_persons": 5, "dibao_urban_standard": 117_000,
        "dibao_urban_mean_benefit": 32_000, "dibao_urban_spending": 280_000,  # H1, H6, and H5 paid before the stop
        "dibao_rural_households": 1, "dibao_rural_persons": 2, "dibao_rural_standard": 117_000,
        "dibao_rural_mean_benefit": 25_000, "dibao_rural_spending": 50_000,
        "dibao_unclassified_households": 0,
        "tekun_households": 1, "tekun_persons": 1, "tekun_spending": 0,
        "temporary_times": 1, "temporary_amount": 200_000, "total_spending": 530_000,
    }  # fmt: skip
    lines = list(csv.reader(io.StringIO(report_csv(report).removeprefix("\ufeff"))))
    assert report_csv(report).startswith("\ufeff")
    assert lines[0] == ["序号", "类别", "指标", "计量单位", "本月数"]
    sheet = load_workbook(io.BytesIO(report_xlsx(report))).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == lines[0]
    for n, row in enumerate(report.rows):
        csv_line, cells = lines[n + 1], [c for c in sheet[n + 3]]
        assert csv_line[2] == cells[2].value == row.item
        if row.kind == "fen":
            assert csv_line[4] == f"{row.value // 100}.{row.value % 100:02d}"  # type: ignore[operator]
            assert cells[4].value == pytest.approx(row.value / 100, abs=1e-9)  # type: ignore[operator]
            assert cells[4].number_format == "#,##0.00"
        else:
            assert csv_line[4] == str(row.value) and cells[4].value == row.value
    township = Actor("st_reviewer", "统计审核", Role.TOWNSHIP_REVIEWER, data.T1)
    with pytest.raises(ApiError) as refused:
        await service.monthly_report(township, data.COUNTY, "2026-11")
    assert refused.value.status_code == 403


async def test_case_limits_follow_the_timeline_once(migrated: AsyncEngine) -> None:
    """The activity keeps case_limits from the entries it writes: a limit opened, its deadline
    moved, then breached; a retried entry changes nothing; a new round replaces the row."""
    sessions = make_session_factory(migrated)
    async with sessions.begin() as session:
        for code, name, level, parent, kind in data.REGIONS[:3]:
            session.add(Region(code=code, name=name, level=level, parent_code=parent, urban_rural=kind))
    await store_application(
        sessions, "ST-L1", data.cst(11, 2), county_code=data.COUNTY, township_code=data.T1, community_code=data.U1,
        green_channel=True, assistance_type="tekun",
    )  # fmt: skip
    records = CaseRecordActivities(sessions)

    def entry(seq: int, kind: str, at: datetime, **payload: object) -> CaseEventInput:
        return CaseEventInput("ST-L1", seq, at, kind, "verification", kind, data=dict(payload))

    first, moved = data.cst(11, 5, 24), data.cst(11, 9, 24)
    await records.record_event(
        entry(1, "limit_started", data.cst(11, 2), limit="verification_start", deadline=first.isoformat())
    )
    await records.record_event(
        entry(2, "deadline_moved", data.cst(11, 3), limit="verification_start", deadline=moved.isoformat())
    )
    await records.record_event(entry(3, "breach", data.cst(11, 10), limit="verification_start"))
    await records.record_event(
        entry(2, "deadline_moved", data.cst(11, 3), limit="verification_start", deadline=first.isoformat())
    )
    async with sessions() as session:
        row = await session.scalar(select(CaseLimit).where(CaseLimit.application_number == "ST-L1"))
    assert row is not None
    assert (row.county_code, row.township_code, row.assistance_type, row.green_channel) == (
        data.COUNTY,
        data.T1,
        "tekun",
        True,
    )
    assert (row.deadline, row.breached_at) == (moved.astimezone(UTC), data.cst(11, 10).astimezone(UTC))
    again = data.cst(11, 20, 24)
    await records.record_event(
        entry(4, "limit_started", data.cst(11, 12), limit="verification_start", deadline=again.isoformat())
    )
    async with sessions() as session:
        rows = list(await session.scalars(select(CaseLimit).where(CaseLimit.application_number == "ST-L1")))
    assert [(r.deadline, r.breached_at) for r in rows] == [(again.astimezone(UTC), None)]


async def test_migration_fills_case_limits_and_classifies_communities(
    migrated: AsyncEngine, db_url: str
) -> None:
    """Timelines written before 0020 give their limits; communities named …村委会 are rural. The
    regions and the case are written at head (the models are today's), then the schema goes back to
    0019 — dropping what 0020 added — before the old-style timeline is written."""
    async with migrated.begin() as connection:
        for code, name, level, parent in (
            (data.COUNTY, "统计测试县", "county", None), (data.T1, "东街道", "township", data.COUNTY),
            (data.U1, "东社区", "community", data.T1), (data.R1, "东村村委会", "community", data.T1),
        ):  # fmt: skip
            await connection.execute(
                text("INSERT INTO regions (code, name, level, parent_code) VALUES (:c, :n, :l, :p)"),
                {"c": code, "n": name, "l": level, "p": parent},
            )
    sessions = make_session_factory(migrated)
    await store_application(
        sessions,
        "ST-M1",
        data.cst(11, 2),
        county_code=data.COUNTY,
        township_code=data.T1,
        community_code=data.R1,
    )
    await asyncio.to_thread(downgrade, db_url, "0019")
    deadline = data.cst(11, 5, 24)
    async with migrated.begin() as connection:
        for seq, kind, payload in (
            (1, "limit_started", f'{{"limit": "approval", "deadline": "{deadline.isoformat()}"}}'),
            (2, "breach", '{"limit": "approval"}'),
        ):
            await connection.execute(
                text(
                    "INSERT INTO case_events (application_number, seq, at, kind, stage, summary, data) "
                    "VALUES ('ST-M1', :seq, :at, :kind, 'approval', '', :data)"
                ),
                {
                    "seq": seq,
                    "at": data.cst(11, 6).astimezone(UTC).replace(tzinfo=None)
                    if "sqlite" in db_url
                    else data.cst(11, 6),
                    "kind": kind,
                    "data": payload,
                },
            )
    await asyncio.to_thread(upgrade, db_url)
    async with sessions() as session:
        row = await session.scalar(select(CaseLimit).where(CaseLimit.application_number == "ST-M1"))
        kinds = {
            code: kind for code, kind in await session.execute(text("SELECT code, urban_rural FROM regions"))
        }
    assert row is not None and row.limit_name == "approval" and row.deadline == deadline.astimezone(UTC)
    assert row.breached_at is not None
    assert kinds == {data.COUNTY: None, data.T1: None, data.U1: "urban", data.R1: "rural"}


async def test_the_roster_counts_the_persons_the_enrolment_recorded(migrated: AsyncEngine) -> None:
    """The household size is kept on the beneficiary by the enrolment (from the application): the
    roster's persons and the monthly report's 低保人数 count it, no join."""
    sessions = make_session_factory(migrated)
    async with sessions.begin() as session:
        for code, name, level, parent, kind in data.REGIONS[:3]:
            session.add(Region(code=code, name=name, level=level, parent_code=parent, urban_rural=kind))
    await store_application(
        sessions, "ST-P1", data.cst(3, 2), county_code=data.COUNTY, township_code=data.T1,
        community_code=data.U1, household_size=3, stage="approved",
    )  # fmt: skip
    await store_application(
        sessions, "ST-P2", data.cst(3, 3), county_code=data.COUNTY, township_code=data.T1,
        community_code=data.U1, household_size=2, stage="approved",
    )  # fmt: skip
    enrolment = BeneficiaryActivities(sessions, pii_vault())
    for number in ("ST-P1", "ST-P2"):
        await enrolment.enrol(
            EnrolInput(number, AssistanceType.DIBAO, data.COUNTY, data.T1, data.U1, "A", 60_000, "2026-04")
        )
    service = _service(migrated)
    overview = await service.overview(APPROVER, data.COUNTY, "2026-11")
    assert (overview.roster.households, overview.roster.persons) == (2, 5)
    assert overview.roster.mean_benefit_fen == 24_000  # 120,000 fen ÷ 5 persons
    report = await service.monthly_report(APPROVER, data.COUNTY, "2026-11")
    rows = {r.code: r.value for r in report.rows}
    assert (rows["dibao_urban_households"], rows["dibao_urban_persons"]) == (2, 5)


async def test_migration_fills_the_household_size_of_beneficiaries(
    migrated: AsyncEngine, db_url: str
) -> None:
    """Beneficiaries written before 0024 get their application's household size, stage entries the
    stage they leave."""
    await asyncio.to_thread(downgrade, db_url, "0023")
    sessions = make_session_factory(migrated)
    async with sessions.begin() as session:
        for code, name, level, parent, kind in data.REGIONS[:3]:
            session.add(Region(code=code, name=name, level=level, parent_code=parent, urban_rural=kind))
    await store_application(
        sessions, "ST-M2", data.cst(3, 2), county_code=data.COUNTY, township_code=data.T1,
        community_code=data.U1, household_size=4,
    )  # fmt: skip
    async with migrated.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO beneficiaries (application_number, assistance_type, county_code, township_code,"
                " community_code, monthly_amount_fen, start_month, status, masked_name, masked_id_number,"
                " integrity_mark) VALUES ('ST-M2', 'dibao', :county, :township, :community, 50000, '2026-04',"
                " 'active', '', '', false)"
            ),
            {"county": data.COUNTY, "township": data.T1, "community": data.U1},
        )
        for seq, kind, stage, day in (
            (1, "accepted", "intake", 2),
            (2, "stage", "intake", 2),
            (3, "stage", "verification", 4),
        ):
            await connection.execute(
                text(
                    "INSERT INTO case_events (application_number, seq, at, kind, stage, summary, data) "
                    "VALUES ('ST-M2', :seq, :at, :kind, :stage, '', '{}')"
                ),
                {
                    "seq": seq, "kind": kind, "stage": stage,
                    "at": data.cst(3, day).astimezone(UTC).replace(tzinfo=None) if "sqlite" in db_url else data.cst(3, day),
                },
            )  # fmt: skip
    await asyncio.to_thread(upgrade, db_url)
    async with sessions() as session:
        size = await session.scalar(
            select(Beneficiary.household_size).where(Beneficiary.application_number == "ST-M2")
        )
    assert size == 4
    async with sessions() as session:
        moves = (
            await session.execute(
                select(CaseEvent.seq, CaseEvent.previous_stage, CaseEvent.previous_stage_at)
                .where(CaseEvent.application_number == "ST-M2")
                .order_by(CaseEvent.seq)
            )
        ).all()
    # Each stage entry gets the stage it leaves: none before the first one.
    assert moves == [(1, None, None), (2, None, None), (3, "intake", data.cst(3, 2).astimezone(UTC))]
