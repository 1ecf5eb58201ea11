"""FollowTheMoney JSON lines and OpenSanctions delta files: real samples, typed fixtures, bad files."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from listguard.model import Identifier, Link, Wallet
from listguard.sources import ftm
from listguard.sources.base import SourceError
from tests.conftest import FIXTURES, LISTS, require_shared

OS = LISTS / "opensanctions"
ZALA = OS / "yente_zala_entities.ftm.json"
T1 = OS / "yente_t1_entities.ftm.json"
DELTA1 = OS / "yente_t2_20240527194702_entities.delta.json"
DELTA2 = OS / "yente_t2_20240528014702_entities.delta.json"
MINI = FIXTURES / "ftm" / "mini.ftm.json"
MINI_DELTA = FIXTURES / "ftm" / "mini.delta.json"


def test_detect() -> None:
    require_shared()
    for path in (ZALA, T1, DELTA1, DELTA2, MINI, MINI_DELTA):
        assert ftm.detect(path), path
    assert not ftm.detect(LISTS / "us_csl" / "trade_gov_csl_consolidated_2022-05.csv.gz")
    assert not ftm.detect(LISTS / "au" / "dfat_regulation8_consolidated.xlsx")
    assert not ftm.detect(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")
    assert not ftm.detect(FIXTURES / "csl" / "csl_mini.csv")


def test_sample_counts() -> None:
    """Party entities in each sample; everything else is folded into them."""
    require_shared()
    zala = ftm.parse(ZALA)
    assert len(zala.entities) == 17  # Company 11 + Person 6 of 91 lines
    assert Counter(e.schema for e in zala.entities) == {"Company": 11, "Person": 6}
    assert zala.stats["adjacent_entities"] == 74
    t1 = ftm.parse(T1)
    assert Counter(e.schema for e in t1.entities) == {"Person": 4, "Organization": 2}
    assert t1.dataset == "eu_fsf"  # every entity names eu_fsf first
    d1 = ftm.parse(DELTA1)
    assert [e.schema for e in d1.entities] == ["Organization", "Person"]
    assert d1.stats["delta_add"] == 2
    d2 = ftm.parse(DELTA2)
    assert len(d2.entities) == 2
    assert d2.stats["delta_mod_unknown"] == 1  # it modifies an entity of the previous delta


def test_zala_dataset_is_named_after_the_file() -> None:
    require_shared()
    result = ftm.parse(ZALA)
    assert result.dataset == "yente_zala_entities"
    assert all(e.dataset == "yente_zala_entities" for e in result.entities)
    assert any("several datasets" in w for w in result.warnings)
    assert ftm.parse(ZALA, dataset="zala").dataset == "zala"


def test_maria_zakharova() -> None:
    require_shared()
    by_id = {e.id: e for e in ftm.parse(ZALA).entities}
    e = by_id["NK-2Tbri3s6GgNtAwsSXh4qpL"]  # id kept as given, no prefix
    assert e.schema == "Person"
    names = dict(e.names())
    assert names["Захарова Мария Александровна"] == "name"
    assert names["МАРИЯ АЛЕКСАНДРОВНА ЗАХАРОВА"] == "name"
    assert names["Mariya ZAKHAROVA"] == "name"
    assert names["Zakharova Mariia Oleksandrivna"] == "alias"
    assert names["Мария Александровна Захарова"] == "previousName"
    assert len(e.get("name")) == 12
    assert e.get("birthDate") == ["1988-01-07"]
    assert e.get("birthPlace") == ["Russia", "Izhevsk"]
    assert e.get("nationality") == ["ru"] and e.get("gender") == ["female"]
    assert e.get("innCode") == ["183116181362"]
    assert Identifier("innCode", "183116181362") in e.identifiers
    assert e.get("createdAt") == ["2025-02-13"]
    assert e.links == [Link("Family member of", "NK-aU5ybkbRFJucf8YMwsJvDw",
                            "Alexander Vyacheslavovich ZAKHAROV")]
    assert "addressEntity" not in e.properties  # references are folded, not kept
    assert e.record["entity"]["caption"] == "Maria Aleksandrovna Osetrova"
    assert [a["schema"] for a in e.record["adjacent"]] == ["Family"]


def test_zala_relations_fold_both_ways() -> None:
    require_shared()
    by_id = {e.id: e for e in ftm.parse(ZALA).entities}
    father = by_id["NK-aU5ybkbRFJucf8YMwsJvDw"]
    assert Link("Family member of", "NK-2Tbri3s6GgNtAwsSXh4qpL",
                "Maria Aleksandrovna Osetrova") in father.links
    cst = by_id["NK-abdzbEBkqyT29GyREbiURZ"]
    relations = {(link.relation, link.target) for link in cst.links}
    assert ("directed by (Leader or official of)", "NK-aU5ybkbRFJucf8YMwsJvDw") in relations
    assert ("owned by (subsidiary of)", "NK-nR5AXM9AVPq4pQaSPSaVam") in relations
    assert "Autonomous (Russia)" in cst.get("program")  # from an au_dfat Sanction
    assert "2023-02-24" in cst.get("createdAt")  # its startDate


def test_fixture_folding() -> None:
    result = ftm.parse(MINI)
    assert result.dataset == "test_list"
    jane, acme = result.entities
    assert (jane.id, jane.schema, acme.id, acme.schema) == ("p-jane", "Person", "c-acme", "Company")
    # Passport and Identification; the INN stays a taxNumber because the party says so
    assert jane.identifiers == [
        Identifier("passportNumber", "AB123456", "ru", "Foreign travel passport"),
        Identifier("taxNumber", "770100000001", "ru", "INN"),
    ]
    assert jane.get("passportNumber") == ["AB123456"]
    # Sanction: program and listingDate; Address via addressEntity
    assert jane.get("program") == ["Test programme"] and jane.get("createdAt") == ["2022-03-01"]
    assert jane.get("address") == ["1 Red Square, Moscow"] and jane.get("country") == ["ru"]
    assert acme.get("program") == ["Other programme"] and acme.get("createdAt") == ["2021-01-01"]
    assert acme.wallets == [Wallet("ETH", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c")]
    # Ownership on both sides; UnknownLink only on its subject; a director of an absent company
    assert jane.links == [Link("owns", "c-acme", "Acme Example LLC"),
                          Link("Chief executive", "c-elsewhere", None)]
    assert acme.links == [Link("owned by", "p-jane", "Jane Example"),
                          Link("business partner", "p-jane", "Jane Example")]
    assert Identifier("registrationNumber", "1027700000001") in acme.identifiers
    assert result.stats["unknown_property:Person.favouriteColour"] == 1
    assert result.stats["not_folded:Note"] == 1
    assert "favouriteColour" not in jane.properties
    assert jane.record["entity"]["properties"]["favouriteColour"] == ["green"]  # kept as written


def test_fixture_delta_applied_in_order() -> None:
    result = ftm.parse(MINI_DELTA)
    assert result.dataset == "test_delta"
    assert [e.id for e in result.entities] == ["p-1"]  # c-1 added then deleted
    (alpha,) = result.entities
    assert alpha.get("alias") == ["Alpha Prime"]  # MOD replaced the entity
    assert alpha.get("program") == ["Delta programme"]
    assert result.stats["delta_add"] == 3 and result.stats["delta_mod"] == 1
    assert result.stats["delta_del"] == 2 and result.stats["delta_del_unknown"] == 1
    assert any("p-gone" in w for w in result.warnings)


def test_gzipped(tmp_path: Path) -> None:
    path = tmp_path / "mini.ftm.json.gz"
    path.write_bytes(gzip.compress(MINI.read_bytes()))
    assert ftm.detect(path)
    assert [e.id for e in ftm.parse(path).entities] == ["p-jane", "c-acme"]


# -- bad files -------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "bad.ftm.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_json_line(tmp_path: Path) -> None:
    lines = MINI.read_text().splitlines()
    lines[2] = lines[2][:40]  # a line cut in the middle
    with pytest.raises(SourceError, match="invalid JSON") as err:
        ftm.parse(_write(tmp_path, "\n".join(lines)))
    assert err.value.where == "line 3"


def test_unknown_schema(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"id": "x1", "schema": "Spaceship", "properties": {}}\n')
    with pytest.raises(SourceError, match="unknown FtM schema 'Spaceship'") as err:
        ftm.parse(path)
    assert err.value.where == "line 1"


def test_missing_id_and_bad_properties(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="without an \"id\""):
        ftm.parse(_write(tmp_path, '{"schema": "Person", "properties": {}}\n'))
    with pytest.raises(SourceError, match="lists of strings"):
        ftm.parse(_write(tmp_path, '{"id": "a", "schema": "Person", "properties": {"name": "A"}}'))
    with pytest.raises(SourceError, match="expected a JSON object") as err:
        ftm.parse(_write(tmp_path, '{"id": "a", "schema": "Person", "properties": {}}\n[1, 2]\n'))
    assert err.value.where == "line 2"


def test_bad_delta_op(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"op": "UPSERT", "entity": {"id": "a", "schema": "Person"}}\n')
    with pytest.raises(SourceError, match="unknown delta op 'UPSERT'"):
        ftm.parse(path)
    path = _write(tmp_path, '{"op": "ADD", "entity": "a"}\n')
    with pytest.raises(SourceError, match="not an object"):
        ftm.parse(path)


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.ftm.json"
    path.write_bytes(MINI.read_bytes().replace("Джейн".encode(), "Jos\xe9".encode("latin-1")))
    with pytest.raises(SourceError, match="not valid UTF-8") as err:
        ftm.parse(path)
    assert err.value.where == "line 1"


def test_empty_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="empty"):
        ftm.parse(_write(tmp_path, ""))
    with pytest.raises(SourceError, match="no entities") as err:
        ftm.parse(_write(tmp_path, "\n\n  \n"))
    assert err.value.where == "line 1"


def test_truncated_gzip(tmp_path: Path) -> None:
    require_shared()
    path = tmp_path / "zala.ftm.json.gz"
    path.write_bytes(gzip.compress(ZALA.read_bytes())[:20_000])
    with pytest.raises(SourceError, match="truncated"):
        ftm.parse(path)
