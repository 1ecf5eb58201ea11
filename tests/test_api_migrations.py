"""Alembic migrations describe exactly the tables the code creates, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import DBAPIError

from listguard.api.keys import create_key, ensure_schema, list_keys
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import Store
from listguard.store import migrations
from tests.api_helpers import POSTGRES_URL, pg_database


def _drift(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), migrations.target_metadata()))
    finally:
        engine.dispose()


def check_empty_database(url: str) -> None:
    assert migrations.current(url) is None
    assert migrations.upgrade(url) == migrations.head()
    # the migrated schema is exactly what listguard.store.schema and api.keys define
    assert _drift(url) == []
    # and the store works on it
    store = Store(url)
    e = Entity(id="t:1", schema="Person", dataset="t")
    e.add("name", "JONG, Song Hwa")
    store.load(ParseResult(dataset="t", entities=[e]), "test")
    assert [x.id for x in store.current_entities()] == ["t:1"]
    create_key(store.engine, "A", "screener")
    # the audit trail's append-only triggers came with the migration
    from sqlalchemy import text

    from listguard import audit

    audit.record(store.engine, "test", "me", {}, [])
    with pytest.raises(DBAPIError):  # the append-only trigger refuses
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
    store.close()
    # upgrading again is a no-op, downgrading removes every table it made
    assert migrations.upgrade(url) == migrations.head()
    engine = create_engine(url)
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "base")
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()


def check_existing_database(url: str) -> None:
    """A database made by create_all (the embedded default) is adopted, data intact."""
    store = Store(url)
    e = Entity(id="t:1", schema="Person", dataset="t")
    e.add("name", "KIM, Il")
    store.load(ParseResult(dataset="t", entities=[e]), "test")
    ensure_schema(store.engine)
    create_key(store.engine, "Ops", "admin")
    from listguard.monitor import schema as monitor_schema

    monitor_schema.ensure_schema(store.engine)
    store.close()
    assert migrations.current(url) is None
    assert migrations.upgrade(url) == migrations.head()
    assert _drift(url) == []
    store = Store(url)
    assert [x.caption for x in store.current_entities()] == ["KIM, Il"]
    assert [k.owner for k in list_keys(store.engine)] == ["Ops"]
    store.close()


def check_store_only_database(url: str) -> None:
    """A store used only by the CLI (no server, no monitoring yet): the missing tables are
    created, the existing ones adopted."""
    Store(url).close()
    assert migrations.upgrade(url) == migrations.head()
    assert {"api_keys", "mon_alerts", "audit_log"} <= set(inspect(create_engine(url)).get_table_names())
    assert _drift(url) == []


def test_sqlite_empty(tmp_path: Path) -> None:
    check_empty_database(f"sqlite:///{tmp_path / 'a.db'}")


def test_sqlite_existing(tmp_path: Path) -> None:
    check_existing_database(f"sqlite:///{tmp_path / 'a.db'}")


def test_sqlite_store_only(tmp_path: Path) -> None:
    check_store_only_database(f"sqlite:///{tmp_path / 'a.db'}")


needs_pg = pytest.mark.skipif(not POSTGRES_URL, reason="LISTGUARD_TEST_POSTGRES_URL not set")


def _pg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@needs_pg
def test_postgres_empty() -> None:
    with pg_database() as url:
        check_empty_database(_pg(url))


@needs_pg
def test_postgres_existing() -> None:
    with pg_database() as url:
        check_existing_database(_pg(url))


@needs_pg
def test_postgres_store_only() -> None:
    with pg_database() as url:
        check_store_only_database(_pg(url))
