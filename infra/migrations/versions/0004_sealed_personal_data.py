"""sealed personal data: the applicant's ID number and phone and the stored submission are
encrypted (infra.pii) with keyed digests for lookups; the resubmission fingerprint becomes keyed.

Existing rows are converted in place with the keys of the running configuration (PII_KEYS,
PII_ACTIVE_KEY, PII_HASH_KEY), so run it with the production values set, as the migrate service
does. The downgrade opens everything again (and needs the same keys).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from infra.pii import PiiVault, make_pii_vault
from infra.settings import load_settings

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NEW = (
    "applicant_id_number_sealed",
    "applicant_id_number_digest",
    "applicant_phone_sealed",
    "applicant_phone_digest",
    "payload_sealed",
)
_PAGE = 500


def _content(payload: dict[str, Any]) -> str:
    # The fingerprint covers the submission without the clerk who keyed it in (as intake does).
    return json.dumps(
        {k: v for k, v in payload.items() if k != "submitted_by"}, sort_keys=True, ensure_ascii=False
    )


def _vault() -> PiiVault:
    return make_pii_vault(load_settings())


def _applications(*columns: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table("applications", sa.column("id", sa.Integer), *columns)


def _in_pages(table: sa.TableClause, *names: str) -> Iterator[sa.Row[Any]]:
    """Every row, a page at a time (a county's archive need not fit in memory)."""
    last = 0
    while True:
        page = (
            op.get_bind()
            .execute(
                sa.select(table.c.id, *(table.c[n] for n in names))
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(_PAGE)
            )
            .all()
        )
        yield from page
        if len(page) < _PAGE:
            return
        last = page[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for name in _NEW:
            batch.add_column(sa.Column(name, sa.Text() if name.endswith("sealed") else sa.String(64)))

    vault = _vault()
    table = _applications(
        sa.column("applicant_id_number", sa.String),
        sa.column("applicant_phone", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("payload_fingerprint", sa.String),
        *(sa.column(name, sa.Text) for name in _NEW),
    )
    for row_id, id_number, phone, payload in _in_pages(
        table, "applicant_id_number", "applicant_phone", "payload"
    ):
        submission: dict[str, Any] = payload or {}
        op.get_bind().execute(
            table.update()
            .where(table.c.id == row_id)
            .values(
                applicant_id_number_sealed=vault.seal(id_number),
                applicant_id_number_digest=vault.digest(id_number),
                applicant_phone_sealed=vault.seal(phone),
                applicant_phone_digest=vault.digest(phone),
                payload_sealed=vault.seal_json(submission),
                payload_fingerprint=vault.digest(_content(submission)),
            )
        )

    op.drop_index("ix_applications_applicant_id_number", table_name="applications")
    with op.batch_alter_table("applications") as batch:
        for name in _NEW:
            batch.alter_column(
                name, existing_type=sa.Text() if name.endswith("sealed") else sa.String(64), nullable=False
            )
        batch.drop_column("applicant_id_number")
        batch.drop_column("applicant_phone")
        batch.drop_column("payload")
        batch.create_index("ix_applications_applicant_id_number_digest", ["applicant_id_number_digest"])
        batch.create_index("ix_applications_applicant_phone_digest", ["applicant_phone_digest"])


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("applicant_id_number", sa.String(18)))
        batch.add_column(sa.Column("applicant_phone", sa.String(20)))
        batch.add_column(sa.Column("payload", sa.JSON()))

    vault = _vault()
    table = _applications(
        sa.column("applicant_id_number", sa.String),
        sa.column("applicant_phone", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("payload_fingerprint", sa.String),
        sa.column("applicant_id_number_sealed", sa.Text),
        sa.column("applicant_phone_sealed", sa.Text),
        sa.column("payload_sealed", sa.Text),
    )
    for row_id, id_sealed, phone_sealed, payload_sealed in _in_pages(
        table, "applicant_id_number_sealed", "applicant_phone_sealed", "payload_sealed"
    ):
        submission = vault.open_json(payload_sealed)
        op.get_bind().execute(
            table.update()
            .where(table.c.id == row_id)
            .values(
                applicant_id_number=vault.open(id_sealed),
                applicant_phone=vault.open(phone_sealed),
                payload=submission,
                payload_fingerprint=hashlib.sha256(_content(submission).encode()).hexdigest(),
            )
        )

    with op.batch_alter_table("applications") as batch:
        batch.drop_index("ix_applications_applicant_phone_digest")
        batch.drop_index("ix_applications_applicant_id_number_digest")
        batch.alter_column("applicant_id_number", existing_type=sa.String(18), nullable=False)
        batch.alter_column("applicant_phone", existing_type=sa.String(20), nullable=False)
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        for name in _NEW:
            batch.drop_column(name)
    op.create_index("ix_applications_applicant_id_number", "applications", ["applicant_id_number"])
