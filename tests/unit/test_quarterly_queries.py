"""The quarterly re-check's grouped department queries: households grouped within the exchange's
limit, a group's answer split back per household, and bad data pinned on its own household."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from activities.quarterly_queries import MAX_IDS_PER_QUERY, Household, ask, groups, split
from domain.departments import Asset, Department, DepartmentBadData, DepartmentResult, MonthlyIncome


def household(key: int, *ids: str) -> Household:
    return Household(key, "440105", list(ids))


def test_groups_keep_order_and_stay_within_the_limits() -> None:
    big = [household(n, *(f"{n}-{m}" for m in range(6))) for n in range(40)]
    grouped = list(groups(big, 50))
    assert [h for g in grouped for h in g] == big
    assert all(sum(len(h.id_numbers) for h in g) <= MAX_IDS_PER_QUERY for g in grouped)
    assert [len(g) for g in groups(big[:7], 3)] == [3, 3, 1]


def test_a_person_in_two_households_is_never_asked_twice_in_one_query() -> None:
    grouped = list(groups([household(1, "A", "B"), household(2, "C"), household(3, "b")], 50))
    assert [[h.key for h in g] for g in grouped] == [[1, 2], [3]]


def test_an_answer_is_split_back_with_member_positions_of_each_household() -> None:
    answer = DepartmentResult(
        Department.TAX,
        incomes=[MonthlyIncome(0, "2026-10", 100, "wage"), MonthlyIncome(3, "2026-10", 200, "wage")],
        assets=[Asset(2, "vehicle", date(2026, 10, 1), 5_000_000)],
    )
    first, empty, second = split(answer, [2, 0, 2])
    assert [i.member for i in first.incomes] == [0] and first.assets == []
    assert empty == DepartmentResult(Department.TAX)
    assert [i.member for i in second.incomes] == [1] and [a.member for a in second.assets] == [0]


class Vehicles:
    """Answers nothing on record, but bad data whenever `bad` is among the people asked about."""

    def __init__(self, bad: str) -> None:
        self.bad, self.queries = bad, 0

    async def query(self, ids: Sequence[str], months: int, as_of: date) -> DepartmentResult:
        self.queries += 1
        if self.bad in ids:
            raise DepartmentBadData("车辆数据异常")
        return DepartmentResult(Department.VEHICLES)


async def test_bad_data_in_a_group_goes_to_its_own_household_only() -> None:
    department = Vehicles(bad="B")
    outcomes = await ask(
        {Department.VEHICLES: department},
        [household(1, "A"), household(2, "B"), household(3, "C")],
        date(2026, 12, 1),
    )
    assert isinstance(outcomes[1], DepartmentBadData)
    assert outcomes[0] == outcomes[2] == [DepartmentResult(Department.VEHICLES)]
    assert department.queries == 4  # the group, then each household alone
