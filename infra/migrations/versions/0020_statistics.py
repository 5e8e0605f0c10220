"""regions.urban_rural (statistics)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01

- regions.urban_rural: a community is urban (城市社区, 社区居委会) or rural (农村村委会); the
  ministry's monthly figures split 低保 by it. Existing communities are classified by their name
  (…村 / …村委会 rural, …社区 urban); others stay unclassified (NULL) until an operator sets them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regions") as t:
        t.add_column(sa.Column("urban_rural", sa.String(8), nullable=True))
    op.execute(
        "UPDATE regions SET urban_rural = 'rural' WHERE level = 'community' AND (name LIKE '%村' OR name LIKE '%村委会')"
    )
    op.execute(
        "UPDATE regions SET urban_rural = 'urban' WHERE level = 'community' AND urban_rural IS NULL AND name LIKE '%社区'"
    )


def downgrade() -> None:
    with op.batch_alter_table("regions") as t:
        t.drop_column("urban_rural")
