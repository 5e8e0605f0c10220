"""Keeping `case_limits` (infra/models/statistics.py) from the timeline entries the application
workflow writes: `limit_started` opens (or, for a new round, replaces) a case's limit, `extended`
and `deadline_moved` move its deadline, `breach` flags it. The workflow's own state is not in the
database; its timeline is, and every change of a deadline is on it (services/calendar.py reads it
the same way). Used by the activity after it inserted the entry (so a retry applies nothing
twice) and by migration 0020 to fill the table from the timelines written before it existed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from infra.models import Application, CaseLimit

LIMIT_EVENTS = ("limit_started", "extended", "deadline_moved", "breach")


@dataclass(frozen=True)
class LimitChange:
    """What one timeline entry does to a case's limit (None: nothing)."""

    limit_name: str
    deadline: datetime | None  # a new deadline (limit_started, extended, deadline_moved)
    new_round: bool  # limit_started: the row is replaced
    breached: bool


def limit_change(kind: str, data: dict[str, Any]) -> LimitChange | None:
    name = data.get("limit")
    if kind not in LIMIT_EVENTS or not isinstance(name, str):
        return None
    if kind == "breach":
        return LimitChange(name, None, new_round=False, breached=True)
    raw = data.get("deadline")
    if not isinstance(raw, str):
        return None
    return LimitChange(name, datetime.fromisoformat(raw), new_round=kind == "limit_started", breached=False)


def apply_limit_change(
    connection: Connection, application_number: str, seq: int, at: datetime, change: LimitChange
) -> None:
    """Synchronous (the migration's connection, or the activity's through run_sync)."""
    row = connection.execute(
        select(CaseLimit.id, CaseLimit.seq).where(
            CaseLimit.application_number == application_number, CaseLimit.limit_name == change.limit_name
        )
    ).first()
    if row is not None and row.seq > seq:
        return  # a later entry already wrote it
    if change.new_round:
        assert change.deadline is not None
        case = connection.execute(
            select(
                Application.county_code, Application.township_code, Application.assistance_type,
                Application.green_channel,
            ).where(Application.application_number == application_number)
        ).first()  # fmt: skip
        if case is None:
            return
        values: dict[str, Any] = {
            "county_code": case.county_code, "township_code": case.township_code,
            "assistance_type": case.assistance_type, "green_channel": bool(case.green_channel),
            "started_at": at, "deadline": change.deadline, "breached_at": None, "seq": seq,
        }  # fmt: skip
        if row is None:
            connection.execute(
                insert(CaseLimit).values(
                    application_number=application_number, limit_name=change.limit_name, **values
                )
            )
        else:
            connection.execute(update(CaseLimit).where(CaseLimit.id == row.id).values(**values))
        return
    if row is None:
        return
    moved: dict[str, Any] = {"seq": seq}
    if change.breached:
        moved["breached_at"] = at
    else:
        moved["deadline"] = change.deadline
    connection.execute(update(CaseLimit).where(CaseLimit.id == row.id).values(**moved))
