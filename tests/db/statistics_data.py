"""A small county of its own (449901, codes no other test uses) whose November 2026 figures are
computed by hand in tests/db/test_statistics.py, plus a neighbouring county (449902) whose rows
must never show up in them. Times are Beijing time; "now" is 2026-11-26 10:00."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.case_records import CaseRecordActivities
from domain.calendar import CHINA_TZ
from domain.records import CaseEventInput
from infra.models import (
    Beneficiary,
    BeneficiaryEvent,
    CaseEvent,
    CaseLimit,
    PaymentOrder,
    QuarterlyCheck,
    Recovery,
    RecoveryPayment,
    Region,
    RiskWarningRow,
    SpotCheck,
    Task,
)
from tests.factories import id_number, store_application

COUNTY, OTHER_COUNTY = "449901", "449902"
T1, T2 = "449901001", "449901002"
U1, R1, U2 = "449901001001", "449901001002", "449901002001"
OTHER_COMMUNITY = "449902001001"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=CHINA_TZ)

REGIONS = (
    (COUNTY, "统计测试县", "county", None, None),
    (T1, "东街道", "township", COUNTY, None),
    (U1, "东社区", "community", T1, "urban"),
    (R1, "东村村委会", "community", T1, "rural"),
    (T2, "西镇", "township", COUNTY, None),
    (U2, "西社区", "community", T2, "urban"),
    (OTHER_COUNTY, "邻县", "county", None, None),
    ("449902001", "邻街道", "township", OTHER_COUNTY, None),
    (OTHER_COMMUNITY, "邻社区", "community", "449902001", "urban"),
)


def cst(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=CHINA_TZ) + timedelta(hours=hour)


def _township(community: str) -> str:
    return community[:9]


async def _case(
    sessions: async_sessionmaker[AsyncSession],
    number: str,
    community: str,
    accepted: datetime,
    seq: int,
    **kw: Any,
) -> None:
    await store_application(
        sessions, number, accepted, county_code=community[:6], township_code=_township(community),
        community_code=community, applicant_id_number=id_number(seq=seq), **kw,
    )  # fmt: skip


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        for code, name, level, parent, kind in REGIONS:
            session.add(Region(code=code, name=name, level=level, parent_code=parent, urban_rural=kind))
    # -- applications of November (A1..A5), an older open case (A6), the neighbour's (A7) -------
    apps: list[tuple[str, str, datetime, dict[str, Any]]] = [
        ("ST-A1", U1, cst(11, 2), {"stage": "approved", "channel": "walk_in"}),
        ("ST-A2", R1, cst(11, 3), {"stage": "rejected", "channel": "online"}),
        ("ST-A3", U1, cst(11, 4), {"stage": "approval", "channel": "proxy", "assistance_type": "tekun", "green_channel": True}),
        ("ST-A4", R1, cst(11, 5), {"stage": "approved", "channel": "grid_report", "assistance_type": "temp_emergency"}),
        ("ST-A5", U2, cst(11, 6), {"stage": "withdrawn", "channel": "walk_in"}),
        ("ST-A6", U1, cst(10, 20), {"stage": "verification", "channel": "walk_in"}),
        ("ST-A7", OTHER_COMMUNITY, cst(11, 2), {"stage": "approved", "channel": "walk_in"}),
    ]  # fmt: skip
    # -- households enrolled earlier (H1..H6) and the neighbour's (H8) ---------------------------
    homes = [
        ("ST-H1", U1, "dibao", 3), ("ST-H2", R1, "dibao", 2), ("ST-H3", R1, "dibao", 1),
        ("ST-H4", U2, "tekun", 1), ("ST-H5", U1, "dibao", 4), ("ST-H6", U1, "dibao", 2),
        ("ST-H8", OTHER_COMMUNITY, "dibao", 2),
    ]  # fmt: skip
    assert HOME_SIZES == {number: size for number, _, _, size in homes}
    seq = 300
    for number, community, accepted, kw in apps:
        seq += 1
        await _case(sessions, number, community, accepted, seq, **kw)
    for number, community, kind, size in homes:
        seq += 1
        await _case(
            sessions, number, community, cst(3, 2), seq, stage="approved", assistance_type=kind,
            household_size=size, member_ids=[id_number(seq=600 + (seq - 300) * 6 + i) for i in range(size)],
        )  # fmt: skip
    async with sessions.begin() as session:
        session.add_all(_limits() + _oversight() + _quarterly() + _roster() + _money())
    # The timeline through the activity that writes it (it keeps each stage entry's previous
    # stage), newest first: an entry written late still ends up the previous of the next one.
    records = CaseRecordActivities(sessions)
    for event in reversed(_events()):
        await records.record_event(
            CaseEventInput(
                event.application_number, event.seq, event.at, event.kind, event.stage, event.summary
            )
        )


def _limit(
    number: str, name: str, deadline: datetime, breached: datetime | None = None, **kw: Any
) -> CaseLimit:
    community = {
        "ST-A1": U1,
        "ST-A2": R1,
        "ST-A3": U1,
        "ST-A4": R1,
        "ST-A5": U2,
        "ST-A6": U1,
        "ST-A7": OTHER_COMMUNITY,
    }[number]
    values: dict[str, Any] = {
        "application_number": number, "limit_name": name, "county_code": community[:6],
        "township_code": _township(community), "assistance_type": "dibao", "green_channel": False,
        "started_at": cst(10, 1), "deadline": deadline, "breached_at": breached, "seq": 1,
    }  # fmt: skip
    values.update(kw)
    return CaseLimit(**values)


def _limits() -> list[Any]:
    tekun: dict[str, Any] = {"assistance_type": "tekun", "green_channel": True}
    return [
        _limit("ST-A1", "whole_process", cst(11, 20, 24)),  # met (decided)
        _limit("ST-A1", "approval", cst(11, 18, 24)),  # met
        _limit("ST-A2", "verification_start", cst(11, 6, 24), cst(11, 7, 0)),  # breached
        _limit("ST-A2", "refusal_notice", cst(12, 3, 24)),  # due after the period: not counted
        _limit("ST-A3", "approval", cst(11, 25, 24), cst(11, 26, 0), **tekun),  # breached, green
        _limit("ST-A3", "verification_start", cst(11, 10, 24), **tekun),  # met, green
        _limit("ST-A3", "whole_process", cst(11, 28, 24), **tekun),  # running (ahead of now)
        _limit("ST-A4", "emergency_approval", cst(11, 6, 9), assistance_type="temp_emergency"),  # met
        _limit("ST-A5", "verification_start", cst(11, 10, 24)),  # cancelled (withdrawn)
        _limit("ST-A6", "data_check_start", cst(10, 23, 24), cst(10, 24, 0)),  # October: overdue now
        _limit("ST-A7", "approval", cst(11, 10, 24), cst(11, 11, 0)),  # the neighbour's
    ]


def _ev(number: str, seq: int, at: datetime, kind: str, stage: str) -> CaseEvent:
    return CaseEvent(application_number=number, seq=seq, at=at, kind=kind, stage=stage, summary=kind, data={})


def _stages(number: str, accepted: datetime, moves: list[tuple[datetime, str]]) -> list[CaseEvent]:
    events = [_ev(number, 1, accepted, "accepted", "intake")]
    for n, (at, stage) in enumerate(moves, 2):
        events.append(_ev(number, n, at, "stage", stage))
    return events


def _events() -> list[Any]:
    return [
        *_stages("ST-A1", cst(11, 2), [(cst(11, 2), "intake"), (cst(11, 2, 10), "verification"), (cst(11, 9), "approval"), (cst(11, 13), "approved")]),
        *_stages("ST-A2", cst(11, 3), [(cst(11, 3), "intake"), (cst(11, 3, 10), "verification"), (cst(11, 10), "approval"), (cst(11, 17), "rejected")]),
        *_stages("ST-A4", cst(11, 5), [(cst(11, 5), "intake"), (cst(11, 5, 10), "rescue"), (cst(11, 6), "paperwork"), (cst(11, 12), "approved")]),
        *_stages("ST-A5", cst(11, 6), [(cst(11, 6), "intake"), (cst(11, 6, 10), "verification"), (cst(11, 9), "withdrawn")]),
        *_stages("ST-A6", cst(10, 20), [(cst(10, 20), "intake"), (cst(10, 20, 10), "verification")]),
        *_stages("ST-A7", cst(11, 2), [(cst(11, 2), "intake"), (cst(11, 3), "verification"), (cst(11, 4), "approved")]),
        _ev("ST-A1", 20, cst(11, 8), "objection", "publicity"),
        _ev("ST-A2", 20, cst(11, 9), "objection", "publicity"),  # upheld: the case was rejected
        _ev("ST-A7", 20, cst(11, 9), "objection", "publicity"),
    ]  # fmt: skip


def _warning(number: str, rule: str, status: str, at: datetime, county: str = COUNTY) -> RiskWarningRow:
    township = {"ST-A1": T1, "ST-A2": T1, "ST-A3": T1, "ST-A7": "449902001"}[number]
    return RiskWarningRow(
        application_number=number, origin="application", period=at.date().isoformat(), county_code=county,
        township_code=township, rule=rule, title={"income_change": "收入变化超过20%", "medical_burden": "医疗自付超过30%"}[rule],
        explanation="", member=-1, observed_on=None, sources=[], figures={}, status=status, created_at=at,
    )  # fmt: skip


def _task(
    number: str, kind: str, completed: datetime, outcome: str, form: dict[str, Any] | None = None
) -> Task:
    return Task(
        task_id=f"{number}:{kind}:{completed.date()}", application_number=number, task_type=kind, stage="enrolled",
        candidate_role="investigator", region_code=T1, county_code=COUNTY, status="completed",
        created_at=completed, completed_at=completed, completed_by="inv", outcome=outcome, form=form or {},
    )  # fmt: skip


def _oversight() -> list[Any]:
    return [
        _warning("ST-A1", "income_change", "open", cst(11, 3)),
        _warning("ST-A2", "income_change", "confirmed", cst(11, 4)),
        _warning("ST-A3", "medical_burden", "cleared", cst(11, 5)),
        _warning("ST-A1", "medical_burden", "open", cst(10, 30)),  # October
        _warning("ST-A7", "income_change", "open", cst(11, 3), county=OTHER_COUNTY),
        SpotCheck(
            application_number="ST-A3", county_code=COUNTY, sampled=True, drawn_at=cst(11, 20), basis=""
        ),
        SpotCheck(
            application_number="ST-A1", county_code=COUNTY, sampled=False, drawn_at=cst(11, 12), basis=""
        ),
        _task(
            "ST-A3",
            "spot_check",
            cst(11, 21),
            "completed",
            {"consistent": False, "findings": "与乡镇调查不一致"},
        ),
    ]


def _quarterly() -> list[Any]:
    """The 2026Q3 data exchange, run 1 November: H1, H2 found nothing (two checks), H3's comparison
    raised a warning (counted through its change re-check, not here); H6 was checked in October, and
    the neighbour's H8 is not ours."""

    def check(number: str, at: datetime, warned: bool = False, county: str = COUNTY) -> QuarterlyCheck:
        return QuarterlyCheck(
            period="2026Q3", application_number=number, county_code=county, warned=warned, checked_at=at
        )

    return [
        check("ST-H1", cst(11, 1, 2)),
        check("ST-H2", cst(11, 1, 2)),
        check("ST-H3", cst(11, 1, 2), warned=True),
        check("ST-H6", cst(10, 31, 23)),
        check("ST-H8", cst(11, 1, 2), county=OTHER_COUNTY),
    ]


HOME_SIZES = {"ST-H1": 3, "ST-H2": 2, "ST-H3": 1, "ST-H4": 1, "ST-H5": 4, "ST-H6": 2, "ST-H8": 2}


def _home(
    number: str, community: str, kind: str, category: str | None, fen: int, status: str, **kw: Any
) -> Beneficiary:
    values: dict[str, Any] = {
        "application_number": number, "assistance_type": kind, "county_code": community[:6],
        "township_code": _township(community), "community_code": community, "category": category,
        "monthly_amount_fen": fen, "start_month": "2026-04", "status": status,
        # As hand-over and enrolment copy it from the application (the sizes of `homes` above).
        "household_size": HOME_SIZES[number],
    }  # fmt: skip
    values.update(kw)
    return Beneficiary(**values)


def _roster() -> list[Any]:
    return [
        _home("ST-H1", U1, "dibao", "A", 90_000, "active"),
        _home("ST-H2", R1, "dibao", "B", 50_000, "phase_out", phase_out_until="2027-01"),
        _home("ST-H3", R1, "dibao", "C", 30_000, "exited", exit_month="2026-11"),
        _home("ST-H4", U2, "tekun", None, 152_100, "exiting", exit_month="2026-12"),
        _home("ST-H5", U1, "dibao", "A", 120_000, "stopped"),
        _home("ST-H6", U1, "dibao", "B", 70_000, "active", start_month="2026-11"),
        _home("ST-H8", OTHER_COMMUNITY, "dibao", "A", 99_000, "active"),
        _task("ST-H3", "re_review", cst(10, 10), "exit"),  # October: its exit takes effect in November
        _task("ST-H4", "re_review", cst(11, 5), "exit"),
        _task("ST-H6", "re_review", cst(11, 10), "continue"),
        _task("ST-H6", "change_recheck", cst(11, 12), "adjust"),
        BeneficiaryEvent(
            application_number="ST-H5", seq=5, at=cst(11, 15), kind="stopped_for_fraud", summary="", data={}
        ),
    ]


def _order(number: str, kind: str, fen: int, status: str, **kw: Any) -> PaymentOrder:
    community = {
        "ST-H1": U1,
        "ST-H2": R1,
        "ST-H3": R1,
        "ST-H4": U2,
        "ST-H5": U1,
        "ST-H6": U1,
        "ST-A4": R1,
        "ST-H8": OTHER_COMMUNITY,
    }[number]
    assistance = {"ST-H4": "tekun", "ST-A4": "temp_emergency"}.get(number, "dibao")
    month = kw.pop("month", "2026-11")
    values: dict[str, Any] = {
        "order_key": f"{number}:{kind}:{month}", "application_number": number, "kind": kind, "month": month,
        "county_code": community[:6], "township_code": _township(community), "assistance_type": assistance,
        "amount_fen": fen, "form_of_aid": "cash", "status": status, "attempts": 1, "ordered_at": cst(11, 1),
    }  # fmt: skip
    values.update(kw)
    return PaymentOrder(**values)


def _money() -> list[Any]:
    return [
        _order("ST-H1", "monthly", 90_000, "paid", paid_at=cst(11, 10, 10), batch_id="STB-1"),
        _order("ST-H2", "monthly", 50_000, "paid", paid_at=cst(11, 10, 10), batch_id="STB-1"),
        _order("ST-H6", "monthly", 70_000, "paid", paid_at=cst(11, 18, 10), batch_id="STB-2", attempts=2),
        _order("ST-H4", "monthly", 152_100, "failed", batch_id="STB-1", failure_reason="account_closed"),
        _order("ST-H5", "monthly", 120_000, "paid", paid_at=cst(11, 10, 10), batch_id="STB-1"),
        _order(
            "ST-A4",
            "rescue",
            200_000,
            "delivered",
            month=None,
            ordered_at=cst(11, 5, 12),
            paid_at=cst(11, 5, 15),
        ),
        _order(
            "ST-H3", "monthly", 30_000, "paid", month="2026-10", paid_at=cst(10, 10, 10), batch_id="STB-0"
        ),
        _order("ST-H8", "monthly", 99_000, "paid", paid_at=cst(11, 10, 10), batch_id="OTB-1"),
        Recovery(
            application_number="ST-H5",
            county_code=COUNTY,
            since_month="2026-09",
            amount_due_fen=360_000,
            amount_recovered_fen=100_000,
            status="open",
            findings="隐瞒收入",
            decided_by="approver",
            created_at=cst(11, 15),
        ),
    ]


async def record_repayment(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The repayment needs the recovery's id."""
    from sqlalchemy import select

    async with sessions.begin() as session:
        recovery_id = await session.scalar(select(Recovery.id).where(Recovery.application_number == "ST-H5"))
        assert recovery_id is not None
        session.add(
            RecoveryPayment(
                recovery_id=recovery_id, reference="ST-R1", amount_fen=100_000, received_on=date(2026, 11, 20),
                recorded_by="finance", recorded_at=cst(11, 20),
            )
        )  # fmt: skip
