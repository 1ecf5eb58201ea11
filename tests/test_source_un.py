"""UN Security Council consolidated list parser, against the real 2026-02-27 publication."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from lxml import etree

from listguard.model import Entity, Identifier, Link
from listguard.sources._listtools import clean_name
from listguard.sources.base import ParseResult
from listguard.sources import SourceError, un
from tests.conftest import FIXTURES, LISTS, require_shared

UN_FILE = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"


@pytest.fixture(scope="module")
def result() -> ParseResult:
    require_shared()
    return un.parse(UN_FILE)


@pytest.fixture(scope="module")
def by_id(result: ParseResult) -> dict[str, Entity]:
    return {e.id: e for e in result.entities}


# -- detection ---------------------------------------------------------------------------------


def test_detect_claims_the_un_file_only(tmp_path: Path) -> None:
    require_shared()
    assert un.detect(UN_FILE)
    assert not un.detect(FIXTURES / "eu" / "eu_fsf_sample.xml")
    assert not un.detect(FIXTURES / "uk" / "uk_sanctions_list_sample.xml")
    assert not un.detect(LISTS / "uk" / "FCDO_UK_Sanctions_List_2025-08-11.ods")
    text = tmp_path / "notes.txt"
    text.write_text("CONSOLIDATED_LIST is mentioned but this is not XML")
    assert not un.detect(text)
    assert not un.detect(tmp_path)  # a folder


def test_detect_sees_past_bom_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_bytes(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- INDIVIDUALS --><CONSOLIDATED_LIST dateGenerated="x"/>'
    )
    assert un.detect(path)


# -- the real list -----------------------------------------------------------------------------


def test_counts_and_publication(result: ParseResult) -> None:
    assert len(result.entities) == 1003
    schemata = Counter(e.schema for e in result.entities)
    assert schemata == {"Person": 730, "Organization": 273}
    assert result.stats["individuals"] == 730 and result.stats["entities"] == 273
    assert result.published_at == "2026-02-27T00:00:09.554Z"
    assert result.files == [UN_FILE]
    assert result.dataset == "un_sc_sanctions"
    ids = [e.id for e in result.entities]
    assert len(set(ids)) == 1003
    assert all(i.startswith("un_sc_sanctions:") for i in ids)
    assert all(e.dataset == "un_sc_sanctions" for e in result.entities)
    assert all(e.get("name") for e in result.entities)
    assert all(e.get("createdAt") for e in result.entities)


def test_kpi_001_field_by_field(by_id: dict[str, Entity]) -> None:
    e = by_id["un_sc_sanctions:KPi.001"]
    assert e.schema == "Person"
    assert e.get("name") == ["YUN HO-JIN"]
    assert e.get("firstName") == ["YUN"]
    assert e.get("secondName") == ["HO-JIN"]
    assert e.get("lastName") == []  # UN name fields are positional: never guessed
    assert e.get("alias") == ["Yun Ho-chin"]  # QUALITY Good
    assert e.get("weakAlias") == []
    assert e.get("birthDate") == ["1944-10-13"]
    assert e.get("nationality") == ["kp"]
    assert e.get("position") == ["Director of Namchongang Trading Corporation"]
    assert e.get("program") == ["DPRK", un.COMMITTEES["KP"]]
    assert e.get("createdAt") == ["2009-07-16"]
    assert e.get("modifiedAt") == ["2022-07-26"]
    assert e.get("country") == ["kp"]
    assert e.get("address") == ["Pyongyang, Democratic People's Republic of Korea"]
    assert e.get("notes") == [
        "Director of Namchongang Trading Corporation; oversees the import of items needed for "
        "the uranium enrichment program."
    ]
    # The UN gives KPi.001 no document and no gender: nothing is invented.
    assert e.identifiers == [] and e.get("passportNumber") == [] and e.get("gender") == []
    assert e.record["REFERENCE_NUMBER"] == "KPi.001"
    assert e.record["FIRST_NAME"] == "YUN" and e.record["SECOND_NAME"] == "HO-JIN"
    assert e.record["NATIONALITY"] == ["Democratic People's Republic of Korea"]
    assert e.record["INDIVIDUAL_ALIAS"] == {"QUALITY": "Good", "ALIAS_NAME": "Yun Ho-chin"}
    # compact: the empty <INDIVIDUAL_DOCUMENT/>, <SORT_KEY/>, <COUNTRY/> are gone
    assert "INDIVIDUAL_DOCUMENT" not in e.record and "SORT_KEY" not in e.record
    assert "INDIVIDUAL_PLACE_OF_BIRTH" not in e.record


def test_dprk_passport(by_id: dict[str, Entity]) -> None:
    e = by_id["un_sc_sanctions:KPi.033"]
    assert e.get("name") == ["RI WON HO"]
    assert e.get("birthDate") == ["1964-07-17"]
    assert e.get("nationality") == ["kp"]
    assert e.get("passportNumber") == ["381310014"]  # the file writes " 381310014"
    assert e.identifiers == [Identifier("passportNumber", "381310014", None, "Passport")]


def test_multiple_birth_dates_scripts_and_passport(by_id: dict[str, Entity]) -> None:
    e = by_id["un_sc_sanctions:QDi.290"]
    assert e.get("name") == ["DOKU KHAMATOVICH UMAROV"]
    assert e.get("middleName") == ["UMAROV"]
    # NAME_ORIGINAL_SCRIPT first, then the Good aliases (the duplicate alias appears once)
    assert e.get("alias") == ["Умаров Доку Хаматович", "Lom-ali Butayev (Butaev)", "Dokka Umarov"]
    # the four INDIVIDUAL_DATE_OF_BIRTH first, then the aliases' own (already present) dates
    assert e.get("birthDate") == ["1964-04-13", "1965-04-13", "1964-05-12", "1955"]
    assert e.get("nationality") == ["ru", "suhh"]  # "former Soviet Union" is FtM's suhh
    assert e.get("birthPlace") == [
        "Kharsenoy Village, Shatoyskiy (Sovetskiy) District, Chechenskaya Respublika, Russian Federation"
    ]
    assert e.get("birthCountry") == ["ru"]
    assert e.identifiers == [
        Identifier("passportNumber", "96 03 464086", "ru", "Passport; issued 2003-06-01")
    ]
    assert e.get("program")[0] == "Al-Qaida"
    assert e.get("createdAt") == ["2011-03-10"]
    assert e.get("modifiedAt") == ["2021-11-15"]  # latest LAST_DAY_UPDATED


def test_weak_aliases_labelled_numbers_and_links(by_id: dict[str, Entity]) -> None:
    e = by_id["un_sc_sanctions:QDi.363"]
    assert e.get("weakAlias") == ["Abu Banat", "Abu al Banat"]  # QUALITY Low
    assert e.get("alias") == ["Абдурахманов Магомед Магомедзакирович"]
    assert e.get("country") == ["tr", "sy"]
    assert e.identifiers == [
        Identifier(
            "passportNumber",
            "515458008",
            None,
            "Passport; Russian foreign travel passport number 515458008; expires 30 May 2017",
        ),
        Identifier("idNumber", "8200203535", "ru", "national passport number"),
    ]
    assert e.get("passportNumber") == ["515458008"]
    assert e.links == [Link("associated", "un_sc_sanctions:QDe.115", "AL-QAIDA IN IRAQ")]


def test_entity_with_aliases(by_id: dict[str, Entity]) -> None:
    e = by_id["un_sc_sanctions:KPe.001"]
    assert e.schema == "Organization"
    assert e.get("name") == ["KOREA MINING DEVELOPMENT TRADING CORPORATION"]
    assert e.get("alias") == [
        "CHANGGWANG SINYONG CORPORATION",
        "EXTERNAL TECHNOLOGY GENERAL CORPORATION",
        "DPRKN MINING DEVELOPMENT TRADING COOPERATION",
        "KOMID",  # written "KOMID" with quotes
    ]
    assert e.get("address") == ["Central District, Pyongyang, Democratic People's Republic of Korea"]
    assert e.get("country") == ["kp"]
    assert e.get("createdAt") == ["2009-04-24"]
    assert e.get("firstName") == [] and e.get("birthDate") == []
    assert len(e.record["ENTITY_ALIAS"]) == 4


def test_entity_previous_names(result: ParseResult) -> None:
    # 19 ENTITY_ALIAS have QUALITY f.k.a.
    assert sum(len(e.get("previousName")) for e in result.entities) == 19


def test_identifiers_from_comments(by_id: dict[str, Entity]) -> None:
    bank = by_id["un_sc_sanctions:KPe.047"]
    assert bank.get("name") == ["FOREIGN TRADE BANK (FTB)"]
    assert bank.get("alias") == ["Mooyokbank", "Korea Trading Bank"]
    assert bank.get("swiftBic") == ["FTBDKPPY"]
    shipping = by_id["un_sc_sanctions:KPe.022"]
    assert shipping.get("imoNumber") == ["5342883"]
    assert shipping.identifiers[0].note == "IMO company number (from COMMENTS1)"


def test_links_from_comments_and_designation(by_id: dict[str, Entity], result: ParseResult) -> None:
    e = by_id["un_sc_sanctions:CDi.036"]
    assert e.links == [
        Link("associated", "un_sc_sanctions:CDe.001", "ADF"),
        Link("associated", "un_sc_sanctions:CDi.015", "JAMIL MUKULU"),
    ]
    assert e.get("gender") == ["male"]  # from "Gender: male" in the comments
    # a reference to an entry that is not on this version of the list is kept, unresolved
    delisted = by_id["un_sc_sanctions:QDi.325"]
    assert Link("associated", None, "QDi.317") in delisted.links
    assert "un_sc_sanctions:QDi.317" not in by_id
    assert result.stats["unresolved_links"] >= 1
    assert result.stats["links"] > 400
    targets = {l.target for e in result.entities for l in e.links if l.target}
    assert targets <= set(by_id)


def test_birth_date_kinds(by_id: dict[str, Entity]) -> None:
    assert by_id["un_sc_sanctions:CDi.030"].get("birthDate") == ["1973", "1974"]  # BETWEEN
    assert by_id["un_sc_sanctions:QDi.314"].get("birthDate") == [str(y) for y in range(1977, 1983)]
    assert by_id["un_sc_sanctions:CDi.004"].get("birthDate") == ["1973-11"]  # NOTE "Nov. 1973"
    assert by_id["un_sc_sanctions:CDi.014"].get("birthDate") == ["1962-03-17", "1966"]  # APPROXIMATELY
    kony = by_id["un_sc_sanctions:CFi.009"].get("birthDate")
    assert kony[:5] == ["1959", "1960", "1961", "1963", "1964-09-18"] and "1961-08" in kony


def test_placeholder_nationality_is_not_namibia(by_id: dict[str, Entity], result: ParseResult) -> None:
    e = by_id["un_sc_sanctions:SDi.001"]
    assert e.get("nationality") == []
    assert e.record["NATIONALITY"] == ["na"]
    assert result.stats["country_placeholders"] == 1
    assert "unmapped_countries" not in result.stats  # every UN country name maps


def test_aliases_by_quality_match_the_file(result: ParseResult) -> None:
    root = etree.parse(str(UN_FILE)).getroot()
    low = {
        (a.getparent().findtext("REFERENCE_NUMBER"), a.findtext("ALIAS_NAME").strip())
        for a in root.iter("INDIVIDUAL_ALIAS")
        if (a.findtext("QUALITY") or "") == "Low" and (a.findtext("ALIAS_NAME") or "").strip()
    }
    parsed = {(e.id.split(":")[1], name) for e in result.entities for name in e.get("weakAlias")}
    # the parser only tidies whitespace and wrapping quotes ("Caesar" -> Caesar)
    assert {(ref, clean_name(n)) for ref, n in low} == parsed
    assert ("CFi.010", "Caesar") in parsed
    people_with_ids = [e for e in result.entities if e.identifiers]
    assert Counter(i.type for e in people_with_ids for i in e.identifiers)["passportNumber"] > 300


def test_entities_serialise(result: ParseResult) -> None:
    for e in result.entities:
        assert Entity.from_dict(orjson.loads(e.to_json())) == e


# -- bad input ---------------------------------------------------------------------------------


def test_truncated_file_names_file_and_line(tmp_path: Path) -> None:
    require_shared()
    data = UN_FILE.read_bytes()
    cut = tmp_path / "un_cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    assert un.detect(cut)  # still looks like the UN list...
    with pytest.raises(SourceError) as info:
        un.parse(cut)  # ...but is refused, with the place
    message = str(info.value)
    assert "un_cut.xml" in message and "line " in message
    assert "truncated" in message
    assert info.value.where is not None and info.value.where.startswith("line ")


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">\n' for i in range(1, 10)
    )
    + ']>\n<CONSOLIDATED_LIST dateGenerated="2026-01-01"><INDIVIDUALS><INDIVIDUAL>'
    "<FIRST_NAME>&lol9;</FIRST_NAME><REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER>"
    "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
)


@pytest.mark.parametrize("padding", [0, 100_000])
def test_billion_laughs_is_refused_quickly(tmp_path: Path, padding: int) -> None:
    doc = BILLION_LAUGHS
    if padding:  # push the DOCTYPE past the 64 KB header peek
        doc = doc.replace("\n<!DOCTYPE", "\n<!--" + "x" * padding + "-->\n<!DOCTYPE", 1)
    path = tmp_path / "lol.xml"
    path.write_text(doc)
    started = time.perf_counter()
    with pytest.raises(SourceError) as info:
        un.parse(path)
    assert time.perf_counter() - started < 1.0
    assert "lol.xml" in str(info.value)
    assert "lollollol" not in str(info.value)


@pytest.mark.parametrize("padding", [0, 100_000])
def test_xxe_is_refused_and_reads_nothing(tmp_path: Path, padding: int) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    pad = "<!--" + "x" * padding + "-->\n" if padding else ""
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n{pad}<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&xxe;</FIRST_NAME>'
        "<REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    with pytest.raises(SourceError) as info:
        un.parse(path)
    assert "TOP-SECRET-VALUE" not in str(info.value)
    assert "xxe.xml" in str(info.value)


def test_wrong_root_is_refused() -> None:
    eu_file = FIXTURES / "eu" / "eu_fsf_sample.xml"
    assert not un.detect(eu_file)
    with pytest.raises(SourceError, match="not a UN consolidated list") as info:
        un.parse(eu_file)
    assert "<export>" in str(info.value) and "eu_fsf_sample.xml" in str(info.value)


def test_empty_and_non_xml_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert not un.detect(empty)
    with pytest.raises(SourceError, match="empty"):
        un.parse(empty)
    html = tmp_path / "consolidated.xml"
    html.write_text("<!DOCTYPE html><html><body>Service unavailable</body></html>")
    assert not un.detect(html)
    with pytest.raises(SourceError):
        un.parse(html)
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"\x00\x01\x02 not xml at all")
    with pytest.raises(SourceError, match="malformed XML"):
        un.parse(junk)


def test_list_without_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hollow.xml"
    path.write_text('<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="2026-01-01"><INDIVIDUALS/></CONSOLIDATED_LIST>')
    with pytest.raises(SourceError, match="no INDIVIDUAL or ENTITY"):
        un.parse(path)


def test_small_document_edge_cases(tmp_path: Path) -> None:
    """A record without reference is skipped and counted; a duplicate reference is merged into
    the first (one policy for repeated ids, issue 13 item 6), every name kept."""
    path = tmp_path / "small.xml"
    path.write_text(
        '<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS>'
        "<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME><REFERENCE_NUMBER>QDi.900</REFERENCE_NUMBER>"
        "<NATIONALITY><VALUE>Atlantis</VALUE></NATIONALITY>"
        "<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>Libya 428720</NUMBER></INDIVIDUAL_DOCUMENT>"
        "</INDIVIDUAL>"
        "<INDIVIDUAL><FIRST_NAME>B</FIRST_NAME><REFERENCE_NUMBER>QDi.900</REFERENCE_NUMBER></INDIVIDUAL>"
        "<INDIVIDUAL><FIRST_NAME>C</FIRST_NAME></INDIVIDUAL>"
        "</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    result = un.parse(path)
    assert [e.get("name") for e in result.entities] == [["A", "B"]]
    assert result.stats["duplicate_ids"] == 1
    assert any("duplicate REFERENCE_NUMBER un_sc_sanctions:QDi.900 at line 1: listed twice; merged" in w
               for w in result.warnings), result.warnings
    assert result.stats["records_without_reference"] == 1
    assert result.stats["unmapped_countries"] == 1
    entity = result.entities[0]
    assert entity.record["NATIONALITY"] == ["Atlantis"]  # kept in the record
    assert entity.identifiers == [Identifier("passportNumber", "428720", "ly", "Passport; Libya 428720")]


@pytest.mark.parametrize(
    "written, number, country",
    [
        ("Diplomatic Passport: Z30321794", "Z30321794", None),
        ("403062567 (US)", "403062567", "us"),
        ("R00012098, South Sudan", "R00012098", "ss"),
        ("8208 No. 555627", "8208 No. 555627", None),  # series and number stay together
        ("OB 0243318", "OB 0243318", None),
        ("TR-P 614 166", "TR-P 614 166", None),
        ("Afghan passport number SE 012820", "SE 012820", None),
        ("96 03 464086", "96 03 464086", None),
    ],
)
def test_split_document_number(written: str, number: str, country: str | None) -> None:
    assert un.split_document_number(written) == (number, country)
