"""The first administrator, created from the command line."""

import json
import uuid

from pydantic import ValidationError

from app.auth.actor import Actor
from app.auth.permissions import Role, permissions_of
from app.core.db import get_database, session_scope
from app.core.errors import DomainError
from app.people import importer, service
from app.people.schemas import ImportReportRead, PersonCreate

# The command line acts as the register's keeper; its audit events carry this recognisable actor id.
COMMAND_LINE = Actor(
    id=uuid.UUID(int=0),
    email="command-line@probity.invalid",
    full_name="Probity command line",
    school_id=None,
    roles=frozenset({Role.GOVERNANCE_ADMIN}),
    governance_roles=frozenset(),
    permissions=permissions_of(frozenset({Role.GOVERNANCE_ADMIN})),
)


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


async def import_people_file(content: bytes, *, dry_run: bool) -> tuple[bool, str]:
    """Run a people import of a file's bytes; returns (succeeded, the report or the reason as text)."""
    try:
        async with session_scope() as session:
            report = await importer.import_people(session, COMMAND_LINE, content, dry_run=dry_run)
    except DomainError as exc:
        lines = [f"import-people: {exc.detail}"]
        # Row errors are located ["file", line]; a whole-file refusal (["file"]) is the detail itself.
        lines += [f"  line {e['loc'][-1]}: {e['msg']}" for e in exc.errors or [] if len(e["loc"]) > 1]
        return False, "\n".join(lines)
    finally:
        await get_database().dispose()
    body = ImportReportRead.model_validate(report).model_dump(mode="json")
    return report.valid, json.dumps(body, indent=2)
