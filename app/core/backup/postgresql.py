"""PostgreSQL: `pg_dump --format=custom` and `pg_restore`, with a staging database swapped in.

pg_dump reads everything in one REPEATABLE READ transaction: a snapshot of what was committed when
it began, taken without blocking writers (it only holds off schema changes). A restore goes into a
new staging database, which is migrated and then renamed into place in one transaction with the old
database renamed aside: the old database is untouched until a whole, migrated copy is ready.
That needs a role that may create databases and owns the target (the service's own role, usually).
"""

import logging
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app.core.backup.common import BackupRefused, describe, first_line, written_whole
from app.core.settings import get_settings

logger = logging.getLogger("probity")

_MAINTENANCE_DATABASES = ("postgres", "template1")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
# pg_restore --list names each table it holds as "TABLE <schema> <name> <owner>".
_PROBITY_TABLE = re.compile(r"\bTABLE \S+ alembic_version\b")


def exists(url: str) -> bool:
    with _admin(url) as admin:
        return _database_exists(admin, _name(url))


def backup(url: str, target: Path) -> None:
    """The whole database into `target` in pg_dump's custom format, read back before it is kept."""
    server = _server_major_of_probity_database(url)
    pg_dump, pg_restore = _tool("pg_dump", server), _tool("pg_restore", server)
    with written_whole(target) as partial:
        dump = [pg_dump, "--format=custom", "--no-password", f"--file={partial}"]
        _run([*dump, f"--dbname={_conninfo(url)}"], url)
        _listing(pg_restore, partial)


def check_archive(source: Path) -> None:
    """An archive that this pg_restore can read and that holds a Probity database."""
    if not _PROBITY_TABLE.search(_listing(_tool("pg_restore", None), source)):
        raise BackupRefused(f"{source} is not a backup of a Probity database (it has no alembic_version)")


@contextmanager
def staging(url: str) -> Iterator[str]:
    """A new, empty database on the same server, with the target's encoding and collation."""
    target = _name(url)
    name = f"{target[:40]}_restore_{uuid.uuid4().hex[:8]}"
    with _admin(url) as admin:
        found = admin.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = %s",
            (target,),
        ).fetchone()
        encoding, collate, ctype = found or ("UTF8", None, None)
        options = sql.SQL(" ").join(
            sql.SQL("{} {}").format(sql.SQL(option), sql.Literal(value))
            for option, value in (("ENCODING", encoding), ("LC_COLLATE", collate), ("LC_CTYPE", ctype))
            if value is not None
        )
        try:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 {}").format(sql.Identifier(name), options)
            )
        except psycopg.Error as exc:
            raise BackupRefused(
                f"cannot create a staging database (a restore needs CREATEDB): {first_line(str(exc))}"
            ) from None
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(url) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def load(source: Path, staging_url: str) -> None:
    # Owned by the role restoring, which is the role the service uses, whoever owned them before.
    command = [_tool("pg_restore", None), "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
    _run([*command, "--no-password", f"--dbname={_conninfo(staging_url)}", str(source)], staging_url)


def swap(staging_url: str, url: str) -> None:
    """Rename the staged database into the target's name, and the target aside, in one transaction."""
    staged, target = _name(staging_url), _name(url)
    aside = f"{target[:40]}_replaced_{uuid.uuid4().hex[:8]}"
    with _admin(url) as admin:
        if not _database_exists(admin, target):
            _rename(admin, staged, target)
            return
        try:
            _close_database(admin, target)
            with admin.transaction():
                _rename(admin, target, aside)
                _rename(admin, staged, target)
        except psycopg.Error as exc:
            _reopen_database(admin, target)
            raise BackupRefused(
                f"could not put the restored database in place ({describe(url)} is unchanged): "
                f"{first_line(str(exc))}"
            ) from None
        _drop_aside(admin, aside)


def _rename(admin: psycopg.Connection, old: str, new: str) -> None:
    admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def _close_database(admin: psycopg.Connection, name: str) -> None:
    """No new sessions, and the open ones ended: a database cannot be renamed while in use. The
    service's pool notices on its next checkout (pre-ping) and reconnects to the restored one."""
    admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )


def _reopen_database(admin: psycopg.Connection, name: str) -> None:
    try:
        admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(sql.Identifier(name)))
    except psycopg.Error:
        logger.exception("could not allow connections to %s again", name)


def _drop_aside(admin: psycopg.Connection, aside: str) -> None:
    try:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(aside)))
    except psycopg.Error as exc:
        logger.warning("the replaced database %s was kept (drop it by hand): %s", aside, first_line(str(exc)))


def _server_major_of_probity_database(url: str) -> int:
    try:
        with psycopg.connect(_conninfo(url), password=_password(url), autocommit=True) as connection:
            row = connection.execute(
                "SELECT current_setting('server_version_num')::int / 10000, "
                "to_regclass('alembic_version') IS NOT NULL"
            ).fetchone()
    except psycopg.Error as exc:
        raise BackupRefused(f"cannot connect to {describe(url)}: {first_line(str(exc))}") from None
    assert row is not None
    if not row[1]:
        raise BackupRefused(f"{describe(url)} is not a Probity database (it has no alembic_version table)")
    return int(row[0])


def _tool(name: str, server_major: int | None) -> str:
    """The client tool from PROBITY_PG_BIN_DIR or the PATH, at least the server's major version."""
    folder = get_settings().pg_bin_dir
    wanted = f"postgresql-client-{server_major}" if server_major else "the PostgreSQL client tools"
    if folder is not None:
        found: str | None = str(folder / name) if os.access(folder / name, os.X_OK) else None
        if found is None:
            raise BackupRefused(f"PROBITY_PG_BIN_DIR: there is no {name} in {folder}")
    else:
        found = shutil.which(name)
        if found is None:
            raise BackupRefused(
                f"{name} is not on the PATH: install {wanted} or newer, or set PROBITY_PG_BIN_DIR"
            )
    if server_major is not None:
        version = _output([found, "--version"]).stdout
        major = _VERSION.search(version)
        if major is None or int(major.group(1)) < server_major:
            seen = f"version {major.group(1)}" if major else "of an unknown version"
            raise BackupRefused(
                f"{found} is {seen}, older than the server (PostgreSQL {server_major}): install {wanted} "
                "or newer, or set PROBITY_PG_BIN_DIR to its bin folder"
            )
    return found


def _listing(pg_restore: str, archive: Path) -> str:
    listed = _output([pg_restore, "--list", str(archive)])
    if listed.returncode != 0:
        raise BackupRefused(f"{archive} cannot be read as a pg_dump archive: {first_line(listed.stderr)}")
    return listed.stdout


def _run(command: list[str], url: str) -> None:
    """A client tool, with the password in its environment (never in its arguments, which `ps` shows)."""
    env = dict(os.environ)
    if password := _password(url):
        env["PGPASSWORD"] = password
    finished = _output(command, env)
    if finished.returncode != 0:
        raise BackupRefused(f"{Path(command[0]).name} failed: {first_line(finished.stderr)}")


def _output(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The program is pg_dump or pg_restore, found above; the arguments are ours and the URL's.
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    except OSError as exc:
        raise BackupRefused(f"cannot run {command[0]}: {exc.strerror}") from None


@contextmanager
def _admin(url: str) -> Iterator[psycopg.Connection]:
    """A connection to the server's maintenance database, for creating, renaming and dropping."""
    problem = "no maintenance database"
    for database in _MAINTENANCE_DATABASES:
        try:
            connection = psycopg.connect(_conninfo(url, database), password=_password(url), autocommit=True)
        except psycopg.Error as exc:
            problem = first_line(str(exc))
            continue
        with connection:
            yield connection
        return
    raise BackupRefused(f"cannot connect to the server of {describe(url)}: {problem}")


def _database_exists(admin: psycopg.Connection, name: str) -> bool:
    return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _name(url: str) -> str:
    database = make_url(url).database
    if not database:
        raise BackupRefused("PROBITY_DATABASE_URL names no database")
    return database


def _password(url: str) -> str | None:
    return make_url(url).password


def _conninfo(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql", password=None)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)
