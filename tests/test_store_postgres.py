"""The store, keys, the service and monitoring on PostgreSQL (``LISTGUARD_DATABASE_URL``).

Runs when ``LISTGUARD_TEST_POSTGRES_URL`` points at a server where the tests may create
databases (``.ci/postgres.sh`` starts one and prints the URL). Each test gets a new empty
database through the ``home`` fixture, which this module overrides: every test imported from
the SQLite suites below therefore runs again, unchanged, against PostgreSQL.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.api.keys import create_key, verify_token
from listguard.api.service import ScreeningService
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import open_store
from tests.api_helpers import POSTGRES_URL, pg_database

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="LISTGUARD_TEST_POSTGRES_URL not set")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty LISTGUARD_HOME whose database is a fresh PostgreSQL database."""
    h = tmp_path / "home"
    monkeypatch.setenv("LISTGUARD_HOME", str(h))
    with pg_database() as url:
        monkeypatch.setenv("LISTGUARD_DATABASE_URL", url)
        yield h


# -- the SQLite suites, again on PostgreSQL ---------------------------------------------------
#: Modules whose tests take the ``home`` fixture and go through ``open_store()`` (and so
#: through LISTGUARD_DATABASE_URL): the store, the audit trail, webhooks and monitoring.
SUITES = ["tests.test_store", "tests.test_audit", "tests.test_webhooks"] + sorted(
    f"tests.{p.stem}" for p in Path(__file__).parent.glob("test_monitor*.py")
)

#: A test that opens the SQLite file itself (to tamper with it as an insider would) is about
#: SQLite; its PostgreSQL counterpart is the database's own triggers, tested below.
SQLITE_ONLY = ("sqlite3", "_db(", "listguard.db")


def _fixture_function(obj: object) -> object | None:
    getter = getattr(obj, "_get_wrapped_function", None)
    return getter() if callable(getter) else None


def _import_tests(module_name: str) -> None:
    """Bring a test module's tests into this module, where ``home`` means PostgreSQL.

    A test comes along when it uses ``home``, directly or through one of its module's
    fixtures (``store(home)``...); the fixtures it needs come along too. A module with an
    autouse fixture is left out: here that fixture would apply to every test.
    """
    if importlib.util.find_spec(module_name) is None:
        return
    module = importlib.import_module(module_name)
    fixtures: dict[str, object] = {}
    for name in dir(module):
        obj = getattr(module, name)
        if _fixture_function(obj) is not None and name != "home":
            if getattr(getattr(obj, "_fixture_function_marker", None), "autouse", False):
                return
            fixtures[name] = obj

    def needs(params: set[str], seen: set[str] | None = None) -> set[str]:
        """The module fixtures ``params`` use, transitively."""
        seen = set() if seen is None else seen
        for p in params & set(fixtures) - seen:
            seen.add(p)
            func = _fixture_function(fixtures[p])
            needs(set(inspect.signature(func).parameters), seen)  # type: ignore[arg-type]
        return seen

    def uses_home(params: set[str]) -> bool:
        if "home" in params:
            return True
        return any(
            "home" in inspect.signature(_fixture_function(fixtures[f])).parameters  # type: ignore[arg-type]
            for f in needs(params)
        )

    for name in dir(module):
        func = getattr(module, name)
        if not name.startswith("test_") or not callable(func) or name in fixtures:
            continue
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            continue
        params = set(inspect.signature(func).parameters)
        if not uses_home(params) or any(marker in source for marker in SQLITE_ONLY):
            continue
        globals()[name if name not in globals() else f"{name}__{module_name.rsplit('.', 1)[-1]}"] = func
        for fixture in needs(params):
            globals().setdefault(fixture, fixtures[fixture])


for _suite in SUITES:
    _import_tests(_suite)


# -- PostgreSQL-specific checks ---------------------------------------------------------------
def _person(num: int, name: str) -> Entity:
    e = Entity(id=f"test_list:{num}", schema="Person", dataset="test_list")
    e.add("name", name)
    return e


def test_database_url_is_postgres(home: Path) -> None:
    store = open_store()
    assert store.engine.dialect.name == "postgresql"
    assert store.engine.driver == "psycopg"


def test_keys_and_api_on_postgres(home: Path) -> None:
    store = open_store()
    store.load(ParseResult(dataset="test_list", entities=[_person(1, "JONG, Song Hwa")]), "a")
    key, token = create_key(store.engine, "Jane", "analyst")
    assert verify_token(store.engine, token) == key
    with TestClient(create_app(store, ServerConfig(reload_seconds=0))) as c:
        assert c.get("/catalog").status_code == 401
        r = c.get("/catalog", headers={"Authorization": f"ApiKey {token}"})
        assert r.status_code == 200
        assert [d["name"] for d in r.json()["datasets"]] == ["default", "test_list"]
        r = c.get("/entities/test_list:1", headers={"X-API-Key": token})
        assert r.json()["caption"] == "JONG, Song Hwa"
        assert [h["version"] for h in r.json()["history"]] == [1]


def test_two_servers_share_one_database_and_see_new_versions(home: Path) -> None:
    """Several server processes on one PostgreSQL: a load by any process reaches all."""
    writer = open_store()
    writer.load(ParseResult(dataset="test_list", entities=[_person(1, "A B")]), "a")
    servers = [ScreeningService(open_store(), reload_seconds=0) for _ in range(2)]
    for s in servers:
        s.start(background=False)
        assert set(s.snapshot.entities) == {"test_list:1"}
    writer.load(ParseResult(dataset="test_list", entities=[_person(1, "A B"), _person(2, "C D")]), "b")
    for s in servers:
        assert s.check_now() is True
        assert set(s.snapshot.entities) == {"test_list:1", "test_list:2"}
        assert s.check_now() is False  # nothing new: no rebuild


def test_audit_log_refuses_update_and_delete_on_postgres(home: Path) -> None:
    """The PostgreSQL counterpart of the SQLite tamper tests: the database's triggers refuse."""
    from sqlalchemy import text

    from listguard import audit

    store = open_store()
    audit.record(store.engine, "test", "me", {"a": 1}, [])
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError):  # the append-only triggers refuse
            with store.engine.begin() as conn:
                conn.execute(text(statement))
    ok, problem = audit.verify(store.engine)
    assert ok and problem is None
