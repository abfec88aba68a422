"""School pages of the published register: a slug for every school, a school on every local
governor's appointment.

schools.slug is filled for the schools already stored from their names, by the rule of
app.people.schools.slugify written out again below (a migration never imports app: the app's rule
may change later, and this revision must still do what it did). Two schools whose names give the
same slug: the older keeps it, the next gets -2, then -3, and so on.

appointments.school_id is filled only for `local_governor` appointments, from their person's
school_id; a local governor whose person has no school keeps an empty school_id (the app refuses
such an appointment from now on, but cannot invent a school for an old one: the clerk sets it with
PATCH /api/v1/appointments/{id}). Staff and the trust-level roles (member, trustee, accounting
officer) stay empty too.

Revision ID: 20261128_2100
Revises: 20261128_2000
Create Date: 2026-11-28 21:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_2100"
down_revision: str | None = "20261128_2000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLUG_MAX = 80


def _slugify(name: str, limit: int = SLUG_MAX) -> str:
    """app.people.schools.slugify as of this revision: NFKD then ASCII, lower case, each run of other
    characters one hyphen, trimmed, cut at a hyphen to fit; "school" when nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1].rfind("-")
        slug = slug[: cut if cut > 0 else limit].strip("-")
    return slug or "school"


def _unique_slug(name: str, taken: set[str]) -> str:
    slug, number = _slugify(name), 1
    while slug in taken:
        number += 1
        suffix = f"-{number}"
        slug = _slugify(name, SLUG_MAX - len(suffix)) + suffix
    taken.add(slug)
    return slug


def _fill_slugs() -> None:
    connection = op.get_bind()
    schools = connection.execute(sa.text("SELECT id, name FROM schools ORDER BY created_at, id")).all()
    taken: set[str] = set()
    for school_id, name in schools:
        connection.execute(
            sa.text("UPDATE schools SET slug = :slug WHERE id = :id"),
            {"slug": _unique_slug(name, taken), "id": school_id},
        )


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=SLUG_MAX), nullable=True))
    _fill_slugs()
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=SLUG_MAX), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_schools_slug"), ["slug"])

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_appointments_school_id"), ["school_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_school_id_schools"), "schools", ["school_id"], ["id"]
        )
    op.execute(
        sa.text(
            "UPDATE appointments SET school_id = "
            "(SELECT people.school_id FROM people WHERE people.id = appointments.person_id) "
            "WHERE governance_role = 'local_governor'"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_appointments_school_id_schools"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_appointments_school_id"))
        batch_op.drop_column("school_id")

    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_schools_slug"), type_="unique")
        batch_op.drop_column("slug")
