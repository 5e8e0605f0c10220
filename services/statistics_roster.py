"""The figures after enrolment (services/statistics.py): the roster, the money and 精准识别率, as
SQL aggregates over the beneficiary, payment, task and recovery tables. Scope and shared helpers:
services/statistics_queries.py."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import CHINA_TZ
from domain.enums import URBAN_RURAL_LABELS, UrbanRural
from domain.payroll import OrderKind, OrderStatus
from domain.statistics import (
    CheckCounts,
    ExitGroup,
    MoneyFigures,
    MoneyGroup,
    PreciseIdentification,
    RosterFigures,
    RosterGroup,
    mean_fen,
    rate,
)
from domain.tasks import TaskType
from infra.models import (
    Beneficiary,
    BeneficiaryEvent,
    PaymentOrder,
    QuarterlyCheck,
    Recovery,
    RecoveryPayment,
    Region,
    Task,
)
from services.statistics_queries import Scope, spot_check_results, type_label

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
    # Grouped by community (a few dozen), its urban/rural looked up once per community after:
    # joining the regions made one lookup per household.
    grouped_rows = (
        await session.execute(
            select(
                b.assistance_type, b.category, b.community_code,
                b.status, func.count(), func.sum(b.household_size), func.sum(b.monthly_amount_fen),
            )
            .where(*on_roster(s, month))
            .group_by(b.assistance_type, b.category, b.community_code, b.status)
        )
    ).all()  # fmt: skip
    kinds = await urban_rural_of(session, {row[2] for row in grouped_rows})
    rows: list[tuple[str, str | None, str | None, str, int, int | None, int | None]] = [
        (kind, category, kinds.get(community), status, count, size, fen)
        for kind, category, community, status, count, size, fen in grouped_rows
    ]
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
                key=k, label=(labels or {}).get(k, type_label(k) if labels is None else k),
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


async def urban_rural_of(session: AsyncSession, communities: set[str]) -> dict[str, str | None]:
    """The urban/rural kind of each community (None: not set, or no such region)."""
    if not communities:
        return {}
    rows = await session.execute(
        select(Region.code, Region.urban_rural).where(Region.code.in_(sorted(communities)))
    )
    return {code: kind for code, kind in rows}


async def exits(session: AsyncSession, s: Scope) -> list[ExitGroup]:
    b, t = Beneficiary, Task
    # Correlated by the household only, the rest tested inside the aggregate: with the status in
    # WHERE, SQLite walks the status index over every completed task for each household.
    exit_reviews = (
        select(
            func.sum(
                case(
                    (and_(t.task_type.in_(REVIEWS), t.status == "completed", t.outcome == "exit"), 1), else_=0
                )
            )
        )
        .where(t.application_number == b.application_number)
        .scalar_subquery()
    )
    found_ineligible = exit_reviews > 0
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
def orders_in_period(s: Scope) -> list[list[ColumnElement[bool]]]:
    """The period's orders as two selections (each served by the (county, month) index; one OR
    of them made the database read every order of the county): the orders for the period's
    months, and those without a month (rescue) ordered in the period."""
    o = PaymentOrder
    common = [
        o.county_code == s.county,
        o.township_code.startswith(s.region, autoescape=True),
        *s.type_is(o.assistance_type),
        o.kind != OrderKind.RECOVERY.value,
        o.status != OrderStatus.CANCELLED.value,
    ]
    return [[*common, o.month.in_(s.period.months)], [*common, o.month.is_(None), s.in_period(o.ordered_at)]]


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
    paid = o.status.in_(PAID)
    rows = [
        row
        for selection in orders_in_period(s)
        for row in await session.execute(
            select(
                o.assistance_type, o.month, o.kind, func.count(),
                func.sum(case((paid, 1), else_=0)), func.sum(case((paid, o.amount_fen), else_=0)),
                func.sum(case((o.status == OrderStatus.FAILED.value, 1), else_=0)),
                func.sum(case((o.attempts > 1, 1), else_=0)),
                func.sum(case((and_(o.attempts > 1, paid), 1), else_=0)),
                func.sum(case((and_(o.kind == OrderKind.MONTHLY.value, paid), on_time), else_=0)),
                func.sum(case((and_(paid, o.batch_id.is_not(None)), 1), else_=0)),
            )
            .where(*selection)
            .group_by(o.assistance_type, o.month, o.kind)
        )
    ]  # fmt: skip
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
        bank,
    ) in rows:
        values = {
            "payments": count, "paid": n_paid, "paid_fen": fen, "failed": failed, "retried": retried,
            "retried_paid": retried_paid, "timely": timely, "bank": bank,
            "monthly": count if order_kind == OrderKind.MONTHLY.value else 0,
        }  # fmt: skip
        for key, value in values.items():
            total[key] += int(value or 0)
        for bucket, key in ((by_type, kind or ""), (by_month, month or "")):
            acc = bucket.setdefault(key, [0, 0])
            acc[0], acc[1] = acc[0] + int(n_paid or 0), acc[1] + int(fen or 0)
    # Paid orders of households whose money is being recovered for that month (追回 covers the
    # months since `since_month`): few households, so counted from the recoveries side.
    recovered_orders = 0
    for selection in orders_in_period(s):
        recovered_orders += int(
            await session.scalar(
                select(func.count())
                .select_from(Recovery)
                .join(o, o.application_number == Recovery.application_number)
                .where(
                    Recovery.county_code == s.county,
                    *selection,
                    paid,
                    or_(o.month.is_(None), Recovery.since_month <= o.month),
                )
            )
            or 0
        )
    total["accurate"] = total["paid"] - recovered_orders
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
            MoneyGroup(key=k, label=type_label(k), payments=v[0], paid_fen=v[1])
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
    q = QuarterlyCheck
    # A quarterly comparison that found nothing is a check found eligible; one that raised warnings
    # is counted through the change re-check a person opens on it (not twice). A whole county of
    # every type needs no look at the case (a year's checks are ~400,000 rows: 0.6 s with it).
    narrower = (
        [] if s.region == s.county and s.assistance_type is None else [s.case_exists(q.application_number)]
    )
    quarterly = await session.scalar(
        select(func.count()).where(
            q.county_code == s.county, q.warned.is_(False), s.in_period(q.checked_at), *narrower
        )
    )
    re_review = reviews.get(TaskType.RE_REVIEW.value, (0, 0))
    recheck = reviews.get(TaskType.CHANGE_RECHECK.value, (0, 0))
    checked = CheckCounts(
        re_reviews=re_review[0],
        change_rechecks=recheck[0],
        quarterly_checks=int(quarterly or 0),
        spot_checks=consistent + inconsistent,
        fraud_stops=fraud,
    )
    ineligible = CheckCounts(
        re_reviews=re_review[1], change_rechecks=recheck[1], quarterly_checks=0,
        spot_checks=inconsistent, fraud_stops=fraud,
    )  # fmt: skip
    n_checked, n_bad = checked.total(), ineligible.total()
    return PreciseIdentification(
        checked=checked, ineligible=ineligible, rate=rate(n_checked - n_bad, n_checked)
    )
