"""EU consolidated financial sanctions list parser, against a hand-typed fixture in the
published XML structure (the real EU file is not archived in shared data)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from listguard.model import Entity, Identifier, Link
from listguard.sources import SourceError, eu, un, uk
from listguard.sources.base import ParseResult
from tests.conftest import FIXTURES, LISTS, require_shared

EU_FILE = FIXTURES / "eu" / "eu_fsf_sample.xml"
NS = 'xmlns="http://eu.europa.ec/fpi/fsd/export"'


@pytest.fixture(scope="module")
def result() -> ParseResult:
    return eu.parse(EU_FILE)


@pytest.fixture(scope="module")
def by_id(result: ParseResult) -> dict[str, Entity]:
    return {e.id: e for e in result.entities}


def test_detect(tmp_path: Path) -> None:
    require_shared()
    assert eu.detect(EU_FILE)
    assert not un.detect(EU_FILE) and not uk.detect(EU_FILE)
    assert not eu.detect(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")
    assert not eu.detect(FIXTURES / "uk" / "uk_sanctions_list_sample.xml")
    # root "export" in another namespace (or none) is not the EU list
    other = tmp_path / "export.xml"
    other.write_text('<?xml version="1.0"?><export xmlns="urn:example"><sanctionEntity/></export>')
    assert not eu.detect(other)
    prefixed = tmp_path / "prefixed.xml"
    prefixed.write_text(
        '<?xml version="1.0"?><fsd:export xmlns:fsd="http://eu.europa.ec/fpi/fsd/export" generationDate="x"/>'
    )
    assert eu.detect(prefixed)


def test_publication_and_counts(result: ParseResult) -> None:
    assert result.dataset == "eu_fsf"
    assert result.published_at == "2025-08-11T18:00:02.451+02:00"
    assert len(result.entities) == 6
    assert Counter(e.schema for e in result.entities) == {"Person": 3, "Organization": 3}
    assert [e.id for e in result.entities] == [
        "eu_fsf:13412",
        "eu_fsf:136862",
        "eu_fsf:136880",
        "eu_fsf:121430",
        "eu_fsf:118001",
        "eu_fsf:136890",
    ]
    assert result.stats == {}
    assert result.warnings == []


def test_person_with_names_in_several_languages(by_id: dict[str, Entity]) -> None:
    e = by_id["eu_fsf:13412"]
    assert e.schema == "Person"
    assert e.get("name") == ["Doku Khamatovich Umarov"]
    assert e.get("alias") == ["Умаров Доку Хаматович", "Lom-ali Butayev (Butaev)", "Dokka Umarov"]
    assert e.get("weakAlias") == []
    assert e.get("firstName") == ["Doku", "Доку", "Dokka"]
    assert e.get("middleName") == ["Khamatovich", "Хаматович"]
    assert e.get("lastName") == ["Umarov", "Умаров"]
    assert e.get("gender") == ["male"]
    assert e.get("birthDate") == ["1964-04-13", "1965-04-13", "1964-05-12", "1955"]
    # only the first birthdate has a place; "00"/UNKNOWN countries are not countries
    assert e.get("birthPlace") == [
        "Kharsenoy Village, Shatoyskiy (Sovetskiy) District, Chechenskaya Respublika, RUSSIAN FEDERATION"
    ]
    assert e.get("birthCountry") == ["ru"]
    assert e.get("nationality") == ["ru"]
    assert e.identifiers == [
        Identifier("passportNumber", "96 03 464086", "ru", "National passport; issued 2003-06-01")
    ]
    assert e.get("passportNumber") == ["96 03 464086"]
    assert e.get("program") == ["TAQA"]
    assert e.get("createdAt") == ["2011-03-10"]  # designationDate
    assert e.get("notes")[0].startswith("Physical description: 180 cm tall")
    assert e.links == [Link("same_as", "un_sc_sanctions:QDi.290", "Doku Khamatovich Umarov")]
    assert e.record["unitedNationId"] == "QDi.290"
    assert e.record["euReferenceNumber"] == "EU.2685.85"
    assert e.record["regulation"]["numberTitle"] == "262/2011 (OJ L71)"
    assert [a["wholeName"] for a in e.record["nameAlias"]][1] == "Умаров Доку Хаматович"
    assert e.record["nameAlias"][1]["nameLanguage"] == "RU"
    assert len(e.record["birthdate"]) == 4
    assert "function" not in e.record["nameAlias"][0]  # empty attributes are dropped


def test_person_passport_with_issuer_and_validity(by_id: dict[str, Entity]) -> None:
    e = by_id["eu_fsf:136862"]
    assert e.get("name") == ["Alexey Valeryevich MININ"]
    assert e.get("alias") == ["Алексей Валерьевич МИНИН"]
    assert e.get("position") == ["Human intelligence support officer of the GRU"]
    assert e.get("birthDate") == ["1972-05-27"]
    assert e.get("birthPlace") == ["Perm Oblast, RUSSIAN FEDERATION"]
    assert e.identifiers == [
        Identifier(
            "passportNumber",
            "120017582",
            "ru",
            "National passport; issued by Ministry of Foreign Affairs of the Russian Federation; "
            "valid from 2017-04-17; valid to 2022-04-17",
        )
    ]
    assert e.get("address") == ["Moscow, RUSSIAN FEDERATION"]
    assert e.get("country") == ["ru"]
    assert e.get("program") == ["CYB"]
    assert e.links == []  # an EU-only listing


def test_weak_aliases(by_id: dict[str, Entity]) -> None:
    e = by_id["eu_fsf:121430"]
    assert e.get("name") == ["Maghomed Maghomedzakirovich Abdurakhmanov"]
    assert e.get("alias") == ["Абдурахманов Магомед Магомедзакирович"]
    assert e.get("weakAlias") == ["Abu Banat", "Абу Банат", "Abu al Banat"]  # strong="false"
    assert e.get("firstName") == ["Maghomed", "Магомед"]  # weak aliases give no name parts
    assert e.get("country") == ["tr", "sy"]
    assert e.get("address") == []  # country-only addresses are countries, not addresses
    assert [(i.type, i.number, i.country) for i in e.identifiers] == [
        ("passportNumber", "515458008", "ru"),
        ("idNumber", "8200203535", "ru"),
    ]
    assert "knownExpired" in (e.identifiers[0].note or "")
    assert "Russian foreign travel passport" in (e.identifiers[0].note or "")
    assert e.links == [
        Link("same_as", "un_sc_sanctions:QDi.363", "Maghomed Maghomedzakirovich Abdurakhmanov")
    ]


def test_enterprises(by_id: dict[str, Entity]) -> None:
    chosun = by_id["eu_fsf:136880"]
    assert chosun.schema == "Organization"
    assert chosun.get("name") == ["Chosun Expo"]
    assert chosun.get("alias") == ["Chosen Expo", "Korea Export Joint Venture"]
    assert chosun.get("country") == ["kp"]
    assert chosun.get("createdAt") == ["2020-07-30"]
    assert chosun.get("gender") == [] and chosun.get("firstName") == []
    assert "WannaCry" in chosun.get("notes")[0]

    bank = by_id["eu_fsf:118001"]
    assert bank.get("name") == ["Foreign Trade Bank (FTB)"]
    assert bank.get("swiftBic") == ["FTBDKPPY"]
    assert bank.identifiers == [Identifier("swiftBic", "FTBDKPPY", "kp", "SWIFT BIC")]
    assert bank.get("address") == [
        "FTB Building, Jungsong-dong, Central District, Pyongyang, "
        "NORTH KOREA (DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA)"
    ]
    assert bank.get("program") == ["PRK"]
    assert bank.links == [Link("same_as", "un_sc_sanctions:KPe.047", "Foreign Trade Bank (FTB)")]

    tianjin = by_id["eu_fsf:136890"]
    assert tianjin.get("alias") == ["Haitai Technology Development Co. Ltd", "天津华盈海泰科技发展有限公司"]
    assert tianjin.get("country") == ["cn"]


def test_eu_and_un_agree_on_shared_listings() -> None:
    """The EU fixture's UN-derived entries carry the UN's facts: the link lands on them."""
    require_shared()
    un_entities = {e.id: e for e in un.parse(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml").entities}
    for entity in eu.parse(EU_FILE).entities:
        for link in entity.links:
            assert link.target is not None
            target = un_entities[link.target]  # every same_as target exists on the UN list
            assert set(entity.get("birthDate")) <= set(target.get("birthDate")) or entity.schema != "Person"
            assert set(entity.get("passportNumber")) <= set(target.get("passportNumber"))


def test_entities_serialise(result: ParseResult) -> None:
    for e in result.entities:
        assert Entity.from_dict(orjson.loads(e.to_json())) == e


# -- details that the fixture does not exercise --------------------------------------------------


def _doc(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><export {NS} generationDate="2025-01-01">{body}</export>'


def test_birth_date_forms_contacts_and_unknown_types(tmp_path: Path) -> None:
    path = tmp_path / "eu.xml"
    path.write_text(
        _doc(
            '<sanctionEntity logicalId="1">'
            '<subjectType code="person"/>'
            '<nameAlias wholeName="" firstName="Ivan" lastName="Petrov" strong="true" gender="M" title="General"/>'
            '<birthdate year="1960" monthOfYear="3" circa="true" countryIso2Code="00" countryDescription="UNKNOWN"/>'
            '<birthdate yearRangeFrom="1970" yearRangeTo="1972"/>'
            '<birthdate birthdate="1961-02-30"/>'
            '<identification identificationTypeCode="mystery" number="X1" latinNumber="Y1"/>'
            '<identification identificationTypeCode="passport" number=""/>'
            '<address city="Minsk" countryIso2Code="BY" countryDescription="BELARUS">'
            '<contactInfo key="EMAIL" value="info@example.by"/><contactInfo key="PHONE" value="+375 17 000"/>'
            "</address>"
            "</sanctionEntity>"
            '<sanctionEntity logicalId="2"><subjectType code="vessel"/><nameAlias wholeName="SEA"/></sanctionEntity>'
            '<sanctionEntity logicalId="1"><subjectType code="person"/><nameAlias wholeName="Dup"/></sanctionEntity>'
            '<sanctionEntity><subjectType code="person"/><nameAlias wholeName="No id"/></sanctionEntity>'
        )
    )
    result = eu.parse(path)
    person, other = result.entities
    # built from the parts when wholeName is empty; the repeated logicalId 1 is merged in
    assert person.get("name") == ["Ivan Petrov", "Dup"]
    assert person.get("title") == ["General"]
    assert person.get("birthDate") == ["1960-03", "1970", "1971", "1972"]
    assert result.stats["unparsed_birth_dates"] == 1  # 30 February
    assert result.stats["unknown_identification_types"] == 1
    assert [(i.type, i.number) for i in person.identifiers] == [("idNumber", "X1"), ("idNumber", "Y1")]
    assert result.stats["documents_without_number"] == 1
    assert person.get("email") == ["info@example.by"] and person.get("phone") == ["+375 17 000"]
    assert person.get("address") == ["Minsk, BELARUS"] and person.get("country") == ["by"]
    assert other.schema == "LegalEntity" and result.stats["unknown_subject_types"] == 1
    assert result.stats["duplicate_ids"] == 1
    assert result.stats["records_without_id"] == 1


# -- bad input ---------------------------------------------------------------------------------


def test_truncated(tmp_path: Path) -> None:
    data = EU_FILE.read_bytes()
    cut = tmp_path / "eu_cut.xml"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    assert eu.detect(cut)
    with pytest.raises(SourceError) as info:
        eu.parse(cut)
    assert "eu_cut.xml" in str(info.value) and "line " in str(info.value)


def test_billion_laughs_and_xxe(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    entities = "".join(
        f'<!ENTITY l{i} "{("&l0;" if i == 1 else f"&l{i - 1};") * 10}">' for i in range(1, 10)
    )
    lol = tmp_path / "lol.xml"
    lol.write_text(
        f'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY l0 "lol">{entities}]>'
        + _doc("").split("?>", 1)[1].replace("</export>", "<remark>&l9;</remark></export>")
    )
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        f'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "file://{secret}">]>'
        + _doc("").split("?>", 1)[1].replace("</export>", "<remark>&x;</remark></export>")
    )
    for path in (lol, xxe):
        started = time.perf_counter()
        with pytest.raises(SourceError) as info:
            eu.parse(path)
        assert time.perf_counter() - started < 1.0
        assert "DOCTYPE" in str(info.value) and path.name in str(info.value)
        assert "TOP-SECRET-VALUE" not in str(info.value)


def test_wrong_root_and_wrong_namespace(tmp_path: Path) -> None:
    require_shared()
    with pytest.raises(SourceError, match="not an EU consolidated financial sanctions list"):
        eu.parse(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml")
    other = tmp_path / "export.xml"
    other.write_text('<?xml version="1.0"?><export generationDate="x"><sanctionEntity logicalId="1"/></export>')
    with pytest.raises(SourceError, match="namespace"):
        eu.parse(other)


def test_empty_file_and_empty_list(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.touch()
    assert not eu.detect(empty)
    with pytest.raises(SourceError, match="empty"):
        eu.parse(empty)
    hollow = tmp_path / "hollow.xml"
    hollow.write_text(_doc(""))
    with pytest.raises(SourceError, match="no sanctionEntity"):
        eu.parse(hollow)
