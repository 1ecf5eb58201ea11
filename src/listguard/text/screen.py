"""Screening free text: every mention of a listed party, with its span and its hits.

The pipeline (see :mod:`listguard.text.extract` for why each step is there):

1. markup is blanked (HTML, Markdown) so offsets stay those of the input;
2. one automaton pass finds the spans whose word keys are a listed name's;
3. guards drop places, lone common names, prose, and spans that are part of a longer name;
4. the matcher scores each remaining span (each distinct name once per document) and keeps
   the hits on the parties the span was found for that score at or above the threshold.

Step 4 restricts hits to the parties the automaton found the span by: the matcher on its own
is tuned for a typed name against the whole index (where "Kim Jong Man" is a fair candidate
for "Kim Jong Un"); in text, the name as written already tells which listed names it spells, and
the matcher's job is to confirm it and explain it. A span found by a longer extension is
judged on the extended name, so "Kim Jong Nam" is not taken for a listed "Kim Jong".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from listguard.text.document import Document, make_document
from listguard.text.extract import Candidate, Extractor, automaton_for, scan

if TYPE_CHECKING:
    from listguard.index import Index
    from listguard.matching.screener import Hit

#: Hits asked of the matcher per span beyond the parties the span was found by (those are
#: among the first; each returned hit costs an explanation, so the tail is kept short).
SPAN_LIMIT = 8


class ScreenerLike(Protocol):
    """What screening text needs of :class:`listguard.matching.screener.Screener`."""

    index: "Index"

    def screen(self, query: Any, limit: int = 5, threshold: float | None = None) -> list["Hit"]: ...


@dataclass
class Mention:
    """A listed party named in a text: where (``start``/``end``, character offsets into the
    input as given), how it is written (``text``), and the matcher's hits."""

    text: str
    start: int
    end: int
    hits: list["Hit"] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "hits": [h.to_dict() for h in self.hits],
        }


def screen_document(
    doc: Document, screener: ScreenerLike, threshold: float | None = None
) -> list[Mention]:
    """Mentions of listed parties in a decoded document, in text order."""
    index = screener.index
    auto = automaton_for(index)
    sc = scan(doc.visible)
    candidates = _prefer_exact(Extractor(auto).candidates(sc))
    verdicts = _verdicts(screener, threshold)
    accepted: list[tuple[Candidate, list["Hit"]]] = []
    taken: list[tuple[int, int]] = []
    for cand in candidates:  # longest first
        if any(s <= cand.start and cand.end <= e for s, e in taken):
            continue
        key = (cand.name, cand.entities, cand.added)
        hits = verdicts.get(key)
        if hits is None:
            hits = _confirm(screener, cand, threshold)
            if len(verdicts) >= VERDICT_CACHE:
                verdicts.pop(next(iter(verdicts)))  # oldest first
            verdicts[key] = hits
        if not hits:
            continue
        if any(not (cand.end <= s or e <= cand.start) for s, e in taken):
            continue  # overlaps a longer mention already accepted
        taken.append((cand.start, cand.end))
        accepted.append((cand, hits))
    accepted.sort(key=lambda item: item[0].start)
    return [Mention(doc.mention_text(c.start, c.end), c.start, c.end, list(h)) for c, h in accepted]


#: Verdicts kept per screener and threshold. The matcher is deterministic: the same span text,
#: found for the same parties, against the same index, gets the same hits. News repeats names
#: (the same few parties are in every article about them), so most spans after the first
#: documents cost a dict lookup instead of a millisecond of scoring.
VERDICT_CACHE = 50_000
_VERDICTS: dict[tuple[int, float | None], tuple[Any, dict[Any, list["Hit"]]]] = {}


def _verdicts(screener: ScreenerLike, threshold: float | None) -> dict[Any, list["Hit"]]:
    key = (id(screener), threshold)
    entry = _VERDICTS.get(key)
    if entry is None or entry[0] is not screener:
        if len(_VERDICTS) >= 8:
            _VERDICTS.clear()
        entry = (screener, {})
        _VERDICTS[key] = entry
    return entry[1]


def _prefer_exact(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per span: the one found as written beats one grown to that span by
    extension (whose parties were found by a shorter name)."""
    best: dict[tuple[int, int], Candidate] = {}
    for cand in candidates:
        key = (cand.start, cand.end)
        have = best.get(key)
        if have is None or (have.extended and not cand.extended):
            best[key] = cand
        elif have.extended == cand.extended:
            best[key] = Candidate(
                have.start, have.end, have.first, have.last, have.entities | cand.entities,
                have.flags | cand.flags, have.name, have.extended,
            )
    return sorted(best.values(), key=lambda c: (-c.length, c.start))


def _confirm(screener: ScreenerLike, cand: Candidate, threshold: float | None) -> list["Hit"]:
    """The matcher's matching hits on the parties the span was found by.

    A span grown by extension is a longer name than the one that found it; it must be best
    explained by those parties: if the matcher's best hit for it is someone else, the text
    names someone else, and so it does when a word of the longer name is left unmatched
    ("Jong Song Il" is not "JONG Song")."""
    try:
        from listguard.matching import Query
    except ImportError:  # the package exports it once the matcher is complete
        from listguard.matching.query import Query

    ids = {screener.index.entities[p].id for p in cand.entities}
    hits = screener.screen(Query(names=[cand.name]), limit=len(ids) + SPAN_LIMIT, threshold=threshold)
    if cand.extended:
        if not hits or hits[0].entity_id not in ids:
            return []
        # every word of the longer name must be accounted for by the listed name
        hits = [h for h in hits if _accounts_for(h, cand.added)]
    return [h for h in hits if h.match and h.entity_id in ids]


def _accounts_for(hit: "Hit", words: tuple[str, ...]) -> bool:
    """Did the matcher align every one of ``words`` with a part of the listed name?"""
    name = getattr(hit.explanation, "name", None)
    alignment = getattr(name, "alignment", None)
    if not alignment:
        return False
    aligned = " ".join(str(a.query) for a in alignment)
    from listguard.text.extract import word_key

    parts = {word_key(p) for p in aligned.split()}
    joined = aligned.replace(" ", "")
    for word in words:
        folded = word.lower()
        if word_key(word) not in parts and folded not in joined:
            return False
    return True


def screen_text(
    text: str, screener: ScreenerLike, threshold: float | None = None, format: str = "auto"
) -> list[Mention]:
    """Find the listed parties named in ``text`` (plain text, HTML or Markdown).

    ``threshold`` overrides the matcher's default match threshold. Offsets are character
    offsets into ``text``; for plain text ``text[m.start:m.end] == m.text``.

    >>> screen_text("CEO Jong Song Hwa met ...", Screener(index))  # doctest: +SKIP
    [Mention(text='Jong Song Hwa', start=4, end=17, hits=[Hit(entity_id='us_ofac_sdn:24979', ...)])]
    """
    return screen_document(make_document(text, format), screener, threshold)


def screen_text_payload(
    text: str, screener: ScreenerLike, threshold: float | None = None, format: str = "auto"
) -> dict[str, Any]:
    """The JSON body of ``screen-text --json`` and of ``POST /screen-text``."""
    mentions = screen_text(text, screener, threshold, format)
    return {"mentions": [m.to_dict() for m in mentions]}
