"""`case_projections` (infra/models/case.py): written by the activity that carries a changed
StatusProjection, read by the case view. The write keeps the newest: two activities of one case
may land in either order (an update's write beside the main line's), and a retry may land late."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.application import ApplicationStatus, StatusProjection
from infra.db import conflict_insert
from infra.models import CaseProjection

_STATUS = TypeAdapter(ApplicationStatus)


def _row(application_number: str, seq: int, status: ApplicationStatus, at: datetime) -> dict[str, Any]:
    return {
        "application_number": application_number,
        "seq": seq,
        "status": _STATUS.dump_python(replace(status, open_tasks=[]), mode="json"),
        "updated_at": at,
    }


async def write_projection(
    session: AsyncSession, application_number: str, projection: StatusProjection, at: datetime
) -> None:
    row = _row(application_number, projection.seq, projection.status, at)
    statement = conflict_insert(session, CaseProjection).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CaseProjection.application_number],
            set_={k: statement.excluded[k] for k in ("seq", "status", "updated_at")},
            where=CaseProjection.seq < statement.excluded.seq,
        )
    )


async def read_projection(session: AsyncSession, application_number: str) -> ApplicationStatus | None:
    """The case's last projected status (open_tasks empty), or None when it wrote none yet."""
    found = await read_projection_at(session, application_number)
    return None if found is None else found[0]


async def read_projection_at(
    session: AsyncSession, application_number: str
) -> tuple[ApplicationStatus, datetime] | None:
    """… and when it was written."""
    row = (
        await session.execute(
            select(CaseProjection.status, CaseProjection.updated_at).where(
                CaseProjection.application_number == application_number
            )
        )
    ).first()
    return None if row is None else (_STATUS.validate_python(row.status), row.updated_at)


async def backfill_projection(
    session: AsyncSession, application_number: str, status: ApplicationStatus, at: datetime
) -> None:
    """The live answer of a case that projected nothing yet (it started before projections, and its
    status has not changed since), stored as seq 0: the workflow's own next projection (seq ≥ 1)
    replaces it, and a backfill never replaces one of those."""
    statement = conflict_insert(session, CaseProjection).values(**_row(application_number, 0, status, at))
    await session.execute(statement.on_conflict_do_nothing(index_elements=["application_number"]))
