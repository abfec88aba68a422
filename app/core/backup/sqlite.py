"""SQLite: the online backup API, always in one step.

One `sqlite3_backup_step(-1)` reads the source inside one read transaction: in WAL mode that is a
snapshot, writers keep committing meanwhile, and no write lock is ever taken. (A backup in several
steps would restart each time another connection wrote, and might never finish under load.)
Restoring copies a checked, migrated staging file into the target with the same API in one step:
one write transaction on the target, so anyone reading it sees the old database or the restored
one, never a mixture, and a crash half-way leaves the old one.
"""

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from app.core.backup.common import BackupRefused, first_line, written_whole
from app.core.settings import get_settings


def database_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupRefused("an in-memory SQLite database cannot be backed up or restored")
    return Path(database).expanduser().resolve()


def exists(url: str) -> bool:
    return database_path(url).is_file()


def backup(database: Path, target: Path) -> None:
    """The whole database into `target`, as one self-contained file (no -wal beside it)."""
    if not database.is_file():
        raise BackupRefused(f"there is no SQLite database at {database}")
    with written_whole(target) as partial, closing(_open(database, "rw")) as source:
        if not _has_table(source, "alembic_version"):
            raise BackupRefused(f"{database} is not a Probity database (it has no alembic_version table)")
        with closing(sqlite3.connect(partial)) as copy:
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.Error as exc:
                raise BackupRefused(f"the backup of {database} failed: {first_line(str(exc))}") from None
            _ensure_intact(copy, partial)


def check_archive(source: Path) -> None:
    """A backup that SQLite can read from end to end."""
    with closing(_open(source, "ro")) as opened:
        _ensure_intact(opened, source)


@contextmanager
def staging(url: str) -> Iterator[str]:
    """A scratch file beside the target (the same disk), removed whatever happens."""
    target = database_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.restore-{uuid.uuid4().hex[:8]}")
    try:
        yield f"sqlite:///{scratch}"
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)


def load(source: Path, staging_url: str) -> None:
    with closing(_open(source, "ro")) as backup, closing(sqlite3.connect(database_path(staging_url))) as into:
        backup.backup(into)


def swap(staging_url: str, url: str) -> None:
    """The staged database replaces the target's every page in one write transaction."""
    staged_path, target = database_path(staging_url), database_path(url)
    timeout = get_settings().sqlite_busy_timeout_ms / 1000
    with closing(sqlite3.connect(staged_path)) as staged, closing(sqlite3.connect(target, timeout)) as into:
        _ensure_intact(staged, staged_path)
        try:
            staged.backup(into)
            into.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise BackupRefused(f"could not write {target}: {first_line(str(exc))}") from None


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """An existing file only (`mode=rw` and `ro` never create one)."""
    timeout = get_settings().sqlite_busy_timeout_ms / 1000
    try:
        return sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=timeout)
    except sqlite3.Error as exc:
        raise BackupRefused(f"cannot open {path}: {first_line(str(exc))}") from None


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    try:
        found = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return found.fetchone() is not None
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"cannot read the database: {first_line(str(exc))}") from None


def _ensure_intact(connection: sqlite3.Connection, path: Path) -> None:
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{path} is damaged or not an SQLite database: {first_line(str(exc))}") from None
    if verdict != ["ok"]:
        raise BackupRefused(f"{path} is damaged: {verdict[0] if verdict else 'no verdict'}")
