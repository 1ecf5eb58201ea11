"""Screening: from a query to ranked, explained hits over a compiled index.

Two stages, because careful scoring is too slow to run against every listed name and cheap
scoring is too crude to decide:

1. **Retrieval** (:meth:`Screener.candidates`): each query token is looked up under the keys
   the index compiled (exact, romanisation key, loose key, one-deletion neighbours, consonant
   skeleton, variant groups, joined neighbours); every listed name that shares a key gets the
   token's weight. Rare tokens find few names and weigh much; tokens in thousands of names are
   not used to find candidates (they still count in scoring). The best few dozen names go on.
2. **Scoring** (:func:`listguard.matching.compare.align`): each candidate name is aligned with
   the query name part by part, then birth date, country and identifiers adjust the score
   (:mod:`listguard.matching.features`). Only the hits returned are explained in full.
"""

from __future__ import annotations

import heapq
import os

from rapidfuzz.distance import OSA
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Iterable, NamedTuple, Sequence

from listguard.index import KINDS, IdentifierRef, Index, deletions, exact_key, normalise_identifier, token_forms
from listguard.matching.compare import MIN_SIM, _foreign_word, _joined_similarity, align, explain_alignment, token_similarity
from listguard.matching.explain import Explanation, FeatureEffect, name_phrase
from listguard.matching.features import (
    MAX_FEATURE_BOOST,
    STRONG_ID_SCORE,
    birth_date_effect,
    country_effect,
    identifier_effect,
)
from listguard.matching.query import Query
from listguard.names import variants
from listguard.names.clean import cleaning_notes
from listguard.names.phonetic import skeleton
from listguard.names.tokens import ANY, NAME, NUMBER, PER, NameForm, analyse_name, split_alternatives, tag_for_schema
from listguard.names.translit import ABJAD, LATIN

#: Which listed schemata a query schema may hit. A person is never a company named after
#: them, a vessel never its owner.
SCHEMA_COMPAT: dict[str, frozenset[str]] = {
    "Person": frozenset({"Person", "LegalEntity"}),
    "Organization": frozenset({"Organization", "Company", "LegalEntity", "PublicBody"}),
    "Company": frozenset({"Company", "Organization", "LegalEntity"}),
    "LegalEntity": frozenset({"Person", "Organization", "Company", "LegalEntity", "PublicBody"}),
    "Vessel": frozenset({"Vessel"}),
    "Airplane": frozenset({"Airplane"}),
}

#: Candidate names scored per query, at most.
CANDIDATES = 30
#: ... and only those whose retrieval score is at least this share of the best one
CANDIDATE_RATIO = 0.5
#: ... and this share of the query's own weight.
QUERY_COVERAGE = 0.3
#: Tokens in more listed names than this do not find candidates (they still score).
MAX_POSTINGS = 4000
#: A query token reaching more listed names than this only adds to candidates that rarer
#: tokens found ("Mohammed" does not bring in every Mohammed on the lists).
COMMON_POSTINGS = 300
#: Share of a query word's weight a listed abbreviation of it (a prefix) adds in retrieval.
ABBREVIATION_REACH = 0.8
#: Listed names typed exactly as the query that are scored, at most (a one-word alias such as
#: "Ahmed" is carried by dozens of parties).
EXACT_LIMIT = 200
#: Hits scoring below this are not returned at all (they would only be noise).
MIN_SCORE = 0.5
#: A weak alias (OFAC/UN "low quality" a.k.a.) is a weaker identification than a name.
WEAK_ALIAS_PENALTY = 0.1
_WEAK = KINDS.index("weakAlias")
#: The least name score that birth date and country can still lift to :data:`MIN_SCORE`
#: (identifier hits are scored whatever their name score).
NAME_FLOOR = MIN_SCORE - MAX_FEATURE_BOOST - 1e-9
#: Listed-name entries of the per-token reach cache, at most (per process; ~70 bytes each).
REACH_BUDGET = 1_500_000
#: Queries whose name-stage results a screener keeps (per process).
NAME_CACHE_SIZE = 100_000

_MISSING = object()

_ABJAD_SWAPS = (("th", ("s", "t")), ("dh", ("z", "d")), ("kh", ("h", "k")), ("gh", ("g", "r")), ("z", ("d", "th", "dh")),
                ("q", ("k", "g")), ("j", ("g", "dj")), ("t", ("th",)), ("s", ("th",)), ("d", ("dh",)), ("h", ("",)))  # fmt: skip


def abjad_variants(text: str) -> list[str]:
    """Spellings of an abjad romanisation with one letter written another common way."""
    out: list[str] = []
    for a, subs in _ABJAD_SWAPS:
        start = 0
        while True:
            i = text.find(a, start)
            if i < 0:
                break
            for b in subs:
                out.append(text[:i] + b + text[i + len(a) :])
            start = i + 1
    return out[:24]

# similarity assumed for each kind of retrieval key (ranks candidates before scoring)
_PROBES = (("t:", 1.0), ("k:", 0.95), ("l:", 0.85))


@dataclass
class Hit:
    """One listed party a query may be."""

    entity_id: str
    score: float
    match: bool
    caption: str
    schema: str
    matched_name: str
    datasets: list[str]
    explanation: Explanation = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "score": self.score,
            "match": self.match,
            "caption": self.caption,
            "schema": self.schema,
            "matched_name": self.matched_name,
            "datasets": list(self.datasets),
            "explanation": self.explanation.to_dict(),
        }


def _name_key(query: Query) -> tuple[Any, ...]:
    """What the name stage depends on: the names, the schema and the lists screened."""
    return (tuple(query.names), query.schema, None if query.datasets is None else tuple(query.datasets))


class _Named(NamedTuple):
    """An entity's best-aligned name for a query (before birth date, country, identifiers)."""

    pos: int
    score: float  # name score, weak-alias penalty included
    name_score: float
    qform: NameForm | None
    cform: NameForm | None
    kind: int
    alignment: Any


@dataclass
class _Scored:
    pos: int
    score: float
    name_score: float
    qform: NameForm | None
    cform: NameForm | None
    kind: int
    alignment: Any
    features: list[FeatureEffect]


class Screener:
    """Screens queries against one :class:`~listguard.index.Index`.

    ``threshold`` is the match threshold (default :data:`listguard.matching.DEFAULT_THRESHOLD`).
    A Screener holds no per-query state: one instance serves any number of queries (and,
    forked, any number of processes).
    """

    def __init__(self, index: Index, threshold: float | None = None) -> None:
        from listguard.matching import DEFAULT_THRESHOLD

        self.index = index
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        index.activate()
        self._weights = index.weights
        self._names_by_entity: dict[int, list[int]] | None = None
        self._plans: dict[tuple[str, int], Any] = {}
        self._reaches: dict[tuple[str, int], dict[int, float]] = {}
        self._reach_size = 0
        #: name-stage results by (names, schema, datasets); ``None`` disables the cache
        self._name_cache: dict[tuple[Any, ...], tuple[_Named, ...]] | None = {}

    # -------------------------------------------------------------------------- retrieval
    def _token_vids(self, tok: Any) -> dict[int, float]:
        keys = self.index.keys
        vids: dict[int, float] = {}

        def probe(key: str, sim: float) -> None:
            found = keys.get(key)
            if found:
                for vid in found:
                    if vids.get(vid, 0.0) < sim:
                        vids[vid] = sim

        for prefix, sim in _PROBES:
            value = tok.text if prefix == "t:" else tok.key if prefix == "k:" else tok.loose
            if prefix == "l:" and len(value) < 3:
                continue
            probe(prefix + value, sim)
        loose = tok.loose
        if len(loose) >= 4:
            probe("d:" + loose, 0.8)  # listed tokens one letter longer
        if len(loose) >= 5:  # (shorter keys have too many neighbours to be worth it)
            for d in deletions(loose):
                probe("l:" + d, 0.8)
                probe("d:" + d, 0.8)
        if tok.script != LATIN and len(tok.skel) >= 2:
            probe("s:" + tok.skel, 0.8)
        if tok.script == ABJAD and len(tok.skel) >= 3:
            # the letters Latin spellings write several ways (ظ z/dh/th, ق q/k/g, ج j/g...)
            for variant in abjad_variants(tok.text):
                sk = skeleton(variant)
                if len(sk) >= 3:
                    probe("s:" + sk, 0.75)
        if tok.script not in (LATIN, ABJAD) and len(tok.broad) >= 2:
            probe("b:" + tok.broad, 0.75)
        for form in token_forms(tok):
            for gid in variants.expanded(form):
                probe(f"g:{gid}", 0.93)
        return vids

    def _plan(self, tok: Any) -> tuple[int, list[tuple[float, int]]] | None:
        """The listed tokens a query token reaches, with their similarity, best first, and the
        number of names they occur in. Cached per token: a batch repeats its tokens a lot."""
        ck = (tok.orig if tok.frag else tok.text, tok.script)
        plan = self._plans.get(ck, _MISSING)
        if plan is not _MISSING:
            return plan  # type: ignore[no-any-return]
        vids = self._token_vids(tok)
        vocab = self.index.vocab
        postings = self.index.postings
        scored: list[tuple[float, int]] = []
        total = 0
        latin = tok.script == LATIN
        loose = tok.loose
        long_word = len(loose) >= 8
        abjad = tok.script == ABJAD
        for vid, probe_sim in vids.items():
            other = vocab[vid]
            if latin and probe_sim <= 0.8 and other.script == LATIN:
                # reached through a one-deletion key: a cheap check first (most are not close)
                if OSA.distance(loose, other.loose, score_cutoff=2) > (2 if long_word else 1):
                    continue
            elif abjad and probe_sim <= 0.8 and len(other.text) > 2 * len(tok.text) + 3:
                continue  # far longer than any spelling of these letters
            sim = token_similarity(tok, other)[0]
            if sim >= MIN_SIM:
                scored.append((sim, vid))
                total += len(postings[vid])
        result = None
        if scored:
            scored.sort(reverse=True)
            result = (total, scored)
        if len(self._plans) > 100_000:
            self._plans.clear()
        self._plans[ck] = result
        return result

    def _reach(self, ck: tuple[str, int], scored: list[tuple[float, int]]) -> dict[int, float]:
        """Every listed name a query token reaches, with the best similarity it reaches it by
        (its listed tokens taken best first; tokens in more than :data:`MAX_POSTINGS` names
        left out). Cached per token, within a budget of entries: the common tokens a batch
        repeats ("Michael", "Smith") are the ones that reach thousands of names."""
        reach = self._reaches.get(ck)
        if reach is not None:
            return reach
        postings = self.index.postings
        reach = {}
        for sim, vid in scored:
            plist = postings[vid]
            if len(plist) > MAX_POSTINGS:
                continue
            for nid in plist:
                if nid not in reach:
                    reach[nid] = sim
        self._reach_size += len(reach)
        if self._reach_size > REACH_BUDGET:
            self._reaches.clear()
            self._reach_size = len(reach)
        self._reaches[ck] = reach
        return reach

    def _word_plan(self, jn: Any) -> tuple[int, list[tuple[float, int]]] | None:
        """Like :meth:`_plan`, for a whole word written in a syllabic script (its syllables are
        separate tokens; the listed Latin spelling is one word)."""
        ck = (jn.word, -1)
        plan = self._plans.get(ck, _MISSING)
        if plan is not _MISSING:
            return plan  # type: ignore[no-any-return]
        keys = self.index.keys
        vids: set[int] = set()
        for key in ("b:" + jn.broad, "l:" + jn.loose, "k:" + jn.key):
            vids.update(keys.get(key, ()))
        for gid in variants.expanded(jn.word):
            vids.update(keys.get(f"g:{gid}", ()))
        vocab = self.index.vocab
        postings = self.index.postings
        scored: list[tuple[float, int]] = []
        total = 0
        for vid in vids:
            sim = _joined_similarity(jn, vocab[vid])[0]
            if sim >= MIN_SIM:
                scored.append((sim, vid))
                total += len(postings[vid])
        result = None
        if scored:
            scored.sort(reverse=True)
            result = (total, scored)
        self._plans[ck] = result
        return result

    def _entity_names(self, pos: int) -> list[int]:
        """Name ids of one entity (for entities found by identifier only)."""
        if self._names_by_entity is None:
            table: dict[int, list[int]] = {}
            for nid, n in enumerate(self.index.names):
                table.setdefault(n.entity, []).append(nid)
            self._names_by_entity = table
        return self._names_by_entity.get(pos, [])

    def candidates(
        self, forms: Sequence[NameForm], qweights: Sequence[Sequence[float]] | None = None
    ) -> list[tuple[int, float]]:
        """Name ids worth scoring, with a rough retrieval score, best first.

        Every vocabulary token a query token reaches through some key is checked with the
        real token similarity (cached) before its postings are read: keys cast a wide net,
        the similarity keeps only what could align, and the postings of a token that could
        not are never touched.
        """
        index = self.index
        postings = index.postings
        weight = self._weights.weight
        best: dict[int, float] = {}
        for form in forms:
            acc: dict[int, float] = {}
            # Syllables of a word that transcribes a foreign name (블라디미르) are not names:
            # only the whole word finds candidates. Syllables of a Korean or Chinese name are.
            foreign: set[int] = set()
            for jn in form.joins:
                if jn.word and not jn.latin and _foreign_word(jn):
                    foreign.update(jn.span)
            toks = [t for i, t in enumerate(form.tokens) if t.kind == NAME and i not in foreign]
            # rare tokens first: they find the candidates; common ones then only add to them
            plans: list[tuple[int, float, dict[int, float]]] = []
            for tok in toks:
                ck = (tok.orig if tok.frag else tok.text, tok.script)
                plan = self._plan(tok)
                if plan is not None:
                    # one syllable of a longer written word is half a name part at most
                    w = weight(tok) if not tok.frag or tok.raw == tok.orig else min(weight(tok), 0.5)
                    plans.append((plan[0], w, self._reach(ck, plan[1])))
            for jn in form.joins:
                if jn.word and not jn.latin:
                    plan = self._word_plan(jn)
                    if plan is not None:
                        w = max(weight(form.tokens[i]) for i in jn.span)
                        plans.append((plan[0], w, self._reach((jn.word, -1), plan[1])))
            plans.sort(key=itemgetter(0))
            narrowed: list[tuple[float, dict[int, float]]] = []
            done_weight = 0.0
            for total, w, reach in plans:
                # a common token only adds to candidates when rarer tokens already found some
                # name that matches them well (not when the rare token only found noise)
                narrow = (
                    total > COMMON_POSTINGS
                    and len(acc) > 0
                    and max(acc.values()) >= 0.9 * done_weight
                )
                done_weight += w
                if narrow:
                    narrowed.append((w, reach))
                    for nid in list(acc):
                        sim = reach.get(nid)
                        if sim is not None:
                            acc[nid] += w * sim
                else:
                    for nid, sim in reach.items():
                        acc[nid] = acc.get(nid, 0.0) + w * sim
            # organisation words abbreviated on the list (Airlines / AIR, Republic / REP): the
            # listed word is a prefix of the query's (see compare._abbreviates)
            if form.tag != PER:
                for tok in toks:
                    if tok.script != LATIN or len(tok.text) < 5:
                        continue
                    inc = weight(tok) * ABBREVIATION_REACH
                    for cut in range(3, len(tok.text) - 1):
                        for vid in index.keys.get("t:" + tok.text[:cut], ()):
                            plist = postings[vid]
                            if len(plist) <= COMMON_POSTINGS:
                                for nid in plist:
                                    if nid not in acc:
                                        # newly found: the common words that only added to
                                        # earlier candidates add to this one too
                                        acc[nid] = sum(w * r.get(nid, 0.0) for w, r in narrowed)
                                    acc[nid] += inc
            # joined/split words: "Songhwa" vs "Song Hwa"; "Song Hwa" vs "Songhwa"
            joined = index.joined
            for tok in toks:
                jl = joined.get(tok.loose)
                if jl:
                    inc = weight(tok) * 0.9
                    for nid in jl:
                        acc[nid] = acc.get(nid, 0.0) + inc
            for jn in form.joins:
                if len(jn.span) != 2 and not jn.word:
                    continue
                for vid in index.keys.get("l:" + jn.loose, ()):
                    plist = postings[vid]
                    if len(plist) <= MAX_POSTINGS:
                        inc = 0.9 * sum(weight(form.tokens[i]) for i in jn.span) / len(jn.span)
                        for nid in plist:
                            acc[nid] = acc.get(nid, 0.0) + inc
            # numbers find the ship, unit or fund they name (FU YUAN YU 7901 among hundreds of
            # FU YUAN YU vessels)
            for tok in form.tokens:
                if tok.kind == NUMBER:
                    found = index.numbers.get(tok.canon)
                    if found and len(found) <= MAX_POSTINGS:
                        inc = weight(tok)
                        for nid in found:
                            acc[nid] = acc.get(nid, 0.0) + inc
            for nid, score in acc.items():
                if score > best.get(nid, 0.0):
                    best[nid] = score
        # A name typed exactly as listed is always scored, however common its words.
        exact: list[int] = []
        for form in forms:
            key = exact_key(form)
            if key:
                exact.extend(index.exact.get(key, ())[:EXACT_LIMIT])
        if not best:
            return [(nid, 1e9) for nid in dict.fromkeys(exact)]
        top = heapq.nlargest(CANDIDATES, best.items(), key=itemgetter(1))
        # Candidates far behind the best, or reached by under a third of the query's weight,
        # cannot score a hit worth showing: not worth a careful look.
        if qweights is None:
            qweights = [[weight(t) for t in f.tokens] for f in forms]
        qtotal = min(sum(w for w, t in zip(ws, f.tokens) if t.kind == NAME) for ws, f in zip(qweights, forms)) if forms else 0.0
        floor = max(top[0][1] * CANDIDATE_RATIO, qtotal * QUERY_COVERAGE)
        kept = [c for c in top if c[1] >= floor] or top[:3]
        if exact:
            have = {nid for nid, _ in kept}
            kept = [(nid, 1e9) for nid in dict.fromkeys(exact) if nid not in have] + kept
        return kept

    # ---------------------------------------------------------------------------- scoring
    def _query_forms(self, query: Query) -> list[NameForm]:
        tag = tag_for_schema(query.schema)
        forms: list[NameForm] = []
        for name in query.names:
            for alt in split_alternatives(name):
                form = analyse_name(alt, tag)
                if form.tokens:
                    forms.append(form)
        return forms

    def _identifier_refs(self, query: Query) -> dict[int, list[tuple[str, IdentifierRef]]]:
        out: dict[int, list[tuple[str, IdentifierRef]]] = {}
        for value in query.identifiers:
            norm = normalise_identifier(value)
            for ref in self.index.identifiers.get(norm, ()):
                out.setdefault(ref.entity, []).append((value, ref))
        return out

    def _compatible(self, query: Query, pos: int) -> bool:
        entity = self.index.entities[pos]
        if query.datasets is not None and entity.dataset not in query.datasets:
            return False
        if query.schema is None:
            return True
        return entity.schema in SCHEMA_COMPAT.get(query.schema, frozenset({query.schema}))

    def _name_stage(self, query: Query, forms: list[NameForm]) -> tuple[_Named, ...]:
        """Every compatible listed entity whose best name could still make a hit once birth
        date and country are counted (name score >= :data:`NAME_FLOOR`), with that name's
        alignment. Depends only on the query's names, schema and datasets, so it is cached:
        a customer file or an API client repeats names a lot (the facts are scored per query)."""
        cache = self._name_cache
        key = _name_key(query)
        if cache is not None:
            found = cache.get(key)
            if found is not None:
                return found
        index = self.index
        weights = self._weights
        qtag = tag_for_schema(query.schema)
        qweights = [[weights.weight(t) for t in f.tokens] for f in forms]
        by_entity: dict[int, list[int]] = {}
        seen_forms: set[tuple[int, str, tuple[str, ...], int]] = set()
        for nid, _pre in self.candidates(forms, qweights):
            iname = index.names[nid]
            # an entity's names that analyse alike ("JONG, Song Hwa", "Jong Song Hwa") score alike
            sig = (iname.entity, iname.form.text, iname.form.legal, iname.kind)
            if sig in seen_forms:
                continue
            seen_forms.add(sig)
            by_entity.setdefault(iname.entity, []).append(nid)
        out: list[_Named] = []
        for pos, nids in by_entity.items():
            if not self._compatible(query, pos):
                continue
            best = self._best_name(pos, nids, forms, qweights, qtag, NAME_FLOOR)
            if best is not None and best.score >= NAME_FLOOR:
                out.append(best)
        result = tuple(out)
        if cache is not None:
            if len(cache) >= NAME_CACHE_SIZE:
                cache.clear()
            cache[key] = result
        return result

    def _best_name(
        self,
        pos: int,
        nids: Sequence[int],
        forms: list[NameForm],
        qweights: list[list[float]],
        qtag: str,
        floor: float | None = None,
    ) -> _Named | None:
        """The entity's name (of ``nids``) that aligns best with any query form. With
        ``floor``, names that cannot reach it are not aligned in full (their bound is kept)."""
        index = self.index
        weights = self._weights
        weak = _WEAK
        best: _Named | None = None
        for nid in nids:
            iname = index.names[nid]
            cform = iname.form
            tag = qtag if qtag != ANY else cform.tag
            for qform, qw in zip(forms, qweights):
                al = align(qform, cform, weights, tag, qw, iname.weights or None, floor)
                score = al.score
                if iname.kind == weak:
                    score -= WEAK_ALIAS_PENALTY
                if best is None or score > best.score:
                    best = _Named(pos, score, al.score, qform, cform, iname.kind, al)
        return best

    def _score(
        self, query: Query, forms: list[NameForm] | None, cached: tuple[_Named, ...] | None = None
    ) -> list[_Scored]:
        """Hits with their final scores, best first. ``cached``: the name stage, when the
        caller found it in the cache (``forms`` may then be ``None``: not analysed)."""
        index = self.index
        if cached is not None:
            named = {n.pos: n for n in cached}
        else:
            named = {n.pos: n for n in self._name_stage(query, forms)} if forms else {}
        id_refs = self._identifier_refs(query) if query.identifiers else {}
        if id_refs:
            if forms is None:
                forms = self._query_forms(query)
            qweights = [[self._weights.weight(t) for t in f.tokens] for f in forms]
            qtag = tag_for_schema(query.schema)
            for pos in id_refs:
                if pos not in named and self._compatible(query, pos):
                    best = self._best_name(pos, self._entity_names(pos), forms, qweights, qtag)
                    named[pos] = best if best is not None else _Named(pos, 0.0, 0.0, None, None, 0, None)
        results: list[_Scored] = []
        for pos, n in named.items():
            entity = index.entities[pos]
            features: list[FeatureEffect] = []
            if n.kind == _WEAK and n.cform is not None:
                features.append(FeatureEffect("weak_alias", -WEAK_ALIAS_PENALTY, "matched a weak (low-quality) alias"))
            score = n.score
            if score >= 0.3 or pos in id_refs:
                if entity.schema in ("Person", "LegalEntity"):
                    eff = birth_date_effect(query.birth_dates, entity)
                    if eff is not None:
                        features.append(eff)
                        score += eff.effect
                eff = country_effect(query.countries, entity)
                if eff is not None:
                    features.append(eff)
                    score += eff.effect
            if pos in id_refs:
                found = identifier_effect(id_refs[pos], query.countries)
                if found is not None:
                    strong, eff = found
                    if strong:
                        new = max(score, STRONG_ID_SCORE)
                        eff.effect = new - score
                        score = new
                    else:
                        score += eff.effect
                    features.append(eff)
            if query.schema:
                features.append(FeatureEffect("schema", 0.0, f"query {query.schema}, listed {entity.schema}"))
            results.append(
                _Scored(pos, min(1.0, max(0.0, score)), n.name_score, n.qform, n.cform, n.kind, n.alignment, features)
            )
        results.sort(key=lambda r: r.score, reverse=True)
        return results

    def _hit(self, query: Query, r: _Scored, threshold: float) -> Hit:
        entity = self.index.entities[r.pos]
        score = round(r.score, 3)
        match = score >= threshold
        name_expl = None
        matched_name = entity.caption
        if r.cform is not None and r.qform is not None and r.alignment is not None:
            name_expl = explain_alignment(r.qform, r.cform, r.alignment, KINDS[r.kind])
            matched_name = r.cform.original
        verdict = "Match" if match else "Possible match" if score >= threshold - 0.1 else "Weak candidate"
        parts = [f"{verdict} ({score:.2f}) with {entity.schema} {entity.caption!r} on {entity.dataset}"]
        if name_expl is not None:
            parts.append(name_phrase(name_expl))
        features = list(r.features)
        cleaned = list(dict.fromkeys(n for name in query.names for n in cleaning_notes(name)))
        if cleaned:
            # markup, invisible characters or look-alike letters were taken out of the query:
            # say so, the analyst sees a name that differs from what was typed
            features.append(FeatureEffect("input", 0.0, "query name cleaned: " + ", ".join(cleaned)))
        for f in features:
            if f.feature == "schema":
                continue
            sign = f"{f.effect:+.2f}"
            parts.append(f"{f.detail} ({sign})")
        summary = "; ".join(parts) + "."
        return Hit(
            entity_id=entity.id,
            score=score,
            match=match,
            caption=entity.caption,
            schema=entity.schema,
            matched_name=matched_name,
            datasets=[entity.dataset],
            explanation=Explanation(summary=summary, name=name_expl, features=features),
        )

    # ------------------------------------------------------------------------------ API
    def warm_up(self) -> None:
        """Screen one query of each kind, so that the tables built on first use (legal forms,
        name variants, script tables) are ready before a server's first real request, which
        would otherwise pay tens of milliseconds for them. Leaves no per-query results behind."""
        for name, schema in (
            ("John Smith", "Person"),
            ("Acme Trading Company LLC", "Company"),
            ("Ocean Star", "Vessel"),
            ("Abd al-Rahman bin Ali al-Tikriti", None),
            ("Путин Владимир Владимирович", "Person"),
            ("김정은", "Person"),
            ("习近平", "Person"),
            ("محمد علي", "Person"),
        ):
            self.screen(Query(names=[name], schema=schema))
        if self._name_cache is not None:
            self._name_cache.clear()

    def screen(self, query: Query | str, limit: int = 5, threshold: float | None = None) -> list[Hit]:
        """Ranked hits for one query (a :class:`Query` or a bare name), best first.

        At most ``limit`` hits, none scoring under 0.5; ``hit.match`` is ``score >=
        threshold`` (default: the screener's threshold).
        """
        if isinstance(query, str):
            query = Query.from_name(query)
        th = self.threshold if threshold is None else float(threshold)
        # a name screened recently: its name stage is cached, no need to analyse it again
        cached = self._name_cache.get(_name_key(query)) if self._name_cache is not None else None
        forms = None if cached is not None else self._query_forms(query)
        if cached is None and not forms and not query.identifiers:
            return []
        scored = self._score(query, forms, cached)
        hits: list[Hit] = []
        for r in scored:
            if len(hits) >= limit:
                break
            if r.score < MIN_SCORE:
                break
            hits.append(self._hit(query, r, th))
        return hits

    def screen_many(
        self,
        queries: Iterable[Query | str],
        limit: int = 5,
        threshold: float | None = None,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
        chunk: int = 256,
    ) -> list[list[Hit]]:
        """Screen a batch; results in input order.

        ``workers > 1`` forks that many processes (the index is shared copy-on-write, not
        copied); ``workers=0`` uses every core. ``progress`` is called with the number of
        queries done so far.
        """
        items = list(queries)
        if workers == 0:
            workers = os.cpu_count() or 1
        if workers <= 1 or len(items) < 2 * chunk:
            out: list[list[Hit]] = []
            for i, q in enumerate(items, 1):
                out.append(self.screen(q, limit=limit, threshold=threshold))
                if progress is not None and (i % chunk == 0 or i == len(items)):
                    progress(i)
            return out
        return _parallel(self, items, limit, threshold, workers, progress, chunk)


# ------------------------------------------------------------------------ multiprocessing
_WORKER: Screener | None = None


def _work(args: tuple[list[Query | str], int, float | None]) -> list[list[Hit]]:
    items, limit, threshold = args
    assert _WORKER is not None
    return [_WORKER.screen(q, limit=limit, threshold=threshold) for q in items]


def _parallel(
    screener: Screener,
    items: list[Query | str],
    limit: int,
    threshold: float | None,
    workers: int,
    progress: Callable[[int], None] | None,
    chunk: int,
) -> list[list[Hit]]:
    import multiprocessing as mp

    global _WORKER
    _WORKER = screener
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # no fork (Windows): run in-process
        return screener.screen_many(items, limit, threshold, 1, progress, chunk)
    batches = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    out: list[list[Hit]] = []
    done = 0
    with ctx.Pool(workers) as pool:
        for result in pool.imap(_work, [(b, limit, threshold) for b in batches]):
            out.extend(result)
            done += len(result)
            if progress is not None:
                progress(done)
    _WORKER = None
    return out
