"""SWIFT MT and ISO 20022 messages: parsing, bad input, and screening against the real lists."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from text_helpers import TEXT_FIXTURES, full_screener

from listguard.text.document import DocumentError
from listguard.text.messages import MessageError, parse_iso20022, parse_mt
from listguard.text.messages.jurisdictions import DEFAULT_CODES, DEFAULT_PLACES, Jurisdictions, load_jurisdictions
from listguard.text.messages.screen import load_message, screen_message

MESSAGES = TEXT_FIXTURES / "messages"


# ------------------------------------------------------------------------------ parsing
def test_mt103_parties_fields_and_lines() -> None:
    msg = load_message(MESSAGES / "mt103_listed_beneficiary.txt")
    assert msg.format == "MT103" and msg.reference == "INV2023114REF"
    by_field = {p.field: p for p in msg.parties}
    assert by_field["block 1"].bic == "DEUTDEFF" and by_field["block 2"].bic == "BKCHCNBJ"
    ordering = by_field["50K"]
    assert ordering.role == "ordering customer" and ordering.name == "MUELLER MASCHINENBAU GMBH"
    assert ordering.account == "DE89370400440532013000" and ordering.country == "de"
    assert by_field["57A"].bic == "BKCHCNBJ540"
    bene = by_field["59"]
    assert bene.name == "YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO LTD"
    assert bene.location == "line 11" and bene.country == "cn"
    (remittance,) = msg.free_text
    assert remittance.field == "70" and "JONG SONG HWA" in remittance.text


def test_mt_option_f_and_party_identifier() -> None:
    msg = parse_mt(
        "{1:F01BANKBEBBAXXX0000000000}{2:I103BANKDEFFXXXXN}{4:\n:20:X1\n:32A:230101EUR1,00\n"
        ":50F:/BE68539007547034\n1/JONG SONG HWA\n2/KORYO HOTEL\n3/KP/PYONGYANG\n7/KP/927220230\n"
        ":59F:/DE89370400440532013000\n1/ERIKA MUSTERMANN\n3/DE/BERLIN\n:71A:OUR\n-}"
    )
    f50 = next(p for p in msg.parties if p.field == "50F")
    assert f50.name == "JONG SONG HWA" and f50.country == "kp" and "927220230" in f50.identifiers
    assert f50.account == "BE68539007547034"
    f59 = next(p for p in msg.parties if p.field == "59F")
    assert f59.name == "ERIKA MUSTERMANN" and f59.country == "de"


def test_pacs008_parties_by_local_name_any_version() -> None:
    data = (MESSAGES / "pacs008_listed_creditor.xml").read_bytes()
    for version in (b"pacs.008.001.08", b"pacs.008.001.10", b"pacs.008.001.02"):
        msg = parse_iso20022(data.replace(b"pacs.008.001.08", version))
        assert msg.format == "pacs.008"
        fields = [p.field for p in msg.parties]
        assert fields == ["Dbtr", "DbtrAgt", "IntrmyAgt1", "CdtrAgt", "Cdtr"]
        cdtr = msg.parties[-1]
        assert cdtr.name == "Jong Song-hwa" and cdtr.country == "kp" and cdtr.account == "0012-7788-99"
        assert msg.parties[0].account == "NL91ABNA0417164300"
        assert msg.free_text[0].location.endswith("RmtInf/Ustrd")


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "text, where",
    [
        ("{1:F01BANKBEBBAXXX0000000000}{2:I103BANKDEFFXXXXN}", "block 4"),
        ("{1:F01BANKBEBBAXXX0000000000}{4:\n:20:X\n:59:/1\nNAME\n", "block 4.*not terminated"),
        ("{1:F01BANKBEBBAXXX0000000000}{4:\nGARBAGE LINE\n:20:X\n-}", "block 4, line 2"),
        ("{1:F01BANKBEBBAXXX0000000000}{4:\n:20:X\n:57A:NOT A BIC!\n-}", "line 3.*57A.*not a BIC"),
        ("{1:F01BANK{2:I103", "block 1.*not closed"),
        ("{1:F01BANKBEBBAXXX0000000000}junk{4:\n:20:X\n-}", "line 1"),
        ("{1:F01BANKBEBBAXXX0000000000}{2:X103}{4:\n:20:X\n-}", "block 2"),
    ],
)
def test_malformed_mt_says_where(text: str, where: str) -> None:
    with pytest.raises(MessageError, match=where):
        parse_mt(text)


def test_hostile_xml_is_refused_fast(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10))
        + b']><Document><Cdtr><Nm>&lol9;</Nm></Cdtr></Document>'
    )
    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document><Cdtr><Nm>&x;</Nm></Cdtr></Document>'
    for data in (laughs, xxe):
        path = tmp_path / "m.xml"
        path.write_bytes(data)
        started = time.perf_counter()
        with pytest.raises(MessageError, match="DOCTYPE"):
            load_message(path)
        assert time.perf_counter() - started < 1.0


def test_other_bad_messages(tmp_path: Path) -> None:
    path = tmp_path / "m"
    path.write_bytes(b"<Document><Cdtr><Nm>x</Nm></Cdtr>")  # truncated
    with pytest.raises(MessageError, match="malformed XML at line 1"):
        load_message(path)
    path.write_bytes(b"\x00\x01\x02binary" * 50)
    with pytest.raises(DocumentError, match="binary"):
        load_message(path)
    path.write_bytes(b"Dear sir, please pay")
    with pytest.raises(MessageError, match="neither a SWIFT MT message"):
        load_message(path)
    path.write_bytes(b":20:X\n" * 1000)
    with pytest.raises(DocumentError, match="limit"):
        load_message(path, max_bytes=1000)


def test_jurisdictions_config(tmp_path: Path) -> None:
    default = Jurisdictions(frozenset({"kp", "ua-cri"}), {"kerch": "ua-cri"})
    assert default.code_hit("KP") == "kp" and default.code_hit("ua-43") == "ua-cri" and default.code_hit("ua") is None
    found = [(c, w) for c, w, _s, _e in default.find_in_text("GOODS EX KERCH VIA NORTH KOREA, NOT SOUTH KOREA")]
    assert found == [("ua-cri", "KERCH"), ("kp", "NORTH KOREA")]
    path = tmp_path / "jurisdictions.toml"
    path.write_text('codes = ["by", "ir"]\n[places]\n"minsk-2" = "by"\n')
    conf = load_jurisdictions(path)
    assert conf.codes == {"by", "ir"} and conf.code_hit("kp") is None
    path.write_text('codes = ["xx-nowhere"]\n')
    with pytest.raises(ValueError, match="unknown country/region codes"):
        load_jurisdictions(path)
    path.write_text("codes = [\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_jurisdictions(path)


# ---------------------------------------------------------------------------- screening
@pytest.fixture(scope="module")
def screener():  # type: ignore[no-untyped-def]
    return full_screener()


def _alerts(name: str, screener) -> list[tuple[str, str, str, list[str]]]:  # type: ignore[no-untyped-def]
    defaults = Jurisdictions(frozenset(DEFAULT_CODES), dict(DEFAULT_PLACES))
    result = screen_message(load_message(MESSAGES / name), screener, defaults)
    return [(a.kind, a.field, a.value, sorted(h.entity_id for h in a.hits)) for a in result.alerts]


def test_mt103_listed_beneficiary_and_remittance_text(screener) -> None:  # type: ignore[no-untyped-def]
    assert _alerts("mt103_listed_beneficiary.txt", screener) == [
        ("name", "59", "YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO LTD", ["us_ofac_sdn:24977"]),
        ("text", "70", "JONG SONG HWA", ["us_ofac_sdn:24979"]),
    ]


def test_mt202_listed_beneficiary_institution_by_bic(screener) -> None:  # type: ignore[no-untyped-def]
    assert _alerts("mt202_listed_institution.txt", screener) == [
        ("identifier", "58A", "FTBDKPPY", ["un_sc_sanctions:KPe.047", "us_ofac_sdn:15603"]),
        ("country", "58A", "kp", []),
        ("text", "72", "NAMPO", []),
    ]


def test_pacs008_listed_creditor_agent_and_remittance(screener) -> None:  # type: ignore[no-untyped-def]
    alerts = _alerts("pacs008_listed_creditor.xml", screener)
    kinds = [(k, f, v) for k, f, v, _ids in alerts]
    assert kinds == [
        ("name", "CdtrAgt", "Bank Pasargad"),
        ("identifier", "CdtrAgt", "BKBPIRTH"),
        ("country", "CdtrAgt", "ir"),
        ("name", "Cdtr", "Jong Song-hwa"),
        ("country", "Cdtr", "kp"),
        ("text", "Ustrd", "Chinyong IT Cooperation Company"),
    ]
    ids = {(k, f): i for k, f, _v, i in alerts}
    assert ids[("identifier", "CdtrAgt")] == ["us_ofac_sdn:13133"]
    assert "us_ofac_sdn:24979" in ids[("name", "Cdtr")]
    assert ids[("text", "Ustrd")] == ["us_ofac_sdn:43379"]


def test_pain001_only_the_ultimate_creditor(screener) -> None:  # type: ignore[no-untyped-def]
    assert _alerts("pain001_listed_ultimate.xml", screener) == [
        ("name", "UltmtCdtr", "Korea Daesong Bank", ["un_sc_sanctions:KPe.035", "us_ofac_sdn:12312"]),
    ]
