"""beneficiaries.household_size; covering indexes for a county's orders and roster

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01

Statistics speed (issue 11, "Speed"): the roster and the monthly report summed every household's
size through a join with its application (one lookup per household); the size is now kept on the
beneficiary row by the activities that write it (hand-over and enrolment copy it from the
application, which never changes it) and filled here for the rows written before. The money
figures and the monthly report read a county's orders of a month from an index holding every
column they aggregate, the roster its households likewise, so neither reads the table rows; the
limits, the working days and the overdue count find a case's region and stage, its stage entries
and a county's breached limits in covering indexes (wider ones replace the (kind, at) and
(county, breached_at) indexes, of which they are extensions).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ORDERS_INDEX = "ix_payment_orders_county_month_figures"
ORDERS_COLUMNS = [
    "county_code", "month", "township_code", "assistance_type", "kind", "status", "amount_fen",
    "attempts", "paid_at", "batch_id", "ordered_at", "application_number",
]  # fmt: skip
ROSTER_INDEX = "ix_beneficiaries_county_roster"
ROSTER_COLUMNS = [
    "county_code", "status", "assistance_type", "community_code", "start_month", "exit_month",
    "category", "household_size", "monthly_amount_fen",
]  # fmt: skip


# (name, table, columns): the covering indexes that replace narrower ones (None: a new one).
REPLACED = [
    ("ix_case_events_kind_at_figures", "case_events",
     ["kind", "at", "application_number", "seq", "stage", "previous_stage", "previous_stage_at"],
     ("ix_case_events_kind_at", ["kind", "at"])),
    ("ix_case_events_case_figures", "case_events", ["application_number", "seq", "kind", "at", "stage"], None),
    ("ix_applications_case_figures", "applications",
     ["application_number", "county_code", "community_code", "assistance_type", "stage"], None),
    ("ix_case_limits_county_breached_figures", "case_limits",
     ["county_code", "breached_at", "township_code", "assistance_type", "application_number"],
     ("ix_case_limits_county_breached", ["county_code", "breached_at"])),
]  # fmt: skip


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy of the table).
    op.add_column("beneficiaries", sa.Column("household_size", sa.Integer, nullable=True))
    op.execute(
        "UPDATE beneficiaries SET household_size = (SELECT a.household_size FROM applications a"
        " WHERE a.application_number = beneficiaries.application_number)"
    )
    op.create_index(ORDERS_INDEX, "payment_orders", ORDERS_COLUMNS)
    op.create_index(ROSTER_INDEX, "beneficiaries", ROSTER_COLUMNS)
    op.add_column("case_events", sa.Column("previous_stage", sa.String(32), nullable=True))
    op.add_column("case_events", sa.Column("previous_stage_at", sa.DateTime(timezone=True), nullable=True))
    # The case index first: the fill looks each stage entry's previous one up by (case, seq).
    op.create_index("ix_case_events_case_figures", "case_events", REPLACED[1][2])
    fill_previous_stages()
    for name, table, columns, old in REPLACED:
        if name == "ix_case_events_case_figures":
            continue
        op.create_index(name, table, columns)
        if old:
            op.drop_index(old[0], table_name=table)


def fill_previous_stages() -> None:
    """Each stage entry's previous stage entry of its case (the timeline written before 0024)."""
    for target, column in (("previous_stage", "stage"), ("previous_stage_at", "at")):
        op.execute(
            f"UPDATE case_events SET {target} = (SELECT b.{column} FROM case_events b"
            " WHERE b.application_number = case_events.application_number AND b.kind = 'stage'"
            " AND b.seq < case_events.seq ORDER BY b.seq DESC LIMIT 1) WHERE kind = 'stage'"
        )


def downgrade() -> None:
    for name, table, _, old in reversed(REPLACED):
        if old:
            op.create_index(old[0], table, old[1])
        op.drop_index(name, table_name=table)
    op.drop_index(ROSTER_INDEX, table_name="beneficiaries")
    op.drop_index(ORDERS_INDEX, table_name="payment_orders")
    op.execute("ALTER TABLE case_events DROP COLUMN previous_stage_at")
    op.execute("ALTER TABLE case_events DROP COLUMN previous_stage")
    op.execute("ALTER TABLE beneficiaries DROP COLUMN household_size")  # SQLite ≥ 3.35 and PostgreSQL
