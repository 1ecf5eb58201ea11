"""The screening API on the real OFAC SDN and UN lists: yente-compatible /match, search,
entities, catalog, reconciliation, health, and that the UI's pages render."""

from __future__ import annotations

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
    listing = client.get("/search/default")  # yente: no q lists entities, with facets
    assert listing.status_code == 200 and listing.json()["total"]["value"] == 14965 + 1003


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
def test_pages_render(client: TestClient, path: str) -> None:
    # How fast (under 200 ms) is measured by bench/bench_latency.py, not asserted here.
    assert client.get(path).status_code == 200


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


# -- yente compatibility (issue 16): yente's own API test expectations, replayed --------------

PUTIN = "us_ofac_sdn:35096"


def _match(client: TestClient, query: dict[str, object], params: str = "") -> dict[str, object]:
    r = client.post(f"/match/default{params}", json={"queries": {"q": query}})
    assert r.status_code == 200, r.text
    return r.json()["responses"]["q"]  # type: ignore[no-any-return]


def test_yente_match_needs_a_schema_and_normalises_properties(client: TestClient) -> None:
    r = client.post("/match/default", json={"queries": {"fail": {"properties": {"name": "Vladimir Putin"}}}})
    assert r.status_code == 422  # yente: schema is required
    by_name = _match(client, {"schema": "Person", "properties": {"name": "Vladimir Putin", "country": "Russia"}})
    # the echoed query is the cleaned one (FtM types): country name -> ISO code, lists everywhere
    assert by_name["query"]["properties"] == {"name": ["Vladimir Putin"], "country": ["ru"]}
    assert by_name["results"][0]["id"] == PUTIN
    by_code = _match(client, {"schema": "Person", "properties": {"name": ["Vladimir Putin"], "country": ["ru"]}})
    other = _match(client, {"schema": "Person", "properties": {"name": ["Vladimir Putin"], "country": ["Kenya"]}})
    # scoring reads the normalised value: "Russia" scores as "ru" does, and not as a mismatch
    assert by_name["results"][0]["score"] == by_code["results"][0]["score"] > other["results"][0]["score"]
    assert by_name["results"][0]["features"]["country"] > 0 > other["results"][0]["features"]["country"]
    junk = _match(client, {"schema": "Person", "properties": {
        "name": ["Vladimir Putin"], "nationality": ["Atlantis"], "shoeSize": ["44"]}})
    assert junk["query"]["properties"] == {"name": ["Vladimir Putin"]}
    assert any("shoeSize" in w for w in junk["warnings"]) and any("Atlantis" in w for w in junk["warnings"])
    top = by_name["results"][0]
    assert top["first_seen"] and top["last_seen"] and top["last_change"]  # from the version history
    # yente 5's explanations: feature -> nomenklatura's FeatureResult (score, detail, query, candidate)
    assert top["explanations"]["name_score"]["score"] == top["features"]["name_score"]
    assert top["explanations"]["name_score"]["candidate"] and top["explanations"]["country"]["detail"]
    assert set(top["explanations"]["country"]) == {"score", "detail", "query", "candidate"}


def test_yente_match_parameters_are_applied_or_refused(client: TestClient) -> None:
    putin = {"schema": "Person", "properties": {"name": ["Vladimir Putin"]}}
    r = client.post("/match/default?algorithm=logic-v2", json={"queries": {"q": putin}})
    assert r.status_code == 400 and r.json()["parameter"] == "algorithm" and "algorithm" in r.json()["detail"]
    assert _match(client, putin, "?algorithm=best")["results"][0]["id"] == PUTIN
    r = client.post("/match/default?countries=ru", json={"queries": {"q": putin}})
    assert r.status_code == 400 and "'countries'" in r.json()["detail"]  # a /search parameter: never ignored
    assert PUTIN not in [x["id"] for x in _match(client, putin, "?exclude_schema=Person")["results"]]
    assert not _match(client, putin, "?exclude_schema=LegalEntity")["results"]  # descendants too
    assert _match(client, putin, "?topics=sanction")["results"][0]["id"] == PUTIN
    assert not _match(client, putin, "?topics=role.pep")["results"]
    assert _match(client, putin, "?changed_since=2001-01-01")["results"][0]["id"] == PUTIN
    assert not _match(client, putin, "?changed_since=2999-01-01T00")["results"]
    assert client.post("/match/default?changed_since=yesterday", json={"queries": {"q": putin}}).status_code == 422
    many = "&".join(f"exclude_entity_ids=x{i}" for i in range(51))
    assert client.post(f"/match/default?{many}", json={"queries": {"q": putin}}).status_code == 422
    r = client.post("/match/default", json={"queries": {"q": putin}, "weights": {"name_literal": 0.8}})
    assert r.status_code == 400 and r.json()["parameter"] == "weights"  # yente's weights: not applied, refused
    r = client.post("/match/default", json={"queries": {"q": putin}, "config": {"nm_number_mismatch": 0.4}})
    assert r.status_code == 400 and "nm_number_mismatch" in r.json()["detail"]
    r = client.post("/match/default", json={"queries": {"a": putin, "b": putin}, "weights": {}, "config": {}})
    assert r.headers["x-batch-size"] == "2"
    # cutoff never hides what threshold calls a match (yente: cutoff = min(cutoff, threshold))
    low = client.post("/match/default?threshold=0.3&cutoff=0.9", json={"queries": {"q": putin}}).json()
    assert low["matcher"]["cutoff"] == 0.3


def test_yente_search_filters_facets_and_paging(client: TestClient) -> None:
    def search(**params: object) -> dict[str, object]:
        r = client.get("/search/default", params=params)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    found = search(q="vladimir putin")
    assert found["results"][0]["id"] == PUTIN
    assert set(found["facets"]) == {"countries", "topics", "datasets"}  # yente's default facets
    assert {"name": "ru", "label": "Russia", "count": 1} in found["facets"]["countries"]["values"]
    hit = found["results"][0]
    assert hit["first_seen"] and hit["last_seen"] and hit["last_change"] and hit["target"] is True
    assert search(q="vladimir putin", countries="ru")["results"][0]["id"] == PUTIN
    assert search(q="vladimir putin", countries="ke")["total"]["value"] == 0  # not silently ignored
    # relevance: a hit shares the query's words (or their spellings), not a loose key (PETION)
    assert search(q="vladimir putin", schema="Vessel")["total"]["value"] == 0
    assert search(q="chong song hwa")["results"][0]["id"] == JONG  # Chong is a spelling of Jong
    kims = search(q="kim", limit=100)
    names = ("name", "alias", "weakAlias", "previousName", "firstName", "lastName")
    assert kims["total"]["value"] > 50  # every entity named Kim, not only the matcher's best
    for x in kims["results"]:
        assert "kim" in " ".join(v for p in names for v in x["properties"].get(p, [])).lower().replace(",", " ").split()
    assert client.get("/search/default", params={"q": "x", "schema": "Spaceship"}).status_code == 400
    assert PUTIN not in [x["id"] for x in search(q="vladimir putin", exclude_schema="Person")["results"]]
    assert search(q="vladimir putin", exclude_dataset="us_ofac_sdn")["total"]["value"] == 0
    assert search(q="vladimir putin", include_dataset="un_sc_sanctions")["total"]["value"] == 0
    assert search(q="vladimir putin", datasets="us_ofac_sdn")["results"][0]["id"] == PUTIN
    assert search(q="vladimir putin", topics="sanction")["total"]["value"] == 1
    assert search(q="vladimir putin", topics="role.pep")["total"]["value"] == 0
    assert search(q="vladimir putin", target="false")["total"]["value"] == 0
    assert search(q="vladimir putin", filter="countries:ru")["total"]["value"] == 1
    assert search(q="vladimir putin", filter="properties.birthDate:1952-10-07")["total"]["value"] == 1
    assert search(q="vladimir putin", filter="birthDate:1999-01-01")["total"]["value"] == 0
    assert client.get("/search/default", params={"q": "x", "filter": "nocolon"}).status_code == 400
    assert search(q="vladimir putin", changed_since="2999-01-01")["total"]["value"] == 0
    # no q: every entity, with facets; limit=0: totals and facets only
    listing = search(limit=0, facets=["datasets", "schema"])
    assert listing["results"] == [] and listing["total"]["value"] == 14965 + 1003
    datasets = {v["name"]: v["count"] for v in listing["facets"]["datasets"]["values"]}
    assert datasets == {"us_ofac_sdn": 14965, "un_sc_sanctions": 1003}
    assert {v["name"] for v in listing["facets"]["schema"]["values"]} >= {"Person", "Organization", "Vessel"}
    ru_and_ua = search(countries=["ru", "ua"], filter_op="AND", limit=500)
    ru_or_ua = search(countries=["ru", "ua"], limit=0)
    assert 0 < ru_and_ua["total"]["value"] < ru_or_ua["total"]["value"]
    country_props = ("country", "nationality", "citizenship", "birthCountry", "jurisdiction", "mainCountry", "flag", "pastFlags")
    for row in ru_and_ua["results"]:
        assert {"ru", "ua"} <= {c for p in country_props for c in row["properties"].get(p, [])}
    by_caption = search(q="kim", sort="caption:asc", limit=20)["results"]
    assert [x["caption"].lower() for x in by_caption] == sorted(x["caption"].lower() for x in by_caption)
    page = search(q="kim", limit=5, offset=5)
    assert [x["id"] for x in page["results"]] == [x["id"] for x in kims["results"][5:10]]
    for bad in ({"limit": 10000}, {"offset": 9999}, {"limit": -1}, {"facets": "banana"},
                {"filter_op": "XOR"}, {"changed_since": "last week"}):
        assert client.get("/search/default", params={"q": "kim", **bad}).status_code == 422, bad
    r = client.get("/search/default", params={"q": "kim", "sort": "shoe_size"})
    assert r.status_code == 400 and r.json()["parameter"] == "sort"
    r = client.get("/search/default", params={"q": "kim", "countrie": "ru"})  # a typo is not ignored
    assert r.status_code == 400 and "'countrie'" in r.json()["detail"]
    assert search(q="kim", simple="true", fuzzy="false")["total"]["value"] == kims["total"]["value"]


def test_yente_reconcile_and_suggest(client: TestClient) -> None:
    import orjson

    r = client.post("/reconcile/default", data={"queries": orjson.dumps({"q0": {"query": 37473874}}).decode()})
    assert r.status_code == 400
    qs = {"q0": {"query": "Jong Song Hwa", "type": "Person", "properties": [{"pid": "Person:birthDate", "v": "1970"}]}}
    r = client.post("/reconcile/default", data={"queries": orjson.dumps(qs).decode()})
    assert r.status_code == 200 and r.json()["q0"]["result"][0]["id"] == JONG
    r = client.post("/reconcile/default?algorithm=regression-v1", data={"queries": orjson.dumps(qs).decode()})
    assert r.status_code == 400
    suggest = client.get("/reconcile/default/suggest/entity", params={"prefix": "vladimir put"}).json()
    assert suggest["result"][0]["id"] == PUTIN and suggest["prefix"] == "vladimir put"
    assert client.get("/reconcile/default/suggest/entity").json()["result"] == []
    props = [p["id"] for p in client.get("/reconcile/default/suggest/property", params={"prefix": "country"}).json()["result"]]
    assert "LegalEntity:mainCountry" in props and "Thing:country" in props
    assert client.get("/reconcile/default/suggest/property", params={"prefix": "banana"}).json()["result"] == []
    types = client.get("/reconcile/default/suggest/type", params={"prefix": "organ"}).json()["result"]
    assert [t["id"] for t in types] == ["Organization"]
    assert [t["id"] for t in client.get("/reconcile/default/suggest/type", params={"prefix": "compan"}).json()["result"]] == ["Company"]
    assert client.get("/reconcile/default/suggest/type").json()["result"] == []
    extend = {"ids": [JONG, "nope"], "properties": [{"id": "nationality"}, {"id": "Person:birthDate"}]}
    rows = client.post("/reconcile/default", data={"extend": orjson.dumps(extend).decode()}).json()["rows"]
    assert rows[JONG] == {"nationality": [{"str": "North Korea"}], "Person:birthDate": [{"str": "1970-02-05"}]}
    assert rows["nope"] == {}
    manifest = client.get("/reconcile/default").json()
    assert manifest["extend"]["propose_properties"]["service_path"] == "/extend/property"
    proposed = client.get("/reconcile/default/extend/property", params={"type": "Person"}).json()
    assert "nationality" in [p["id"] for p in proposed["properties"]]


def test_yente_entity_catalog_algorithms_updatez(client: TestClient) -> None:
    flat = client.get(f"/entities/{PUTIN}", params={"nested": "false"}).json()
    assert set(flat) == {"id", "caption", "schema", "properties", "datasets", "referents", "target",
                         "first_seen", "last_seen", "last_change"}
    full = client.get(f"/entities/{PUTIN}").json()
    assert "links" in full and full["first_seen"] == flat["first_seen"] and full["history"]
    assert client.get("/readyz").json() == {"status": "ok"}
    algos = client.get("/algorithms").json()
    assert algos["default"] == algos["best"] == "listguard"
    assert [a["name"] for a in algos["algorithms"]] == ["listguard"]
    assert "name_score" in algos["algorithms"][0]["features"]
    catalog = client.get("/catalog").json()
    assert all(d.get("index_current", True) for d in catalog["datasets"])
    assert client.post("/updatez", params={"token": "secret"}).status_code == 400
    r = client.post("/updatez", params={"sync": "false"})
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert client.get("/updatez", params={"verbose": "1"}).status_code == 400


def test_yente_dates_come_from_the_version_history(tmp_path: Path) -> None:
    """first_seen: the first version with the entity; last_change: the version that last
    changed it (also after its content went back: A, B, A); last_seen: the last one with it."""
    from listguard.model import Entity
    from listguard.sources.base import ParseResult

    store = Store(sqlite_url(tmp_path))

    def load(published: str, **births: str) -> None:
        entities = []
        for eid, birth in births.items():
            e = Entity(id=f"t:{eid}", schema="Person", dataset="t")
            e.add("name", f"{eid.upper()} Testperson")
            e.add("birthDate", birth)
            entities.append(e)
        store.load(ParseResult(dataset="t", entities=entities, published_at=published), "test")

    load("2024-01-01", a="1970", b="1980", c="1990", e="1960")
    load("2024-02-01", a="1970", b="1981", c="1991")
    load("2024-03-01", a="1970", b="1981", c="1990", d="2000")
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)
    with TestClient(app) as c:
        rows = {x["id"]: x for x in c.get("/search/default", params={"limit": 50}).json()["results"]}
        assert (rows["t:a"]["first_seen"], rows["t:a"]["last_change"], rows["t:a"]["last_seen"]) == (
            "2024-01-01T00:00:00", "2024-01-01T00:00:00", "2024-03-01T00:00:00")
        assert rows["t:b"]["last_change"] == "2024-02-01T00:00:00"
        assert rows["t:c"]["last_change"] == "2024-03-01T00:00:00"  # back to 1990: still a change
        assert rows["t:d"]["first_seen"] == "2024-03-01T00:00:00"
        changed = c.get("/search/default", params={"changed_since": "2024-02-15"}).json()["results"]
        assert sorted(x["id"] for x in changed) == ["t:c", "t:d"]
        ordered = c.get("/search/default", params={"sort": ["last_change:desc", "id"]}).json()["results"]
        assert [x["id"] for x in ordered] == ["t:c", "t:d", "t:b", "t:a"]
        gone = c.get("/entities/t:e").json()  # delisted after the first version: dates from its history
        assert gone["listed"] is False and gone["target"] is False
        assert (gone["first_seen"], gone["last_seen"]) == ("2024-01-01T00:00:00", "2024-01-01T00:00:00")
        assert c.get("/entities/t:e", params={"nested": "false"}).status_code == 404
    store.close()
