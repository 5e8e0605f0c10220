"""quarterly_checks

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01

Each household the quarterly data re-check assessed, one row per (period, household). SPEC counts
quarterly data re-checks among the checks of 精准识别率; until now a comparison that found nothing
left no per-household row, so the figure's denominator missed them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarterly_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("application_number", sa.String(length=40), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "application_number", name="uq_quarterly_check"),
    )
    op.create_index("ix_quarterly_checks_county_checked", "quarterly_checks", ["county_code", "checked_at"])


def downgrade() -> None:
    op.drop_index("ix_quarterly_checks_county_checked", table_name="quarterly_checks")
    op.drop_table("quarterly_checks")
