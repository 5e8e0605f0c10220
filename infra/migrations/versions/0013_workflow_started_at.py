"""applications.workflow_started_at

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-01

- applications.workflow_started_at: set once the case's workflow is known to run. A case saved
  while the workflow service was down keeps NULL, and the start repair (infra/case_start.py)
  starts it when the service is back, instead of waiting for the clerk to resubmit.
- Existing rows past intake certainly have a workflow: they are marked with their acceptance time.
  Rows still at intake stay NULL; the repair's first pass confirms them (USE_EXISTING start of the
  same workflow id: a running case is left as it is, a never-started one starts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as t:
        t.add_column(sa.Column("workflow_started_at", sa.DateTime(timezone=True), nullable=True))
        t.create_index("ix_applications_workflow_started_at", ["workflow_started_at"])
    op.execute("UPDATE applications SET workflow_started_at = accepted_at WHERE stage <> 'intake'")


def downgrade() -> None:
    with op.batch_alter_table("applications") as t:
        t.drop_index("ix_applications_workflow_started_at")
        t.drop_column("workflow_started_at")
