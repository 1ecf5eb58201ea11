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
SEED = 20240603

#: Queries per variant class (split between people and organisations where both apply).
VARIANTS_PER_KIND = 300
KOREAN_SAMPLE = 2000
NON_LISTED_PEOPLE = 2000
NON_LISTED_COMPANIES = 1000

ORG_SCHEMATA = ("Organization", "Company", "LegalEntity")


@dataclass
class ScreenQuery:
    set: str
    group: str
    name: str
    schema: str | None
    expected: set[str] = field(default_factory=set)
    detail: dict[str, Any] = field(default_factory=dict)


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
