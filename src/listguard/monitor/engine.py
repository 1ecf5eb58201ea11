"""The matcher as monitoring uses it: a screener over a fixed snapshot of list versions.

A monitoring run must screen against *one* consistent set of list versions (the snapshot taken
when it starts), even if a load lands while it runs: the watermark it writes at the end says
"screened against exactly these versions". So the index is built from the snapshot's version
ids, never from "whatever is current now", and cached on disk under those ids: the next run
against the same versions (every ``monitor add`` between two list loads) reuses it instead of
rebuilding.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable, Sequence

from sqlalchemy import select

from listguard.model import ID_PROPS, NAME_PART_PROPS, NAME_PROPS, Entity
from listguard.store import Store
from listguard.store import schema as st

#: What a match depends on: names and name parts, birth dates, the countries the matcher
#: compares, identifiers. The store's ``screening_hash`` also covers addresses, notes,
#: programs...; a change there must not re-raise an alert an analyst cleared (the issue: "until
#: the entity's screening data (names, birth dates, countries, identifiers) changes").
MATCH_PROPS = NAME_PROPS + NAME_PART_PROPS + ("birthDate", "nationality", "citizenship", "country", "jurisdiction", "flag") + ID_PROPS


def match_hash(entity: Entity) -> str:
    """Hash of what a match depends on (see :data:`MATCH_PROPS`)."""
    props = {p: sorted(entity.get(p)) for p in MATCH_PROPS if entity.get(p)}
    data = {
        "schema": entity.schema,
        "props": props,
        "identifiers": sorted([i.type, i.number, i.country or ""] for i in entity.identifiers),
        "wallets": sorted([w.currency, w.address] for w in entity.wallets),
    }
    import orjson

    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def build_list_index(
    store: Store,
    snapshot: dict[str, int],
    progress: Callable[[str], None] | None = None,
    counts: Callable[[int, int], None] | None = None,
) -> Any:
    """The matcher's index over exactly the snapshot's versions.

    Shares :mod:`listguard.index_cache` with ``listguard screen``: the same versions give the
    same cache file, so after a load the index is built once, by whichever runs first.
    """
    from listguard import index_cache

    versions = [store.version(v) for v in snapshot.values()]
    if progress and not index_cache.cache_path(store, versions).exists():
        progress("building the list index")
    if counts is None:
        return index_cache.index_for(store, versions)
    total = sum(v.entity_count for v in versions)
    # real counts on the progress bar (listed parties analysed so far), not a spinner
    return index_cache.index_for(
        store, versions, on_build=lambda n: counts(0, n), progress=lambda done: counts(done, total)
    )


def entity_terms(entity: Entity) -> tuple[list[str], str, list[str]]:
    """(names, schema, identifiers) of a listed entity, to search a portfolio with it.

    Every name counts, weak aliases included: retrieval must find every record the forward
    screening could match; the forward score then decides (and discounts weak aliases).
    """
    names = [name for name, _kind in entity.names()] or [entity.caption]
    identifiers: list[str] = []
    for ident in entity.identifiers:
        if ident.number not in identifiers:
            identifiers.append(ident.number)
    for prop in ID_PROPS:
        for value in entity.get(prop):
            if value not in identifiers:
                identifiers.append(value)
    for wallet in entity.wallets:
        identifiers.append(wallet.address)
    return names, entity.schema, identifiers


@dataclass
class EntityRef:
    """Where an entity of the snapshot lives: its dataset, version and hashes."""

    entity_id: str
    dataset: str
    version_id: int
    blob: str
    screening_hash: str


def entity_refs(store: Store, snapshot: dict[str, int], entity_ids: Iterable[str]) -> dict[str, EntityRef]:
    """Look up the snapshot's version rows of some entities (cost in proportion to the ids)."""
    by_version = {v: d for d, v in snapshot.items()}
    wanted = sorted(set(entity_ids))
    out: dict[str, EntityRef] = {}
    ve = st.version_entities
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(ve.c.entity_id, ve.c.version_id, ve.c.hash, ve.c.screening_hash).where(
                ve.c.version_id.in_(list(by_version)) & ve.c.entity_id.in_(chunk)
            )
            for eid, vid, blob, shash in conn.execute(query):
                out[eid] = EntityRef(eid, by_version[vid], vid, blob, shash)
    return out


class Matcher:
    """Forward screening (record -> lists) against one snapshot."""

    #: Hits asked for per record: generous, so a new entity is not crowded out of a record's
    #: hit list by older matches.
    LIMIT = 25

    def __init__(
        self,
        store: Store,
        snapshot: dict[str, int],
        progress: Callable[[str], None] | None = None,
        counts: Callable[[int, int], None] | None = None,
    ) -> None:
        from listguard.matching import DEFAULT_THRESHOLD, Screener

        self.store = store
        self.snapshot = snapshot
        self.index = build_list_index(store, snapshot, progress, counts)
        self.screener = Screener(self.index)
        self.threshold = float(os.environ.get("LISTGUARD_MONITOR_THRESHOLD", DEFAULT_THRESHOLD))
        self._hashes: dict[str, str] = {}
        self._forms: dict[int, list[Any]] | None = None
        self._pairs: PairScorer | None = None

    def forms_of(self, entity_id: str) -> list[Any] | None:
        """The analysed names of an entity of the snapshot (the index analysed them once
        already; re-analysing a large delta's names would cost more than searching with them)."""
        if self._forms is None:
            by_pos: dict[int, list[Any]] = {}
            for iname in self.index.names:
                by_pos.setdefault(iname.entity, []).append(iname.form)
            self._forms = by_pos
        if entity_id not in self.index:
            return None
        return self._forms.get(self.index.position(entity_id), [])

    def match_hash(self, entity_id: str) -> str:
        """The match hash of an entity of the snapshot (from the index: no database read)."""
        digest = self._hashes.get(entity_id)
        if digest is None:
            digest = self._hashes[entity_id] = match_hash(self.index.get(entity_id))
        return digest

    def screen(self, queries: Sequence[Any]) -> list[list[Any]]:
        """Matching hits (score >= threshold) for each query, in order (forked workers for
        large batches: the index is shared copy-on-write)."""
        if not queries:
            return []
        try:
            results = self.screener.screen_many(list(queries), limit=self.LIMIT, threshold=self.threshold, workers=workers())
        except TypeError:  # a screener without the workers option
            results = [self.screener.screen(q, limit=self.LIMIT, threshold=self.threshold) for q in queries]
        return [[h for h in hits if h.score >= self.threshold] for hits in results]

    def screen_against(self, pairs: Sequence[tuple[Any, Collection[str]]]) -> list[list[Any]]:
        """For each (query, entity ids): the matching hits among those entities only, scored
        by the screener's own alignment and features (see :class:`PairScorer`)."""
        if not pairs:
            return []
        n = workers()
        if n > 1 and len(pairs) >= 2000:
            results = _fork_map(self._pair_scorer(), list(pairs), self.threshold, n)
        else:
            scorer = self._pair_scorer()
            results = [scorer.screen(q, ids, self.threshold) for q, ids in pairs]
        return [[h for h in hits if h.score >= self.threshold] for hits in results]

    def _pair_scorer(self) -> "PairScorer":
        if self._pairs is None:
            self._pairs = PairScorer(self.screener)
        return self._pairs


def workers() -> int:
    """Processes for large screening batches: ``$LISTGUARD_WORKERS``, else every core."""
    value = os.environ.get("LISTGUARD_WORKERS")
    return max(1, int(value)) if value else (os.cpu_count() or 1)


class PairScorer:
    """Scores a query against chosen entities with the screener's own scoring.

    :meth:`Screener.screen` does two things: *retrieval* (find a few dozen candidate names in
    the whole index) and *scoring* (align each candidate name with the query, then add the
    birth date, country and identifier effects). When the entities are already known (the
    candidates of a list delta), retrieval is wasted work: it costs most of a screen. Here the
    screener's scoring runs on every name of the chosen entities, and nothing else: about
    six times faster, and a pair's score is the score ``screen`` gives it whenever ``screen``
    shortlists that name. (When ``screen``'s retrieval does not shortlist the entity's best
    name, it scores the pair lower or not at all, so monitoring can only be the more
    thorough of the two, never the less.)

    It subclasses the screener *per instance* (sharing its index and caches) and overrides
    only ``candidates``. If the matcher changes shape so that this no longer applies, it falls
    back to a full ``screen`` filtered to the entities (slower, same result as ``screen``).
    """

    def __init__(self, screener: Any) -> None:
        self.screener = screener
        self.restricted: Any = None
        try:
            base = type(screener)
            needed = ("candidates", "_score", "_hit", "_query_forms", "_entity_names")
            if all(hasattr(base, name) for name in needed):
                cls = type("_PairScreener", (base,), {"candidates": _target_candidates})
                restricted: Any = object.__new__(cls)
                restricted.__dict__.update(screener.__dict__)
                restricted._targets = frozenset()
                # its candidates depend on the targets: the name-stage cache would be wrong
                restricted._name_cache = None
                self.restricted = restricted
        except Exception:  # pragma: no cover - defensive: any surprise means the slow path
            self.restricted = None

    def screen(self, query: Any, entity_ids: Collection[str], threshold: float) -> list[Any]:
        r = self.restricted
        if r is None:
            wanted = set(entity_ids)
            return [h for h in self.screener.screen(query, limit=Matcher.LIMIT, threshold=threshold) if h.entity_id in wanted]
        from listguard.matching.screener import MIN_SCORE

        index = r.index
        r._targets = frozenset(index.position(e) for e in entity_ids if e in index)
        if not r._targets:
            return []
        forms = r._query_forms(query)
        if not forms and not query.identifiers:
            return []
        # only matches are turned into explained hits (explaining is a good part of a score's
        # cost, and the caller keeps matches only)
        return [
            r._hit(query, x, threshold)
            for x in r._score(query, forms)
            if x.pos in r._targets and x.score >= max(MIN_SCORE, threshold - 0.0005)
        ]


def _target_candidates(self: Any, forms: Any, *args: Any, **kwargs: Any) -> list[tuple[int, float]]:
    """The names of the target entities that share a token key with the query (in place of
    the screener's retrieval). A listed entity has up to dozens of names (aliases, original
    scripts); aligning one that shares no token, romanisation, loose or variant key with the
    query cannot produce a match, and aligning is what a score costs."""
    from listguard.names.phonetic import fold_key

    keys: set[Any] = set()
    for form in forms:
        toks = form.tokens
        for tok in toks:
            keys.update(_token_keys(tok))
        for a, b in zip(toks, toks[1:]):  # "Song Hwa" written "Songhwa" on the list
            keys.add(fold_key(a.text + b.text))
    names = self.index.names
    out: list[tuple[int, float]] = []
    for pos in self._targets:
        for nid in self._entity_names(pos):
            toks = names[nid].form.tokens
            if any(not keys.isdisjoint(_token_keys(t)) for t in toks) or any(
                fold_key(a.text + b.text) in keys for a, b in zip(toks, toks[1:])
            ):
                out.append((nid, 1.0))
    return out


@functools.lru_cache(maxsize=300_000)
def _token_keys(tok: Any) -> frozenset[Any]:
    """Every key two tokens that could align share at least one of: the text, romanisation,
    loose, consonant-class keys, and the known-variant groups ("Jun Chen" / "YUN, Cheng")."""
    from listguard.names import variants

    keys: set[Any] = {tok.text, tok.key, tok.loose, tok.vform}
    broad = getattr(tok, "broad", "")
    if len(broad) >= 2:
        keys.add("b:" + broad)
    expanded = getattr(variants, "expanded", None)
    groups = expanded(tok.vform) if expanded is not None else variants.groups(tok.vform)
    keys.update(groups)
    return frozenset(keys)


_FORK_SCORER: PairScorer | None = None


def _fork_work(args: tuple[list[tuple[Any, Collection[str]]], float]) -> list[list[Any]]:
    chunk, threshold = args
    assert _FORK_SCORER is not None
    return [_FORK_SCORER.screen(q, ids, threshold) for q, ids in chunk]


def _fork_map(scorer: PairScorer, pairs: list[tuple[Any, Collection[str]]], threshold: float, n: int) -> list[list[Any]]:
    """Score pairs in ``n`` forked processes (the index is inherited, not copied), in order."""
    import multiprocessing as mp

    global _FORK_SCORER
    _FORK_SCORER = scorer
    try:
        ctx = mp.get_context("fork")
        size = max(200, len(pairs) // (n * 8))
        chunks = [(pairs[i : i + size], threshold) for i in range(0, len(pairs), size)]
        out: list[list[Any]] = []
        with ctx.Pool(n) as pool:
            for result in pool.imap(_fork_work, chunks):
                out.extend(result)
        return out
    finally:
        _FORK_SCORER = None


def hit_explanation(hit: Any) -> Any:
    """The hit's explanation as JSON-able data."""
    explanation = getattr(hit, "explanation", None)
    if explanation is None:
        return None
    if hasattr(explanation, "to_dict"):
        return explanation.to_dict()
    return explanation
