"""staff.created_by, staff.create_key

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-01

- staff.created_by: the operator who created the account (系统管理); empty for seeded and older rows.
- staff.create_key: a digest of the form's or client's idempotency key of that creation, so a
  resubmitted or double-clicked "create" by the same operator answers with the account it made
  instead of "username taken" — decided in the same row the insert wrote, so two racing submits
  cannot both miss it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as t:
        t.add_column(sa.Column("created_by", sa.String(64), nullable=True))
        t.add_column(sa.Column("create_key", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff") as t:
        t.drop_column("create_key")
        t.drop_column("created_by")
