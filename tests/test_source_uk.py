"""UK Sanctions List parser: the real FCDO summary ODS (2025-08-11) and a hand-typed fixture
in the full-list XML structure."""

from __future__ import annotations

import time
import zipfile
from collections import Counter
from pathlib import Path

import orjson
import pytest

from listguard.model import Entity, Identifier, Link
from listguard.sources import SourceError, eu, uk, un
from listguard.sources.base import ParseResult
from tests.conftest import FIXTURES, LISTS, require_shared

ODS_FILE = LISTS / "uk" / "FCDO_UK_Sanctions_List_2025-08-11.ods"
XML_FILE = FIXTURES / "uk" / "uk_sanctions_list_sample.xml"
MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


@pytest.fixture(scope="module")
def ods() -> ParseResult:
    require_shared()
    return uk.parse(ODS_FILE)


@pytest.fixture(scope="module")
def xml() -> ParseResult:
    return uk.parse(XML_FILE)


# -- detection ---------------------------------------------------------------------------------


def test_detect() -> None:
    require_shared()
    assert uk.detect(ODS_FILE)
    assert uk.detect(XML_FILE)
    assert not uk.detect(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")
    assert not uk.detect(FIXTURES / "eu" / "eu_fsf_sample.xml")
    assert not uk.detect(LISTS / "au" / "dfat_regulation8_consolidated.xlsx")  # a zip, not ODS
    assert not un.detect(ODS_FILE) and not eu.detect(ODS_FILE)
    assert not un.detect(XML_FILE) and not eu.detect(XML_FILE)


# -- the real summary spreadsheet --------------------------------------------------------------


def test_ods_counts(ods: ParseResult) -> None:
    assert ods.dataset == "gb_fcdo_sanctions"
    assert len(ods.entities) == 5302
    assert Counter(e.schema for e in ods.entities) == {"Person": 3754, "Organization": 1087, "Vessel": 461}
    assert ods.stats["schema_Person"] == 3754
    assert ods.stats["schema_Organization"] == 1087
    assert ods.stats["schema_Vessel"] == 461
    assert len({e.id for e in ods.entities}) == 5302
    assert all(e.id.startswith("gb_fcdo_sanctions:") for e in ods.entities)
    assert all(e.get("createdAt") and e.get("program") for e in ods.entities)
    assert ods.published_at == "2025-08-11"  # content.xml's timestamp in the zip
    assert ods.files == [ODS_FILE]


def test_ods_cyb0004_field_by_field(ods: ParseResult) -> None:
    e = next(e for e in ods.entities if e.id == "gb_fcdo_sanctions:CYB0004")
    assert e.schema == "Organization"
    assert e.properties == {
        "name": ["Chosun Expo (APT 38)"],
        "program": ["Cyber"],
        "createdAt": ["2020-12-31"],
    }
    assert e.identifiers == [] and e.links == []
    assert e.record == {
        "Unique ID": "CYB0004",
        "OFSI Group ID": "13910",
        "Name": "Chosun Expo (APT 38)",
        "Regime Name": "Cyber",
        "Type": "Entity",
        "Designation source": "UK",
        "Date Designated": "31-12-2020",
        "Sanctions Imposed": "Asset freeze, Director Disqualification Sanction",
    }


def test_ods_people_and_ships(ods: ParseResult) -> None:
    by_id = {e.id: e for e in ods.entities}
    minin = by_id["gb_fcdo_sanctions:CYB0005"]
    assert minin.schema == "Person" and minin.get("name") == ["MININ Alexei Veleryevich"]
    ship = by_id["gb_fcdo_sanctions:DPR0078"]
    assert ship.schema == "Vessel" and ship.get("name") == ["Jie Shun"]
    assert ship.get("createdAt") == ["2017-10-03"]
    assert "OFSI Group ID" not in ship.record  # ships have no OFSI group
    assert ship.record["Sanctions Imposed"] == "Prohibition of port entry"
    last = ods.entities[-1]
    assert last.id == "gb_fcdo_sanctions:YEM0018"
    assert last.get("name") == ["Al-HOUTHI Ali Hussein Badr Al Din"]


def test_ods_blank_names_are_kept_and_reported(ods: ParseResult) -> None:
    """Two rows of the 2025-08-11 file have an empty Name cell; they stay (the ID is listed)
    and are reported, rather than silently vanishing."""
    nameless = sorted(e.id for e in ods.entities if not e.get("name"))
    assert nameless == ["gb_fcdo_sanctions:BEL0174", "gb_fcdo_sanctions:RUS1467"]
    assert ods.stats["records_without_name"] == 2
    assert any("BEL0174" in w for w in ods.warnings)


# -- the full list XML -------------------------------------------------------------------------


def test_xml_counts(xml: ParseResult) -> None:
    assert xml.published_at == "2025-08-11T00:00:00"
    assert [e.id for e in xml.entities] == [
        "gb_fcdo_sanctions:CYB0004",
        "gb_fcdo_sanctions:CYB0005",
        "gb_fcdo_sanctions:AQD0165",
        "gb_fcdo_sanctions:AQD0218",
        "gb_fcdo_sanctions:DPR0078",
    ]
    assert Counter(e.schema for e in xml.entities) == {"Person": 3, "Organization": 1, "Vessel": 1}
    assert xml.warnings == []


def test_xml_and_ods_agree_on_ids_and_dates(xml: ParseResult, ods: ParseResult) -> None:
    summary = {e.id: e for e in ods.entities}
    for e in xml.entities:
        assert e.schema == summary[e.id].schema
        assert e.get("createdAt") == summary[e.id].get("createdAt")
        assert e.get("program") == summary[e.id].get("program")


def test_xml_cyb0004(xml: ParseResult) -> None:
    e = xml.entities[0]
    assert e.schema == "Organization"
    assert e.get("name") == ["Chosun Expo (APT 38)"]
    assert e.get("alias") == ["Chosen Expo", "Korea Export Joint Venture"]
    assert e.get("weakAlias") == []
    assert e.get("country") == ["kp"]
    assert e.get("address") == []  # a country alone is not an address
    assert e.get("legalForm") == ["Front company"]
    assert e.get("program") == ["Cyber"]
    assert e.get("createdAt") == ["2020-12-31"] and e.get("modifiedAt") == ["2022-05-03"]
    assert e.get("notes")[0] == "Also known as Lazarus Group and APT38."
    assert "WannaCry" in e.get("notes")[1]
    assert e.record["SanctionsImposed"] == "Asset freeze|Director Disqualification Sanction"
    assert e.record["SanctionsImposedIndicators"]["AssetFreeze"] == "true"
    assert e.record["OFSIGroupID"] == "13910"


def test_xml_individual_with_non_latin_name_and_passport(xml: ParseResult) -> None:
    e = xml.entities[1]
    assert e.get("name") == ["Alexei Veleryevich MININ"]
    assert e.get("alias") == ["Alexey Valeryevich MININ", "Алексей Валерьевич МИНИН"]
    assert e.get("firstName") == ["Alexei", "Alexey"]
    assert e.get("middleName") == ["Veleryevich", "Valeryevich"]
    assert e.get("lastName") == ["MININ"]
    assert e.get("birthDate") == ["1972-05-27"]
    assert e.get("nationality") == ["ru"]
    assert e.get("birthPlace") == ["Perm Oblast, Russia"] and e.get("birthCountry") == ["ru"]
    assert e.get("gender") == ["male"]
    assert e.get("position") == ["Human intelligence support officer, GRU"]
    assert e.identifiers == [
        Identifier(
            "passportNumber",
            "120017582",
            None,
            "Issued by the Ministry of Foreign Affairs of the Russian Federation. "
            "Valid from 17 April 2017 until 17 April 2022",
        )
    ]
    assert e.links == []


def test_xml_un_derived_individuals(xml: ParseResult) -> None:
    umarov = xml.entities[2]
    assert umarov.get("name") == ["Doku Khamatovich UMAROV"]
    assert umarov.get("alias") == ["Lom-ali BUTAYEV (BUTAEV)", "Dokka UMAROV", "Умаров Доку Хаматович"]
    assert umarov.get("lastName") == ["UMAROV"]  # alias parts do not become name parts
    assert umarov.get("birthDate") == ["1964-04-13", "1965-04-13", "1964-05-12", "1955"]  # 00/00/1955
    assert umarov.get("passportNumber") == ["96 03 464086"]
    assert umarov.links == [Link("same_as", "un_sc_sanctions:QDi.290", "Doku Khamatovich UMAROV")]

    abdurakhmanov = xml.entities[3]
    assert abdurakhmanov.get("weakAlias") == ["Abu Banat", "Abu al Banat"]  # Low quality
    assert abdurakhmanov.get("lastName") == ["ABDURAKHMANOV"]
    assert abdurakhmanov.get("country") == ["tr", "sy"]
    assert [(i.type, i.number) for i in abdurakhmanov.identifiers] == [
        ("passportNumber", "515458008"),
        ("idNumber", "8200203535"),
    ]


def test_xml_ship(xml: ParseResult) -> None:
    e = xml.entities[4]
    assert e.schema == "Vessel"
    assert e.get("name") == ["Jie Shun"]
    assert e.get("imoNumber") == ["8518780"]
    assert e.identifiers == [Identifier("imoNumber", "8518780", None, "IMO number")]
    assert e.get("flag") == ["kh"]
    assert e.get("type") == ["General cargo"]
    assert e.get("createdAt") == ["2017-10-03"]
    assert "OFSIGroupID" not in e.record


def test_xml_and_ods_serialise(xml: ParseResult, ods: ParseResult) -> None:
    for e in [*xml.entities, *ods.entities[:200]]:
        assert Entity.from_dict(orjson.loads(e.to_json())) == e


def test_xml_with_a_default_namespace(tmp_path: Path) -> None:
    path = tmp_path / "ns.xml"
    path.write_text(
        XML_FILE.read_text(encoding="utf-8").replace(
            "<Designations ", '<Designations xmlns="urn:example:uk-sanctions" ', 1
        ),
        encoding="utf-8",
    )
    assert uk.detect(path)
    plain, namespaced = uk.parse(XML_FILE), uk.parse(path)
    assert [e.screening_dict() for e in namespaced.entities] == [e.screening_dict() for e in plain.entities]


def test_xml_details_not_in_the_fixture(tmp_path: Path) -> None:
    path = tmp_path / "UK_Sanctions_List.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><Designations>'
        "<Designation><UniqueID>RUS9001</UniqueID><IndividualEntityShip>Entity</IndividualEntityShip>"
        "<Names><Name><Name6>Example Holding JSC</Name6><NameType>Alias</NameType></Name>"
        "<Name><Name6>Old Example LLC</Name6><NameType>Previous name</NameType></Name></Names>"
        "<Addresses><Address><AddressLine1>1 Main St</AddressLine1><AddressLine3>Moscow</AddressLine3>"
        "<AddressPostalCode>101000</AddressPostalCode><AddressCountry>Russia</AddressCountry></Address></Addresses>"
        "<PhoneNumbers><PhoneNumber>+7 495 000 0000</PhoneNumber></PhoneNumbers>"
        "<EmailAddresses><EmailAddress>info@example.ru</EmailAddress></EmailAddresses>"
        "<EntityDetails><Entity><BusinessRegistrationNumbers><BusinessRegistrationNumber>1027700000000"
        "</BusinessRegistrationNumber></BusinessRegistrationNumbers>"
        "<ParentCompanies><ParentCompany>Example Group</ParentCompany></ParentCompanies></Entity></EntityDetails>"
        "</Designation>"
        "<Designation><UniqueID>RUS9002</UniqueID><IndividualEntityShip>Aircraft</IndividualEntityShip>"
        "<Names><Name><Name6>RA-00000</Name6><NameType>Primary Name</NameType></Name></Names></Designation>"
        "<Designation><UniqueID>RUS9001</UniqueID><IndividualEntityShip>Entity</IndividualEntityShip></Designation>"
        "<Designation><IndividualEntityShip>Entity</IndividualEntityShip></Designation>"
        "</Designations>"
    )
    result = uk.parse(path)
    company, other = result.entities
    assert company.get("name") == ["Example Holding JSC"]  # no primary name: the first alias
    assert company.get("previousName") == ["Old Example LLC"]
    assert company.get("address") == ["1 Main St, Moscow, 101000, Russia"]
    assert company.get("phone") == ["+7 495 000 0000"] and company.get("email") == ["info@example.ru"]
    assert company.get("registrationNumber") == ["1027700000000"]
    assert company.links == [Link("parent", None, "Example Group")]
    assert other.schema == "LegalEntity"
    assert result.stats["unknown_types"] == 1
    assert result.stats["duplicate_ids"] == 1
    assert result.stats["records_without_id"] == 1


# -- synthetic ODS files -----------------------------------------------------------------------

HEADER = [
    "Unique ID",
    "OFSI Group ID",
    "Name",
    "Regime Name",
    "Type",
    "Designation source",
    "Date Designated",
    "Sanctions Imposed",
]
NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _cell(value: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def _row(values: list[str], extra: str = "") -> str:
    return f"<table:table-row {extra}>" + "".join(_cell(v) for v in values) + "</table:table-row>"


def _content(tables: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {NS}>'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )


def _ods(path: Path, content: str | bytes, mimetype: str = MIMETYPE) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", mimetype)
        zf.writestr("content.xml", content)
    return path


def test_synthetic_ods_repeats_spaces_dates_and_sheets(tmp_path: Path) -> None:
    other_sheet = '<table:table table:name="Notes">' + _row(["Read me first"]) + "</table:table>"
    rows = [
        _row(HEADER, 'table:number-rows-repeated="1"'),
        # two spaces via text:s, a covered cell, a date-typed cell and 16,000 repeated empty cells
        '<table:table-row><table:table-cell><text:p>ABC0001</text:p></table:table-cell>'
        '<table:table-cell/>'
        '<table:table-cell><text:p>SMITH<text:s text:c="2"/>John</text:p></table:table-cell>'
        '<table:covered-table-cell><text:p>Regime X</text:p></table:covered-table-cell>'
        '<table:table-cell><text:p>Individual</text:p></table:table-cell>'
        '<table:table-cell><text:p>UK</text:p></table:table-cell>'
        '<table:table-cell office:value-type="date" office:date-value="2022-03-15T00:00:00">'
        "<text:p>15/03/2022</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>',
        # a data row repeated three times is read once and reported
        _row(["ABC0002", "2", "Vessel One", "Regime X", "Ship", "UN", "01-02-2023", "Port"],
             'table:number-rows-repeated="3"'),
        _row(["ABC0003", "3", "Thing", "Regime X", "Spaceship", "UK", "not a date", ""]),
        _row(["", "4", "No id", "Regime X", "Entity", "UK", "01-02-2023", ""]),
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>',
    ]
    sheet = f'<table:table table:name="{uk.SHEET}">' + "".join(rows) + "</table:table>"
    path = _ods(tmp_path / "list.ods", _content(other_sheet + sheet))
    assert uk.detect(path)
    started = time.perf_counter()
    result = uk.parse(path)
    assert time.perf_counter() - started < 1.0  # nothing was expanded
    person, ship, thing = result.entities
    assert person.get("name") == ["SMITH John"]
    assert person.record["Name"] == "SMITH John"
    assert person.get("program") == ["Regime X"]  # covered cells keep their column
    assert person.get("createdAt") == ["2022-03-15"]
    assert ship.schema == "Vessel" and ship.get("createdAt") == ["2023-02-01"]
    assert thing.schema == "LegalEntity"
    assert result.stats["repeated_rows"] == 2
    assert result.stats["unknown_types"] == 1
    assert result.stats["unparsed_dates"] == 1
    assert result.stats["rows_without_id"] == 1


def test_ods_that_is_html(tmp_path: Path) -> None:
    path = tmp_path / "UK_Sanctions_List.ods"
    path.write_text("<!DOCTYPE html>\n<html><head><title>Access denied</title></head></html>")
    assert uk.detect(path)  # claimed by its name, so the user hears what is wrong with it
    assert not uk.detect(path.rename(path.with_suffix(".html")))
    path = path.with_suffix(".html").rename(path)
    with pytest.raises(SourceError, match="HTML page") as info:
        uk.parse(path)
    assert "UK_Sanctions_List.ods" in str(info.value)
    assert info.value.where == "byte 0"


def test_corrupt_zip(tmp_path: Path) -> None:
    require_shared()
    data = ODS_FILE.read_bytes()
    cut = tmp_path / "cut.ods"
    cut.write_bytes(data[: len(data) // 2])  # central directory gone
    assert uk.detect(cut)  # claimed by name: "corrupt ODS" beats "unknown format"
    assert not uk.detect(cut.rename(tmp_path / "cut.zip"))
    cut = (tmp_path / "cut.zip").rename(cut)
    with pytest.raises(SourceError, match="corrupt ODS") as info:
        uk.parse(cut)
    assert "cut.ods" in str(info.value)

    damaged = tmp_path / "damaged.ods"
    blob = bytearray(data)
    start = blob.find(b"content.xml") + 200  # inside content.xml's compressed data
    for i in range(start, start + 64):
        blob[i] ^= 0xFF
    damaged.write_bytes(bytes(blob))
    with pytest.raises(SourceError) as info:
        uk.parse(damaged)
    assert "damaged.ods" in str(info.value)


def test_zip_that_is_not_an_ods(tmp_path: Path) -> None:
    other = _ods(tmp_path / "doc.ods", _content(""), mimetype="application/vnd.oasis.opendocument.text")
    assert not uk.detect(other)
    with pytest.raises(SourceError, match="not an ODS spreadsheet"):
        uk.parse(other)
    bare = tmp_path / "bare.ods"
    with zipfile.ZipFile(bare, "w") as zf:
        zf.writestr("mimetype", MIMETYPE)
    with pytest.raises(SourceError, match="no content.xml"):
        uk.parse(bare)


def test_ods_wrong_sheet_malformed_and_doctype(tmp_path: Path) -> None:
    wrong = _ods(tmp_path / "wrong.ods", _content('<table:table table:name="Sheet1">' + _row(["a", "b"]) + "</table:table>"))
    with pytest.raises(SourceError, match="no sheet with the UK sanctions list summary columns"):
        uk.parse(wrong)

    header_only = _ods(tmp_path / "header.ods", _content(f'<table:table table:name="{uk.SHEET}">' + _row(HEADER) + "</table:table>"))
    with pytest.raises(SourceError, match="holds no designations"):
        uk.parse(header_only)

    broken = _ods(tmp_path / "broken.ods", _content(f'<table:table table:name="{uk.SHEET}">' + _row(HEADER))[:-40])
    with pytest.raises(SourceError, match="malformed content.xml") as info:
        uk.parse(broken)
    assert info.value.where is not None and "content.xml line" in info.value.where

    lol = "".join(f'<!ENTITY l{i} "{("&l0;" if i == 1 else f"&l{i - 1};") * 10}">' for i in range(1, 10))
    bomb = _ods(
        tmp_path / "bomb.ods",
        _content(f'<table:table table:name="{uk.SHEET}">' + _row(HEADER) + _row(["&l9;"] * 8) + "</table:table>",
                 prolog=f'<!DOCTYPE office:document-content [<!ENTITY l0 "lol">{lol}]>'),
    )
    started = time.perf_counter()
    with pytest.raises(SourceError, match="DOCTYPE"):
        uk.parse(bomb)
    assert time.perf_counter() - started < 1.0


# -- bad XML / other input ---------------------------------------------------------------------


def test_xml_truncated_wrong_root_and_attacks(tmp_path: Path) -> None:
    data = XML_FILE.read_bytes()
    cut = tmp_path / "uk_cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    assert uk.detect(cut)
    with pytest.raises(SourceError) as info:
        uk.parse(cut)
    assert "uk_cut.xml" in str(info.value) and "line " in str(info.value)

    with pytest.raises(SourceError, match="not a UK sanctions list"):
        uk.parse(FIXTURES / "eu" / "eu_fsf_sample.xml")

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        f'<?xml version="1.0"?><!DOCTYPE Designations [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<Designations><Designation><UniqueID>&x;</UniqueID></Designation></Designations>"
    )
    with pytest.raises(SourceError, match="DOCTYPE") as info:
        uk.parse(xxe)
    assert "TOP-SECRET-VALUE" not in str(info.value)

    hollow = tmp_path / "hollow.xml"
    hollow.write_text('<?xml version="1.0"?><Designations/>')
    with pytest.raises(SourceError, match="no Designation"):
        uk.parse(hollow)


def test_empty_and_unknown_files(tmp_path: Path) -> None:
    empty = tmp_path / "list.ods"
    empty.touch()
    assert not uk.detect(empty)
    with pytest.raises(SourceError, match="empty"):
        uk.parse(empty)
    text = tmp_path / "list.txt"
    text.write_text("Unique ID;Name\n")
    assert not uk.detect(text)
    with pytest.raises(SourceError, match="not a UK sanctions list download"):
        uk.parse(text)


# -- the full list CSV -------------------------------------------------------------------------

CSV_FILE = FIXTURES / "uk" / "uk_sanctions_list_sample.csv"


def test_csv_detect_and_publication() -> None:
    assert uk.detect(CSV_FILE)
    assert not un.detect(CSV_FILE) and not eu.detect(CSV_FILE)
    result = uk.parse(CSV_FILE)
    assert result.published_at == "2025-08-11"  # "Report Date: 11-Aug-2025"
    assert result.stats == {"schema_Person": 3, "schema_Organization": 1, "schema_Vessel": 1}
    assert result.warnings == []


def test_csv_and_xml_say_the_same(xml: ParseResult) -> None:
    """The CSV is the XML flattened one row per name: the entities must be identical apart
    from the raw record."""
    from_csv = uk.parse(CSV_FILE)
    assert [e.id for e in from_csv.entities] == [e.id for e in xml.entities]
    for a, b in zip(from_csv.entities, xml.entities):
        assert a.screening_dict() == b.screening_dict(), a.id


def test_csv_record_keeps_every_row() -> None:
    umarov = next(e for e in uk.parse(CSV_FILE).entities if e.id.endswith("AQD0165"))
    rows = umarov.record["rows"]
    assert [r["Name type"] for r in rows] == ["Primary Name", "Alias", "Alias", "Alias"]
    assert rows[3]["D.O.B"] == "00/00/1955"
    assert "Address Line 1" not in rows[0]  # empty cells are not kept
    ship = next(e for e in uk.parse(CSV_FILE).entities if e.id.endswith("DPR0078"))
    assert ship.record["IMO number"] == "8518780"  # a single row is the record itself


def test_csv_without_report_line_and_in_cp1252(tmp_path: Path) -> None:
    lines = CSV_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(lines[1:]), encoding="utf-8")
    result = uk.parse(plain)
    assert result.published_at is None and len(result.entities) == 5
    latin = tmp_path / "latin.csv"
    header = lines[1]
    latin.write_bytes(
        (header + "01/01/2024,GHA0001,1,,Açaí Trading,,,,,,Primary Name,,,,,,Ghana,Entity,UK,Asset freeze"
         + "," * (header.count(",") - 19) + "\r\n").encode("cp1252")
    )
    (entity,) = uk.parse(latin).entities
    assert entity.get("name") == ["Açaí Trading"]


def test_csv_bad_input(tmp_path: Path) -> None:
    data = CSV_FILE.read_text(encoding="utf-8")
    cut = tmp_path / "cut.csv"
    cut.write_text(data[: len(data) * 2 // 3], encoding="utf-8")
    assert uk.detect(cut)
    with pytest.raises(SourceError, match="truncated") as info:
        uk.parse(cut)
    assert "cut.csv" in str(info.value) and (info.value.where or "").startswith("line ")

    missing = tmp_path / "missing.csv"
    missing.write_text("Unique ID,Name 6,Regime Name,Designation Type\r\nX1,Y,Z,Entity\r\n")
    assert not uk.detect(missing)  # no "Name type": not the UK list CSV
    with pytest.raises(SourceError, match="not a UK sanctions list download"):
        uk.parse(missing)

    header_only = tmp_path / "header.csv"
    header_only.write_text(data.splitlines(keepends=True)[1], encoding="utf-8")
    with pytest.raises(SourceError, match="holds no designations"):
        uk.parse(header_only)


def test_ods_formula_cell_is_refused(tmp_path: Path) -> None:
    """A formula cell in the summary sheet refuses the file, naming sheet and row (issue 13,
    item 10): its cached text is not what the publisher wrote."""
    formula = (
        '<table:table-row><table:table-cell><text:p>ABC0001</text:p></table:table-cell>'
        '<table:table-cell/>'
        '<table:table-cell table:formula="of:=HYPERLINK(&quot;http://evil.example&quot;)" '
        'office:value-type="string"><text:p>SMITH John</text:p></table:table-cell>'
        + "".join(_cell(v) for v in ["Regime X", "Individual", "UK", "15/03/2022", "Asset freeze"])
        + "</table:table-row>"
    )
    table = '<table:table table:name="UK_Sanction_List">' + _row(HEADER) + formula + "</table:table>"
    path = _ods(tmp_path / "uk.ods", _content(table))
    with pytest.raises(SourceError, match="formula") as err:
        uk.parse(path)
    assert err.value.where == "sheet UK_Sanction_List, row 2"
    assert "HYPERLINK" in str(err.value)
