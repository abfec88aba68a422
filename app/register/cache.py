"""The published register kept between requests, and brought up to date person by person.

The page is read far more often than it changes, and a change touches one or two people, while a
whole rebuild of 5,000 people costs half a second. So each person's published entry and rendered
fragments are kept; after a change only the people named by the audit events since are read and
rendered again, and the documents are joined from the fragments. What is published is exactly
what a whole rebuild would give (tests/test_register.py compares the two).
"""

import asyncio
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.audit.models import AuditChainHead, AuditEvent
from app.core import clock
from app.core.errors import ServiceUnavailable
from app.register import service
from app.register.http import Document, new_document
from app.register.render import Form, with_items
from app.register.service import PersonKey, PublishedPerson, Register, Site

# Past this many changes since the last version (an import, a morning of data entry) one whole
# rebuild is cheaper than finding and re-reading each person.
MOST_EVENTS_APPLIED = 200
# Registers of past days kept (an auditor's or a Freedom of Information request's few dates).
PAST_DAYS_KEPT = 8
# A past day's register is built one at a time, apart from today's; a request that cannot start
# its build within this time is a 503 (anyone may ask for any day: nothing queues without end).
PAST_BUILD_WAIT_SECONDS = 10

Version = tuple[int, str, date]


Link = tuple[int, str]  # an audit event's seq and hash


@dataclass(frozen=True)
class _Trail:
    """How far the audit trail was read for the latest register event, and what was found."""

    head: Link  # the chain's head then
    found: Link | None  # the latest register event at or below it


_trail: _Trail | None = None


async def version(session: AsyncSession) -> Version:
    """Changes with every audited change to the register, and every day.

    Every request asks (a 304 included), so it must not cost more as the trail grows: the chain's
    head is one row, and only the events added since the last look are searched for a register
    event (declarations and gifts between two register changes once made this a walk back over
    all of them, 17-43 ms past 100,000). The trail is append-only and events commit in seq order
    (appending takes the head's lock), so nothing can appear below a head already read.
    """
    global _trail
    row = (await session.execute(select(AuditChainHead.last_seq, AuditChainHead.last_hash))).one_or_none()
    head: Link = (int(row[0]), str(row[1])) if row else (0, "")
    known = _trail
    if known is not None and known.head == head:
        found = known.found
    else:
        since = None
        if known is not None and head[0] > known.head[0] > 0:
            # The same trail, further on (not another database, nor one restored from a backup)?
            kept = await session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == known.head[0]))
            if kept == known.head[1]:
                since = known.head[0]
        found = await service.latest_register_event(session, since or 0, head[0])
        if found is None and since is not None and known is not None:
            found = known.found
        _trail = _Trail(head, found)
    if found is None:
        # Nothing published was ever written through the trail: the key must still tell one
        # database from another (the process keeps one cache, whichever database it reads).
        return 0, f"no register events in {(await session.connection()).engine.url!r}", clock.today()
    return found[0], found[1], clock.today()


@dataclass
class _Published:
    """One version of the register: its people in order, their fragments, and the documents."""

    version: Version
    people: dict[PersonKey, PublishedPerson]
    register: Register
    site: Site
    fragments: dict[str, dict[PersonKey, bytes]] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    # The version before's documents: a form that comes out byte for byte the same keeps its
    # ETag and Last-Modified, so a browser's copy stays valid (a 304) after a change elsewhere.
    previous: dict[str, Document] = field(default_factory=dict)

    def same_content(self, other: "_Published") -> bool:
        """The same people, in the same order, with the same entries, and the same name and schools."""
        return (
            self.register.as_of == other.register.as_of
            and self.site == other.site
            and list(self.people.items()) == list(other.people.items())
        )


@dataclass
class _Cache:
    """The last version published, a few past days; one build at a time of each."""

    published: _Published | None = None
    past: "OrderedDict[date, _Published]" = field(default_factory=OrderedDict)
    locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]]" = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def lock(self, which: str = "today") -> asyncio.Lock:
        """One lock per event loop (an asyncio.Lock may not be shared between loops): "today" for
        today's register, "past" for the past days' (so that they never hold up today's)."""
        found = self.locks.setdefault(asyncio.get_running_loop(), {})
        if which not in found:
            found[which] = asyncio.Lock()
        return found[which]


_cache = _Cache()

# A form, or how to make it from this version's name and schools (a school's page, by its slug).
FormChoice = Form | Callable[[Site], Form]


async def rendered(session: AsyncSession, choice: FormChoice, as_of: date | None = None) -> Document:
    """The register in this form, on this day (default: today), rendered once per version."""
    return (await _rendered(session, choice, as_of))[2]


async def rendered_page(
    session: AsyncSession, choice: FormChoice, as_of: date | None, offset: int, limit: int | None
) -> Document:
    """A page of a JSON form: its items from offset, the rest of the document as it is whole (the
    total is everyone's). Joined from the kept fragments: never the whole parsed again."""
    published, form, whole = await _rendered(session, choice, as_of)
    pieces = published.fragments[form.name]
    listed = list(_selected(published, form))
    page = b",".join(
        pieces[person] for person in listed[offset : offset + limit if limit is not None else None]
    )
    return Document(with_items(whole.body, page), whole.media_type, whole.modified_at)


def _selected(published: _Published, form: Form) -> dict[PersonKey, PublishedPerson]:
    """Whom this form lists, in the published order, each as it lists them."""
    if form.selects is None:
        return published.people
    return {key: view for key, person in published.people.items() if (view := form.selects(person))}


def _kept(
    published: _Published | None, key: Version, choice: FormChoice
) -> tuple[_Published, Form, Document] | None:
    if published is None or published.version != key:
        return None
    form = _chosen(choice, published)
    found = published.documents.get(form.name)
    return None if found is None else (published, form, found)


async def _rendered(
    session: AsyncSession, choice: FormChoice, as_of: date | None
) -> tuple[_Published, Form, Document]:
    key = await version(session)
    past = as_of is not None and as_of != key[2]
    if as_of is not None and past:
        kept = _kept(_cache.past.get(as_of), (key[0], key[1], as_of), choice)
        if kept is not None:
            _cache.past.move_to_end(as_of)  # the days kept are the ones most recently asked for
    else:
        kept = _kept(_cache.published, key, choice)
    if kept is not None:
        return kept
    # After a change, concurrent readers wait for one update instead of each making their own; the
    # JSON, CSV and HTML share it.
    lock = _cache.lock("past" if past else "today")
    if lock.locked():
        # Wait without a database connection: readers each holding one while one build runs would
        # leave none for the rest of the service.
        await session.commit()
    try:
        async with asyncio.timeout(PAST_BUILD_WAIT_SECONDS if past else None):
            await lock.acquire()
    except TimeoutError:
        raise ServiceUnavailable("The register of past dates is busy; try again shortly", 5) from None
    try:
        # Read again under the lock: the register may have moved on while this request waited.
        # Built for the day in the key, so a request running across midnight cannot file the next
        # day's register under the previous day's key (or the reverse).
        key = await version(session)
        if as_of is not None and as_of != key[2]:
            published = await _past(session, key, as_of)
        else:
            published = await _up_to_date(session, key)
        form = _chosen(choice, published)
        if form.name not in published.documents:
            published.documents[form.name] = await anyio.to_thread.run_sync(_assemble, published, form)
        return published, form, published.documents[form.name]
    finally:
        lock.release()


def _chosen(choice: FormChoice, published: _Published) -> Form:
    return choice if isinstance(choice, Form) else choice(published.site)


async def current(session: AsyncSession) -> Register:
    """The register as it may be published now, from the cache when nothing has changed."""
    async with _cache.lock():
        return (await _up_to_date(session, await version(session))).register


def _assemble(published: _Published, form: Form) -> Document:
    """The document from each person's fragment, rendering only those not rendered yet."""
    fragments = published.fragments.setdefault(form.name, {})
    people = _selected(published, form)
    missing = [person for person in people if person not in fragments]
    rendered = form.people([people[person] for person in missing])
    fragments.update(zip(missing, rendered, strict=True))
    pieces = [fragments[person] for person in people]
    register, previous = published.register, published.previous.get(form.name)
    if (
        previous is not None
        and previous.generated_at is not None
        and previous.generated_at != register.generated_at
    ):
        # The JSON says when the register was generated: what this form lists may not have changed
        # (a school's governors, after a change at another school). With the time it said before,
        # the same bytes keep their ETag and Last-Modified, so a client's copy stays valid.
        unchanged = form.document(
            replace(register, generated_at=previous.generated_at), published.site.schools, pieces
        )
        if unchanged == previous.body:
            return previous
    body = form.document(register, published.site.schools, pieces)
    return new_document(body, form.media_type, previous, register.generated_at)


def _carried(before: _Published | None, after: _Published) -> _Published:
    """`after`, or, when nothing published changed, `before`'s register, fragments and documents
    under `after`'s version (the same bytes: the same ETag, the same Last-Modified)."""
    if before is None:
        return after
    if not after.same_content(before):
        # Older versions' documents too, for a form not asked for since: Last-Modified only moves on.
        after.previous = {**before.previous, **before.documents}
        return after
    return _Published(
        after.version,
        before.people,
        before.register,
        before.site,
        before.fragments,
        dict(before.documents),
        before.previous,
    )


async def _past(session: AsyncSession, key: Version, as_of: date) -> _Published:
    """The register as it stood on an earlier day (the caller holds the cache's lock)."""
    wanted = (key[0], key[1], as_of)
    found = _cache.past.get(as_of)
    if found is not None and found.version == wanted:
        _cache.past.move_to_end(as_of)
        return found
    connection = await session.connection()
    people = await service.fetch_people(connection, as_of)
    when = await service.changed_at(connection, key[0], as_of)
    built = _Published(
        wanted,
        people,
        service.register_of(as_of, people.values(), when, past=True),
        await service.fetch_site(connection),
    )
    _cache.past[as_of] = published = _carried(found, built)
    while len(_cache.past) > PAST_DAYS_KEPT:
        _cache.past.popitem(last=False)
    return published


async def _up_to_date(session: AsyncSession, key: Version) -> _Published:
    """The published register of this version (the caller holds the cache's lock)."""
    published = _cache.published
    if published is not None and published.version == key:
        return published
    updated = await _updated(session, published, key) if published is not None else None
    _cache.published = _carried(published, updated or await _rebuilt(session, key))
    return _cache.published


async def _rebuilt(session: AsyncSession, key: Version) -> _Published:
    today = key[2]
    connection = await session.connection()
    people = await service.fetch_people(connection, today)
    when = await service.changed_at(connection, key[0], today)
    return _Published(
        key, people, service.register_of(today, people.values(), when), await service.fetch_site(connection)
    )


async def _updated(session: AsyncSession, published: _Published, key: Version) -> _Published | None:
    """The last version with the people changed since re-read; None when a whole rebuild is due."""
    if published.version[2] != key[2]:  # a new day: the 12-month window has moved for everyone
        return None
    changed = await _changed_people(session, published.version, key)
    if not changed:
        return None
    connection = await session.connection()
    fresh = await service.fetch_people(connection, key[2], changed)
    people: dict[PersonKey, PublishedPerson] = {}
    for person in await _listed_in_order(connection, published, changed, fresh, key[2]):
        entry = fresh.get(person) or published.people.get(person)
        if entry is None:  # listed, yet neither changed nor listed before: written without an audit event
            return None
        people[person] = entry
    kept = {
        form: {person: piece for person, piece in pieces.items() if person in people and person not in fresh}
        for form, pieces in published.fragments.items()
    }
    register = service.register_of(
        key[2], people.values(), await service.changed_at(connection, key[0], key[2])
    )
    return _Published(key, people, register, published.site, kept)


async def _listed_in_order(
    connection: AsyncConnection,
    published: _Published,
    changed: set[uuid.UUID],
    fresh: dict[PersonKey, PublishedPerson],
    today: date,
) -> Iterable[PersonKey]:
    """Everyone listed, in the published order: as before unless someone came, went or was renamed."""
    before = published.people
    renamed_or_new = any(
        person not in before or before[person].full_name != entry.full_name for person, entry in fresh.items()
    )
    if not renamed_or_new:
        keys = (await connection.execute(service.keys_statement(changed))).scalars()
        if all(person in fresh for person in keys if person in before):  # nobody left
            return before.keys()
    # Only the database knows its collation: it places a newcomer or a new name.
    listed: list[PersonKey] = list((await connection.execute(service.listed_statement(today))).scalars())
    return listed


async def _changed_people(session: AsyncSession, since: Version, key: Version) -> set[uuid.UUID] | None:
    """Whose entries the register events after `since`, up to `key`, may have changed.

    None when that cannot be told: `since` is no longer in the trail as it was (a rolled-back
    transaction, a restore), there are too many events, or an event does not name its person.
    """
    if since[0] == 0:  # built before any register event: nothing to check the trail against
        return None
    events = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash, AuditEvent.action, AuditEvent.entity_id)
            .add_columns(AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.seq >= since[0], AuditEvent.seq <= key[0], service.register_events())
            .order_by(AuditEvent.seq)
            .limit(MOST_EVENTS_APPLIED + 2)
        )
    ).all()
    if not events or (events[0].seq, events[0].hash) != since[:2] or len(events) > MOST_EVENTS_APPLIED + 1:
        return None
    changed: set[uuid.UUID] = set()
    for event in events[1:]:
        people = _people_named(event.action, event.entity_id, event.before, event.after)
        if not people:
            return None
        changed |= people
    return changed


def _people_named(action: str, entity_id: str | None, before: Any, after: Any) -> set[uuid.UUID]:
    """The people an event is about: the person itself, or the holder of the appointment or interest."""
    if action.startswith("person."):
        named = [entity_id]
    else:
        named = [state.get("person_id") for state in (before, after) if isinstance(state, dict)]
    try:
        return {uuid.UUID(str(value)) for value in named if value is not None}
    except ValueError:
        return set()
