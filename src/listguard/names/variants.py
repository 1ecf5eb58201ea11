"""Known variants of a name part: which spellings name the same given name, family name or
organisation word.

Why: romanisation rules (:mod:`listguard.names.phonetic`) catch regular spelling differences,
but many equivalences are not regular: ``Aleksandr/Alexander``, ``Usama/Osama``, ``Park/Bak``,
``Bob/Robert``, ``Intl/International``, ``Co/Company/Corp``, and spellings in other scripts
(``محمد``, ``김``, ``ムハンマド``). The table comes from rigour's name database (the
``person_names.txt`` and ``symbols.json`` resources of rigour 2.6.1, MIT-licensed, built from
Wikidata given-name and family-name items, CC0): every line is one group of spellings. It is
general data about names, never tuned to an evaluation set; the two hand-made person groups in
rigour's ``symbols.json`` (one sanctioned person's surname, one dictator's) are deliberately
left out so that evaluation on those very names stays honest.

Why a table of our own instead of calling rigour's tagger: the tagger is an Aho-Corasick
automaton over ~570k forms that pages in hundreds of MB on first use (seconds per process on a
busy machine) and costs milliseconds per unseen token. A dict lookup costs nanoseconds.

Forms are stored as the ASCII our romaniser gives (``владимир -> vladimir``); forms from an
abjad get a ``~`` prefix (their romanisation has no vowels: ``~mhmd``), forms in Hangul, Han
or kana are stored as written with an ``@`` prefix and looked up by the written word.

Loading: :func:`ensure_loaded` reads the whole table (about a second; pair comparison does
this). An index keeps only the groups its names touch (:func:`subset_for`) and registers them
with :func:`register` when it is opened, so screening never loads the full table.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

from listguard.names.nicknames import is_nickname, nickname_lines

VARIANTS_FILE = "name_variants.txt.gz"

#: spelling -> ids of the groups it belongs to
_GROUPS: dict[str, tuple[int, ...]] = {}
_LOADED = False
_EMPTY: tuple[int, ...] = ()
_listeners: list[Callable[[], None]] = []  # run when the table changes (the comparer's caches)


#: Groups that gather the readings of one Han character across languages (a Han form of one
#: character: 陳 is Chen in Mandarin, Chan in Cantonese, Tan in Hokkien, Tran in
#: Vietnamese, Jin in Korean). Such a group links a written character to its Latin readings;
#: it does not make two Latin readings one name: in romanised customer data Chen and Sun, or
#: Kim and Jian, are different surnames.
_READING: set[int] = set()


def _is_reading_form(form: str) -> bool:
    if not form.startswith("@"):
        return False
    chars = form[1:].rstrip("姓氏")
    return len(chars) == 1 and all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in chars)


#: Nickname groups (:mod:`listguard.names.nicknames`, two forms each): group id -> the
#: nickname. A one-letter neighbour of a nickname is not that nickname (see :func:`expanded`:
#: Claire is not Clair, a nickname of Clarence).
_NICKNAME: dict[int, str] = {}


def _note_readings(forms: Iterable[str], gid: int) -> None:
    forms = list(forms)
    if any(_is_reading_form(f) for f in forms):
        _READING.add(gid)
    if len(forms) == 2 and is_nickname(*forms):
        _NICKNAME[gid] = min(forms, key=len)


def groups(form: str) -> tuple[int, ...]:
    """Group ids of one spelling (empty when unknown or not loaded)."""
    return _GROUPS.get(form, _EMPTY)


#: romanisation key -> Latin spellings in the table with that key
_KEYS: dict[str, list[str]] = {}


def _index_keys(forms: Iterable[str]) -> None:
    from listguard.names.phonetic import fold_key

    for form in forms:
        if form and form[0] not in "~@":
            lst = _KEYS.setdefault(fold_key(form), [])
            if form not in lst:
                lst.append(form)


@lru_cache(maxsize=200_000)
def expanded(form: str) -> frozenset[int]:
    """Group ids of a spelling and, for words of six letters or more, of the known spellings
    one letter and no romanisation rule away from it. The database is not transitive: it knows
    Wladimir~Vladimir and Vladimir~Volodymyr, not Wladimir~Volodymyr. (Shorter words have too
    many neighbours for this to mean anything.)"""
    ids = set(_GROUPS.get(form, _EMPTY))
    if len(form) >= 6 and form[0] not in "~@":
        from rapidfuzz.distance import OSA

        from listguard.names.phonetic import fold_key

        for other in _KEYS.get(fold_key(form), ()):
            if other != form and OSA.distance(other, form, score_cutoff=1) <= 1:
                ids.update(g for g in _GROUPS.get(other, _EMPTY) if _NICKNAME.get(g) != other)
    return frozenset(ids)


def share_group(a: str, b: str) -> bool:
    """Whether two spellings are known variants of one name (see :func:`expanded`)."""
    ga = expanded(a)
    if not ga:
        return False
    gb = expanded(b)
    return bool(gb) and not ga.isdisjoint(gb)


@lru_cache(maxsize=200_000)
def expanded_spelling(form: str) -> frozenset[int]:
    """:func:`expanded` without the Han reading groups (see :data:`_READING`)."""
    return frozenset(g for g in expanded(form) if g not in _READING)


def share_spelling_group(a: str, b: str) -> bool:
    """Whether two *Latin* spellings are known variants of one name: a group that only gathers
    the readings of one Han character across languages does not count."""
    ga = expanded_spelling(a)
    if not ga:
        return False
    gb = expanded_spelling(b)
    return bool(gb) and not ga.isdisjoint(gb)


def _changed() -> None:
    expanded.cache_clear()
    expanded_spelling.cache_clear()
    for fn in _listeners:
        fn()


def on_change(fn: Callable[[], None]) -> None:
    _listeners.append(fn)


def _read_lines() -> list[str]:
    try:
        data = resources.files("listguard.data").joinpath(VARIANTS_FILE).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError):
        return []
    # English nicknames follow the table: their group ids continue after its lines
    return gzip.decompress(data).decode("utf-8").splitlines() + list(nickname_lines())


def ensure_loaded() -> None:
    """Load the whole table (once per process)."""
    global _LOADED
    if _LOADED:
        return
    merged: dict[str, list[int]] = {}
    for gid, line in enumerate(_read_lines()):
        if not line or line.startswith("#"):
            continue
        parts = line.split(" ")
        _note_readings(parts, gid)
        for form in parts:
            merged.setdefault(form, []).append(gid)
    for form, ids in merged.items():
        old = _GROUPS.get(form)
        _GROUPS[form] = tuple(sorted(set(ids) | set(old or ())))
    _KEYS.clear()
    _index_keys(_GROUPS)
    _LOADED = True
    _changed()


def subset_for(forms: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Every spelling in a group that one of ``forms`` belongs to.

    This is what an index needs to recognise, at query time, a spelling it has never seen
    (``Usama``) as a variant of one it holds (``Osama``). Streams the table: no full load.
    """
    wanted = set(forms)
    out: dict[str, list[int]] = {}
    for gid, line in enumerate(_read_lines()):
        if not line or line[0] == "#":
            continue
        parts = line.split(" ")
        if wanted.isdisjoint(parts):
            continue
        for form in parts:
            lst = out.get(form)
            if lst is None:
                out[form] = [gid]
            else:
                lst.append(gid)
    return {form: tuple(ids) for form, ids in out.items()}


def register(subset: dict[str, tuple[int, ...]]) -> None:
    """Make an index's variant groups known to the comparer (idempotent)."""
    if _LOADED or not subset:
        return
    changed = False
    members: dict[int, list[str]] = {}
    for form, ids in subset.items():
        for gid in ids:
            members.setdefault(gid, []).append(form)
    for gid, forms in members.items():
        _note_readings(forms, gid)
    for form, ids in subset.items():
        old = _GROUPS.get(form)
        if old is None:
            _GROUPS[form] = ids
            changed = True
        elif old != ids:
            merged = tuple(sorted(set(old) | set(ids)))
            if merged != old:
                _GROUPS[form] = merged
                changed = True
    if changed:
        _index_keys(subset)
        _changed()


# ------------------------------------------------------------------------ generation
def build_variant_table(rigour_data: Path, out: Path) -> int:
    """Regenerate the bundled table from rigour's source resources.

    ``rigour_data`` is ``rust/data/names`` of the rigour 2.6.1 source distribution
    (``pip download rigour==2.6.1 --no-binary :all:``). Returns the number of groups.
    """
    from listguard.names.translit import ABJAD, HAN, HANGUL, KANA, romanise, script_class

    def fold(form: str) -> str | None:
        form = form.strip().casefold()
        if not form or " " in form or "-" in form:
            return None
        cls = script_class(form)
        if cls in (HANGUL, HAN, KANA):
            return "@" + form
        pieces, cls = romanise(form)
        if len(pieces) != 1 or not pieces[0].isalpha() or len(pieces[0]) < 2:
            return None
        return ("~" if cls == ABJAD else "") + pieces[0]

    lines: list[str] = []
    with open(rigour_data / "person_names.txt", encoding="utf-8") as fh:
        for line in fh:
            forms, _, _gid = line.rstrip("\n").rpartition(" => ")
            folded = {f for f in (fold(x) for x in forms.split(", ")) if f}
            if len(folded) >= 2:
                lines.append(" ".join(sorted(folded)))
    symbols = json.loads((rigour_data / "symbols.json").read_text("utf-8"))
    # person_name_parts holds two hand-made groups for two specific people: left out.
    for section in ("person_nick", "person_symbols", "org_symbols", "org_domains"):
        for _sym, forms in symbols.get(section, {}).items():
            folded = {f for f in (fold(x) for x in forms) if f}
            if len(folded) >= 2:
                lines.append(" ".join(sorted(folded)))
    header = "# name variant groups, one per line; from rigour 2.6.1 (MIT) / Wikidata (CC0)"
    out.write_bytes(gzip.compress(("\n".join([header] + lines) + "\n").encode("utf-8"), 9))
    return len(lines)
