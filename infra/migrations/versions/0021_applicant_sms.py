"""sms_messages, applications.payment_sms_opt_out

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01

- sms_messages: every SMS to an applicant, one row per business key (`<application_number>:accepted`),
  with its delivery status — what the case view shows and what proves an electronic delivery.
- applications.payment_sms_opt_out: the household declined the monthly payment messages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("message_id", sa.String(128), primary_key=True),
        sa.Column("application_number", sa.String(40), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("receipt", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_sms_messages_application_number", "sms_messages", ["application_number"])
    op.create_index("ix_sms_messages_status", "sms_messages", ["status"])
    with op.batch_alter_table("applications") as t:
        t.add_column(
            sa.Column("payment_sms_opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("applications") as t:
        t.drop_column("payment_sms_opt_out")
    op.drop_index("ix_sms_messages_status", "sms_messages")
    op.drop_index("ix_sms_messages_application_number", "sms_messages")
    op.drop_table("sms_messages")
