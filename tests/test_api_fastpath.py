"""The fast lane of ``/match`` and ``/search`` (listguard.api.fastpath) answers exactly as
FastAPI's declared route does: same bytes for well-formed requests, and every request it is not
sure about (and so every error) goes through FastAPI's validation unchanged.

FastAPI's own path is forced by registering a dependency override (the fast lane steps aside
whenever overrides exist), so each request is sent twice and the answers compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from listguard.server import create_app
from listguard.api import routes
from listguard.api.config import ServerConfig
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import Store
from tests.api_helpers import copy_home, sqlite_url, template_home

JONG = "us_ofac_sdn:24979"


def _unused() -> None:  # pragma: no cover - only its presence in dependency_overrides matters
    return None


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, TestClient]]:
    home = copy_home(template_home(tmp_path_factory.mktemp("tpl")), tmp_path_factory.mktemp("home"))
    store = Store(sqlite_url(home))
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)
    with TestClient(app) as c:
        yield app, c
    store.close()


def _q(name: str, schema: str = "Person", **props: object) -> bytes:
    return orjson.dumps({"queries": {"q1": {"schema": schema, "properties": {"name": [name], **props}}}})


MATCH_CASES: list[tuple[str, bytes, str]] = [
    ("", _q("Jong Song Hwa", birthDate=["1970"], nationality=["kp"]), "application/json"),
    ("", _q("Chong Song-hwa"), "application/json"),
    ("", _q("Maria Schneider"), "application/json"),
    ("", _q("Korea Kwangson Banking", "Organization"), "application/json; charset=utf-8"),
    ("?limit=2&threshold=0.9&cutoff=0.2&algorithm=logic-v1", _q("Jong Song Hwa"), "application/json"),
    (f"?exclude_entity_ids={JONG}", _q("Jong Song Hwa"), "application/json"),
    ("?include_dataset=un_sc_sanctions", _q("Jong Song Hwa", "Thing"), "application/json"),
    ("?exclude_dataset=us_ofac_sdn", _q("Jong Song Hwa"), "application/json"),
    ("", b'{"queries": {"a": {"schema": "Person", "properties": {"name": "Jong Song Hwa"}, "id": "x", "extra": 1},'
         b' "b": {"schema": "Thing", "properties": {"name": ["Song Hwa"], "passportNumber": ["927220230"]}}},'
         b' "weights": {}, "config": {}}', "application/json"),
    ("", b'{"queries": {"a": {"schema": "Person", "properties": {"name": ["x"]}}}, "weights": {"name_score": 1}}', "application/json"),
    ("", b'{"queries": {"a": {"schema": "Person", "properties": {"name": ["x"]}}}, "config": {"x": 1}}', "application/json"),
    ("", _q("Vladimir Putin", country=["Russia"], nationality=["Atlantis"], shoeSize=["44"]), "application/json"),
    ("", _q("  Jong   Song Hwa ", birthDate=["05.02.1970"], citizenship="North Korea"), "application/json"),
    ("?exclude_schema=Person&topics=sanction", _q("Jong Song Hwa"), "application/json"),
    ("?changed_since=2001-01-01&algorithm=best", _q("Jong Song Hwa"), "application/json"),
    ("?changed_since=1.1.2001", _q("Jong Song Hwa"), "application/json"),
    ("?countries=ru", _q("Jong Song Hwa"), "application/json"),
    ("?" + "&".join(f"exclude_entity_ids=x{i}" for i in range(51)), _q("Jong Song Hwa"), "application/json"),
    ("", b'{"queries": {"a": {"properties": {"name": ["Jong Song Hwa"]}}}}', "application/json"),
    # what the fast lane leaves to FastAPI (lenient coercions and errors):
    ("?limit=5.0", _q("Jong Song Hwa"), "application/json"),
    ("?limit= 3", _q("Jong Song Hwa"), "application/json"),
    ("?limit=", _q("Jong Song Hwa"), "application/json"),
    ("?limit=abc", _q("Jong Song Hwa"), "application/json"),
    ("?threshold=1.5", _q("Jong Song Hwa"), "application/json"),
    ("?limit=0", _q("Jong Song Hwa"), "application/json"),
    ("", b'{"queries": {"a": {"schema": "Person", "properties": {"name": 1}}}}', "application/json"),
    ("", b'{"queries": {"a": {"schema": "Person", "properties": null}}}', "application/json"),
    ("", b'{"queries": {"a": {"schema": null, "properties": {"name": ["x"]}}}}', "application/json"),
    ("", b'{"queries": {"a": {"schema_": "Person", "properties": {"name": ["x"]}}}}', "application/json"),
    ("", b'{"queries": {"a": {"id": 5, "properties": {"name": ["x"]}}}}', "application/json"),
    ("", b'{"queries": {"a": {"schema": "Person"}}}', "application/json"),
    ("", b'{"queries": {"a": {"schema": "Spaceship", "properties": {"name": ["x"]}}}}', "application/json"),
    ("", b'{"queries": {"a": ["x"]}}', "application/json"),
    ("", b'{"queries": {}}', "application/json"),
    ("", b'{"queries": {"a": {"properties": {"name": ["x"]}}}, "weights": {"name": "high"}}', "application/json"),
    ("", b'{"nothing": 1}', "application/json"),
    ("", b"[]", "application/json"),
    ("", b'{"queries": ', "application/json"),
    ("", b"", "application/json"),
    ("", _q("Jong Song Hwa"), "text/plain"),
    ("", b'\xef\xbb\xbf{"queries": {"a": {"schema": "Person", "properties": {"name": ["Jong Song Hwa"]}}}}', "application/json"),
]

SEARCH_CASES = [
    "?q=Jong+Song+Hwa",
    f"?q={JONG}",
    f"?q={JONG}&limit=2",
    "?q=Kim&offset=3&limit=4",
    "?q=Kim&schema=Person",
    "?q=927220230",
    "?q=Kim&schema=Spaceship",
    "?q=",
    "",
    "?q=Kim&limit=0",
    "?q=Kim&offset=-1",
    "?q=Kim&limit=5.0",
    "?q=%20",
    "?q=Kim&limit=500",
    "?q=Kim&limit=501",
    "?offset=9500&q=Kim",
    "?offset=9499&q=Kim",
    "?limit=0",
    "?q=Vladimir+Putin&countries=ru&facets=schema&facets=countries",
    "?q=Kim&sort=caption:desc&filter_op=AND&datasets=un_sc_sanctions",
    "?q=Kim&countrie=ru",
    "?q=Kim&schema=",
    "?q=Kim&schema=LegalEntity&exclude_schema=Organization",
    "?q=chong+song+hwa",
]


def _both(app: FastAPI, send: object) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    fast = send()  # type: ignore[operator]
    app.dependency_overrides[_unused] = _unused
    try:
        slow = send()  # type: ignore[operator]
    finally:
        app.dependency_overrides.clear()
    return (fast.status_code, fast.content), (slow.status_code, slow.content)


@pytest.mark.parametrize("dataset", ["default", "us_ofac_sdn", "no_such_list"])
def test_match_fast_lane_answers_as_fastapi_does(app_client: tuple[FastAPI, TestClient], dataset: str) -> None:
    app, c = app_client
    for query, body, content_type in MATCH_CASES:
        fast, slow = _both(app, lambda: c.post(
            f"/match/{dataset}{query}", content=body, headers={"content-type": content_type}))
        assert fast == slow, (query, body, fast, slow)


def test_search_fast_lane_answers_as_fastapi_does(app_client: tuple[FastAPI, TestClient]) -> None:
    app, c = app_client
    for dataset in ("default", "un_sc_sanctions", "no_such_list"):
        for query in SEARCH_CASES:
            fast, slow = _both(app, lambda: c.get(f"/search/{dataset}{query}"))
            assert fast == slow, (dataset, query, fast, slow)


def test_well_formed_requests_take_the_fast_lane(
    app_client: tuple[FastAPI, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane is actually used (else the equality above would prove nothing): the helpers
    only it calls are counted."""
    app, c = app_client
    taken: list[str] = []
    json_body, int_param = routes.json_body, routes.int_param

    async def counting_json_body(request: object) -> object:
        taken.append("body")
        return await json_body(request)  # type: ignore[arg-type]

    def counting_int_param(value: str | None, default: int) -> int:
        taken.append("int")
        return int_param(value, default)

    monkeypatch.setattr(routes, "json_body", counting_json_body)
    monkeypatch.setattr(routes, "int_param", counting_int_param)
    r = c.post("/match/default", content=_q("Jong Song Hwa"), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["responses"]["q1"]["results"][0]["id"] == JONG
    assert taken == ["body"]
    r = c.get("/search/default?q=Jong+Song+Hwa")
    assert r.status_code == 200 and r.json()["results"]
    assert taken == ["body", "int", "int"]
    app.dependency_overrides[_unused] = _unused
    try:
        assert c.get("/search/default?q=Jong+Song+Hwa").status_code == 200
    finally:
        app.dependency_overrides.clear()
    assert taken == ["body", "int", "int"]  # with overrides FastAPI answers alone


def test_a_hot_reload_serves_the_new_properties(tmp_path: Path) -> None:
    """Properties are serialised once per snapshot; a new list version must not be answered
    with the old version's (memoised) properties."""
    store = Store(sqlite_url(tmp_path))

    def load(birth_date: str) -> None:
        e = Entity(id="t:1", schema="Person", dataset="t")
        e.add("name", "JONG, Song Hwa")
        e.add("birthDate", birth_date)
        store.load(ParseResult(dataset="t", entities=[e]), "test")

    load("1970-02-05")
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)
    body = {"queries": {"q1": {"schema": "Person", "properties": {"name": ["Jong Song Hwa"]}}}}
    with TestClient(app) as c:
        top = c.post("/match/default", json=body).json()["responses"]["q1"]["results"][0]
        assert top["id"] == "t:1" and top["properties"]["birthDate"] == ["1970-02-05"]
        assert c.get("/search/default?q=t:1").json()["results"][0]["properties"]["birthDate"] == ["1970-02-05"]
        load("1971-03-06")
        assert app.state.lg.service.check_now() is True
        top = c.post("/match/default", json=body).json()["responses"]["q1"]["results"][0]
        assert top["properties"]["birthDate"] == ["1971-03-06"]
        assert c.get("/search/default?q=t:1").json()["results"][0]["properties"]["birthDate"] == ["1971-03-06"]
    store.close()


def test_keys_and_roles_answer_as_fastapi_does(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With keys required: no key, a bad key, a good key in each place a client may put it
    (headers, query string): the same answers from the fast lane as from FastAPI."""
    from listguard.api.keys import create_key

    home = copy_home(template_home(tmp_path_factory.mktemp("tpl")), tmp_path_factory.mktemp("keys"))
    store = Store(sqlite_url(home))
    _, token = create_key(store.engine, "Onboarding", "screener", rate_limit=0)
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)
    body = _q("Jong Song Hwa")
    variants = [
        ("", {}),
        ("", {"authorization": "ApiKey not-a-key"}),
        ("", {"authorization": f"ApiKey {token}"}),
        ("", {"authorization": f"Bearer {token}"}),
        ("", {"x-api-key": token}),
        (f"?api_key={token}", {}),
        (f"?api_key={token}&limit=abc", {}),
        ("?limit=abc", {}),
    ]
    with TestClient(app) as c:
        for query, headers in variants:
            fast, slow = _both(app, lambda: c.post(
                f"/match/default{query}", content=body,
                headers={"content-type": "application/json", **headers}))
            assert fast == slow, (query, headers, fast, slow)
            fast, slow = _both(app, lambda: c.get(f"/search/default{query or '?'}&q=Jong", headers=headers))
            assert fast == slow, (query, headers, fast, slow)
        assert c.post("/match/default", content=body,
                      headers={"content-type": "application/json"}).status_code == 401
        assert c.post("/match/default", content=body,
                      headers={"content-type": "application/json", "x-api-key": token}).status_code == 200
    store.close()
