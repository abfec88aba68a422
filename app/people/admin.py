"""The first administrator, created from the command line."""

from pydantic import ValidationError

from app.auth.permissions import Role
from app.core.db import get_database, session_scope
from app.core.errors import DomainError
from app.people import service
from app.people.schemas import PersonCreate


async def create_admin(email: str, full_name: str, password: str) -> str | None:
    """Create a governance_admin; returns why not, or None when done."""
    try:
        data = PersonCreate(
            email=email, full_name=full_name, password=password, roles=[Role.GOVERNANCE_ADMIN]
        )
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    try:
        async with session_scope() as session:
            await service.create_person(session, None, data)
    except DomainError as exc:
        return exc.detail
    finally:
        await get_database().dispose()
    return None
