"""What both kinds of backup share: the refusal, naming a database, writing a file all at once."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url

Kind = Literal["sqlite", "postgresql"]


class BackupRefused(Exception):
    """A backup or restore that cannot go ahead; the message is one line that names the reason."""


def describe(url: str) -> str:
    """The database as an operator would name it, never with its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return f"the PostgreSQL database {parsed.database} on {where}"


def first_line(message: str) -> str:
    """One line of a tool's or a driver's message, which may run to several."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else "no message"


@contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """A scratch path beside `target`, renamed onto it only once the block has written it all: a
    backup that fails half-way never replaces the previous one, nor leaves half a file behind."""
    if target.is_dir():
        raise BackupRefused(f"{target} is a folder: name the backup file to write")
    if not target.parent.is_dir():
        raise BackupRefused(f"{target.parent} does not exist: create the folder first")
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        _sync(partial)
        os.replace(partial, target)
        _sync(target.parent)
    finally:
        partial.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
