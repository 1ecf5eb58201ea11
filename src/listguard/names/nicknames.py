"""English nicknames and diminutives as variant groups: ``Bob/Robert``, ``Peggy/Margaret``.

Source: the ``nicknames`` package (PyPI, Apache-2.0, hand-curated by Carlton Northern and
Nick Crews), whose ``names.csv`` holds ``name1,has_nickname,name2`` relations between English
given names. General data about English names, not derived from any evaluation set.

Every relation becomes a group of exactly two spellings, the nickname and the name it
shortens, never one group per nickname: ``Al`` is a nickname of Albert and of Alfred, and
two groups (al albert) and (al alfred) make Al a variant of each, while Albert and Alfred
share no group (group membership is not transitive; see
:func:`listguard.names.variants.share_group`).

Only *shortenings* are kept: a relation counts when the nickname is shorter than the name
it names. That drops the rows where the file links two full names of one length or a short
name to a longer one (``Andrea -> Andrew``, ``Louis -> Louise``, ``Emil -> Emily``, ``Wilma
-> William``, ``Ivan -> John``, ``Susan -> Hannah``): cognates, spelling variants and names of
the other sex, which the fuzzy comparison or the Wikidata table handle, or which are different
names. Forms that are not one plain word (``k.c.``) are left out.

The groups are plain Latin spelling groups (no Han character, so never a "reading" group).
:mod:`listguard.names.variants` appends them after the bundled table's lines, so their group
ids follow the table's and are the same whether the whole table is loaded or an index keeps
a subset.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z]{2,}")


@lru_cache(maxsize=1)
def nickname_pairs() -> tuple[tuple[str, str], ...]:
    """(nickname, full name) pairs, sorted, each once."""
    try:
        import nicknames
    except ImportError:  # pragma: no cover - a main dependency; no groups without it
        return ()
    pairs: set[tuple[str, str]] = set()
    for row in nicknames.name_triplets():
        if row.relationship != "has_nickname":
            continue
        full, nick = row.name1.strip().casefold(), row.name2.strip().casefold()
        if not (_WORD.fullmatch(full) and _WORD.fullmatch(nick)):
            continue
        if len(nick) < len(full):
            pairs.add((nick, full))
    return tuple(sorted(pairs))


@lru_cache(maxsize=1)
def nickname_lines() -> tuple[str, ...]:
    """One variant-group line per pair, in the bundled table's format (space-separated forms)."""
    return tuple(f"{nick} {full}" for nick, full in nickname_pairs())


@lru_cache(maxsize=1)
def _pair_set() -> frozenset[frozenset[str]]:
    return frozenset(frozenset(p) for p in nickname_pairs())


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    return frozenset(n for pair in _pair_set() for n in pair)


def is_nickname(a: str, b: str) -> bool:
    """Whether one spelling is a listed nickname of the other (either order, exact forms)."""
    names = _names()
    return a != b and a in names and b in names and frozenset((a, b)) in _pair_set()
