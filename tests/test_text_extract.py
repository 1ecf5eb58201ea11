"""Markup stripping with offsets, document checks, and the extractor's guards on real list entries."""

from __future__ import annotations

import pytest

from listguard.text.document import DocumentError, decode, load_document, make_document
from listguard.text.extract import query_name, scan, word_key
from listguard.text.html import html_to_text
from listguard.text.markdown import markdown_to_text


# ----------------------------------------------------------------------------- markup
def test_html_keeps_offsets_and_blanks_markup() -> None:
    src = '<p>CEO <b>Jong</b> Song&nbsp;Hwa &amp; <script>var x="Kim Jong Un";</script>Caf&eacute;s</p>'
    vis = html_to_text(src)
    assert len(vis) == len(src)
    assert "Kim" not in vis and "script" not in vis
    start = src.index("Jong")
    end = src.index("Hwa") + 3
    assert query_name(vis[start:end]) == "Jong Song Hwa"
    # an entity inside a word stays one word
    words = scan(vis).words
    assert "Caf\u00e9\u00ad\u00ad\u00ad\u00ad\u00ad\u00ad\u00ads" in words or any(w.replace("\u00ad", "") == "Cafés" for w in words)


def test_html_blocks_are_hard_boundaries() -> None:
    vis = html_to_text("<td>Kim</td><td>Jong Un</td>")
    assert "\n" in vis[: vis.index("Jong")] and vis.count("\n") >= 2


def test_html_survives_broken_markup() -> None:
    for src in ("<p>unclosed <b attr='x", "a < b and c > d", "<!-- never closed", "<script>alert(1)"):
        assert len(html_to_text(src)) == len(src)


def test_markdown_keeps_offsets() -> None:
    src = "# Title\n\n- **[Yuri Kovalchuk](https://example.org/a_b)** owns `Bank Rossiya`\n> quote\n"
    vis = markdown_to_text(src)
    assert len(vis) == len(src)
    s = src.index("Yuri")
    assert vis[s : s + len("Yuri Kovalchuk")] == "Yuri Kovalchuk"
    assert "https" not in vis and "**" not in vis and "`" not in vis and "#" not in vis
    assert "snake_case" in markdown_to_text("a snake_case word")


def test_format_detection() -> None:
    assert make_document("<html><body><p>x</p></body></html>").format == "html"
    assert make_document("# Head\n\n- item [a](b)\n").format == "markdown"
    assert make_document("Plain words. Nothing else.").format == "text"
    assert make_document("x", name="a.md").format == "markdown"


# --------------------------------------------------------------------------- bad input
def test_binary_and_oversized_documents_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    binary = tmp_path / "a.pdf"
    binary.write_bytes(b"%PDF-1.7\x00\x01\x02" * 100)
    with pytest.raises(DocumentError, match="binary"):
        load_document(binary)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2048)
    with pytest.raises(DocumentError, match="limit"):
        load_document(big, max_bytes=1024)
    with pytest.raises(DocumentError, match="not found"):
        load_document(tmp_path / "missing.txt")


def test_decoding() -> None:
    assert decode("Ким".encode("utf-16")) == "Ким"
    assert decode("Café".encode("cp1252")) == "Café"
    assert decode(b"\xef\xbb\xbfJong") == "Jong"


# ------------------------------------------------------------------------------ words
def test_word_scan_possessive_hyphen_apostrophe() -> None:
    sc = scan("Kim Jong-un's aide met Al-Qa'ida's envoy")
    assert sc.words[:4] == ["Kim", "Jong", "un", "s"]
    assert "Qa'ida" in sc.words
    assert word_key("Qa'ida") == word_key("qaida")


def test_word_keys_fold_romanisation_and_scripts() -> None:
    assert word_key("Jong") == word_key("Chong") == word_key("Jeong")
    assert word_key("Kim") == word_key("Gim")
    assert word_key("Путин") == word_key("Putin")
    assert word_key("김정은").split() == [word_key("Kim"), word_key("Jong"), word_key("Un")]


# ------------------------------------------------------------------ guards (small index)
def _entity(id: str, schema: str, *names: str):  # type: ignore[no-untyped-def]
    from listguard.model import Entity

    e = Entity(id, schema, "us_ofac_sdn")
    e.add("name", names[0])
    e.add("alias", list(names[1:]))
    return e


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    """Real list entries (as OFAC/UN write them), in an index of their own."""
    from listguard.index import Index
    from listguard.matching.screener import Screener

    entities = [
        _entity("us_ofac_sdn:24979", "Person", "JONG, Song Hwa"),
        _entity("us_ofac_sdn:20157", "Person", "KIM, Jong Un"),
        _entity("us_ofac_sdn:35096", "Person", "PUTIN, Vladimir Vladimirovich"),
        _entity("us_ofac_sdn:24978", "Organization", "VOLASYS SILVER STAR"),
        _entity("us_ofac_sdn:4695", "Organization", "HAMAS"),
        _entity("us_ofac_sdn:47228", "Vessel", "UZE"),
        _entity("us_ofac_sdn:18715", "Organization", "JOINT STOCK COMPANY SBERBANK", "JSC SBERBANK"),
        _entity("un_sc_sanctions:KPe.001", "Organization", "KOREA MINING DEVELOPMENT TRADING CORPORATION", "KOMID"),
        _entity("test:place", "Organization", "CRIMEA"),  # a listed name that is a place
        _entity("test:word", "Organization", "HOPE"),  # a listed name that is an English word
    ]
    return Screener(Index.build(entities))


def _texts(text: str, screener) -> list[str]:  # type: ignore[no-untyped-def]
    from listguard.text.screen import screen_text

    return [m.text for m in screen_text(text, screener)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Yesterday CEO Jong Song Hwa resigned.", ["Jong Song Hwa"]),
        ("Ambassador Song Hwa Jong arrived.", ["Song Hwa Jong"]),  # given name first
        ("Chong Song-hwa and Jong Songhwa.", ["Chong Song-hwa", "Jong Songhwa"]),
        ("jong song hwa wrote in the chat", ["jong song hwa"]),
        ("The JONG SONG\nHWA case.", ["JONG SONG\nHWA"]),
        ("Kim Jong-un's men", ["Kim Jong-un"]),
        ("Vladimir Putin said", ["Vladimir Putin"]),
        ("Владимир Путин", ["Владимир Путин"]),
        ("Hamas said on Monday that the talks with hamas were over.", ["Hamas"]),
        ("JSC Sberbank and Sberbank", ["JSC Sberbank", "Sberbank"]),
        ("the tanker UZE sailed. Later on, UZE was renamed.", ["UZE"]),
        ("KOMID, the Korea Mining Development Trading Corporation", ["KOMID", "Korea Mining Development Trading Corporation"]),
    ],
)
def test_listed_names_are_found(small, text: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert _texts(text, small) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Kim said. Mr. Jong left. Song and Hwa.",  # lone common names
        "Jong Song Il and Kim Jong Nam are different people.",  # similar, not the same
        "Kim Jong Man met Jong Song Hwan.",
        "He went to Crimea and to Pyongyang.",  # places
        "We hope so. Hope is not a strategy.",  # an English word that is a listed name
        "a silver star for volasys",  # part of a name
        "Use it. The contract said so.",  # loose-key collisions with ordinary words
        "Putin",  # a lone surname of a person
        "Vladimir Putinov is a painter.",
    ],
)
def test_not_alerts(small, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _texts(text, small) == []


def test_the_automaton_is_picklable(small) -> None:  # type: ignore[no-untyped-def]
    import pickle

    from listguard.text.extract import NameAutomaton, automaton_for

    auto = automaton_for(small.index)
    again = pickle.loads(pickle.dumps(auto))
    assert isinstance(again, NameAutomaton) and again.stats == auto.stats


def test_disk_cache_roundtrip(small, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from listguard.text import extract
    from listguard.text.cache import cached_automaton

    extract._CACHE.clear()
    first = cached_automaton(small.index, tmp_path)
    assert list(tmp_path.glob("text-*.pickle"))
    extract._CACHE.clear()
    second = cached_automaton(small.index, tmp_path)
    assert second is not first and second.stats == first.stats
