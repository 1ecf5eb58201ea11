"""FollowTheMoney export: valid FtM out, nothing dropped silently, and a lossless round trip."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from followthemoney import model
from followthemoney.types import registry

from listguard.export import ExportReport, ftm_id, iter_ftm
from listguard.model import Entity, Identifier, Link
from listguard.sources import csl, dfat, ftm
from listguard.sources.base import ParseResult
from tests.conftest import FIXTURES, LISTS, require_shared

DFAT = LISTS / "au" / "dfat_regulation8_consolidated.xlsx"
CSL = LISTS / "us_csl" / "trade_gov_csl_consolidated_2022-05.csv.gz"
FTM_ID = re.compile(model.get("Sanction").get("entity").type.REGEX_RAW)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def dfat_result() -> ParseResult:
    require_shared()
    return dfat.parse(DFAT)


def write_lines(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(i) + b"\n" for i in items))
    return path


def assert_valid_ftm(items: list[dict[str, Any]]) -> None:
    """Every entity re-cleans to itself, has a valid id, and its references resolve."""
    ids = {i["id"] for i in items}
    assert len(ids) == len(items), "duplicate ids in the export"
    for item in items:
        assert FTM_ID.match(item["id"]), item["id"]
        proxy = model.get_proxy(item, cleaned=False)
        assert proxy.to_dict()["properties"] == item["properties"], item["id"]
        for prop in proxy.iterprops():
            if prop.type.name == "entity" and prop.name != "object":
                for ref in proxy.get(prop):
                    assert ref in ids, (item["id"], prop.name, ref)


def test_ftm_id() -> None:
    assert ftm_id("au_dfat_sanctions:3") == "au-dfat-sanctions.3"
    assert ftm_id("us_trade_csl:sdn-34616") == "us-trade-csl.sdn-34616"
    assert ftm_id("NK-2Tbri3s6GgNtAwsSXh4qpL") == "NK-2Tbri3s6GgNtAwsSXh4qpL"
    odd = ftm_id("gb_fcdo_sanctions:RUS/0001 a")
    assert FTM_ID.match(odd) and odd.startswith("gb-fcdo-sanctions.RUS-0001-a-")
    assert odd != ftm_id("gb_fcdo_sanctions:RUS-0001-a")


def test_dfat_export_is_valid_and_deterministic(dfat_result: ParseResult) -> None:
    report = ExportReport()
    items = list(iter_ftm(dfat_result.entities, report))
    assert_valid_ftm(items)
    assert report.entities == 3062
    assert report.dropped == {} and report.mapped == {}
    # FtM rewrote only: IMO numbers (prefix), wrapping quotes of 4 names, soft hyphens in notes,
    # address punctuation
    assert set(report.changed) <= {"Organization.imoNumber", "Organization.alias",
                                   "Person.notes", "Organization.notes", "Person.address",
                                   "Organization.address", "Person.alias"}
    schemata = {s: sum(1 for i in items if i["schema"] == s) for s in {i["schema"] for i in items}}
    assert schemata["Sanction"] == 3062
    assert schemata["Person"] == 2316 and schemata["Organization"] == 746
    assert schemata["Passport"] == dfat_result.stats["identifiers:passportNumber"]
    assert items == list(iter_ftm(dfat_result.entities))  # same input, same output


def test_dfat_party_and_adjacent_entities(dfat_result: ParseResult) -> None:
    umarov = next(e for e in dfat_result.entities if e.id == "au_dfat_sanctions:1241")
    items = list(iter_ftm([umarov]))
    party, passport, sanction = items
    assert party["id"] == "au-dfat-sanctions.1241"
    assert party["listguard_id"] == "au_dfat_sanctions:1241"
    assert party["datasets"] == ["au_dfat_sanctions"]
    assert party["properties"]["alias"][0] == "Умаров Доку Хаматович"
    assert passport["schema"] == "Passport"
    assert passport["id"].startswith("au-dfat-sanctions.1241-passport-")
    assert passport["properties"] == {"holder": ["au-dfat-sanctions.1241"],
                                      "number": ["96 03 464086"], "country": ["ru"],
                                      "type": ["passport number"]}
    assert sanction == {
        "id": "au-dfat-sanctions.1241-sanction", "schema": "Sanction", "datasets": ["au_dfat_sanctions"],
        "properties": {"entity": ["au-dfat-sanctions.1241"],
                       "authority": ["Department of Foreign Affairs and Trade (Australia)"],
                       "program": ["1267/1989/2253 (ISIL (Da'esh) and Al-Qaida)"],
                       "listingDate": ["2011-03-10"]},
    }  # fmt: skip


def _ident_key(i: Identifier) -> tuple[str, str, str | None, str | None]:
    # FtM writes IMO numbers canonically ("IMO5987860"); that is its only change to numbers
    return (i.type, re.sub(r"^IMO", "", i.number), i.country, i.note)


def test_dfat_round_trip(dfat_result: ParseResult, tmp_path: Path) -> None:
    """DFAT → FtM → sources/ftm.py gives back the same ids, names, dates and identifiers."""
    path = write_lines(tmp_path / "dfat.ftm.json", list(iter_ftm(dfat_result.entities)))
    back = ftm.parse(path)
    assert back.dataset == "au_dfat_sanctions"
    assert [e.id for e in back.entities] == [e.id for e in dfat_result.entities]
    original = {e.id: e for e in dfat_result.entities}
    for e in back.entities:
        o = original[e.id]
        assert e.schema == o.schema
        for prop in ("name", "alias", "previousName"):
            # FtM's name cleaning strips wrapping quotes ('"The Base"' → 'The Base'), nothing else
            assert e.get(prop) == [registry.name.clean(v) for v in o.get(prop)], (e.id, prop)
        for prop in ("birthDate", "birthPlace", "nationality", "country", "program", "createdAt",
                     "modifiedAt", "gender"):
            assert e.get(prop) == o.get(prop), (e.id, prop)
        assert [_ident_key(i) for i in e.identifiers] == [_ident_key(i) for i in o.identifiers]
    assert "adjacent_without_party:Sanction" not in back.stats


@pytest.mark.slow
def test_csl_round_trip(tmp_path: Path) -> None:
    """The CSL has what DFAT lacks: wallets, resolved links, vessels and aircraft."""
    require_shared()
    result = csl.parse(CSL)
    report = ExportReport()
    items = list(iter_ftm(result.entities, report))
    assert_valid_ftm(items)
    # what FtM cannot hold is reported, by kind
    assert report.dropped["link: no target entity"] == 2  # "MINISTRY OF STATE SECURITY"
    assert report.dropped["Person.phone: invalid phone"] == 16  # "9647718635788": no "+"
    back = {e.id: e for e in ftm.parse(write_lines(tmp_path / "csl.ftm.json", items)).entities}
    assert len(back) == len(result.entities)
    for o in result.entities:
        e = back[o.id]
        assert e.schema == o.schema
        assert e.get("name") == [registry.name.clean(v) for v in o.get("name")]
        assert e.get("birthDate") == o.get("birthDate")
        assert e.wallets == o.wallets
        assert [(l.relation, l.target) for l in e.links] == [
            (l.relation, l.target) for l in o.links if l.target]
        # contact details and vehicle numbers carry no Identification entity: only the label
        # ("Website", "MMSI") is implied by the property instead of written. FtM canonicalises
        # URLs, e-mail domains and IMO numbers; phone numbers without "+" it refuses (reported).
        got = {(i.type, _norm_number(i.type, i.number)) for i in e.identifiers}
        want = {(i.type, _norm_number(i.type, i.number)) for i in o.identifiers
                if _ftm_accepts(o, i)}
        assert want <= got, (o.id, want - got)
    assert report.dropped["Vessel.imoNumber: invalid identifier"] == 1  # "IMO 15411"
    assert report.changed["Vessel.imoNumber"] == 430  # "8898831" → "IMO8898831"
    assert report.changed["Organization.swiftBic"] > 0  # BIC11 → BIC8


def _ftm_accepts(entity: Entity, ident: Identifier) -> bool:
    prop = model.get(entity.schema).get(ident.type)  # type: ignore[union-attr]
    return prop is not None and prop.type.clean_text(ident.number, format=prop.format) is not None


def _norm_number(kind: str, number: str) -> str:
    number = re.sub(r"^(https?://)?(www\.)?", "", number.lower())
    number = re.sub(r"[^0-9a-z@.]", "", re.sub(r"^imo", "", number)).rstrip(".")
    return number[:8] if kind == "swiftBic" else number  # FtM keeps BIC8, drops the branch


def test_report_maps_and_drops_instead_of_silence() -> None:
    org = Entity("x:1", "Organization", "test_ds")
    org.add("name", "Example Org")
    org.add("nationality", "ru")  # Organization has no nationality: becomes country
    org.add("passportNumber", "P123")  # → idNumber
    org.add("gender", "male")  # no home in Organization
    org.add("phone", "12")  # FtM refuses it
    org.add("createdAt", "2020-05-01")
    org.add_link("linked to", target_name="Somebody unresolved")
    org.add_link("linked to", target="x:2")
    org.add_wallet("XBT", "1Fz29BQp82pE3vXXcsZoMNQ3KSHfMzfMe3")
    vessel = Entity("x:2", "Vessel", "test_ds")
    vessel.add("name", "SEA EXAMPLE")
    vessel.add_identifier("imoNumber", "9876543", "pa", "IMO")
    report = ExportReport()
    items = list(iter_ftm([org, vessel], report))
    party = items[0]
    assert party["properties"]["country"] == ["ru"]
    assert party["properties"]["idNumber"] == ["P123"]
    assert "gender" not in party["properties"] and "phone" not in party["properties"]
    assert report.mapped == {"Organization.nationality->country": 1,
                             "Organization.passportNumber->idNumber": 1}
    assert report.dropped == {"Organization.gender: not in schema": 1,
                              "Organization.phone: invalid phone": 1,
                              "link: no target entity": 1,
                              "Vessel.identifier country": 1}
    assert len(report.warnings) == 4
    wallet = next(i for i in items if i["schema"] == "CryptoWallet")
    assert wallet["properties"] == {"holder": ["x.1"], "publicKey": [
        "1Fz29BQp82pE3vXXcsZoMNQ3KSHfMzfMe3"], "currencySymbol": ["XBT"], "currency": ["XBT"]}
    link = next(i for i in items if i["schema"] == "UnknownLink")
    assert link["properties"] == {"subject": ["x.1"], "object": ["x.2"], "role": ["linked to"]}
    assert_valid_ftm(items)
    # and back: the link points at the listguard id again
    by_id = {e.id: e for e in _reimport(items)}
    assert by_id["x:1"].links == [Link("linked to", "x:2", "SEA EXAMPLE")]
    assert by_id["x:1"].get("createdAt") == ["2020-05-01"]
    assert by_id["x:2"].get("imoNumber") == ["IMO9876543"]


def _reimport(items: list[dict[str, Any]]) -> list[Entity]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return ftm.parse(write_lines(Path(tmp) / "x.ftm.json", items)).entities


def test_ftm_import_export_is_stable() -> None:
    """An FtM file read and written again keeps its own ids and its folded content."""
    first = ftm.parse(FIXTURES / "ftm" / "mini.ftm.json").entities
    items = list(iter_ftm(first))
    assert_valid_ftm([i for i in items if i["schema"] != "UnknownLink"])
    second = {e.id: e for e in _reimport(items)}
    for e in first:
        again = second[e.id]
        assert again.names() == e.names()
        assert again.identifiers == e.identifiers
        assert again.wallets == e.wallets
        assert again.get("program") == e.get("program")
