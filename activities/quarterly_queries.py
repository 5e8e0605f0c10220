"""The quarterly re-check's department queries, several households to a request: the exchange
takes up to 100 ID numbers a query, and one request per department for a few dozen households
costs the departments (and the worker) a fraction of one per household.

A multi-household answer is split back by member position. Bad data in it is not pinned on the
whole group: the group is asked again one household at a time, so only the household whose
records are wrong goes to a person, as when every household was asked alone.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from domain.departments import Department, DepartmentAdapter, DepartmentBadData, DepartmentResult

MAX_IDS_PER_QUERY = 100  # the exchange's limit for one query
MONTHS = 12  # incomes of the last year


@dataclass(frozen=True)
class Household:
    key: int  # the beneficiary row id
    county_code: str
    id_numbers: list[str]


# Per household, in the order given: its departments' answers, or the bad data that stopped them.
Outcome = list[DepartmentResult] | DepartmentBadData


def groups(households: Sequence[Household], most: int) -> Iterator[list[Household]]:
    """The households in order, in groups of at most `most` and MAX_IDS_PER_QUERY ID numbers
    together; a person already in the group starts a new one (an answer names people, not
    households, so each number must belong to one household of the query)."""
    group: list[Household] = []
    seen: set[str] = set()
    for h in households:
        numbers = {n.strip().upper() for n in h.id_numbers}
        if group and (
            len(group) >= most or len(seen) + len(numbers) > MAX_IDS_PER_QUERY or not seen.isdisjoint(numbers)
        ):
            yield group
            group, seen = [], set()
        group.append(h)
        seen |= numbers
    if group:
        yield group


def groups_by_county(households: Sequence[Household], most: int) -> dict[str, Iterator[list[Household]]]:
    """Each county's households in their order, grouped (a county has its own endpoints and keys,
    and the counties of a page are mixed)."""
    counties: dict[str, list[Household]] = {}
    for h in households:
        counties.setdefault(h.county_code, []).append(h)
    return {county: groups(part, most) for county, part in counties.items()}


def split(result: DepartmentResult, sizes: Sequence[int]) -> list[DepartmentResult]:
    """One answer about consecutive households (`sizes` members each) → one answer each, member
    positions counted from each household's first member."""
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    parts = [DepartmentResult(result.department) for _ in sizes]

    def owner(member: int) -> int:
        return bisect.bisect_right(starts, member) - 1  # the last household starting at or before it

    for income in result.incomes:
        i = owner(income.member)
        parts[i].incomes.append(replace(income, member=income.member - starts[i]))
    for bill in result.medical_bills:
        i = owner(bill.member)
        parts[i].medical_bills.append(replace(bill, member=bill.member - starts[i]))
    for asset in result.assets:
        i = owner(asset.member)
        parts[i].assets.append(replace(asset, member=asset.member - starts[i]))
    return parts


async def ask_one(
    adapters: Mapping[Department, DepartmentAdapter], household: Household, as_of: date
) -> list[DepartmentResult]:
    return list(
        await asyncio.gather(*(a.query(household.id_numbers, MONTHS, as_of) for a in adapters.values()))
    )


async def ask(
    adapters: Mapping[Department, DepartmentAdapter], group: list[Household], as_of: date
) -> list[Outcome]:
    """Every department once for the group (all at once). `DepartmentUnavailable` propagates: the
    batch attempt fails and is retried."""
    if len(group) == 1:
        try:
            return [await ask_one(adapters, group[0], as_of)]
        except DepartmentBadData as exc:
            return [exc]
    numbers = [n for h in group for n in h.id_numbers]
    try:
        answers = await asyncio.gather(*(a.query(numbers, MONTHS, as_of) for a in adapters.values()))
    except DepartmentBadData:
        return [outcome for h in group for outcome in await ask(adapters, [h], as_of)]
    per_department = [split(answer, [len(h.id_numbers) for h in group]) for answer in answers]
    return [[parts[i] for parts in per_department] for i in range(len(group))]
