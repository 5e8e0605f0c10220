"""A household's department records, generated from the population seed and its household id.

Figures are plausible for Guangzhou in 2026: minimum wage 2,300 元, unemployment benefit at 90 % of
it, urban–rural resident pensions of a few hundred 元, housing at 40–60 thousand 元 per ㎡. Each
profile (see `Profile`) shapes the records so that the risk rules have something to find.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from simulators.departments.household import Household, Member, Profile, age_on
from simulators.departments.names import BANKS, BROKERS, HOSPITALS, employer, shop_name
from simulators.departments.records import (
    Business,
    Holding,
    HousingFundAccount,
    Income,
    IncomeSource,
    PersonRecords,
    Property,
    Settlement,
    Vehicle,
    VehicleTypeCode,
)

HISTORY_MONTHS = 24
MIN_WAGE_FEN = 230_000
UNEMPLOYMENT_BENEFIT_FEN = 207_000
DISTRICT_NAMES = {"440105": "海珠区", "440106": "天河区"}


def months_before(day: date, count: int) -> list[str]:
    """The `count` calendar months before `day`'s month, oldest first, as YYYY-MM."""
    year, month = day.year, day.month
    out: list[str] = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


@dataclass
class _Ctx:
    rng: random.Random
    reference: date
    months: list[str]
    district: str

    def yuan(self, low: int, high: int) -> int:
        """A random amount between two figures in 元, in fen."""
        return self.rng.randint(low * 100, high * 100)

    def days_ago(self, low: int, high: int) -> date:
        return self.reference - timedelta(days=self.rng.randint(low, high))

    def monthly(
        self, rec: PersonRecords, source: IncomeSource, base: int, payer: str, months: list[str]
    ) -> None:
        """The same income every month; wages and rents vary a little, benefits do not."""
        jitter = 0.0 if source is IncomeSource.UNEMPLOYMENT else 0.05
        for month in months:
            amount = int(base * self.rng.uniform(1 - jitter, 1 + jitter))
            rec.incomes.append(Income(month, source, amount, payer))


def generate_records(household: Household, seed: int, reference: date) -> list[PersonRecords]:
    rng = random.Random(f"{seed}:{household.household_id}")
    ctx = _Ctx(
        rng,
        reference,
        months_before(reference, HISTORY_MONTHS),
        DISTRICT_NAMES.get(household.county_code, ""),
    )
    records = [PersonRecords() for _ in household.members]
    adults: list[tuple[Member, PersonRecords]] = []
    for member, rec in zip(household.members, records, strict=True):
        age = age_on(member.birth_date, reference)
        if age >= 60:
            _pension(ctx, rec, household.profile)
        elif age >= 18 and not (member.relation == "child" and age <= 22 and rng.random() < 0.6):
            adults.append((member, rec))  # of working age and not a student
        if rng.random() < 0.3:
            _outpatient_bills(ctx, rec)
    _PROFILES[household.profile](ctx, adults, records)
    return records


def _pension(ctx: _Ctx, rec: PersonRecords, profile: Profile) -> None:
    enterprise = ctx.rng.random() < (0.75 if profile in (Profile.WORKING, Profile.ELDERLY) else 0.3)
    base = ctx.yuan(2400, 5200) if enterprise else ctx.yuan(260, 900)
    payer = "广州市社会保险基金管理中心"
    for month in ctx.months:
        if month.endswith("-01"):  # pensions are raised once a year
            base = base * 103 // 100
        rec.incomes.append(Income(month, IncomeSource.PENSION, base, payer))


def _outpatient_bills(ctx: _Ctx, rec: PersonRecords) -> None:
    for _ in range(ctx.rng.randint(1, 4)):
        total = ctx.yuan(80, 3000)
        fund = int(total * ctx.rng.uniform(0.4, 0.7))
        rec.settlements.append(Settlement(ctx.days_ago(5, 360), total, fund, 0, ctx.rng.choice(HOSPITALS)))


def _deposit(ctx: _Ctx, rec: PersonRecords, low: int, high: int) -> None:
    rec.holdings.append(Holding(ctx.rng.choice(BANKS), "deposit", ctx.yuan(low, high)))


def _home(ctx: _Ctx, rec: PersonRecords, registered_on: date) -> None:
    area = round(ctx.rng.uniform(45, 120), 2)
    per_m2 = ctx.rng.randint(35_000, 60_000) * 100
    rec.properties.append(Property("residential", area, registered_on, int(area * per_m2)))


def _car(ctx: _Ctx, rec: PersonRecords, registered_on: date) -> None:
    code: VehicleTypeCode = ctx.rng.choice(("K33", "K33", "K31", "H31", "M22"))
    value = ctx.yuan(4_000, 12_000) if code == "M22" else ctx.yuan(60_000, 300_000)
    rec.vehicles.append(Vehicle(code, registered_on, value))


def _low_earner(ctx: _Ctx, rec: PersonRecords) -> None:
    """Long-term unemployed on benefit, flexible work (零工) in some months, a minimum-wage job, or nothing."""
    kind = ctx.rng.choices(("benefit", "flexible", "min_wage", "none"), weights=(30, 40, 15, 15))[0]
    if kind == "benefit":
        months = ctx.months[-ctx.rng.randint(6, HISTORY_MONTHS) :]
        ctx.monthly(
            rec, IncomeSource.UNEMPLOYMENT, UNEMPLOYMENT_BENEFIT_FEN, "广州市社会保险基金管理中心", months
        )
    elif kind == "flexible":
        payer = employer(ctx.rng)
        for month in ctx.months:
            if ctx.rng.random() < 0.7:
                rec.incomes.append(Income(month, IncomeSource.LABOR_SERVICE, ctx.yuan(400, 2000), payer))
    elif kind == "min_wage":
        ctx.monthly(rec, IncomeSource.SALARY, ctx.yuan(2300, 2700), employer(ctx.rng), ctx.months)


def _low_income(ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]) -> None:
    for _, rec in adults:
        _low_earner(ctx, rec)
    if ctx.rng.random() < 0.8:
        _deposit(ctx, records[0], 0, 15_000)


def _elderly(ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]) -> None:
    for _, rec in adults:
        _low_earner(ctx, rec)
    head = records[0]
    if ctx.rng.random() < 0.35:
        _home(ctx, head, ctx.days_ago(3_650, 11_000))
        if ctx.rng.random() < 0.5:  # a second, older flat let out
            _home(ctx, head, ctx.days_ago(5_000, 11_000))
            ctx.monthly(head, IncomeSource.PROPERTY_LEASE, ctx.yuan(900, 2500), "", ctx.months)
    _deposit(ctx, head, 5_000, 80_000)


def _working(ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]) -> None:
    for _, rec in adults:
        salary = ctx.yuan(4_500, 15_000)
        ctx.monthly(rec, IncomeSource.SALARY, salary, employer(ctx.rng), ctx.months)
        opened = ctx.days_ago(400, 5_000)
        rec.housing_fund.append(HousingFundAccount(opened, ctx.yuan(20_000, 200_000), salary * 20 // 100))
    head = records[0]
    if ctx.rng.random() < 0.6:
        _home(ctx, head, ctx.days_ago(700, 7_000))
    if ctx.rng.random() < 0.45:
        _car(ctx, head, ctx.days_ago(365, 3_650))
    _deposit(ctx, head, 20_000, 300_000)
    if ctx.rng.random() < 0.2:
        head.holdings.append(Holding(ctx.rng.choice(BROKERS), "securities", ctx.yuan(10_000, 200_000)))


def _income_change(
    ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]
) -> None:
    """The main earner's income rose (new job) or fell (laid off) 3–9 months ago: well over 20 %."""
    if not adults:
        return _low_income(ctx, adults, records)
    (_, earner), *others = adults
    cut = len(ctx.months) - ctx.rng.randint(3, 9)
    before, after = ctx.months[:cut], ctx.months[cut:]
    if ctx.rng.random() < 0.7:  # a better job
        base = ctx.yuan(2_300, 3_200)
        raised = int(base * ctx.rng.uniform(1.5, 2.5))
        ctx.monthly(earner, IncomeSource.SALARY, base, employer(ctx.rng), before)
        ctx.monthly(earner, IncomeSource.SALARY, raised, employer(ctx.rng), after)
    else:  # laid off: the benefit is at most 70 % of the old wage
        ctx.monthly(earner, IncomeSource.SALARY, ctx.yuan(3_000, 6_000), employer(ctx.rng), before)
        benefit_payer = "广州市社会保险基金管理中心"
        ctx.monthly(earner, IncomeSource.UNEMPLOYMENT, UNEMPLOYMENT_BENEFIT_FEN, benefit_payer, after)
    for _, rec in others:
        _low_earner(ctx, rec)
    _deposit(ctx, records[0], 1_000, 30_000)


def _hidden_business(
    ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]
) -> None:
    """A family shop (个体工商户) whose owner files business income tax every month."""
    owner = adults[0][1] if adults else records[0]
    established = ctx.days_ago(400, 3_000)
    owner.businesses.append(
        Business(shop_name(ctx.rng, ctx.district), established, ctx.yuan(30_000, 300_000))
    )
    for month in ctx.months:
        owner.incomes.append(Income(month, IncomeSource.BUSINESS, ctx.yuan(6_000, 25_000)))
    for _, rec in adults[1:]:
        _low_earner(ctx, rec)
    _deposit(ctx, owner, 50_000, 500_000)


def _medical_burden(
    ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]
) -> None:
    """Low income and a seriously ill member: inpatient bills far above 30 % of the household income."""
    _low_income(ctx, adults, records)
    last_year = set(ctx.months[-12:])
    income = sum(i.amount_fen for r in records for i in r.incomes if i.month in last_year)
    patient = ctx.rng.choice(records)
    out_of_pocket, bills = 0, 0
    # At least four stays, and enough of them that the burden is unmistakable (≥ 40 % of income).
    while bills < 4 or (out_of_pocket <= income * 0.4 and bills < 60):
        total = ctx.yuan(8_000, 60_000)
        fund = int(total * ctx.rng.uniform(0.45, 0.65))
        aid = int(total * ctx.rng.uniform(0.0, 0.1))
        hospital = ctx.rng.choice(HOSPITALS[:6])
        patient.settlements.append(Settlement(ctx.days_ago(3, 360), total, fund, aid, hospital))
        out_of_pocket += total - fund - aid
        bills += 1


def _new_assets(ctx: _Ctx, adults: list[tuple[Member, PersonRecords]], records: list[PersonRecords]) -> None:
    """Looks like a low-income household, but a car or a flat was registered in the last 3 months."""
    _low_income(ctx, adults, records)
    owner = ctx.rng.choice(records)
    if ctx.rng.random() < 0.6:
        _car(ctx, owner, ctx.days_ago(10, 85))
    else:
        _home(ctx, owner, ctx.days_ago(10, 85))


_PROFILES: dict[Profile, Callable[[_Ctx, list[tuple[Member, PersonRecords]], list[PersonRecords]], None]] = {
    Profile.LOW_INCOME: _low_income,
    Profile.ELDERLY: _elderly,
    Profile.WORKING: _working,
    Profile.INCOME_CHANGE: _income_change,
    Profile.HIDDEN_BUSINESS: _hidden_business,
    Profile.MEDICAL_BURDEN: _medical_burden,
    Profile.NEW_ASSETS: _new_assets,
    Profile.PLANTED: lambda *_: None,  # planted households bring their own records
}
