"""sums of money in 64-bit columns; disclosure supplements (each payment in one publication)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

A county month's total overflowed PostgreSQL's 32-bit INTEGER near 21,474,836.47 元. A disclosure was written once
per county and month, so payments settled after it were never published: publications are now
numbered (0 the monthly one, then supplements) and each payment records the one that showed it.
Payments settled before an existing publication are marked as shown by it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Every column that holds a sum of fen.
_SUMS = (
    ("payroll_runs", "total_fen"),
    ("payment_batches", "total_fen"),
    ("payment_batches", "paid_fen"),
    ("disclosures", "total_fen"),
    ("recoveries", "amount_due_fen"),
    ("recoveries", "amount_recovered_fen"),
)


def upgrade() -> None:
    # SQLite stores 64 bits in INTEGER already; its declared type follows the models all the same.
    for table in dict.fromkeys(t for t, _ in _SUMS):
        with op.batch_alter_table(table) as t:
            for column in (c for name, c in _SUMS if name == table):
                t.alter_column(
                    column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
                )
    with op.batch_alter_table("disclosures") as d:
        d.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        d.drop_constraint("uq_disclosure_county_month", type_="unique")
        d.create_unique_constraint("uq_disclosure_county_month_seq", ["county_code", "month", "seq"])
    with op.batch_alter_table("payment_orders") as o:
        o.add_column(sa.Column("disclosure_id", sa.Integer(), nullable=True))
        o.create_index("ix_payment_orders_disclosure_id", ["disclosure_id"])
    op.execute(
        """
        UPDATE payment_orders SET disclosure_id = (
            SELECT d.id FROM disclosures d
            WHERE d.county_code = payment_orders.county_code AND d.month = payment_orders.month
              AND d.published_at >= payment_orders.paid_at
        )
        WHERE status IN ('paid', 'delivered') AND paid_at IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("payment_orders") as o:
        o.drop_index("ix_payment_orders_disclosure_id")
        o.drop_column("disclosure_id")
    op.execute("DELETE FROM disclosures WHERE seq > 0")
    with op.batch_alter_table("disclosures") as d:
        d.drop_constraint("uq_disclosure_county_month_seq", type_="unique")
        d.create_unique_constraint("uq_disclosure_county_month", ["county_code", "month"])
        d.drop_column("seq")
    # The sums stay 64-bit: narrowing them would fail on exactly the totals this revision is for.
