"""Tokens end when credentials change; failed logins counted per account and client address.

people.credentials_version is part of every token: a new password, a deactivation or a
reactivation moves it on. login_throttles is keyed by (email_key, address) now; its rows are
short-lived counters (15 minutes), so the old per-account rows are dropped, not carried over: an
account locked at the moment of the upgrade is unlocked by it.

Revision ID: 20261128_1400
Revises: 20261122_0629
Create Date: 2026-11-28 14:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_1400"
down_revision: str | None = "20261122_0629"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("credentials_version", sa.Integer(), nullable=False, server_default="0"))
    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", TIMESTAMP, nullable=False),
        sa.Column("last_failure_at", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("refusal_audited", sa.Boolean(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("email_key", "address", name=op.f("pk_login_throttles")),
    )
    op.create_index(op.f("ix_login_throttles_expires_at"), "login_throttles", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_throttles_expires_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", TIMESTAMP, nullable=False),
        sa.Column("last_failure_at", TIMESTAMP, nullable=True),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("email_key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("people") as batch:
        batch.drop_column("credentials_version")
