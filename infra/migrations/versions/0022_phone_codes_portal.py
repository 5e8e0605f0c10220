"""phone_codes, phone_code_gates, online_applications, portal_uploads

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-01

- phone_codes: the SMS one-time codes (services/phone_codes.py) of the applicant portal's sign-in
  and of the public objection form; the code and the number only as keyed digests.
- phone_code_gates: each number's last code, the one-a-minute limit taken by one atomic UPDATE.
- online_applications: applications filed in the applicant portal, waiting for the window's
  acceptance (受理); personal data sealed, phone and ID number as keyed digests for matching.
- portal_uploads: the photos and PDFs of their materials, sealed, with a SHA-256 of the content.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
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
    op.create_table(
        "online_applications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(32), nullable=False, unique=True),
        sa.Column("submit_key", sa.String(64), nullable=False, unique=True),
        sa.Column("assistance_type", sa.String(32), nullable=False),
        sa.Column("county_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("township_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("community_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("applicant_name", sa.String(64), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("applicant_phone_digest", sa.String(64), nullable=False),
        sa.Column("applicant_id_number_digest", sa.String(64), nullable=False),
        sa.Column("payload_sealed", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("return_note", sa.Text(), nullable=False),
        sa.Column("application_number", sa.String(40), nullable=True, unique=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
    )
    for column in (
        "county_code",
        "township_code",
        "community_code",
        "applicant_phone_digest",
        "applicant_id_number_digest",
        "status",
    ):
        op.create_index(f"ix_online_applications_{column}", "online_applications", [column])
    op.create_table(
        "portal_uploads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(32), nullable=False, unique=True),
        sa.Column(
            "online_application_id", sa.Integer(), sa.ForeignKey("online_applications.id"), nullable=False
        ),
        sa.Column("material", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_portal_uploads_online_application_id", "portal_uploads", ["online_application_id"])


def downgrade() -> None:
    op.drop_table("portal_uploads")
    op.drop_table("online_applications")
    op.drop_table("phone_code_gates")
    op.drop_index("ix_phone_codes_created_at", "phone_codes")
    op.drop_index("ix_phone_codes_client_ip", "phone_codes")
    op.drop_index("ix_phone_codes_phone_digest", "phone_codes")
    op.drop_table("phone_codes")
