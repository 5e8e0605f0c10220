"""The quarterly data exchange (季度数据比对): re-check enrolled households against the departments.

Batches keep the fan-out bounded: one activity re-checks a page of households, so 100,000
beneficiaries are a few thousand activities, never one per household. Inside a batch the
departments are asked about groups of households (`activities.quarterly_queries`) and each group's
rows are written in one transaction (`activities.quarterly_writes`), heartbeating between groups.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.data_check import AdapterFactory
from activities.quarterly_queries import Household, Outcome, ask, groups_by_county
from activities.quarterly_writes import PendingRows, Writer
from activities.warnings import RecordWarningsInput, warning_row
from domain.beneficiary import PAYABLE_STATUSES, BeneficiaryStatus
from domain.departments import DepartmentBadData
from domain.household_assessment import assess_household
from domain.policy import PolicyBook
from infra.models import Application, Beneficiary
from infra.pii import PiiVault

log = logging.getLogger(__name__)

# Everyone who is or is about to be paid: a household in phase-out or serving its exit notice
# still receives money, so hidden income or assets found now still matter.
ACTIVE_STATUSES = (BeneficiaryStatus.PENDING_ENROLMENT.value, *(s.value for s in PAYABLE_STATUSES))


@dataclass
class BeneficiaryPage:
    ids: list[int] = field(default_factory=list)  # beneficiary row ids, ascending
    next_after: int | None = None  # None when this was the last page


@dataclass
class RecheckBatchInput:
    period: str  # e.g. 2026Q4
    as_of: date
    beneficiary_ids: list[int]
    # Households asked about in one department query (up to 100 ID numbers). 1: each alone, as
    # batches scheduled before grouping did.
    households_per_query: int = 1


@dataclass
class RecheckBatchResult:
    checked: int = 0
    warned_households: int = 0
    warnings: int = 0
    # Application numbers a person must look at (at most a page's; also written to
    # quarterly_recheck_failures, where the whole run's list is kept).
    failed: list[str] = field(default_factory=list)


def _progress(done_through: int, result: RecheckBatchResult) -> dict[str, Any]:
    # Plain JSON: heartbeat details reach the next attempt without a type to decode them into.
    return {"after": done_through, **asdict(result)}


def _resumed(details: Sequence[Any]) -> tuple[int, RecheckBatchResult]:
    """Where the previous attempt got to (0 and nothing on the first attempt)."""
    if not details or not isinstance(details[-1], dict):
        return 0, RecheckBatchResult()
    last: dict[str, Any] = details[-1]
    return int(last.get("after", 0)), RecheckBatchResult(
        checked=int(last.get("checked", 0)), warned_households=int(last.get("warned_households", 0)),
        warnings=int(last.get("warnings", 0)), failed=[str(n) for n in last.get("failed", [])],
    )  # fmt: skip


class QuarterlyActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: AdapterFactory,
        policies: PolicyBook,
        pii: PiiVault,
    ) -> None:
        self._sessions = sessions
        self._writer = Writer(sessions)
        self._adapters = adapters
        self._policies = policies
        self._pii = pii  # the members' ID numbers are sealed at rest

    @activity.defn
    async def list_beneficiaries(
        self, after_id: int, limit: int, county_code: str | None = None
    ) -> BeneficiaryPage:
        """The next page of active beneficiaries (of one county, or of all)."""
        query = select(Beneficiary.id).where(
            Beneficiary.id > after_id, Beneficiary.status.in_(ACTIVE_STATUSES)
        )
        if county_code is not None:
            query = query.where(Beneficiary.county_code == county_code)
        async with self._sessions() as session:
            ids = list(await session.scalars(query.order_by(Beneficiary.id).limit(limit)))
        return BeneficiaryPage(ids, ids[-1] if len(ids) == limit else None)

    @staticmethod
    def _failed(
        result: RecheckBatchResult,
        input: RecheckBatchInput,
        row: Beneficiary,
        reason: str,
        pending: PendingRows,
    ) -> None:
        """A household for a person: listed in the database (once per period, whatever the retries)."""
        result.failed.append(row.application_number)
        pending.failures.append(
            {"period": input.period, "application_number": row.application_number,
             "county_code": row.county_code, "reason": reason}
        )  # fmt: skip

    @activity.defn
    async def recheck_batch(self, input: RecheckBatchInput) -> RecheckBatchResult:
        """Re-check a page of households. Each heartbeat carries the progress (the last household
        written and the counts so far), so a retry — a department down at the third group — resumes
        after the second instead of querying the first two groups again."""
        after, result = _resumed(activity.info().heartbeat_details)
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Beneficiary, Application)
                    .outerjoin(Application, Application.application_number == Beneficiary.application_number)
                    .where(Beneficiary.id.in_(input.beneficiary_ids), Beneficiary.id > after)
                    .order_by(Beneficiary.id)
                )
            ).all()
        # Households with a case file go to the departments in groups; the others straight to a person.
        members = {b.id: a.submission(self._pii).get("members", []) for b, a in rows if a is not None}
        households = [
            Household(b.id, b.county_code, [str(m["id_number"]) for m in members[b.id]])
            for b, _ in rows
            if b.id in members
        ]
        pending = groups_by_county(households, input.households_per_query)
        outcomes: dict[int, Outcome] = {}
        pending_rows = PendingRows()
        for beneficiary, application in rows:
            if application is not None and beneficiary.id not in outcomes:
                # Before the next query: what is assessed so far written, and the heartbeat saying
                # so — a department down now fails the attempt, and the retry resumes after it.
                result.warnings += await self._writer.write(pending_rows)
                activity.heartbeat(_progress(after, result))
                # The answers of its county's next group (it is the group's first).
                group = next(pending[beneficiary.county_code])
                answered = await ask(self._adapters(beneficiary.county_code), group, input.as_of)
                outcomes.update(zip((h.key for h in group), answered, strict=True))
            after = beneficiary.id
            if application is None:  # no case file to take the members from: a person must look
                log.warning("quarterly check of %s: no application on file", beneficiary.application_number)
                self._failed(result, input, beneficiary, "无申请档案，无法取得家庭成员信息", pending_rows)
                continue
            declared = [int(m.get("monthly_income_fen", 0)) for m in members[beneficiary.id]]
            # A department that is down has failed the batch attempt above (retried with backoff;
            # rows already written are not written twice: unique keys). Bad data will not get
            # better by retrying: the household goes on the list for a person.
            outcome = outcomes.pop(beneficiary.id)
            try:
                if isinstance(outcome, DepartmentBadData):
                    raise outcome
                assessment = assess_household(
                    declared or [0], outcome, None,
                    standards=self._policies.resolve_standards(beneficiary.county_code), as_of=input.as_of,
                )  # fmt: skip
            except DepartmentBadData as exc:
                log.warning("quarterly check of %s needs a person: %s", beneficiary.application_number, exc)
                self._failed(result, input, beneficiary, f"部门数据异常：{exc}", pending_rows)
                continue
            result.checked += 1
            if assessment.warnings:
                result.warned_households += 1
                warned = RecordWarningsInput(
                    beneficiary.application_number, "quarterly", input.period, beneficiary.county_code,
                    beneficiary.township_code,
                )  # fmt: skip
                pending_rows.warnings += [warning_row(warned, w) for w in assessment.warnings]
            # A check in 精准识别率's denominator (once per period: a retry of the batch that
            # reaches this household again writes nothing).
            pending_rows.checks.append(
                {"period": input.period, "application_number": beneficiary.application_number,
                 "county_code": beneficiary.county_code, "warned": bool(assessment.warnings),
                 "checked_at": datetime.now(UTC)}
            )  # fmt: skip
        result.warnings += await self._writer.write(pending_rows)
        return result
