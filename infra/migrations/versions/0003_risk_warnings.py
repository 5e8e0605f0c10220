"""risk warnings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 17:24:46.443851
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_number", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "application_number", "origin", "period", "rule", "member", name="uq_risk_warning"
        ),
    )
    with op.batch_alter_table("risk_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_warnings_application_number"), ["application_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_risk_warnings_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_warnings_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_warnings_rule"), ["rule"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_warnings_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_warnings_township_code"), ["township_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_warnings_township_code"))
        batch_op.drop_index(batch_op.f("ix_risk_warnings_status"))
        batch_op.drop_index(batch_op.f("ix_risk_warnings_rule"))
        batch_op.drop_index(batch_op.f("ix_risk_warnings_period"))
        batch_op.drop_index(batch_op.f("ix_risk_warnings_county_code"))
        batch_op.drop_index(batch_op.f("ix_risk_warnings_application_number"))

    op.drop_table("risk_warnings")
