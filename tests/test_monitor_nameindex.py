"""The portfolio retrieval index: which customers a newly listed party could be.

It must find every customer the screener could match (retrieval is a superset, the forward
score decides), without returning the whole portfolio for a common first name.
"""

from __future__ import annotations

import pickle

from listguard.monitor.nameindex import NameIndex, is_generic

CUSTOMERS = [
    (1, "Aleksey Teksler", "Person", []),
    (2, "Alexey Teksler", "Person", []),  # another romanisation
    (3, "Aleksey Tekslr", "Person", []),  # a typo
    (4, "Teksler Aleksey", "Person", []),  # family name first
    (5, "Aleksey Smirnov", "Person", []),  # same first name only
    (6, "Maria Garcia", "Person", []),
    (7, "Maria Garcia", "Person", []),  # a namesake: same name, another customer
    (8, "Maria Lopez", "Person", []),
    (9, "Song Hwa Jong", "Person", []),
    (10, "Songhwa Jong", "Person", []),  # joined
    (11, "Independent Insurance Group Ltd", "Company", []),
    (12, "Indepndent Insurence Grup", "Company", []),  # typos, generic word included
    (13, "Summit Trading Imports LLC", "Company", []),  # generic words only in common
    (14, "Hans Muller", "Person", ["C01X00T47"]),  # found by passport only
]


def index() -> NameIndex:
    return NameIndex.build(CUSTOMERS)


def test_finds_variants_and_nothing_else() -> None:
    idx = index()
    assert idx.search(["TEKSLER, Aleksey Leonidovich", "TEXLER, Alexey Leonidovich"], "Person") == {1, 2, 3, 4}
    assert idx.search(["JONG, Song Hwa"], "Person") == {9, 10}
    assert idx.search(["GARCIA LOPEZ, Maria Jose"], "Person") == {6, 7, 8}
    assert idx.search(["INDEPENDENT INSURANCE GROUP LTD"], "Organization") == {11, 12}
    assert idx.search(["EAST ASIA TRADING IMPORT AND EXPORT TRADE CO., LTD."], "Organization") == set()
    assert idx.search(["SMIRNOV, Ivan"], "Person") == set()  # one of two customer tokens
    assert idx.search(["SOMEONE, Else"], "Person", ["C01X00T47"]) == {14}


def test_generic_words_with_typos() -> None:
    assert is_generic("trading") and is_generic("hlding") and is_generic("servces")
    assert not is_generic("finance") and not is_generic("garcia") and not is_generic("smith")


def test_pickles_compactly_and_searches_after_loading() -> None:
    idx = index()
    idx.search(["JONG, Song Hwa"], "Person")  # fills per-instance caches
    again = pickle.loads(pickle.dumps(idx))
    assert "_probe_cache" not in again.__dict__
    assert again.search(["TEKSLER, Aleksey"], "Person") == {1, 2, 3, 4}
