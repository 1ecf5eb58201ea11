"""The screening API on the real OFAC SDN and UN lists: yente-compatible /match, search,
entities, catalog, reconciliation, health, and the page-time budget of the UI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.store import Store
from tests.api_helpers import copy_home, sqlite_url, template_home, yente_query

JONG = "us_ofac_sdn:24979"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = copy_home(template_home(tmp_path_factory.mktemp("tpl")), tmp_path_factory.mktemp("home"))
    store = Store(sqlite_url(home))
    with TestClient(create_app(store, ServerConfig(reload_seconds=0))) as c:
        yield c
    store.close()


def test_yente_request_from_the_issue(client: TestClient) -> None:
    body = {"queries": {"q1": {"schema": "Person", "properties": {
        "name": ["Jong Song Hwa"], "birthDate": ["1970"], "nationality": ["kp"]}}}}
    r = client.post("/match/default", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    resp = data["responses"]["q1"]
    assert resp["status"] == 200
    assert resp["total"] == {"value": len(resp["results"]), "relation": "eq"}
    assert resp["query"]["schema"] == "Person"
    assert resp["query"]["properties"]["name"] == ["Jong Song Hwa"]
    top = resp["results"][0]
    assert top["id"] == JONG and top["match"] is True
    assert top["caption"] == "JONG, Song Hwa" and top["schema"] == "Person"
    assert top["datasets"] == ["us_ofac_sdn"]
    assert top["properties"]["birthDate"] == ["1970-02-05"]
    assert top["properties"]["passportNumber"] == ["927220230"]
    assert 0.0 <= top["score"] <= 1.0
    assert isinstance(top["features"], dict) and all(isinstance(v, float) for v in top["features"].values())
    assert top["explanation"]["summary"]
    assert top["explanation"]["name"]["matched"]
    for key in ("referents", "target", "first_seen", "last_seen", "last_change"):
        assert key in top  # yente's EntityResponse fields, so strict clients parse it
    assert data["limit"] == 5 and data["matcher"]["name"] == "listguard"
    assert data["limits"]["max_queries"] == 100


def test_chong_song_hwa_finds_jong_with_an_explanation(client: TestClient) -> None:
    r = client.post("/match/default", json=yente_query("Chong Song-hwa"))
    results = r.json()["responses"]["q1"]["results"]
    assert results and results[0]["id"] == JONG and results[0]["match"]
    explanation = results[0]["explanation"]
    assert "JONG" in explanation["name"]["matched"].upper()
    assert any(a["how"] != "exact" for a in explanation["name"]["alignment"])  # Chong~Jong is explained


def test_parameters_limit_threshold_exclude_and_dataset(client: TestClient) -> None:
    r = client.post("/match/default?limit=1", json=yente_query("Jong Song Hwa"))
    assert len(r.json()["responses"]["q1"]["results"]) == 1
    r = client.post("/match/default?threshold=1.0", json=yente_query("Chong Songhwa"))
    top = r.json()["responses"]["q1"]["results"][0]
    assert top["id"] == JONG and (top["match"] is (top["score"] >= 1.0))
    assert r.json()["matcher"]["threshold"] == 1.0
    r = client.post(f"/match/default?exclude_entity_ids={JONG}", json=yente_query("Jong Song Hwa"))
    assert JONG not in [x["id"] for x in r.json()["responses"]["q1"]["results"]]
    r = client.post("/match/us_ofac_sdn", json=yente_query("Jong Song Hwa"))
    assert r.json()["responses"]["q1"]["results"][0]["id"] == JONG
    r = client.post("/match/un_sc_sanctions", json=yente_query("Jong Song Hwa"))
    assert all(x["id"].startswith("un_sc_sanctions:") for x in r.json()["responses"]["q1"]["results"])
    r = client.post("/match/default?exclude_dataset=us_ofac_sdn", json=yente_query("Jong Song Hwa"))
    assert all(x["id"].startswith("un_sc_sanctions:") for x in r.json()["responses"]["q1"]["results"])
    r = client.post("/match/default?include_dataset=us_ofac_sdn", json=yente_query("Jong Song Hwa"))
    assert r.json()["responses"]["q1"]["results"][0]["id"] == JONG
    r = client.post("/match/default?include_dataset=us_ofac_sdn&exclude_dataset=us_ofac_sdn", json=yente_query("X"))
    assert r.status_code == 400
    r = client.post("/match/eu_fsf", json=yente_query("Jong Song Hwa"))
    assert r.status_code == 404 and "unknown dataset" in r.json()["detail"]
    r = client.post("/match/default?threshold=2", json=yente_query("Jong Song Hwa"))
    assert r.status_code == 400


def test_batch_of_queries_and_identifier_only_query(client: TestClient) -> None:
    body = {"queries": {
        "a": {"schema": "Person", "properties": {"name": ["Jong Song Hwa"]}},
        "b": {"schema": "Person", "properties": {"firstName": ["Song Hwa"], "lastName": ["Jong"]}},
        "c": {"schema": "Person", "properties": {"name": ["Maria Lindqvist-Okafor"]}},
        "d": {"schema": "Person", "properties": {"passportNumber": ["927220230"], "nationality": ["kp"]}},
    }}
    r = client.post("/match/default", json=body)
    assert r.status_code == 200
    responses = r.json()["responses"]
    assert set(responses) == {"a", "b", "c", "d"}
    assert responses["a"]["results"][0]["id"] == JONG
    assert responses["b"]["results"][0]["id"] == JONG
    assert not any(x["match"] for x in responses["c"]["results"])  # a clean name: no match
    assert responses["d"]["results"][0]["id"] == JONG  # passport + issuing country: a hit on its own


def test_search(client: TestClient) -> None:
    r = client.get("/search/default", params={"q": "Jong Song Hwa"})
    assert r.status_code == 200 and r.json()["results"][0]["id"] == JONG
    r = client.get("/search/default", params={"q": JONG})
    assert r.json()["results"][0]["id"] == JONG and r.json()["results"][0]["score"] == 1.0
    assert client.get("/search/default").status_code == 422


def test_entity_with_record_history_and_relations(client: TestClient) -> None:
    r = client.get(f"/entities/{JONG}")
    assert r.status_code == 200
    e = r.json()
    assert e["caption"] == "JONG, Song Hwa" and e["listed"] is True
    assert e["properties"]["nationality"] == ["kp"]
    assert {"type": "passportNumber", "number": "927220230", "country": "kp"}.items() <= e["identifiers"][0].items()
    assert e["record"]  # the list's own row
    assert [h["version"] for h in e["history"]] == [1] and e["history"][0]["status"] == "added"
    # relations, resolved both ways: KONY, Joseph is "Linked To: LORD'S RESISTANCE ARMY"
    kony = client.get("/entities/us_ofac_sdn:11018").json()
    assert kony["caption"] == "KONY, Joseph"
    link = next(x for x in kony["links"] if x["target"]["id"] == "us_ofac_sdn:19100")
    assert link["target"]["listed"] and link["target"]["caption"] == "LORD'S RESISTANCE ARMY"
    lra = client.get("/entities/us_ofac_sdn:19100").json()
    assert any(x["source"]["id"] == "us_ofac_sdn:11018" for x in lra["linked_from"])
    assert client.get("/entities/us_ofac_sdn:0").status_code == 404


def test_catalog_health_updatez_docs(client: TestClient) -> None:
    catalog = client.get("/catalog").json()
    by_name = {d["name"]: d for d in catalog["datasets"]}
    assert by_name["us_ofac_sdn"]["entity_count"] == 14965
    assert by_name["un_sc_sanctions"]["entity_count"] == 1003
    assert set(by_name["default"]["children"]) == {"us_ofac_sdn", "un_sc_sanctions"}
    health = client.get("/healthz").json()
    assert health["ready"] and health["matching"] and health["entities"] == 14965 + 1003
    up = client.get("/updatez").json()
    assert up["up_to_date"] is True and up["index"]["entities"] == 14965 + 1003
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in ("/match/{dataset}", "/search/{dataset}", "/entities/{entity_id}", "/catalog",
                 "/healthz", "/updatez", "/reconcile/{dataset}", "/alerts", "/alerts/{alert_id}/decision"):
        assert path in spec["paths"], path


def test_reconciliation_api(client: TestClient) -> None:
    manifest = client.get("/reconcile/default").json()
    assert manifest["versions"] and manifest["identifierSpace"].endswith("/entities/")
    assert {t["id"] for t in manifest["defaultTypes"]} >= {"Person", "Organization", "Vessel"}
    queries = {"q0": {"query": "Jong Song Hwa", "type": "Person", "limit": 3,
                      "properties": [{"pid": "birthDate", "v": "1970"}]},
               "q1": {"query": "Maria Lindqvist-Okafor", "type": "Person"}}
    import orjson

    r = client.post("/reconcile/default", data={"queries": orjson.dumps(queries).decode()})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["q0"]["result"][0]["id"] == JONG and out["q0"]["result"][0]["match"] is True
    assert 0 <= out["q0"]["result"][0]["score"] <= 100
    assert not any(x["match"] for x in out["q1"]["result"])
    r = client.get("/reconcile/default", params={"queries": orjson.dumps({"x": {"query": "Jong Song Hwa"}}).decode()})
    assert r.json()["x"]["result"][0]["id"] == JONG
    assert client.post("/reconcile/default", data={"queries": "{nope"}).status_code == 400
    assert client.get("/reconcile/default/suggest/type", params={"prefix": "ves"}).json()["result"][0]["id"] == "Vessel"
    assert client.get("/reconcile/default/suggest/entity", params={"prefix": "Jong Song Hwa"}).json()["result"][0]["id"] == JONG
    assert "JONG, Song Hwa" in client.get("/reconcile/default/preview", params={"id": JONG}).text


@pytest.mark.parametrize(
    "path",
    [
        "/ui/screen",
        "/ui/screen?name=Chong+Song-hwa&birth_date=1970&country=kp",
        f"/ui/entities/{JONG}",
        "/ui/versions",
    ],
)
def test_pages_render_under_200ms(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200  # warm (template compile, caches)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        r = client.get(path)
        timings.append(time.perf_counter() - started)
        assert r.status_code == 200
    assert sorted(timings)[2] < 0.2, f"{path}: median {sorted(timings)[2] * 1000:.0f} ms"


def test_screen_text_endpoint(client: TestClient) -> None:
    text = (
        "Treasury said the front companies were run for the DPRK by CEO Jong Song Hwa, "
        "who met a Seoul supplier, Mr. Park, in Shenyang."
    )
    r = client.post("/screen-text", json={"text": text})
    assert r.status_code == 200, r.text
    mentions = r.json()["mentions"]
    found = {h["entity_id"] for m in mentions for h in m["hits"] if h["match"]}
    assert JONG in found
    for m in mentions:
        assert text[m["start"] : m["end"]] == m["text"]
    assert client.post("/screen-text", json={"text": "x", "format": "pdf"}).status_code == 400
