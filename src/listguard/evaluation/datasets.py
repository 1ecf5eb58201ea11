"""Where the evaluation data lives, and readers for each file.

The data is never copied into the repository: it is read from ``../shared/data`` beside the
checkout (or ``$LISTGUARD_SHARED_DATA``). Readers return plain records; nothing here scores.

Also here: :func:`load_lists`, which parses every official list the benchmark and the screening
evaluation use, and :func:`name_key`, the exact-identity key (case, accents, punctuation and
token order ignored; other scripts transliterated to ASCII) used to decide which listed entries
carry *the same* name. That key is deliberately dumb: it defines the gold standard and the
"not on any list" check, it is not a matcher.
"""

from __future__ import annotations

import csv
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from listguard.model import Entity

#: Lists loaded for screening evaluation and the benchmark, relative to ``<shared>/lists``.
#: ``ofac/sdn_2021-07-07`` is an older version of the SDN list (for change monitoring) and
#: ``opensanctions/`` holds small non-commercial fixtures, so neither is part of "every list".
LIST_GLOBS = (
    "ofac/sdn_latest",
    "ofac/cons_latest",
    "un/*.xml",
    "au/*.xlsx",
    "uk/*.ods",
    "us_csl/*.csv.gz",
)

#: Name properties that establish identity between entries (weak aliases do not).
STRONG_NAME_PROPS = ("name", "alias", "previousName")


def shared_data_dir(explicit: str | Path | None = None) -> Path:
    """Find the shared data folder: explicit path, ``$LISTGUARD_SHARED_DATA``, or
    ``../shared/data`` beside the checkout or the current directory."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    env = os.environ.get("LISTGUARD_SHARED_DATA")
    if env:
        candidates.append(Path(env))
    repo = Path(__file__).resolve().parents[3]
    candidates += [repo.parent / "shared" / "data", Path.cwd().parent / "shared" / "data",
                   Path.cwd() / "shared" / "data"]
    for cand in candidates:
        if (cand / "eval").is_dir() or (cand / "lists").is_dir():
            return cand
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"shared evaluation data not found (tried {tried}); put ../shared beside the checkout "
        "or set LISTGUARD_SHARED_DATA"
    )


# -- name keys & scripts ----------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^\w]+|_", re.UNICODE)


def _ascii(text: str) -> str:
    try:
        from normality import ascii_text

        out = ascii_text(text)
        if out is not None:
            return out
    except Exception:  # pragma: no cover - normality is a hard dependency
        pass
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def name_tokens(name: str) -> list[str]:
    """Lower-case ASCII tokens of a name (other scripts transliterated)."""
    return [t for t in _NON_ALNUM.split(_ascii(name).lower()) if t]


def name_key(name: str) -> str:
    """Exact-identity key: same tokens in any order, ignoring case, accents and punctuation."""
    return " ".join(sorted(name_tokens(name)))


def char_script(ch: str) -> str | None:
    """The Unicode script (by character name) of a letter, ``None`` for non-letters."""
    if not ch.isalpha():
        return None
    try:
        first = unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return "UNKNOWN"
    if first in ("CJK", "HIRAGANA", "KATAKANA"):
        return "CJK" if first == "CJK" else "JAPANESE"
    if first in ("HANGUL",):
        return "HANGUL"
    if first in ("FULLWIDTH", "HALFWIDTH"):
        return "CJK"
    if first == "LATIN":
        return "LATIN"
    return first


def script_of(name: str) -> str:
    """The dominant script of a name: ``LATIN``, ``CYRILLIC``, ``ARABIC``, ``HANGUL``, ``CJK``...

    A name with any Japanese kana counts as ``JAPANESE``; a name without letters is ``NONE``.
    """
    counts: dict[str, int] = {}
    for ch in name:
        s = char_script(ch)
        if s:
            counts[s] = counts.get(s, 0) + 1
    if not counts:
        return "NONE"
    if "JAPANESE" in counts:
        return "JAPANESE"
    return max(counts.items(), key=lambda kv: kv[1])[0]


def is_latin(name: str) -> bool:
    """Every letter of the name is in the Latin script (accents allowed)."""
    has = False
    for ch in name:
        s = char_script(ch)
        if s is None:
            continue
        if s != "LATIN":
            return False
        has = True
    return has


# -- lists ------------------------------------------------------------------------------------


@dataclass
class LoadedLists:
    entities: list[Entity] = field(default_factory=list)
    loaded: list[tuple[str, str, int, float]] = field(default_factory=list)  # path, dataset, n, s
    failed: list[tuple[str, str]] = field(default_factory=list)  # path, error

    @property
    def datasets(self) -> list[str]:
        return sorted({d for _, d, _, _ in self.loaded})


def list_paths(shared: Path) -> list[Path]:
    base = shared / "lists"
    paths: list[Path] = []
    for pattern in LIST_GLOBS:
        matches = sorted(base.glob(pattern))
        paths.extend(matches)
    return paths


def load_lists(shared: Path | None = None, log=None) -> LoadedLists:
    """Parse every list in :data:`LIST_GLOBS` with ``listguard.sources.parse``.

    A list that fails to parse is reported in ``failed`` and skipped, so the evaluation runs
    on whatever parses (and says which lists were not included).
    """
    from listguard import sources

    shared = shared_data_dir(shared)
    out = LoadedLists()
    for path in list_paths(shared):
        rel = str(path.relative_to(shared / "lists"))
        t0 = time.perf_counter()
        try:
            result = sources.parse(path)
        except Exception as exc:  # any parser failure: report, carry on
            out.failed.append((rel, f"{type(exc).__name__}: {exc}"[:300]))
            if log:
                log(f"[lists] {rel}: NOT LOADED ({type(exc).__name__}: {str(exc)[:120]})")
            continue
        dt = time.perf_counter() - t0
        out.entities.extend(result.entities)
        out.loaded.append((rel, result.dataset, len(result.entities), dt))
        if log:
            log(f"[lists] {rel}: {len(result.entities):,} entities ({result.dataset}, {dt:.1f}s)")
    return out


def strong_names(entity: Entity) -> list[str]:
    return [v for p in STRONG_NAME_PROPS for v in entity.get(p)]


def all_names(entity: Entity) -> list[str]:
    return [n for n, _ in entity.names()]


def namesake(source_names: Iterable[str], other: Entity) -> bool:
    """Does a strong name of ``other`` contain every token of one of ``source_names`` (or the
    reverse), sharing at least two tokens? ("KIM, Jong Un" / "KIM Jong Un (Marshal)";
    "ZAVIZENOV Konstantin" / "ZAVIZENOV, Konstantin Anatolyevich")."""
    mine = [set(name_tokens(n)) for n in source_names]
    for name in strong_names(other):
        theirs = set(name_tokens(name))
        for toks in mine:
            if len(toks & theirs) >= 2 and (toks <= theirs or theirs <= toks):
                return True
    return False


def _republished(ident: str) -> list[str]:
    if ident.startswith("us_trade_csl:sdn-"):
        return ["us_ofac_sdn:" + ident.removeprefix("us_trade_csl:sdn-")]
    if ident.startswith("us_ofac_sdn:"):
        return ["us_trade_csl:sdn-" + ident.removeprefix("us_ofac_sdn:")]
    return []


class NameKeyIndex:
    """Exact name-key lookups over a set of entities (for gold sets and "not listed" checks)."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.strong: dict[str, set[str]] = {}
        self.any: set[str] = set()
        self.ids: set[str] = set()
        for ent in entities:
            self.add(ent)

    def add(self, ent: Entity) -> None:
        self.ids.add(ent.id)
        for name in strong_names(ent):
            key = name_key(name)
            if key:
                self.strong.setdefault(key, set()).add(ent.id)
        for name in all_names(ent):
            key = name_key(name)
            if key:
                self.any.add(key)

    def same_name(self, names: Iterable[str]) -> set[str]:
        """Ids of entries carrying one of ``names`` as a strong name (exact key)."""
        out: set[str] = set()
        for name in names:
            out |= self.strong.get(name_key(name), set())
        return out

    def same_party(self, ent: Entity) -> set[str]:
        """The entry itself, entries carrying one of its strong names exactly, and the copies
        of those that another list republishes under the same source id (the US CSL carries
        OFAC SDN entries as ``us_trade_csl:sdn-N`` = ``us_ofac_sdn:N``)."""
        out = {ent.id} | self.same_name(strong_names(ent))
        for ident in list(out):
            for other in _republished(ident):
                if other in self.ids:
                    out.add(other)
        return out

    def listed(self, name: str) -> bool:
        """Is this exact name (key) any listed entry's name, weak aliases included?"""
        return name_key(name) in self.any


# -- evaluation files -------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePair:
    case_group: str
    schema: str
    name1: str
    name2: str
    is_match: bool
    quality: str
    category: str
    notes: str


def read_name_pairs(path: Path) -> list[NamePair]:
    """``name_pairs_dev.csv``: case_group,schema,name1,name2,is_match,quality,category,notes."""
    pairs: list[NamePair] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            label = row["is_match"].strip().lower()
            if label not in ("true", "false"):
                raise ValueError(f"{path}: bad is_match {row['is_match']!r}")
            pairs.append(
                NamePair(
                    case_group=row.get("case_group", "").strip(),
                    schema=row["schema"].strip(),
                    name1=row["name1"],
                    name2=row["name2"],
                    is_match=label == "true",
                    quality=row.get("quality", "").strip(),
                    category=(row.get("category") or "").strip(),
                    notes=row.get("notes", "") or "",
                )
            )
    return pairs


@dataclass(frozen=True)
class CrossScriptPair:
    query: str
    expected: str
    group: str  # script of the query


def read_watchman_pairs(path: Path) -> list[CrossScriptPair]:
    """``watchman_cross_script_pairs.csv``: ``#`` comments, rows Query,Expected Match,Min Score,Description."""
    out: list[CrossScriptPair] = []
    with open(path, encoding="utf-8") as fh:
        lines = [l for l in fh if l.strip() and not l.lstrip().startswith("#")]
    for row in csv.reader(lines):
        if len(row) < 2:
            continue
        out.append(CrossScriptPair(row[0].strip(), row[1].strip(), script_of(row[0])))
    return out


def read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [l.strip() for l in fh if l.strip()]


def read_en_ko(path: Path) -> Iterator[tuple[str, str]]:
    """``wikidata_names_en_ko.tsv``: English TAB Korean (Hangul)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0].strip() and parts[1].strip():
                yield parts[0].strip(), parts[1].strip()


def read_name_tokens(path: Path) -> list[tuple[str, str, int]]:
    """``wikidata_name_tokens_*.tsv``: latin token, space-separated native characters, frequency."""
    out: list[tuple[str, str, int]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                out.append((parts[0], parts[1].replace(" ", ""), int(parts[2] or 0)))
    return out
