"""Rekeying: every stored organisation key and lookup key made again with the current normal form.

A migration cannot import the application, so a change to app.interests.normalise bumps its
KEY_VERSION instead; `probity migrate` and `probity serve` compare it with the version stored in
`name_key_state` and rekey when they differ (`probity rekey` does it on demand). It runs in one
transaction before the service answers: a search never sees half the names rekeyed.
"""

from dataclasses import asdict, dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.conflicts import screening
from app.core import clock
from app.interests import normalise
from app.interests.models import Interest, InterestNameToken, NameKeyState

BATCH = 5000
# The table, not the mapped class: an UPDATE of many rows by primary key, one parameter set each.
INTERESTS = cast(Table, Interest.__table__)


@dataclass(frozen=True)
class Rekeyed:
    interests: int
    keys_changed: int
    tokens: int
    records_rescreened: int

    def __str__(self) -> str:
        return (
            f"rekeyed {self.interests} interests with key version {normalise.KEY_VERSION}: "
            f"{self.keys_changed} organisation keys changed, {self.tokens} lookup keys, "
            f"{self.records_rescreened} waiting records screened again"
        )


async def stored_version(session: AsyncSession) -> int | None:
    return await session.scalar(select(NameKeyState.key_version).where(NameKeyState.id == 1))


async def _exclusive(session: AsyncSession) -> None:
    """On PostgreSQL, no interest is declared meanwhile (its lookup keys would be made twice) and no
    other rekey runs (two services starting at once); SQLite's write lock already does both."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE interests IN SHARE ROW EXCLUSIVE MODE"))


async def rekey(session: AsyncSession) -> Rekeyed:
    """Make every organisation key and lookup key again, screen waiting records again, and record
    the version, in the caller's transaction (audited as interests.rekeyed)."""
    await _exclusive(session)
    await session.execute(delete(InterestNameToken))
    interests = changed = tokens = 0
    last = None
    while True:
        statement = select(Interest.id, Interest.organisation_name, Interest.organisation_key).order_by(
            Interest.id
        )
        if last is not None:
            statement = statement.where(Interest.id > last)
        rows = (await session.execute(statement.limit(BATCH))).all()
        if not rows:
            break
        last = rows[-1][0]
        interests += len(rows)
        moved, made = [], []
        for interest_id, name, old_key in rows:
            key = normalise.organisation_key(name) if name else None
            if key != old_key:
                moved.append({"b_id": interest_id, "b_key": key})
            if key:
                made += [{"token": t, "interest_id": interest_id} for t in normalise.stored_tokens(key)]
        if moved:
            await session.execute(
                update(INTERESTS)
                .where(INTERESTS.c.id == bindparam("b_id"))
                .values(organisation_key=bindparam("b_key")),
                moved,
            )
            changed += len(moved)
        if made:
            await session.execute(insert(InterestNameToken), made)
            tokens += len(made)
    rescreened = await screening.rescreen_waiting(session)
    state = await session.get(NameKeyState, 1)
    if state is None:
        session.add(NameKeyState(id=1, key_version=normalise.KEY_VERSION, rekeyed_at=clock.now()))
    else:
        state.key_version, state.rekeyed_at = normalise.KEY_VERSION, clock.now()
    await session.flush()
    done = Rekeyed(interests, changed, tokens, rescreened)
    counts = {"key_version": normalise.KEY_VERSION, **asdict(done)}
    entry = audit_service.Entry("interests.rekeyed", "name_key_state", 1, after=counts)
    await audit_service.record_entry(session, actor_id=None, entry=entry)
    return done


async def rekey_if_stale(session: AsyncSession) -> Rekeyed | None:
    """Rekey when the stored version is not this release's (asked again under the lock, so two
    services starting at once rekey once)."""
    if await stored_version(session) == normalise.KEY_VERSION:
        return None
    await _exclusive(session)
    if await stored_version(session) == normalise.KEY_VERSION:
        return None
    return await rekey(session)
