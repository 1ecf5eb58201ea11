"""Articles about real designations, screened against the real OFAC SDN and UN lists.

Each article (tests/fixtures/text/) names listed parties in the ways the issue asks for (any
case, hyphenated, possessive, across a line break, after a title, in another script, with and
without legal forms) and unlisted people, companies, places and ordinary words next to them.
The assertion is the *exact* list of mentions: a missed listed party and an extra alert both
fail.
"""

from __future__ import annotations

import pytest

from text_helpers import TEXT_FIXTURES, full_screener, mentions_summary

from listguard.text.document import load_document
from listguard.text.extract import query_name
from listguard.text.screen import screen_document

JONG = "us_ofac_sdn:24979"  # JONG, Song Hwa
SILVERSTAR = "us_ofac_sdn:24977"  # YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD.
VOLASYS = "us_ofac_sdn:24978"  # VOLASYS SILVER STAR
KIM = "us_ofac_sdn:20157"  # KIM, Jong Un
CHINYONG = "us_ofac_sdn:43379"
KOMID = ["un_sc_sanctions:KPe.001", "us_ofac_sdn:9345"]
TANCHON = ["un_sc_sanctions:KPe.003", "us_ofac_sdn:9346"]
RYONBONG = ["un_sc_sanctions:KPe.002", "us_ofac_sdn:9347"]
CCG_VESSEL = ["us_ofac_sdn:17069"]
CCG_SHIPPING = ["un_sc_sanctions:KPe.022", "us_ofac_sdn:17067"]
ROSSIYA = ["us_ofac_sdn:16681"]
SBERBANK = ["us_ofac_sdn:17018", "us_ofac_sdn:18715"]

EXPECTED = {
    "article_dprk_it_workers.txt": [
        ("JONG SONG HWA", [JONG]),  # all-caps headline
        ("Yanbian Silverstar Network Technology Co., Ltd.", [SILVERSTAR]),  # with legal form
        ("Volasys Silver Star", [VOLASYS]),
        ("Jong Song Hwa", [JONG]),  # "CEO Jong Song Hwa": title not in the span
        ("Jong Song Hwa", [JONG]),  # "Jong Song Hwa's firm": possessive not in the span
        ("Volasys Silver Star", [VOLASYS]),  # split over a line break
        ("Kim Jong-un", [KIM]),  # hyphenated, possessive
        ("Yanbian Silverstar", [SILVERSTAR]),  # alias, no legal form
        ("Yanbian Silver Star", [SILVERSTAR]),
        ("Chinyong Information Technology Cooperation Company", [CHINYONG]),  # line break
        ("Chinyong IT Cooperation Company", [CHINYONG]),  # romanisation variant of an alias
        ("Lazarus Group", ["us_ofac_sdn:27307"]),
        ("Bluenoroff", ["us_ofac_sdn:27308"]),
        ("volasys silver star", [VOLASYS]),  # lower case in a chat log
        ("KIM JONG UN", [KIM]),  # "CHAIRMAN KIM JONG UN"
        ("김정은", [KIM]),  # Hangul inside Latin text
    ],
    "article_un_komid.html": [
        ("KOMID", KOMID),  # <title>
        ("Chong Chon Gang", CCG_VESSEL),
        ("Korea Mining Development Trading Corporation", KOMID),
        ("KOMID", KOMID),
        ("Tanchon Commercial Bank", TANCHON),  # a tag inside the name
        ("Korea Ryonbong General Corporation", RYONBONG),
        ("KOMID", KOMID),
        ("Tanchon Commercial Bank", TANCHON),
        ("Korea Ryonbong General Corporation", RYONBONG),  # &nbsp; inside the name
        ("Chong Chon Gang", CCG_VESSEL),
        ("Chongchongang Shipping Company", CCG_SHIPPING),
        ("Chong Chon Gang Shipping Co. Ltd.", CCG_SHIPPING),
        ("Chong Chon Gang", CCG_VESSEL),
    ],
    "article_russia_banks.md": [
        ("Bank Rossiya", ROSSIYA),
        ("Bank Rossiya", ROSSIYA),
        ("Yuri Kovalchuk", ["us_ofac_sdn:16680"]),  # a Markdown link label
        ("Yuri Valentinovich Kovalchuk", ["us_ofac_sdn:16680"]),  # bold, possessive
        ("Vladimir Putin", ["us_ofac_sdn:35096"]),  # "President Vladimir Putin"
        ("Владимир Путин", ["us_ofac_sdn:35096"]),  # Cyrillic inside Latin text
        ("Kirill Kovalchuk", ["us_ofac_sdn:21164"]),
        ("Sberbank", SBERBANK),  # one word, no legal form
        ("BPS-Sberbank", ["us_ofac_sdn:18714"]),
        ("PJSC Sberbank", SBERBANK),  # legal form before the name
        ("Public Joint Stock Company Sberbank of Russia", SBERBANK),
        ("OAO Bank Rossiya", ROSSIYA),  # in a table
    ],
}

#: Written in the articles, and not alerts: unlisted people and companies (some similar to
#: listed ones), places, lone common names, ordinary words, officials quoted.
NOT_ALERTS = {
    "article_dprk_it_workers.txt": [
        "Jong Song Il", "Kim Jong Nam", "Kim", "Mr. Jong", "Sigal Mandelker", "Park Min Jun",
        "Lena Hartmann", "Chinyong Digital Studio", "silver star logistics", "silver star",
        "Pyongyang", "North Korea", "DPRK", "Yanji", "Vladivostok", "Seoul", "Laos",
    ],
    "article_un_komid.html": [
        "Korea Mining Development Bank", "Tanchon Trading Company", "Maria Delgado",
        "Hana Lindqvist", "Havana", "Panama City", "Democratic People", "Kim",
    ],
    "article_russia_banks.md": [
        "Anton Kovalchuk", "Anna Petrova", "Oleg Sorokin", "Moscow", "Russia", "Crimea",
        "rossiya", "Saint Petersburg", "Russian Federation",
    ],
}


@pytest.fixture(scope="module")
def screener():  # type: ignore[no-untyped-def]
    return full_screener()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_article_finds_exactly_the_listed_parties(screener, name: str) -> None:  # type: ignore[no-untyped-def]
    doc = load_document(TEXT_FIXTURES / name)
    mentions = screen_document(doc, screener)
    assert mentions_summary(mentions) == [(t, sorted(ids)) for t, ids in EXPECTED[name]]
    found = {" ".join(m.text.split()).lower() for m in mentions}
    for text in NOT_ALERTS[name]:
        assert text.lower() not in found, f"{text!r} must not be an alert"
    for m in mentions:
        assert all(h.match for h in m.hits)
        if doc.format == "text":
            assert doc.original[m.start : m.end] == m.text
        else:
            # offsets point into the original markup; the visible text there is the mention
            assert query_name(doc.visible[m.start : m.end]) == " ".join(m.text.split())
            assert doc.original[m.start] == m.text[0] and doc.original[m.end - 1] == m.text[-1]


def test_article_mentions_are_in_text_order_and_do_not_overlap(screener) -> None:  # type: ignore[no-untyped-def]
    doc = load_document(TEXT_FIXTURES / "article_dprk_it_workers.txt")
    mentions = screen_document(doc, screener)
    spans = [(m.start, m.end) for m in mentions]
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_hits_are_screen_file_hit_objects(screener) -> None:  # type: ignore[no-untyped-def]
    from listguard.text.screen import screen_text_payload

    payload = screen_text_payload("CEO Jong Song Hwa resigned.", screener)
    assert list(payload) == ["mentions"]
    (mention,) = payload["mentions"]
    assert mention["text"] == "Jong Song Hwa" and (mention["start"], mention["end"]) == (4, 17)
    hit = mention["hits"][0]
    assert {"entity_id", "score", "match", "caption", "schema", "matched_name", "datasets", "explanation"} <= set(hit)
    assert hit["entity_id"] == JONG and hit["match"] is True


def test_threshold_is_passed_to_the_matcher(screener) -> None:  # type: ignore[no-untyped-def]
    from listguard.text.screen import screen_text

    text = "The Korean leader (김정은) spoke."
    assert [m.text for m in screen_text(text, screener)] == ["김정은"]
    # the Hangul spelling scores below 1.0; a threshold above its score drops the mention
    assert screen_text(text, screener, threshold=0.99) == []


def test_ordinary_english_prose_has_no_alerts(screener) -> None:  # type: ignore[no-untyped-def]
    """The standard library's own documentation: 100+ KB of ordinary (technical) English."""
    import inspect

    import argparse, collections, email, json, logging, pathlib, subprocess, threading, unittest, urllib.request  # noqa: E401

    text = "\n\n".join(
        inspect.getdoc(obj) or ""
        for module in (argparse, collections, email, json, logging, pathlib, subprocess, threading, unittest, urllib.request)
        for obj in [module, *[getattr(module, n) for n in dir(module) if not n.startswith("_")]]
    )
    assert len(text) > 100_000
    from listguard.text.screen import screen_text

    assert [m.text for m in screen_text(text, screener)] == []
