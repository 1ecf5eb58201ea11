"""Screening evaluation: queries against an index of the real lists, with known answers.

Sets (all with fixed seeds):

``latin_variants``  names generated from real list entries, one change at a time (see
                    :mod:`listguard.evaluation.variants`); target recall@match >= 0.98.
``original_script`` every non-Latin name a list carries (DFAT "Original Script", UN
                    NAME_ORIGINAL_SCRIPT, ...) used as a query against an index of the same lists
                    with every non-Latin name removed, so only the Latin entries of that person
                    can be found; target >= 0.90.
``wikidata_ko``     2,000 sampled Wikidata English/Korean pairs: the English names are added to
                    the index (the real lists are the distractors), queries are in Hangul.
``watchman``        watchman's cross-script pairs (Arabic, Cyrillic, CJK, Hangul, Greek, Hebrew,
                    Thai), the expected Latin names added to the index.
``putin``           81 spellings of Vladimir Putin in many scripts against his Latin entry.
``non_listed``      Faker people and companies in many locales, checked not to be listed: every
                    match is a false alert; target <= 1% of queries with any match.

A hit is *correct* if it is on the source entry or on any entry that carries one of the source's
names exactly (:func:`~listguard.evaluation.datasets.name_key`); the same party is often on
several lists (SDN, the CSL, UN, UK, DFAT), and an identically named entry is a correct alert.
Every other hit flagged ``match`` is a false alert. Queries are screened name-only, with the
schema a user would give (``Person`` / the entry's organisation schema; none for
``LegalEntity``), at the product's default threshold and limit (5 hits).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from listguard.evaluation import variants as V
from listguard.evaluation.datasets import (
    NameKeyIndex,
    is_latin,
    namesake,
    load_lists,
    read_en_ko,
    read_lines,
    read_watchman_pairs,
    script_of,
    shared_data_dir,
    strong_names,
)
from listguard.evaluation.metrics import ScreeningTally
from listguard.evaluation.systems import SCREENING_API, MatcherUnavailable, index_cls, matching
from listguard.model import NAME_PROPS, Entity

OURS = "listguard"
LIMIT = 5
#: Hits per query handed to the peers to re-score (they have no retrieval of their own).
CANDIDATES = 10
SEED = 20240603

#: Queries per variant class (split between people and organisations where both apply).
VARIANTS_PER_KIND = 300
KOREAN_SAMPLE = 2000
NON_LISTED_PEOPLE = 2000
NON_LISTED_COMPANIES = 1000

ORG_SCHEMATA = ("Organization", "Company", "LegalEntity")
#: Customers per population (both halves; see :mod:`listguard.evaluation.populations`).
POPULATION_SIZE = 1800
SCREENING_SETS = ("latin_variants", "original_script", "wikidata_ko", "watchman", "putin", "non_listed", "populations")


def _split(queries: list["ScreenQuery"]) -> None:
    """Deal every query of a set to the tuning or the held-out half (see
    :mod:`listguard.evaluation.split`): by source entry for variants and original scripts (all
    variants of one entry on one side), by query otherwise; stratified by group."""
    from listguard.evaluation.split import assign

    todo = [q for q in queries if not q.part]
    if not todo:
        return

    def key(q: "ScreenQuery") -> str:
        return str(q.detail.get("entity") or q.detail.get("expected_name") or q.name) if q.set_name != "putin" else q.name

    for q, part in assign(todo[0].set_name, todo, key, lambda q: (q.set_name, q.group)):
        q.part = part


@dataclass
class ScreenQuery:
    set_name: str
    group: str
    name: str
    schema: str | None
    expected: set[str] = field(default_factory=set)
    detail: dict[str, Any] = field(default_factory=dict)
    #: The names of the correct answer (for telling namesake alerts from false ones).
    identity: list[str] = field(default_factory=list)
    #: More groups to tally this query under (e.g. "person/cjk" for non-listed names).
    extra_groups: list[str] = field(default_factory=list)
    #: Which half of the set (:mod:`listguard.evaluation.split`); "" before the split.
    part: str = ""
    #: For customer populations: the customer, whose fair alerts are namesakes
    #: (:func:`listguard.evaluation.populations.fair_alert`).
    customer: Any = None

    def namesakes(self, matched: Iterable[str], by_id: dict[str, Entity]) -> set[str]:
        if self.customer is not None:
            from listguard.evaluation.populations import fair_alert

            return {i for i in matched if i in by_id and fair_alert(self.customer, [n for n, _ in by_id[i].names()])}
        if not self.identity:
            return set()
        return {i for i in matched if i not in self.expected and i in by_id and namesake(self.identity, by_id[i])}


def query_schema(schema: str) -> str | None:
    return None if schema == "LegalEntity" else schema


# -- query builders ---------------------------------------------------------------------------


def latin_variant_queries(
    entities: list[Entity], keys: NameKeyIndex, per_kind: int = VARIANTS_PER_KIND, seed: int = SEED
) -> list[ScreenQuery]:
    people = [e for e in entities if e.schema == "Person" and _usable_primary(e, min_tokens=2)]
    orgs = [e for e in entities if e.schema in ORG_SCHEMATA and _usable_primary(e, min_tokens=1)]
    queries: list[ScreenQuery] = []
    for kind, gen in V.GENERATORS.items():
        pools = []
        if kind not in ("reorder", "drop_middle"):
            pools.append(("org", orgs))
        if kind != "legal_form":
            pools.append(("person", people))
        quota = per_kind // len(pools)
        for label, pool in pools:
            rng = random.Random(f"{seed}:{kind}:{label}")
            order = list(range(len(pool)))
            rng.shuffle(order)
            made = 0
            for i in order:
                if made >= quota:
                    break
                ent = pool[i]
                name = ent.first("name") or ent.caption
                var = gen(name, ent.schema, rng)
                if var is None or var.query == name:
                    continue
                expected = keys.same_party(ent)
                queries.append(
                    ScreenQuery(
                        "latin_variants",
                        kind,
                        var.query,
                        query_schema(ent.schema),
                        expected,
                        {"source": name, "entity": ent.id, "change": var.detail, "kind": label},
                        strong_names(ent),
                    )
                )
                made += 1
    return queries


def _usable_primary(ent: Entity, min_tokens: int) -> bool:
    name = ent.first("name")
    if not name or not is_latin(name) or len(name) < 4:
        return False
    return len(name.replace(",", " ").split()) >= min_tokens


def latin_only(entities: Iterable[Entity]) -> list[Entity]:
    """Copies of the entities with every non-Latin name removed (entries left nameless dropped)."""
    out = []
    for ent in entities:
        props = {}
        for prop, values in ent.properties.items():
            if prop in NAME_PROPS:
                values = [v for v in values if is_latin(v)]
                if not values:
                    continue
            props[prop] = list(values)
        if not any(props.get(p) for p in NAME_PROPS):
            continue
        out.append(
            Entity(
                id=ent.id,
                schema=ent.schema,
                dataset=ent.dataset,
                properties=props,
                identifiers=list(ent.identifiers),
                wallets=list(ent.wallets),
                links=list(ent.links),
            )
        )
    return out


def original_script_queries(entities: list[Entity], latin_keys: NameKeyIndex) -> list[ScreenQuery]:
    queries = []
    seen: set[tuple[str, str]] = set()
    for ent in entities:
        latin_names = [n for n in strong_names(ent) if is_latin(n)]
        if not latin_names:
            continue
        for name, prop in ent.names():
            if prop == "weakAlias" or is_latin(name) or script_of(name) in ("NONE", "LATIN"):
                continue
            if (ent.id, name) in seen:
                continue
            seen.add((ent.id, name))
            expected = latin_keys.same_party(Entity(ent.id, ent.schema, ent.dataset, {"name": latin_names}))
            queries.append(
                ScreenQuery(
                    "original_script",
                    script_of(name).lower(),
                    name,
                    query_schema(ent.schema),
                    expected,
                    {"entity": ent.id, "dataset": ent.dataset, "latin": latin_names[0]},
                    latin_names,
                )
            )
    return queries


def _eval_person(ident: str, dataset: str, name: str) -> Entity:
    ent = Entity(id=ident, schema="Person", dataset=dataset)
    ent.add("name", name)
    return ent


def extension_sets(
    eval_dir: Path, sample: int = KOREAN_SAMPLE, seed: int = SEED
) -> tuple[list[Entity], list[tuple[str, str, str, str]]]:
    """Entities to add to the index and ``(set, group, query, entity_id)`` for the sets whose
    true answers are not list entries (Wikidata Korean, watchman, Putin)."""
    added: list[Entity] = []
    specs: list[tuple[str, str, str, str]] = []
    ko = [(en, kr) for en, kr in read_en_ko(eval_dir / "wikidata_names_en_ko.tsv")
          if is_latin(en) and script_of(kr) == "HANGUL"]
    rng = random.Random(f"{seed}:wikidata_ko")
    for i, (en, kr) in enumerate(rng.sample(ko, min(sample, len(ko)))):
        ident = f"eval-wikidata-ko:{i}"
        added.append(_eval_person(ident, "eval_wikidata_ko", en))
        specs.append(("wikidata_ko", "hangul", kr, ident))
    for i, pair in enumerate(read_watchman_pairs(eval_dir / "watchman_cross_script_pairs.csv")):
        ident = f"eval-watchman:{i}"
        added.append(_eval_person(ident, "eval_watchman", pair.expected))
        specs.append(("watchman", pair.group.lower(), pair.query, ident))
    putin = _eval_person("eval-putin:0", "eval_putin", "PUTIN, Vladimir Vladimirovich")
    added.append(putin)
    for name in read_lines(eval_dir / "nomenklatura_putin_names.txt"):
        specs.append(("putin", script_of(name).lower(), name, putin.id))
    return added, specs


#: Title words in the Putin spellings file ("Presidente Putin"): such a string is a query, not
#: a name a list entry would carry as the person's identity.
TITLE_WORDS = {"president", "präsident", "presidente", "presiden", "predsjednik", "președintele", "elnök"}


def identity_names(ent: Entity, eval_dir: Path) -> list[str]:
    """Names that identify an added entry. For Putin: every Latin spelling of his full name in
    the file (so a list entry named "Vladimir Putin" or "Wladimir Putin" is a correct hit too);
    the titled forms ("Presidente Putin") are left out."""
    names = strong_names(ent)
    if ent.id == "eval-putin:0":
        for name in read_lines(eval_dir / "nomenklatura_putin_names.txt"):
            tokens = [t.lower() for t in name.replace(",", " ").split()]
            if is_latin(name) and len(tokens) >= 2 and not TITLE_WORDS & set(tokens):
                names.append(name)
    return names


# -- running ----------------------------------------------------------------------------------


class Runner:
    def __init__(self, log: Callable[[str], None], m: Any = None, Index: Any = None) -> None:
        self.m = m if m is not None else matching(SCREENING_API)
        self.Index = Index if Index is not None else index_cls()
        self.log = log
        self.builds: dict[str, dict[str, Any]] = {}
        #: hits asked per query: the peers re-score the first CANDIDATES; without peers only
        #: the first LIMIT are tallied (and each hit returned is explained, which costs)
        self.limit = CANDIDATES

    def build(self, label: str, entities: list[Entity]) -> Any:
        t0 = time.perf_counter()
        index = self.Index.build(entities)
        dt = time.perf_counter() - t0
        self.builds[label] = {"entities": len(entities), "seconds": round(dt, 2)}
        self.log(f"[screening] index '{label}': {len(entities):,} entities built in {dt:.1f}s")
        return index

    def run(
        self, index: Any, queries: list[ScreenQuery], tallies: "Tallies", by_id: dict[str, Entity]
    ) -> tuple[float, list[list[str]]]:
        """Screen every query; tally the first :data:`LIMIT` hits; return the seconds taken and
        each query's first :data:`CANDIDATES` hit ids (what the peers re-score)."""
        screener = self.m.Screener(index)
        Query = self.m.Query
        candidates: list[list[str]] = []
        t0 = time.perf_counter()
        for q in queries:
            kwargs = {"schema": q.schema} if q.schema else {}
            hits = screener.screen(Query.from_name(q.name, **kwargs), limit=self.limit)
            triples = [(h.entity_id, float(h.score), bool(h.match)) for h in hits[:LIMIT]]
            candidates.append([h.entity_id for h in hits])
            tallies.add(OURS, q, triples, by_id)
        return time.perf_counter() - t0, candidates


class Tallies:
    def __init__(self) -> None:
        self.by_system: dict[str, dict[tuple[str, str], ScreeningTally]] = {}

    def add(
        self, system: str, q: ScreenQuery, triples: list[tuple[str, float, bool]], by_id: dict[str, Entity]
    ) -> None:
        tallies = self.by_system.setdefault(system, {})
        namesakes = q.namesakes([t[0] for t in triples if t[2]], by_id)
        keys = [(q.set_name, q.group), (q.set_name, "all")] + [(q.set_name, g) for g in q.extra_groups]
        if q.part:
            keys += [(q.set_name, f"{g}@{q.part}") for _s, g in list(keys)]
        for key in keys:
            tallies.setdefault(key, ScreeningTally(k=LIMIT)).add(q.expected, triples, q.name, q.detail, namesakes)


def peer_rescore(
    peer_runner: Any,
    queries: list[ScreenQuery],
    candidates: list[list[str]],
    by_id: dict[str, Entity],
    tallies: Tallies,
    log: Callable[[str], None],
) -> dict[str, float]:
    """Score listguard's candidates for each query with every peer algorithm and tally the
    peers' own ranking and ``score >= 0.70`` decisions."""
    from listguard.evaluation.peers import PEER_ALGORITHMS, PEER_THRESHOLD

    pairs = []
    owners = []
    for qi, (q, ids) in enumerate(zip(queries, candidates)):
        query = {"schema": q.schema or "LegalEntity", "properties": {"name": [q.name]}}
        for ident in ids:
            ent = by_id.get(ident)
            if ent is None:
                continue
            pairs.append((query, {"schema": ent.schema, "properties": ent.properties}))
            owners.append((qi, ident))
    reply = peer_runner.score(PEER_ALGORITHMS, pairs) if pairs else {"scores": {a: [] for a in PEER_ALGORITHMS}, "seconds": {}}
    for alg in PEER_ALGORITHMS:
        per_query: list[list[tuple[str, float, bool]]] = [[] for _ in queries]
        for (qi, ident), score in zip(owners, reply["scores"][alg]):
            per_query[qi].append((ident, score, score >= PEER_THRESHOLD))
        for q, hits in zip(queries, per_query):
            hits.sort(key=lambda h: -h[1])
            tallies.add(alg, q, hits[:LIMIT], by_id)
    seconds = {a: round(v, 2) for a, v in reply.get("seconds", {}).items()}
    log(f"[screening] peers re-scored {len(pairs):,} candidate pairs: " + ", ".join(f"{a} {v:.1f}s" for a, v in seconds.items()))
    return seconds


def evaluate_screening(
    shared: Path | None = None,
    log: Callable[[str], None] = lambda m: None,
    sets: Iterable[str] | None = None,
    runner: "Runner | None" = None,
    entities: list[Entity] | None = None,
    sizes: dict[str, int] | None = None,
    peers: bool = False,
    population_part: str | None = None,
) -> dict[str, Any]:
    """Run the screening sets. ``population_part`` screens only one half of the customer
    populations (CI pins the held-out half). ``runner``/``entities``/``sizes`` are for tests (a stand-in
    matcher, a handful of entries, small samples); by default the real matcher screens the
    real lists at the sizes above. With ``peers``, nomenklatura's algorithms re-score
    listguard's top :data:`CANDIDATES` candidates of every query (they have no retrieval of
    their own), so their figures share listguard's retrieval misses."""
    shared = shared_data_dir(shared)
    eval_dir = shared / "eval"
    wanted = set(sets) if sets else set(SCREENING_SETS)
    size = {
        "per_kind": VARIANTS_PER_KIND,
        "korean": KOREAN_SAMPLE,
        "people": NON_LISTED_PEOPLE,
        "companies": NON_LISTED_COMPANIES,
        "population": POPULATION_SIZE,
        **(sizes or {}),
    }
    result: dict[str, Any] = {
        "set": "screening", "limit": LIMIT, "candidates_for_peers": CANDIDATES, "seed": SEED,
        "groups": [], "sizes": size,
    }
    try:
        runner = runner or Runner(log)
        result["threshold"] = float(runner.m.DEFAULT_THRESHOLD)
    except MatcherUnavailable as exc:
        log(f"[screening] *** {OURS} NOT MEASURED: {exc}")
        result["error"] = str(exc)
        return result

    peer_runner = None
    if hasattr(runner, "limit"):
        runner.limit = LIMIT  # raised to CANDIDATES below when the peers re-score
    if peers:
        from listguard.evaluation.peers import PEER_THRESHOLD
        from listguard.evaluation.peers import peer_runner as make_peer_runner

        peer_runner, note = make_peer_runner()
        if peer_runner is not None:
            runner.limit = CANDIDATES
        if peer_runner is None:
            log(f"[screening] *** PEERS NOT MEASURED: {note}")
            result["peers_error"] = note
        else:
            result["peers"] = {"runner": peer_runner.describe(), "threshold": PEER_THRESHOLD}

    if entities is None:
        lists = load_lists(shared, log=log)
        result["lists"] = {
            "loaded": [{"path": p, "dataset": d, "entities": n, "seconds": round(s, 2)} for p, d, n, s in lists.loaded],
            "failed": [{"path": p, "error": e} for p, e in lists.failed],
        }
        if lists.failed:
            log(f"[screening] *** {len(lists.failed)} list(s) NOT LOADED: " + ", ".join(p for p, _ in lists.failed))
        entities = lists.entities
    if not entities:
        result["error"] = "no list could be parsed"
        log("[screening] *** no list parsed: screening sets need the real lists")
        return result

    keys = NameKeyIndex(entities)
    tallies = Tallies()
    timings: dict[str, dict[str, Any]] = {}
    base = runner.build("lists", entities)
    base_by_id = {e.id: e for e in entities}

    def timed(set_name: str, index: Any, queries: list[ScreenQuery], by_id: dict[str, Entity]) -> None:
        _split(queries)
        dt, candidates = runner.run(index, queries, tallies, by_id)
        timings[set_name] = {"queries": len(queries), "seconds": round(dt, 2)}
        log(f"[screening] {set_name}: {len(queries):,} queries in {dt:.1f}s")
        if peer_runner is not None:
            timings[set_name]["peer_seconds"] = peer_rescore(peer_runner, queries, candidates, by_id, tallies, log)

    if "latin_variants" in wanted:
        timed("latin_variants", base, latin_variant_queries(entities, keys, per_kind=size["per_kind"]), base_by_id)

    if "non_listed" in wanted:
        from listguard.evaluation.synthetic import FakerUnavailable, generate_names

        try:
            names, stats = generate_names(size["people"], size["companies"], SEED, keys)
            result["non_listed_generation"] = stats
            qs = [
                ScreenQuery(
                    "non_listed", n.schema.lower(), n.name, n.schema, set(), {"locale": n.locale},
                    extra_groups=[f"{n.schema.lower()}/{script_of(n.name).lower()}"],
                )
                for n in names
            ]
            timed("non_listed", base, qs, base_by_id)
        except FakerUnavailable as exc:
            log(f"[screening] *** non_listed NOT MEASURED: {exc}")
            result["non_listed_error"] = str(exc)
    if "populations" in wanted:
        from listguard.evaluation import populations as P

        customers = P.build(keys.listed, per_population=size["population"], part=population_part)
        qs = [
            ScreenQuery("populations", c.population, c.name, "Person", set(), {"family": c.family}, part=c.part, customer=c)
            for c in customers
        ]
        timed("populations", base, qs, base_by_id)
    del base

    ext_sets = wanted & {"wikidata_ko", "watchman", "putin"}
    if ext_sets:
        added, specs = extension_sets(eval_dir, sample=size["korean"])
        ext_entities = entities + added
        ext_keys = NameKeyIndex(ext_entities)
        by_id = {e.id: e for e in added}
        ext = runner.build("lists+eval_names", ext_entities)
        qs = []
        for set_name, group, query, ident in specs:
            if set_name not in ext_sets:
                continue
            ent = by_id[ident]
            identity = identity_names(ent, eval_dir)
            expected = ext_keys.same_party(Entity(ent.id, ent.schema, ent.dataset, {"name": identity}))
            qs.append(ScreenQuery(set_name, group, query, "Person", expected, {"expected_name": ent.caption}, identity))
        timed("+".join(sorted(ext_sets)), ext, qs, {**base_by_id, **by_id})
        del ext

    if "original_script" in wanted:
        latin_entities = latin_only(entities)
        latin_keys = NameKeyIndex(latin_entities)
        qs = original_script_queries(entities, latin_keys)
        if qs:
            latin_index = runner.build("lists, Latin names only", latin_entities)
            timed("original_script", latin_index, qs, {e.id: e for e in latin_entities})
            del latin_index
        else:
            log("[screening] original_script: the parsed lists carry no non-Latin names")

    order = list(SCREENING_SETS)
    ours = tallies.by_system.get(OURS, {})
    for (set_name, group), tally in sorted(ours.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1] != "all", "/" in kv[0][1], -kv[1].n, kv[0][1])):
        results = {OURS: tally.to_dict()}
        for system, by_key in tallies.by_system.items():
            if system != OURS and (set_name, group) in by_key:
                results[system] = by_key[(set_name, group)].to_dict()
        result["groups"].append({"set": set_name, "group": group, "n": tally.n, "results": results})
    result["indexes"] = runner.builds
    result["timings"] = timings
    return result
