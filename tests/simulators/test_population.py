"""The synthetic population: valid, plausible, deterministic, and shaped by its profiles."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from domain.identity import normalize_id_number
from infra.seed import DEMO_REGIONS
from simulators.departments import Population, Profile
from simulators.departments.household import age_on
from simulators.departments.profiles import months_before
from simulators.departments.records import IncomeSource, PersonRecords
from tests.simulators.conftest import AS_OF, SEED


def test_every_id_number_is_valid_unique_and_of_a_demo_county(population: Population) -> None:
    communities = {code for code, *_ in DEMO_REGIONS if len(code) == 12}
    seen: set[str] = set()
    for household in population.households():
        assert household.community_code in communities
        assert household.community_code.startswith(household.county_code)
        for member in household.members:
            assert normalize_id_number(member.id_number) == member.id_number  # checksum, birth date
            assert member.id_number[:6] == household.county_code
            assert 0 <= age_on(member.birth_date, AS_OF) <= 100
            assert member.id_number not in seen
            seen.add(member.id_number)
    assert len(seen) > 400  # several members per household on average


def test_households_have_one_to_six_members_and_realistic_families(population: Population) -> None:
    sizes = Counter(len(h.members) for h in population.households())
    assert set(sizes) <= {1, 2, 3, 4, 5, 6}
    assert len(sizes) >= 4  # a spread of sizes, not one shape
    for household in population.households():
        head = household.members[0]
        assert head.relation == "self"
        assert 2 <= len(head.name) <= 4
        for child in (m for m in household.members if m.relation == "child"):
            assert age_on(head.birth_date, AS_OF) - age_on(child.birth_date, AS_OF) >= 18


def test_gender_digit_is_consistent_and_both_genders_occur(population: Population) -> None:
    genders = Counter(m.male for h in population.households() for m in h.members)
    assert genders[True] > 100 and genders[False] > 100
    for household in population.households():
        spouses = [m for m in household.members if m.relation in ("self", "spouse")]
        if len(spouses) == 2:
            assert spouses[0].male != spouses[1].male


def test_same_seed_same_population_and_records_other_seed_different() -> None:
    one, two = Population.generate(50, 7, AS_OF), Population.generate(50, 7, AS_OF)
    other = Population.generate(50, 8, AS_OF)
    assert list(one.households()) == list(two.households())
    ids = [m.id_number for h in one.households() for m in h.members]
    assert [one.records_of(i) for i in ids] == [two.records_of(i) for i in ids]
    assert {m.id_number for h in other.households() for m in h.members}.isdisjoint(ids[:5])


def test_every_profile_occurs_and_low_income_households_dominate(population: Population) -> None:
    profiles = Counter(h.profile for h in population.households())
    assert set(profiles) == set(Profile) - {Profile.PLANTED}
    assert profiles.most_common(1)[0][0] is Profile.LOW_INCOME


def test_income_history_covers_24_months_before_the_reference_month(population: Population) -> None:
    history = set(months_before(AS_OF, 24))
    assert max(history) == "2026-10" and min(history) == "2024-11"
    people = [_of(population, m.id_number) for h in population.households() for m in h.members]
    assert {i.month for r in people for i in r.incomes} == history


def _of(population: Population, id_number: str) -> PersonRecords:
    records = population.records_of(id_number)
    assert records is not None
    return records


def _records(population: Population, profile: Profile) -> list[list[PersonRecords]]:
    return [[_of(population, m.id_number) for m in h.members] for h in population.households(profile=profile)]


def test_new_assets_were_registered_in_the_last_three_months(population: Population) -> None:
    for household in _records(population, Profile.NEW_ASSETS):
        dates = [a.registered_on for r in household for a in (*r.vehicles, *r.properties)]
        assert any(AS_OF - timedelta(days=90) <= d <= AS_OF for d in dates)


def test_hidden_business_households_have_a_shop_and_business_income(population: Population) -> None:
    for household in _records(population, Profile.HIDDEN_BUSINESS):
        owner = next(r for r in household if r.businesses)
        assert {i.source for i in owner.incomes} >= {IncomeSource.BUSINESS}
        assert all(i.amount_fen >= 600_000 for i in owner.incomes if i.source is IncomeSource.BUSINESS)


def test_medical_burden_exceeds_30_percent_of_the_household_income(population: Population) -> None:
    last_year = set(months_before(AS_OF, 12))
    for household in _records(population, Profile.MEDICAL_BURDEN):
        income = sum(i.amount_fen for r in household for i in r.incomes if i.month in last_year)
        out_of_pocket = sum(
            s.total_fen - s.fund_paid_fen - s.medical_aid_fen for r in household for s in r.settlements
        )
        assert out_of_pocket > 0.3 * income


def test_income_change_is_more_than_20_percent(population: Population) -> None:
    for household in _records(population, Profile.INCOME_CHANGE):
        earner = next((r for r in household if any(i.source is IncomeSource.SALARY for i in r.incomes)), None)
        if earner is None:  # a household without anyone of working age
            continue
        by_month = Counter[str]()
        for income in earner.incomes:
            by_month[income.month] += income.amount_fen
        first, last = by_month[min(by_month)], by_month[max(by_month)]
        assert abs(last - first) > 0.2 * first


def test_unknown_people_have_no_records(population: Population) -> None:
    assert population.records_of("11010519491231002X") is None


def test_three_thousand_households_are_built_from_the_seed() -> None:
    # Speed is not asserted by time (machines differ); the size and the determinism are.
    big = Population.generate(3000, SEED, date(2026, 11, 22))
    assert len(big) == 3000
    first = next(big.households())
    assert first == next(Population.generate(1, SEED, date(2026, 11, 22)).households())
