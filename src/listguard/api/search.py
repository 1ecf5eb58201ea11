"""yente's ``/search`` over a snapshot: filters, facets, sorting, and each entity's dates.

listguard has no search engine: a search ranks with the matcher (so spelling variants are
found as in ``/match``) and adds the entities whose names contain every word of the query (the
matcher leaves out weak candidates, e.g. one word of a three-word name). A hit must share the
query's words or close spellings of them, as a yente (Elasticsearch, ``AND``) search does, so a
loose key (``putin`` / ``PETION``) is not a search hit. Filters and facets then work on that
full set, so totals and facet counts are exact.

``first_seen`` / ``last_seen`` / ``last_change`` come from the store's version history: the
date of the first version of the list that had the entity, of the last one that had it (the
current one for a listed entity), and of the version where its content last changed.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from listguard.model import ID_PROPS, NAME_PART_PROPS, NAME_PROPS, Entity

#: yente's pattern for ``changed_since``.
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?$"
#: yente's paging bounds: an offset past 9499 or a page over 500 is a 422.
MAX_PAGE = 500
MAX_OFFSET = 9999 - MAX_PAGE
#: Facets a search can ask for (yente's ``Facet``), and the default ones.
FACETS = ("datasets", "schema", "countries", "identifiers", "topics", "genders")
DEFAULT_FACETS = ("countries", "topics", "datasets")
#: Fields ``sort`` accepts (``field`` or ``field:asc|desc``).
SORT_FIELDS = ("score", "_score", "caption", "id", "schema", "first_seen", "last_seen", "last_change", "datasets")
#: The one topic every listed entry has: listguard loads sanctions (and export-control) lists.
LISTED_TOPIC = "sanction"
#: A query word and a name word are "the same spelling" from this alignment score on (the
#: matcher gives Jong/Jeong 0.95, transliterations 0.9, and a consonant key alone, as
#: Putin/Petion, 0.85 or less)...
SPELLING_SCORE = 0.9
#: ... or, for the relations that say two spellings are one name (the name database's
#: variants, Chong/Jong; a transliteration between scripts; a word written joined), from this.
NAME_RELATION_SCORE = 0.8
NAME_RELATIONS = frozenset({"variant", "transliteration", "joined", "acronym"})

_WORD = re.compile(r"\w+", re.UNICODE)


class SearchProblem(ValueError):
    """A parameter the search cannot honour: ``param`` names it, ``status`` is 400 or 422."""

    def __init__(self, param: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.status = status


# -- words ----------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words (``JONG, Song-Hwa`` -> jong, song, hwa; Cyrillic transliterated)."""
    from normality import normalize

    norm = normalize(text, ascii=True) or ""
    return tuple(_WORD.findall(norm))


#: (cached for queries and the names of hits; the index build uses ``_words`` directly)
words = lru_cache(maxsize=8192)(_words)


def id_key(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch.isalnum())


@dataclass
class SearchIndex:
    """Per snapshot: name word -> entity ids, identifier -> entity ids, and each entity's
    facet values and dates. Built once per snapshot (on first use or by the warmer)."""

    #: (tuples, not sets: a third of the memory; a look-up makes the one set it needs)
    by_word: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_identifier: dict[str, tuple[str, ...]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    dates: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)
    #: entity id -> its country codes / identifiers, when it has any (the facet values that
    #: take a walk over all properties; the others are read off the entity directly)
    countries: dict[str, tuple[str, ...]] = field(default_factory=dict)
    identifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def facet(self, entity: Entity, name: str) -> tuple[str, ...] | list[str]:
        if name == "countries":
            return self.countries.get(entity.id, ())
        if name == "identifiers":
            return self.identifiers.get(entity.id, ())
        return field_values(entity, name)


# -- FtM property types ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _prop_types() -> dict[str, str]:
    """FtM property name -> type name (a name has one type in every schema that has it)."""
    from followthemoney import model

    out: dict[str, str] = {}
    for prop in model.properties:
        out.setdefault(prop.name, prop.type.name)
    return out


def facet_values(entity: Entity, facet: str) -> list[str]:
    """The values of ``entity`` a facet (and a filter of the same name) counts."""
    if facet == "datasets":
        return [entity.dataset]
    if facet == "schema":
        return [entity.schema]
    if facet == "topics":
        return list(entity.properties.get("topics") or [LISTED_TOPIC])
    if facet == "genders":
        return [g.lower() for g in entity.properties.get("gender", [])]
    types = _prop_types()
    wanted = "country" if facet == "countries" else "identifier"
    out: list[str] = []
    for prop, values in entity.properties.items():
        if types.get(prop) == wanted or (wanted == "identifier" and prop in ID_PROPS):
            for v in values:
                v = v.lower() if wanted == "country" else v
                if v not in out:
                    out.append(v)
    if wanted == "identifier":
        for ident in entity.identifiers:
            if ident.number not in out:
                out.append(ident.number)
    return out


def facet_label(facet: str, value: str, titles: Mapping[str, str]) -> str:
    from followthemoney import model, registry

    if facet == "datasets":
        return titles.get(value, value)
    if facet == "schema":
        schema = model.get(value)
        return schema.plural if schema is not None else value
    if facet == "countries":
        return registry.country.caption(value) or value
    if facet == "topics":
        return registry.topic.caption(value) or value
    if facet == "genders":
        return registry.gender.caption(value) or value
    return value


FACET_TITLES = {
    "datasets": "Data sources",
    "schema": "Entity types",
    "countries": "Countries",
    "identifiers": "Identifiers",
    "topics": "Topics",
    "genders": "Genders",
}


def facets(
    entities: Iterable[Entity], names: Iterable[str], titles: Mapping[str, str], index: "SearchIndex | None" = None
) -> dict[str, Any]:
    """yente's ``facets``: name -> {label, values: [{name, label, count}]}, most frequent first."""
    names = list(dict.fromkeys(names))
    counters = {n: Counter[str]() for n in names}
    for entity in entities:
        for n in names:
            values = index.facet(entity, n) if index is not None else field_values(entity, n)
            counters[n].update(set(values) if len(values) > 1 else values)
    out: dict[str, Any] = {}
    for n in names:
        counted = sorted(counters[n].items(), key=lambda kv: (-kv[1], kv[0]))[:1000]
        out[n] = {
            "label": FACET_TITLES.get(n, n),
            "values": [{"name": k, "label": facet_label(n, k, titles), "count": c} for k, c in counted],
        }
    return out


# -- the index and dates ---------------------------------------------------------------------

_LOCK = threading.Lock()


def search_index(snap: Any, store: Any) -> SearchIndex:
    """The snapshot's :class:`SearchIndex`, built on first use (one build per snapshot)."""
    index: SearchIndex | None = snap.cache.get("search_index")
    if index is not None:
        return index
    with _LOCK:
        index = snap.cache.get("search_index")
        if index is None:
            index = build_index(snap, store)
            snap.cache["search_index"] = index
    return index


def warm_search_index(snap: Any, store: Any) -> None:
    """A snapshot listener: build the snapshot's search index before a request needs it."""
    search_index(snap, store)


def build_index(snap: Any, store: Any) -> SearchIndex:
    index = SearchIndex()
    by_word: dict[str, list[str]] = {}
    by_identifier: dict[str, list[str]] = {}
    codes: dict[str, tuple[str, ...]] = {}  # one tuple object per distinct set of countries
    for entity in snap.entities.values():
        eid = entity.id
        index.order.append(eid)
        seen: set[str] = set()
        for prop in NAME_PROPS + NAME_PART_PROPS:
            for value in entity.properties.get(prop, ()):
                for w in _words(value):
                    if w not in seen:
                        seen.add(w)
                        by_word.setdefault(w, []).append(eid)
        countries = tuple(field_values(entity, "countries"))
        if countries:
            index.countries[eid] = codes.setdefault("\x00".join(countries), countries)
        identifiers = tuple(field_values(entity, "identifiers"))
        if identifiers:
            index.identifiers[eid] = identifiers
            for value in identifiers:
                key = id_key(value)
                if len(key) >= 4:
                    ids = by_identifier.setdefault(key, [])
                    if eid not in ids:
                        ids.append(eid)
    index.by_word = {sys.intern(w): tuple(ids) for w, ids in by_word.items()}
    index.by_identifier = {k: tuple(ids) for k, ids in by_identifier.items()}
    index.dates = entity_dates(store, snap.versions) if store is not None else {}
    return index


def _stamp(version: Any) -> str | None:
    """A version's date as yente writes datetimes (``2024-01-31T00:00:00``)."""
    return stamp_text(version.published_at or version.loaded_at)


def stamp_text(value: Any) -> str | None:
    """A date or date-time string as yente writes datetimes: seconds, no time zone."""
    if not value:
        return None
    text = str(value)
    return text + "T00:00:00" if len(text) == 10 else text[:19]


def entity_dates(store: Any, current: Iterable[Any]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """entity id -> (first_seen, last_seen, last_change) over the versions up to the current
    one of each list: one grouped query per list."""
    from sqlalchemy import func, select

    from listguard.store import schema as t

    out: dict[str, tuple[str | None, str | None, str | None]] = {}
    ve = t.version_entities
    for cur in current:
        history = [v for v in store.versions(cur.dataset) if v.seq <= cur.seq]
        if not history:
            continue
        ids = [v.id for v in history]
        stamp = {v.id: _stamp(v) for v in history}
        following = {a.id: b.id for a, b in zip(history, history[1:])}
        query = (
            select(ve.c.entity_id, ve.c.hash, func.min(ve.c.version_id), func.max(ve.c.version_id))
            .where(ve.c.version_id.in_(ids))
            .group_by(ve.c.entity_id, ve.c.hash)
        )
        groups: dict[str, list[tuple[str, int, int]]] = {}
        with store.engine.connect() as conn:
            for entity_id, content, first, last in conn.execute(query):
                groups.setdefault(entity_id, []).append((content, first, last))
        for entity_id, rows in groups.items():
            first = min(r[1] for r in rows)
            last = max(r[2] for r in rows)
            latest = max(rows, key=lambda r: r[2])  # the content it has last
            changed = latest[1]
            # content flipped back (A, B, A): the change is the version after the other one
            for content, _, other_last in rows:
                if content != latest[0] and other_last > changed:
                    changed = following.get(other_last, changed)
            out[entity_id] = (stamp.get(first), stamp.get(last), stamp.get(changed))
    return out


def dates_of(snap: Any, store: Any, entity_id: str) -> tuple[str | None, str | None, str | None]:
    return search_index(snap, store).dates.get(entity_id, (None, None, None))


# -- filters ----------------------------------------------------------------------------------


@dataclass
class Filters:
    """Everything that narrows a search (or a match), checked against one entity."""

    datasets: set[str] | None = None  # scope: include_dataset / exclude_dataset / path
    schema: str | None = None  # is-a
    exclude_schema: tuple[str, ...] = ()
    changed_since: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)  # countries/topics/datasets/filter=
    operator: str = "OR"
    target: bool | None = None
    exclude_ids: frozenset[str] = frozenset()

    def active(self) -> bool:
        return bool(
            self.schema or self.exclude_schema or self.changed_since or self.fields
            or self.target is not None or self.exclude_ids
        )

    def accepts(
        self,
        entity: Entity,
        dates: Mapping[str, tuple[str | None, str | None, str | None]],
        index: "SearchIndex | None" = None,
    ) -> bool:
        if entity.id in self.exclude_ids:
            return False
        if self.datasets is not None and entity.dataset not in self.datasets:
            return False
        if self.schema is not None and not is_a(entity.schema, self.schema):
            return False
        if self.exclude_schema and any(is_a(entity.schema, s) for s in self.exclude_schema):
            return False
        if self.target is False:
            return False  # every listed entry is a target
        if self.changed_since is not None:
            changed = dates.get(entity.id, (None, None, None))[2]
            if changed is None or changed < self.changed_since:
                return False
        for name, wanted in self.fields.items():
            have = set(index.facet(entity, name) if index is not None else field_values(entity, name))
            if self.operator == "AND":
                if not all(w in have for w in wanted):
                    return False
            elif not any(w in have for w in wanted):
                return False
        return True


def field_values(entity: Entity, name: str) -> list[str]:
    if name in FACETS:
        values = facet_values(entity, name)
        return [v.lower() for v in values] if name in ("countries", "topics") else values
    if name in ("id", "entity_id"):
        return [entity.id]
    prop = name[len("properties."):] if name.startswith("properties.") else name
    return entity.properties.get(prop, [])


@lru_cache(maxsize=1024)
def is_a(schema: str, parent: str) -> bool:
    from followthemoney import model

    obj = model.get(schema)
    if obj is None:
        return schema == parent
    return obj.is_a(parent)


def check_schema(param: str, name: str) -> str:
    from followthemoney import model

    obj = model.get(name)
    if obj is None:
        raise SearchProblem(param, f"{param}: invalid schema {name!r} (an FtM schema name, e.g. Person)")
    return obj.name


def parse_filters(values: Iterable[str]) -> dict[str, list[str]]:
    """yente's ``filter=field:value`` (``countries:ru``, ``properties.birthDate:1970``)."""
    out: dict[str, list[str]] = {}
    for flt in values:
        name, sep, value = flt.partition(":")
        if not sep or not name:
            raise SearchProblem("filter", f"filter: invalid filter {flt!r}; use field:value, e.g. countries:ru")
        out.setdefault(name, []).append(value.lower() if name in ("countries", "topics") else value)
    return out


def parse_sorts(values: Iterable[str]) -> list[tuple[str, bool]]:
    """``field[:asc|desc]`` -> (field, descending); unknown fields are refused."""
    out: list[tuple[str, bool]] = []
    for raw in values:
        name, _, order = raw.rpartition(":") if ":" in raw else (raw, "", "asc")
        if name not in SORT_FIELDS:
            raise SearchProblem("sort", f"sort: cannot sort by {name!r}; use one of {', '.join(SORT_FIELDS)}")
        if order not in ("asc", "desc"):
            order = "asc"  # as yente
        out.append(("score" if name == "_score" else name, order == "desc"))
    return out


def sort_key(entity: Entity, name: str, score: float | None, dates: Mapping[str, Any]) -> Any:
    if name == "score":
        return score or 0.0  # (a listing without q has no scores)
    if name == "caption":
        return entity.caption.lower()
    if name == "id":
        return entity.id
    if name == "schema":
        return entity.schema
    if name == "datasets":
        return entity.dataset
    first, last, changed = dates.get(entity.id, (None, None, None))
    return {"first_seen": first, "last_seen": last, "last_change": changed}[name] or ""


def sort_results(
    rows: list[tuple[Entity, float | None]], sorts: list[tuple[str, bool]], dates: Mapping[str, Any]
) -> list[tuple[Entity, float | None]]:
    """Stable sorts, last criterion first; the incoming (relevance) order breaks ties."""
    for name, desc in reversed(sorts):
        rows = sorted(rows, key=lambda r: sort_key(r[0], name, r[1], dates), reverse=desc)
    return rows


# -- relevance -------------------------------------------------------------------------------


def shares_words(hit: Any, query_words: tuple[str, ...]) -> bool:
    """Whether a matcher hit spells every word of the query (exactly or a close spelling),
    from the matcher's own alignment; an identifier hit qualifies on its own."""
    explanation = hit.explanation.to_dict() if hasattr(hit.explanation, "to_dict") else (hit.explanation or {})
    name = explanation.get("name") or {}
    if not name:
        return any(
            isinstance(f, dict) and "identifier" in str(f.get("feature", "")) and f.get("effect")
            for f in explanation.get("features") or []
        )
    if name.get("unmatched_query"):
        return False
    pairs = name.get("alignment") or []
    return bool(pairs) and all(_same_word(p) for p in pairs)


def _same_word(pair: Mapping[str, Any]) -> bool:
    score = float(pair.get("score", 0))
    return score >= SPELLING_SCORE or (pair.get("how") in NAME_RELATIONS and score >= NAME_RELATION_SCORE)


def word_hits(index: SearchIndex, query_words: tuple[str, ...]) -> set[str]:
    """Entities whose names contain every word of the query."""
    if not query_words:
        return set()
    lists = sorted((index.by_word.get(w, ()) for w in set(query_words)), key=len)
    found = set(lists[0])
    for ids in lists[1:]:
        if not found:
            break
        found.intersection_update(ids)
    return found


def word_score(entity: Entity, query_words: tuple[str, ...]) -> float:
    """A score under the matcher's floor (0.5) for a word hit the matcher left out: the share
    of the best name's words that the query has."""
    best = 0.0
    q = set(query_words)
    for prop in NAME_PROPS:
        for value in entity.properties.get(prop, ()):
            ws = set(words(value))
            if ws:
                best = max(best, len(q & ws) / len(q | ws))
    return round(0.49 * best, 4)


# -- prefix suggestions (reconciliation) -----------------------------------------------------


def vocabulary(index: SearchIndex) -> list[str]:
    """The index's name words, sorted (for prefix look-ups); memoised on the index."""
    vocab: list[str] | None = getattr(index, "_vocab", None)
    if vocab is None:
        vocab = sorted(index.by_word)
        index._vocab = vocab  # type: ignore[attr-defined]
    return vocab


def suggest_entities(
    snap: Any, index: SearchIndex, prefix: str, datasets: list[str] | None, limit: int
) -> list[Entity]:
    """Entities whose names have every full word of ``prefix`` and a word starting with its
    last (``vladimir put``); best first: the name that the prefix covers most (its words in
    order, then the share of the name's words), then the shorter caption."""
    import bisect

    ws = words(prefix)
    if not ws or limit <= 0:
        return []
    *full, last = ws
    complete = not prefix.rstrip() or not prefix.rstrip()[-1].isalnum()  # "putin " is a word
    if complete:
        full, last = list(ws), ""
    found = word_hits(index, tuple(full)) if full else None
    if last:
        vocab = vocabulary(index)
        start = bisect.bisect_left(vocab, last)
        started: set[str] = set()
        for w in vocab[start:]:
            if not w.startswith(last):
                break
            started.update(index.by_word[w])
        found = started if found is None else found & started
    if not found:
        return []
    wanted = set(datasets) if datasets is not None else None

    def rank(entity: Entity) -> tuple[float, float, int, str]:
        best_order, best_share = 0.0, 0.0
        for prop in NAME_PROPS:
            for value in entity.properties.get(prop, ()):
                name_words = words(value)
                if not name_words:
                    continue
                joined = " ".join(name_words)
                in_order = 1.0 if joined.startswith(" ".join(ws)) else 0.0
                covered = sum(1 for w in name_words if w in full or (last and w.startswith(last)))
                best_order = max(best_order, in_order)
                best_share = max(best_share, covered / len(name_words))
        return (-best_share, -best_order, len(entity.caption), entity.id)

    entities = [
        e for eid in found
        if (e := snap.entities.get(eid)) is not None and (wanted is None or e.dataset in wanted)
    ]
    entities.sort(key=rank)
    return entities[:limit]
