"""Fixtures: one migrated database per run, each test inside a transaction that is rolled back."""

import os

# Settings are read once per process: fix them before anything imports the app.
os.environ.update(
    {
        "PROBITY_ENV": "test",
        "PROBITY_SECRET_KEY": "test-secret-key-that-is-at-least-32-bytes-long",
        "PROBITY_AUDIT_KEY": "test-audit-key-that-is-at-least-32-bytes-long!",
        "PROBITY_ARGON2_TIME_COST": "1",
        "PROBITY_ARGON2_MEMORY_KIB": "8",
        "PROBITY_ARGON2_PARALLELISM": "1",
    }
)

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.permissions import Role
from app.core import clock
from app.core.db import Database, create_engine, set_database
from app.core.deps import get_session, get_transactions
from app.main import create_app
from app.register import cache as register_cache
from tests import dbutil
from tests.factories import Caller, make_caller

MAIN_URL = dbutil.create_database()
os.environ["PROBITY_DATABASE_URL"] = MAIN_URL


def pytest_report_header() -> str:
    return f"probity test database: {'postgresql' if dbutil.ON_POSTGRES else 'sqlite'}"


def pytest_sessionfinish() -> None:
    dbutil.drop_database(MAIN_URL)


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url=MAIN_URL)
    set_database(Database(engine))
    yield engine
    await engine.dispose()
    set_database(None)


@pytest.fixture(scope="session")
def app() -> FastAPI:
    return create_app()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        db_session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, autoflush=False
        )
        try:
            yield db_session
        finally:
            await db_session.close()
            await transaction.rollback()


@pytest.fixture
async def client(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, every request inside the test's transaction."""

    async def test_session() -> AsyncIterator[AsyncSession]:
        # As in production, a request that fails leaves nothing behind: its work is a savepoint
        # rolled back on error (a route that commits before refusing, like login, keeps its work).
        request_work = await session.begin_nested()
        try:
            yield session
        except BaseException:
            if request_work.is_active:
                await request_work.rollback()
            raise
        if request_work.is_active:
            await request_work.commit()

    app.dependency_overrides[get_session] = test_session
    app.dependency_overrides[get_transactions] = lambda: TestTransactions(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    app.dependency_overrides.pop(get_session, None)
    app.dependency_overrides.pop(get_transactions, None)


class TestTransactions:
    """The phases of a login (and the actor's read) as savepoints of the test's transaction."""

    __test__ = False  # not a test class

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        work = await self._session.begin_nested()
        try:
            yield self._session
        except BaseException:
            if work.is_active:
                await work.rollback()
            raise
        if work.is_active:
            await work.commit()


@pytest.fixture
def caller(session: AsyncSession) -> Callable[..., Awaitable[Caller]]:
    """Make a person (with roles) and their bearer headers: `await caller(Role.AUDITOR)`."""

    async def make(*roles: Role, **kwargs: object) -> Caller:
        return await make_caller(session, *roles, **kwargs)

    return make


@pytest.fixture(autouse=True)
def own_register_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's published register starts uncached, as a new process's does: a service reads one
    database, while the tests read a new one (or a rolled-back one) each time."""
    monkeypatch.setattr(register_cache, "_cache", register_cache._Cache())
    monkeypatch.setattr(register_cache, "_trail", None)


@pytest.fixture
def fixed_clock() -> Iterator[Callable[..., None]]:
    """Pin 'now' for a test; released afterwards."""
    yield clock.fix
    clock.fix(None)


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A migrated database of the test's own whose transactions really commit."""
    url = dbutil.create_database()
    yield url
    dbutil.drop_database(url)


@pytest.fixture
async def fresh_db(fresh_database: str) -> AsyncIterator[Database]:
    """That database's engine, disposed afterwards (for races: each request commits on its own)."""
    database = Database(create_engine(url=fresh_database))
    yield database
    await database.dispose()
