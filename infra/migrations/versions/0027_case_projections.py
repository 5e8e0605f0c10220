"""case_projections

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01

The application workflow's view of each case (stage, limits, missing materials, amounts, category,
publicity rounds, objections, extension), written beside its records when it changes, so that the
case read is a database read and not a query that waits for a busy worker (issue 13). Cases that
wrote none yet are read live, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_projections",
        sa.Column("application_number", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_number"),
    )


def downgrade() -> None:
    op.drop_table("case_projections")
