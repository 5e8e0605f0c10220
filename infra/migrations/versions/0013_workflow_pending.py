"""applications.workflow_pending

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-01

- applications.workflow_pending: true from the intake's insert (same transaction as the row) until
  the case's workflow is known to run. A case saved while the workflow service was down, or whose
  API process died between the commit and the start, stays pending, and the start repair
  (infra/case_start.py) starts it when the service is back, instead of waiting for the clerk to
  resubmit. Rows written by any other path (imports, tests) are never started behind their back.
- Existing rows still at intake are marked pending: before this revision a failed start waited for
  a resubmission. The repair's first pass confirms them (a USE_EXISTING start of the same workflow
  id leaves a running case as it is and starts a never-started one). Rows past intake have a
  workflow: they stay false.
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
        t.add_column(sa.Column("workflow_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
        t.create_index("ix_applications_workflow_pending", ["workflow_pending"])
    op.execute(
        sa.text("UPDATE applications SET workflow_pending = :yes WHERE stage = 'intake'").bindparams(yes=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("applications") as t:
        t.drop_index("ix_applications_workflow_pending")
        t.drop_column("workflow_pending")
