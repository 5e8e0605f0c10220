"""信息核对 in the workflow: a department down for days leaves the case waiting, visibly, and the
case completes once it is back — nothing lost, nothing done twice; bad data goes to a person."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from domain.departments import Department
from domain.enums import Stage
from domain.policy import PolicyBook
from domain.tasks import TaskType
from infra.models import Task
from simulators.departments import FaultRequest
from tests.conftest import DepartmentSimulator
from tests.workflows.harness import (
    INVESTIGATOR,
    POLICIES,
    Sessions,
    beijing,
    case_at,
    data_check,
    home_visit,
    limit,
)


async def test_tax_office_down_for_two_days_the_case_waits_and_then_completes(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    department_simulator.faults.apply(FaultRequest(department=Department.TAX, down_for_seconds=30 * 86_400))
    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number) as case:
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(60_000))
        await case.advance_to(beijing(2026, 10, 12, 10))
        assert (await case.search_attributes())["WaitingFor"] == ["tax"]
        waiting = await case.events("waiting_for_department")
        assert len(waiting) == 1 and "税务" in waiting[0].summary
        assert (await case.status()).stage is Stage.VERIFICATION

        # Two simulated days: the workflow retries on durable timers, the case is still there.
        await case.advance_to(beijing(2026, 10, 14, 10))
        assert (await case.status()).stage is Stage.VERIFICATION
        assert (await case.search_attributes())["WaitingFor"] == ["tax"]
        assert len(await case.events("waiting_for_department")) == 1  # said once, not per retry
        assert await case.events("assessed") == []

        department_simulator.faults.clear()
        await case.advance_to(beijing(2026, 10, 14, 13))  # the next durable retry (≤ 2 h apart)
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        attrs = await case.search_attributes()
        assert not attrs.get("WaitingFor")
        assert len(await case.events("department_back")) == 1
        assert len(await case.events("assessed")) == 1
        async with sessions() as session:
            visits = await session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.application_number == case.number, Task.task_type == "home_visit")
            )
            checks = await session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.application_number == case.number, Task.task_type == "data_check")
            )
        assert (visits, checks) == (1, 0)  # no duplicate tasks, no needless manual check


async def test_bad_data_from_a_department_becomes_a_task_for_a_person(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    department_simulator.faults.apply(
        FaultRequest(department=Department.REAL_ESTATE, bad_data="negative_amount")
    )
    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number) as case:
        manual = await case.task(TaskType.DATA_CHECK)
        assert "不动产" in manual.note
        assert len(await case.events("department_bad_data")) == 1
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(60_000))
        await case.complete(TaskType.DATA_CHECK, INVESTIGATOR, "completed", data_check(90_000))
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        verified = await case.events("verified")
        assert verified[0].data["household_monthly_income_fen"] == 90_000  # the person's figure counts


async def test_manual_county_breaches_data_check_start_when_nobody_starts_it(
    sessions: Sessions, application_number: str
) -> None:
    manual = PolicyBook(
        types=POLICIES.types,
        regions={**POLICIES.regions, "440105": {"types": {"dibao": {"data_check": "manual"}}}},
        default_limits=POLICIES.default_limits,
        default_standards=POLICIES.default_standards,
    )
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number, policies=manual) as case:
        task = await case.task(TaskType.DATA_CHECK)
        assert task.due_at == beijing(2026, 10, 9, 0)
        await case.advance_to(beijing(2026, 10, 9, 0, 30))
        assert {b.limit_name for b in await case.breaches()} == {"verification_start", "data_check_start"}
        assert limit(await case.status(), "data_check_start").breached
        assert await case.events("data_check_started") == []


async def test_hidden_rising_wage_is_a_warning_on_the_list_and_forces_closer_review(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    from domain.enums import AssistanceType
    from infra.models import RiskWarningRow
    from simulators.departments.household import Member
    from simulators.departments.records import Income, IncomeSource, PersonRecords
    from tests.factories import id_number

    head, son = id_number(birth="19600101", seq=771), id_number(birth="19900202", seq=773)
    wages = [Income(f"2026-{m:02d}", IncomeSource.SALARY, 250_000) for m in range(1, 7)]
    wages += [Income(f"2026-{m:02d}", IncomeSource.SALARY, 320_000) for m in range(7, 10)]
    department_simulator.population.plant(
        "440105", "440105001001",
        [(Member(head, "王建国", "self"), PersonRecords()), (Member(son, "王小军", "child"), PersonRecords(incomes=wages))],
    )  # fmt: skip
    async with case_at(
        beijing(2026, 10, 12, 9), sessions, application_number, AssistanceType.TEKUN,
        household_size=2, declared_income_fen=0, member_ids=[head, son], declared_member_incomes_fen=[0, 0],
    ) as case:  # fmt: skip
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(0))
        # 特困 reviews only on dispute: the warning is what sends this case to democratic review.
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        [assessed] = await case.events("assessed")
        assert assessed.data["monthly_income_fen"] == (250_000 * 3 + 320_000 * 3) // 6
        assert assessed.data["per_capita_income_fen"] == 142_500
        warnings = await case.events("warning")
        assert [w.data["rule"] for w in warnings] == ["income_change"]
        assert "2500.00元" in warnings[0].summary and "3200.00元" in warnings[0].summary
        async with sessions() as session:
            rows = list(
                await session.scalars(
                    select(RiskWarningRow).where(RiskWarningRow.application_number == case.number)
                )
            )
        assert [(r.rule, r.member, r.status, r.county_code) for r in rows] == [
            ("income_change", 1, "open", "440105")
        ]
        assert "tax" in rows[0].sources


async def test_applicant_is_told_and_an_objection_with_evidence_triggers_a_recheck(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    from domain.application import RecheckInput
    from domain.enums import AssistanceType
    from simulators.departments.household import Member
    from simulators.departments.records import Income, IncomeSource, PersonRecords
    from tests.factories import id_number
    from tests.workflows.harness import CLERK
    from workflows.application import ApplicationWorkflow

    head = id_number(birth="19580808", seq=791)
    wages = [
        Income(f"2026-{m:02d}", IncomeSource.SALARY, 150_000 if m < 7 else 200_000) for m in range(1, 10)
    ]
    population = department_simulator.population
    population.plant("440105", "440105001001", [(Member(head, "孙某", "self"), PersonRecords(incomes=wages))])
    async with case_at(
        beijing(2026, 10, 12, 9), sessions, application_number, AssistanceType.TEKUN,
        household_size=1, declared_income_fen=0, member_ids=[head], declared_member_incomes_fen=[0],
    ) as case:  # fmt: skip
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(0))
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        assert [n.recipient_role for n in await case.notifications("check_result")] == ["intake_clerk"]
        # The wage was a former employer's error, corrected at the tax office: the applicant objects.
        population.plant("440105", "440105001001", [(Member(head, "孙某", "self"), PersonRecords())])
        await case.handle.execute_update(
            ApplicationWorkflow.request_recheck,
            RecheckInput("工资记录系原单位误报，已更正", ["ZM-2026-0091"], CLERK),
        )
        async with asyncio.timeout(30):
            while not await case.events("rechecked"):
                await asyncio.sleep(0.05)
        [rechecked] = await case.events("rechecked")
        assert rechecked.data["warnings"] == 0
        assert [e.data["monthly_income_fen"] for e in await case.events("assessed")][-1] == 0


async def test_a_month_long_outage_of_every_department_keeps_the_history_bounded(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    """A county gateway failure: all eight departments down for a month. The wait costs the case a
    constant number of history events (the server retries the query), and after the wait limit
    each department's part goes to a person, who finishes the check."""
    from datetime import timedelta

    from workflows.cross_check import DEPARTMENT_WAIT_LIMIT

    async def history() -> tuple[int, int]:
        """(events in the history, department queries scheduled), once the history has stopped
        changing (case.idle() would wait forever: the retried query stays a pending activity)."""
        async with asyncio.timeout(60):
            previous, quiet = (-1, -1), 0
            while quiet < 4:
                events = (await case.handle.fetch_history()).events
                queries = sum(
                    e.activity_task_scheduled_event_attributes.activity_type.name == "query_department"
                    for e in events
                )
                now = (len(events), queries)
                quiet, previous = (quiet + 1 if now == previous else 0), now
                await asyncio.sleep(0.1)
            return previous

    eight = len(Department)
    department_simulator.faults.apply(FaultRequest(down_for_seconds=40 * 86_400))
    start = beijing(2026, 10, 12, 9)
    async with case_at(start, sessions, application_number) as case:
        await case.advance_to(start + timedelta(hours=1))
        assert sorted((await case.search_attributes())["WaitingFor"]) == sorted(d.value for d in Department)
        # One quick query and one retried by the server per department, however long it lasts.
        assert (await history())[1] == 2 * eight
        await case.advance_to(start + timedelta(days=4))
        length, queries = await history()
        assert queries == 2 * eight
        # What the case did meanwhile is its time limits' notices (a reminder, a breach), not retries.
        assert length < 300
        assert len(await case.events("waiting_for_department")) == eight
        assert (await case.status()).stage is Stage.VERIFICATION

        # Past the limit the check is a person's task, naming every department, …
        await case.advance_to(start + DEPARTMENT_WAIT_LIMIT + timedelta(hours=1))
        manual = await case.task(TaskType.DATA_CHECK)
        assert all(label in manual.note for label in ("税务", "人社", "医保", "不动产", "金融"))
        assert len(await case.events("department_handed_over")) == eight
        assert not (await case.search_attributes()).get("WaitingFor")
        handed_over, _ = await history()
        # … the rest of the month's outage costs the case nothing more (at most a time limit's
        # notice), and it ends with a history of a few hundred events, not ~15,000. The count
        # itself varies by a few dozen with how the worker batches activity results into workflow
        # tasks (each hand-over is its own timeline event and search-attribute change).
        await case.advance_to(start + timedelta(days=31))
        length, queries = await history()
        assert queries == 2 * eight
        assert length - handed_over < 30, (handed_over, length)
        assert length < 500, length
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(60_000))
        await case.complete(TaskType.DATA_CHECK, INVESTIGATOR, "completed", data_check(50_000))
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        assert len(await case.events("verified")) == 1


async def test_a_withdrawal_while_waiting_for_the_departments_closes_the_case(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    from datetime import timedelta

    from domain.application import WithdrawInput
    from tests.workflows.harness import CLERK
    from workflows.application import ApplicationWorkflow

    department_simulator.faults.apply(FaultRequest(down_for_seconds=40 * 86_400))
    start = beijing(2026, 10, 12, 9)
    async with case_at(start, sessions, application_number) as case:
        await case.advance_to(start + timedelta(hours=3))
        assert len((await case.search_attributes())["WaitingFor"]) == len(Department)
        status = await case.handle.execute_update(
            ApplicationWorkflow.withdraw, WithdrawInput("申请人决定撤回申请", CLERK)
        )
        assert status.stage is Stage.WITHDRAWN
        await case.idle()  # no department query left retrying for a closed case
        assert (await case.status()).stage is Stage.WITHDRAWN


async def test_a_county_queries_only_the_departments_its_policy_names(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    """A county without a link to the housing fund leaves it out of its policy: its cases never
    wait for that system (here down for a month), and say which departments they asked."""
    department_simulator.faults.apply(
        FaultRequest(department=Department.HOUSING_FUND, down_for_seconds=30 * 86_400)
    )
    linked = [d.value for d in Department if d is not Department.HOUSING_FUND]
    county = {**POLICIES.regions.get("440105", {}), "departments": linked}
    policies = PolicyBook(
        types=POLICIES.types,
        regions={**POLICIES.regions, "440105": county},
        default_limits=POLICIES.default_limits,
        default_standards=POLICIES.default_standards,
    )
    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number, policies=policies) as case:
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(60_000))
        await case.stage(Stage.DEMOCRATIC_REVIEW)  # not held by the housing fund's outage
        [started] = await case.events("data_check_started")
        assert "税务部门" in started.summary and "住房公积金中心" not in started.summary
        assert await case.events("waiting_for_department") == []
        assert len(await case.events("assessed")) == 1
