"""Regions and applications.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=True),
    )
    op.create_index("ix_regions_parent_code", "regions", ["parent_code"])
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_number", sa.String(40), nullable=False, unique=True),
        sa.Column("workflow_id", sa.String(64), nullable=False, unique=True),
        sa.Column("assistance_type", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("county_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("township_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("community_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("applicant_name", sa.String(64), nullable=False),
        sa.Column("applicant_id_number", sa.String(18), nullable=False),
        sa.Column("applicant_phone", sa.String(20), nullable=False),
        sa.Column("household_size", sa.Integer, nullable=False),
        sa.Column("green_channel", sa.Boolean, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("payload_fingerprint", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    for column in (
        "assistance_type",
        "county_code",
        "township_code",
        "community_code",
        "applicant_id_number",
        "stage",
    ):
        op.create_index(f"ix_applications_{column}", "applications", [column])


def downgrade() -> None:
    op.drop_table("applications")
    op.drop_index("ix_regions_parent_code", table_name="regions")
    op.drop_table("regions")
