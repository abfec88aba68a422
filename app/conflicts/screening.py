"""Records that wait for a decision and name another party (a hospitality request's provider): who
has an open interest in that party, for the `provider_conflict` flag and for the approval policy's
rule that a conflicted approver may not decide.

The matches are stored (`record_conflicts`) when the record is submitted and when an interest is
declared while it waits, with their scores; the policy reads them in Python (with a reason) and in
SQL (for the approver's queue and the fallback to the Vice Chair) through one condition, so both
give the same answer. Whether a stored match counts is decided when asked: the interest still open
on the trust's today and its score at or above the trust's threshold then.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.approvals.models import Submitted
from app.approvals.policy import Kind
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.conflicts import matcher
from app.conflicts.models import RecordConflict
from app.core import clock
from app.interests import normalise
from app.interests.models import Interest, interest_open_on
from app.trust_settings.models import TrustSettings

PROVIDER_CONFLICT = "provider_conflict"


@dataclass(frozen=True)
class ScreenedSource:
    """A kind of record screened for conflicts: its table, the status in which it waits, the name of
    its other party, and the action its trail records when the flag changes."""

    kind: Kind
    model: type[Submitted]
    pending: str
    counterparty: Callable[[Any], str]
    flagged_action: str


SOURCES: dict[Kind, ScreenedSource] = {}


def register(source: ScreenedSource) -> None:
    SOURCES[source.kind] = source
    policy.conflict_rules[source.kind] = policy.ConflictRule(reason=_reason, conflicted=conflicted)


def _threshold() -> Select[float]:
    return select(TrustSettings.conflict_similarity_threshold).where(TrustSettings.id == 1)


def _counting(record_id: Any, person: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The stored matches of a record that count today, of the people `person` picks."""
    return [
        RecordConflict.record_id == record_id,
        person,
        RecordConflict.score >= _threshold().scalar_subquery(),
        Interest.id == RecordConflict.interest_id,
        interest_open_on(clock.today()),
    ]


def conflicted(record_id: Any, person_id: Any) -> ColumnElement[bool]:
    """SQL: the person has an open interest that matches the record's other party."""
    # Correlated with the enclosing query's record and person only, never with a table it happens to
    # name too (inside the fallback's own EXISTS, auto-correlation would reach one level only).
    return exists(
        select(RecordConflict.interest_id)
        .select_from(RecordConflict, Interest)
        .where(*_counting(record_id, RecordConflict.person_id == person_id))
        .correlate_except(RecordConflict, Interest)
    )


async def _reason(session: AsyncSession, record: policy.Decidable, person_id: uuid.UUID) -> str | None:
    found = await session.scalar(
        select(Interest.organisation_name)
        .select_from(RecordConflict, Interest)
        .where(*_counting(record.id, RecordConflict.person_id == person_id))
        .order_by(RecordConflict.score.desc(), Interest.organisation_name)
        .limit(1)
    )
    if found is None:
        return None
    return (
        f"You have an open declared interest in {found}, which matches this request's provider: "
        "an approver with no interest in it decides"
    )


async def _store(session: AsyncSession, kind: Kind, record_id: uuid.UUID, found: list[matcher.Found]) -> None:
    session.add_all(
        RecordConflict(
            record_id=record_id, interest_id=f.interest.id, kind=kind.value, person_id=f.interest.person_id,
            score=f.score,
        )
        for f in found
    )  # fmt: skip
    await session.flush()


async def _flag(session: AsyncSession, kind: Kind, record: policy.Decidable) -> bool:
    """provider_conflict: a counting match of the requester or of anyone who may decide the record."""
    people = {record.person_id} | await policy.possible_deciders(session, kind, record)
    statement = (
        select(RecordConflict.person_id)
        .select_from(RecordConflict, Interest)
        .where(*_counting(record.id, RecordConflict.person_id.in_(people)))
        .limit(1)
    )
    return await session.scalar(statement) is not None


# Submitting a record and declaring an interest each look for the other: on PostgreSQL (read
# committed) two such transactions could each miss the other's uncommitted row, so both take this
# lock first (the later one then sees the earlier one's commit). SQLite's write lock does it already.
_SCREENING_LOCK = 0x50524F42_0008  # "PROB", issue 8


async def _one_at_a_time(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCREENING_LOCK})


async def screen(session: AsyncSession, kind: Kind, record: policy.Decidable, counterparty: str) -> bool:
    """Store every candidate match of a record just submitted (before or after it is inserted: the
    rows name it by id) and say whether it is flagged provider_conflict."""
    await _one_at_a_time(session)
    await _store_candidates(session, kind, record.id, counterparty)
    return await _flag(session, kind, record)


async def _store_candidates(
    session: AsyncSession, kind: Kind, record_id: uuid.UUID, counterparty: str
) -> None:
    """Every candidate, open or not yet, with its score: whether one counts is asked on the day."""
    found = await matcher.search(session, matcher.Query.of(counterparty), None, threshold=0.0)
    await _store(session, kind, record_id, found)


async def on_interest_declared(session: AsyncSession, actor: Actor, interest: Interest) -> None:
    """An interest declared while records wait: store its match with each waiting record's other
    party (the same relation as the search), and flag the records it makes conflicted."""
    if not interest.organisation_key:
        return
    await _one_at_a_time(session)
    for source in SOURCES.values():
        model = source.model
        waiting = await session.scalars(select(model).where(model.status == source.pending))
        for record in waiting:
            key = normalise.organisation_key(source.counterparty(record))
            if not key or not normalise.is_candidate(key, interest.organisation_key):
                continue
            score = normalise.similarity(key, interest.organisation_key)
            found = matcher.Found(matcher.Holding.of(interest), "", score, matcher.Reason.SIMILAR_NAME)
            await _store(session, source.kind, record.id, [found])
            await _reflag(session, actor, source, record)


async def on_interest_ended(session: AsyncSession, actor: Actor, interest: Interest) -> None:
    """An interest ended: the waiting records it flagged are flagged again from what still counts."""
    touched = set(
        await session.scalars(
            select(RecordConflict.record_id).where(RecordConflict.interest_id == interest.id)
        )
    )
    if not touched:
        return
    for source in SOURCES.values():
        model = source.model
        waiting = await session.scalars(
            select(model).where(model.id.in_(touched), model.status == source.pending)
        )
        for record in waiting:
            await _reflag(session, actor, source, record)


async def _reflag(
    session: AsyncSession, actor: Actor | None, source: ScreenedSource, record: Submitted
) -> None:
    flagged = await _flag(session, source.kind, record)
    if flagged == (PROVIDER_CONFLICT in record.flags):
        return
    before = record.audit_view()
    flags = [f for f in record.flags if f != PROVIDER_CONFLICT] + ([PROVIDER_CONFLICT] if flagged else [])
    await session.execute(
        update(source.model)
        .where(source.model.id == record.id)
        .values(flags=flags, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(record)
    await audit_service.record(
        session, actor, source.flagged_action, record, before=before, owner=record.person_id
    )


async def rescreen_waiting(session: AsyncSession) -> int:
    """Screen every waiting record again from scratch (after a rekey); returns how many."""
    count = 0
    for source in SOURCES.values():
        model = source.model
        waiting = list(await session.scalars(select(model).where(model.status == source.pending)))
        for record in waiting:
            await session.execute(delete(RecordConflict).where(RecordConflict.record_id == record.id))
            await _store_candidates(session, source.kind, record.id, source.counterparty(record))
            await _reflag(session, None, source, record)
            count += 1
    return count
