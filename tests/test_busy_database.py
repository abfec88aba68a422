"""A busy database is a 503 with Retry-After, never a 500; and nothing slow (argon2, parsing a file)
happens while a write holds the database's lock (findings: 16 parallel logins gave 8 × 500
"database is locked", and a trustee's write waited 6.6 s behind them)."""

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.auth import service as auth_service
from app.auth.permissions import Role
from app.core.db import Database, create_engine
from app.core.settings import Settings
from app.people import importer
from app.people import service as people_service
from tests.dbutil import ON_POSTGRES
from tests.factories import DEFAULT_PASSWORD, bearer, make_person
from tests.live import live_client

LOCK_TIMEOUT_MS = 300


@pytest.fixture
async def database(fresh_database: str) -> AsyncIterator[Database]:
    """The fresh database with a short lock timeout (SQLite's busy timeout, PostgreSQL's lock_timeout)."""
    settings = Settings(sqlite_busy_timeout_ms=LOCK_TIMEOUT_MS)
    opened = Database(create_engine(settings=settings, url=fresh_database))
    yield opened
    await opened.dispose()


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another connection holding what every audited write needs: on SQLite the database's write
    lock, on PostgreSQL the audit chain's head row."""
    parsed = make_url(url)
    if ON_POSTGRES:
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as holder:
            holder.execute("SELECT * FROM audit_chain_head FOR UPDATE")
            yield
            holder.rollback()
    else:
        holder = sqlite3.connect(str(parsed.database), isolation_level=None, timeout=5)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()


def can_write_now(url: str) -> bool:
    """Whether another connection could take the write lock this instant (no waiting at all)."""
    parsed = make_url(url)
    if ON_POSTGRES:
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as probe:
            try:
                probe.execute("SELECT * FROM audit_chain_head FOR UPDATE NOWAIT")
            except psycopg.errors.LockNotAvailable:
                return False
            probe.rollback()
            return True
    probe = sqlite3.connect(str(parsed.database), isolation_level=None, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


class TestABusyDatabaseIsA503:
    async def test_a_write_that_cannot_get_the_database_in_time_is_a_503_and_changes_nothing(
        self, app: FastAPI, database: Database, fresh_database: str
    ) -> None:
        async with database.session(write=True) as session:
            admin = await make_person(session, Role.GOVERNANCE_ADMIN)
        async with live_client(app, database) as http:
            with write_lock_held(fresh_database):
                refused = await http.post("/api/v1/schools", json={"name": "Busy"}, headers=bearer(admin.id))
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"].isdigit() and int(refused.headers["retry-after"]) >= 1
            assert refused.json()["status"] == 503 and "Traceback" not in refused.text
            assert (await http.get("/api/v1/schools", headers=bearer(admin.id))).json()["total"] == 0
            again = await http.post("/api/v1/schools", json={"name": "Busy"}, headers=bearer(admin.id))
            assert again.status_code == 201

    async def test_a_login_failure_that_cannot_be_recorded_in_time_is_a_503(
        self, app: FastAPI, database: Database, fresh_database: str
    ) -> None:
        async with live_client(app, database) as http:
            with write_lock_held(fresh_database):
                response = await http.post(
                    "/api/v1/auth/token", data={"username": "no.one@trust.test", "password": "wrong password"}
                )
            assert response.status_code == 503 and "retry-after" in response.headers


class Gate:
    """Stands in for a slow step (argon2, parsing a file): it waits until the test opens it, so the
    test can look at the database while the step is under way."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.open = asyncio.Event()

    def around(self, real: Callable[..., Any]) -> Callable[..., Any]:
        async def slow(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            await self.open.wait()
            result = real(*args, **kwargs)
            return await result if asyncio.iscoroutine(result) else result

        return slow


class ThreadGate:
    """The same for a step that runs in a worker thread (parsing an upload)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()

    def around(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def slow(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.open.wait(timeout=10)
            return real(*args, **kwargs)

        return slow


async def while_gated(gate: Gate | ThreadGate, work: Any, url: str) -> tuple[bool, Any]:
    """Whether another writer could write while `work` was inside the gate, and work's result."""
    task = asyncio.ensure_future(work)
    if isinstance(gate, Gate):
        await asyncio.wait_for(gate.entered.wait(), timeout=10)
    else:
        assert await asyncio.to_thread(gate.entered.wait, 10)
    free = await asyncio.to_thread(can_write_now, url)
    gate.open.set()
    return free, await asyncio.wait_for(task, timeout=10)


class FakePasswords:
    def __init__(self, real: Any, gate: Gate) -> None:
        self.verify = gate.around(real.verify)
        self.hash = gate.around(real.hash)
        self.ensure_capacity = real.ensure_capacity


class TestNothingSlowInsideAWrite:
    async def test_the_password_is_verified_with_no_transaction_holding_the_lock(
        self, monkeypatch: pytest.MonkeyPatch, database: Database, fresh_database: str
    ) -> None:
        async with database.session(write=True) as session:
            person = await make_person(session, email="slow.login@trust.test")
        gate = Gate()
        monkeypatch.setattr(auth_service, "get_passwords", lambda: FakePasswords(_real_passwords(), gate))
        free, outcome = await while_gated(
            gate, auth_service.login(database, person.email, "a wrong password!", "192.0.2.7"), fresh_database
        )
        assert free, "the login held the write lock while checking the password"
        assert outcome.refusal is not None and outcome.refusal.status == 401

    async def test_a_successful_login_too(
        self, monkeypatch: pytest.MonkeyPatch, database: Database, fresh_database: str
    ) -> None:
        async with database.session(write=True) as session:
            person = await make_person(session, email="slow.right@trust.test")
        gate = Gate()
        monkeypatch.setattr(auth_service, "get_passwords", lambda: FakePasswords(_real_passwords(), gate))
        free, outcome = await while_gated(
            gate, auth_service.login(database, person.email, DEFAULT_PASSWORD, "192.0.2.7"), fresh_database
        )
        assert free and outcome.token is not None

    async def test_a_new_password_is_hashed_before_the_write_begins(
        self, app: FastAPI, monkeypatch: pytest.MonkeyPatch, database: Database, fresh_database: str
    ) -> None:
        async with database.session(write=True) as session:
            admin = await make_person(session, Role.GOVERNANCE_ADMIN)
            person = await make_person(session)
        gate = Gate()
        monkeypatch.setattr(people_service, "get_passwords", lambda: FakePasswords(_real_passwords(), gate))
        async with live_client(app, database) as http:
            free, response = await while_gated(
                gate,
                http.patch(
                    f"/api/v1/people/{person.id}",
                    json={"password": "a new and long password"},
                    headers=bearer(admin.id),
                ),
                fresh_database,
            )
        assert free, "the password change held the write lock while hashing"
        assert response.status_code == 200

    async def test_an_uploaded_file_is_parsed_before_the_write_begins(
        self, app: FastAPI, monkeypatch: pytest.MonkeyPatch, database: Database, fresh_database: str
    ) -> None:
        async with database.session(write=True) as session:
            admin = await make_person(session, Role.GOVERNANCE_ADMIN)
        gate = ThreadGate()
        monkeypatch.setattr(importer, "_read", gate.around(importer._read))
        async with live_client(app, database) as http:
            free, response = await while_gated(
                gate,
                http.post(
                    "/api/v1/people/import",
                    files={
                        "file": ("people.csv", b"email,full_name\nnew.one@trust.test,New One\n", "text/csv")
                    },
                    headers=bearer(admin.id),
                ),
                fresh_database,
            )
        assert free, "the import held the write lock while reading the file"
        assert response.status_code == 200 and response.json()["created"] == 1


def _real_passwords() -> Any:
    from app.auth.dependencies import get_passwords

    return get_passwords()
