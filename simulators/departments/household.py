"""Households and their members as the simulator's population holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.identity import birth_date_of
from simulators.departments.records import PersonRecords


class Profile(StrEnum):
    """What a household's records look like; tests pick households by it."""

    LOW_INCOME = "low_income"  # 低收入：失业金、零工
    ELDERLY = "elderly"  # 老年家庭：养老金
    WORKING = "working"  # 在职家庭：工资、公积金、房产
    INCOME_CHANGE = "income_change"  # 收入突变（近几个月涨或跌超过两成）
    HIDDEN_BUSINESS = "hidden_business"  # 隐性经营收入：个体工商户
    MEDICAL_BURDEN = "medical_burden"  # 大额医疗自付
    NEW_ASSETS = "new_assets"  # 近三个月新登记车辆或房产
    PLANTED = "planted"  # added by a test through the admin API


@dataclass(frozen=True, slots=True)
class Member:
    id_number: str
    name: str
    relation: str  # as in the application: self, spouse, child, parent, …

    @property
    def male(self) -> bool:
        return int(self.id_number[16]) % 2 == 1  # GB 11643: odd sequence digit = male

    @property
    def birth_date(self) -> date:
        return birth_date_of(self.id_number)


@dataclass(frozen=True, slots=True)
class Household:
    household_id: str
    county_code: str
    community_code: str
    profile: Profile
    members: tuple[Member, ...]
    # Planted households carry their records; generated ones are derived from the seed.
    planted: dict[str, PersonRecords] | None = field(default=None, compare=False)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
