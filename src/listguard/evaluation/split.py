"""The tuning / held-out split of every evaluation set.

Why: a rule shaped on the items it is then measured on measures the shaping, not the matcher.
Every set is cut in two with a fixed seed: matching changes are looked at on the *tuning* part
only, and the figures the README publishes are those of the *held-out* part.

The cut is stratified: within each stratum (case group, category, script, variant class,
population) the distinct keys are ordered by a seeded hash and dealt alternately to the two
parts, so each part holds half of every stratum. Items sharing a key (the variants of one list
entry, the customers sharing one family name) always fall in the same part, so nothing learned
from one half is a near-copy of an item of the other.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Hashable, Iterable, TypeVar

SEED = "listguard-eval-split-1"
TUNING, HELDOUT = "tuning", "heldout"
PARTS = (TUNING, HELDOUT)

T = TypeVar("T")


def _rank(set_name: str, key: str) -> bytes:
    return hashlib.sha256(f"{SEED}:{set_name}:{key}".encode()).digest()


def assign(
    set_name: str,
    items: Iterable[T],
    key: Callable[[T], str],
    stratum: Callable[[T], Hashable] = lambda _item: "",
) -> list[tuple[T, str]]:
    """Each item with its part (:data:`TUNING` or :data:`HELDOUT`), in input order."""
    items = list(items)
    keys_by_stratum: dict[Hashable, set[str]] = {}
    for item in items:
        keys_by_stratum.setdefault(stratum(item), set()).add(key(item))
    part_of: dict[tuple[Hashable, str], str] = {}
    for st, keys in keys_by_stratum.items():
        ordered = sorted(keys, key=lambda k: _rank(set_name, f"{st}:{k}"))
        # the first key of each stratum goes to one part or the other by the stratum's hash,
        # so small strata do not all start on the tuning side
        offset = _rank(set_name, f"stratum:{st}")[0] % 2
        for i, k in enumerate(ordered):
            part_of[(st, k)] = PARTS[(i + offset) % 2]
    return [(item, part_of[(stratum(item), key(item))]) for item in items]


__all__ = ["assign", "TUNING", "HELDOUT", "PARTS", "SEED"]
