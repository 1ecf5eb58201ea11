"""OFAC legacy CSV parser (``listguard.sources.ofac``): real lists, fixtures and broken files."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import model as ftm_model

from listguard import sources
from listguard.model import Entity, Identifier, Link, Wallet
from listguard.sources import ofac
from listguard.sources.base import ParseResult, SourceError
from tests.conftest import FIXTURES, LISTS, require_shared

OFAC = LISTS / "ofac"
SDN_FIXTURE = FIXTURES / "ofac" / "sdn"
CONS_FIXTURE = FIXTURES / "ofac" / "cons"


def by_id(result: ParseResult) -> dict[str, Entity]:
    return {e.id: e for e in result.entities}


@pytest.fixture(scope="module")
def sdn_latest() -> ParseResult:
    require_shared()
    return ofac.parse(OFAC / "sdn_latest")


@pytest.fixture(scope="module")
def sdn_2021() -> ParseResult:
    require_shared()
    return ofac.parse(OFAC / "sdn_2021-07-07")


@pytest.fixture(scope="module")
def cons() -> ParseResult:
    require_shared()
    return ofac.parse(OFAC / "cons_latest")


# -- the real lists ---------------------------------------------------------------------------


def test_sdn_latest_counts(sdn_latest: ParseResult) -> None:
    assert sdn_latest.dataset == "us_ofac_sdn"
    assert len(sdn_latest.entities) == 14965
    assert Counter(e.schema for e in sdn_latest.entities) == {
        "Person": 6854,
        "Organization": 6884,
        "Vessel": 851,
        "Airplane": 376,
    }
    assert all(e.id.startswith("us_ofac_sdn:") for e in sdn_latest.entities)
    assert sdn_latest.published_at is None
    assert sorted(p.name for p in sdn_latest.files) == [
        "add.csv",
        "alt.csv",
        "sdn.csv",
        "sdn_comments.csv",
    ]


def test_sdn_2021_counts(sdn_2021: ParseResult) -> None:
    assert len(sdn_2021.entities) == 8976
    assert Counter(e.schema for e in sdn_2021.entities) == {
        "Person": 4620,
        "Organization": 3673,
        "Vessel": 406,
        "Airplane": 277,
    }
    # One consistent download: every alias, address and comment row joins.
    assert not any(key.startswith("orphan_") for key in sdn_2021.stats)
    assert "entities_without_address_row" not in sdn_2021.stats
    # Its sdn_comments.csv really lacks the 0x1A end byte: a warning, not an error.
    assert sdn_2021.stats["files_without_eof_marker"] == 1


def test_cons_counts(cons: ParseResult) -> None:
    assert cons.dataset == "us_ofac_cons"
    assert len(cons.entities) == 442
    assert Counter(e.schema for e in cons.entities) == {"Person": 79, "Organization": 363}
    assert all(e.id.startswith("us_ofac_cons:") for e in cons.entities)
    assert "us_ofac_cons:9639" in by_id(cons)


def test_sdn_latest_orphans(sdn_latest: ParseResult) -> None:
    """alt.csv/add.csv/sdn_comments.csv are newer downloads than sdn.csv in this folder."""
    stats = sdn_latest.stats
    assert stats["orphan_alias_entities"] == 1724
    assert stats["orphan_alias_rows"] == 2727
    assert stats["entities_without_address_row"] == 845
    assert stats["orphan_address_entities"] == 4894
    assert stats["orphan_address_rows"] == 5598
    assert stats["orphan_comment_rows"] == 6
    assert any("alt.csv: 2727 alias rows for 1724 ent_nums" in w for w in sdn_latest.warnings)
    # Orphans are not invented into entities.
    assert "us_ofac_sdn:17016" not in by_id(sdn_latest)


def test_jong_song_hwa(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:24979"]
    assert e.schema == "Person"
    assert e.get("name") == ["JONG, Song Hwa"]
    assert e.get("lastName") == ["JONG"]
    assert e.get("firstName") == ["Song Hwa"]
    assert e.get("birthDate") == ["1970-02-05"]
    assert e.get("nationality") == ["kp"]
    assert e.get("gender") == ["male"]
    assert e.get("program") == ["DPRK4"]
    assert e.get("passportNumber") == ["927220230"]
    assert e.identifiers == [
        Identifier(
            "passportNumber", "927220230", "kp", "Passport issued 11 May 2017 expires 11 May 2022"
        )
    ]
    assert e.record["primary"]["SDN_Type"] == "individual"
    assert e.record["remarks"].startswith("DOB 05 Feb 1970; nationality Korea, North;")
    # Its one address row is all -0-: kept in the record, no address invented.
    assert e.record["addresses"] == [{"add_num": "37799"}]
    assert "address" not in e.properties


def test_yanbian_silverstar(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:24977"]
    assert e.schema == "Organization"
    assert e.get("name") == ["YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD."]
    assert e.get("alias") == [
        "YANBIAN SILVERSTAR",
        "YANBIAN SILVER STAR",
        "SILVER STAR INTERNET TECHNOLOGY CORPORATION",
        "CHINA SILVER STAR INTERNET TECHNOLOGY COMPANY",
        "UNSONG INTERNET TECHNOLOGY CORPORATION",
        "YANJI SILVER STAR NETWORK TECHNOLOGY CO. LTD.",
        "SILVER STAR CHINA",
    ]
    assert [a["alt_num"] for a in e.record["aliases"]] == [
        "39421",
        "39422",
        "39423",
        "39424",
        "39425",
        "47132",
        "47133",
    ]
    assert e.get("program") == ["DPRK3", "DPRK4"]
    assert e.get("registrationNumber") == ["91222401MA0Y31E659"]
    assert e.identifiers == [
        Identifier(
            "registrationNumber", "91222401MA0Y31E659", "cn", "Unified Social Credit Code (USCC)"
        )
    ]
    assert e.get("country") == ["cn"]
    assert e.get("address") == [
        "20998B-26 Changbaishan East Road, Yanji, Jilin, China",
        "No. 213-214, Building 2, Science and Technology Industrial Park, Yanji Development "
        "Zone, China",
        "Chang Bai Shan Dong Lu, 20998B-26Hao, Yanji, Jilin 133000, China",
    ]


def test_vessel(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:4243"]
    assert e.schema == "Vessel"
    assert e.get("name") == ["EBANO"]
    assert e.get("imoNumber") == ["7406784"]
    assert Identifier(
        "imoNumber", "7406784", None, "Vessel Registration Identification IMO"
    ) in e.identifiers
    assert e.get("type") == ["General Cargo"]
    assert e.get("tonnage") == ["2595"]
    assert e.get("grossRegisteredTonnage") == ["1865"]
    assert e.get("flag") == ["pa"]
    assert e.get("previousName") == ["ANA I", "SAND SWAN"]


def test_vessel_owner_and_call_sign(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:4238"]
    assert e.get("callSign") == ["CL2192"]
    assert e.get("flag") == ["cu"]
    assert Link("owner", None, "Samir de Navegacion S.A.") in e.links
    assert e.record["primary"]["Vess_owner"] == "Samir de Navegacion S.A."


def test_aircraft_and_linked_to(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:15431"]
    assert e.schema == "Airplane"
    assert e.get("serialNumber") == ["8401", "1023409321"]
    assert e.get("model") == ["IL76-TD"]
    assert e.get("buildDate") == ["1992"]
    # "Linked To: POUYA AIR." at the end of the remark: the full stop is punctuation.
    assert Link("linked_to", "us_ofac_sdn:13109", "POUYA AIR") in e.links
    assert Link("operator", None, "YAS AIR") in e.links


def test_linked_to_name_ending_in_a_full_stop(sdn_latest: ParseResult) -> None:
    entities = by_id(sdn_latest)
    resolved = [
        (e, link)
        for e in sdn_latest.entities
        for link in e.links
        if link.relation == "linked_to"
        and link.target
        and link.target_name
        and link.target_name.endswith("S.A.")
    ]
    assert resolved
    for _e, link in resolved:
        assert link.target is not None
        assert entities[link.target].get("name") == [link.target_name]
    assert sdn_latest.stats["links_resolved"] > 6000


def test_unresolved_link_keeps_the_name(cons: ParseResult) -> None:
    e = by_id(cons)["us_ofac_cons:9647"]
    assert Link("linked_to", None, "HAMAS") in e.links


def test_digital_currency(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:25308"]
    assert e.wallets[0] == Wallet("XBT", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h")
    assert len(e.wallets) == 6
    currencies = Counter(w.currency for x in sdn_latest.entities for w in x.wallets)
    assert {"XBT", "ETH", "USDT", "XMR", "LTC", "TRX"} <= set(currencies)


def test_weak_alias(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:306"]
    assert e.get("weakAlias") == ["BNC"]
    assert e.get("alias") == ["NATIONAL BANK OF CUBA"]


def test_comments_continue_a_cut_remark(sdn_latest: ParseResult) -> None:
    e = by_id(sdn_latest)["us_ofac_sdn:28263"]
    assert len(e.record["primary"]["Remarks"]) == ofac.REMARKS_WIDTH
    assert e.record["comments"] == ["hn'; Linked To: LAZARUS GROUP."]
    assert "snowsjohn" in e.get("weakAlias")  # cut mid-word at character 1,000
    assert any(link.target_name == "LAZARUS GROUP" for link in e.links)
    # 22985's comment comes from a newer download: kept in the record, not parsed.
    other = by_id(sdn_latest)["us_ofac_sdn:22985"]
    assert other.record["comments"][0].startswith("4X3191Z8; alt. Digital Currency")
    assert other.wallets == []
    assert sdn_latest.stats["comment_rows_not_continuing"] == 5


def test_cons_comment_after_a_trailing_space(cons: ParseResult) -> None:
    e = by_id(cons)["us_ofac_cons:17250"]
    assert "1027700070518" in e.get("registrationNumber")
    assert "comment_rows_not_continuing" not in cons.stats


def test_properties_fit_the_ftm_schema(
    sdn_latest: ParseResult, sdn_2021: ParseResult, cons: ParseResult
) -> None:
    for result in (sdn_latest, sdn_2021, cons):
        for e in result.entities:
            schema = ftm_model.get(e.schema)
            assert schema is not None
            for prop in e.properties:
                assert prop in schema.properties, (e.id, prop)
            for ident in e.identifiers:
                assert ident.type in schema.properties, (e.id, ident)


def test_unparsed_remarks_are_kept_and_counted(sdn_latest: ParseResult) -> None:
    assert 0 < sdn_latest.stats["remark_fragments_unparsed"] < 1000
    e = by_id(sdn_latest)["us_ofac_sdn:11313"]
    assert any(n.startswith("(Following data derived from") for n in e.get("notes"))


def test_entities_round_trip(sdn_latest: ParseResult) -> None:
    for e in sdn_latest.entities[:500]:
        assert Entity.from_dict(e.to_dict()) == e


def test_parse_speed() -> None:
    require_shared()
    ofac.parse(OFAC / "cons_latest")  # warm the country index
    # CPU time, not wall time: other processes on a busy CI box must not fail this test.
    start = time.process_time()
    result = ofac.parse(OFAC / "sdn_latest")
    elapsed = time.process_time() - start
    assert len(result.entities) == 14965
    assert elapsed < 2.0, f"sdn_latest took {elapsed:.2f} s"


# -- remarks ----------------------------------------------------------------------------------


def remarks_entity(remarks: str, schema: str = "Person") -> tuple[Entity, ParseResult]:
    result = ParseResult(dataset="us_ofac_sdn", entities=[])
    entity = Entity(id="us_ofac_sdn:1", schema=schema, dataset="us_ofac_sdn")
    ctx = ofac.Context(result=result, dataset="us_ofac_sdn", names={"BANCO X, S.A.": ["7"]})
    ofac.parse_remarks(ofac.Builder(entity, result), remarks, ctx)
    return entity, result


@pytest.mark.parametrize(
    ("remarks", "dates"),
    [
        ("DOB 05 Feb 1970.", ["1970-02-05"]),
        ("DOB 1970.", ["1970"]),
        ("DOB Feb 1970.", ["1970-02"]),
        ("DOB circa 1970.", ["1970"]),
        ("DOB 1968 to 1970.", ["1968", "1970"]),
        ("DOB circa 1979-1982.", ["1979", "1982"]),
        ("DOB 01 Jan 1961 to 31 Dec 1962.", ["1961-01-01", "1962-12-31"]),
        ("DOB 01 Jan 1961; alt. DOB 02 Feb 1962.", ["1961-01-01", "1962-02-02"]),
    ],
)
def test_dates_of_birth(remarks: str, dates: list[str]) -> None:
    e, result = remarks_entity(remarks)
    assert e.get("birthDate") == dates
    assert "remark_fragments_unparsed" not in result.stats


def test_date_range_keeps_the_raw_text() -> None:
    e, _ = remarks_entity("DOB 1968 to 1970.")
    assert e.record["dob_raw"] == ["1968 to 1970"]


def test_remark_fragments() -> None:
    e, result = remarks_entity(
        "POB Pyongyang, North Korea; citizen Burma; nationality possibly Palestinian; "
        "Gender Female; Email Address info@example.ir; Website www.example.ir; "
        "Phone Number 982188526300; National ID No. 216040 (Yemen); "
        "Tax ID No. 7744001497 (Russia); Cedula No. 6068015 (Colombia); "
        "Digital Currency Address - ETH 0x098B716B8Aaf21512996dC57EB0615e2383E2f96; "
        "a.k.a. 'ABU X'; f.k.a. 'OLD NAME'; Linked To: BANCO X, S.A.; "
        "Additional Sanctions Information - Subject to Secondary Sanctions; "
        "Something nobody parses."
    )
    assert e.get("birthPlace") == ["Pyongyang, North Korea"]
    assert e.get("citizenship") == ["mm"]
    assert e.get("nationality") == ["ps"]
    assert e.get("gender") == ["female"]
    assert e.get("email") == ["info@example.ir"]
    assert e.get("website") == ["www.example.ir"]
    assert e.get("phone") == ["982188526300"]
    assert Identifier("idNumber", "216040", "ye", "National ID No.") in e.identifiers
    assert Identifier("taxNumber", "7744001497", "ru", "Tax ID No.") in e.identifiers
    assert Identifier("idNumber", "6068015", "co", "Cedula No.") in e.identifiers
    assert e.wallets == [Wallet("ETH", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")]
    assert e.get("weakAlias") == ["ABU X"]
    assert e.get("previousName") == ["OLD NAME"]
    assert e.links == [Link("linked_to", "us_ofac_sdn:7", "BANCO X, S.A.")]
    assert e.get("notes") == [
        "Additional Sanctions Information - Subject to Secondary Sanctions",
        "Something nobody parses",
    ]
    assert result.stats["remark_fragments_unparsed"] == 1


def test_organisation_and_vessel_remarks() -> None:
    org, _ = remarks_entity(
        "SWIFT/BIC havigb2l; Organization Established Date 01 Jan 2001; "
        "Organization Type: Activities of holding companies; "
        "Unified Social Credit Code (USCC) 91110108MA01 (China); "
        "Legal Entity Number 253400WSS48YWMBUA688; Registration Number HRB 14604 (Germany).",
        schema="Organization",
    )
    assert org.get("swiftBic") == ["HAVIGB2L"]
    assert org.get("incorporationDate") == ["2001-01-01"]
    assert org.get("sector") == ["Activities of holding companies"]
    assert org.get("leiCode") == ["253400WSS48YWMBUA688"]
    assert org.get("registrationNumber") == ["91110108MA01", "HRB 14604"]
    vessel, _ = remarks_entity(
        "Vessel Registration Identification IMO 9123456; MMSI 572469210; "
        "Former Vessel Flag Malta; Vessel Year of Build 1999.",
        schema="Vessel",
    )
    assert vessel.get("imoNumber") == ["9123456"]
    assert vessel.get("mmsi") == ["572469210"]
    assert vessel.get("pastFlags") == ["mt"]
    assert vessel.get("buildDate") == ["1999"]


def test_values_outside_the_schema_fall_back() -> None:
    org, result = remarks_entity(
        "DOB 1970; nationality Iran; Passport A123456 (Iran).", schema="Organization"
    )
    assert "birthDate" not in org.properties
    assert org.get("notes") == ["DOB: 1970"]
    assert org.get("country") == ["ir"]
    assert org.identifiers == [Identifier("idNumber", "A123456", "ir", "Passport")]
    assert result.stats["values_outside_schema"] == 2


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Korea, North", "kp"),
        ("Burma", "mm"),
        ("Russia", "ru"),
        ("Region: Gaza", "ps"),
        ("Bosnia-Herzegovina", "ba"),
        ("Congo, Democratic Republic of the", "cd"),
        ("None Identified", None),
        ("undetermined", None),
        ("Jalisco", None),
    ],
)
def test_country_codes(name: str, code: str | None) -> None:
    assert ofac.country_code(name) == code


# -- fixtures: the module contract ------------------------------------------------------------


def test_fixture_folder() -> None:
    result = ofac.parse(SDN_FIXTURE)
    assert len(result.entities) == 8
    assert result.stats["orphan_alias_entities"] == 1
    assert result.stats["orphan_address_entities"] == 1
    assert result.stats["entities_without_address_row"] == 1  # 15431
    assert result.stats["comment_rows_not_continuing"] == 1  # 22985
    e = by_id(result)["us_ofac_sdn:15431"]
    assert Link("linked_to", "us_ofac_sdn:13109", "POUYA AIR") in e.links


def test_sdn_csv_path_equals_folder() -> None:
    a = ofac.parse(SDN_FIXTURE)
    b = ofac.parse(SDN_FIXTURE / "sdn.csv")
    assert [e.to_dict() for e in a.entities] == [e.to_dict() for e in b.entities]


def test_cons_fixture() -> None:
    result = ofac.parse(CONS_FIXTURE / "cons_prim.csv")
    assert result.dataset == "us_ofac_cons"
    assert [e.id for e in result.entities] == [
        "us_ofac_cons:9639",
        "us_ofac_cons:9647",
        "us_ofac_cons:17250",
    ]


def test_detect(tmp_path: Path) -> None:
    assert ofac.detect(SDN_FIXTURE)
    assert ofac.detect(SDN_FIXTURE / "sdn.csv")
    assert ofac.detect(CONS_FIXTURE)
    assert not ofac.detect(SDN_FIXTURE / "alt.csv")
    assert not ofac.detect(FIXTURES / "ofac")
    assert not ofac.detect(FIXTURES / "ofac" / "README.md")
    renamed = tmp_path / "sdn_2024-05-03.csv"
    shutil.copy(SDN_FIXTURE / "sdn.csv", renamed)
    assert ofac.detect(renamed)
    other = tmp_path / "other.csv"
    other.write_text("id,name\n1,x\n")
    assert not ofac.detect(other)
    assert sources.detect(SDN_FIXTURE) is ofac
    assert sources.by_dataset("us_ofac_cons") is ofac
    assert ofac.DATASET == "us_ofac_sdn"
    assert ofac.DATASETS == ("us_ofac_sdn", "us_ofac_cons")


def test_real_lists_detected() -> None:
    require_shared()
    for name in ("sdn_latest", "sdn_2021-07-07", "cons_latest"):
        assert ofac.detect(OFAC / name)
    assert not ofac.detect(OFAC)
    assert not ofac.detect(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")
    assert not ofac.detect(LISTS / "us_csl" / "trade_gov_csl_consolidated_2022-05.csv.gz")


def test_missing_siblings_load_with_a_warning(tmp_path: Path) -> None:
    shutil.copy(SDN_FIXTURE / "sdn.csv", tmp_path / "sdn.csv")
    result = ofac.parse(tmp_path / "sdn.csv")
    assert len(result.entities) == 8
    assert result.stats["missing_files"] == 3
    assert any("alt.csv not found" in w for w in result.warnings)
    assert result.files == [tmp_path / "sdn.csv"]
    # Weak a.k.a.s from the remarks are still there.
    assert by_id(result)["us_ofac_sdn:306"].get("weakAlias") == ["BNC"]


# -- broken files -----------------------------------------------------------------------------


def broken_copy(tmp_path: Path, name: str, data: bytes, fixture: Path = SDN_FIXTURE) -> Path:
    folder = tmp_path / "ofac"
    shutil.copytree(fixture, folder)
    (folder / name).write_bytes(data)
    return folder


def assert_refused(folder: Path, name: str, *words: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        ofac.parse(folder)
    message = str(info.value)
    assert name in message
    for word in words:
        assert word in message, message
    return info.value


def test_truncated_row(tmp_path: Path) -> None:
    data = (SDN_FIXTURE / "sdn.csv").read_bytes()
    cut = data[: data.index(b"Passport 927220230")]  # inside a quoted Remarks field
    folder = broken_copy(tmp_path, "sdn.csv", cut)
    assert_refused(folder, "sdn.csv", "truncated")


def test_truncated_between_fields(tmp_path: Path) -> None:
    data = (SDN_FIXTURE / "alt.csv").read_bytes()
    lines = data.split(b"\r\n")
    lines[3] = lines[3].rsplit(b",", 2)[0]
    folder = broken_copy(tmp_path, "alt.csv", b"\r\n".join(lines))
    err = assert_refused(folder, "alt.csv", "row has 3 fields, expected 5")
    assert err.where == "line 4"


def test_wrong_column_count(tmp_path: Path) -> None:
    lines = (SDN_FIXTURE / "sdn.csv").read_bytes().split(b"\r\n")
    lines[1] = lines[1] + b',"extra"'
    folder = broken_copy(tmp_path, "sdn.csv", b"\r\n".join(lines))
    err = assert_refused(folder, "sdn.csv", "13 fields, expected 12", "line 2")
    assert err.where == "line 2"


def test_unclosed_quote_in_the_middle(tmp_path: Path) -> None:
    lines = (SDN_FIXTURE / "add.csv").read_bytes().split(b"\r\n")
    lines[2] = lines[2].replace(b'",', b",", 1)
    folder = broken_copy(tmp_path, "add.csv", b"\r\n".join(lines))
    assert_refused(folder, "add.csv", "line")


def test_binary_file(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "sdn.csv", bytes(range(256)) * 20)
    assert_refused(folder, "sdn.csv", "binary")


def test_zip_file(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(SDN_FIXTURE / "sdn.csv", "sdn.csv")
    folder = broken_copy(tmp_path, "sdn.csv", buffer.getvalue())
    assert_refused(folder, "sdn.csv", "binary")


def test_utf16_file(tmp_path: Path) -> None:
    text = (SDN_FIXTURE / "sdn.csv").read_bytes().decode("cp1252")
    folder = broken_copy(tmp_path, "sdn.csv", text.encode("utf-16"))
    assert_refused(folder, "sdn.csv", "UTF-16")


def test_utf16_without_bom(tmp_path: Path) -> None:
    text = (SDN_FIXTURE / "sdn.csv").read_bytes().decode("cp1252")
    folder = broken_copy(tmp_path, "sdn.csv", text.encode("utf-16-le"))
    assert_refused(folder, "sdn.csv", "UTF-16")


def test_html_error_page(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "sdn.csv", b"<!DOCTYPE html><html><body>Access Denied</body>")
    assert_refused(folder, "sdn.csv", "HTML")


def test_line_end_after_the_eof_byte(tmp_path: Path) -> None:
    data = (SDN_FIXTURE / "sdn.csv").read_bytes()
    folder = broken_copy(tmp_path, "sdn.csv", data + b"\r\n")
    result = ofac.parse(folder)
    assert len(result.entities) == 8
    assert "files_without_eof_marker" not in result.stats


def test_empty_primary(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "sdn.csv", b"")
    assert_refused(folder, "sdn.csv", "empty")


def test_primary_with_only_the_eof_byte(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "sdn.csv", b"\x1a")
    assert_refused(folder, "sdn.csv", "no entries")


def test_empty_sibling(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "alt.csv", b"")
    assert_refused(folder, "alt.csv", "empty")


def test_header_row(tmp_path: Path) -> None:
    data = b"ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,"
    data += b"Vess_owner,Remarks\r\n" + (SDN_FIXTURE / "sdn.csv").read_bytes()
    folder = broken_copy(tmp_path, "sdn.csv", data)
    err = assert_refused(folder, "sdn.csv", "header")
    assert err.where == "line 1"


def test_duplicate_ent_num_is_merged_and_warned(tmp_path: Path) -> None:
    """One policy for repeated ids in every parser (issue 13, item 6): the repeat loads merged
    into the first entry, every name kept, with a warning naming the line."""
    data = (SDN_FIXTURE / "sdn.csv").read_bytes().rstrip(b"\x1a")
    lines = data.split(b"\r\n")
    again = lines[0].replace(b'"BANCO NACIONAL DE CUBA"', b'"NATIONAL BANK OF CUBA"')
    folder = broken_copy(tmp_path, "sdn.csv", data + again + b"\r\n\x1a")
    result = ofac.parse(folder)
    assert len(result.entities) == len(ofac.parse(SDN_FIXTURE).entities)
    bank = next(e for e in result.entities if e.id == "us_ofac_sdn:306")
    assert bank.get("name") == ["BANCO NACIONAL DE CUBA", "NATIONAL BANK OF CUBA"]
    assert "BNC" in [n for n, _ in bank.names()]  # the first row's remarks and aliases are still there
    assert bank.record["duplicates"][0]["primary"]["SDN_Name"] == "NATIONAL BANK OF CUBA"
    assert result.stats["duplicate_ids"] == 1
    line = len([x for x in lines if x]) + 1
    assert any(f"ent_num us_ofac_sdn:306 at sdn.csv line {line}, first on line 1" in w for w in result.warnings), result.warnings


def test_cons_broken_sibling(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "cons_add.csv", b"9639,1\r\n", fixture=CONS_FIXTURE)
    assert_refused(folder, "cons_add.csv", "2 fields, expected 6")


def test_wrong_paths(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        ofac.parse(tmp_path / "nothing")
    with pytest.raises(SourceError, match="no sdn.csv or cons_prim.csv"):
        ofac.parse(tmp_path)
    with pytest.raises(SourceError, match="pass sdn.csv"):
        ofac.parse(SDN_FIXTURE / "alt.csv")
    both = tmp_path / "both"
    shutil.copytree(SDN_FIXTURE, both)
    shutil.copy(CONS_FIXTURE / "cons_prim.csv", both / "cons_prim.csv")
    with pytest.raises(SourceError, match="both"):
        ofac.parse(both)
    other = tmp_path / "list.csv"
    other.write_text("id,name\n1,x\n")
    with pytest.raises(SourceError, match="not an OFAC legacy CSV") as info:
        ofac.parse(other)
    assert "list.csv" in str(info.value)
