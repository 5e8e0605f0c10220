"""The quarterly data exchange: the Schedule the worker registers, triggered by hand over every
enrolled household of the simulator's population (a few hundred)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.quarterly import ACTIVE_STATUSES
from domain.policy import PolicyBook
from infra.models import Application, Beneficiary, QuarterlyCheck, RecheckFailure, RiskWarningRow
from infra.policy_config import load_policy_book
from infra.schedules import QUARTERLY_SCHEDULE_ID, ensure_schedules
from infra.settings import REPO_ROOT
from simulators.departments.household import Member
from simulators.departments.records import PersonRecords, Vehicle
from tests.conftest import DepartmentSimulator
from tests.factories import id_number, pii_vault
from workers.build import WorkerResources, build_worker
from workflows.quarterly_recheck import QuarterlyRecheckResult, QuarterlyRecheckWorkflow

Sessions = async_sessionmaker[AsyncSession]
VAULT = pii_vault()


async def enrol(sessions: Sessions, number: str, county: str, community: str, ids: list[str]) -> None:
    now = datetime.now(UTC)
    application = Application(
        application_number=number, workflow_id=f"application-{number}", assistance_type="dibao",
        channel="walk_in", county_code=county, township_code=community[:9], community_code=community,
        applicant_name="某某", household_size=len(ids), green_channel=False, stage="approved", accepted_at=now,
    )  # fmt: skip
    application.seal_personal_data(
        VAULT, id_number=ids[0], phone="13800000000",
        submission={"members": [{"id_number": i, "monthly_income_fen": 0} for i in ids]},
    )  # fmt: skip
    async with sessions.begin() as session:
        session.add(application)
        session.add(
            Beneficiary(
                application_number=number, assistance_type="dibao", county_code=county,
                township_code=community[:9], community_code=community, category="B",
                monthly_amount_fen=100_000, start_month="2026-11", status="active",
            )
        )  # fmt: skip


async def failures(sessions: Sessions, period: str) -> set[str]:
    """The households of `period` the re-check listed for a person."""
    async with sessions() as session:
        rows = await session.scalars(
            select(RecheckFailure.application_number).where(RecheckFailure.period == period)
        )
        return set(rows)


async def test_quarterly_schedule_rechecks_every_enrolled_household(
    dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str,
    department_simulator: DepartmentSimulator, department_adapters: object,
) -> None:  # fmt: skip
    population = department_simulator.population
    seeded = []
    for n, household in enumerate(population.households()):
        number = f"Q-{n:05d}-{task_queue[-6:]}"
        await enrol(
            sessions,
            number,
            household.county_code,
            household.community_code,
            [m.id_number for m in household.members],
        )
        seeded.append(number)
    # Two planted households: a car registered last month, and nothing at all.
    car_owner, clean = id_number(birth="19700303", seq=881), id_number(birth="19700404", seq=883)
    car = Vehicle("K33", date.today() - timedelta(days=30), 8_000_000)  # type: ignore[arg-type]
    population.plant(
        "440105", "440105001001", [(Member(car_owner, "赵某", "self"), PersonRecords(vehicles=[car]))]
    )
    population.plant("440105", "440105001001", [(Member(clean, "钱某", "self"), PersonRecords())])
    await enrol(sessions, f"Q-CAR-{task_queue[-6:]}", "440105", "440105001001", [car_owner])
    await enrol(sessions, f"Q-CLEAN-{task_queue[-6:]}", "440105", "440105001001", [clean])
    async with sessions() as session:
        # Other tests' households share the database: those stopped or exited are not rechecked.
        active = int(await session.scalar(
            select(func.count()).select_from(Beneficiary).where(Beneficiary.status.in_(ACTIVE_STATUSES))
        ) or 0)  # fmt: skip
    assert len(seeded) >= 200

    policies: PolicyBook = load_policy_book(REPO_ROOT / "config" / "policies.toml")
    resources = WorkerResources(sessions, policies, department_adapters, pii=VAULT)  # type: ignore[arg-type]
    async with build_worker(dev_env.client, task_queue, resources):
        assert QUARTERLY_SCHEDULE_ID in await ensure_schedules(dev_env.client, task_queue)
        assert await ensure_schedules(dev_env.client, task_queue) == []  # idempotent
        schedule = dev_env.client.get_schedule_handle(QUARTERLY_SCHEDULE_ID)
        described = await schedule.describe()
        assert described.schedule.spec.time_zone_name == "Asia/Shanghai"
        await schedule.trigger()
        async with asyncio.timeout(120):
            while not (await schedule.describe()).info.recent_actions:
                await asyncio.sleep(0.2)
        action = (await schedule.describe()).info.recent_actions[-1].action
        handle = dev_env.client.get_workflow_handle_for(QuarterlyRecheckWorkflow.run, action.workflow_id)  # type: ignore[attr-defined]
        result: QuarterlyRecheckResult = await asyncio.wait_for(handle.result(), timeout=300)
        await schedule.delete()

    assert result.checked + result.failed_households == active
    failed = await failures(sessions, result.period)
    assert not failed & set(seeded)  # every household of this test was checked
    assert result.warned_households > 0 and result.warnings >= result.warned_households
    async with sessions() as session:
        rows = list(await session.scalars(
            select(RiskWarningRow).where(RiskWarningRow.origin == "quarterly", RiskWarningRow.period == result.period)
        ))  # fmt: skip
    by_case: dict[str, set[str]] = {}
    for row in rows:
        by_case.setdefault(row.application_number, set()).add(row.rule)
    assert "new_vehicle" in by_case[f"Q-CAR-{task_queue[-6:]}"]
    assert f"Q-CLEAN-{task_queue[-6:]}" not in by_case
    assert len(rows) == result.warnings
    # Every household checked is one check of 精准识别率 (the warned ones marked: they count
    # through the change re-check a person opens, not twice).
    async with sessions() as session:
        checks = dict(
            (await session.execute(
                select(QuarterlyCheck.application_number, QuarterlyCheck.warned)
                .where(QuarterlyCheck.period == result.period)
            )).tuples().all()
        )  # fmt: skip
    # (Other tests' quarterly runs share the database: only this test's households are counted.)
    ours = {number: warned for number, warned in checks.items() if number.endswith(task_queue[-6:])}
    assert set(ours) == {*seeded, f"Q-CAR-{task_queue[-6:]}", f"Q-CLEAN-{task_queue[-6:]}"}
    assert ours[f"Q-CAR-{task_queue[-6:]}"] is True and ours[f"Q-CLEAN-{task_queue[-6:]}"] is False
    assert sum(ours.values()) == len({n for n in by_case if n.endswith(task_queue[-6:])})


async def test_bad_department_data_lists_the_household_for_a_person_instead_of_retrying_forever(
    dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str,
    department_simulator: DepartmentSimulator, department_adapters: object,
) -> None:  # fmt: skip
    from domain.departments import Department
    from simulators.departments import FaultRequest
    from workflows.quarterly_recheck import QuarterlyRecheckInput

    person = id_number(birth="19660606", seq=897)
    department_simulator.population.plant(
        "440105", "440105001001", [(Member(person, "周某", "self"), PersonRecords())]
    )
    number = f"Q-BAD-{task_queue[-6:]}"
    await enrol(sessions, number, "440105", "440105001001", [person])
    department_simulator.faults.apply(
        FaultRequest(department=Department.VEHICLES, bad_data="negative_amount")
    )
    policies = load_policy_book(REPO_ROOT / "config" / "policies.toml")
    resources = WorkerResources(sessions, policies, department_adapters, pii=VAULT)  # type: ignore[arg-type]
    async with build_worker(dev_env.client, task_queue, resources):
        result = await asyncio.wait_for(
            dev_env.client.execute_workflow(
                QuarterlyRecheckWorkflow.run, QuarterlyRecheckInput(period="2026Q3"),
                id=f"quarterly-{task_queue}", task_queue=task_queue,
            ),
            timeout=300,
        )  # fmt: skip
    assert number in await failures(sessions, "2026Q3")  # listed for a person, in the database
    assert result.failed_households > 0
