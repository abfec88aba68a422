"""The hash-chained audit trail: append in the caller's transaction, list, verify, checkpoint."""

import hashlib
import hmac
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from app.auth.actor import Actor
from app.core import clock
from app.core.errors import Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.core.settings import get_settings

_VERIFY_BATCH = 1000


def json_value(value: Any) -> Any:
    """A value as plain JSON (strings for ids, dates and money), so it reads back identically."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSON has no NaN or Infinity; a finite float reads back as the same float.
        if not math.isfinite(value):
            raise ValueError("cannot audit a non-finite number")
        return value
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    raise TypeError(f"cannot audit a value of type {type(value).__name__}")


_HASHED = (
    "id",
    "seq",
    "at",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "prev_hash",
)


def _canonical(fields: Mapping[str, Any]) -> bytes:
    body = {
        "id": str(fields["id"]),
        "seq": fields["seq"],
        "at": fields["at"].isoformat(),
        "actor_id": str(fields["actor_id"]) if fields["actor_id"] else None,
        "action": fields["action"],
        "entity_type": fields["entity_type"],
        "entity_id": fields["entity_id"],
        "before": fields["before"],
        "after": fields["after"],
        "prev_hash": fields["prev_hash"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent, key: bytes | None = None) -> str:
    """HMAC-SHA256 over the event's canonical JSON, which includes the previous hash."""
    secret = key if key is not None else get_settings().key_bytes("audit_key")
    return _hmac(secret, {name: getattr(event, name) for name in _HASHED})


def _hmac(key: bytes, fields: Mapping[str, Any]) -> str:
    return hmac.new(key, _canonical(fields), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One event to append: what happened, to what, and the record before and after."""

    action: str
    entity_type: str
    entity_id: uuid.UUID | int | str | None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


class Audited(Protocol):
    """A record the trail can keep: what kind it is, its id, and a frozen view of it (never the API's
    schema, so the API can grow without changing what the trail stores)."""

    audit_type: ClassVar[str]

    @property
    def id(self) -> uuid.UUID | int: ...

    def audit_view(self) -> Mapping[str, Any]: ...


async def record(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    entity: Audited,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    owner: uuid.UUID | None = None,
) -> AuditEvent:
    """Append `action` on `entity` (as it is now, or `after`) to the chain, in the caller's
    transaction. With the record's `owner`, the event says whom the actor acted for (None: themselves)."""
    view = dict(after if after is not None else entity.audit_view())
    if owner is not None:
        view["acting_for"] = owner if actor is None or owner != actor.id else None
    entry = Entry(action, entity.audit_type, entity.id, before, view)
    (row,) = await _append(session, actor.id if actor is not None else None, [entry])
    return AuditEvent(**row)  # the event as stored, for the caller to read (not attached to the session)


async def record_entry(session: AsyncSession, *, actor_id: uuid.UUID | None, entry: Entry) -> AuditEvent:
    """Append an event that is not about one record's view (a failed login, a test's own event)."""
    (row,) = await _append(session, actor_id, [entry])
    return AuditEvent(**row)


async def record_many(session: AsyncSession, *, actor_id: uuid.UUID | None, entries: Sequence[Entry]) -> int:
    """Append events in order, in the caller's transaction, with one move of the chain's head and one
    INSERT for them all (an import of 15,000 people is 15,000 events); returns how many."""
    return len(await _append(session, actor_id, entries))


async def _append(
    session: AsyncSession, actor_id: uuid.UUID | None, entries: Sequence[Entry]
) -> list[dict[str, Any]]:
    if not entries:
        return []
    # Moving the head first takes its row lock (PostgreSQL) or the write lock (SQLite), so a
    # concurrent writer waits here rather than forking the chain from the same previous hash.
    advanced = await session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_seq=AuditChainHead.last_seq + len(entries))
        .returning(AuditChainHead.last_seq, AuditChainHead.last_hash)
        .execution_options(synchronize_session=False)
    )
    last_seq, prev_hash = advanced.one()
    # Stored in UTC and read back in UTC, so hash the UTC form whatever zone 'now' came in.
    at = clock.now().astimezone(UTC)
    key = get_settings().key_bytes("audit_key")
    rows = []
    for seq, entry in enumerate(entries, start=last_seq - len(entries) + 1):
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "seq": seq,
            "at": at,
            "actor_id": actor_id,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": str(entry.entity_id) if entry.entity_id is not None else None,
            "before": json_value(entry.before) if entry.before is not None else None,
            "after": json_value(entry.after) if entry.after is not None else None,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = _hmac(key, row)
        rows.append(row)
    # Plain rows, not ORM objects: building 15,000 of those cost more than hashing and inserting.
    await session.execute(insert(AuditEvent), rows)
    await session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_hash=prev_hash)
        .execution_options(synchronize_session=False)
    )
    return rows


async def list_events(
    session: AsyncSession,
    *,
    entity_type: str | None,
    entity_id: str | None,
    action: str | None,
    actor_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[AuditEvent], int]:
    """Events in chain order, filtered."""
    conditions = []
    if entity_type is not None:
        conditions.append(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        conditions.append(AuditEvent.entity_id == entity_id)
    if action is not None:
        conditions.append(AuditEvent.action == action)
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    return await paginate(session, select(AuditEvent).where(*conditions), page, AuditEvent.seq)


@dataclass(frozen=True)
class Verification:
    valid: bool
    events_checked: int
    first_bad_seq: int | None


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime


async def _walk_chain(session: AsyncSession, key: bytes) -> tuple[int, int | None, AuditEvent | None]:
    """Recompute every link; returns (events checked, first bad seq, last event)."""
    checked, expected_seq, expected_prev = 0, 1, GENESIS_HASH
    last: AuditEvent | None = None
    after_seq: int | None = None  # no lower bound at first: a row slipped in below seq 1 is found too
    while True:
        statement = select(AuditEvent).order_by(AuditEvent.seq).limit(_VERIFY_BATCH)
        if after_seq is not None:
            statement = statement.where(AuditEvent.seq > after_seq)
        # The rows as stored now, never the copies this session may already hold.
        batch = list(await session.scalars(statement.execution_options(populate_existing=True)))
        if not batch:
            return checked, None, last
        for event in batch:
            checked += 1
            if event.seq != expected_seq:  # a removed row, or one moved
                return checked, min(expected_seq, event.seq), last
            if event.prev_hash != expected_prev or not hmac.compare_digest(
                event.hash, event_hash(event, key)
            ):
                return checked, event.seq, last
            expected_seq, expected_prev, last = expected_seq + 1, event.hash, event
        after_seq = batch[-1].seq
        for event in batch[:-1]:
            session.expunge(event)  # keep memory flat on a long chain


async def verify(
    session: AsyncSession, *, checkpoint_seq: int | None = None, checkpoint_hash: str | None = None
) -> Verification:
    """Finds a changed, removed or reordered event; with a checkpoint, a truncated or rewritten tail."""
    if (checkpoint_seq is None) != (checkpoint_hash is None):
        raise Unprocessable(
            "checkpoint_seq and checkpoint_hash go together", loc=("query", "checkpoint_hash")
        )
    key = get_settings().key_bytes("audit_key")
    checked, first_bad, last = await _walk_chain(session, key)
    last_seq = last.seq if last else 0
    if first_bad is None:
        head = await session.get(AuditChainHead, 1, populate_existing=True)
        if head is not None and (head.last_seq != last_seq or (last and head.last_hash != last.hash)):
            first_bad = min(head.last_seq, last_seq) + 1  # the tail was cut below the head
    if first_bad is None and checkpoint_seq is not None:
        first_bad = await _check_checkpoint(session, last_seq, checkpoint_seq, checkpoint_hash or "")
    return Verification(valid=first_bad is None, events_checked=checked, first_bad_seq=first_bad)


async def _check_checkpoint(session: AsyncSession, last_seq: int, seq: int, expected: str) -> int | None:
    if seq == 0:
        return None if expected == GENESIS_HASH else 1
    if last_seq < seq:
        return last_seq + 1  # events the auditor saw are gone
    stored = await session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    if stored is None or not hmac.compare_digest(stored, expected):
        return seq  # the chain was recomputed from some point up to here
    return None


async def checkpoint(session: AsyncSession) -> Checkpoint:
    """The newest event's seq and hash, for the auditor to keep outside the system."""
    last = await session.scalar(
        select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1).execution_options(populate_existing=True)
    )
    if last is None:
        return Checkpoint(seq=0, hash=GENESIS_HASH, at=clock.now())
    return Checkpoint(seq=last.seq, hash=last.hash, at=last.at)
