"""Screening over a compiled index: retrieval, ranking, features, identifiers, explanations,
pickling, and the CLI commands.

The index is built from real list entries typed in by hand (their facts copied from OFAC SDN,
UN and DFAT), so the tests stay fast and need no parser.
"""

from __future__ import annotations

import csv
import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listguard.index import Index
from listguard.matching import DEFAULT_THRESHOLD, Hit, Query, Screener
from listguard.model import Entity


def person(
    id: str,
    names: list[str],
    birth: list[str] | None = None,
    nationality: str | None = None,
    passport: tuple[str, str] | None = None,
    weak: list[str] | None = None,
) -> Entity:
    e = Entity(id=id, schema="Person", dataset=id.split(":")[0])
    e.add("name", names[0])
    e.add("alias", names[1:])
    e.add("weakAlias", weak or [])
    e.add("birthDate", birth or [])
    if nationality:
        e.add("nationality", nationality)
    if passport:
        e.add_identifier("passportNumber", passport[0], passport[1])
    return e


def org(id: str, names: list[str], schema: str = "Organization", **ids: str) -> Entity:
    e = Entity(id=id, schema=schema, dataset=id.split(":")[0])
    e.add("name", names[0])
    e.add("alias", names[1:])
    for prop, value in ids.items():
        e.add_identifier(prop, value)
    return e


def build_entities() -> list[Entity]:
    ents = [
        person("us_ofac_sdn:24979", ["JONG, Song Hwa"], ["1970-02-05"], "kp", ("927220230", "kp")),
        person("us_ofac_sdn:22326", ["RI, Song-hyok", "LI, Cheng He"], ["1965-03-19"], None, ("654234735", "kp")),
        person("us_ofac_sdn:18848", ["KIM, Kwang Hyok"], ["1970-04-20"], "kp", ("654210025", "kp")),
        person("us_ofac_sdn:20157", ["KIM, Jong Un"], ["1984-01-08"]),
        person("us_ofac_sdn:35096", ["PUTIN, Vladimir Vladimirovich", "PUTIN, Vladimir"], ["1952-10-07"], "ru"),
        person("au_dfat_sanctions:6678", ["Vladimir Vladimirovich PUTIN"], ["1952-10-07"]),
        person("us_ofac_sdn:16692", ["SECHIN, Igor Ivanovich"], ["1960-09-07"], "ru"),
        person("us_ofac_sdn:34558", ["SECHIN, Ivan Igorevich"], ["1989-01-03"], "ru", ("722759197", "ru")),
        person("us_ofac_sdn:9760", ["LUKASHENKA, Alyaksandr Ryhorovich", "LUKASHENKO, Aleksandr Grigorevich"], ["1954-08-30"], "by"),
        person("us_ofac_sdn:9797", ["LUKASHENKA, Viktar Aliaksandravich"], ["1976"]),
        person(
            "us_ofac_sdn:6365",
            ["BIN LADIN, Usama bin Muhammad bin Awad", "BIN LADEN, Osama", "BIN LADIN, Osama"],
            ["1957-07-30", "1958"],
        ),
        person("us_ofac_sdn:7150", ["ABU AL-KHAYR, Ahmad"], ["1966"], "ly", weak=["'ABD AL-MUHSI"]),
        person("au_dfat_sanctions:2", ["MOHAMMAD HASSAN AKHUND", "محمد حسن أخوند"]),
        person("un_sc_sanctions:QDi.421", ["HAMZA USAMA MUHAMMAD BIN LADEN"], ["1989"]),
        person("us_ofac_sdn:29585", ["KARASAVIDI, Dmitrii", "KARASAVIDI, Dmitriy"]),
        org("us_ofac_sdn:6366", ["AL QA'IDA", "USAMA BIN LADEN ORGANIZATION", "ISLAMIC SALVATION FOUNDATION"]),
        org("us_ofac_sdn:16806", ["OOO VOLGA GROUP", "VOLGA GROUP HOLDING LIMITED LIABILITY COMPANY"], registrationNumber="1147746803049"),
        org("us_ofac_sdn:18286", ["OOO VEB KAPITAL"]),
        org("us_ofac_sdn:18287", ["OOO VEB INZHINIRING", "VEB ENGINEERING LIMITED LIABILITY COMPANY"]),
        org("us_ofac_sdn:906", ["HAVIN BANK LIMITED", "HAVANA INTERNATIONAL BANK, LTD"], swiftBic="HAVIGB2L"),
        org("us_ofac_sdn:32313", ["HEBEI ATUN TRADING CO., LTD.", "HBATUN"], schema="Company"),
        org("us_ofac_sdn:19582", ["SOUTH HILL 2"], schema="Vessel", imoNumber="8412467"),
        org("us_ofac_sdn:19584", ["SOUTH HILL 5"], schema="Vessel", imoNumber="9138680"),
        org("us_ofac_sdn:19594", ["RA NAM 2"], schema="Vessel", imoNumber="8625545"),
        org("us_ofac_sdn:19595", ["RA NAM 3"], schema="Vessel", imoNumber="9314650"),
    ]
    lazarus = org("us_ofac_sdn:27307", ["LAZARUS GROUP"])
    lazarus.add("weakAlias", "HIDDEN COBRA")
    lazarus.add_wallet("ETH", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")
    ents.append(lazarus)
    # a few bystanders so that common tokens are common
    for i, name in enumerate(["KIM, Chol", "KIM, Song Il", "RI, Chol Ho", "PAK, Song Hwa", "JONG, Myong Hak", "MOHAMMAD, Ali", "MOHAMMAD HASSAN, Ahmad"]):
        ents.append(person(f"test_list:{i}", [name]))
    return ents


@pytest.fixture(scope="module")
def index() -> Index:
    return Index.build(build_entities())


@pytest.fixture(scope="module")
def screener(index: Index) -> Screener:
    return Screener(index)


def top(screener: Screener, query: Query | str, **kw: object) -> Hit:
    hits = screener.screen(query, **kw)  # type: ignore[arg-type]
    assert hits, f"no hits for {query}"
    return hits[0]


def ids(hits: list[Hit], matched_only: bool = True) -> list[str]:
    return [h.entity_id for h in hits if h.match or not matched_only]


# --------------------------------------------------------------------------------- the index
def test_index_contract(index: Index) -> None:
    assert len(index) == len(build_entities())
    assert index.get("us_ofac_sdn:24979").caption == "JONG, Song Hwa"
    assert set(index.datasets) >= {"us_ofac_sdn", "un_sc_sanctions", "au_dfat_sanctions"}
    with pytest.raises(KeyError):
        index.get("nope:1")
    # raw records are dropped: screening never reads them
    assert index.get("us_ofac_sdn:24979").record == {}


def test_index_pickle_round_trip(index: Index) -> None:
    blob = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
    copy = pickle.loads(blob)
    assert isinstance(copy, Index) and len(copy) == len(index)
    assert copy.get("us_ofac_sdn:35096").caption == "PUTIN, Vladimir Vladimirovich"
    q = Query.from_name("Chong Song-hwa", schema="Person")
    a = [h.to_dict() for h in Screener(copy).screen(q)]
    b = [h.to_dict() for h in Screener(index).screen(q)]
    assert a == b and a


def test_build_reports_progress() -> None:
    seen: list[int] = []
    Index.build(build_entities(), progress=seen.append)
    assert seen and seen[-1] == len(build_entities())


# ------------------------------------------------------------------------------ variants
@pytest.mark.parametrize(
    "query,schema,expected",
    [
        ("Chong Song-hwa", "Person", "us_ofac_sdn:24979"),
        ("Jeong Songhwa", None, "us_ofac_sdn:24979"),
        ("Ri Song Hyeok", "Person", "us_ofac_sdn:22326"),
        ("Kim Kwang Hyeok", "Person", "us_ofac_sdn:18848"),
        ("Vladimir Putin", None, "us_ofac_sdn:35096"),
        ("Владимир Путин", None, "us_ofac_sdn:35096"),
        ("V. V. Putin", "Person", "us_ofac_sdn:35096"),
        ("김정은", "Person", "us_ofac_sdn:20157"),
        ("Kim Jong-un", "Person", "us_ofac_sdn:20157"),
        ("Alexander Lukashenko", "Person", "us_ofac_sdn:9760"),
        ("Dmitry Karasavidi", "Person", "us_ofac_sdn:29585"),
        ("Osama bin Laden", "Person", "us_ofac_sdn:6365"),
        ("Ig0r Sech1n", "Person", "us_ofac_sdn:16692"),
        ("Igor Setchin", "Person", "us_ofac_sdn:16692"),
        ("محمد حسن أخوند", "Person", "au_dfat_sanctions:2"),
        ("Mohammed Hasan Akhund", "Person", "au_dfat_sanctions:2"),
        ("Volga Group LLC", "Company", "us_ofac_sdn:16806"),
        ("Hebei Atun Trading Company Limited", "Company", "us_ofac_sdn:32313"),
        ("Havana Intl Bank Ltd", None, "us_ofac_sdn:906"),
        ("MV South Hill 5", "Vessel", "us_ofac_sdn:19584"),
    ],
)
def test_variants_are_found_and_matched(screener: Screener, query: str, schema: str | None, expected: str) -> None:
    hit = top(screener, Query.from_name(query, schema=schema))
    assert hit.entity_id == expected, hit.explanation.summary
    assert hit.match, hit.explanation.summary


def test_non_matches(screener: Screener) -> None:
    # a sister ship is a hit candidate at most, never a match, and ranks below the right one
    hits = screener.screen(Query.from_name("SOUTH HILL 2", schema="Vessel"))
    assert ids(hits) == ["us_ofac_sdn:19582"]
    assert "us_ofac_sdn:19595" not in ids(screener.screen(Query.from_name("RA NAM 2", schema="Vessel")))
    # a sister company
    assert ids(screener.screen(Query.from_name("OOO VEB KAPITAL", schema="Company"))) == ["us_ofac_sdn:18286"]
    # the son is not the father
    hits = screener.screen(Query.from_name("Igor Sechin", schema="Person"))
    assert ids(hits) == ["us_ofac_sdn:16692"]
    # a different surname
    assert not ids(screener.screen(Query.from_name("Igor Ivanovich Sorokin", schema="Person")))
    # a person is not the organisation named after him ...
    hits = screener.screen(Query.from_name("Usama bin Laden", schema="Person"))
    assert "us_ofac_sdn:6366" not in [h.entity_id for h in hits]
    # ... nor the other way round
    hits = screener.screen(Query.from_name("Usama bin Laden Organization", schema="Organization"))
    assert top(screener, Query.from_name("Usama bin Laden Organization", schema="Organization")).entity_id == "us_ofac_sdn:6366"
    assert "us_ofac_sdn:6365" not in [h.entity_id for h in hits]
    # unrelated names: nothing matches
    for name in ("Maria Fernanda Castillo", "Acme Widgets GmbH", "Jean-Pierre Dubois"):
        assert not ids(screener.screen(name)), name


def test_weak_alias_scores_lower(screener: Screener) -> None:
    hit = top(screener, Query.from_name("Abd al-Muhsi", schema="Person"))
    assert hit.entity_id == "us_ofac_sdn:7150"
    assert hit.explanation.name is not None and hit.explanation.name.kind == "weakAlias"
    assert hit.score < 1.0
    assert any(f.feature == "weak_alias" and f.effect < 0 for f in hit.explanation.features)


def test_datasets_filter(screener: Screener) -> None:
    q = Query.from_name("Vladimir Putin", datasets=["au_dfat_sanctions"])
    assert {h.datasets[0] for h in screener.screen(q)} == {"au_dfat_sanctions"}


# ------------------------------------------------------------------------------ features
def test_birth_date_and_country_move_the_score(screener: Screener) -> None:
    base = top(screener, Query.from_name("Kim Kwang Hyeok", schema="Person"))
    same = top(screener, Query.from_name("Kim Kwang Hyeok", schema="Person", birth_dates=["1970"], countries=["North Korea"]))
    other = top(screener, Query.from_name("Kim Kwang Hyeok", schema="Person", birth_dates=["1991-05-01"], countries=["de"]))
    assert same.entity_id == base.entity_id == other.entity_id == "us_ofac_sdn:18848"
    assert other.score < base.score <= same.score
    feats = {f.feature: f for f in same.explanation.features}
    assert feats["birth_date"].effect > 0 and "1970-04-20" in feats["birth_date"].detail
    assert feats["country"].effect > 0
    feats = {f.feature: f for f in other.explanation.features}
    assert feats["birth_date"].effect < 0 and feats["country"].effect < 0
    # a birth date far off takes a borderline name below the threshold
    assert not top(screener, Query.from_name("Kim Kwang Hyeok", schema="Person", birth_dates=["1991"])).match or (
        other.score < base.score
    )


def test_strong_identifiers_are_hits_on_their_own(screener: Screener) -> None:
    # IMO number, whatever the name says
    hit = top(screener, Query(names=["Some Tanker"], schema="Vessel", identifiers=["IMO 9138680"]))
    assert hit.entity_id == "us_ofac_sdn:19584" and hit.match
    assert any(f.feature == "identifier" for f in hit.explanation.features)
    # digital currency address
    hit = top(screener, Query(names=["unknown"], identifiers=["0x098b716b8aaf21512996dc57eb0615e2383e2f96"]))
    assert hit.entity_id == "us_ofac_sdn:27307" and hit.match
    # BIC
    hit = top(screener, Query(names=["HB London"], identifiers=["HAVIGB2L"]))
    assert hit.entity_id == "us_ofac_sdn:906" and hit.match
    # passport with the issuing country confirmed: a hit; without it, strong evidence only
    with_country = top(screener, Query(names=["J. S. H."], schema="Person", identifiers=["927220230"], countries=["kp"]))
    assert with_country.entity_id == "us_ofac_sdn:24979" and with_country.match
    without = screener.screen(Query(names=["Someone Else"], schema="Person", identifiers=["927220230"]))
    assert all(not h.match for h in without if h.entity_id == "us_ofac_sdn:24979")


def test_passport_raises_a_fuzzy_name(screener: Screener) -> None:
    plain = top(screener, Query.from_name("Chong Songhwa", schema="Person"))
    with_id = top(screener, Query.from_name("Chong Songhwa", schema="Person", identifiers=["927220230"]))
    assert with_id.entity_id == plain.entity_id == "us_ofac_sdn:24979"
    assert with_id.score >= plain.score


# --------------------------------------------------------------------------- hits & output
def test_hit_contract_and_explanation(screener: Screener) -> None:
    hits = screener.screen(
        Query.from_name("Chong Song-hwa", schema="Person", birth_dates=["1970"], countries=["kp"]), limit=3
    )
    assert 1 <= len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    hit = hits[0]
    data = hit.to_dict()
    assert set(data) == {"entity_id", "score", "match", "caption", "schema", "matched_name", "datasets", "explanation"}
    assert data["entity_id"] == "us_ofac_sdn:24979" and data["match"] is True
    assert data["score"] == round(data["score"], 3) and 0 <= data["score"] <= 1
    assert data["datasets"] == ["us_ofac_sdn"] and data["matched_name"] == "JONG, Song Hwa"
    expl = data["explanation"]
    assert set(expl) == {"summary", "name", "features"}
    assert expl["name"]["kind"] == "name" and expl["name"]["query"] == "Chong Song-hwa"
    pairs = {(a["query"], a["matched"]): a["how"] for a in expl["name"]["alignment"]}
    assert pairs[("chong", "jong")] in ("variant", "romanisation")
    assert {f["feature"] for f in expl["features"]} >= {"birth_date", "country"}
    # one readable sentence that says what matched and what the facts did
    assert "JONG, Song Hwa" in expl["summary"] and "1970" in expl["summary"] and "chong~jong" in expl["summary"]
    json.dumps(data)


def test_threshold_and_limit(screener: Screener) -> None:
    q = Query.from_name("Kim Song Hwa", schema="Person")
    strict = screener.screen(q, threshold=0.99, limit=10)
    assert all(not h.match for h in strict if h.score < 0.99)
    assert len(screener.screen(q, limit=1)) <= 1


def test_screen_many_keeps_order(screener: Screener) -> None:
    queries = [Query.from_name(n) for n in ("Vladimir Putin", "Chong Song-hwa", "nobody at all", "Volga Group LLC")] * 3
    out = screener.screen_many(queries, limit=2)
    assert len(out) == len(queries)
    assert out[0][0].entity_id == "us_ofac_sdn:35096" and out[1][0].entity_id == "us_ofac_sdn:24979"
    assert not [h for h in out[2] if h.match]
    forked = screener.screen_many(queries, limit=2, workers=2, chunk=2)
    assert [[h.to_dict() for h in hs] for hs in forked] == [[h.to_dict() for h in hs] for hs in out]


def test_query_normalises_input() -> None:
    q = Query(names=["  Vladimir   Putin "], schema="person", countries=["Russia", "RU", "Korea, North"])
    assert q.names == ["Vladimir Putin"] and q.schema == "Person" and q.countries == ["ru", "kp"]
    with pytest.raises(ValueError):
        Query(names=["x"], schema="Planet")


# ----------------------------------------------------------------------------------- CLI
@pytest.fixture
def loaded_home(home: Path) -> Path:
    from listguard.sources.base import ParseResult
    from listguard.store import open_store

    store = open_store()
    store.load(ParseResult("test_lists", build_entities()), "tests")
    return home


def test_cli_screen_json_and_cache(loaded_home: Path) -> None:
    from listguard.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["screen", "Chong Song-hwa", "--schema", "Person", "--birth-date", "1970", "--country", "kp", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["hits"][0]["entity_id"] == "us_ofac_sdn:24979" and data["hits"][0]["match"] is True
    assert list((loaded_home / "index").glob("index-*.pickle")), "the index is cached on disk"
    # second run reads the cache; the table output names the listed party
    result = runner.invoke(app, ["screen", "Vladimir Putin", "--limit", "2"])
    assert result.exit_code == 0 and "PUTIN" in result.stdout
    result = runner.invoke(app, ["screen", "x", "--dataset", "no_such_list"])
    assert result.exit_code != 0


def test_cli_screen_file_and_compare(loaded_home: Path, tmp_path: Path) -> None:
    from listguard.cli import app

    src = tmp_path / "in.csv"
    src.write_text(
        "id,name,schema,birth_date,country,identifier\n"
        "c1,Chong Song-hwa,Person,1970,kp,\n"
        "c2,Acme Widgets GmbH,Company,,,\n"
        "c3,Some Tanker,Vessel,,,IMO 9138680\n"
        "c4,Vladimir Putin,,,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["screen-file", str(src), "-o", str(out), "--limit", "2", "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["c1", "c2", "c3", "c4"]
    assert rows[0]["hits"][0]["entity_id"] == "us_ofac_sdn:24979" and rows[0]["hits"][0]["match"]
    assert not [h for h in rows[1]["hits"] if h["match"]]
    assert rows[2]["hits"][0]["entity_id"] == "us_ofac_sdn:19584"
    assert len(rows[3]["hits"]) <= 2
    assert set(rows[0]["hits"][0]) >= {"entity_id", "score", "match", "caption", "matched_name", "datasets", "explanation"}

    pairs = tmp_path / "pairs.csv"
    pairs.write_text("schema,name1,name2,is_match\nPerson,Chong Song-hwa,\"JONG, Song Hwa\",true\nVessel,SOUTH HILL 5,SOUTH HILL 2,false\n")
    scored = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["compare", str(pairs), "-o", str(scored)])
    assert result.exit_code == 0, result.output
    rows2 = list(csv.DictReader(scored.open()))
    assert [r["match"] for r in rows2] == ["true", "false"] and rows2[0]["is_match"] == "true"
    assert float(rows2[0]["score"]) >= DEFAULT_THRESHOLD > float(rows2[1]["score"])


def test_cli_screen_file_is_the_batch_job(loaded_home: Path, tmp_path: Path) -> None:
    """The production options reach the command: --map, CSV output, --report, bad rows
    reported (not fatal), the run audited, --resume refused without an output file."""
    from listguard import audit
    from listguard.cli import app
    from listguard.store import open_store

    src = tmp_path / "crm.csv"
    src.write_text(
        "customer_no;full_name;dob;kind\n"
        "K1;Chong Song-hwa;1970;Person\n"
        "K2;;;Person\n"
        "K3;Margaret Thornbury;1981-02-30;Person\n",
        encoding="utf-8",
    )
    out = tmp_path / "hits.csv"
    report = tmp_path / "report.html"
    args = ["screen-file", str(src), "--map", "id=customer_no,name=full_name,birth_date=dob,schema=kind"]
    result = CliRunner().invoke(app, [*args, "-o", str(out), "--report", str(report), "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))  # one row per hit, input order
    assert list(dict.fromkeys(r["id"] for r in rows)) == ["K1", "K2", "K3"]
    assert rows[0]["entity_id"] == "us_ofac_sdn:24979" and rows[0]["match"] == "True" and rows[0]["rank"] == "1"
    k2, k3 = [r for r in rows if r["id"] == "K2"], [r for r in rows if r["id"] == "K3"]
    assert len(k2) == 1 and k2[0]["error"] == "name is empty" and k2[0]["entity_id"] == ""
    assert len(k3) == 1 and k3[0]["entity_id"] == "" and k3[0]["error"] == ""
    html = report.read_text(encoding="utf-8")
    assert "us_ofac_sdn:24979" in html and "name is empty" in html
    entry = audit.entries(open_store().engine, action="screen_file", limit=1)[0]
    assert entry.details["rows"] == 3 and entry.details["rejected"] == 1 and entry.details["rows_with_match"] == 1
    result = CliRunner().invoke(app, [*args, "--resume"])
    assert result.exit_code != 0 and "-o FILE" in result.output


def test_cli_help_has_examples() -> None:
    from listguard.cli import app

    for cmd in ("screen", "screen-file", "compare"):
        result = CliRunner().invoke(app, [cmd, "--help"])
        assert result.exit_code == 0 and "Example" in result.stdout, cmd


def test_index_cache_is_not_reused_for_another_database_with_the_same_version_ids(home: Path) -> None:
    """A store deleted and loaded again reuses version ids: the cached index of the old one
    must not be served (it would screen against lists that are no longer loaded)."""
    from listguard.cli import app
    from listguard.sources.base import ParseResult
    from listguard.store import open_store

    store = open_store()
    store.load(ParseResult("test_lists", build_entities()), "tests")
    first_ids = [v.id for v in store.current_versions()]
    store.close()
    runner = CliRunner()
    result = runner.invoke(app, ["screen", "Vladimir Putin", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"], "the first store lists Putin"
    for path in home.glob("listguard.db*"):
        path.unlink()
    other = Entity(id="other_list:1", schema="Person", dataset="other_list")
    other.add("name", "Margaret Thornbury")
    store = open_store()
    store.load(ParseResult("other_list", [other]), "tests")
    assert [v.id for v in store.current_versions()] == first_ids, "the new database reuses the version id"
    store.close()
    result = runner.invoke(app, ["screen", "Vladimir Putin", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"] == []
    result = runner.invoke(app, ["screen", "Margaret Thornbury", "--json"])
    assert [h["entity_id"] for h in json.loads(result.stdout)["hits"]] == ["other_list:1"]
