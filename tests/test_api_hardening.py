"""Issue 13, HTTP side: DNS rebinding (Host check without keys), malformed JSON bodies (a lone
surrogate, invalid UTF-8, deep nesting: 4xx, never 500, the same on both /match paths),
browser headers (CSP, framing) and ``Forwarded: proto=https``."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import Store
from tests.api_helpers import LiveServer, sqlite_url


def _small_store(path: Path) -> Store:
    store = Store(sqlite_url(path))
    e = Entity(id="t:1", schema="Person", dataset="t")
    e.add("name", "JONG, Song Hwa")
    e.add("nationality", "kp")
    store.load(ParseResult(dataset="t", entities=[e]), "test")
    return store


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, TestClient]]:
    store = _small_store(tmp_path_factory.mktemp("small"))
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0))
    with TestClient(app) as c:
        yield app, c
    store.close()


SURROGATE = b'{"queries":{"q1":{"schema":"Person","properties":{"name":["\\ud800abc"]}}}}'


def _unused() -> None:  # pragma: no cover - only its presence in dependency_overrides matters
    return None


@pytest.mark.parametrize(
    "body",
    [
        SURROGATE,
        b'{"queries":{"q1":{"schema":"Person","properties":{"name":["abc"], "\\udc00": ["x"]}}}}',
        b'{"queries":{"q1":{"schema":"Person","properties":{"name":["\xff\xfe"]}}}}',
        b'{"queries":{"q1":{"schema":"Person","properties":{"name":["\xed\xa0\x80"]}}}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"queries": NaN}',
    ],
)
def test_malformed_bodies_are_4xx_on_both_match_paths(small: tuple[FastAPI, TestClient], body: bytes) -> None:
    app, c = small
    fast = c.post("/match/default", content=body, headers={"content-type": "application/json"})
    app.dependency_overrides[_unused] = _unused  # forces FastAPI's own path
    try:
        slow = c.post("/match/default", content=body, headers={"content-type": "application/json"})
    finally:
        app.dependency_overrides.clear()
    assert 400 <= fast.status_code < 500, fast.text
    assert (fast.status_code, fast.content) == (slow.status_code, slow.content)
    assert fast.json()["detail"]


def test_surrogate_pair_is_fine_and_other_json_endpoints_refuse_lone_ones(small: tuple[FastAPI, TestClient]) -> None:
    _, c = small
    pair = b'{"queries":{"q1":{"schema":"Person","properties":{"name":["Jong Song Hwa \\ud83d\\ude00"]}}}}'
    r = c.post("/match/default", content=pair, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["responses"]["q1"]["results"][0]["id"] == "t:1"
    r = c.post("/screen-text", content=b'{"text": "Jong \\udfff Song Hwa"}', headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_keyless_server_answers_loopback_host_names_only(tmp_path: Path) -> None:
    store = _small_store(tmp_path)
    body = {"queries": {"q1": {"schema": "Person", "properties": {"name": ["Jong Song Hwa"]}}}}
    for allowed in ((), ("screening.internal",)):
        app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0, allowed_hosts=allowed))
        with LiveServer(app) as server, server.client() as c:
            # a DNS-rebinding page: the browser connects to 127.0.0.1 but says Host: evil.example
            for path in ("/alerts", "/catalog", "/ui/screen"):
                r = c.get(path, headers={"host": "evil.example"})
                assert r.status_code == 421, (path, r.status_code)
            r = c.post("/match/default", json=body, headers={"host": "evil.example:8765"})
            assert r.status_code == 421 and "--allowed-host" in r.json()["detail"]
            for host in ("localhost", f"127.0.0.1:{server.port}", f"localhost:{server.port}", "[::1]:80", "app.localhost"):
                assert c.post("/match/default", json=body, headers={"host": host}).status_code == 200, host
            r = c.get("/catalog", headers={"host": "screening.internal"})
            assert r.status_code == (200 if allowed else 421)
    store.close()


def test_cli_allowed_host_reaches_the_server_settings(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from listguard.cli import app as cli_app
    from listguard.commands import serve as serve_command

    monkeypatch.setenv("LISTGUARD_ALLOWED_HOSTS", "Screening.Internal, other.lan.")
    assert ServerConfig.from_env().allowed_hosts == ("screening.internal", "other.lan")
    monkeypatch.delenv("LISTGUARD_ALLOWED_HOSTS")
    served: list[tuple[str, ...]] = []

    class NotServed:  # the server the command would run: record what it was given instead
        def __init__(self, config: object, host: str, port: int) -> None:
            served.append(config.app.state.lg.config.allowed_hosts)  # type: ignore[attr-defined]

        def run(self) -> None:
            pass

    monkeypatch.setattr(serve_command, "ready_server", NotServed)
    r = CliRunner().invoke(cli_app, ["serve", "--allowed-host", "screening.internal", "--allowed-host", "lg.lan"])
    assert r.exit_code == 0, r.output
    assert served == [("screening.internal", "lg.lan")]


def test_ui_pages_carry_csp_and_refuse_framing(small: tuple[FastAPI, TestClient]) -> None:
    _, c = small
    for path in ("/ui/screen", "/ui/versions", "/docs"):
        r = c.get(path)
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "object-src 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "'unsafe-inline'" not in c.get("/ui/screen").headers["content-security-policy"].split("script-src")[1].split(";")[0]
    # OpenRefine shows the preview card in a frame: it may be framed, but runs no script
    r = c.get("/reconcile/default/preview", params={"id": "t:1"})
    assert r.status_code == 200 and "x-frame-options" not in r.headers
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_forwarded_proto_https_is_honoured_like_x_forwarded_proto(tmp_path: Path) -> None:
    from listguard.api.keys import create_key

    store = _small_store(tmp_path)
    _, token = create_key(store.engine, "Analyst", "analyst", rate_limit=0)
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0))
    with LiveServer(app) as server, server.client(follow_redirects=False) as c:
        def login(headers: dict[str, str]) -> httpx.Response:
            return c.post("/ui/login", data={"token": token, "next": "/ui/screen"}, headers=headers)

        plain = login({})
        assert plain.status_code == 303 and "secure" not in plain.headers["set-cookie"].lower()
        for headers in ({"x-forwarded-proto": "https"}, {"forwarded": "for=192.0.2.60;proto=https;by=203.0.113.43"},
                        {"forwarded": 'proto="https"'}):
            r = login(headers)
            assert "secure" in r.headers["set-cookie"].lower(), headers
        assert "secure" not in login({"forwarded": "proto=http"}).headers["set-cookie"].lower()
        manifest = c.get("/reconcile/default", headers={"forwarded": "proto=https", "x-api-key": token}).json()
        assert manifest["identifierSpace"].startswith("https://")
    store.close()
