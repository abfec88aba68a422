"""Schools of the trust: names unique whatever their case; slugs unique, readable and stable."""

import re
import unicodedata
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.actor import Actor
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import NAME_MAX, SLUG_MAX, PageParams
from app.people.models import School
from app.people.schemas import SchoolCreate, SchoolUpdate

_NOT_IN_SLUGS = re.compile(r"[^a-z0-9]+")


def school_key(name: str) -> str:
    """The form in which school names are compared: case-folded, spaces collapsed (and cut to the
    key column's width: folding can lengthen a name, "ﬃ" becomes "ffi")."""
    return " ".join(name.split()).casefold()[: 2 * NAME_MAX]


def slugify(name: str, limit: int = SLUG_MAX) -> str:
    """A school's slug from its name: NFKD and then ASCII (accents dropped), lower case, each run of
    anything else one hyphen, cut at a hyphen to fit; "school" when nothing is left
    ("École Saint-Étienne" → "ecole-saint-etienne").

    The standard library's six lines, not a slug library: the rule is ours to keep stable (a school's
    page address), and the migration that filled the first slugs repeats it word for word."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_IN_SLUGS.sub("-", ascii_name.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1].rfind("-")
        slug = slug[: cut if cut > 0 else limit].strip("-")
    return slug or "school"


async def _slug_taken(session: AsyncSession, slug: str, school_id: uuid.UUID | None = None) -> bool:
    taken = await session.scalar(select(School.id).where(School.slug == slug))
    return taken is not None and taken != school_id


async def _derived_slug(session: AsyncSession, name: str) -> str:
    """The name's slug, or with -2, -3 … when a school has it already (cut to leave room for the suffix)."""
    slug, number = slugify(name), 1
    while await _slug_taken(session, slug):
        number += 1
        suffix = f"-{number}"
        slug = slugify(name, SLUG_MAX - len(suffix)) + suffix
    return slug


async def _ensure_name_free(session: AsyncSession, name: str, school_id: uuid.UUID | None = None) -> str:
    # Folded in Python, not with SQL lower(), which folds only ASCII on SQLite.
    name_key = school_key(name)
    taken = await session.scalar(select(School.id).where(School.name_key == name_key))
    if taken is not None and taken != school_id:
        raise Conflict(f"A school called {name!r} already exists")
    return name_key


async def _flush_or_conflict(session: AsyncSession, school: School) -> None:
    """Two requests racing for one name or slug: the unique constraints decide, the loser gets 409."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"A school called {school.name!r} or with the slug {school.slug!r} already exists"
        ) from exc


async def create_school(session: AsyncSession, actor: Actor, data: SchoolCreate) -> School:
    """School names are unique; the slug, when not given, is derived from the name."""
    name_key = await _ensure_name_free(session, data.name)
    if data.slug is not None and await _slug_taken(session, data.slug):
        raise Conflict(f"Another school has the slug {data.slug!r}")
    slug = data.slug or await _derived_slug(session, data.name)
    school = School(id=uuid.uuid4(), name=data.name, name_key=name_key, slug=slug, created_at=clock.now())
    session.add(school)
    await _flush_or_conflict(session, school)
    await audit_service.record(session, actor, "school.created", school)
    return school


async def update_school(
    session: AsyncSession, actor: Actor, school_id: uuid.UUID, data: SchoolUpdate
) -> School:
    """Rename a school or give it a new slug; renaming keeps the slug, so the school's page keeps its
    address. Nothing changed, nothing audited."""
    for field in ("name", "slug"):
        if field in data.model_fields_set and getattr(data, field) is None:
            raise Unprocessable(f"{field} may not be null", loc=("body", field))
    school = await get_school(session, school_id)
    before = school.audit_view()
    if data.name is not None and data.name != school.name:
        school.name_key = await _ensure_name_free(session, data.name, school.id)
        school.name = data.name
    if data.slug is not None and data.slug != school.slug:
        if await _slug_taken(session, data.slug, school.id):
            raise Conflict(f"Another school has the slug {data.slug!r}")
        school.slug = data.slug
    if school.audit_view() == before:
        return school
    await _flush_or_conflict(session, school)
    await audit_service.record(session, actor, "school.updated", school, before=before)
    return school


async def list_schools(session: AsyncSession, page: PageParams) -> tuple[list[School], int]:
    return await paginate(session, select(School), page, School.name, School.id)


async def get_school(session: AsyncSession, school_id: uuid.UUID) -> School:
    school = await session.get(School, school_id)
    if school is None:
        raise NotFound("school")
    return school


async def get_school_by_slug(session: AsyncSession, slug: str) -> School:
    """The school whose page is /register/schools/{slug}; none is a 404."""
    school = await session.scalar(select(School).where(School.slug == slug))
    if school is None:
        raise NotFound("school")
    return school
