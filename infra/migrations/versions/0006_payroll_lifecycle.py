"""beneficiary lifecycle and monthly payroll

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("tasks") as t:
        t.add_column(sa.Column("workflow_id", sa.String(64), nullable=True))

    with op.batch_alter_table("beneficiaries") as b:
        b.add_column(sa.Column("masked_name", sa.String(64), nullable=False, server_default=""))
        b.add_column(sa.Column("masked_id_number", sa.String(18), nullable=False, server_default=""))
        b.add_column(sa.Column("next_review_month", sa.String(7), nullable=True))
        b.add_column(sa.Column("phase_out_until", sa.String(7), nullable=True))
        b.add_column(sa.Column("exit_month", sa.String(7), nullable=True))
        b.add_column(sa.Column("integrity_mark", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        )
        b.create_index("ix_beneficiaries_status", ["status"])

    with op.batch_alter_table("payment_orders") as o:
        o.add_column(sa.Column("month", sa.String(7), nullable=True))
        o.add_column(sa.Column("county_code", sa.String(12), nullable=True))
        o.add_column(sa.Column("township_code", sa.String(12), nullable=True))
        o.add_column(sa.Column("assistance_type", sa.String(32), nullable=True))
        o.add_column(sa.Column("item_description", sa.Text(), nullable=False, server_default=""))
        o.add_column(sa.Column("masked_name", sa.String(64), nullable=False, server_default=""))
        o.add_column(sa.Column("masked_id_number", sa.String(18), nullable=False, server_default=""))
        o.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        o.add_column(sa.Column("batch_id", sa.String(40), nullable=True))
        o.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        o.add_column(sa.Column("failure_reason", sa.String(32), nullable=True))
        o.add_column(sa.Column("bank_serial", sa.String(40), nullable=True))
        o.add_column(_at("paid_at", nullable=True))
        o.create_index("ix_payment_orders_month", ["month"])
        o.create_index("ix_payment_orders_county_code", ["county_code"])
        o.create_index("ix_payment_orders_status", ["status"])
        o.create_index("ix_payment_orders_run_id", ["run_id"])
        o.create_index("ix_payment_orders_batch_id", ["batch_id"])
        o.create_unique_constraint("uq_payment_household_month", ["application_number", "kind", "month"])

    op.create_table(
        "payee_accounts",
        sa.Column("application_number", sa.String(40), primary_key=True),
        sa.Column("account_holder", sa.String(64), nullable=False),
        sa.Column("account_sealed", sa.Text(), nullable=False),
        sa.Column("account_digest", sa.String(64), nullable=False, index=True),
        sa.Column("account_last4", sa.String(4), nullable=False),
        sa.Column("bank_name", sa.String(64), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        _at("updated_at"),
    )
    op.create_table(
        "payroll_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("frozen_at"),
        sa.Column("households", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total_fen", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("runs", sa.Integer(), nullable=False, server_default="1"),
        _at("completed_at", nullable=True),
        sa.UniqueConstraint("county_code", "month", name="uq_payroll_county_month"),
    )
    op.create_table(
        "payment_batches",
        sa.Column("batch_id", sa.String(40), primary_key=True),
        sa.Column("run_id", sa.Integer(), nullable=False, index=True),
        sa.Column("county_code", sa.String(12), nullable=False, index=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("file_sealed", sa.Text(), nullable=False),
        sa.Column("receipt", sa.String(64), nullable=True),
        sa.Column("paid", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("paid_fen", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        _at("created_at"),
        _at("completed_at", nullable=True),
    )
    op.create_table(
        "disclosures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        _at("published_at"),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.UniqueConstraint("county_code", "month", name="uq_disclosure_county_month"),
    )
    op.create_table(
        "beneficiary_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_number", sa.String(40), nullable=False, index=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        _at("at"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actor_username", sa.String(64), nullable=True),
        sa.Column("actor_role", sa.String(32), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("application_number", "seq", name="uq_beneficiary_events_seq"),
    )
    op.create_table(
        "exit_notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("application_number", sa.String(40), nullable=False, index=True),
        sa.Column("county_code", sa.String(12), nullable=False, index=True),
        _at("issued_at"),
        sa.Column("effective_month", sa.String(7), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("policy_basis", sa.Text(), nullable=False),
        sa.Column("referral", sa.Text(), nullable=False),
    )
    op.create_table(
        "recoveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_number", sa.String(40), nullable=False, unique=True),
        sa.Column("county_code", sa.String(12), nullable=False, index=True),
        sa.Column("since_month", sa.String(7), nullable=False),
        sa.Column("amount_due_fen", sa.Integer(), nullable=False),
        sa.Column("amount_recovered_fen", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        _at("created_at"),
    )
    op.create_table(
        "recovery_payments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("recovery_id", sa.Integer(), nullable=False, index=True),
        sa.Column("reference", sa.String(64), nullable=False, unique=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        _at("recorded_at"),
    )
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("application_number", sa.String(40), nullable=False, index=True),
        sa.Column("county_code", sa.String(12), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        _at("at"),
    )


def downgrade() -> None:
    for table in (
        "credit_records", "recovery_payments", "recoveries", "exit_notices", "beneficiary_events",
        "disclosures", "payment_batches", "payroll_runs", "payee_accounts",
    ):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("payment_orders") as o:
        o.drop_constraint("uq_payment_household_month", type_="unique")
        for index in ("batch_id", "run_id", "status", "county_code", "month"):
            o.drop_index(f"ix_payment_orders_{index}")
        for column in (
            "paid_at", "bank_serial", "failure_reason", "attempts", "batch_id", "run_id", "masked_id_number", "masked_name", "item_description",
            "assistance_type", "township_code", "county_code", "month",
        ):  # fmt: skip
            o.drop_column(column)
    with op.batch_alter_table("beneficiaries") as b:
        b.drop_index("ix_beneficiaries_status")
        for column in (
            "updated_at", "integrity_mark", "exit_month", "phase_out_until", "next_review_month",
            "masked_id_number", "masked_name",
        ):  # fmt: skip
            b.drop_column(column)
    with op.batch_alter_table("tasks") as t:
        t.drop_column("workflow_id")
