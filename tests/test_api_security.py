"""Keys, roles, limits and the loopback rule of the HTTP service.

These use a small store (two entities) because they test the gate, not the matcher; the
matching itself is tested on the real OFAC list in test_api_match.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.api.keys import api_keys, create_key, list_keys, revoke_key, verify_token
from listguard.cli import app as cli_app
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import Store

runner = CliRunner()


def small_store(home: Path) -> Store:
    home.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{home / 'listguard.db'}")
    a = Entity(id="test_list:1", schema="Person", dataset="test_list")
    a.add("name", "JONG, Song Hwa")
    a.add("birthDate", "1970-02-05")
    a.add_link("Linked To", "test_list:2")
    b = Entity(id="test_list:2", schema="Company", dataset="test_list")
    b.add("name", "KOREA TRADING CO")
    store.load(ParseResult(dataset="test_list", entities=[a, b]), "test")
    return store


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = small_store(home)
    yield s
    s.close()


def client(store: Store, config: ServerConfig | None = None, **kw: object) -> TestClient:
    app = create_app(store, config or ServerConfig(reload_seconds=0))
    return TestClient(app, **kw)  # type: ignore[arg-type]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {token}"}


def test_keys_are_stored_hashed_and_revocable(store: Store) -> None:
    key, token = create_key(store.engine, "Onboarding service", "screener")
    assert token.startswith(f"lg_{key.id}_")
    with store.engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == key.id)).one()
    assert row.hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in " ".join(str(v) for v in row)  # the token itself is nowhere
    assert verify_token(store.engine, token) == key
    assert verify_token(store.engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert verify_token(store.engine, "lg_nothere_secret") is None
    revoked = revoke_key(store.engine, key.id)
    assert revoked.revoked_at and not revoked.active
    assert verify_token(store.engine, token) is None
    assert [k.id for k in list_keys(store.engine, include_revoked=False)] == []


def test_open_mode_answers_local_clients_only(store: Store) -> None:
    with client(store) as c:
        r = c.get("/catalog")
        assert r.status_code == 200
        assert c.get("/whoami").json()["role"] == "admin"
    with client(store, client=("203.0.113.9", 40000)) as c:
        r = c.get("/catalog")
        assert r.status_code == 403
        assert "only answers requests from this machine" in r.json()["detail"]
        assert c.get("/healthz").status_code == 200  # health probes need no key


def test_roles_are_enforced(store: Store) -> None:
    _, screener = create_key(store.engine, "Onboarding", "screener")
    _, analyst = create_key(store.engine, "Jane Analyst", "analyst")
    _, admin = create_key(store.engine, "Ops", "admin")
    with client(store) as c:
        # no key, bad key: 401 with a hint
        r = c.get("/catalog")
        assert r.status_code == 401 and "API key is required" in r.json()["detail"]
        assert r.headers["www-authenticate"].startswith("ApiKey")
        assert c.get("/catalog", headers=auth("lg_abc_def")).status_code == 401
        # every way of passing a key works
        assert c.get("/catalog", headers=auth(screener)).status_code == 200
        assert c.get("/catalog", headers={"Authorization": f"Bearer {screener}"}).status_code == 200
        assert c.get("/catalog", headers={"X-API-Key": screener}).status_code == 200
        assert c.get(f"/catalog?api_key={screener}").status_code == 200
        assert c.get("/entities/test_list:1", headers=auth(screener)).status_code == 200
        # screener cannot manage keys nor force reloads; analyst cannot either; admin can
        r = c.get("/admin/keys", headers=auth(screener))
        assert r.status_code == 403 and r.json()["required_role"] == "admin"
        assert c.get("/admin/keys", headers=auth(analyst)).status_code == 403
        assert c.post("/updatez", headers=auth(analyst)).status_code == 403
        assert c.post("/updatez", headers=auth(admin)).status_code == 200
        keys = c.get("/admin/keys", headers=auth(admin)).json()["keys"]
        assert {k["owner"] for k in keys} == {"Onboarding", "Jane Analyst", "Ops"}
        assert all("hash" not in k and "token" not in k for k in keys)
        assert c.get("/whoami", headers=auth(analyst)).json() == {
            "owner": "Jane Analyst", "role": "analyst", "key_id": c.get("/whoami", headers=auth(analyst)).json()["key_id"],
            "rate_limit_per_minute": 6000,
        }


def test_admin_creates_and_revokes_keys_over_http_with_audit(store: Store) -> None:
    from listguard import audit

    _, admin = create_key(store.engine, "Ops", "admin")
    with client(store) as c:
        r = c.post("/admin/keys", json={"owner": "Payments", "role": "screener"}, headers=auth(admin))
        assert r.status_code == 201
        token, key_id = r.json()["token"], r.json()["key"]["id"]
        assert c.get("/catalog", headers=auth(token)).status_code == 200
        assert c.post("/admin/keys", json={"owner": "X", "role": "boss"}, headers=auth(admin)).status_code == 400
        assert c.delete(f"/admin/keys/{key_id}", headers=auth(admin)).status_code == 200
        assert c.get("/catalog", headers=auth(token)).status_code == 401  # revocation is immediate here
        assert c.delete("/admin/keys/nope", headers=auth(admin)).status_code == 404
    actions = [(e.action, e.actor) for e in audit.entries(store.engine)]
    assert ("key_create", f"Ops (key {admin.split('_')[1]})") in actions
    assert ("key_revoke", f"Ops (key {admin.split('_')[1]})") in actions


def test_rate_limit_per_key(store: Store) -> None:
    _, slow = create_key(store.engine, "Batch job", "screener", rate_limit=3)
    _, other = create_key(store.engine, "Onboarding", "screener")
    with client(store) as c:
        codes = [c.get("/catalog", headers=auth(slow)).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = c.get("/catalog", headers=auth(slow))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "3 requests per minute" in r.json()["detail"]
        assert c.get("/catalog", headers=auth(other)).status_code == 200  # per key, not global


def test_body_size_and_query_count_limits(store: Store) -> None:
    config = ServerConfig(reload_seconds=0, max_body_bytes=2000, max_queries=3)
    with client(store, config) as c:
        big = {"queries": {"q1": {"schema": "Person", "properties": {"name": ["x" * 5000]}}}}
        r = c.post("/match/default", json=big)
        assert r.status_code == 413 and "request body too large" in r.json()["detail"]
        many = {"queries": {f"q{i}": {"schema": "Person", "properties": {"name": ["A B"]}} for i in range(4)}}
        r = c.post("/match/default", json=many)
        assert r.status_code == 400 and "too many queries" in r.json()["detail"]
        r = c.post("/match/default", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"].startswith("invalid request")
        r = c.post("/match/default", json={"queries": {"q1": {"schema": "Spaceship", "properties": {"name": ["A"]}}}})
        assert r.status_code == 400 and "unknown schema" in r.json()["detail"]
        r = c.post("/match/default", json={"queries": {"q1": {"schema": "Person", "properties": {}}}})
        assert r.status_code == 400 and "no name" in r.json()["detail"]
        r = c.post("/match/default?limit=100000", json={"queries": {"q1": {"schema": "Person", "properties": {"name": ["A"]}}}})
        assert r.status_code == 400 and "limit" in r.json()["detail"]
        r = c.post("/match/nosuchlist", json={"queries": {"q1": {"schema": "Person", "properties": {"name": ["A"]}}}})
        assert r.status_code in (404, 503)


def test_chunked_body_over_limit_is_refused(store: Store) -> None:
    config = ServerConfig(reload_seconds=0, max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        yield b'{"queries": {"q1": {"properties": {"name": ["'
        for _ in range(20):
            yield b"x" * 200
        yield b'"]}}}}'

    with client(store, config) as c:
        r = c.post("/match/default", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


def test_ui_requires_login_when_keys_exist(store: Store) -> None:
    _, screener = create_key(store.engine, "Jane", "screener")
    with client(store, follow_redirects=False) as c:
        r = c.get("/ui/screen")
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
        r = c.post("/ui/login", data={"token": "lg_bad_token", "next": "/ui/screen"})
        assert r.status_code == 401
        r = c.post("/ui/login", data={"token": screener, "next": "https://evil.example/"})
        assert r.status_code == 303 and r.headers["location"] == "/ui/screen"  # no open redirect
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/ui/screen").status_code == 200
        r = c.get("/ui/alerts")
        assert r.status_code == 403  # the alert queue needs the analyst role


def test_cli_keys_and_serve_refuses_public_address_without_keys(home: Path) -> None:
    r = runner.invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert r.exit_code == 2 and "refusing to listen on 0.0.0.0" in r.output
    r = runner.invoke(cli_app, ["keys", "create", "Jane Analyst", "--role", "analyst", "--json"])
    assert r.exit_code == 0, r.output
    import orjson

    created = orjson.loads(r.stdout)
    assert created["key"]["role"] == "analyst" and created["token"].startswith("lg_")
    r = runner.invoke(cli_app, ["keys", "create", "X", "--role", "boss"])
    assert r.exit_code == 1 and "unknown role" in r.output
    r = runner.invoke(cli_app, ["keys", "list", "--json"])
    assert [k["owner"] for k in orjson.loads(r.stdout)["keys"]] == ["Jane Analyst"]
    r = runner.invoke(cli_app, ["keys", "list"])
    assert "Jane" in r.output and created["token"] not in r.output
    r = runner.invoke(cli_app, ["keys", "revoke", created["key"]["id"]])
    assert r.exit_code == 0 and "Revoked" in r.output
    r = runner.invoke(cli_app, ["keys", "revoke", "nope"])
    assert r.exit_code == 1
    # loopback hosts are fine without keys: the check passes (we stop before binding by
    # asking for an invalid worker count, which is checked first)
    r = runner.invoke(cli_app, ["serve", "--host", "0.0.0.0", "--workers", "0"])
    assert r.exit_code == 2 and "--workers" in r.output
