"""regions.urban_rural, case_limits, statistics indexes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01

- regions.urban_rural: a community is urban (城市社区, 社区居委会) or rural (农村村委会); the
  ministry's monthly figures split 低保 by it. Existing communities are classified by their name
  (…村 / …村委会 rural, …社区 urban); others stay unclassified (NULL) until an operator sets them.
- case_limits: each case's time limits as they stand (deadline, breached), kept from the timeline
  by the activity that writes it (infra/case_limits.py); filled here from the timelines so far.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_limits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_number", sa.String(40), nullable=False),
        sa.Column("limit_name", sa.String(40), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("assistance_type", sa.String(32), nullable=False),
        sa.Column("green_channel", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.UniqueConstraint("application_number", "limit_name", name="uq_case_limit"),
    )
    op.create_index("ix_case_limits_county_deadline", "case_limits", ["county_code", "deadline"])
    _fill_case_limits()
    # Plain ALTER TABLE (no batch copy): on SQLite a batch would rebuild `regions`, which every
    # case row references.
    op.add_column("regions", sa.Column("urban_rural", sa.String(8), nullable=True))
    op.execute(
        "UPDATE regions SET urban_rural = 'rural' WHERE level = 'community' AND (name LIKE '%村' OR name LIKE '%村委会')"
    )
    op.execute(
        "UPDATE regions SET urban_rural = 'urban' WHERE level = 'community' AND urban_rural IS NULL AND name LIKE '%社区'"
    )


def _fill_case_limits() -> None:
    from infra.case_limits import LIMIT_EVENTS, apply_limit_change, limit_change
    from infra.models.types import UtcDateTime

    connection = op.get_bind()
    events = sa.table(
        "case_events",
        sa.column("application_number", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("at", UtcDateTime()),
        sa.column("kind", sa.String),
        sa.column("data", sa.JSON),
    )
    rows = connection.execute(
        sa.select(events.c.application_number, events.c.seq, events.c.at, events.c.kind, events.c.data)
        .where(events.c.kind.in_(LIMIT_EVENTS))
        .order_by(events.c.application_number, events.c.seq)
    ).all()
    for number, seq, at, kind, data in rows:
        change = limit_change(kind, data if isinstance(data, dict) else {})
        if change is not None:
            apply_limit_change(connection, number, seq, at, change)


def downgrade() -> None:
    op.drop_index("ix_case_limits_county_deadline", table_name="case_limits")
    op.drop_table("case_limits")
    op.execute("ALTER TABLE regions DROP COLUMN urban_rural")  # SQLite ≥ 3.35 and PostgreSQL
