"""The quarterly re-check of a province does not fit one history: it continues as new with its
cursor and totals. Here with pages of 2 households and 2 pages per run, over one county."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from infra.models import Beneficiary, RecheckFailure, Region, RiskWarningRow
from infra.policy_config import load_policy_book
from infra.settings import REPO_ROOT
from simulators.departments.household import Member
from simulators.departments.records import PersonRecords, Vehicle
from tests.conftest import DepartmentSimulator
from tests.e2e.test_quarterly_recheck import VAULT, Sessions, enrol
from tests.factories import id_number
from workers.build import WorkerResources, build_worker
from workflows.quarterly_recheck import QuarterlyRecheckInput, QuarterlyRecheckWorkflow


async def test_a_recheck_continues_as_new_with_its_cursor_and_totals(
    dev_env: WorkflowEnvironment, sessions: Sessions, task_queue: str,
    department_simulator: DepartmentSimulator, department_adapters: object,
) -> None:  # fmt: skip
    from datetime import date, timedelta

    county = f"8{random.randint(10_000, 99_999)}"
    community = county + "001001"
    tag = task_queue[-6:]
    async with sessions.begin() as session:
        for code, level, parent in (
            (county, "county", None),
            (community[:9], "township", county),
            (community, "community", community[:9]),
        ):
            await session.merge(Region(code=code, name="测试", level=level, parent_code=parent))
    clean = [f"QC-{county}-{n}-{tag}" for n in range(6)]
    for n, number in enumerate(clean):
        person = id_number(birth="19710101", seq=100 + n)
        department_simulator.population.plant(
            county, community, [(Member(person, "某某", "self"), PersonRecords())]
        )
        await enrol(sessions, number, county, community, [person])
    # One household with a car registered last month (a warning), two with no case file (for a person).
    owner = id_number(birth="19720202", seq=211)
    car = Vehicle("K33", date.today() - timedelta(days=30), 8_000_000)  # type: ignore[arg-type]
    department_simulator.population.plant(
        county, community, [(Member(owner, "赵某", "self"), PersonRecords(vehicles=[car]))]
    )
    warned = f"QC-{county}-CAR-{tag}"
    await enrol(sessions, warned, county, community, [owner])
    orphans = [f"QC-{county}-NOFILE{n}-{tag}" for n in range(2)]
    async with sessions.begin() as session:
        for number in orphans:
            session.add(Beneficiary(
                application_number=number, assistance_type="dibao", county_code=county,
                township_code=community[:9], community_code=community, category="B",
                monthly_amount_fen=100_000, start_month="2026-11", status="active",
            ))  # fmt: skip

    policies = load_policy_book(REPO_ROOT / "config" / "policies.toml")
    resources = WorkerResources(sessions, policies, department_adapters, pii=VAULT)  # type: ignore[arg-type]
    workflow_id = f"quarterly-{task_queue}"
    async with build_worker(dev_env.client, task_queue, resources):
        handle = await dev_env.client.start_workflow(
            QuarterlyRecheckWorkflow.run,
            QuarterlyRecheckInput(period="2025Q4", county_code=county, page_size=2, pages_per_run=2),
            id=workflow_id, task_queue=task_queue,
        )  # fmt: skip
        result = await asyncio.wait_for(handle.result(), timeout=120)  # follows the runs to the last

    # A period of its own (other tests check 2026Q4). 9 households in pages of 2: 5 pages, 2 per run — three runs, the totals carried through.
    runs = [w async for w in dev_env.client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    assert len(runs) == 3
    assert (result.period, result.checked, result.failed_households) == ("2025Q4", 7, 2)
    assert result.warned_households == 1
    async with sessions() as session:
        failed = set(await session.scalars(
            select(RecheckFailure.application_number).where(RecheckFailure.county_code == county)
        ))  # fmt: skip
        warned_rows = list(await session.scalars(
            select(RiskWarningRow.application_number).where(
                RiskWarningRow.county_code == county, RiskWarningRow.period == "2025Q4"
            )
        ))  # fmt: skip
    assert failed == set(orphans)
    assert set(warned_rows) == {warned} and len(warned_rows) == result.warnings
