"""Starting a case's workflow from its stored row — at intake, and later by the start repair.

The intake commits the row before it starts the workflow ("never lose a case"). When the workflow
service is down at that moment the row stays `workflow_pending` (set with the insert), the case view says
流程待启动, and the start repair (run by every worker process, `run_start_repair`) starts it once
the service answers again. Starting is idempotent: the workflow id is the application number's,
with USE_EXISTING, so the intake, a resubmission and any number of repair passes (in any number
of worker processes at once) make one case.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.application import StartApplicationInput
from domain.enums import AssistanceType, Channel
from domain.masking import mask_name
from domain.staff import Actor, Role
from infra.models import Application
from infra.pii import PiiVault
from workflows import search_attributes as sa
from workflows.application import ApplicationWorkflow

log = logging.getLogger(__name__)

# The errors that mean "the workflow service cannot be reached now" (RuntimeError: the SDK's
# (re)connect failure when the server is down altogether).
UNAVAILABLE: tuple[type[Exception], ...] = (RPCError, RuntimeError)
# The label of a case whose workflow has not started yet (case view).
PENDING_LABEL = "流程待启动"


def start_input(row: Application, payload: dict[str, Any]) -> StartApplicationInput:
    """The workflow input, from the stored row and its opened submission: codes and figures, never
    names or ID numbers (the masked name is what the publicity notice shows anyway)."""
    members: list[dict[str, Any]] = payload.get("members") or []
    clerk = payload.get("submitted_by")
    return StartApplicationInput(
        application_number=row.application_number,
        assistance_type=AssistanceType(row.assistance_type),
        county_code=row.county_code,
        township_code=row.township_code,
        community_code=row.community_code,
        green_channel=row.green_channel,
        accepted_at=row.accepted_at,
        channel=Channel(row.channel),
        household_size=row.household_size,
        declared_monthly_income_fen=sum(int(m.get("monthly_income_fen", 0)) for m in members),
        declared_member_incomes_fen=[int(m.get("monthly_income_fen", 0)) for m in members],
        materials_provided=list(payload.get("materials") or []),
        commitment_signed=bool(payload.get("commitment_signed")),
        staff_relative=payload.get("staff_relative") is not None,
        masked_name=mask_name(row.applicant_name),
        submitted_by=Actor(
            clerk["username"], clerk["display_name"], Role(clerk["role"]), clerk["region_code"]
        )
        if clerk
        else None,
    )


async def start_case_workflow(
    client: Client,
    task_queue: str,
    sessions: async_sessionmaker[AsyncSession],
    row: Application,
    pii: PiiVault,
) -> bool:
    """Start (or find running) the case's workflow and record that it runs. Returns whether this
    call created the execution. Raises one of UNAVAILABLE when the service cannot be reached."""
    created = True
    try:
        await client.start_workflow(
            ApplicationWorkflow.run,
            start_input(row, row.submission(pii)),
            id=row.workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=sa.initial(row.assistance_type, row.county_code, row.green_channel),
        )
    except WorkflowAlreadyStartedError:
        created = False  # closed already: the case exists, nothing to start
    # (USE_EXISTING answers a running execution without an error: `created` is then not known
    # from the start call; the repair counts it as started, which is what the clerk cares about.)
    if row.workflow_pending:
        async with sessions.begin() as session:
            await session.execute(
                update(Application).where(Application.id == row.id).values(workflow_pending=False)
            )
        row.workflow_pending = False
    return created


@dataclass
class RepairPass:
    """One pass of the start repair: the application numbers it started, and those it could not
    (the workflow service still down) — they stay pending for the next pass."""

    started: list[str] = field(default_factory=list)
    still_pending: list[str] = field(default_factory=list)


async def repair_unstarted(
    client: Client,
    task_queue: str,
    sessions: async_sessionmaker[AsyncSession],
    pii: PiiVault,
    *,
    grace: timedelta = timedelta(seconds=30),
    limit: int = 200,
) -> RepairPass:
    """Start the workflows of the cases saved without one. `grace` leaves alone the rows an intake
    is starting right now (its own start follows its commit within milliseconds)."""
    cutoff = datetime.now(UTC) - grace
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(Application)
                .where(Application.workflow_pending.is_(True), Application.accepted_at <= cutoff)
                .order_by(Application.accepted_at, Application.id)
                .limit(limit)
            )
        )
    result = RepairPass()
    for index, row in enumerate(rows):
        try:
            await start_case_workflow(client, task_queue, sessions, row, pii)
        except UNAVAILABLE as exc:
            # Still down: everything left waits for the next pass, in the same order.
            log.warning(
                "start repair: workflow service unavailable (%s); %d cases wait", exc, len(rows) - index
            )
            result.still_pending = [r.application_number for r in rows[index:]]
            break
        result.started.append(row.application_number)
    if result.started:
        log.info("start repair: started %d saved cases", len(result.started))
    return result


async def run_start_repair(
    stop: asyncio.Event,
    client: Client,
    task_queue: str,
    sessions: async_sessionmaker[AsyncSession],
    pii: PiiVault,
    *,
    interval: timedelta,
    limit: int = 200,
) -> None:
    """The worker's background loop: a repair pass every `interval` until `stop` is set. A failing
    pass (the database down too) is logged and tried again at the next tick, never fatal."""
    while not stop.is_set():
        try:
            # A full pass means more may wait (a long outage): go on at once, not a tick later.
            while (
                len((await repair_unstarted(client, task_queue, sessions, pii, limit=limit)).started) == limit
            ):
                if stop.is_set():
                    return
        except Exception:  # a background loop must outlive any one failure
            log.exception("start repair pass failed; retrying in %.0f s", interval.total_seconds())
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval.total_seconds())
        except TimeoutError:
            pass
