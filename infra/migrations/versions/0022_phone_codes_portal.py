"""phone_codes, phone_code_gates

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-01

- phone_codes: the SMS one-time codes (services/phone_codes.py) of the applicant portal's sign-in
  and of the public objection form; the code and the number only as keyed digests.
- phone_code_gates: each number's last code, the one-a-minute limit taken by one atomic UPDATE.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("phone_digest", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_phone_codes_phone_digest", "phone_codes", ["phone_digest"])
    op.create_index("ix_phone_codes_client_ip", "phone_codes", ["client_ip"])
    op.create_index("ix_phone_codes_created_at", "phone_codes", ["created_at"])
    op.create_table(
        "phone_code_gates",
        sa.Column("phone_digest", sa.String(64), primary_key=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("phone_code_gates")
    op.drop_index("ix_phone_codes_created_at", "phone_codes")
    op.drop_index("ix_phone_codes_client_ip", "phone_codes")
    op.drop_index("ix_phone_codes_phone_digest", "phone_codes")
    op.drop_table("phone_codes")
