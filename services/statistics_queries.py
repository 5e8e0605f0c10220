"""The SQL behind the statistics (services/statistics.py): one function per group of figures, each
a few GROUP BY aggregates over the application database, counted into the result models in
Python. Every figure's formula is in FORMULAS (services/statistics_formulas.py) and the notes.

`Scope` says what is counted: a region (county or township code: a case belongs to it by its
community's code prefix), the period's instants (Beijing days) and months, and optionally one
assistance type. Nothing here reads Temporal: the workflow's projections (tasks, timeline,
case_limits, payment orders) are what the bureau's figures are made of.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import CHINA_TZ, DayOverride, WorkingDayCalendar
from domain.enums import (
    ASSISTANCE_TYPE_LABELS,
    STAGE_LABELS,
    URBAN_RURAL_LABELS,
    AssistanceType,
    Channel,
    Stage,
    UrbanRural,
)
from domain.limits import LIMIT_LABELS, LimitName
from domain.payroll import OrderKind, OrderStatus
from domain.statistics import (
    ApplicationFigures,
    ChannelCount,
    CheckCounts,
    DurationFigures,
    ExitGroup,
    LimitCounts,
    LimitFigure,
    LimitFigures,
    MoneyFigures,
    MoneyGroup,
    Outcomes,
    OversightFigures,
    Period,
    PreciseIdentification,
    RosterFigures,
    RosterGroup,
    RuleWarnings,
    StageCount,
    StageDuration,
    TownshipLimitFigure,
    TypeLimitFigure,
    TypeOutcomes,
    durations,
    mean_fen,
    rate,
)
from domain.tasks import TaskType
from infra.models import (
    Application,
    Beneficiary,
    BeneficiaryEvent,
    CalendarDay,
    CaseEvent,
    CaseLimit,
    PaymentOrder,
    Recovery,
    RecoveryPayment,
    Region,
    RiskWarningRow,
    SpotCheck,
    Task,
)

CHANNEL_LABELS = {
    Channel.WALK_IN.value: "窗口受理",
    Channel.ONLINE.value: "网上申请",
    Channel.PROXY.value: "帮办代办",
    Channel.GRID_REPORT.value: "网格员上报",
}
ENDED = (Stage.APPROVED.value, Stage.REJECTED.value, Stage.WITHDRAWN.value, Stage.CLOSED.value)
DECIDED = (Stage.APPROVED.value, Stage.REJECTED.value)
CANCELLING = (Stage.WITHDRAWN.value, Stage.CLOSED.value)
# On the roster in a month: enrolled and not (yet) exited; a household stopped for fraud is not.
ON_ROSTER = ("active", "phase_out", "exiting", "exited")
EXIT_LABELS = {
    "ineligible": "复核认定不符合条件",
    "phase_out": "渐退期满",
    "fraud": "查实骗取救助停发",
    "other": "其他",
}
CLASS_LABELS = {"A": "A类", "B": "B类", "C": "C类", "": "未分类"}
PAID = (OrderStatus.PAID.value, OrderStatus.DELIVERED.value)
REVIEWS = (TaskType.RE_REVIEW.value, TaskType.CHANGE_RECHECK.value)


@dataclass(frozen=True)
class Scope:
    region: str  # a county (6 digits) or township (9 digits) code
    period: Period
    assistance_type: AssistanceType | None
    now: datetime
    payroll_day: int

    @property
    def county(self) -> str:
        return self.region[:6]

    @property
    def start(self) -> datetime:
        return self.period.start_at

    @property
    def end(self) -> datetime:
        return self.period.end_at

    def in_period(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)

    def type_is(self, column: Any) -> list[ColumnElement[bool]]:
        return [column == self.assistance_type.value] if self.assistance_type else []

    def case_in_region(self) -> list[ColumnElement[bool]]:
        """Conditions on Application: the case is in the region (and of the type)."""
        return [
            Application.county_code == self.county,
            Application.community_code.startswith(self.region, autoescape=True),
            *self.type_is(Application.assistance_type),
        ]

    def case_exists(self, number: Any) -> ColumnElement[bool]:
        """The application `number` is a case of the scope (for tables without region columns)."""
        return exists().where(Application.application_number == number, *self.case_in_region())


def _type_label(value: str) -> str:
    try:
        return ASSISTANCE_TYPE_LABELS[AssistanceType(value)]
    except ValueError:
        return value


def _stage_label(value: str) -> str:
    try:
        return STAGE_LABELS[Stage(value)]
    except ValueError:
        return value


def _outcome(stage: str) -> str:
    return stage if stage in ENDED else "open"


# -- applications ----------------------------------------------------------------------------
async def applications(session: AsyncSession, s: Scope) -> ApplicationFigures:
    a = Application
    rows = await session.execute(
        select(a.assistance_type, a.channel, a.stage, func.count())
        .where(*s.case_in_region(), s.in_period(a.accepted_at))
        .group_by(a.assistance_type, a.channel, a.stage)
    )
    totals: dict[str, int] = defaultdict(int)
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_channel: dict[str, int] = defaultdict(int)
    open_stage: dict[str, int] = defaultdict(int)
    for kind, channel, stage, count in rows:
        outcome = _outcome(stage)
        totals[outcome] += count
        totals["received"] += count
        by_type[kind][outcome] += count
        by_type[kind]["received"] += count
        by_channel[channel] += count
        if outcome == "open":
            open_stage[stage] += count
    return ApplicationFigures(
        totals=Outcomes(**totals),
        by_type=[
            TypeOutcomes(assistance_type=k, label=_type_label(k), **v) for k, v in sorted(by_type.items())
        ],
        by_channel=[
            ChannelCount(channel=c, label=CHANNEL_LABELS.get(c, c), received=by_channel.get(c, 0))
            for c in [*CHANNEL_LABELS, *sorted(set(by_channel) - set(CHANNEL_LABELS))]
        ],
        open_by_stage=[
            StageCount(stage=st.value, label=STAGE_LABELS[st], count=open_stage[st.value])
            for st in Stage
            if st.value not in ENDED
        ],
        approval_rate=rate(totals["approved"], totals["approved"] + totals["rejected"]),
    )


# -- time limits ------------------------------------------------------------------------------
def limit_state(s: Scope) -> Any:
    """breached (the workflow flagged it) / cancelled (case withdrawn or given up) / met (its
    deadline passed unflagged, or the case is decided) / running (deadline still ahead)."""
    c = CaseLimit
    return case(
        (c.breached_at.is_not(None), literal("breached")),
        (Application.stage.in_(CANCELLING), literal("cancelled")),
        (c.deadline <= s.now, literal("met")),
        (Application.stage == Stage.APPROVED.value, literal("met")),
        (
            and_(Application.stage == Stage.REJECTED.value, c.limit_name != LimitName.REFUSAL_NOTICE.value),
            literal("met"),
        ),
        else_=literal("running"),
    )


def _counts(tally: dict[str, int]) -> dict[str, Any]:
    met, breached = tally.get("met", 0), tally.get("breached", 0)
    return {
        "met": met,
        "breached": breached,
        "running": tally.get("running", 0),
        "on_time_rate": rate(met, met + breached),
    }


async def limits(session: AsyncSession, s: Scope) -> LimitFigures:
    c = CaseLimit
    # The state in a subquery: grouping by an expression with bound values fails on PostgreSQL
    # (the SELECT's and the GROUP BY's parameters are numbered apart).
    judged = (
        select(
            c.limit_name, c.township_code, c.assistance_type, c.green_channel, limit_state(s).label("state")
        )
        .join(Application, Application.application_number == c.application_number)
        .where(
            c.county_code == s.county,
            c.township_code.startswith(s.region, autoescape=True),
            *s.type_is(c.assistance_type),
            s.in_period(c.deadline),
        )
        .subquery()
    )
    j = judged.c
    rows = await session.execute(
        select(
            j.limit_name, j.township_code, j.assistance_type, j.green_channel, j.state, func.count()
        ).group_by(j.limit_name, j.township_code, j.assistance_type, j.green_channel, j.state)
    )
    overall: dict[str, int] = defaultdict(int)
    per_limit: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_township: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    green: dict[str, int] = defaultdict(int)
    for name, township, kind, is_green, st, count in rows:
        for tally in (overall, per_limit[name], per_township[township], per_type[kind]):
            tally[st] += count
        if is_green:
            green[st] += count
    names = dict(
        (
            await session.execute(select(Region.code, Region.name).where(Region.code.in_(list(per_township))))
        ).all()
    )
    overdue = await session.scalar(
        select(func.count(func.distinct(c.application_number)))
        .join(Application, Application.application_number == c.application_number)
        .where(
            c.county_code == s.county,
            c.township_code.startswith(s.region, autoescape=True),
            *s.type_is(c.assistance_type),
            c.breached_at.is_not(None),
            Application.stage.not_in(ENDED),
        )
    )
    known = [n.value for n in LimitName]
    ordered = [n for n in known if n in per_limit] + sorted(set(per_limit) - set(known))
    return LimitFigures(
        overall=LimitCounts(**_counts(overall)),
        per_limit=[
            LimitFigure(
                limit=n, label=LIMIT_LABELS.get(LimitName(n), n) if n in known else n, **_counts(per_limit[n])
            )
            for n in ordered
        ],
        per_township=[
            TownshipLimitFigure(township_code=t, name=names.get(t, t), **_counts(v))
            for t, v in sorted(per_township.items())
        ],
        per_type=[
            TypeLimitFigure(assistance_type=k, label=_type_label(k), **_counts(v))
            for k, v in sorted(per_type.items())
        ],
        overdue_now=int(overdue or 0),
        green_channel=LimitCounts(**_counts(green)),
        emergency_within_24h=LimitCounts(**_counts(per_limit.get(LimitName.EMERGENCY_APPROVAL.value, {}))),
    )


# -- working days per stage -------------------------------------------------------------------
class _WorkingDayIndex:
    """Working days between two dates in O(1): a running count over the days the data spans."""

    def __init__(self, calendar: WorkingDayCalendar, first: date, last: date) -> None:
        self._first = first
        self._cum = [0]
        day = first
        while day <= last:
            day += timedelta(days=1)
            self._cum.append(self._cum[-1] + calendar.is_working_day(day))

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end], as WorkingDayCalendar.working_days_between."""
        if end <= start:
            return 0
        return self._cum[(end - self._first).days] - self._cum[(start - self._first).days]


async def working_calendar(session: AsyncSession) -> WorkingDayCalendar:
    days = await session.scalars(select(CalendarDay))
    overrides = [DayOverride(d.day, d.is_working_day, d.name) for d in days]
    return WorkingDayCalendar.from_overrides(overrides)


async def stage_durations(session: AsyncSession, s: Scope) -> DurationFigures:
    e = CaseEvent
    kinds = ("accepted", "stage")
    moved_in_period = (
        select(e.application_number)
        .join(Application, Application.application_number == e.application_number)
        .where(e.kind == "stage", s.in_period(e.at), *s.case_in_region())
    )
    rows = (
        await session.execute(
            select(e.application_number, e.seq, e.at, e.kind, e.stage)
            .where(e.application_number.in_(moved_in_period), e.kind.in_(kinds))
            .order_by(e.application_number, e.seq)
        )
    ).all()
    per_stage: dict[str, list[int]] = defaultdict(list)
    whole: list[int] = []
    if rows:
        local = [r.at.astimezone(CHINA_TZ).date() for r in rows]
        index = _WorkingDayIndex(await working_calendar(session), min(local), max(local))
        by_case: dict[str, list[tuple[datetime, date, str, str]]] = defaultdict(list)
        for r, day in zip(rows, local, strict=True):
            by_case[r.application_number].append((r.at, day, r.kind, r.stage))
        for events in by_case.values():
            stages = [ev for ev in events if ev[2] == "stage"]
            for (_, day, _, stage), (at_next, day_next, _, _) in pairwise(stages):
                if s.start <= at_next < s.end:
                    per_stage[stage].append(index.between(day, day_next))
            accepted = next((ev for ev in events if ev[2] == "accepted"), None)
            decided = next((ev for ev in stages if ev[3] in DECIDED), None)
            if accepted and decided and s.start <= decided[0] < s.end:
                whole.append(index.between(accepted[1], decided[1]))
    order = [st.value for st in Stage]
    return DurationFigures(
        per_stage=[
            StageDuration(stage=st, label=_stage_label(st), **durations(per_stage[st]).model_dump())
            for st in sorted(per_stage, key=lambda v: order.index(v) if v in order else len(order))
        ],
        whole_process=durations(whole),
    )


# -- objections, warnings, spot checks -------------------------------------------------------
async def oversight(session: AsyncSession, s: Scope) -> OversightFigures:
    e = CaseEvent
    objected = (
        select(e.application_number, Application.stage)
        .join(Application, Application.application_number == e.application_number)
        .where(e.kind == "objection", s.in_period(e.at), *s.case_in_region())
    )
    objections = (await session.execute(objected)).all()
    upheld = {number for number, stage in objections if stage == Stage.REJECTED.value}
    w = RiskWarningRow
    warning_rows = await session.execute(
        select(w.rule, func.min(w.title), w.status, func.count())
        .where(
            w.county_code == s.county,
            w.township_code.startswith(s.region, autoescape=True),
            s.in_period(w.created_at),
            *([s.case_exists(w.application_number)] if s.assistance_type else []),
        )
        .group_by(w.rule, w.status)
    )
    rules: dict[str, dict[str, Any]] = {}
    for rule, title, status, count in warning_rows:
        entry = rules.setdefault(
            rule, {"rule": rule, "title": title, "raised": 0, "open": 0, "cleared": 0, "confirmed": 0}
        )
        entry["raised"] += count
        if status in ("open", "cleared", "confirmed"):
            entry[status] += count
    sc = SpotCheck
    drawn = await session.scalar(
        select(func.count()).where(
            sc.county_code == s.county,
            sc.sampled.is_(True),
            s.in_period(sc.drawn_at),
            s.case_exists(sc.application_number),
        )
    )
    consistent, inconsistent = await spot_check_results(session, s)
    return OversightFigures(
        objections_filed=len(objections),
        objections_upheld=len(upheld),
        warnings=[RuleWarnings(**v) for _, v in sorted(rules.items())],
        spot_checks_drawn=int(drawn or 0),
        spot_checks_done=consistent + inconsistent,
        spot_checks_consistent=consistent,
        spot_checks_inconsistent=inconsistent,
    )


async def spot_check_results(session: AsyncSession, s: Scope) -> tuple[int, int]:
    """Spot-check tasks completed in the period: (consistent, inconsistent), by the form's answer."""
    t = Task
    forms = await session.scalars(
        select(t.form).where(
            t.county_code == s.county,
            t.task_type == TaskType.SPOT_CHECK.value,
            t.status == "completed",
            s.in_period(t.completed_at),
            s.case_exists(t.application_number),
        )
    )
    answers = [bool((form or {}).get("consistent")) for form in forms]
    return sum(answers), len(answers) - sum(answers)


# -- roster ----------------------------------------------------------------------------------
def on_roster(s: Scope, month: str) -> list[ColumnElement[bool]]:
    b = Beneficiary
    return [
        b.county_code == s.county,
        b.community_code.startswith(s.region, autoescape=True),
        *s.type_is(b.assistance_type),
        b.status.in_(ON_ROSTER),
        b.start_month <= month,
        or_(b.exit_month.is_(None), b.exit_month > month),
    ]


async def roster(session: AsyncSession, s: Scope, standard_fen: int | None) -> RosterFigures:
    b = Beneficiary
    month = s.period.months[-1]
    rows = await session.execute(
        select(
            b.assistance_type, b.category, Region.urban_rural,
            b.status, func.count(), func.sum(Application.household_size), func.sum(b.monthly_amount_fen),
        )
        .join(Application, Application.application_number == b.application_number)
        .outerjoin(Region, Region.code == b.community_code)
        .where(*on_roster(s, month))
        .group_by(b.assistance_type, b.category, Region.urban_rural, b.status)
    )  # fmt: skip
    groups: dict[str, dict[str, list[int]]] = {"type": {}, "class": {}, "area": {}}
    households = persons = benefit = phase_out = 0
    for kind, category, area, status, count, size, fen in rows:
        size, fen, category, area = int(size or 0), int(fen or 0), category or "", area or ""
        households, persons, benefit = households + count, persons + size, benefit + fen
        if status == "phase_out":
            phase_out += count
        for group, key in (("type", kind), ("class", category), ("area", area)):
            acc = groups[group].setdefault(key, [0, 0, 0])
            acc[0], acc[1], acc[2] = acc[0] + count, acc[1] + size, acc[2] + fen
    area_labels = {u.value: URBAN_RURAL_LABELS[u] for u in UrbanRural} | {"": "未标注"}

    def grouped(group: str, labels: dict[str, str] | None) -> list[RosterGroup]:
        return [
            RosterGroup(
                key=k, label=(labels or {}).get(k, _type_label(k) if labels is None else k),
                households=v[0], persons=v[1], benefit_fen=v[2],
            )
            for k, v in sorted(groups[group].items())
        ]  # fmt: skip

    return RosterFigures(
        households=households,
        persons=persons,
        benefit_fen=benefit,
        by_type=grouped("type", None),
        by_class=grouped("class", CLASS_LABELS),
        by_area=grouped("area", area_labels),
        phase_out_households=phase_out,
        exits=await exits(session, s),
        mean_standard_fen=standard_fen,
        mean_benefit_fen=mean_fen(benefit, persons),
    )


async def exits(session: AsyncSession, s: Scope) -> list[ExitGroup]:
    b, t = Beneficiary, Task
    found_ineligible = exists().where(
        t.application_number == b.application_number,
        t.task_type.in_(REVIEWS),
        t.status == "completed",
        t.outcome == "exit",
    )
    reason = case(
        (found_ineligible, literal("ineligible")), (b.phase_out_until.is_not(None), literal("phase_out")),
        else_=literal("other"),
    ).label("reason")  # fmt: skip
    exited = (
        select(reason)
        .where(
            b.county_code == s.county,
            b.community_code.startswith(s.region, autoescape=True),
            *s.type_is(b.assistance_type),
            b.status != "stopped",
            b.exit_month.in_(s.period.months),
        )
        .subquery()
    )
    rows = await session.execute(select(exited.c.reason, func.count()).group_by(exited.c.reason))
    tally: dict[str, int] = {str(k): int(v) for k, v in rows}
    tally["fraud"] = await fraud_stops(session, s)
    return [ExitGroup(reason=k, label=v, households=int(tally.get(k, 0))) for k, v in EXIT_LABELS.items()]


async def fraud_stops(session: AsyncSession, s: Scope) -> int:
    b, ev = Beneficiary, BeneficiaryEvent
    count = await session.scalar(
        select(func.count(func.distinct(ev.application_number)))
        .join(b, b.application_number == ev.application_number)
        .where(
            b.county_code == s.county,
            b.community_code.startswith(s.region, autoescape=True),
            *s.type_is(b.assistance_type),
            ev.kind == "stopped_for_fraud",
            s.in_period(ev.at),
        )
    )
    return int(count or 0)


# -- money -----------------------------------------------------------------------------------
def orders_in_period(s: Scope) -> list[ColumnElement[bool]]:
    o = PaymentOrder
    return [
        o.county_code == s.county,
        o.township_code.startswith(s.region, autoescape=True),
        *s.type_is(o.assistance_type),
        o.kind != OrderKind.RECOVERY.value,
        o.status != OrderStatus.CANCELLED.value,
        or_(o.month.in_(s.period.months), and_(o.month.is_(None), s.in_period(o.ordered_at))),
    ]


def payday_end(month: str, payroll_day: int) -> datetime:
    """The end of the county's payment day of `month` (Beijing): credited before it is on time."""
    year, mon = int(month[:4]), int(month[5:7])
    return datetime(year, mon, payroll_day, tzinfo=CHINA_TZ) + timedelta(days=1)


async def money(session: AsyncSession, s: Scope) -> MoneyFigures:
    o = PaymentOrder
    on_time = case(
        *[
            (and_(o.month == m, o.paid_at < payday_end(m, s.payroll_day)), 1)
            for m in s.period.months
        ],
        else_=0,
    )  # fmt: skip
    recovered_later = exists().where(
        Recovery.application_number == o.application_number,
        or_(o.month.is_(None), Recovery.since_month <= o.month),
    )
    paid = o.status.in_(PAID)
    rows = (
        await session.execute(
            select(
                o.assistance_type, o.month, o.kind, func.count(),
                func.sum(case((paid, 1), else_=0)), func.sum(case((paid, o.amount_fen), else_=0)),
                func.sum(case((o.status == OrderStatus.FAILED.value, 1), else_=0)),
                func.sum(case((o.attempts > 1, 1), else_=0)),
                func.sum(case((and_(o.attempts > 1, paid), 1), else_=0)),
                func.sum(case((and_(o.kind == OrderKind.MONTHLY.value, paid), on_time), else_=0)),
                func.sum(case((and_(paid, ~recovered_later), 1), else_=0)),
                func.sum(case((and_(paid, o.batch_id.is_not(None)), 1), else_=0)),
            )
            .where(*orders_in_period(s))
            .group_by(o.assistance_type, o.month, o.kind)
        )
    ).all()  # fmt: skip
    total: dict[str, int] = defaultdict(int)
    by_type: dict[str, list[int]] = {}
    by_month: dict[str, list[int]] = {}
    for (
        kind,
        month,
        order_kind,
        count,
        n_paid,
        fen,
        failed,
        retried,
        retried_paid,
        timely,
        accurate,
        bank,
    ) in rows:
        values = {
            "payments": count, "paid": n_paid, "paid_fen": fen, "failed": failed, "retried": retried,
            "retried_paid": retried_paid, "timely": timely, "accurate": accurate, "bank": bank,
            "monthly": count if order_kind == OrderKind.MONTHLY.value else 0,
        }  # fmt: skip
        for key, value in values.items():
            total[key] += int(value or 0)
        for bucket, key in ((by_type, kind or ""), (by_month, month or "")):
            acc = bucket.setdefault(key, [0, 0])
            acc[0], acc[1] = acc[0] + int(n_paid or 0), acc[1] + int(fen or 0)
    recovered = await session.scalar(
        select(func.coalesce(func.sum(RecoveryPayment.amount_fen), 0))
        .join(Recovery, Recovery.id == RecoveryPayment.recovery_id)
        .where(
            Recovery.county_code == s.county,
            RecoveryPayment.received_on >= s.period.start,
            RecoveryPayment.received_on <= s.period.end,
            s.case_exists(Recovery.application_number),
        )
    )
    opened = await session.scalar(
        select(func.count()).where(
            Recovery.county_code == s.county,
            s.in_period(Recovery.created_at),
            s.case_exists(Recovery.application_number),
        )
    )
    return MoneyFigures(
        payments=total["payments"],
        paid=total["paid"],
        paid_fen=total["paid_fen"],
        by_type=[
            MoneyGroup(key=k, label=_type_label(k), payments=v[0], paid_fen=v[1])
            for k, v in sorted(by_type.items())
        ],
        by_month=[
            MoneyGroup(
                key=m, label=m, payments=by_month.get(m, [0, 0])[0], paid_fen=by_month.get(m, [0, 0])[1]
            )
            for m in s.period.months
        ],
        failed_now=total["failed"],
        retried=total["retried"],
        retried_paid=total["retried_paid"],
        recovered_fen=int(recovered or 0),
        recoveries_opened=int(opened or 0),
        timeliness=rate(total["timely"], total["monthly"]),
        accuracy=rate(total["accurate"], total["paid"]),
        socialised=rate(total["bank"], total["paid"]),
    )


# -- 精准识别率 -------------------------------------------------------------------------------
async def precise_identification(session: AsyncSession, s: Scope) -> PreciseIdentification:
    t = Task
    rows = await session.execute(
        select(t.task_type, func.count(), func.sum(case((t.outcome == "exit", 1), else_=0)))
        .where(
            t.county_code == s.county,
            t.task_type.in_(REVIEWS),
            t.status == "completed",
            s.in_period(t.completed_at),
            s.case_exists(t.application_number),
        )
        .group_by(t.task_type)
    )
    reviews = {kind: (int(n), int(exits or 0)) for kind, n, exits in rows}
    consistent, inconsistent = await spot_check_results(session, s)
    fraud = await fraud_stops(session, s)
    re_review = reviews.get(TaskType.RE_REVIEW.value, (0, 0))
    recheck = reviews.get(TaskType.CHANGE_RECHECK.value, (0, 0))
    checked = CheckCounts(
        re_reviews=re_review[0],
        change_rechecks=recheck[0],
        spot_checks=consistent + inconsistent,
        fraud_stops=fraud,
    )
    ineligible = CheckCounts(
        re_reviews=re_review[1], change_rechecks=recheck[1], spot_checks=inconsistent, fraud_stops=fraud
    )
    n_checked = checked.re_reviews + checked.change_rechecks + checked.spot_checks + checked.fraud_stops
    n_bad = (
        ineligible.re_reviews + ineligible.change_rechecks + ineligible.spot_checks + ineligible.fraud_stops
    )
    return PreciseIdentification(
        checked=checked, ineligible=ineligible, rate=rate(n_checked - n_bad, n_checked)
    )
