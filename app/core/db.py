"""The database: one declarative Base, the async engine, and the per-request session."""

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.core.settings import Settings, get_settings

# Stable constraint names on both databases, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option that makes an SQLite transaction take the write lock at BEGIN. A deferred
# transaction that reads and then writes fails at once with SQLITE_BUSY when another connection
# wrote in between; BEGIN IMMEDIATE waits for the lock instead (up to the busy timeout).
SQLITE_IMMEDIATE = "probity_sqlite_immediate"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def async_url(url: str) -> URL:
    """Accept plain sqlite:/// and postgresql:// URLs; the service picks the async driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"PROBITY_DATABASE_URL: unsupported database {parsed.get_backend_name()!r}")


def sync_url(url: str) -> URL:
    """The same database through a synchronous driver, for Alembic."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"PROBITY_DATABASE_URL: unsupported database {parsed.get_backend_name()!r}")


def ensure_sqlite_directory(url: URL) -> None:
    """Create the folder of an SQLite file, so the default ./data/ works on a fresh clone."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        from pathlib import Path

        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def configure_sqlite(sync_engine: Any, busy_timeout_ms: int, *, foreign_keys: bool = True) -> None:
    """WAL, foreign keys on, a busy timeout, and BEGIN issued by us.

    Python's sqlite3 driver begins transactions on its own and commits DDL implicitly, which
    breaks transactional DDL and savepoints: SQLAlchemy's documented recipe hands BEGIN to us.
    """

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's recipe for pysqlite/aiosqlite
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(settings: Settings | None = None, url: str | None = None) -> AsyncEngine:
    """The async engine for the configured database."""
    settings = settings or get_settings()
    target = async_url(url or settings.resolved_database_url)
    ensure_sqlite_directory(target)
    if target.get_backend_name() == "sqlite":
        engine = create_async_engine(
            target,
            pool_size=settings.db_pool_size,
            max_overflow=0,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        configure_sqlite(engine.sync_engine, settings.sqlite_busy_timeout_ms)
        return engine
    # Pre-ping: a connection that died with a restarted server is replaced on checkout instead of
    # failing a request, so the service recovers from an outage without a restart. The lock
    # timeout is SQLite's busy timeout's twin: a write that cannot get its lock in time is a 503.
    return create_async_engine(
        target,
        pool_size=settings.db_pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "options": f"-c lock_timeout={int(settings.sqlite_busy_timeout_ms)}",
        },
    )


class Transactions(Protocol):
    """Opens short transactions of its own, for work done in phases: read, then slow work such as
    argon2 or parsing a file with no transaction open, then a short write. On SQLite a write
    transaction holds the whole database's write lock, so nothing slow may happen inside one."""

    def session(self, *, write: bool) -> AbstractAsyncContextManager[AsyncSession]: ...


class Database:
    """The engine and the two ways of opening a session: for reading, and for writing."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        write_engine = engine.execution_options(**{SQLITE_IMMEDIATE: True}) if self.is_sqlite else engine
        self.read_sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.write_sessions = async_sessionmaker(write_engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block succeeds, rolled back when it raises."""
        factory = self.write_sessions if write else self.read_sessions
        async with factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


_database: Database | None = None


def get_database() -> Database:
    """The process's database, created on first use."""
    global _database
    if _database is None:
        _database = Database(create_engine())
    return _database


def set_database(database: Database | None) -> None:
    global _database
    _database = database


@asynccontextmanager
async def session_scope(*, write: bool = True) -> AsyncIterator[AsyncSession]:
    """A transaction for commands and jobs outside a request."""
    async with get_database().session(write=write) as session:
        yield session


# Well under the bound parameters SQLite and PostgreSQL take in one statement (an IN list of ids).
CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of at most CHUNK, for statements with one bound parameter per item."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
