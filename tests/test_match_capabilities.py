"""Matching capabilities tested on data from outside the project, many instances each (issue 10,
item 4): never one hand-picked example, never an evaluation row.

* English nicknames and diminutives: pairs drawn (fixed seed) from the ``nicknames`` package's
  own ``has_nickname`` relations (:mod:`listguard.names.nicknames`), and the precision side: a
  nickname shared by two full names (Al: Albert, Alfred) does not make them one name.
* Numbers as words or digits, both ways: numbers written out by ``num2words`` (cardinals,
  ordinals, years) against their digits, and different numbers that must not match.
"""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from num2words import num2words
from rapidfuzz.distance import OSA

from listguard.matching.compare import compare_names
from listguard.names import variants
from listguard.names.nicknames import is_nickname, nickname_lines, nickname_pairs
from listguard.names.numbers import NUMBER_WORDS
from listguard.names.tokens import NAME, NUMBER, ORG, PER, analyse_name

MATCH = 0.8
SEED = 20261202


@pytest.fixture(scope="module", autouse=True)
def _full_table() -> None:
    variants.ensure_loaded()


def _sample(seq: list, k: int, salt: str) -> list:
    return random.Random(f"{SEED}:{salt}").sample(seq, min(k, len(seq)))


# ----------------------------------------------------------------------------------- nicknames
def _nickname_gids() -> range:
    """Group ids of the nickname groups: the last lines of the variant table."""
    total = len(variants._read_lines())
    return range(total - len(nickname_lines()), total)


def test_nickname_data_is_read() -> None:
    pairs = nickname_pairs()
    assert len(pairs) > 1500  # nicknames 1.0.1: 2,691 relations, 2,175 of them shortenings
    assert all(len(nick) < len(full) for nick, full in pairs)
    assert all(nick.isalpha() and full.isalpha() and nick.isascii() for nick, full in pairs)


def test_sampled_nickname_pairs_are_spelling_variants_both_ways() -> None:
    pairs = _sample(list(nickname_pairs()), 500, "pairs")
    missing = [(n, f) for n, f in pairs if not (variants.share_spelling_group(n, f) and variants.share_spelling_group(f, n))]
    assert not missing, missing[:20]
    assert all(is_nickname(n, f) and is_nickname(f, n) for n, f in pairs)


def test_nickname_groups_are_pairs_and_never_reading_groups() -> None:
    gids = _nickname_gids()
    lines = variants._read_lines()
    assert all(len(lines[g].split()) == 2 for g in gids)
    assert variants._READING.isdisjoint(gids)


def test_an_index_subset_sees_the_nickname_groups_with_the_same_ids() -> None:
    """``subset_for`` (what an index keeps) numbers the groups as ``ensure_loaded`` does."""
    pairs = _sample(list(nickname_pairs()), 200, "subset")
    sub = variants.subset_for(full for _n, full in pairs)
    gids = set(_nickname_gids())
    for nick, full in pairs:
        shared = set(sub[nick]) & set(sub[full]) & gids
        assert shared, (nick, full)
        assert shared <= set(variants.groups(nick)) & set(variants.groups(full))


def test_a_shared_nickname_does_not_merge_two_full_names() -> None:
    """Every nickname of two or more full names in the package (Al: Albert, Alfred...): no
    group holding that nickname is shared by two of its full names, even with the table's
    one-letter neighbours (:func:`variants.expanded`) counted. (The package does link some
    full names directly, Adelbert -> Albert; those links are its data, not a merge.)"""
    by_nick: dict[str, list[str]] = {}
    for nick, full in nickname_pairs():
        by_nick.setdefault(nick, []).append(full)
    gids = set(_nickname_gids())
    lines = variants._read_lines()
    checked = 0
    merged = []
    for nick, fulls in by_nick.items():
        for a, b in combinations(sorted(fulls), 2):
            if is_nickname(a, b) or OSA.distance(a, b) <= 1:
                continue  # the package links them itself, or one letter apart
            shared = variants.expanded_spelling(a) & variants.expanded_spelling(b)
            if shared - gids:
                continue  # one name to the Wikidata table already (Alison / Allyson)
            checked += 1
            if any(nick in lines[g].split() for g in shared):
                merged.append((nick, a, b))
    assert checked > 1000
    assert not merged, merged[:20]


def test_full_names_sharing_a_nickname_do_not_match_as_names() -> None:
    """Precision at the comparer: Albert Smith is not Alfred Smith because both are Al."""
    by_nick: dict[str, list[str]] = {}
    for nick, full in nickname_pairs():
        by_nick.setdefault(nick, []).append(full)
    gids = set(_nickname_gids())
    candidates = []
    for _nick, fulls in sorted(by_nick.items()):
        for a, b in combinations(sorted(fulls), 2):
            # not linked by the package, the bundled table or a plain spelling difference
            if is_nickname(a, b) or OSA.distance(a, b) <= 2:
                continue
            if (variants.expanded_spelling(a) & variants.expanded_spelling(b)) - gids:
                continue  # one name to the Wikidata table already (Wilhelm / William)
            candidates.append((a, b))
    pairs = _sample(candidates, 300, "precision")
    assert len(pairs) == 300
    bad = [(a, b, s) for a, b in pairs if (s := compare_names("Person", f"{a} Smith", f"{b} Smith")) >= MATCH]
    assert not bad, bad


def _nickname_recall(pairs: list[tuple[str, str]]) -> tuple[float, list[tuple[str, str, float]]]:
    low = []
    for nick, full in pairs:
        s = compare_names("Person", f"{nick} Okonkwo", f"{full} Okonkwo")
        if s < MATCH:
            low.append((nick, full, s))
    return 1 - len(low) / len(pairs), low


def test_sampled_nicknames_match_their_full_name() -> None:
    pairs = _sample(list(nickname_pairs()), 300, "recall")
    recall, low = _nickname_recall(pairs)
    # the few misses allowed: nicknames that are also name particles (Al, Von, Del, Della)
    assert recall >= 0.95, low[:30]


def test_nicknames_do_not_touch_unrelated_names() -> None:
    assert not variants.share_spelling_group("albert", "alfred")
    assert not variants.share_spelling_group("bob", "rob")  # two nicknames of Robert, not one another


# ------------------------------------------------------------------------------------- numbers
def _numbers(k: int, salt: str, hi: int = 9999) -> list[int]:
    rng = random.Random(f"{SEED}:{salt}")
    return sorted(set(list(range(0, 121)) + rng.sample(range(121, hi + 1), k)))


def _one_number(name: str, tag: str = ORG) -> int:
    nums = [t.num for t in analyse_name(name, tag).tokens if t.kind == NUMBER]
    assert len(nums) == 1, (name, analyse_name(name, tag).tokens)
    return nums[0]


def test_cardinals_in_words_are_one_number_token() -> None:
    bad = [(n, num2words(n)) for n in _numbers(400, "tok") if _one_number(f"Brigade {num2words(n)}") != n]
    assert not bad, bad[:20]


def test_ordinals_in_words_are_one_number_token() -> None:
    bad = [n for n in _numbers(300, "ord") if n and _one_number(f"{num2words(n, to='ordinal')} Ocean") != n]
    assert not bad, bad[:20]


@pytest.mark.parametrize("schema", ["Company", "Organization", "Vessel", None])
def test_cardinals_words_and_digits_match_both_ways(schema: str | None) -> None:
    low = []
    for n in _numbers(150, f"card:{schema}"):
        words = num2words(n)
        for q, c in ((f"Brigade {words}", f"Brigade {n}"), (f"Brigade {n}", f"Brigade {words}")):
            s = compare_names(schema, q, c)
            if s < MATCH:
                low.append((q, c, s))
    assert not low, low[:20]


def test_ordinals_words_and_digits_match_both_ways() -> None:
    low = []
    for n in _numbers(150, "ordpair"):
        words, digits = num2words(n, to="ordinal"), num2words(n, to="ordinal_num")
        for q, c in ((f"{words} Ocean Shipping", f"{digits} Ocean Shipping"), (f"{digits} Ocean Shipping", f"{words} Ocean Shipping")):
            s = compare_names("Company", q, c)
            if s < MATCH:
                low.append((q, c, s))
    assert not low, low[:20]


def test_years_read_in_pairs_match_their_digits() -> None:
    """num2words' year reading: ``nineteen eighty-four``, ``eleven eighty-eight``, ``two
    thousand and five``. (Readings with "oh", ``nineteen oh-five``, are not handled.)"""
    rng = random.Random(f"{SEED}:years")
    years = [y for y in rng.sample(range(1000, 2100), 300) if "oh" not in num2words(y, to="year").replace("-", " ").split()]
    low = []
    for y in years:
        words = num2words(y, to="year")
        for q, c in ((f"{words} Limited", f"{y} Limited"), (f"{y} Limited", f"{words} Limited")):
            s = compare_names("Company", q, c)
            if s < MATCH:
                low.append((q, c, s))
    assert len(years) > 200
    assert not low, low[:20]


def test_different_numbers_do_not_match() -> None:
    rng = random.Random(f"{SEED}:diff")
    high = []
    ns = _numbers(200, "diff")
    for n in ns:
        m = rng.choice(ns)
        if m == n:
            continue
        for q, c in ((f"Fund {num2words(n)}", f"Fund {m}"), (f"Fund {n}", f"Fund {num2words(m)}"),
                     (f"Fund {num2words(n)}", f"Fund {num2words(m)}")):
            s = compare_names("Company", q, c)
            if s >= MATCH:
                high.append((q, c, s))
    assert not high, high[:20]
    assert compare_names("Company", "Fund 12", "Fund Twenty") < MATCH
    assert compare_names("Company", "Brigade Forty-Four", "Brigade 40") < MATCH
    assert compare_names("Company", "Brigade Forty-Four", "Brigade 4") < MATCH


def test_number_words_in_person_names_stay_names() -> None:
    """Persons are left alone: number words are name parts, digits beside words are dropped."""
    for n in _numbers(50, "per"):
        words = num2words(n).replace(",", "")
        form = analyse_name(f"John {words}", PER)
        assert all(t.kind == NAME for t in form.tokens), form.tokens
        assert [t.text for t in analyse_name(f"John Smith {n}", PER).tokens] == ["john", "smith"]
    assert [t.kind for t in analyse_name("Ng Ten", PER).tokens] == [NAME, NAME]


def test_separate_numbers_are_not_merged() -> None:
    """A one-digit number before another (``seven eleven``, like 7-11), numbers joined by
    "and" without a scale word, and single number words keep the tokenizer's reading."""
    def nums(name: str) -> list[int]:
        return [t.num for t in analyse_name(name, ORG).tokens if t.kind == NUMBER]

    assert nums("Seven Eleven Stores") == [7, 11] == nums("7-11 Stores")
    assert nums("One Two Three Trading") == [1, 2, 3]
    assert nums("Twenty and One Trading") == [20, 1]
    assert nums("One Hundred and Twelve Trading") == [112]
    assert nums("Twenty-First Century Fund") == [21] == nums("21st Century Fund")


def test_number_vocabulary_is_what_num2words_writes() -> None:
    """Every word num2words writes for 0..1,000,000 is in the phrase vocabulary."""
    seen: set[str] = set()
    for n in list(range(0, 1001)) + [10**4, 10**5, 10**6]:
        for text in (num2words(n), num2words(n, to="ordinal")):
            seen.update(w for w in text.replace(",", " ").replace("-", " ").split() if w != "and")
    assert seen <= NUMBER_WORDS, sorted(seen - NUMBER_WORDS)
