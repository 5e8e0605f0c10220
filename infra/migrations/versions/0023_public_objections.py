"""public_objections, public_objection_evidence

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01

Objections to a publicity sent by anyone from the public publicity page (issue 14, item 4): the
text, the objector's phone (sealed, with a keyed digest to count submissions per number), the
client address (counted per address), a digest of the form's key (one objection per form sent),
and the township reviewer's decision (registered on the case, or dismissed with a reason). The
evidence file sits in a table of its own, sealed, with its SHA-256, so listing the queue never
reads the files.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_objections",
        sa.Column("objection_id", sa.String(length=32), nullable=False),
        sa.Column("application_number", sa.String(length=40), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("text_sealed", sa.Text(), nullable=False),
        sa.Column("phone_sealed", sa.Text(), nullable=False),
        sa.Column("phone_digest", sa.String(length=64), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("form_key_hash", sa.String(length=64), nullable=False),
        sa.Column("has_evidence", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("objection_id"),
        sa.UniqueConstraint("form_key_hash"),
    )
    with op.batch_alter_table("public_objections") as t:
        for column in (
            "application_number",
            "township_code",
            "phone_digest",
            "client_ip",
            "submitted_at",
            "status",
        ):
            t.create_index(t.f(f"ix_public_objections_{column}"), [column], unique=False)
    op.create_table(
        "public_objection_evidence",
        sa.Column("objection_id", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["objection_id"], ["public_objections.objection_id"]),
        sa.PrimaryKeyConstraint("objection_id"),
    )


def downgrade() -> None:
    op.drop_table("public_objection_evidence")
    with op.batch_alter_table("public_objections") as t:
        for column in (
            "status",
            "submitted_at",
            "client_ip",
            "phone_digest",
            "township_code",
            "application_number",
        ):
            t.drop_index(t.f(f"ix_public_objections_{column}"))
    op.drop_table("public_objections")
