"""audit log (append-only, hash-chained) and login throttling state

The audit log refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) through triggers, so that
not even a bug or a hand-typed statement can rewrite history; the head row that numbers and chains
the entries cannot be deleted either.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
APPEND_ONLY = "audit_log is append-only"

_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END""",
)
_SQLITE_DROP = ("audit_log_no_update", "audit_log_no_delete", "audit_head_no_delete")

_PG_TRIGGERS = (
    f"""CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege'; END $$""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR TRUNCATE ON audit_head
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()""",
)
_PG_DROP = (
    "DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_refuse_change()",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("actor_region", sa.String(length=12), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=24), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("application_number", sa.String(length=40), nullable=True),
        sa.Column("county_code", sa.String(length=12), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prev_hash"),
        sa.UniqueConstraint("hash"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for column in ("at", "actor_username", "actor_region", "action", "application_number"):
            batch_op.create_index(batch_op.f(f"ix_audit_log_{column}"), [column], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_region_code"), ["region_code"], unique=False)

    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "last_hash": GENESIS_HASH}])

    op.create_table(
        "login_states",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    with op.batch_alter_table("login_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_states_window_started_at"), ["window_started_at"], unique=False
        )

    op.create_table(
        "login_ip_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_ip_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_ip_failures_client_ip"), ["client_ip"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_ip_failures_at"), ["at"], unique=False)

    statements = _PG_TRIGGERS if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")

    with op.batch_alter_table("login_ip_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_ip_failures_at"))
        batch_op.drop_index(batch_op.f("ix_login_ip_failures_client_ip"))
    op.drop_table("login_ip_failures")

    with op.batch_alter_table("login_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_states_window_started_at"))
    op.drop_table("login_states")

    op.drop_table("audit_head")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for column in ("region_code", "county_code", "application_number", "action", "actor_region"):
            batch_op.drop_index(batch_op.f(f"ix_audit_log_{column}"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_username"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
    op.drop_table("audit_log")
