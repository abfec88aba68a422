"""Conflict screening: checks kept as evidence, meeting checks, related party transactions, the
lookup keys that find an organisation under a name typed a little differently, and the interests
that stop an approver deciding a waiting record.

The lookup keys of the interests already stored are not made here (a migration never imports app):
`name_key_state` starts at key version 0, so the next `probity migrate` or `probity serve` finds the
keys stale and rekeys every interest (`probity rekey` does it on demand).

Revision ID: 20261128_2000
Revises: 20261128_1600
Create Date: 2026-11-28 20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_2000"
down_revision: str | None = "20261128_1600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "name_key_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("rekeyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_name_key_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_name_key_state")),
    )
    op.execute(sa.text("INSERT INTO name_key_state (id, key_version) VALUES (1, 0)"))
    op.create_table(
        "conflict_checks",
        sa.Column("counterparty_name", sa.String(length=200), nullable=False),
        sa.Column("counterparty_key", sa.String(length=200), nullable=False),
        sa.Column("counterparty_folded", sa.String(length=600), nullable=False),
        sa.Column("company_number", sa.String(length=8), nullable=True),
        sa.Column("context", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("value_pence", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("similarity_threshold", sa.Float(), nullable=False),
        sa.Column("checked_by", sa.Uuid(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("resolution_note", sa.String(length=5000), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_person_id", sa.Uuid(), nullable=True),
        sa.Column("resolution_interest_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["people.id"], name=op.f("fk_conflict_checks_checked_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflict_checks")),
    )
    with op.batch_alter_table("conflict_checks", schema=None) as batch_op:
        batch_op.create_index("ix_conflict_checks_checked_at", ["checked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflict_checks_checked_by"), ["checked_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflict_checks_outcome"), ["outcome"], unique=False)

    op.create_table(
        "meeting_conflict_checks",
        sa.Column("meeting_title", sa.String(length=200), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("attendee_ids", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("similarity_threshold", sa.Float(), nullable=False),
        sa.Column("checked_by", sa.Uuid(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["people.id"], name=op.f("fk_meeting_conflict_checks_checked_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_conflict_checks")),
    )
    with op.batch_alter_table("meeting_conflict_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_conflict_checks_meeting_date"), ["meeting_date"], unique=False
        )

    op.create_table(
        "conflict_check_matches",
        sa.Column("check_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("person_name", sa.String(length=200), nullable=False),
        sa.Column("interest_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=True),
        sa.Column("company_number", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["conflict_checks.id"],
            name=op.f("fk_conflict_check_matches_check_id_conflict_checks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflict_check_matches")),
    )
    with op.batch_alter_table("conflict_check_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflict_check_matches_check_id"), ["check_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflict_check_matches_person_id"), ["person_id"], unique=False)

    op.create_table(
        "interest_name_tokens",
        sa.Column("token", sa.String(length=208), nullable=False),
        sa.Column("interest_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interest_id"], ["interests.id"], name=op.f("fk_interest_name_tokens_interest_id_interests")
        ),
        sa.PrimaryKeyConstraint("token", "interest_id", name=op.f("pk_interest_name_tokens")),
    )
    op.create_table(
        "record_conflicts",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("interest_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interest_id"], ["interests.id"], name=op.f("fk_record_conflicts_interest_id_interests")
        ),
        sa.PrimaryKeyConstraint("record_id", "interest_id", name=op.f("pk_record_conflicts")),
    )
    with op.batch_alter_table("record_conflicts", schema=None) as batch_op:
        batch_op.create_index("ix_record_conflicts_interest_id", ["interest_id"], unique=False)
    op.create_table(
        "related_party_transactions",
        sa.Column("conflict_check_id", sa.Uuid(), nullable=False),
        sa.Column("counterparty_name", sa.String(length=200), nullable=False),
        sa.Column("company_number", sa.String(length=8), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("interest_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.String(length=5000), nullable=True),
        sa.Column("value_pence", sa.Integer(), nullable=True),
        sa.Column("novel_or_contentious", sa.Boolean(), nullable=False),
        sa.Column("dfe_approval_required", sa.Boolean(), nullable=False),
        sa.Column("declared_to_dfe_on", sa.Date(), nullable=True),
        sa.Column("dfe_reference", sa.String(length=200), nullable=True),
        sa.Column("dfe_decision", sa.String(length=20), nullable=False),
        sa.Column("at_cost_assurance_received", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conflict_check_id"],
            ["conflict_checks.id"],
            name=op.f("fk_related_party_transactions_conflict_check_id_conflict_checks"),
        ),
        sa.ForeignKeyConstraint(
            ["interest_id"],
            ["interests.id"],
            name=op.f("fk_related_party_transactions_interest_id_interests"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_related_party_transactions_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_related_party_transactions")),
        sa.UniqueConstraint(
            "conflict_check_id", name=op.f("uq_related_party_transactions_conflict_check_id")
        ),
    )
    with op.batch_alter_table("related_party_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_related_party_transactions_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("related_party_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_related_party_transactions_person_id"))

    op.drop_table("related_party_transactions")
    with op.batch_alter_table("record_conflicts", schema=None) as batch_op:
        batch_op.drop_index("ix_record_conflicts_interest_id")

    op.drop_table("record_conflicts")
    op.drop_table("interest_name_tokens")
    with op.batch_alter_table("conflict_check_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_check_matches_person_id"))
        batch_op.drop_index(batch_op.f("ix_conflict_check_matches_check_id"))

    op.drop_table("conflict_check_matches")
    with op.batch_alter_table("meeting_conflict_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_conflict_checks_meeting_date"))

    op.drop_table("meeting_conflict_checks")
    with op.batch_alter_table("conflict_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_checks_outcome"))
        batch_op.drop_index(batch_op.f("ix_conflict_checks_checked_by"))
        batch_op.drop_index("ix_conflict_checks_checked_at")

    op.drop_table("conflict_checks")
    op.drop_table("name_key_state")
