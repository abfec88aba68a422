"""Plain factory functions: people, schools and the headers that sign in as them."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from httpx import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.actor import Actor
from app.auth.dependencies import get_token_service
from app.auth.permissions import Role, permissions_of
from app.core import clock
from app.people import schools as schools_service
from app.people import service as people_service
from app.people.governance import GovernanceRole
from app.people.models import School
from app.people.schemas import PersonCreate, PersonRead, SchoolCreate

_counter = itertools.count(1)
DEFAULT_PASSWORD = "a perfectly long password"


@dataclass(frozen=True)
class Caller:
    person: PersonRead

    @property
    def headers(self) -> dict[str, str]:
        """A token issued now, by the app's clock: still valid after a test moves the clock on."""
        return bearer(self.person.id)

    @property
    def id(self) -> uuid.UUID:
        return self.person.id


def bearer(person_id: uuid.UUID, credentials_version: int = 0) -> dict[str, str]:
    """A token for a person whose password and active flag have not changed since creation (or, with
    `credentials_version`, as many times as that)."""
    token = get_token_service().issue(person_id, credentials_version).access_token
    return {"Authorization": f"Bearer {token}"}


async def make_school(session: AsyncSession, name: str | None = None) -> School:
    return await schools_service.create_school(
        session, system_actor(), SchoolCreate(name=name or f"School {next(_counter)}")
    )


async def make_person(
    session: AsyncSession,
    *roles: Role,
    governance_roles: tuple[GovernanceRole, ...] = (),
    email: str | None = None,
    full_name: str | None = None,
    password: str | None = DEFAULT_PASSWORD,
    school_id: uuid.UUID | None = None,
    active: bool = True,
) -> PersonRead:
    n = next(_counter)
    data = PersonCreate(
        email=email or f"person{n}-{uuid.uuid4().hex[:6]}@trust.test",
        full_name=full_name or f"Person {n}",
        roles=list(roles),
        governance_roles=list(governance_roles),
        password=password,
        school_id=school_id,
        active=active,
    )
    return await people_service.create_person(session, None, data)


async def make_caller(session: AsyncSession, *roles: Role, **kwargs: Any) -> Caller:
    person = await make_person(session, *roles, **kwargs)
    return Caller(person=person)


def system_actor() -> Actor:
    """A governance_admin that is nobody in particular, for setting up records in tests."""

    held = frozenset({Role.GOVERNANCE_ADMIN})
    return Actor(
        id=uuid.UUID(int=0),
        email="system@trust.test",
        full_name="System",
        school_id=None,
        roles=held,
        governance_roles=frozenset(),
        permissions=permissions_of(held),
    )


def days_from_today(days: int) -> str:
    """The trust's today moved by `days`, as an ISO date."""
    return (clock.today() + timedelta(days=days)).isoformat()


def assert_problem(response: Response, status: int) -> None:
    """A refusal: the one right status, as problem+json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
