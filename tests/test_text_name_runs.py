"""A mention is the whole name as written: part of a longer name is never screened as a name.

Issue 10 item 6: in a news article "Cho Myoung" cut out of "Cho Myoung-gyon" (a South Korean
minister) was flagged as CHOE, Myong Hyon. The listed entries below are real OFAC SDN entries,
written as OFAC writes them; the texts name *other* people whose names contain a listed name
(hyphenated Korean and Wade-Giles syllables, three-part Korean names, Arabic names with
``bin``/``al-``, Russian double surnames), and the listed people themselves (recall).
"""

from __future__ import annotations

import pytest

from listguard.text.extract import _syllable


def _entity(id: str, schema: str, *names: str):  # type: ignore[no-untyped-def]
    from listguard.model import Entity

    e = Entity(id, schema, "us_ofac_sdn")
    e.add("name", names[0])
    e.add("alias", list(names[1:]))
    return e


LISTED = {
    "us_ofac_sdn:27209": "CHOE, Myong Hyon",
    "us_ofac_sdn:23508": "KIM, Song",
    "us_ofac_sdn:21444": "KIM, Yo Jong",
    "us_ofac_sdn:20157": "KIM, Jong Un",
    "us_ofac_sdn:24979": "JONG, Song Hwa",
    "us_ofac_sdn:22623": "SUN, Wei",
    "us_ofac_sdn:11447": "LI, Fangwei",
    "us_ofac_sdn:21286": "BIN LADEN, Hamza",
    "us_ofac_sdn:12735": "AL-ASSAD, Bashar",
    "us_ofac_sdn:10009": "AL-ALI, Hamid",
    "us_ofac_sdn:11982": "AL-RIMI, Qasim",
    "us_ofac_sdn:16688": "IVANOV, Sergei Borisovich",
    "us_ofac_sdn:16692": "SECHIN, Igor Ivanovich",
    "us_ofac_sdn:35096": "PUTIN, Vladimir Vladimirovich",
}


@pytest.fixture(scope="module")
def screener():  # type: ignore[no-untyped-def]
    from listguard.index import Index
    from listguard.matching.screener import Screener

    return Screener(Index.build([_entity(i, "Person", n) for i, n in LISTED.items()]))


def _mentions(text: str, screener) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    from listguard.text.screen import screen_text

    return [(m.text, sorted({h.entity_id for h in m.hits})) for m in screen_text(text, screener, format="text")]


#: (text, the other person's whole name in it)
OTHERS = [
    # hyphenated Korean given names: the listed name is the first syllables of a longer one
    ("South Korea's unification minister Cho Myoung-gyon said on Monday that talks would resume.", "Cho Myoung-gyon"),
    ("The envoy Kim Song-nam arrived in Beijing on Tuesday, officials said.", "Kim Song-nam"),
    ("Seoul banker Kim Song-min told the court that he had never met the buyers.", "Kim Song-min"),
    ("Kim Yo-han, a pastor from Busan, said he had no links to the company.", "Kim Yo-han"),
    ("THE ENVOY KIM SONG-NAM ARRIVED IN BEIJING ON TUESDAY, OFFICIALS SAID.", "KIM SONG-NAM"),
    # three-part Korean names written with spaces
    ("The envoy Kim Song Il arrived in Beijing on Tuesday, officials said.", "Kim Song Il"),
    ("Lawmaker Choe Myong Sik and his aide were questioned by prosecutors.", "Choe Myong Sik"),
    # Chinese names (Wade-Giles hyphenation, three syllables spaced)
    ("Taipei businessman Sun Wei-ming said the shipment was legal.", "Sun Wei-ming"),
    ("The engineer Sun Wei Ming was not involved, the company said in a statement.", "Sun Wei Ming"),
    # Arabic names with particles around a listed name
    ("Khalid bin Hamid al-Ali al-Mutairi was questioned about the transfers last year.", "Khalid bin Hamid al-Ali al-Mutairi"),
    ("Prosecutors said Abd al-Rahman bin Qasim al-Rimi had sent money to relatives.", "Abd al-Rahman bin Qasim al-Rimi"),
    # a Russian double surname
    ("The painter Sergei Ivanov-Smirnov opened an exhibition in Riga on Friday.", "Sergei Ivanov-Smirnov"),
]


@pytest.mark.parametrize("text, whole", OTHERS)
def test_part_of_a_longer_name_is_not_a_mention(screener, text: str, whole: str) -> None:  # type: ignore[no-untyped-def]
    assert _mentions(text, screener) == []


@pytest.mark.parametrize("text, whole", OTHERS)
def test_only_the_whole_name_goes_to_the_matcher(screener, text: str, whole: str) -> None:  # type: ignore[no-untyped-def]
    """Whatever the matcher would say: a span the automaton finds inside the name is grown to
    the whole name before it is scored (so the verdict is on the name as written)."""
    from listguard.text.extract import Extractor, automaton_for, scan

    start = text.index(whole)
    end = start + len(whole)
    cands = Extractor(automaton_for(screener.index)).candidates(scan(text))
    for c in cands:
        if c.end <= start or end <= c.start:
            continue
        assert (c.start, c.end) == (start, end), (c.name, whole)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Officials said Kim Yo-jong was present at the launch on Friday.", ("Kim Yo-jong", "us_ofac_sdn:21444")),
        ("OFFICIALS SAID KIM YO-JONG WAS PRESENT AT THE LAUNCH ON FRIDAY.", ("KIM YO-JONG", "us_ofac_sdn:21444")),
        ("Analysts said Kim Jong-un's visit was a signal to the region.", ("Kim Jong-un", "us_ofac_sdn:20157")),
        ("North Korean leader Kim Jong Un inspected the factory on Friday.", ("Kim Jong Un", "us_ofac_sdn:20157")),
        ("The ministry named Choe Myong-hyon as the buyer of the parts.", ("Choe Myong-hyon", "us_ofac_sdn:27209")),
        ("The ministry said Chong Song-hwa arranged the payments last year.", ("Chong Song-hwa", "us_ofac_sdn:24979")),
        ("Prosecutors said Li Fangwei used front companies in Dalian.", ("Li Fangwei", "us_ofac_sdn:11447")),
        ("The court heard that Hamza bin Laden used couriers, prosecutors said.", ("Hamza bin Laden", "us_ofac_sdn:21286")),
        ("Officials said Bashar al-Assad had left the capital on Sunday.", ("Bashar al-Assad", "us_ofac_sdn:12735")),
        ("Officials said Qasim al-Rimi had been killed, according to the statement.", ("Qasim al-Rimi", "us_ofac_sdn:11982")),
        ("The minister said Igor Ivanovich Sechin attended the meeting in Moscow.", ("Igor Ivanovich Sechin", "us_ofac_sdn:16692")),
        ("The Vladimir Putin-led government denied the report on Monday.", ("Vladimir Putin", "us_ofac_sdn:35096")),
        # an en dash between two names joins two people, not one name
        ("He spoke before the Kim Jong Un\u2013Moon summit in the border village.", ("Kim Jong Un", "us_ofac_sdn:20157")),
    ],
)
def test_listed_names_are_still_found_whole(screener, text: str, expected: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    found = _mentions(text, screener)
    assert [m[0] for m in found] == [expected[0]]
    assert expected[1] in found[0][1]


@pytest.mark.parametrize(
    "word", ["myoung", "gyon", "hwa", "un", "jong", "hyeong", "chuan", "zhuang", "yeol", "hui", "gwon", "Song", "NAM"]
)
def test_romanised_syllables(word: str) -> None:
    assert _syllable(word)


@pytest.mark.parametrize("word", ["led", "backed", "era", "style", "owned", "Putin", "Vladimir", "Smirnov", "based", "linked"])
def test_words_that_are_not_one_syllable(word: str) -> None:
    assert not _syllable(word)
