"""US Consolidated Screening List: the real 2022-05 file, a typed fixture, and broken files."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from listguard.model import Entity, Identifier, Link, Wallet
from listguard.sources import csl
from listguard.sources.base import ParseResult, SourceError
from tests.conftest import FIXTURES, LISTS, require_shared

CSL = LISTS / "us_csl" / "trade_gov_csl_consolidated_2022-05.csv.gz"
MINI = FIXTURES / "csl" / "csl_mini.csv"


@pytest.fixture(scope="module")
def parsed() -> ParseResult:
    require_shared()
    return csl.parse(CSL)


@pytest.fixture(scope="module")
def by_id(parsed: ParseResult) -> dict[str, Entity]:
    return {e.id: e for e in parsed.entities}


def by_source_dup(parsed: ParseResult) -> dict[str, int]:
    return {"duplicates": sum(len(e.record.get("duplicates", [])) for e in parsed.entities)}


# -- the real list ---------------------------------------------------------------------------


def test_detect() -> None:
    require_shared()
    assert csl.detect(CSL)
    assert csl.detect(MINI)
    assert not csl.detect(LISTS / "au" / "dfat_regulation8_consolidated.xlsx")
    assert not csl.detect(LISTS / "ofac" / "sdn_latest" / "sdn.csv")
    assert not csl.detect(LISTS / "opensanctions" / "yente_t1_entities.ftm.json")
    assert not csl.detect(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")


def test_counts_and_id_collisions(parsed: ParseResult) -> None:
    """14,160 rows, 14,048 distinct ``_id``s: 70 OFAC entity numbers sit on several Treasury
    lists (181 rows), and CAPTA lists ``_id`` 15268 twice (the copies differ only in
    source_list_url). Ids are ``<list code>-<_id>``, so the only merge is that CAPTA pair."""
    assert parsed.dataset == "us_trade_csl"
    assert parsed.stats["rows"] == 14160
    assert parsed.stats["duplicate_rows"] == 1
    assert len(parsed.entities) == 14159
    ids = [e.id for e in parsed.entities]
    assert len(set(ids)) == len(ids)
    raw_ids = Counter(e.record["_id"] for e in parsed.entities)
    shared = {k: v for k, v in raw_ids.items() if v > 1}
    assert len(shared) == 70 and sum(shared.values()) == 181
    assert len(raw_ids) == 14048 and sum(raw_ids.values()) == 14159
    assert by_source_dup(parsed) == {"duplicates": 1}
    assert Counter(e.id.split(":")[1].rsplit("-", 1)[0] for e in parsed.entities) == {
        "sdn": 10026, "el": 2001, "dtc": 727, "dpl": 462, "ssi": 290, "uvl": 201, "isn": 163,
        "plc": 78, "meu": 71, "cmic": 68, "cap": 52, "ns-mbs-list": 17, "fse": 3,
    }  # fmt: skip
    assert Counter(e.schema for e in parsed.entities) == {
        "Person": 5286, "Organization": 4532, "LegalEntity": 3625, "Vessel": 433, "Airplane": 283,
    }  # fmt: skip
    assert parsed.published_at is None  # the CSV does not say
    assert parsed.stats["untyped_rows:el"] == 2001


def test_sdn_individual_field_by_field(by_id: dict[str, Entity]) -> None:
    e = by_id["us_trade_csl:sdn-34438"]
    assert e.schema == "Person"
    assert e.get("name") == ["'ALAMAH, Jihad Salim"]
    assert e.get("alias") == ["ALAME, Jihad Salem"]
    assert e.get("birthDate") == ["1956-07-02"]
    assert e.get("nationality") == ["lb"]
    assert e.get("country") == ["lb"]  # addresses: "LB"
    assert "address" not in e.properties  # a bare country code is not an address
    assert e.get("gender") == ["male"]
    assert e.get("program") == ["SDGT", "Specially Designated Nationals (SDN) - Treasury Department"]
    assert e.identifiers == [
        Identifier("idNumber", "3864865468", "lb", "Identification Number"),
        Identifier("passportNumber", "LR0162690", "lb", "Passport"),
    ]
    assert e.links == [Link("linked to", "us_trade_csl:sdn-4697", "HIZBALLAH")]
    assert by_id["us_trade_csl:sdn-4697"].get("name") == ["HIZBALLAH"]
    assert e.record["ids"].startswith("LB, 3864865468, Identification Number; LB, LR0162690")
    assert e.record["source"] == "Specially Designated Nationals (SDN) - Treasury Department"


def test_same_party_on_three_lists(by_id: dict[str, Entity]) -> None:
    sdn, ssi, cap = (by_id[f"us_trade_csl:{c}-18725"] for c in ("sdn", "ssi", "cap"))
    assert sdn.get("name") == ssi.get("name") == cap.get("name") == ["BANCO VTB AFRICA SA"]
    assert "Capta List (CAP) - Treasury Department" in cap.get("program")
    assert sdn.get("swiftBic") == ["VTBLAOLU"]
    assert sdn.get("website") == ["www.vtb.ao"]


def test_vessel_aircraft_wallets(by_id: dict[str, Entity]) -> None:
    vessel = by_id["us_trade_csl:sdn-23156"]
    assert vessel.schema == "Vessel"
    assert vessel.get("flag") == ["kp"]
    assert vessel.get("imoNumber") == ["8898831"]
    assert vessel.links == [Link("linked to", "us_trade_csl:sdn-23149", "YUSONG SHIPPING CO")]
    plane = by_id["us_trade_csl:sdn-15445"]
    assert plane.schema == "Airplane"
    assert plane.get("model") == ["A300B4-605R"]
    assert plane.get("buildDate") == ["1988-05-17"]  # "17 May 1988, Aircraft Manufacture Date"
    wallets = by_id["us_trade_csl:sdn-29703"].wallets
    assert Wallet("XBT", "1Fz29BQp82pE3vXXcsZoMNQ3KSHfMzfMe3") in wallets
    assert Wallet("ETH", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c") in wallets
    assert len(wallets) == 17


def test_linked_to_resolution(parsed: ParseResult, by_id: dict[str, Entity]) -> None:
    # a CAPTA entry linked to Sberbank, which is on SDN/SSI/NS-MBS with one _id: resolved to SDN
    assert by_id["us_trade_csl:cap-34616"].links == [
        Link("linked to", "us_trade_csl:sdn-17018", "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA")
    ]
    # two different "MINISTRY OF STATE SECURITY" entries (DPRK, LPR): left unresolved
    assert by_id["us_trade_csl:sdn-20130"].links == [
        Link("linked to", None, "MINISTRY OF STATE SECURITY")
    ]
    assert parsed.stats["links_unresolved"] == 2
    assert parsed.stats["links_resolved"] > 4300


def test_untyped_and_repaired(by_id: dict[str, Entity], parsed: ParseResult) -> None:
    meu = by_id["us_trade_csl:meu-a0370b407aeb2a264477376bad653c57a2a8a94c"]
    assert meu.schema == "LegalEntity"
    assert meu.get("name") == ["CAST Xi’an Spaceflight Engine Factory"]  # was "Xi\x92an"
    assert parsed.stats["c1_control_chars_repaired"] == 3
    assert parsed.stats["start_date_invalid"] == 3  # "0097-06-30", "0017-05-26"


# -- the typed fixture -----------------------------------------------------------------------


def test_fixture_field_by_field() -> None:
    result = csl.parse(MINI)
    assert [e.id for e in result.entities] == [
        "us_trade_csl:sdn-900001", "us_trade_csl:sdn-900002", "us_trade_csl:ssi-900002",
        "us_trade_csl:sdn-900003", "us_trade_csl:el-0123456789abcdef0123456789abcdef01234567",
    ]  # fmt: skip
    jane, trading, _, ship, gmbh = result.entities
    assert jane.get("birthDate") == ["1970-01-02", "1969", "1971", "1972"]
    assert jane.get("alias") == ["EXAMPEL, Jane", "QUINN, J."]
    assert jane.get("citizenship") == ["us"] and jane.get("nationality") == ["ir"]
    assert jane.get("country") == ["us", "ir"]
    assert jane.get("address") == ["12 Test Street, Springfield, 12345, US"]
    assert jane.get("birthPlace") == ["Tehran, Iran", "Springfield, USA"]
    assert jane.get("position") == ["Procurement agent"]
    assert jane.get("gender") == ["female"]
    assert jane.get("createdAt") == ["2020-02-03"]
    assert jane.identifiers == [
        Identifier("passportNumber", "123456789", "us", "Passport"),
        Identifier("idNumber", "0012345678", "ir", "National ID No., issued 2009-05-01"),
    ]
    assert jane.wallets == [Wallet("XBT", "1AbcDefGhiJkLmNoPqRsTuVwXyZ123456")]
    assert jane.links == [Link("linked to", "us_trade_csl:sdn-900002", "EXAMPLE TRADING LLC")]
    assert trading.schema == "Organization"
    assert trading.get("registrationNumber") == ["445566"]
    assert trading.get("swiftBic") == ["EXTRAEAD"]
    assert ship.schema == "Vessel"
    assert ship.get("callSign") == ["9XYZ1"] and ship.get("flag") == ["pa"]
    assert ship.get("type") == ["Crude Oil Tanker"] and ship.get("tonnage") == ["150000"]
    assert ship.get("imoNumber") == ["9876543"] and ship.get("mmsi") == ["123456789"]
    assert ship.links == [Link("linked to", "us_trade_csl:sdn-900002", "EXAMPLE TRADING LLC")]
    assert gmbh.schema == "LegalEntity"
    assert gmbh.get("program") == ["Entity List (EL) - Bureau of Industry and Security"]
    assert gmbh.record["license_policy"] == "Presumption of denial."
    assert result.stats["ids_unmapped_label"] == 1


def test_gzip_and_bom_variants(tmp_path: Path) -> None:
    text = MINI.read_bytes()
    gz = tmp_path / "csl.csv.gz"
    gz.write_bytes(gzip.compress(text))
    bom = tmp_path / "csl_bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text)
    crlf = tmp_path / "csl_crlf.csv"
    crlf.write_bytes(text.replace(b"\n", b"\r\n"))
    expected = [e.to_dict() for e in csl.parse(MINI).entities]
    for path in (gz, bom, crlf):
        assert csl.detect(path)
        assert [e.to_dict() for e in csl.parse(path).entities] == expected


def test_id_column_named_id(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(MINI.read_text().replace("_id,source", "id,source", 1))
    assert len(csl.parse(path).entities) == 5


# -- bad files -------------------------------------------------------------------------------


def test_truncated_gzip(tmp_path: Path) -> None:
    require_shared()
    path = tmp_path / "csl.csv.gz"
    path.write_bytes(CSL.read_bytes()[:500_000])
    with pytest.raises(SourceError, match="gzip file is truncated"):
        csl.parse(path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(MINI.read_bytes()))
    data[30:60] = b"\xff" * 30
    path = tmp_path / "csl.csv.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="gzip"):
        csl.parse(path)


def test_cp1252_file_names_byte_offset_and_line(tmp_path: Path) -> None:
    text = MINI.read_text(encoding="utf-8").replace("Beispiel GmbH", "Beispiel Müller GmbH")
    path = tmp_path / "csl.csv"
    path.write_bytes(text.encode("cp1252"))
    offset = text.encode("cp1252").index(b"\xfc")
    with pytest.raises(SourceError, match=f"byte 0xfc at byte offset {offset} \\(line 6,") as err:
        csl.parse(path)
    assert err.value.where == "line 6"
    assert "cp1252" in str(err.value)


def test_missing_required_column(tmp_path: Path) -> None:
    lines = MINI.read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("ids")
    import csv as _csv
    import io

    rows = list(_csv.reader(io.StringIO(MINI.read_text())))
    out = io.StringIO()
    writer = _csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row[:drop] + row[drop + 1 :])
    path = tmp_path / "csl.csv"
    path.write_text(out.getvalue())
    with pytest.raises(SourceError, match="required column\\(s\\) missing from the header: ids"):
        csl.parse(path)


def test_row_with_extra_column(tmp_path: Path) -> None:
    lines = MINI.read_text().splitlines()
    lines[3] = lines[3] + ",surplus"
    path = tmp_path / "csl.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match="row has 30 fields but the header has 29") as err:
        csl.parse(path)
    assert err.value.where == "line 4"


def test_row_cut_short(tmp_path: Path) -> None:
    data = MINI.read_text()
    path = tmp_path / "csl.csv"
    path.write_text(data[: data.rindex(",Beispiel")])  # the last row stops mid-way
    with pytest.raises(SourceError, match="cut short") as err:
        csl.parse(path)
    assert err.value.where == "line 6"


def test_unterminated_quote(tmp_path: Path) -> None:
    data = MINI.read_text()
    path = tmp_path / "csl.csv"
    path.write_text(data.replace('"EXAMPLE, Jane Quinn"', '"EXAMPLE, Jane Quinn', 1))
    with pytest.raises(SourceError, match="malformed CSV|fields but the header"):
        csl.parse(path)


def test_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        csl.parse(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text(MINI.read_text().splitlines()[0] + "\n")
    with pytest.raises(SourceError, match="no rows"):
        csl.parse(header_only)
    empty_gz = tmp_path / "empty.csv.gz"
    empty_gz.write_bytes(gzip.compress(b""))
    with pytest.raises(SourceError, match="no content"):
        csl.parse(empty_gz)
