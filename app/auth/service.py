"""Password login, in three phases so that nothing slow happens inside a write transaction:

1. read (a read transaction): is this account, from this address, or this address across every
   account, locked out; and the person's stored hash;
2. argon2 verifies the password with no transaction open (about 120 ms; on SQLite a write
   transaction would hold the whole database for that long);
3. write (one short transaction): count a failure, or clear the count after a success.

Failures are counted per account and client address (a flood from one address does not lock its
victim out everywhere) and per address across accounts (one address cannot try every account).
Every failure is audited; of the refusals during a lockout only the first is, so the trail grows
no faster than the ceilings allow.
"""

import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.dependencies import get_passwords, get_token_service
from app.auth.models import ADDRESS_MAX, ANY_ACCOUNT, LoginThrottle
from app.auth.tokens import IssuedToken
from app.core import clock, text
from app.core.db import Transactions
from app.core.errors import DomainError, TooManyRequests, Unauthorized
from app.core.schemas import EMAIL_MAX
from app.core.settings import Settings, get_settings
from app.people.models import Person

logger = logging.getLogger("probity")
LOCKED = "Too many failed logins; try again later"


@dataclass(frozen=True)
class LoginOutcome:
    """A token, or the refusal to send (the failure is already recorded)."""

    token: IssuedToken | None = None
    refusal: DomainError | None = None


@dataclass(frozen=True)
class _Attempt:
    email_key: str
    address: str

    @property
    def counters(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The account-from-this-address counter, then the address's own (always in this order,
        so that two attempts lock the rows in the same order and cannot deadlock)."""
        return (self.email_key, self.address), (ANY_ACCOUNT, self.address)


def client_key(host: str | None) -> str:
    """The address failures are counted against: an IPv6 client by its /64 (one household or
    server is given a whole /64, so counting single addresses would let it rotate through them)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:ADDRESS_MAX]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def login(transactions: Transactions, email: str, password: str, host: str | None) -> LoginOutcome:
    """A wrong email and a wrong password look alike; repeated failures lock the account, from
    that address, for a while (and an address that fails across many accounts, everywhere)."""
    # Compared as stored: a domain typed in Unicode is the same account as its punycode form.
    attempt = _Attempt(text.email_key(email)[:EMAIL_MAX], client_key(host))
    get_passwords().ensure_capacity()  # a flood meets its 503 before it costs a database read
    async with transactions.session(write=False) as session:
        locks = await _locks(session, attempt, clock.now())
        person = (
            await session.execute(
                select(Person.id, Person.password_hash, Person.active, Person.credentials_version).where(
                    Person.email_key == attempt.email_key
                )
            )
        ).one_or_none()
    if locks:
        return await _refuse(transactions, attempt, locks, person)
    hashed = person.password_hash if person is not None and person.active else None
    verified = await get_passwords().verify(password, hashed)
    async with transactions.session(write=True) as session:
        now = clock.now()
        if verified:
            assert person is not None
            # Guesses sent in parallel were all verified at once: if their failures locked the
            # account meanwhile, even the right password is refused, as it would be a moment later.
            locks = await _locks(session, attempt, now)
            if not locks:
                await session.execute(
                    delete(LoginThrottle).where(
                        LoginThrottle.email_key == attempt.email_key, LoginThrottle.address == attempt.address
                    )
                )
                return LoginOutcome(token=get_token_service().issue(person.id, person.credentials_version))
            return LoginOutcome(refusal=_too_many(locks, now))
        return await _count_failure(session, attempt, person, now)


async def _locks(session: AsyncSession, attempt: _Attempt, now: datetime) -> list[LoginThrottle]:
    """The counters of this attempt that are locked now."""
    rows = await session.scalars(
        select(LoginThrottle)
        .where(
            LoginThrottle.address == attempt.address,
            LoginThrottle.email_key.in_([attempt.email_key, ANY_ACCOUNT]),
            LoginThrottle.locked_until > now,
        )
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _too_many(locks: list[LoginThrottle], now: datetime) -> TooManyRequests:
    until = max(row.locked_until for row in locks if row.locked_until is not None)
    return TooManyRequests(LOCKED, math.ceil((until - now).total_seconds()))


async def _refuse(
    transactions: Transactions, attempt: _Attempt, locks: list[LoginThrottle], person: Any
) -> LoginOutcome:
    """Refused without looking at the password; the first refusal of a lockout is audited."""
    now = clock.now()
    refusal = _too_many(locks, now)
    unaudited = [row for row in locks if not row.refusal_audited]
    logger.info("login refused while locked out (address %s)", attempt.address)
    if unaudited:
        async with transactions.session(write=True) as session:
            row = unaudited[0]
            marked = await session.execute(
                update(LoginThrottle)
                .where(
                    LoginThrottle.email_key == row.email_key,
                    LoginThrottle.address == row.address,
                    LoginThrottle.refusal_audited.is_(False),
                )
                .values(refusal_audited=True)
                .execution_options(synchronize_session=False)
            )
            if marked.rowcount == 1:  # type: ignore[attr-defined]
                await _audit(session, attempt, person, row, reason="locked")
    return LoginOutcome(refusal=refusal)


async def _count_failure(
    session: AsyncSession, attempt: _Attempt, person: Any, now: datetime
) -> LoginOutcome:
    """Count the failure on both counters; at a ceiling the counter locks, beyond it the attempt
    (one that raced the lock) is refused with 429 rather than told its password was wrong."""
    settings = get_settings()
    account, address = [
        await _counted(session, key, now, ceiling, settings)
        for key, ceiling in zip(
            attempt.counters, (settings.login_max_failures, settings.login_address_max_failures), strict=True
        )
    ]
    await _audit(session, attempt, person, account, reason="bad_credentials")
    await session.execute(delete(LoginThrottle).where(LoginThrottle.expires_at < now))
    over = [
        row
        for row, ceiling in (
            (account, settings.login_max_failures),
            (address, settings.login_address_max_failures),
        )
        if row.failures > ceiling
    ]
    return LoginOutcome(refusal=_too_many(over, now) if over else Unauthorized("Wrong email or password"))


async def _counted(
    session: AsyncSession, key: tuple[str, str], now: datetime, ceiling: int, settings: Settings
) -> LoginThrottle:
    """One more failure on this counter (row-locked for the transaction); a run ends when the gap
    since the last failure exceeds the window, or once its lockout is over."""
    row = await _throttle_row(session, key, now)
    window = timedelta(minutes=settings.login_window_minutes)
    run_over = now - row.last_failure_at > window or (
        row.locked_until is not None and row.locked_until <= now
    )
    if row.failures == 0 or run_over:
        row.failures, row.first_failure_at, row.locked_until, row.refusal_audited = 0, now, None, False
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= ceiling and row.locked_until is None:
        row.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
    row.expires_at = max(now + window, row.locked_until or now)
    await session.flush()
    return row


async def _throttle_row(session: AsyncSession, key: tuple[str, str], now: datetime) -> LoginThrottle:
    """The counter, created if missing and locked for this transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    email_key, address = key
    await session.execute(
        insert(LoginThrottle)
        .values(
            email_key=email_key,
            address=address,
            failures=0,
            first_failure_at=now,
            last_failure_at=now,
            locked_until=None,
            refusal_audited=False,
            expires_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email_key", "address"])
    )
    row = await session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.email_key == email_key, LoginThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def _audit(
    session: AsyncSession, attempt: _Attempt, person: Any, counter: LoginThrottle, *, reason: str
) -> None:
    await audit_service.record_entry(
        session,
        actor_id=None,
        entry=audit_service.Entry(
            "auth.login_failed",
            "person",
            person.id if person is not None else None,
            after={
                "email": attempt.email_key,
                "address": attempt.address,
                "reason": reason,
                # Which counter: this account from this address, or the address across every account.
                "counter": "address" if counter.email_key == ANY_ACCOUNT else "account",
                "consecutive_failures": counter.failures,
                "locked_until": counter.locked_until,
            },
        ),
    )
