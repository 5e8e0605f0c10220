"""The quarterly bench's households: the department simulator's population, a few planted
mismatches among it, and every household enrolled in the application database with its case file
(the members' sealed ID numbers), written in bulk (`executemany`), not through the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.beneficiary import BeneficiaryStatus
from domain.identity import id_check_char
from infra.models import Application, Beneficiary
from infra.models.core import submission_fingerprint
from infra.pii import PiiVault
from infra.seed import seed_regions
from simulators.departments import Population
from simulators.departments.household import Member
from simulators.departments.records import Holding, PersonRecords, Property, Vehicle

COUNTY = "440105"
COMMUNITY = "440105001001"
REFERENCE_DATE = date(2026, 11, 22)  # the simulator's records end the month before


@dataclass(frozen=True)
class Enrolled:
    number: str  # application number
    community_code: str  # 12 digits: the county and township are its prefixes
    id_numbers: list[str]


@dataclass(frozen=True)
class Planted:
    """A household whose departments' records contradict its enrolment, and the rule that must
    fire for it (None: a clean household that must raise nothing)."""

    number: str
    rule: str | None


def _person(seq: int) -> str:
    # Born 1950-01-01 in 440105: outside the generator's ages (it draws from the reference date).
    body = f"{COUNTY}19500101{seq:03d}"
    return body + id_check_char(body)


def plant_mismatches(population: Population, as_of: date) -> list[tuple[Planted, list[str]]]:
    """A car registered last month, a flat bought last month, deposits far over the limit, and a
    household with nothing on record."""
    recent = as_of - timedelta(days=30)
    cases = [
        ("CAR", "new_vehicle", PersonRecords(vehicles=[Vehicle("K33", recent, 8_000_000)])),
        ("FLAT", "new_property", PersonRecords(properties=[Property("residential", 80.0, recent, 300_000_000)])),
        ("DEPOSIT", "deposit_limit", PersonRecords(holdings=[Holding("某银行", "deposit", 500_000_000)])),
        ("CLEAN", None, PersonRecords()),
    ]  # fmt: skip
    planted = []
    for seq, (tag, rule, records) in enumerate(cases, 1):
        person = _person(seq)
        population.plant(COUNTY, COMMUNITY, [(Member(person, "某某", "self"), records)])
        planted.append((Planted(f"{COUNTY}-Q-{tag}", rule), [person]))
    return planted


def population_for(households: int, as_of: date) -> tuple[Population, list[Enrolled], list[Planted]]:
    """`households` in all: the generated ones and the planted ones after them."""
    planted_cases = 4
    population = Population.generate(max(households - planted_cases, 0), 2026, REFERENCE_DATE)
    planted = plant_mismatches(population, as_of)
    enrolled = [
        Enrolled(f"{h.county_code}-Q{n:07d}", h.community_code, [m.id_number for m in h.members])
        for n, h in enumerate(population.households(), 1)
        if h.household_id.startswith("HH")
    ]
    enrolled += [Enrolled(p.number, COMMUNITY, ids) for p, ids in planted]
    return population, enrolled, [p for p, _ in planted]


Row = dict[str, object]


def _rows(vault: PiiVault, households: list[Enrolled], now: datetime) -> tuple[list[Row], list[Row]]:
    applications: list[Row] = []
    beneficiaries: list[Row] = []
    for h in households:
        community, county = h.community_code, h.community_code[:6]
        submission = {"members": [{"id_number": i, "monthly_income_fen": 0} for i in h.id_numbers]}
        applications.append(
            {"application_number": h.number, "workflow_id": f"application-{h.number}",
             "assistance_type": "dibao", "channel": "walk_in", "county_code": county,
             "township_code": community[:9], "community_code": community, "applicant_name": "某某",
             "applicant_id_number_sealed": vault.seal(h.id_numbers[0]),
             "applicant_id_number_digest": vault.digest(h.id_numbers[0]),
             "applicant_phone_sealed": vault.seal("13800000000"), "applicant_phone_digest": vault.digest("13800000000"),
             "household_size": len(h.id_numbers), "green_channel": False,
             "payload_sealed": vault.seal_json(submission),
             "payload_fingerprint": submission_fingerprint(vault, submission),
             "stage": "approved", "accepted_at": now}
        )  # fmt: skip
        beneficiaries.append(
            {"application_number": h.number, "assistance_type": "dibao", "county_code": county,
             "township_code": community[:9], "community_code": community, "category": "B",
             "monthly_amount_fen": 100_000, "start_month": "2026-01", "household_size": len(h.id_numbers),
             "status": BeneficiaryStatus.ACTIVE.value, "masked_name": "某*", "masked_id_number": "4401**********1234",
             "integrity_mark": False}
        )  # fmt: skip
    return applications, beneficiaries


async def enrol_all(
    sessions: async_sessionmaker[AsyncSession],
    vault: PiiVault,
    households: list[Enrolled],
    chunk: int = 10_000,
) -> None:
    """Regions, then every household's case file and beneficiary row, in list order (the
    beneficiary ids ascend with it)."""
    await seed_regions(sessions)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for start in range(0, len(households), chunk):
            applications, beneficiaries = _rows(vault, households[start : start + chunk], now)
            await session.execute(insert(Application), applications)
            await session.execute(insert(Beneficiary), beneficiaries)
