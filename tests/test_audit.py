"""The audit trail: read by keepers and auditors only, HMAC-chained, append-only, tamper-evident."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import JSON, bindparam, exc, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.audit.models import GENESIS_HASH, AuditEvent
from app.auth.permissions import Role
from app.core.db import Database
from app.people.governance import GovernanceRole
from tests.dbutil import ON_POSTGRES
from tests.factories import bearer, make_person
from tests.live import live_client

AUDIT_KEY = os.environ["PROBITY_AUDIT_KEY"].encode()
OTHER_KEY = b"another-audit-key-that-is-32-bytes-or-more"
ENDPOINTS = ("/api/v1/audit-events", "/api/v1/audit-events/verify", "/api/v1/audit-events/checkpoint")
# Everything in an event but its own hash goes into the HMAC.
HASHED_FIELDS = (
    *("id", "seq", "at", "actor_id", "action", "entity_type", "entity_id", "before", "after"),
    "prev_hash",
)
EVENT_FIELDS = {*HASHED_FIELDS, "hash"}


# ---------------------------------------------------------------- helpers


async def record_events(session: AsyncSession, count: int) -> list[AuditEvent]:
    """Append `count` events about a test entity of our own (each numbered in `after`)."""
    entity = str(uuid.uuid4())
    return [
        await audit_service.record_entry(
            session,
            actor_id=None,
            entry=audit_service.Entry("test.recorded", "test_entity", entity, after={"n": n}),
        )
        for n in range(count)
    ]


async def allow_tampering(session: AsyncSession) -> None:
    """Get past the append-only triggers inside the test's transaction (rolled back at the end)."""
    if ON_POSTGRES:
        await session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        return
    names = await session.scalars(
        text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
    )
    triggers = list(names)
    assert triggers, "the append-only triggers are missing"
    for name in triggers:
        await session.execute(text(f'DROP TRIGGER "{name}"'))


async def swap_seqs(session: AsyncSession, first: int, second: int) -> None:
    """Swap two rows' places in the chain (in three steps: seq is unique, checked row by row)."""
    move = text("UPDATE audit_events SET seq = :new WHERE seq = :old")
    await session.execute(move, {"old": first, "new": -first})
    await session.execute(move, {"old": second, "new": first})
    await session.execute(move, {"old": -first, "new": second})


async def stored_events(session: AsyncSession, from_seq: int) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.seq >= from_seq).order_by(AuditEvent.seq)
    return list(await session.scalars(statement.execution_options(populate_existing=True)))


def copy_of(event: AuditEvent, **changes: Any) -> AuditEvent:
    """A detached copy of a stored event, to hash without touching the row."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS} | changes
    return AuditEvent(**fields)


async def rewrite_tail(session: AsyncSession, from_seq: int, key: bytes) -> None:
    """Re-chain every event from `from_seq` to the end with `key`, and move the head to match."""
    events = await stored_events(session, from_seq)
    previous = events[0].prev_hash
    for event in events:
        forged = copy_of(event, prev_hash=previous)
        previous = audit_service.event_hash(forged, key=key)
        await session.execute(
            text("UPDATE audit_events SET prev_hash = :prev, hash = :hash WHERE seq = :seq"),
            {"prev": forged.prev_hash, "hash": previous, "seq": event.seq},
        )
    await set_head(session, events[-1].seq, previous)


async def set_head(session: AsyncSession, seq: int, last_hash: str) -> None:
    await session.execute(
        text("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
        {"seq": seq, "hash": last_hash},
    )


async def verify(client: AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/audit-events/verify", params=params, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def take_checkpoint(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/v1/audit-events/checkpoint", headers=headers)
    assert response.status_code == 200, response.text
    return {"checkpoint_seq": response.json()["seq"], "checkpoint_hash": response.json()["hash"]}


# ---------------------------------------------------------------- who may read the trail


class TestAccess:
    @pytest.mark.parametrize("role", [Role.GOVERNANCE_ADMIN, Role.AUDITOR])
    @pytest.mark.parametrize("path", ENDPOINTS)
    async def test_keepers_and_auditors_read_the_trail(
        self, client: AsyncClient, caller, role: Role, path: str
    ) -> None:
        reader = await caller(role)
        response = await client.get(path, headers=reader.headers)
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "role",
        [
            None,
            Role.CEO,
            Role.COO,
            Role.CHAIR,
            Role.VICE_CHAIR,
            Role.FINANCE_DIRECTOR,
            Role.HR_DIRECTOR,
            Role.HEADTEACHER,
        ],
    )
    @pytest.mark.parametrize("path", ENDPOINTS)
    async def test_anyone_else_is_forbidden(
        self, client: AsyncClient, caller, role: Role | None, path: str
    ) -> None:
        someone = await caller(role) if role else await caller(governance_roles=(GovernanceRole.TRUSTEE,))
        response = await client.get(path, headers=someone.headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert "hash" not in response.text and "items" not in response.text

    @pytest.mark.parametrize("path", ENDPOINTS)
    async def test_an_anonymous_caller_must_sign_in(self, client: AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        forged = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401


# ---------------------------------------------------------------- listing


class TestListEvents:
    async def test_an_event_carries_the_whole_record_and_its_links(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        actor = uuid.uuid4()
        recorded = await audit_service.record_entry(
            session,
            actor_id=actor,
            entry=audit_service.Entry(
                "test.changed", "test_entity", uuid.uuid4(), before={"name": "Old"}, after={"name": "New"}
            ),
        )
        response = await client.get(
            "/api/v1/audit-events", params={"entity_id": recorded.entity_id}, headers=auditor.headers
        )
        assert response.status_code == 200
        assert response.json()["total"] == 1
        event = response.json()["items"][0]
        assert set(event) == EVENT_FIELDS
        assert event["id"] == str(recorded.id) and event["seq"] == recorded.seq
        assert event["actor_id"] == str(actor) and event["action"] == "test.changed"
        assert event["entity_type"] == "test_entity" and event["entity_id"] == recorded.entity_id
        assert event["before"] == {"name": "Old"} and event["after"] == {"name": "New"}
        assert datetime.fromisoformat(event["at"]).utcoffset() is not None
        assert event["hash"] == recorded.hash and len(event["hash"]) == 64
        assert int(event["hash"], 16) >= 0 and event["prev_hash"] == recorded.prev_hash

    async def test_seq_rises_by_one_and_each_event_links_to_the_previous_hash(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 4)
        response = await client.get(
            "/api/v1/audit-events", params={"entity_id": recorded[0].entity_id}, headers=auditor.headers
        )
        items = response.json()["items"]
        assert [e["seq"] for e in items] == list(range(recorded[0].seq, recorded[0].seq + 4))
        for earlier, later in pairwise(items):
            assert later["prev_hash"] == earlier["hash"]
        assert len({e["hash"] for e in items}) == 4

    async def test_the_chain_starts_from_the_genesis_hash(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        await record_events(session, 1)
        first = await client.get("/api/v1/audit-events", params={"limit": 1}, headers=auditor.headers)
        assert first.json()["items"][0]["seq"] == 1
        assert first.json()["items"][0]["prev_hash"] == GENESIS_HASH

    async def test_filters_by_entity_action_and_actor(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        entity, other_entity, actor = str(uuid.uuid4()), str(uuid.uuid4()), uuid.uuid4()
        kind = f"kind_{uuid.uuid4().hex[:8]}"
        created = await audit_service.record_entry(
            session, actor_id=actor, entry=audit_service.Entry("test.created", kind, entity)
        )
        changed = await audit_service.record_entry(
            session, actor_id=None, entry=audit_service.Entry("test.changed", kind, entity)
        )
        elsewhere = await audit_service.record_entry(
            session, actor_id=actor, entry=audit_service.Entry("test.changed", kind, other_entity)
        )

        async def seqs(**params: str) -> list[int]:
            response = await client.get("/api/v1/audit-events", params=params, headers=admin.headers)
            assert response.status_code == 200
            assert response.json()["total"] == len(response.json()["items"])
            return [e["seq"] for e in response.json()["items"]]

        assert await seqs(entity_type=kind) == [created.seq, changed.seq, elsewhere.seq]
        assert await seqs(entity_type=kind, entity_id=entity) == [created.seq, changed.seq]
        assert await seqs(entity_type=kind, action="test.changed") == [changed.seq, elsewhere.seq]
        assert await seqs(actor_id=str(actor)) == [created.seq, elsewhere.seq]
        assert await seqs(entity_type="no_such_kind") == []

    async def test_paging_keeps_chain_order_and_the_total(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 5)
        response = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": recorded[0].entity_id, "limit": 2, "offset": 1},
            headers=auditor.headers,
        )
        assert response.json()["total"] == 5
        assert [e["seq"] for e in response.json()["items"]] == [recorded[1].seq, recorded[2].seq]

    @pytest.mark.parametrize(
        "params",
        [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"actor_id": "nobody"}, {"entity_id": "x" * 65}],
    )
    async def test_bad_filters_and_paging_are_a_422(
        self, client: AsyncClient, caller, params: dict[str, Any]
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        response = await client.get("/api/v1/audit-events", params=params, headers=auditor.headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_writes_through_the_api_are_audited(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        created = await client.post(
            "/api/v1/schools", json={"name": "Audited Academy"}, headers=admin.headers
        )
        assert created.status_code == 201
        trail = await client.get(
            "/api/v1/audit-events",
            params={"entity_type": "school", "entity_id": created.json()["id"]},
            headers=admin.headers,
        )
        [event] = trail.json()["items"]
        assert event["action"] == "school.created" and event["actor_id"] == str(admin.id)
        assert event["after"]["name"] == "Audited Academy"


# ---------------------------------------------------------------- the HMAC


class TestHash:
    async def test_the_hash_is_an_hmac_keyed_by_the_audit_key(self, session: AsyncSession) -> None:
        [event] = await record_events(session, 1)
        recorded_hash = event.hash
        [stored] = await stored_events(session, event.seq)
        assert audit_service.event_hash(copy_of(stored), key=AUDIT_KEY) == recorded_hash
        assert audit_service.event_hash(copy_of(stored), key=OTHER_KEY) != recorded_hash

    async def test_the_hash_covers_the_previous_hash(self, session: AsyncSession) -> None:
        [event] = await record_events(session, 1)
        relinked = copy_of(event, prev_hash="f" * 64)
        assert audit_service.event_hash(relinked, key=AUDIT_KEY) != event.hash

    async def test_the_values_domains_audit_read_back_to_the_same_hash(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        after = {
            "id": uuid.uuid4(),
            "value_gbp": Decimal("45.00"),
            "offered_on": date(2026, 11, 22),
            "decided_at": datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC),
            "role": Role.CEO,
            "roles": {Role.CHAIR, Role.AUDITOR},
            "hours_per_week": 7.5,
            "name": "Zoë O'Brien – “Chair”",
            "flags": ["retrospective"],
            "nested": {"none": None, "yes": True, "count": 3},
        }
        event = await audit_service.record_entry(
            session,
            actor_id=None,
            entry=audit_service.Entry("test.values", "test_entity", "v", after=after),
        )
        recorded_hash = event.hash
        [stored] = await stored_events(session, event.seq)
        assert audit_service.event_hash(copy_of(stored), key=AUDIT_KEY) == recorded_hash
        assert stored.after is not None and stored.after["hours_per_week"] == 7.5
        assert stored.after["roles"] == ["auditor", "chair"] and stored.after["value_gbp"] == "45.00"
        assert (await verify(client, auditor.headers))["valid"] is True

    async def test_an_event_recorded_at_a_non_utc_time_still_verifies(
        self, client: AsyncClient, caller, session: AsyncSession, fixed_clock
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        summer_time = datetime.now(UTC).astimezone(timezone(timedelta(hours=1)))
        fixed_clock(summer_time)
        [event] = await record_events(session, 1)
        recorded_hash = event.hash
        [stored] = await stored_events(session, event.seq)
        assert stored.at == summer_time
        assert audit_service.event_hash(copy_of(stored), key=AUDIT_KEY) == recorded_hash
        assert (await verify(client, auditor.headers))["valid"] is True


# ---------------------------------------------------------------- the database refuses changes


class TestAppendOnly:
    async def test_the_database_refuses_an_update(self, session: AsyncSession) -> None:
        [event] = await record_events(session, 1)
        with pytest.raises(exc.DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(
                    text("UPDATE audit_events SET action = 'test.forged' WHERE seq = :seq"),
                    {"seq": event.seq},
                )
        [stored] = await stored_events(session, event.seq)
        assert stored.action == "test.recorded"

    async def test_the_database_refuses_a_delete(self, session: AsyncSession) -> None:
        [event] = await record_events(session, 1)
        with pytest.raises(exc.DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": event.seq})
        assert [e.seq for e in await stored_events(session, event.seq)] == [event.seq]

    async def test_the_database_refuses_to_empty_the_table(self, session: AsyncSession) -> None:
        [event] = await record_events(session, 1)
        # PostgreSQL's TRUNCATE skips row triggers, so it has its own; SQLite has no TRUNCATE, and
        # its truncate optimisation for an unqualified DELETE is off while a DELETE trigger exists.
        emptying = "TRUNCATE audit_events" if ON_POSTGRES else "DELETE FROM audit_events"
        with pytest.raises(exc.DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text(emptying))
        assert [e.seq for e in await stored_events(session, event.seq)] == [event.seq]


# ---------------------------------------------------------------- verification


class TestVerify:
    async def test_an_untouched_chain_is_valid(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        result = await verify(client, auditor.headers)
        assert result == {"valid": True, "events_checked": recorded[-1].seq, "first_bad_seq": None}

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("after", {"n": 99}),
            ("before", {"n": 0}),
            ("action", "test.forged"),
            ("actor_id", uuid.uuid4()),
            ("entity_id", "someone-else"),
            ("at", datetime(2020, 1, 1, tzinfo=UTC)),
            ("hash", "a" * 64),
            ("prev_hash", "b" * 64),
        ],
    )
    async def test_a_changed_row_is_found(
        self, client: AsyncClient, caller, session: AsyncSession, column: str, value: Any
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        await allow_tampering(session)
        column_type = AuditEvent.__table__.c[column].type
        statement = text(f'UPDATE audit_events SET "{column}" = :value WHERE seq = :seq').bindparams(
            bindparam("value", type_=column_type)
        )
        await session.execute(statement, {"value": value, "seq": recorded[1].seq})
        result = await verify(client, auditor.headers)
        assert result == {"valid": False, "events_checked": recorded[1].seq, "first_bad_seq": recorded[1].seq}

    async def test_a_deleted_row_is_found(self, client: AsyncClient, caller, session: AsyncSession) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        await allow_tampering(session)
        await session.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": recorded[1].seq})
        result = await verify(client, auditor.headers)
        assert result["valid"] is False and result["first_bad_seq"] == recorded[1].seq

    async def test_two_reordered_rows_are_found(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        seqs = [event.seq for event in await record_events(session, 4)]
        await allow_tampering(session)
        await swap_seqs(session, seqs[1], seqs[2])
        result = await verify(client, auditor.headers)
        assert result["valid"] is False and result["first_bad_seq"] == seqs[1]

    async def test_a_forged_row_inserted_before_the_first_is_found(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        [event] = await record_events(session, 1)
        await session.execute(
            text(
                "INSERT INTO audit_events (id, seq, at, action, entity_type, prev_hash, hash) "
                "SELECT :id, 0, at, 'test.forged', entity_type, prev_hash, hash FROM audit_events "
                "WHERE seq = :seq"
            ).bindparams(bindparam("id", type_=AuditEvent.id.type)),
            {"id": uuid.uuid4(), "seq": event.seq},
        )
        result = await verify(client, auditor.headers)
        assert result["valid"] is False and result["first_bad_seq"] == 0

    async def test_a_forged_row_appended_without_the_key_is_found(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        [event] = await record_events(session, 1)
        await session.execute(
            text(
                "INSERT INTO audit_events (id, seq, at, action, entity_type, prev_hash, hash) "
                "SELECT :id, seq + 1, at, 'test.forged', entity_type, hash, :hash FROM audit_events "
                "WHERE seq = :seq"
            ).bindparams(bindparam("id", type_=AuditEvent.id.type)),
            {"id": uuid.uuid4(), "seq": event.seq, "hash": "c" * 64},
        )
        await set_head(session, event.seq + 1, "c" * 64)
        result = await verify(client, auditor.headers)
        assert result["valid"] is False and result["first_bad_seq"] == event.seq + 1

    async def test_a_tail_cut_below_the_head_is_found(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        await allow_tampering(session)
        await session.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": recorded[1].seq})
        result = await verify(client, auditor.headers)
        assert result["valid"] is False and result["first_bad_seq"] == recorded[1].seq

    async def test_a_truncated_tail_is_found_against_an_earlier_checkpoint(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        kept = await take_checkpoint(client, auditor.headers)
        assert kept["checkpoint_seq"] == recorded[-1].seq
        await allow_tampering(session)
        await session.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": recorded[1].seq})
        await set_head(session, recorded[0].seq, recorded[0].hash)  # covering the tracks
        # What is left is a consistent chain: only the kept checkpoint shows what is missing.
        assert (await verify(client, auditor.headers))["valid"] is True
        result = await verify(client, auditor.headers, **kept)
        assert result["valid"] is False and result["first_bad_seq"] == recorded[1].seq

    async def test_a_tail_rewritten_without_the_key_is_found_without_a_checkpoint(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        await allow_tampering(session)
        await session.execute(
            text("UPDATE audit_events SET action = 'test.forged' WHERE seq = :seq"), {"seq": recorded[1].seq}
        )
        await rewrite_tail(session, recorded[1].seq, OTHER_KEY)
        result = await verify(client, auditor.headers)
        assert result["valid"] is False and result["first_bad_seq"] == recorded[1].seq

    async def test_a_tail_rewritten_with_the_key_is_found_only_against_a_checkpoint(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 3)
        kept = await take_checkpoint(client, auditor.headers)
        later = await record_events(session, 2)
        await allow_tampering(session)
        forge = text("UPDATE audit_events SET after = :after WHERE seq = :seq").bindparams(
            bindparam("after", type_=JSON)
        )
        await session.execute(forge, {"after": {"n": 99}, "seq": recorded[-1].seq})
        await rewrite_tail(session, recorded[-1].seq, AUDIT_KEY)
        plain = await verify(client, auditor.headers)
        assert plain == {"valid": True, "events_checked": later[-1].seq, "first_bad_seq": None}
        result = await verify(client, auditor.headers, **kept)
        assert result["valid"] is False and result["first_bad_seq"] == recorded[-1].seq

    async def test_a_current_checkpoint_agrees(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        await record_events(session, 2)
        kept = await take_checkpoint(client, auditor.headers)
        await record_events(session, 2)
        result = await verify(client, auditor.headers, **kept)
        assert result["valid"] is True and result["first_bad_seq"] is None

    async def test_a_checkpoint_beyond_the_chain_is_found(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        [event] = await record_events(session, 1)
        result = await verify(client, auditor.headers, checkpoint_seq=event.seq + 5, checkpoint_hash="d" * 64)
        assert result["valid"] is False and result["first_bad_seq"] == event.seq + 1

    @pytest.mark.parametrize(
        "params",
        [
            {"checkpoint_seq": 1},
            {"checkpoint_hash": "0" * 64},
            {"checkpoint_seq": 1, "checkpoint_hash": "not-a-hash"},
            {"checkpoint_seq": 1, "checkpoint_hash": "A" * 64},
            {"checkpoint_seq": -1, "checkpoint_hash": "0" * 64},
        ],
    )
    async def test_a_half_or_malformed_checkpoint_is_a_422(
        self, client: AsyncClient, caller, params: dict[str, Any]
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        response = await client.get("/api/v1/audit-events/verify", params=params, headers=auditor.headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestCheckpoint:
    async def test_the_checkpoint_is_the_newest_event(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        recorded = await record_events(session, 2)
        response = await client.get("/api/v1/audit-events/checkpoint", headers=auditor.headers)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"seq", "hash", "at"}
        assert body["seq"] == recorded[-1].seq and body["hash"] == recorded[-1].hash
        assert datetime.fromisoformat(body["at"]) == recorded[-1].at


# ---------------------------------------------------------------- concurrent appends


@pytest.fixture
async def fresh_client(app: FastAPI, fresh_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the fresh database, each request in its own committed transaction."""
    async with live_client(app, fresh_db) as http:
        yield http


class TestConcurrentAppends:
    WORKERS, APPENDS = 8, 10

    async def test_concurrent_writers_keep_one_unbroken_chain(
        self, fresh_db: Database, fresh_client: AsyncClient
    ) -> None:
        async def append(worker: int) -> None:
            for n in range(self.APPENDS):
                async with fresh_db.session(write=True) as session:
                    await audit_service.record_entry(
                        session,
                        actor_id=None,
                        entry=audit_service.Entry("test.concurrent", "test_entity", f"{worker}-{n}"),
                    )

        await asyncio.gather(*(append(worker) for worker in range(self.WORKERS)))

        total = self.WORKERS * self.APPENDS
        async with fresh_db.session(write=False) as session:
            result = await audit_service.verify(session)
            events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert result == audit_service.Verification(valid=True, events_checked=total, first_bad_seq=None)
        assert [e.seq for e in events] == list(range(1, total + 1))
        assert events[0].prev_hash == GENESIS_HASH
        assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(events))
        assert {e.entity_id for e in events} == {
            f"{w}-{n}" for w in range(self.WORKERS) for n in range(self.APPENDS)
        }

        async with fresh_db.session(write=True) as session:
            auditor = await make_person(session, Role.AUDITOR)
        response = await fresh_client.get("/api/v1/audit-events/checkpoint", headers=bearer(auditor.id))
        async with fresh_db.session(write=False) as session:
            last = await session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert last is not None and last.seq > total
        assert response.status_code == 200
        assert response.json()["seq"] == last.seq and response.json()["hash"] == last.hash
        checked = await fresh_client.get("/api/v1/audit-events/verify", headers=bearer(auditor.id))
        assert checked.json() == {"valid": True, "events_checked": last.seq, "first_bad_seq": None}
