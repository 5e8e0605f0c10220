"""The synthetic population: households of the demo regions, deterministic from a seed.

Only the skeleton (who lives where, names, ID numbers, the household's profile) is built up
front — a few tens of thousands of small objects for 3,000 households. Each household's records
(24 months of income, bills, assets) are generated from its own seed when first asked for, so the
whole population costs little memory and starts in a fraction of a second; a small cache keeps
recently asked households.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from datetime import date, timedelta

from domain.identity import id_check_char
from infra.seed import DEMO_REGIONS
from simulators.departments.household import Household, Member, Profile
from simulators.departments.names import given_name, surname
from simulators.departments.profiles import generate_records
from simulators.departments.records import PersonRecords

PROFILE_WEIGHTS: dict[Profile, int] = {
    Profile.LOW_INCOME: 35,
    Profile.ELDERLY: 15,
    Profile.WORKING: 20,
    Profile.INCOME_CHANGE: 8,
    Profile.HIDDEN_BUSINESS: 7,
    Profile.MEDICAL_BURDEN: 8,
    Profile.NEW_ASSETS: 7,
}


COMMUNITIES: tuple[str, ...] = tuple(code for code, *_ in DEMO_REGIONS if len(code) == 12)


class Population:
    def __init__(self, seed: int, reference_date: date) -> None:
        self.seed = seed
        self.reference_date = reference_date  # records end the month before this date
        self._households: list[Household] = []
        self._where: dict[str, tuple[int, int]] = {}  # ID number → (household, member) positions
        self._generated = functools.lru_cache(maxsize=4096)(self._generate_records)

    @classmethod
    def generate(cls, households: int, seed: int = 2026, reference_date: date | None = None) -> Population:
        population = cls(seed, reference_date or date.today())
        rng = random.Random(seed)
        used: set[str] = set()
        for no in range(1, households + 1):
            population._add(_make_household(rng, no, population.reference_date, used))
        return population

    def __len__(self) -> int:
        return len(self._households)

    def _add(self, household: Household) -> None:
        position = len(self._households)
        self._households.append(household)
        for index, member in enumerate(household.members):
            # A planted person replaces a generated one with the same number: the newest wins.
            self._where[member.id_number] = (position, index)

    def plant(
        self, county_code: str, community_code: str, members: list[tuple[Member, PersonRecords]]
    ) -> Household:
        household = Household(
            household_id=f"PL{len(self._households) + 1:07d}",
            county_code=county_code,
            community_code=community_code,
            profile=Profile.PLANTED,
            members=tuple(m for m, _ in members),
            planted={m.id_number: r for m, r in members},
        )
        self._add(household)
        return household

    def records_of(self, id_number: str) -> PersonRecords | None:
        where = self._where.get(id_number.upper())
        if where is None:
            return None
        position, index = where
        household = self._households[position]
        if household.planted is not None:
            return household.planted[id_number.upper()]
        return self._generated(position)[index]

    def _generate_records(self, position: int) -> tuple[PersonRecords, ...]:
        return tuple(generate_records(self._households[position], self.seed, self.reference_date))

    def households(
        self, *, profile: Profile | None = None, county_code: str | None = None
    ) -> Iterator[Household]:
        """Households in order, each listing only the members still looked up there."""
        for position, household in enumerate(self._households):
            if profile is not None and household.profile != profile:
                continue
            if county_code is not None and household.county_code != county_code:
                continue
            members = tuple(
                m for i, m in enumerate(household.members) if self._where.get(m.id_number) == (position, i)
            )
            if members:
                yield Household(
                    household.household_id,
                    household.county_code,
                    household.community_code,
                    household.profile,
                    members,
                    household.planted,
                )


def _make_household(rng: random.Random, no: int, reference: date, used: set[str]) -> Household:
    profile = rng.choices(tuple(PROFILE_WEIGHTS), weights=tuple(PROFILE_WEIGHTS.values()))[0]
    community = rng.choice(COMMUNITIES)
    county = community[:6]
    # (relation, age, male, family name)
    people: list[tuple[str, int, bool, str]] = []
    head_age = rng.randint(62, 88) if profile is Profile.ELDERLY else rng.randint(24, 60)
    head_male = rng.random() < 0.6
    head_surname = surname(rng)
    people.append(("self", head_age, head_male, head_surname))
    if rng.random() < (0.5 if profile is Profile.ELDERLY else 0.65):
        spouse_age = max(20, min(95, head_age + rng.randint(-5, 5)))
        people.append(("spouse", spouse_age, not head_male, surname(rng)))
    father_surname = head_surname if head_male or len(people) == 1 else people[1][3]
    younger_parent = min(age for _, age, _, _ in people)
    if profile is not Profile.ELDERLY and younger_parent >= 22:
        for _ in range(rng.choices((0, 1, 2, 3), weights=(30, 40, 25, 5))[0]):
            child_age = rng.randint(max(0, younger_parent - 42), younger_parent - 20)
            people.append(("child", child_age, rng.random() < 0.5, father_surname))
        if head_age <= 55 and rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):
                parent_age = min(95, head_age + rng.randint(22, 34))
                people.append(("parent", parent_age, rng.random() < 0.5, surname(rng)))
    elif profile is Profile.ELDERLY and rng.random() < 0.2:
        people.append(("child", rng.randint(30, younger_parent - 22), rng.random() < 0.5, father_surname))
    members = tuple(
        Member(_id_number(rng, county, reference, age, male, used), family + given_name(rng, male), relation)
        for relation, age, male, family in people[:6]
    )
    return Household(f"HH{no:07d}", county, community, profile, members)


def _id_number(rng: random.Random, county: str, reference: date, age: int, male: bool, used: set[str]) -> str:
    """An ID number registered in the county, born `age` years before the reference date."""
    born = reference - timedelta(days=age * 365 + age // 4 + rng.randrange(1, 365))
    while True:
        gender_digit = rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
        body = f"{county}{born:%Y%m%d}{rng.randrange(100):02d}{gender_digit}"
        number = body + id_check_char(body)
        if number not in used:
            used.add(number)
            return number
