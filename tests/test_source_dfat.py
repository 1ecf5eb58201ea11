"""Australia DFAT Consolidated List (xlsx): the real 2024-11-11 file, hand-made workbooks, bad files."""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import model
from followthemoney.types import registry

from listguard.model import Identifier
from listguard.sources import dfat
from listguard.sources.base import ParseResult, SourceError
from listguard.sources.freetext import parse_dates, split_countries
from tests.conftest import FIXTURES, LISTS, require_shared

DFAT = LISTS / "au" / "dfat_regulation8_consolidated.xlsx"
HEADER = [
    "Reference", "Name of Individual or Entity", "Type", "Name Type", "Date of Birth",
    "Place of Birth", "Citizenship", "Address", "Additional Information", "Listing Information",
    "Committees", "Control Date",
]  # fmt: skip


@pytest.fixture(scope="module")
def parsed() -> ParseResult:
    require_shared()
    return dfat.parse(DFAT)


@pytest.fixture(scope="module")
def by_id(parsed: ParseResult) -> dict[str, object]:
    return {e.id: e for e in parsed.entities}


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    """A workbook like DFAT's, written with openpyxl (installed for exactly this kind of file)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


# -- the real list ---------------------------------------------------------------------------


def test_detect_real_file_and_not_others() -> None:
    require_shared()
    assert dfat.detect(DFAT)
    assert not dfat.detect(LISTS / "us_csl" / "trade_gov_csl_consolidated_2022-05.csv.gz")
    assert not dfat.detect(LISTS / "uk" / "FCDO_UK_Sanctions_List_2025-08-11.ods")
    assert not dfat.detect(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")
    assert not dfat.detect(LISTS / "opensanctions" / "yente_zala_entities.ftm.json")
    assert not dfat.detect(FIXTURES / "csl" / "csl_mini.csv")


def test_counts(parsed: ParseResult) -> None:
    assert parsed.dataset == "au_dfat_sanctions"
    assert len(parsed.entities) == 3062
    assert parsed.stats["listings"] == 3062
    assert parsed.stats["name_rows"] == 9553
    ids = [e.id for e in parsed.entities]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("au_dfat_sanctions:") and i.split(":")[1].isdigit() for i in ids)
    assert Counter(e.schema for e in parsed.entities) == {"Person": 2316, "Organization": 746}
    assert parsed.published_at == "2024-11-11T01:01:21Z"
    assert parsed.files == [DFAT]
    # every name row became a name of its listing
    assert sum(len(e.record["rows"]) for e in parsed.entities) == 9553
    assert "unknown_name_type" not in parsed.stats
    assert "unknown_type" not in parsed.stats
    assert "listings_without_one_primary_name" not in parsed.stats
    assert all(len(e.get("name")) == 1 for e in parsed.entities)


def test_parses_in_under_three_seconds() -> None:
    """CPU time, so a busy CI machine does not fail it (~1.3 s here, 1.2 s wall when idle)."""
    require_shared()
    started = time.process_time()
    dfat.parse(DFAT)
    assert time.process_time() - started < 3.0


def test_original_script_listing(by_id: dict[str, object]) -> None:
    """Listing 1241 (rows 1241, 1241a "Original script", 1241b-d aka with their own DOBs)."""
    e = by_id["au_dfat_sanctions:1241"]
    assert e.schema == "Person"
    assert e.get("name") == ["DOKU KHAMATOVICH UMAROV"]
    assert e.get("alias") == ["Умаров Доку Хаматович", "Lom-ali Butayev (Butaev)", "Dokka Umarov"]
    # "a) 13 April 1964  b) 13 April 1965  c) 12 May 1964  d) 1955"
    assert e.get("birthDate") == ["1964-04-13", "1965-04-13", "1964-05-12", "1955"]
    assert e.get("birthPlace") == [
        "Kharsenoy Village, Shatoyskiy (Sovetskiy) District, Chechenskaya Respublika, "
        "Russian Federation"
    ]
    assert e.get("nationality") == ["ru", "suhh"]  # "a) Russian  b) USSR (until 1991)"
    assert e.get("program") == ["1267/1989/2253 (ISIL (Da'esh) and Al-Qaida)"]
    assert e.get("createdAt") == ["2011-03-10"]  # "Listed on: 10 Mar. 2011 (amended on ...)"
    assert e.get("modifiedAt") == ["2022-01-07"]  # Control Date
    assert e.identifiers == [Identifier("passportNumber", "96 03 464086", "ru", "passport number")]
    assert e.get("passportNumber") == ["96 03 464086"]
    rows = e.record["rows"]
    assert [r["Reference"] for r in rows] == ["1241", "1241a", "1241b", "1241c", "1241d"]
    assert rows[0]["Citizenship"] == "a) Russian\xa0 b) USSR (until 1991)"  # as written
    # alias rows keep only what differs from the first row
    assert rows[1] == {"Reference": "1241a", "Name of Individual or Entity": "Умаров Доку Хаматович",
                       "Name Type": "Original script"}
    assert rows[2]["Date of Birth"] == "1955"


def test_arabic_original_script_and_dob_ranges(by_id: dict[str, object]) -> None:
    e = by_id["au_dfat_sanctions:2"]
    assert e.get("name") == ["MOHAMMAD HASSAN AKHUND"]
    assert e.get("alias") == ["محمد حسن أخوند"]
    # "a) Approximately 1955- 1958 b) Approximately 1945-1950": every possible year
    assert e.get("birthDate") == ["1955", "1956", "1957", "1958",
                                  "1945", "1946", "1947", "1948", "1949", "1950"]
    assert e.get("nationality") == ["af"]
    assert e.get("createdAt") == ["2001-01-25"]
    assert e.get("modifiedAt") == ["2014-12-15"]
    assert "address" not in e.properties  # "NA"


def test_alias_only_details_and_identifier_countries(by_id: dict[str, object]) -> None:
    # 3a aka "A. Kabir", 3b Original Script
    e = by_id["au_dfat_sanctions:3"]
    assert e.names() == [("Abdul Kabir Mohammad Jan", "name"), ("A. Kabir", "alias"),
                         ("عبد الکبیر محمد جان", "alias")]
    # "Russian foreign travel passport number 515458008 ... Russian national passport number"
    e = by_id["au_dfat_sanctions:3125"]
    assert [(i.type, i.number, i.country) for i in e.identifiers] == [
        ("passportNumber", "515458008", "ru"), ("passportNumber", "8200203535", "ru")]
    assert e.get("country") == ["tr", "sy"]  # "a) Turkey (possible location) b) Syrian Arab..."


def test_organization_with_original_script(by_id: dict[str, object]) -> None:
    e = by_id["au_dfat_sanctions:155"]
    assert e.schema == "Organization"
    assert e.get("name") == ["AL-QAIDA"]
    assert "القاعدة" in e.get("alias")
    assert "birthDate" not in e.properties and "nationality" not in e.properties


def test_previous_names(parsed: ParseResult) -> None:
    """'Formerly known as' (3 rows) and 'Previously listed as' (1 row) are previous names."""
    assert sum(len(e.get("previousName")) for e in parsed.entities) == 4


def test_identifier_extraction_totals(parsed: ParseResult) -> None:
    s = parsed.stats
    assert s["identifiers:passportNumber"] >= 330
    assert s["identifiers:idNumber"] >= 130
    assert s["identifiers:registrationNumber"] >= 95
    assert s["identifiers:imoNumber"] == 16
    # every extracted number is also mirrored into its FtM property
    for e in parsed.entities:
        for ident in e.identifiers:
            assert ident.number in e.get(ident.type)


def test_unparsed_text_is_counted_not_lost(parsed: ParseResult, by_id: dict[str, object]) -> None:
    assert parsed.stats["dob_unparsed"] == 8  # "Approximately (30-35 years old)" x7, "10/061962"
    assert parsed.stats["citizenship_unmapped"] == 3  # "Kuwaiti citizenship withdrawn in 2002"
    unparsed = [e for e in parsed.entities
                if any(r.get("Date of Birth") == "10/061962" for r in e.record["rows"])]
    assert len(unparsed) == 1 and "birthDate" not in unparsed[0].properties


def test_properties_are_valid_ftm(parsed: ParseResult) -> None:
    for e in parsed.entities:
        schema = model.get(e.schema)
        assert schema is not None
        for prop, values in e.properties.items():
            assert schema.get(prop) is not None, (e.id, prop)
            if prop in ("birthDate", "createdAt", "modifiedAt"):
                assert all(registry.date.clean(v) == v for v in values), (e.id, values)
            if prop in ("nationality", "country"):
                assert all(registry.country.clean(v) == v for v in values), (e.id, values)


# -- free-text helpers -----------------------------------------------------------------------


@pytest.mark.parametrize("text,dates", [
    ("11 Apr. 1963", ["1963-04-11"]),
    ("19/08/1974", ["1974-08-19"]),  # day first
    ("a) 1/01/1968 b) 23-Apr-68", ["1968-01-01", "1968-04-23"]),
    ("29-Aprl-1967", ["1967-04-29"]),
    ("March 16, 1972", ["1972-03-16"]),
    ("Between 1963 and 1965", ["1963", "1964", "1965"]),
    ("c. 1957 or 14 March 1942", ["1957", "1942-03-14"]),
    ("a) 03/1965; b) 04/1965", ["1965-03", "1965-04"]),
    ("a) 19 Apr. 1982 c) 24/06/1402 (Hijri Calendar)", ["1982-04-19"]),
    ("1900 to 1950", ["1900", "1950"]),  # wide ranges keep their end points only
    ("31/02/1970", []),
    ("Approximately (30-35 years old)", []),
])  # fmt: skip
def test_parse_dates(text: str, dates: list[str]) -> None:
    assert parse_dates(text) == dates


@pytest.mark.parametrize("text,codes,unmapped", [
    ("Russian and Ukrainian", ["ru", "ua"], []),
    ("a) Trinidad and Tobago b) United States of America", ["tt", "us"], []),
    ("Bosnia and Herzegovina", ["ba"], []),
    ("Türkiyish", ["tr"], []),
    ("Indonesian (as at Dec. 2003)", ["id"], []),
    ("NA", [], []),  # not applicable, not Namibia
    ("Kuwaiti citizenship withdrawn in 2002", [], ["Kuwaiti citizenship withdrawn in 2002"]),
])  # fmt: skip
def test_split_countries(text: str, codes: list[str], unmapped: list[str]) -> None:
    assert split_countries(text) == (codes, unmapped)


# -- hand-made workbooks ---------------------------------------------------------------------


def test_small_workbook_grouping_and_spelling(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dfat_small.xlsx", [
        [7, "Ivan EXAMPLE", "individual ", "primary Name", dt.datetime(1960, 5, 4), "Omsk",
         "Russian", "1 Lenina St, Omsk, Russia", "Passport no.: 7512345678 (Russia)",
         "Listed on 3 March 2022", "Autonomous (Russia)", dt.datetime(2022, 3, 4)],
        ["7a", "Иван Пример", "Individual", "original Script", dt.datetime(1960, 5, 4)],
        ["7b", "Ivan PRIMER", "Individual", "Aka ", 1961],
        ["7c", "Ivan OLDNAME", "Individual", "fka", "circa 1959"],
        [8, "Example Shipping Co", "Entity ", "Primary Name", "na", None, "na", None,
         "IMO number: 1234567.", dt.datetime(2020, 1, 2), "1718 (DPRK)", dt.datetime(2020, 1, 2)],
    ])
    assert dfat.detect(path)
    result = dfat.parse(path)
    assert [e.id for e in result.entities] == ["au_dfat_sanctions:7", "au_dfat_sanctions:8"]
    ivan, ship = result.entities
    assert ivan.schema == "Person" and ship.schema == "Organization"
    assert ivan.get("name") == ["Ivan EXAMPLE"]
    assert ivan.get("alias") == ["Иван Пример", "Ivan PRIMER"]
    assert ivan.get("previousName") == ["Ivan OLDNAME"]
    assert ivan.get("birthDate") == ["1960-05-04", "1961", "1959"]
    assert ivan.get("nationality") == ["ru"] and ivan.get("country") == ["ru"]
    assert ivan.identifiers == [Identifier("passportNumber", "7512345678", "ru", "Passport no.")]
    assert ivan.get("createdAt") == ["2022-03-03"] and ivan.get("modifiedAt") == ["2022-03-04"]
    assert ship.get("createdAt") == ["2020-01-02"]  # a date cell in Listing Information
    assert ship.identifiers == [Identifier("imoNumber", "1234567", None, "IMO number")]
    assert result.stats["name_rows"] == 5


def test_workbook_missing_required_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Name Type"]
    path = write_xlsx(tmp_path / "dfat.xlsx", [[1, "X", "Individual"]], header)
    with pytest.raises(SourceError, match="missing from the header: Name Type") as err:
        dfat.parse(path)
    assert err.value.where == "row 1"


def test_workbook_without_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dfat.xlsx", [[1, "X"]] * 12, header=["foo", "bar"])
    with pytest.raises(SourceError, match="no header row"):
        dfat.parse(path)


def test_workbook_bad_reference(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dfat.xlsx", [[1, "A", "Individual", "Primary Name"],
                                               ["x-1", "B", "Individual", "aka"]])
    with pytest.raises(SourceError, match="Reference 'x-1'") as err:
        dfat.parse(path)
    assert err.value.where == "row 3"


# -- bad files -------------------------------------------------------------------------------


def test_html_saved_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "regulation8_consolidated.xlsx"
    path.write_text("<!DOCTYPE html>\n<html><head><title>Access denied</title></head>"
                    "<body>Request blocked</body></html>\n")
    assert dfat.detect(path)  # claimed by name, so the error below is the one the user sees
    with pytest.raises(SourceError, match="HTML page, not an xlsx") as err:
        dfat.parse(path)
    assert str(path) in str(err.value)


def test_truncated_zip(tmp_path: Path) -> None:
    require_shared()
    path = tmp_path / "dfat_consolidated.xlsx"
    path.write_bytes(DFAT.read_bytes()[:200_000])
    with pytest.raises(SourceError, match="corrupt or truncated"):
        dfat.parse(path)


def test_corrupt_member(tmp_path: Path) -> None:
    require_shared()
    data = bytearray(DFAT.read_bytes())
    with zipfile.ZipFile(DFAT) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
    offset = info.header_offset + 30 + len(info.filename) + 5000  # inside the compressed data
    data[offset : offset + 64] = bytes(64)
    path = tmp_path / "dfat_consolidated.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="corrupt|cannot be read|malformed"):
        dfat.parse(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "dfat.xlsx"
    path.write_bytes(b"Reference,Name\n1,X\n")
    with pytest.raises(SourceError, match="not an xlsx file") as err:
        dfat.parse(path)
    assert err.value.where == "byte 0"


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "dfat.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a spreadsheet")
    with pytest.raises(SourceError, match="no xl/workbook.xml"):
        dfat.parse(path)


def test_xml_with_doctype_refused(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "ok.xlsx", [[1, "A", "Individual", "Primary Name"]])
    path = tmp_path / "dfat.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data.split(b"?>", 1)[-1]
            zout.writestr(item, data)
    with pytest.raises(SourceError, match="DOCTYPE") as err:
        dfat.parse(path)
    assert err.value.where == "xl/workbook.xml"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "dfat.xlsx"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        dfat.parse(path)


def test_formula_cell_is_refused(tmp_path: Path) -> None:
    """A name cell that is a formula (its cached text would otherwise be stored as a listed
    name) refuses the file, naming the cell and the formula (issue 13, item 10)."""
    path = write_xlsx(tmp_path / "dfat_formula.xlsx", [
        [7, "Ivan EXAMPLE", "Individual", "Primary Name"],
        ["7a", '=HYPERLINK("http://evil.example","Ivan PRIMER")', "Individual", "aka"],
    ])
    with pytest.raises(SourceError, match="is a formula") as err:
        dfat.parse(path)
    assert err.value.where == "cell B3, row 3"
    assert 'HYPERLINK("http://evil.example"' in str(err.value) and "Download it again" in str(err.value)
