"""task revisions; quarterly re-check failures

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-01

- tasks.revision: the owning workflow numbers every state of a task; a write of an older state
  (a late activity retry) no longer overwrites a newer one (a claim landing after its release).
- quarterly_recheck_failures: the households a quarterly re-check could not assess, for a person to
  look at — kept here, not in the workflow's result, so that a province's run stays small.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as t:
        t.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "quarterly_recheck_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("application_number", sa.String(length=40), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "application_number", name="uq_recheck_failure"),
    )
    op.create_index(
        "ix_quarterly_recheck_failures_county_code", "quarterly_recheck_failures", ["county_code"]
    )
    op.create_index("ix_quarterly_recheck_failures_period", "quarterly_recheck_failures", ["period"])


def downgrade() -> None:
    op.drop_index("ix_quarterly_recheck_failures_period", table_name="quarterly_recheck_failures")
    op.drop_index("ix_quarterly_recheck_failures_county_code", table_name="quarterly_recheck_failures")
    op.drop_table("quarterly_recheck_failures")
    with op.batch_alter_table("tasks") as t:
        t.drop_column("revision")
