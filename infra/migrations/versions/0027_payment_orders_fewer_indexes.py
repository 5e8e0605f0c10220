"""payment_orders: four indexes fewer

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01

Every payment order is written four times in a month (ordered, claimed into a bank file, settled,
disclosed), and every write but a HOT one inserts into each of the table's indexes: on PostgreSQL the
index upkeep was most of a province's payroll night (bench/payroll_province.py). Three indexes
were prefixes of others and served nothing those do not (application_number of
uq_payment_household_month; county_code and (county_code, month) of the statistics' covering
index); the one on disclosure_id served only the publication's own count, which now names its
county and month. Without it the disclosure's write changes no indexed column, so PostgreSQL can
make it a heap-only (HOT) update that touches no index at all.
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

DROPPED = [
    ("ix_payment_orders_application_number", ["application_number"]),
    ("ix_payment_orders_county_code", ["county_code"]),
    ("ix_payment_orders_county_month", ["county_code", "month"]),
    ("ix_payment_orders_disclosure_id", ["disclosure_id"]),
]


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, table_name="payment_orders")


def downgrade() -> None:
    for name, columns in DROPPED:
        op.create_index(name, "payment_orders", columns)
