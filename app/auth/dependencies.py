"""Who is calling, and may they call this route at all: every route declares one permission."""

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Date, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import cookies
from app.auth.actor import Actor
from app.auth.passwords import Passwords
from app.auth.permissions import Permission, Role, permissions_of
from app.auth.tokens import TokenService, TokenSubject
from app.core import clock
from app.core.deps import Transactions
from app.core.errors import DomainError, Forbidden, Unauthorized
from app.core.middleware import REFUSAL_KEY
from app.core.routing import refuse_unacceptable
from app.core.settings import get_settings
from app.people.governance import GovernanceRole
from app.people.models import Person, governance_roles_held, roles_held, split_held

# The start of every refusal for want of a permission (pages say it in their own words).
NOT_PERMITTED = "Your roles do not allow this"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a path, not a password)
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


@lru_cache
def get_token_service() -> TokenService:
    return TokenService(get_settings())


@lru_cache
def get_passwords() -> Passwords:
    return Passwords(get_settings())


def _actor_statement() -> Select[*tuple[Any, ...]]:
    """Built once: rebuilding this select per request cost about a fifth of /me's time (bench/README.md)."""
    today = bindparam("today", type_=Date())
    return select(
        Person.id,
        Person.email,
        Person.full_name,
        Person.school_id,
        roles_held(),
        governance_roles_held(today),
    ).where(
        Person.id == bindparam("person_id"),
        Person.active.is_(True),
        Person.credentials_version == bindparam("credentials_version"),
    )


_ACTOR = _actor_statement()


async def load_actor(session: AsyncSession, subject: TokenSubject) -> Actor | None:
    """The active person a token names, if their credentials have not changed since it was issued,
    with their roles and open appointments, in one statement."""
    result = await session.execute(
        _ACTOR,
        {
            "person_id": subject.person_id,
            "credentials_version": subject.credentials_version,
            "today": clock.today(),
        },
    )
    row = result.one_or_none()
    if row is None:
        return None
    held = frozenset(Role(r) for r in split_held(row[4]))
    return Actor(
        id=row[0],
        email=row[1],
        full_name=row[2],
        school_id=row[3],
        roles=held,
        governance_roles=frozenset(GovernanceRole(g) for g in split_held(row[5])),
        permissions=permissions_of(held),
    )


async def current_actor(
    request: Request, transactions: Transactions, bearer: Annotated[str | None, Depends(_bearer)]
) -> Actor:
    """The person the bearer token (or, for the web interface, the session cookie carrying the same
    token) names; a deactivated person's token stops working at once. A change asked for with the
    cookie must carry the session's CSRF token (app.auth.cookies).

    Read in a transaction of its own, ended before the handler runs: on SQLite the request's own
    write transaction then takes the write lock only at the handler's first statement, after any
    slow work (hashing a new password, parsing an upload) the handler does first.
    """
    token = bearer or cookies.session_token(request)
    if not token:
        raise Unauthorized("Sign in first: send an Authorization: Bearer token")
    subject = get_token_service().subject(token)
    async with transactions.session(write=False) as session:
        actor = await load_actor(session, subject)
    if actor is None:
        raise Unauthorized("Invalid or expired token")
    if not bearer and request.method not in cookies.SAFE_METHODS:
        await _ensure_csrf(request, token)
    return actor


async def _ensure_csrf(request: Request, session_token: str) -> None:
    # A body the guard refused (too large, not UTF-8) was never read: say what is wrong with it,
    # not that its token is missing (the request fails either way).
    refusal = request.scope.get(REFUSAL_KEY)
    if isinstance(refusal, DomainError):
        raise refusal
    if not cookies.csrf_valid(session_token, await cookies.sent_csrf_token(request)):
        raise Forbidden("This form has expired or did not come from Probity: reload the page and try again")


def require(permission: Permission) -> Callable[..., Awaitable[Actor | None]]:
    """Admits only callers holding the permission (401 anonymous, 403 others), then judges the body."""
    if permission is Permission.PUBLIC:

        async def public(request: Request) -> None:
            await refuse_unacceptable(request)

        public.permission = permission  # type: ignore[attr-defined]
        return public

    async def check(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.has(permission):
            raise Forbidden(f"{NOT_PERMITTED} ({permission.value})")
        await refuse_unacceptable(request)
        return actor

    check.permission = permission  # type: ignore[attr-defined]
    return check


Public = Annotated[None, Depends(require(Permission.PUBLIC))]
SignedIn = Annotated[Actor, Depends(require(Permission.SIGNED_IN))]
SchoolsReader = Annotated[Actor, Depends(require(Permission.SCHOOLS_READ))]
SchoolsWriter = Annotated[Actor, Depends(require(Permission.SCHOOLS_WRITE))]
PeopleReader = Annotated[Actor, Depends(require(Permission.PEOPLE_READ))]
PeopleWriter = Annotated[Actor, Depends(require(Permission.PEOPLE_WRITE))]
AuditReader = Annotated[Actor, Depends(require(Permission.AUDIT_READ))]
PeopleImporter = Annotated[Actor, Depends(require(Permission.PEOPLE_IMPORT))]
InterestsDeclarant = Annotated[Actor, Depends(require(Permission.INTERESTS_DECLARE))]
CyclesReader = Annotated[Actor, Depends(require(Permission.CYCLES_READ))]
CyclesWriter = Annotated[Actor, Depends(require(Permission.CYCLES_WRITE))]
CycleStatusReader = Annotated[Actor, Depends(require(Permission.CYCLES_STATUS))]
DeclarationsSubmitter = Annotated[Actor, Depends(require(Permission.DECLARATIONS_SUBMIT))]
SettingsWriter = Annotated[Actor, Depends(require(Permission.SETTINGS_WRITE))]
ConflictChecker = Annotated[Actor, Depends(require(Permission.CONFLICTS_CHECK))]
ConflictReader = Annotated[Actor, Depends(require(Permission.CONFLICTS_READ))]
RptKeeper = Annotated[Actor, Depends(require(Permission.RPT_KEEP))]
RptReader = Annotated[Actor, Depends(require(Permission.RPT_READ))]
NotificationsReader = Annotated[Actor, Depends(require(Permission.NOTIFICATIONS_READ))]
NotificationsRetrier = Annotated[Actor, Depends(require(Permission.NOTIFICATIONS_RETRY))]
