"""Issue 13: property-based tests (Hypothesis) of the API's request bodies and parameters.

Whatever a client sends to /match, /search, /reconcile, /screen-text, /admin/keys or an alert
decision, the answer is a 2xx or a 4xx JSON error, never a 500 or a traceback; the fast lane
and FastAPI's path of /match and /search give the same answer; and a refused request changes
nothing in the store.

A few fixed examples per property run in the suite (a small store: seconds);
LISTGUARD_HYPOTHESIS_EXAMPLES=2000 searches far more, with random seeds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from listguard.api.config import ServerConfig
from listguard.model import Entity
from listguard.server import create_app
from listguard.sources.base import ParseResult
from listguard.store import Store
from tests.api_helpers import sqlite_url

DEEP = int(os.environ.get("LISTGUARD_HYPOTHESIS_EXAMPLES", "0"))


def _settings(n: int) -> settings:
    return settings(max_examples=DEEP or n, deadline=None, derandomize=not DEEP,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def _store(path: Path) -> Store:
    store = Store(sqlite_url(path))
    entities = []
    for eid, name, schema, extra in (
        ("1", "JONG, Song Hwa", "Person", {"nationality": "kp", "birthDate": "1970-02-05", "passportNumber": "927220230"}),
        ("2", "PUTIN, Vladimir Vladimirovich", "Person", {"country": "ru", "alias": "PUTIN, Vladimir"}),
        ("3", "KOREA KWANGSON BANKING CORP", "Organization", {"country": "kp", "swiftBic": "KKBCKPPY"}),
        ("4", "PETION", "Vessel", {"imoNumber": "9123456", "flag": "pa"}),
    ):
        e = Entity(id=f"t:{eid}", schema=schema, dataset="t")
        e.add("name", name)
        for prop, value in extra.items():
            e.add(prop, value)
        entities.append(e)
    store.load(ParseResult(dataset="t", entities=entities, published_at="2024-01-01"), "test")
    return store


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, TestClient]]:
    store = _store(tmp_path_factory.mktemp("props"))
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield app, c
    store.close()


def _unused() -> None:  # pragma: no cover - only its presence in dependency_overrides matters
    return None


def _both(app: FastAPI, send: Any) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    fast = send()
    app.dependency_overrides[_unused] = _unused  # the fast lane steps aside: FastAPI's own path
    try:
        slow = send()
    finally:
        app.dependency_overrides.clear()
    return (fast.status_code, fast.content), (slow.status_code, slow.content)


def _raw(text: str) -> str:
    """Percent-encoded as a client sends it (a lone surrogate as its UTF-8-like bytes)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _qs(params: Any) -> str:
    items = params.items() if isinstance(params, dict) else params
    return "?" + "&".join(f"{_raw(k)}={_raw(v)}" for k, v in items)


def _answered(status: int, content: bytes) -> None:
    assert status < 500, content[:500]
    if status >= 400:
        data = orjson.loads(content)
        assert isinstance(data.get("detail"), str) and data["detail"], content[:500]


# -- strategies -------------------------------------------------------------------------------

#: Strings that break things more often than random ones: surrogates, controls, markup,
#: numbers as text, country names, schema names, huge values.
NASTY = st.sampled_from([
    "", " ", "\x00", "\ud800", "\udfff", "\ud83d\ude00", "\u202e", "\ufeff", "<script>", "%s", "{}",
    "null", "NaN", "-1", "0", "1e999", "9" * 40, "Russia", "ru", "RU", "Atlantis", "Person", "Thing",
    "Vessel", "Spaceship", "LegalEntity", "1970", "05.02.1970", "31.02.1970", "1970-02-05T10:00",
    "Jong Song Hwa", "vladimir put", "KIM", "x" * 3000, "us_ofac_sdn:24979", "t:1", "sanction",
])
TEXT = st.one_of(NASTY, st.text(max_size=40))
KEYS = st.one_of(
    st.sampled_from(["queries", "weights", "config", "schema", "schema_", "properties", "id", "name",
                     "country", "nationality", "birthDate", "passportNumber", "firstName", "lastName",
                     "alias", "query", "type", "limit", "pid", "v", "text", "format", "threshold"]),
    TEXT,
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False), TEXT),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=20,
)
PROPERTY_VALUES = st.one_of(TEXT, st.lists(st.one_of(TEXT, st.integers(), st.none(), st.floats()), max_size=3), JSON)
EXAMPLE = st.fixed_dictionaries(
    {},
    optional={
        "schema": st.one_of(st.sampled_from(["Person", "Organization", "Thing", "Vessel", "Company"]), JSON),
        "properties": st.one_of(st.dictionaries(KEYS, PROPERTY_VALUES, max_size=5), JSON),
        "id": st.one_of(TEXT, JSON),
    },
)
MATCH_BODY = st.one_of(
    st.fixed_dictionaries(
        {"queries": st.dictionaries(TEXT, st.one_of(EXAMPLE, JSON), max_size=3)},
        optional={"weights": JSON, "config": JSON},
    ),
    JSON,
)
PARAM_VALUES = st.one_of(
    st.sampled_from(["5", "0", "-1", "501", "10000", "9999", "0.5", "1.5", "5.0", " 3", "", "abc", "true",
                     "false", "best", "logic-v2", "2024-01-01", "2024-01-01T10", "countries:ru", "caption:desc",
                     "shoe:asc", "score", "score:desc", "_score", "first_seen:desc", "last_change", "AND", "XOR", "schema", "banana", "Person", "ru", "t", "t:1"]),
    TEXT,
)


def _params(names: list[str]) -> Any:
    return st.lists(st.tuples(st.sampled_from(names), PARAM_VALUES), max_size=5)


MATCH_PARAM_NAMES = ["limit", "threshold", "cutoff", "algorithm", "include_dataset", "exclude_dataset",
                     "exclude_schema", "topics", "changed_since", "exclude_entity_ids", "countries", "nonsense"]
SEARCH_PARAM_NAMES = ["q", "schema", "limit", "offset", "include_dataset", "exclude_dataset", "exclude_schema",
                      "changed_since", "countries", "topics", "datasets", "filter", "sort", "target", "fuzzy",
                      "simple", "facets", "filter_op", "nonsense"]


# -- properties -------------------------------------------------------------------------------


@_settings(80)
@given(body=MATCH_BODY, params=_params(MATCH_PARAM_NAMES))
@example(body={"queries": {"q1": {"schema": "Person", "properties": {"name": ["\ud800abc"]}}}}, params=[])  # issue 13
@example(body={"queries": {"q1": {"schema": "Person", "properties": {"name": ["x"], "\udc00": ["y"]}}}}, params=[])
@example(body={"queries": {"\ud800": {"schema": "Person", "properties": {"name": ["x"]}}}}, params=[("limit", "\ud800")])
def test_any_match_body_is_answered_alike_by_both_paths(
    app_client: tuple[FastAPI, TestClient], body: Any, params: list[tuple[str, str]]
) -> None:
    app, c = app_client
    try:
        content = orjson.dumps(body)
    except orjson.JSONEncodeError:  # a lone surrogate: send it the way a client would, escaped
        import json

        content = json.dumps(body).encode()
    fast, slow = _both(app, lambda: c.post("/match/default" + _qs(params), content=content,
                                           headers={"content-type": "application/json"}))
    _answered(*fast)
    assert fast == slow


@_settings(60)
@given(
    prefix=st.binary(max_size=30),
    cut=st.integers(min_value=0, max_value=200),
    junk=st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\\ud800", b'"', b"{", b"]", b"\x00", b"NaN", b"1e999",
                          b"\\", b"\xef\xbb\xbf", b",", b":"]),
)
def test_any_match_bytes_are_answered_alike_by_both_paths(
    app_client: tuple[FastAPI, TestClient], prefix: bytes, cut: int, junk: bytes
) -> None:
    app, c = app_client
    valid = b'{"queries": {"q1": {"schema": "Person", "properties": {"name": ["Jong Song Hwa"], "country": ["kp"]}}}}'
    cut = min(cut, len(valid))
    content = prefix + valid[:cut] + junk + valid[cut:]
    fast, slow = _both(app, lambda: c.post("/match/default", content=content,
                                           headers={"content-type": "application/json"}))
    _answered(*fast)
    assert fast == slow


@_settings(80)
@given(params=_params(SEARCH_PARAM_NAMES), dataset=st.sampled_from(["default", "t", "nope"]))
def test_any_search_is_answered_alike_by_both_paths(
    app_client: tuple[FastAPI, TestClient], params: list[tuple[str, str]], dataset: str
) -> None:
    app, c = app_client
    fast, slow = _both(app, lambda: c.get(f"/search/{dataset}" + _qs(params)))
    _answered(*fast)
    assert fast == slow
    if fast[0] == 200:
        data = orjson.loads(fast[1])
        assert len(data["results"]) <= data["limit"] and data["total"]["value"] >= len(data["results"])


@_settings(60)
@given(queries=st.one_of(st.dictionaries(TEXT, st.one_of(
    st.fixed_dictionaries({"query": st.one_of(TEXT, JSON)}, optional={
        "type": st.one_of(TEXT, JSON), "limit": st.one_of(st.integers(), JSON),
        "properties": st.one_of(st.lists(st.fixed_dictionaries({"pid": st.one_of(TEXT, JSON), "v": st.one_of(TEXT, JSON)}), max_size=3), JSON),
    }), JSON), max_size=3), JSON), extend=st.one_of(st.none(), JSON), raw=st.one_of(st.none(), TEXT))
def test_any_reconciliation_request_is_a_2xx_or_4xx(
    app_client: tuple[FastAPI, TestClient], queries: Any, extend: Any, raw: str | None
) -> None:
    _, c = app_client
    import json

    form = {"queries": raw if raw is not None else json.dumps(queries)}
    if extend is not None:
        form["extend"] = json.dumps(extend)
    r = c.post("/reconcile/default", content=_qs(form)[1:],
               headers={"content-type": "application/x-www-form-urlencoded"})
    _answered(r.status_code, r.content)
    r = c.get("/reconcile/default" + _qs({"queries": form["queries"]}))
    _answered(r.status_code, r.content)


@_settings(40)
@given(prefix=TEXT, limit=PARAM_VALUES, path=st.sampled_from(["entity", "type", "property"]), eid=TEXT)
def test_any_suggest_preview_or_entity_lookup_is_a_2xx_or_4xx(
    app_client: tuple[FastAPI, TestClient], prefix: str, limit: str, path: str, eid: str
) -> None:
    _, c = app_client
    r = c.get(f"/reconcile/default/suggest/{path}" + _qs({"prefix": prefix, "limit": limit}))
    _answered(r.status_code, r.content)
    r = c.get("/reconcile/default/preview" + _qs({"id": eid}))
    assert r.status_code < 500
    r = c.get("/entities/" + _raw(eid) + _qs({"nested": limit}))
    assert r.status_code < 500


@_settings(40)
@given(body=st.one_of(JSON, st.fixed_dictionaries({"text": TEXT}, optional={"format": TEXT, "threshold": JSON})))
@example(body={"text": "Jong \ud800 Song Hwa"})  # issue 13: a lone surrogate was a 500
def test_any_screen_text_body_is_a_2xx_or_4xx(app_client: tuple[FastAPI, TestClient], body: Any) -> None:
    _, c = app_client
    import json

    r = c.post("/screen-text", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    _answered(r.status_code, r.content)


def test_refused_key_and_decision_requests_change_nothing(tmp_path: Path) -> None:
    """Bodies to the two endpoints that write (an API key, an alert decision): a refusal
    leaves the store exactly as it was."""
    from listguard.api.keys import api_keys

    store = _store(tmp_path)
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)

    from sqlalchemy import MetaData

    meta = MetaData()

    def counts() -> tuple[int, ...]:
        if not meta.tables:
            meta.reflect(store.engine)
        with store.engine.connect() as conn:
            return tuple(
                conn.execute(select(func.count()).select_from(meta.tables[name])).scalar_one()
                for name in sorted(meta.tables)
            )

    @_settings(30)
    @given(body=st.one_of(
        st.fixed_dictionaries({}, optional={"owner": st.one_of(TEXT, JSON), "role": st.one_of(
            st.sampled_from(["screener", "analyst", "admin", "root"]), JSON), "rate_limit": JSON,
            "expires_at": st.one_of(st.sampled_from(["2020-01-01", "2999-01-01", "tomorrow"]), JSON),
            "note": JSON}),
        JSON,
    ), alert=st.integers(min_value=-5, max_value=10**12), decision=JSON)
    def check(body: Any, alert: int, decision: Any) -> None:
        import json

        before = counts()
        r = c.post("/admin/keys", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        _answered(r.status_code, r.content)
        if r.status_code >= 400:
            assert counts() == before
        before = counts()
        r = c.post(f"/alerts/{alert}/decision", content=json.dumps(decision).encode(),
                   headers={"content-type": "application/json"})
        _answered(r.status_code, r.content)
        assert r.status_code >= 400  # no alert exists
        assert counts() == before
        with store.engine.connect() as conn:  # the server stays keyless unless a key was made
            conn.execute(select(func.count()).select_from(api_keys)).scalar_one()

    with TestClient(app, raise_server_exceptions=False) as c:
        check()
    store.close()
