"""How much a name part identifies someone: rare parts weigh more than common ones.

"Kim", "Mohammed", "Trading" and "Company" appear in thousands of listed names; a match on
them says little, a mismatch on them little more. "Nazarbayev" appears in one. The weight of a
token is an inverse document frequency over the names of the lists, squashed to ``[floor, 1]``.

Two sources of frequencies:

* the index computes its own from every name it holds (:class:`FrequencyWeights`), so weights
  follow the lists actually screened against;
* :func:`default_weights` reads a table bundled with the package (token document frequencies
  over all official lists, ``listguard/data/name_token_freq.tsv``), for pair comparison
  (``listguard compare``) where there is no index.

Kinds override the frequency: particles and honorifics are near-weightless, initials weak,
generic organisation words ("company", "group", "international") capped low.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import TYPE_CHECKING, Iterable, Mapping

from listguard.names.tokens import (
    HONORIFIC,
    INITIAL,
    NAME,
    NUMBER,
    ORG_GENERIC,
    PARTICLE,
    Token,
)
from listguard.names.translit import ABJAD

if TYPE_CHECKING:
    from listguard.model import Entity

#: Tokens in at most this many names get full weight.
RARE_DF = 3
#: No token weighs less than this (even "mohammed" tells a bit).
FLOOR = 0.2
KIND_WEIGHTS = {PARTICLE: 0.05, HONORIFIC: 0.12, INITIAL: 0.3, NUMBER: 0.6}
GENERIC_CAP = 0.3

FREQ_FILE = "name_token_freq.tsv"


class FrequencyWeights:
    """Weights from a document-frequency table ``{token text: number of names with it}``.

    Picklable (plain dicts), so an index carries its own weights to Spark executors.
    ``skel_df`` holds frequencies by consonant skeleton, for tokens romanised from an abjad,
    whose vowels are unknown.
    """

    __slots__ = ("df", "skel_df", "n", "_hi", "_cache")

    def __init__(self, df: Mapping[str, int], skel_df: Mapping[str, int], n: int) -> None:
        self.df = dict(df)
        self.skel_df = dict(skel_df)
        self.n = max(n, 10)
        self._hi = math.log((self.n + 1) / (RARE_DF + 1))
        self._cache: dict[tuple[str, int, int], float] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"df": self.df, "skel_df": self.skel_df, "n": self.n}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["df"], state["skel_df"], state["n"])  # type: ignore[arg-type, misc]

    def idf_weight(self, df: int) -> float:
        if df <= RARE_DF:
            return 1.0
        idf = math.log((self.n + 1) / (df + 1))
        return max(FLOOR, min(1.0, idf / self._hi) ** 1.5)

    def weight(self, token: Token) -> float:
        key = (token.text, token.kind, token.script)
        w = self._cache.get(key)
        if w is not None:
            return w
        if token.kind != NAME:
            w = KIND_WEIGHTS.get(token.kind, 0.3)
        else:
            if token.script == ABJAD:
                df = self.skel_df.get(token.skel, 0)
            else:
                df = self.df.get(token.text, 0)
            w = self.idf_weight(df)
            if token.text in ORG_GENERIC:
                w = min(w, GENERIC_CAP)
            if len(token.text) <= 2 and token.script != ABJAD:
                w = min(w, 0.6)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[key] = w
        return w


_DEFAULT: FrequencyWeights | None = None


def default_weights() -> FrequencyWeights:
    """Weights from the bundled frequency table (loaded once)."""
    global _DEFAULT
    if _DEFAULT is None:
        df: dict[str, int] = {}
        skel_df: dict[str, int] = {}
        n = 100_000
        try:
            text = resources.files("listguard.data").joinpath(FREQ_FILE).read_text("utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            text = ""
        for line in text.splitlines():
            if not line or line.startswith("#"):
                if line.startswith("#n="):
                    n = int(line[3:])
                continue
            kind, token, count = line.split("\t")
            (df if kind == "t" else skel_df)[token] = int(count)
        _DEFAULT = FrequencyWeights(df, skel_df, n)
    return _DEFAULT


def count_frequencies(names: "Iterable[tuple[str, str]]") -> tuple[dict[str, int], dict[str, int], int]:
    """Document frequencies of token texts and skeletons over ``(name, tag)`` pairs.

    A token counts once per name. Used by the index at build time and to regenerate the
    bundled table (:func:`write_frequency_table`).
    """
    from listguard.names.tokens import analyse_name

    df: dict[str, int] = {}
    skel_df: dict[str, int] = {}
    n = 0
    for name, tag in names:
        form = analyse_name(name, tag)
        n += 1
        seen: set[str] = set()
        skels: set[str] = set()
        for tok in form.tokens:
            if tok.kind == NAME:
                seen.add(tok.text)
                skels.add(tok.skel)
        for text in seen:
            df[text] = df.get(text, 0) + 1
        for skel in skels:
            skel_df[skel] = skel_df.get(skel, 0) + 1
    return df, skel_df, n


def write_frequency_table(entities: "Iterable[Entity]", path: str, min_df: int = RARE_DF + 1) -> int:
    """Regenerate the bundled table from list entities (all official lists loaded together).

    Only tokens above the "rare" cut-off are written: everything else weighs 1.0 anyway.
    """
    from listguard.names.tokens import tag_for_schema

    pairs = ((name, tag_for_schema(e.schema)) for e in entities for name, _kind in e.names())
    df, skel_df, n = count_frequencies(pairs)
    lines = [f"#n={n}", "# kind\ttoken\tnames (t: ascii token, s: consonant skeleton)"]
    lines += [f"t\t{t}\t{c}" for t, c in sorted(df.items()) if c >= min_df]
    lines += [f"s\t{t}\t{c}" for t, c in sorted(skel_df.items()) if c >= min_df]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return len(lines)
