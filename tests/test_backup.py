"""The backup drill (finding 11): `probity backup` while 16 trustees keep declaring interests, then
`probity restore` into a new database. Every write acknowledged before the backup began is there,
the audit trail verifies against a checkpoint taken before it, and a non-empty database is only
replaced with --force."""

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.permissions import Role
from app.core.db import Database, create_engine
from app.interests.models import Interest
from app.people.governance import GovernanceRole
from tests import dbutil
from tests.factories import bearer, make_person
from tests.live import live_client

PROBITY = str(Path(sys.executable).parent / "probity")
WRITERS = 16
ACKNOWLEDGED_BEFORE_THE_BACKUP = 120
CLI_TIMEOUT = 180


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def probity(*args: str, database_url: str) -> Ran:
    """The real command, in a process of its own, without blocking the writers on this event loop."""
    process = await asyncio.create_subprocess_exec(
        PROBITY,
        *args,
        env={**os.environ, "PROBITY_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=CLI_TIMEOUT)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@dataclass
class Writes:
    acknowledged: list[str] = field(default_factory=list)
    other_answers: list[int] = field(default_factory=list)
    enough: asyncio.Event = field(default_factory=asyncio.Event)

    def acknowledge(self, name: str) -> None:
        self.acknowledged.append(name)
        if len(self.acknowledged) >= ACKNOWLEDGED_BEFORE_THE_BACKUP:
            self.enough.set()


async def keep_declaring(
    http: httpx.AsyncClient, headers: dict[str, str], who: int, stop: asyncio.Event, writes: Writes
) -> None:
    """A trustee declaring one directorship after another, each named uniquely, until told to stop."""
    n = 0
    while not stop.is_set():
        n += 1
        name = f"Writer {who:02d} Holdings {n:05d} Ltd"
        response = await http.post(
            "/api/v1/interests", json={"category": "directorship", "organisation_name": name}, headers=headers
        )
        if response.status_code == 201:
            writes.acknowledge(name)
        else:
            writes.other_answers.append(response.status_code)


@pytest.fixture
def source(fresh_db: Database) -> Database:
    """The database backed up (a fresh one, committing)."""
    return fresh_db


@pytest.fixture
def new_database() -> Iterator[str]:
    """A database that nothing has written to: an SQLite path with no file yet, or an empty
    PostgreSQL database."""
    url = dbutil.create_database(migrated=False)
    yield url
    dbutil.drop_database(url)


async def interest_names(url: str) -> set[str]:
    database = Database(create_engine(url=url))
    try:
        async with database.session(write=False) as session:
            return {name for name in await session.scalars(select(Interest.organisation_name)) if name}
    finally:
        await database.dispose()


class TestTheBackupDrill:
    async def test_every_write_acknowledged_before_the_backup_is_restored_and_the_trail_verifies(
        self, app: FastAPI, source: Database, fresh_database: str, new_database: str, tmp_path: Path
    ) -> None:
        async with source.session(write=True) as session:
            admin = await make_person(session, Role.GOVERNANCE_ADMIN)
            trustees = [
                await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,)) for _ in range(16)
            ]
        backup_file = tmp_path / "probity.backup"
        writes, stop = Writes(), asyncio.Event()
        async with live_client(app, source) as http:
            writers = [
                asyncio.create_task(keep_declaring(http, bearer(t.id), i, stop, writes))
                for i, t in enumerate(trustees)
            ]
            try:
                await asyncio.wait_for(writes.enough.wait(), timeout=60)
                taken = await http.get("/api/v1/audit-events/checkpoint", headers=bearer(admin.id))
                assert taken.status_code == 200, taken.text
                before = list(writes.acknowledged)
                backed_up = await probity("backup", str(backup_file), database_url=fresh_database)
                during = len(writes.acknowledged) - len(before)
            finally:
                stop.set()
                await asyncio.gather(*writers)
        assert backed_up.returncode == 0, backed_up.stderr
        assert during > 0, "the writers stalled while the backup ran"
        assert set(writes.other_answers) <= {503}, writes.other_answers

        restored = await probity("restore", str(backup_file), database_url=new_database)
        assert restored.returncode == 0, restored.stderr
        names = await interest_names(new_database)
        assert [name for name in before if name not in names] == []
        await self._the_trail_verifies(app, new_database, admin.id, taken.json())

        again = await probity("restore", str(backup_file), database_url=new_database)
        assert again.returncode == 1
        assert again.stderr.strip().splitlines() == [again.stderr.strip()] and "not empty" in again.stderr
        # The source moved on after the backup; --force puts it back as the backup had it, under the
        # running service's feet: its engine, connections pooled, reads the restored data unaided.
        assert await interest_names(fresh_database) > names
        forced = await probity("restore", "--force", str(backup_file), database_url=fresh_database)
        assert forced.returncode == 0, forced.stderr
        async with source.session(write=False) as session:
            assert set(await session.scalars(select(Interest.organisation_name))) == names

    async def _the_trail_verifies(
        self, app: FastAPI, url: str, admin_id: uuid.UUID, checkpoint: dict[str, Any]
    ) -> None:
        database = Database(create_engine(url=url))
        try:
            async with database.session(write=False) as session:
                # One snapshot: each interest came with its audit event in one transaction, so the
                # copy holds both or neither.
                interests = await session.scalar(select(func.count()).select_from(Interest))
                created = await session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "interest.created")
                )
                assert interests == created
            async with live_client(app, database) as http:
                verified = await http.get(
                    "/api/v1/audit-events/verify",
                    params={"checkpoint_seq": checkpoint["seq"], "checkpoint_hash": checkpoint["hash"]},
                    headers=bearer(admin_id),
                )
        finally:
            await database.dispose()
        assert verified.status_code == 200, verified.text
        assert verified.json()["valid"] is True, verified.json()
        assert verified.json()["events_checked"] >= int(checkpoint["seq"])
