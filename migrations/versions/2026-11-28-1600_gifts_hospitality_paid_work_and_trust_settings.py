"""Gifts, hospitality requests and additional paid work, and the trust's policy values.

The three records people submit and named people decide; trust_settings holds one row (id 1) of the
values the governance clerk may change, made here with the contract's defaults (the literals are
copied from app/trust_settings/models.py: migrations never import app).

Revision ID: 20261128_1600
Revises: 20261128_1400
Create Date: 2026-11-28 16:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_1600"
down_revision: str | None = "20261128_1400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_name", sa.String(length=200), nullable=False),
        sa.Column("gift_token_limit_pence", sa.Integer(), nullable=False),
        sa.Column("conflict_similarity_threshold", sa.Float(), nullable=False),
        sa.Column("rpt_approval_threshold_pence", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_trust_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_settings")),
    )
    op.execute(
        sa.text(
            "INSERT INTO trust_settings (id, trust_name, gift_token_limit_pence,"
            " conflict_similarity_threshold, rpt_approval_threshold_pence)"
            " VALUES (1, '', 2500, 0.92, 4000000)"
        )
    )
    op.create_table(
        "gifts",
        sa.Column("donor_name", sa.String(length=200), nullable=False),
        sa.Column("donor_organisation", sa.String(length=200), nullable=True),
        sa.Column("donor_key", sa.String(length=400), nullable=False),
        sa.Column("description", sa.String(length=5000), nullable=False),
        sa.Column("value_pence", sa.Integer(), nullable=False),
        sa.Column("offered_on", sa.Date(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("is_cash", sa.Boolean(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=5000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_gifts_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gifts")),
    )
    with op.batch_alter_table("gifts", schema=None) as batch_op:
        batch_op.create_index("ix_gifts_donor_offered", ["donor_key", "offered_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_gifts_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_gifts_status_submitted", ["status", "submitted_at"], unique=False)

    op.create_table(
        "hospitality_requests",
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("provider_organisation", sa.String(length=200), nullable=True),
        sa.Column("event_description", sa.String(length=5000), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("estimated_value_pence", sa.Integer(), nullable=False),
        sa.Column("invitation_type", sa.String(length=20), nullable=False),
        sa.Column("business_justification", sa.String(length=5000), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("actual_value_pence", sa.Integer(), nullable=True),
        sa.Column("outcome_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=5000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_hospitality_requests_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospitality_requests")),
    )
    with op.batch_alter_table("hospitality_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hospitality_requests_event_date"), ["event_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_hospitality_requests_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_hospitality_requests_status_submitted", ["status", "submitted_at"], unique=False
        )

    op.create_table(
        "paid_work",
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("hours_per_week", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("description", sa.String(length=5000), nullable=True),
        sa.Column("potential_conflict", sa.String(length=5000), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=5000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_paid_work_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paid_work")),
    )
    with op.batch_alter_table("paid_work", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paid_work_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_paid_work_status_submitted", ["status", "submitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("paid_work", schema=None) as batch_op:
        batch_op.drop_index("ix_paid_work_status_submitted")
        batch_op.drop_index(batch_op.f("ix_paid_work_person_id"))

    op.drop_table("paid_work")
    with op.batch_alter_table("hospitality_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_hospitality_requests_status_submitted")
        batch_op.drop_index(batch_op.f("ix_hospitality_requests_person_id"))
        batch_op.drop_index(batch_op.f("ix_hospitality_requests_event_date"))

    op.drop_table("hospitality_requests")
    with op.batch_alter_table("gifts", schema=None) as batch_op:
        batch_op.drop_index("ix_gifts_status_submitted")
        batch_op.drop_index(batch_op.f("ix_gifts_person_id"))
        batch_op.drop_index("ix_gifts_donor_offered")

    op.drop_table("gifts")
    op.drop_table("trust_settings")
