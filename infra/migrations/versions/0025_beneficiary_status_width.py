"""beneficiaries.status holds 24 characters

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01

The hand-over of an approved monthly case writes the status `pending_enrolment` (17 characters)
into a column of 16. SQLite does not check a VARCHAR's length, so every test passed; PostgreSQL
refuses the row ("value too long"), and the hand-over activity would retry for ever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("beneficiaries") as table:
        table.alter_column(
            "status", type_=sa.String(24), existing_type=sa.String(16), existing_nullable=False
        )


def downgrade() -> None:
    """Left wide: the code of 0024 reads and writes the wider column alike, and narrowing it would
    refuse every household still waiting for its enrolment."""
