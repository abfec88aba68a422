"""`probity backup` and `probity restore` refuse clearly (exit 1, one line naming the reason) whatever
they cannot do safely, and never leave a half-written backup or a half-restored database."""

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.core.db import Database, create_engine, sync_url
from app.core.migrations import head_revision, known_revisions, migrate
from app.people.models import School
from tests import dbutil
from tests.dbutil import ON_POSTGRES
from tests.factories import make_school

PROBITY = str(Path(sys.executable).parent / "probity")
OLDEST_REVISION = sorted(known_revisions())[0]


def probity(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROBITY, *args],
        env={**os.environ, "PROBITY_DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str], *words: str) -> bool:
    """Exit 1 and one line on standard error that says why."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1, result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    return True


def execute(url: str, statement: str) -> None:
    engine = create_sync_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def revision_of(url: str) -> str:
    engine = create_sync_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def empty_database() -> Iterator[str]:
    url = dbutil.create_database(migrated=False)
    yield url
    dbutil.drop_database(url)


async def add_school(url: str) -> None:
    """One row, written as the service writes it (with its audit event)."""
    database = Database(create_engine(url=url))
    try:
        async with database.session(write=True) as session:
            await make_school(session)
    finally:
        await database.dispose()


@pytest.fixture
async def backup_file(fresh_database: str, tmp_path: Path) -> Path:
    """A backup of a migrated database holding one school."""
    await add_school(fresh_database)
    target = tmp_path / "one-school.backup"
    result = probity("backup", str(target), database_url=fresh_database)
    assert result.returncode == 0, result.stderr
    return target


async def count_schools(url: str) -> int:
    database = Database(create_engine(url=url))
    try:
        async with database.session(write=False) as session:
            return int(await session.scalar(select(func.count()).select_from(School)) or 0)
    finally:
        await database.dispose()


def an_sqlite_backup(tmp_path: Path) -> Path:
    """A real backup of a real SQLite database, whichever database this run tests."""
    url = f"sqlite:///{tmp_path / 'other.db'}"
    migrate(url)
    target = tmp_path / "sqlite.backup"
    result = probity("backup", str(target), database_url=url)
    assert result.returncode == 0, result.stderr
    return target


class TestRestoreRefuses:
    def test_a_missing_file(self, empty_database: str, tmp_path: Path) -> None:
        result = probity("restore", str(tmp_path / "nothing.backup"), database_url=empty_database)
        assert refused(result, "nothing.backup", "no such file")

    def test_a_folder(self, empty_database: str, tmp_path: Path) -> None:
        assert refused(probity("restore", str(tmp_path), database_url=empty_database), "folder")

    def test_a_file_that_is_no_backup(self, empty_database: str, tmp_path: Path) -> None:
        random = tmp_path / "random.bin"
        random.write_bytes(os.urandom(4096))
        assert refused(probity("restore", str(random), database_url=empty_database), "not a Probity backup")

    def test_a_backup_of_the_other_kind_of_database(self, empty_database: str, tmp_path: Path) -> None:
        if ON_POSTGRES:
            other, words = an_sqlite_backup(tmp_path), ("an SQLite backup", "takes only a PostgreSQL")
        else:
            other = tmp_path / "pg.dump"
            other.write_bytes(b"PGDMP\x01\x0e\x00" + os.urandom(512))
            words = ("a PostgreSQL backup", "takes only an SQLite")
        assert refused(probity("restore", str(other), database_url=empty_database), *words)

    def test_a_backup_of_a_database_that_is_not_probitys(self, empty_database: str, tmp_path: Path) -> None:
        stranger = dbutil.create_database(migrated=False)
        try:
            execute(stranger, "CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER)")
            archive = tmp_path / "stranger.backup"
            if ON_POSTGRES:
                dump = make_url(stranger).set(drivername="postgresql").render_as_string(hide_password=False)
                subprocess.run(["pg_dump", "--format=custom", f"--file={archive}", dump], check=True)
            else:
                with sqlite3.connect(make_url(stranger).database or "") as source:
                    source.backup(sqlite3.connect(archive))
        finally:
            dbutil.drop_database(stranger)
        assert refused(
            probity("restore", str(archive), database_url=empty_database), "not a backup of a Probity"
        )

    def test_a_backup_from_a_newer_probity(
        self, fresh_database: str, empty_database: str, tmp_path: Path
    ) -> None:
        execute(fresh_database, "UPDATE alembic_version SET version_num = '2099-01-01-0000'")
        archive = tmp_path / "newer.backup"
        assert probity("backup", str(archive), database_url=fresh_database).returncode == 0
        result = probity("restore", str(archive), database_url=empty_database)
        assert refused(result, "newer Probity", "2099-01-01-0000")

    async def test_a_non_empty_database_without_force(self, backup_file: Path) -> None:
        target = dbutil.create_database()
        try:
            await add_school(target)
            await add_school(target)
            result = probity("restore", str(backup_file), database_url=target)
            assert refused(result, "not empty", "--force")
            assert await count_schools(target) == 2
            assert probity("restore", "--force", str(backup_file), database_url=target).returncode == 0
            assert await count_schools(target) == 1
        finally:
            dbutil.drop_database(target)


class TestRestore:
    def test_a_freshly_migrated_database_counts_as_empty(self, backup_file: Path) -> None:
        target = dbutil.create_database(migrated=True)
        try:
            result = probity("restore", str(backup_file), database_url=target)
            assert result.returncode == 0, result.stderr
        finally:
            dbutil.drop_database(target)

    def test_a_backup_from_an_older_revision_is_migrated_to_head(
        self, empty_database: str, tmp_path: Path
    ) -> None:
        old = dbutil.create_database(migrated=False)
        try:
            migrate(old, OLDEST_REVISION)
            archive = tmp_path / "old.backup"
            assert probity("backup", str(archive), database_url=old).returncode == 0
        finally:
            dbutil.drop_database(old)
        result = probity("restore", str(archive), database_url=empty_database)
        assert result.returncode == 0, result.stderr
        assert f"upgraded from revision {OLDEST_REVISION}" in result.stdout
        assert revision_of(empty_database) == head_revision()

    def test_a_restore_checked_with_another_audit_key_says_so(
        self, backup_file: Path, empty_database: str
    ) -> None:
        result = probity(
            "restore",
            str(backup_file),
            database_url=empty_database,
            PROBITY_AUDIT_KEY="another-audit-key-that-is-at-least-32-bytes",
        )
        assert result.returncode == 3
        assert "PROBITY_AUDIT_KEY" in result.stderr and "does not verify" in result.stderr


class TestBackupRefuses:
    def test_a_database_that_does_not_exist(self, tmp_path: Path) -> None:
        if ON_POSTGRES:
            missing = make_url(dbutil.BASE_URL).set(database="probity_no_such_database")
            url = missing.render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp_path / 'no-such.db'}"
        assert refused(probity("backup", str(tmp_path / "b.backup"), database_url=url))
        assert not (tmp_path / "no-such.db").exists()

    def test_a_database_that_is_not_probitys_and_keeps_the_previous_backup(
        self, empty_database: str, tmp_path: Path
    ) -> None:
        execute(empty_database, "CREATE TABLE ledger (id INTEGER PRIMARY KEY)")
        previous = tmp_path / "nightly.backup"
        previous.write_bytes(b"yesterday's backup")
        assert refused(
            probity("backup", str(previous), database_url=empty_database), "not a Probity database"
        )
        assert previous.read_bytes() == b"yesterday's backup"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.backup"]

    def test_a_folder_that_does_not_exist(self, fresh_database: str, tmp_path: Path) -> None:
        result = probity("backup", str(tmp_path / "missing" / "b.backup"), database_url=fresh_database)
        assert refused(result, "does not exist")


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump's version and place matter only on PostgreSQL")
class TestPostgresClientTools:
    def test_a_pg_dump_older_than_the_server(self, fresh_database: str, tmp_path: Path) -> None:
        tools = tmp_path / "bin"
        tools.mkdir()
        for name in ("pg_dump", "pg_restore"):
            fake = tools / name
            fake.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) 9.6.24'\n")
            fake.chmod(0o755)
        result = probity(
            "backup", str(tmp_path / "b.backup"), database_url=fresh_database, PROBITY_PG_BIN_DIR=str(tools)
        )
        assert refused(result, "version 9", "older than the server", "postgresql-client-")

    def test_no_pg_dump_where_the_setting_points(self, fresh_database: str, tmp_path: Path) -> None:
        result = probity(
            "backup",
            str(tmp_path / "b.backup"),
            database_url=fresh_database,
            PROBITY_PG_BIN_DIR=str(tmp_path),
        )
        assert refused(result, "PROBITY_PG_BIN_DIR", "pg_dump")


@pytest.mark.skipif(ON_POSTGRES, reason="the write-ahead log is SQLite's")
class TestSQLiteWriteAheadLog:
    def test_writes_still_in_the_wal_are_in_the_backup_and_the_backup_stands_alone(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        writer = sqlite3.connect(make_url(fresh_database).database or "", isolation_level=None)
        try:
            writer.execute("PRAGMA wal_autocheckpoint=0")  # nothing reaches the main file
            writer.execute("CREATE TABLE wal_probe (n INTEGER)")
            for n in range(50):
                writer.execute("INSERT INTO wal_probe (n) VALUES (?)", (n,))
            archive = tmp_path / "wal.backup"
            result = probity("backup", str(archive), database_url=fresh_database)
        finally:
            writer.close()
        assert result.returncode == 0, result.stderr
        assert not Path(f"{archive}-wal").exists()
        with sqlite3.connect(f"{archive.as_uri()}?immutable=1", uri=True) as copy:
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            assert copy.execute("SELECT count(*) FROM wal_probe").fetchone() == (50,)
