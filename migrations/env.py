"""Alembic environment: synchronous drivers (sqlite3, psycopg) for the same database the service uses."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from app.core.db import configure_sqlite, ensure_sqlite_directory, sync_url
from app.core.settings import get_settings
from app.models import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)

target_metadata = metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Revisions never import app: render the UTC timestamp type as a plain timezone-aware DateTime."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(
        url=str(sync_url(_url())), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = sync_url(_url())
    ensure_sqlite_directory(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        # Transactional DDL, and foreign keys off so batch table rebuilds keep their rows.
        configure_sqlite(engine, get_settings().sqlite_busy_timeout_ms, foreign_keys=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=_render_item,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
