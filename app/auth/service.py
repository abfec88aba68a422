"""Password login with a per-account throttle kept in the database, every failure audited."""

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.dependencies import get_passwords, get_token_service
from app.auth.models import LoginThrottle
from app.auth.tokens import IssuedToken
from app.core import clock
from app.core.errors import DomainError, TooManyRequests, Unauthorized
from app.core.schemas import EMAIL_MAX
from app.core.settings import get_settings
from app.people.models import Person


@dataclass(frozen=True)
class LoginOutcome:
    """A token, or the refusal to send once the failure has been recorded."""

    token: IssuedToken | None = None
    refusal: DomainError | None = None


async def _throttle_row(session: AsyncSession, email_key: str) -> LoginThrottle:
    """The account's counter, created if missing and locked for this transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(LoginThrottle)
        .values(
            email_key=email_key,
            failures=0,
            first_failure_at=clock.now(),
            last_failure_at=None,
            locked_until=None,
        )
        .on_conflict_do_nothing(index_elements=["email_key"])
    )
    row = await session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.email_key == email_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def login(session: AsyncSession, email: str, password: str) -> LoginOutcome:
    """A wrong email and a wrong password look alike; repeated failures lock the account for a while."""
    settings = get_settings()
    email_key = email.strip().lower()[:EMAIL_MAX]
    now = clock.now()
    throttle = await _throttle_row(session, email_key)
    if throttle.locked_until is not None and throttle.locked_until > now:
        wait = math.ceil((throttle.locked_until - now).total_seconds())
        await _audit_failure(session, None, email_key, throttle, reason="locked")
        return LoginOutcome(refusal=TooManyRequests("Too many failed logins; try again later", wait))
    person = await session.scalar(select(Person).where(Person.email_key == email_key))
    hashed = person.password_hash if person is not None and person.active else None
    if await get_passwords().verify(password, hashed):
        assert person is not None
        throttle.failures, throttle.locked_until = 0, None
        # Flushed now: the next attempt reloads the row (populate_existing) and would otherwise
        # read the old count back over this unflushed reset.
        await session.flush()
        return LoginOutcome(token=get_token_service().issue(person.id))
    previous = throttle.last_failure_at
    if (
        throttle.failures == 0
        or previous is None
        or now - previous > timedelta(minutes=settings.login_window_minutes)
    ):
        throttle.failures, throttle.first_failure_at = 0, now
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
    await _audit_failure(session, person, email_key, throttle, reason="bad_credentials")
    await session.flush()
    return LoginOutcome(refusal=Unauthorized("Wrong email or password"))


async def _audit_failure(
    session: AsyncSession, person: Person | None, email_key: str, throttle: LoginThrottle, *, reason: str
) -> None:
    await audit_service.record(
        session,
        actor_id=None,
        action="auth.login_failed",
        entity_type="person",
        entity_id=person.id if person is not None else None,
        after={
            "email": email_key,
            "reason": reason,
            "consecutive_failures": throttle.failures,
            "locked_until": throttle.locked_until,
        },
    )
