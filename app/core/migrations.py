"""Alembic from code: where the revisions are, upgrading a database, and which revisions exist."""

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

import app as app_package
from app.core.settings import get_settings

_PACKAGE = Path(app_package.__file__).resolve().parent


def migrations_path() -> Path:
    """The Alembic scripts: beside the package in a checkout, inside it in a wheel."""
    for candidate in (_PACKAGE.parent / "migrations", _PACKAGE / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("the migrations folder is missing from this installation")


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    config.set_main_option("sqlalchemy.url", database_url or get_settings().resolved_database_url)
    config.attributes["configure_logger"] = False
    return config


def migrate(database_url: str | None = None, revision: str = "head") -> None:
    """Apply pending migrations (Alembic upgrade)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def known_revisions() -> set[str]:
    """Every revision this installation can upgrade from."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {script.revision for script in scripts.walk_revisions()}


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise FileNotFoundError("the migrations folder has no revisions")
    return head
