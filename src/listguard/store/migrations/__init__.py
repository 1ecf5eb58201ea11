"""Alembic migrations for the database listguard keeps (SQLite or PostgreSQL).

The store (and the other parts) create their tables on first use with ``create_all``, which is
all an embedded SQLite user needs. A deployment that shares a PostgreSQL database between
several servers wants its schema versioned instead: these migrations describe the same
tables, and :func:`upgrade` brings any database to the latest revision.

A database created by ``create_all`` before migrations were used (the embedded default: each
part creates its tables on first use) has some or all tables but no ``alembic_version`` row;
each revision adopts the tables that already exist instead of failing on "table already
exists", so :func:`upgrade` works on any of them. ``tests/test_api_migrations.py`` checks
that the migrated schema equals the code's table definitions, so a schema change without a
migration fails the tests (write one with ``python -m listguard.store.migrations revision``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

HERE = Path(__file__).resolve().parent


def config(connection: Any = None, url: str | None = None) -> Any:
    """An Alembic ``Config`` for these migrations, without an ``alembic.ini`` file."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _engine(target: Engine | str) -> tuple[Engine, bool]:
    if isinstance(target, str):
        return create_engine(target), True
    return target, False


def current(target: Engine | str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine, owned = _engine(target)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head() -> str:
    from alembic.script import ScriptDirectory

    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def upgrade(target: Engine | str, revision: str = "head") -> str | None:
    """Migrate the database to ``revision`` (default: the latest) and return where it is."""
    from alembic import command

    engine, owned = _engine(target)
    try:
        with engine.begin() as conn:
            command.upgrade(config(connection=conn), revision)
        return current(engine)
    finally:
        if owned:
            engine.dispose()


def target_metadata() -> list[Any]:
    """The table definitions the migrations track (for autogenerate and the drift test)."""
    from listguard.audit import metadata as audit_metadata
    from listguard.store.keys_schema import metadata as keys_metadata
    from listguard.store.monitor_schema import metadata as monitor_metadata
    from listguard.store.schema import metadata as store_metadata

    return [store_metadata, keys_metadata, audit_metadata, monitor_metadata]


def revision(message: str, url: str) -> None:
    """Autogenerate a new revision from the difference between ``url``'s schema (migrated to
    head first) and the code's table definitions."""
    from alembic import command

    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.revision(config(connection=conn), message=message, autogenerate=True)
    finally:
        engine.dispose()
