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
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import DayOverride, WorkingDayCalendar
from domain.enums import (
    ASSISTANCE_TYPE_LABELS,
    STAGE_LABELS,
    AssistanceType,
    Channel,
    Stage,
)
from domain.limits import LIMIT_LABELS, LimitName
from domain.statistics import (
    ApplicationFigures,
    ChannelCount,
    DurationFigures,
    LimitCounts,
    LimitFigure,
    LimitFigures,
    Outcomes,
    OversightFigures,
    Period,
    RuleWarnings,
    StageCount,
    StageDuration,
    TownshipLimitFigure,
    TypeLimitFigure,
    TypeOutcomes,
    durations,
    rate,
)
from domain.tasks import TaskType
from infra.models import (
    Application,
    CalendarDay,
    CaseEvent,
    CaseLimit,
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
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # before any stored instant


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


def type_label(value: str) -> str:
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
            TypeOutcomes(assistance_type=k, label=type_label(k), **v) for k, v in sorted(by_type.items())
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
        # The limit's county is its case's: said twice so the case is found in the covering index.
        .join(
            Application,
            and_(Application.application_number == c.application_number, Application.county_code == s.county),
        )
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
        .join(
            Application,
            and_(Application.application_number == c.application_number, Application.county_code == s.county),
        )
        .where(
            c.county_code == s.county,
            c.township_code.startswith(s.region, autoescape=True),
            *s.type_is(c.assistance_type),
            # A range, not IS NOT NULL: SQLite walks the (county, breached_at) index only for a range.
            c.breached_at >= EPOCH,
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
            TypeLimitFigure(assistance_type=k, label=type_label(k), **_counts(v))
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


def china_day(session: AsyncSession, column: Any) -> Any:
    """The Beijing calendar day of a stored instant, computed by the database (both store UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def stage_durations(session: AsyncSession, s: Scope) -> DurationFigures:
    """Counted by the database per (stage, day entered, day left): a county's month is tens of
    thousands of stage moves, a few thousand distinct day pairs. Each nesting level names its
    columns so that GROUP BY never repeats an expression with bound values (PostgreSQL)."""
    e = CaseEvent
    # Each move's stage left and when it was entered are on the stage entry itself (kept by the
    # activity that writes the timeline: CaseRecordActivities.record_event).
    days = (
        select(
            e.previous_stage.label("left_stage"),
            china_day(session, e.previous_stage_at).label("entered"),
            china_day(session, e.at).label("left"),
        )
        .join(Application, Application.application_number == e.application_number)
        .where(e.kind == "stage", s.in_period(e.at), e.previous_stage_at.is_not(None), *s.case_in_region())
        .subquery()
    )
    stage_rows = (
        await session.execute(
            select(days.c.left_stage, days.c.entered, days.c.left, func.count()).group_by(
                days.c.left_stage, days.c.entered, days.c.left
            )
        )
    ).all()
    # A case is decided once (approved or rejected is its last stage): its decision in the period.
    decided = (
        select(e.application_number, func.min(e.at).label("decided_at"))
        .join(Application, Application.application_number == e.application_number)
        .where(e.kind == "stage", s.in_period(e.at), e.stage.in_(DECIDED), *s.case_in_region())
        .group_by(e.application_number)
        .subquery()
    )
    # The acceptance of each decided case, looked up by the case (a scan of every acceptance
    # entry otherwise).
    first = CaseEvent.__table__.alias("first_accepted")
    accepted_at = (
        # The kind is tested inside the aggregate, not in WHERE: there, SQLite would walk the
        # (kind, at) index over every acceptance instead of the case's few entries.
        select(func.min(case((first.c.kind == "accepted", first.c.at))))
        .where(first.c.application_number == decided.c.application_number)
        .scalar_subquery()
    )
    pairs_of = select(accepted_at.label("accepted_at"), decided.c.decided_at).offset(0).subquery()
    spans = (
        select(
            china_day(session, pairs_of.c.accepted_at).label("entered"),
            china_day(session, pairs_of.c.decided_at).label("left"),
        )
        .where(pairs_of.c.accepted_at.is_not(None))
        .subquery()
    )
    whole_rows = (
        await session.execute(
            select(spans.c.entered, spans.c.left, func.count()).group_by(spans.c.entered, spans.c.left)
        )
    ).all()
    per_stage: dict[str, list[int]] = defaultdict(list)
    whole: list[int] = []
    pairs = [(_day(a), _day(b)) for _, a, b, _ in stage_rows] + [(_day(a), _day(b)) for a, b, _ in whole_rows]
    if pairs:
        index = _WorkingDayIndex(
            await working_calendar(session), min(a for a, _ in pairs), max(max(a, b) for a, b in pairs)
        )
        for stage, entered, left, count in stage_rows:
            per_stage[stage].extend([index.between(_day(entered), _day(left))] * count)
        for entered, left, count in whole_rows:
            whole.extend([index.between(_day(entered), _day(left))] * count)
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
