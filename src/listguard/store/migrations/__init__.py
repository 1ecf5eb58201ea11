"""Alembic migrations for the database listguard keeps (SQLite or PostgreSQL).

The store (and the other parts) create their tables on first use with ``create_all``, which is
all an embedded SQLite user needs. A deployment that shares a PostgreSQL database between
several servers wants its schema versioned instead: these migrations describe the same
tables, and :func:`upgrade` brings any database to the latest revision.

A database created by ``create_all`` before migrations were used has the tables but no
``alembic_version`` row; :func:`upgrade` recognises the tables each revision creates and
stamps those revisions instead of failing on "table already exists".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, inspect

HERE = Path(__file__).resolve().parent

#: Revision id -> a table that revision creates (how a pre-migration database is recognised).
BASELINES = (("0001_store", "versions"), ("0002_api_keys", "api_keys"))


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
            cfg = config(connection=conn)
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" not in tables:
                stamped = None
                for rev, table in BASELINES:
                    if table in tables:
                        stamped = rev
                    else:
                        break
                if stamped:
                    command.stamp(cfg, stamped)
            command.upgrade(cfg, revision)
        return current(engine)
    finally:
        if owned:
            engine.dispose()


def target_metadata() -> list[Any]:
    """The table definitions the migrations track (for autogenerate and the drift test)."""
    from listguard.api.keys import metadata as keys_metadata
    from listguard.store.schema import metadata as store_metadata

    return [store_metadata, keys_metadata]
