"""Interests (never deleted, ended with a date), declaration cycles and declarations.

Revision ID: 20261122_0629
Revises: 20261122_0620
Create Date: 2026-11-22 06:29:25.211233
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261122_0629"
down_revision: str | None = "20261122_0620"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "declaration_cycles",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("governance_roles", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_cycles")),
    )
    op.create_table(
        "declarations",
        sa.Column("cycle_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("nil_return", sa.Boolean(), nullable=False),
        sa.Column("code_of_conduct_accepted", sa.Boolean(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["declaration_cycles.id"], name=op.f("fk_declarations_cycle_id_declaration_cycles")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_declarations_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
        sa.UniqueConstraint("cycle_id", "person_id", name="uq_declarations_cycle_person"),
    )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declarations_person_id"), ["person_id"], unique=False)

    op.create_table(
        "interests",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=40), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=True),
        sa.Column("relationship", sa.String(length=200), nullable=True),
        sa.Column("financial", sa.Boolean(), nullable=False),
        sa.Column("direct", sa.Boolean(), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=True),
        sa.Column("organisation_key", sa.String(length=200), nullable=True),
        sa.Column("company_number", sa.String(length=8), nullable=True),
        sa.Column("charity_number", sa.String(length=20), nullable=True),
        sa.Column("description", sa.String(length=5000), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_interests_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interests")),
    )
    with op.batch_alter_table("interests", schema=None) as batch_op:
        batch_op.create_index("ix_interests_company_number", ["company_number"], unique=False)
        batch_op.create_index("ix_interests_organisation_key", ["organisation_key"], unique=False)
        batch_op.create_index("ix_interests_person_open", ["person_id", "end_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("interests", schema=None) as batch_op:
        batch_op.drop_index("ix_interests_person_open")
        batch_op.drop_index("ix_interests_organisation_key")
        batch_op.drop_index("ix_interests_company_number")

    op.drop_table("interests")
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_person_id"))

    op.drop_table("declarations")
    op.drop_table("declaration_cycles")
