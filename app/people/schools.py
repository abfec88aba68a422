"""Schools of the trust: names unique whatever their case."""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.actor import Actor
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.core.pagination import paginate
from app.core.schemas import NAME_MAX, PageParams
from app.people.models import School
from app.people.schemas import SchoolCreate


def school_key(name: str) -> str:
    """The form in which school names are compared: case-folded, spaces collapsed (and cut to the
    key column's width: folding can lengthen a name, "ﬃ" becomes "ffi")."""
    return " ".join(name.split()).casefold()[: 2 * NAME_MAX]


async def create_school(session: AsyncSession, actor: Actor, data: SchoolCreate) -> School:
    """School names are unique."""
    # Folded in Python, not with SQL lower(), which folds only ASCII on SQLite; the unique
    # constraint settles a race between two requests.
    name_key = school_key(data.name)
    if await session.scalar(select(School.id).where(School.name_key == name_key)):
        raise Conflict(f"A school called {data.name!r} already exists")
    school = School(id=uuid.uuid4(), name=data.name, name_key=name_key, created_at=clock.now())
    session.add(school)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A school called {data.name!r} already exists") from exc
    await audit_service.record(session, actor, "school.created", school)
    return school


async def list_schools(session: AsyncSession, page: PageParams) -> tuple[list[School], int]:
    return await paginate(session, select(School), page, School.name, School.id)


async def get_school(session: AsyncSession, school_id: uuid.UUID) -> School:
    school = await session.get(School, school_id)
    if school is None:
        raise NotFound("school")
    return school
