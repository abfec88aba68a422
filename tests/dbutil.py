"""Test databases: a fresh, migrated database per need, on SQLite or on the PostgreSQL under test."""

import os
import tempfile
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app.cli import migrate

_TMP = Path(tempfile.mkdtemp(prefix="probity-tests-"))
BASE_URL = os.environ.get("PROBITY_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'probity-test.db'}"
ON_POSTGRES = make_url(BASE_URL).get_backend_name() == "postgresql"


def _admin_conninfo() -> str:
    url = make_url(BASE_URL).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def create_database(*, migrated: bool = True) -> str:
    """A new empty database (an SQLite file, or a PostgreSQL database on the server under test)."""
    name = f"probity_t_{uuid.uuid4().hex[:12]}"
    if ON_POSTGRES:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        url = make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{_TMP / (name + '.db')}"
    if migrated:
        migrate(url)
    return url


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        with psycopg.connect(_admin_conninfo(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
