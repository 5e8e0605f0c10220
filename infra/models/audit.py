"""The audit log (审计日志): one append-only row per decision, refusal, login event and read of a
full personal record, chained by SHA-256 so that an edit or a removal shows.

Append-only is enforced by the database itself (triggers created by migration 0005 refuse UPDATE
and DELETE on both SQLite and PostgreSQL); the code only ever inserts. Rows are numbered from the
single `audit_head` row inside the inserting transaction, so ids are gapless and the chain cannot
fork even with several API instances writing at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime

# The prev_hash of the first row: no row before it.
GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"

    # Assigned from audit_head.seq (not autoincrement): gapless, in chain order.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # The staff member acting; for a failed login, the username that was tried.
    actor_username: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_region: Mapped[str | None] = mapped_column(String(12), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str] = mapped_column(String(24))
    target_id: Mapped[str | None] = mapped_column(String(64))
    application_number: Mapped[str | None] = mapped_column(String(40), index=True)
    # The target's county and most specific region (case community, task region, staff region):
    # what a supervisor's jurisdiction is matched against. NULL for system-wide events.
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(8))  # ok | refused | error
    status_code: Mapped[int] = mapped_column(Integer)
    # Codes, ids, counts and outcomes only: never names, ID numbers, phones or free text.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Unique: two rows claiming the same predecessor would be a fork of the chain.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's head: the last id and hash. A single row (id 1), created by the migration and
    locked by every insert (UPDATE first), which serialises appends on SQLite and PostgreSQL alike."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
