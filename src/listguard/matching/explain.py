"""What a hit tells the analyst: which name matched, how its parts aligned, what else counted.

Plain dataclasses with ``to_dict`` giving the JSON shape of the contract (see
:class:`listguard.matching.Hit`). The summary is one sentence an analyst can read without
knowing how the matcher works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AlignedPart:
    """One query part (or several joined) aligned with one listed part (or several)."""

    query: str
    matched: str
    score: float
    how: str  # exact | romanisation | variant | spelling | initial | joined | number | transliteration | particle

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "matched": self.matched, "score": round(self.score, 3), "how": self.how}


@dataclass
class NameExplanation:
    query: str
    matched: str
    kind: str  # name | alias | weakAlias | previousName
    score: float
    alignment: list[AlignedPart] = field(default_factory=list)
    #: query parts with no counterpart, and listed parts with none
    unmatched_query: list[str] = field(default_factory=list)
    unmatched_listed: list[str] = field(default_factory=list)
    #: notes on whole-name effects (legal form conflict, number conflict...)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "query": self.query,
            "matched": self.matched,
            "kind": self.kind,
            "score": round(self.score, 3),
            "alignment": [a.to_dict() for a in self.alignment],
        }
        if self.unmatched_query:
            data["unmatched_query"] = self.unmatched_query
        if self.unmatched_listed:
            data["unmatched_listed"] = self.unmatched_listed
        if self.notes:
            data["notes"] = self.notes
        return data


@dataclass
class FeatureEffect:
    feature: str  # birth_date | country | identifier | schema | weak_alias
    effect: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "effect": round(self.effect, 3), "detail": self.detail}


@dataclass
class Explanation:
    summary: str
    name: NameExplanation | None = None
    features: list[FeatureEffect] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "name": self.name.to_dict() if self.name else None,
            "features": [f.to_dict() for f in self.features],
        }


_HOW_WORDS = {
    "exact": "identical",
    "romanisation": "a romanisation variant",
    "variant": "a known variant",
    "spelling": "a spelling variant",
    "initial": "an initial",
    "joined": "joined/split",
    "number": "the same number",
    "transliteration": "a transliteration",
    "particle": "a particle",
    "acronym": "an acronym",
}


def name_phrase(name: NameExplanation) -> str:
    """Half a sentence on the name: what matched and the notable alignments."""
    kind = {"name": "listed name", "alias": "alias", "weakAlias": "weak alias", "previousName": "former name"}.get(
        name.kind, name.kind
    )
    parts = []
    for a in name.alignment:
        if a.how not in ("exact", "particle"):
            parts.append(f"{a.query}~{a.matched} ({_HOW_WORDS.get(a.how, a.how)})")
    text = f"'{name.query}' matches the {kind} '{name.matched}' ({name.score:.2f})"
    if parts:
        text += ": " + ", ".join(parts[:4])
    missing = []
    if name.unmatched_query:
        missing.append("query parts not on the list: " + ", ".join(name.unmatched_query))
    if name.unmatched_listed:
        missing.append("listed parts not in the query: " + ", ".join(name.unmatched_listed))
    if missing:
        text += "; " + "; ".join(missing)
    if name.notes:
        text += "; " + "; ".join(name.notes)
    return text
