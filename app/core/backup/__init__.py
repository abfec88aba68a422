"""Backups of the whole database, and restoring one without ever leaving a half-restored database.

SQLite: the online backup API, one step, so the copy is one read transaction (a snapshot) while
writers go on (WAL). PostgreSQL: `pg_dump --format=custom`, one REPEATABLE READ snapshot.
A restore loads the backup into a staging copy, migrates that to head and checks it, and only then
puts it in place in one step (see `sqlite.py` and `postgresql.py`). The target must be empty (no row
in any table but Alembic's version and the audit chain's head, which migrations write) unless forced.
"""

import time
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, literal, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.core.backup import postgresql, sqlite
from app.core.backup.common import BackupRefused, Kind, describe, first_line
from app.core.db import sync_url
from app.core.migrations import head_revision, known_revisions, migrate
from app.core.settings import get_settings

__all__ = ["BackupRefused", "backup", "restore"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Written by the migrations themselves: a freshly migrated database holds these rows and is empty.
_MIGRATION_TABLES = frozenset({"alembic_version", "audit_chain_head", "trust_settings", "name_key_state"})
_PROBITY_TABLES = frozenset({"alembic_version", "audit_events", "audit_chain_head"})
_NAMES: dict[Kind, str] = {"sqlite": "an SQLite", "postgresql": "a PostgreSQL"}


def backup(target: Path, database_url: str | None = None) -> str:
    """Copy the database into `target` as it stood at one instant; returns a line for the operator."""
    url = database_url or get_settings().resolved_database_url
    started = time.monotonic()
    if _kind_of_url(url) == "sqlite":
        sqlite.backup(sqlite.database_path(url), target)
    else:
        postgresql.backup(url, target)
    size = target.stat().st_size
    return (
        f"backed up {describe(url)} to {target} ({size / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s"
    )


def restore(source: Path, database_url: str | None = None, *, force: bool = False) -> str:
    """Replace the database with a backup, migrated to head; refuses a non-empty one unless forced."""
    url = database_url or get_settings().resolved_database_url
    started = time.monotonic()
    kind = _kind_of_url(url)
    found = backup_kind(source)
    if found != kind:
        raise BackupRefused(
            f"{source} is {_NAMES[found]} backup, but {describe(url)} (PROBITY_DATABASE_URL) "
            f"takes only {_NAMES[kind]} backup"
        )
    engine = sqlite if kind == "sqlite" else postgresql
    engine.check_archive(source)
    if not force and holds_data(url):
        raise BackupRefused(f"{describe(url)} is not empty: pass --force to replace everything in it")
    with engine.staging(url) as staging_url:
        engine.load(source, staging_url)
        revision = _restorable_revision(source, staging_url)
        _migrate_staged(source, staging_url)
        engine.swap(staging_url, url)
    upgraded = "" if revision == head_revision() else f", upgraded from revision {revision}"
    return f"restored {source} into {describe(url)}{upgraded} in {time.monotonic() - started:.1f} s"


def backup_kind(source: Path) -> Kind:
    """What a file is a backup of, by its first bytes; anything else is refused."""
    try:
        with source.open("rb") as opened:
            head = opened.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupRefused(f"{source}: no such file") from None
    except IsADirectoryError:
        raise BackupRefused(f"{source} is a folder, not a backup file") from None
    except OSError as exc:
        raise BackupRefused(f"cannot read {source}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupRefused(
        f"{source} is not a Probity backup (neither an SQLite database nor a pg_dump archive)"
    )


def holds_data(url: str) -> bool:
    """Whether any table holds a row, other than those a freshly migrated database already has."""
    if not (sqlite.exists(url) if _kind_of_url(url) == "sqlite" else postgresql.exists(url)):
        return False
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names()) - _MIGRATION_TABLES
            probe = (select(literal(1)).select_from(table(name)).limit(1) for name in sorted(names))
            return any(connection.execute(statement).first() is not None for statement in probe)
    except DBAPIError as exc:
        raise BackupRefused(f"cannot read {describe(url)}: {first_line(str(exc.orig))}") from None
    finally:
        engine.dispose()


def _migrate_staged(source: Path, staging_url: str) -> None:
    try:
        migrate(staging_url)
    except (SQLAlchemyError, CommandError) as exc:
        raise BackupRefused(
            f"{source} could not be migrated to this version: {first_line(str(exc))}"
        ) from None


def _restorable_revision(source: Path, staging_url: str) -> str:
    """The backup's schema revision, when this installation knows how to bring it to head."""
    engine = create_engine(sync_url(staging_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not set(inspect(connection).get_table_names()) >= _PROBITY_TABLES:
                raise BackupRefused(
                    f"{source} is not a backup of a Probity database (its tables are missing)"
                )
            revisions = list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    if len(revisions) != 1:
        raise BackupRefused(f"{source} has no single schema revision ({len(revisions)} found)")
    if revisions[0] not in known_revisions():
        raise BackupRefused(
            f"{source} was made by a newer Probity (schema revision {revisions[0]}): upgrade Probity first"
        )
    return str(revisions[0])


def _kind_of_url(url: str) -> Kind:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupRefused(f"PROBITY_DATABASE_URL: unsupported database {backend!r}")
    return "sqlite" if backend == "sqlite" else "postgresql"
