"""Reading the departments' results for verification: month windows, income averages per member,
medical bills of the last 12 months, and registered assets.

Windows are relative to an explicit ``as_of`` date (never "today"), so the same inputs give the
same figures when a Temporal workflow replays.

- Income months: the month of ``as_of`` is still running and is never used. "The last n months"
  are the n calendar months before it: as_of 2026-05-15 → last 6 months = 2025-11 … 2026-04.
  A month in a window without any record counts as zero income (departments report the months that
  had income), and an average always divides by the window's length. The income-change rule looks
  9 months back, so department queries need ``INCOME_HISTORY_MONTHS`` months.
- The same money can reach us from two departments (税务 and 人社 both see a wage). For one member
  and month, each kind of income (wage, pension, …) counts once, at the highest total any one
  department reported for it; records of one department add up (two employers, two wages), and
  different kinds add up.
- The 12 months of medical bills are as_of − 1 year (exclusive) … as_of (inclusive): 2026-05-15 →
  2025-05-16 … 2026-05-15.
- A house or car owned jointly appears once per owner. Records of one department with the same
  kind, registration date, value and description are taken to be one item owned by several members.

Data that cannot be right (a negative amount, a member who is not in the household, a malformed
month) raises DepartmentBadData: a person has to look at it, and guessing would be worse.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from domain.departments import Asset, Department, DepartmentBadData, DepartmentResult, MedicalBill
from domain.figures import round_half_up

ELIGIBILITY_MONTHS = 6  # income used for eligibility: average of the last 6 months
RECENT_MONTHS = 3  # income-change rule: the last 3 months …
PREVIOUS_MONTHS = 6  # … against the 6 months before them
INCOME_HISTORY_MONTHS = RECENT_MONTHS + PREVIOUS_MONTHS  # months to ask the departments for

# 存款、有价证券、基金、理财 — not the housing-fund balance, which cannot be spent freely.
FINANCIAL_KINDS = frozenset({"deposit", "securities", "fund", "wealth_management"})
VEHICLE_KINDS = frozenset({"vehicle"})
HOUSE_KINDS = frozenset({"house"})  # 住宅; shops and land are property but not housing
PROPERTY_KINDS = frozenset({"house", "shop", "land"})  # 不动产
BUSINESS_KINDS = frozenset({"business"})  # value_fen is the registered capital

ASSET_KIND_LABELS: dict[str, str] = {
    "house": "住宅",
    "shop": "商铺",
    "land": "土地",
    "vehicle": "车辆",
    "business": "工商登记企业",
    "deposit": "存款",
    "securities": "有价证券",
    "fund": "基金",
    "wealth_management": "理财产品",
    "housing_fund": "住房公积金",
}


# --- months ------------------------------------------------------------------------------------


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _month_text(index: int) -> str:
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


# Cached: a household's assessment reads every income record once per member and window (the
# quarterly re-check of 100,000 households parsed the same few dozen months millions of times). A
# bad month raises every time: exceptions are not cached.
@functools.lru_cache(maxsize=4096)
def _parse_month(text: str) -> int:
    year, sep, month = text.partition("-")
    # isascii: str.isdigit() is also true for "２０２６" and "²", which int() reads or fails on.
    if not (
        sep and len(year) == 4 and len(month) == 2 and (year + month).isascii() and (year + month).isdigit()
    ):
        raise DepartmentBadData(f"收入月份格式应为YYYY-MM，收到：{text!r}")
    if not 1 <= int(month) <= 12:
        raise DepartmentBadData(f"收入月份不存在：{text!r}")
    return _month_index(int(year), int(month))


def months_before(as_of: date, count: int, skip: int = 0) -> tuple[str, ...]:
    """``count`` whole months (YYYY-MM, oldest first) ending ``skip`` months before the month
    preceding as_of's: (2026-05-15, 3) → 2026-02…2026-04; (2026-05-15, 6, skip=3) → 2025-08…2026-01."""
    last = _month_index(as_of.year, as_of.month) - 1 - skip
    return tuple(_month_text(i) for i in range(last - count + 1, last + 1))


def period_text(months: Sequence[str]) -> str:
    return f"{months[0]}至{months[-1]}"


def last_day_of_month(month: str) -> date:
    year, month0 = divmod(_parse_month(month) + 1, 12)
    return date(year, month0 + 1, 1) - timedelta(days=1)


# --- income ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomeAverage:
    """One member's department income over a window of months."""

    member: int
    months: tuple[str, ...]
    total_fen: int
    average_fen: int  # total ÷ number of months, rounded half-up to the fen
    departments: tuple[Department, ...]  # the departments that reported income in the window

    @property
    def period(self) -> str:
        return period_text(self.months)


def _check_member(member: int, members: int, department: Department) -> None:
    if not 0 <= member < members:
        raise DepartmentBadData(f"{department.value}的数据指向家庭成员序号{member}，但家庭只有{members}人")


def _check_amount(value: int, what: str, department: Department) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DepartmentBadData(f"{department.value}的{what}金额无效：{value!r}")


def income_average(
    results: Iterable[DepartmentResult], member: int, members: int, months: Sequence[str]
) -> IncomeAverage:
    """The member's monthly average over ``months``, one amount per kind and month (see module doc)."""
    wanted = {_parse_month(m) for m in months}
    best: dict[tuple[int, str], int] = defaultdict(int)
    departments: set[Department] = set()
    for result in results:
        # Within one department records add up (two employers pay two wages); across departments
        # the same kind of income in the same month is the same money, counted once at the highest.
        own: dict[tuple[int, str], int] = defaultdict(int)
        for income in result.incomes:
            # The checks' cheap tests inline (this loop runs for every member and window of every
            # household re-checked); the functions raise with the message.
            if not 0 <= income.member < members:
                _check_member(income.member, members, result.department)
            if type(income.amount_fen) is not int or income.amount_fen < 0:
                _check_amount(income.amount_fen, "收入", result.department)
            month = _parse_month(income.month)
            if income.member == member and month in wanted:
                own[(month, income.kind)] += income.amount_fen
        for key, amount in own.items():
            best[key] = max(best[key], amount)
            if amount > 0:
                departments.add(result.department)
    total = sum(best.values())
    order = list(Department)
    return IncomeAverage(
        member=member,
        months=tuple(months),
        total_fen=total,
        average_fen=round_half_up(total, len(months)),
        departments=tuple(sorted(departments, key=order.index)),
    )


# --- medical bills -----------------------------------------------------------------------------


def medical_window(as_of: date) -> tuple[date, date]:
    """(first day, last day) of the 12 months of bills, both inclusive."""
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February: a year earlier is 28 February
        year_before = as_of.replace(year=as_of.year - 1, day=28)
    return year_before + timedelta(days=1), as_of


@dataclass(frozen=True)
class MedicalCosts:
    first_day: date
    last_day: date
    out_of_pocket_fen: int  # total paid by the household in the window
    bills: int
    latest_bill: date | None
    departments: tuple[Department, ...]

    @property
    def period(self) -> str:
        return f"{self.first_day.isoformat()}至{self.last_day.isoformat()}"


def _out_of_pocket(bill: MedicalBill, department: Department) -> int:
    _check_amount(bill.total_fen, "医疗费用", department)
    _check_amount(bill.reimbursed_fen, "医疗报销", department)
    if bill.reimbursed_fen > bill.total_fen:
        raise DepartmentBadData(f"{department.value}的医疗报销金额大于费用总额（{bill.billed_on}）")
    return bill.out_of_pocket_fen


def medical_costs(results: Iterable[DepartmentResult], members: int, as_of: date) -> MedicalCosts:
    first, last = medical_window(as_of)
    total = count = 0
    latest: date | None = None
    departments: set[Department] = set()
    for result in results:
        for bill in result.medical_bills:
            _check_member(bill.member, members, result.department)
            paid = _out_of_pocket(bill, result.department)
            if not first <= bill.billed_on <= last:
                continue
            total += paid
            count += 1
            latest = bill.billed_on if latest is None else max(latest, bill.billed_on)
            departments.add(result.department)
    order = list(Department)
    return MedicalCosts(first, last, total, count, latest, tuple(sorted(departments, key=order.index)))


# --- assets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetItem:
    """An asset as one thing, with every household member the departments list as its owner."""

    department: Department
    kind: str
    members: tuple[int, ...]
    registered_on: date | None
    value_fen: int
    description: str

    @property
    def label(self) -> str:
        return self.description or ASSET_KIND_LABELS.get(self.kind, self.kind)


def asset_items(results: Iterable[DepartmentResult], members: int) -> list[AssetItem]:
    """Registered assets (in the order first reported, joint registrations merged), then balances
    (never merged: two accounts with equal balances are two accounts)."""
    owners: dict[tuple[Department, str, date | None, int, str], list[int]] = {}
    singles: list[tuple[Department, Asset]] = []
    for result in results:
        for asset in result.assets:
            _check_member(asset.member, members, result.department)
            _check_amount(asset.value_fen, "财产价值", result.department)
            if asset.registered_on is None:
                singles.append((result.department, asset))
                continue
            key = (result.department, asset.kind, asset.registered_on, asset.value_fen, asset.description)
            owners.setdefault(key, [])
            if asset.member not in owners[key]:
                owners[key].append(asset.member)
    items = [
        AssetItem(dept, kind, tuple(sorted(ms)), on, value, desc)
        for (dept, kind, on, value, desc), ms in owners.items()
    ]
    items += [AssetItem(dept, a.kind, (a.member,), None, a.value_fen, a.description) for dept, a in singles]
    return items
