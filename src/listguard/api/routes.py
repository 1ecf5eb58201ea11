"""Screening endpoints: yente-compatible ``/match``, ``/search``, ``/entities``, ``/catalog``,
and the operational ``/healthz`` and ``/updatez``.

Handlers that only touch the in-memory snapshot are ``async`` (no thread hop: matching is a
millisecond of CPU), and build their JSON with orjson directly instead of through response
models: on a 2-core machine serialisation overhead is a real share of a screening call. The
models still document the shapes in ``/docs``. ``/match`` and ``/search`` go further: their
well-formed requests skip FastAPI's parameter and body validation too (a fast lane that checks
the same things, see :mod:`listguard.api.fastpath`), and entity properties are serialised once
per snapshot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import orjson
from pydantic import BaseModel
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from listguard import __version__
from listguard.api.context import (
    ctx,
    default_threshold,
    require,
    resolve_dataset,
    screen,
    snapshot,
)
from listguard.api.fastpath import (
    Fallback,
    FastExample,
    fast_route,
    float_param,
    int_param,
    json_body,
    match_queries,
)
from listguard.api.search import (
    DEFAULT_FACETS,
    MAX_OFFSET,
    MAX_PAGE,
    TS_PATTERN,
    Filters,
    SearchProblem,
    check_schema,
    parse_filters,
    parse_sorts,
    search_index,
    shares_words,
    sort_results,
    stamp_text,
    word_hits,
    word_score,
    words,
)
from listguard.api.search import id_key
from listguard.api.search import facets as search_facets
from listguard.api.security import ApiError, Principal
from listguard.api.service import Snapshot
from listguard.model import Entity
from listguard.api.views import entity_detail
from listguard.api.yente import (
    KNOWN_SCHEMATA,
    MatchRequest,
    MatchResponse,
    QueryProblem,
    clean_properties,
    entity_response,
    query_fields,
    query_warnings,
    scored_entity,
)

router = APIRouter()

JSON = "application/json"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # NON_STR_KEYS: database rows come back with str-subclass keys (quoted_name).
    return Response(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status_code=status, media_type=JSON, headers=headers)


_NO_PROPERTIES = orjson.Fragment(b"{}")


def entity_properties(snap: Snapshot) -> Callable[[str], Any]:
    """entity id -> its ``properties`` as ready-made JSON, memoised on the snapshot.

    Entities never change within a snapshot and a hot reload brings a new snapshot (with an
    empty memo), so an entity's properties are serialised once per index version instead of
    in every response that lists it."""
    memo: dict[str, Any] | None = snap.cache.get("properties_json")
    if memo is None:
        memo = snap.cache.setdefault("properties_json", {})
    entities = snap.entities

    def get(entity_id: str) -> Any:
        frag = memo.get(entity_id)
        if frag is None:
            entity = entities.get(entity_id)
            if entity is None:
                frag = _NO_PROPERTIES
            else:
                frag = orjson.Fragment(orjson.dumps(entity.properties, option=orjson.OPT_NON_STR_KEYS))
            memo[entity_id] = frag
        return frag

    return get


def _check_limit(request: Request, limit: int) -> None:
    top = ctx(request).config.max_limit
    if limit < 1 or limit > top:
        raise ApiError(400, f"limit must be between 1 and {top}, not {limit}")


def _check_score(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ApiError(400, f"{name} must be between 0 and 1, not {value}")


#: Query parameters each endpoint knows (yente's, plus listguard's ``api_key``). Any other is
#: refused with a 400 naming it: a client must never take an unapplied filter for an applied one.
MATCH_PARAMS = frozenset({
    "limit", "threshold", "cutoff", "algorithm", "include_dataset", "exclude_dataset",
    "exclude_schema", "topics", "changed_since", "exclude_entity_ids", "api_key",
})
_FAST_MATCH_PARAMS = frozenset({
    "limit", "threshold", "cutoff", "exclude_entity_ids", "include_dataset", "exclude_dataset", "api_key",
})
SEARCH_PARAMS = frozenset({
    "q", "schema", "include_dataset", "exclude_dataset", "exclude_schema", "changed_since",
    "countries", "topics", "datasets", "filter", "limit", "offset", "sort", "target", "fuzzy",
    "simple", "facets", "filter_op", "api_key",
})
_FAST_SEARCH_PARAMS = frozenset({"q", "schema", "limit", "offset", "api_key"})
#: ``algorithm`` values: listguard has one matcher; ``best`` (yente's default) names it too.
ALGORITHMS = ("listguard", "best")
#: yente caps ``exclude_entity_ids`` at 50 ids.
MAX_EXCLUDE_IDS = 50


def check_params(request: Request, known: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        raise ApiError(
            400,
            f"unknown parameter {unknown[0]!r} on {request.url.path}: not applied, so refused "
            f"(known: {', '.join(sorted(known))}; see /docs)",
            parameter=unknown[0],
        )


def check_algorithm(algorithm: str | None) -> None:
    if algorithm is not None and algorithm.strip().lower() not in ALGORITHMS:
        raise ApiError(
            400,
            f"algorithm: {algorithm!r} is not available; listguard has one matcher, 'listguard' "
            "(also called 'best'); see /algorithms",
            parameter="algorithm",
        )


def _problem(exc: SearchProblem) -> ApiError:
    return ApiError(exc.status, str(exc), parameter=exc.param)


async def _match_fast(request: Request) -> Response:
    """``/match`` without FastAPI's parameter machinery (see :mod:`listguard.api.fastpath`)."""
    limit, threshold, cutoff = 5, None, 0.5
    exclude_ids: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    if request.scope.get("query_string"):
        params = request.query_params
        for name in params.keys():
            if name not in _FAST_MATCH_PARAMS:
                raise Fallback
        limit = int_param(params.get("limit"), 5)
        threshold = float_param(params.get("threshold"), None)
        cutoff = float_param(params.get("cutoff"), 0.5)  # type: ignore[assignment]
        exclude_ids = params.getlist("exclude_entity_ids")
        if len(exclude_ids) > MAX_EXCLUDE_IDS:
            raise Fallback
        include = params.getlist("include_dataset")
        exclude = params.getlist("exclude_dataset")
    queries = match_queries(await json_body(request))
    # From here on the request is exactly what the declared route would have accepted.
    principal = ctx(request).auth.check(request, "screener")
    return match_response(
        request,
        queries,
        request.path_params["dataset"],
        limit=limit,
        threshold=threshold,
        cutoff=cutoff,
        exclude_entity_ids=exclude_ids,
        include_dataset=include,
        exclude_dataset=exclude,
        principal=principal,
    )


async def match(
    request: Request,
    body: MatchRequest,
    dataset: str = Path(description="`default` for every loaded list, or a dataset name from /catalog."),
    limit: int = Query(5, description="Results per query."),
    threshold: float | None = Query(
        None, description="Score from which a result is a `match` (default: the matcher's)."
    ),
    cutoff: float = Query(
        0.5,
        description="Results scoring below this are not returned (listguard's default 0.5; as in yente, "
        "never above `threshold`).",
    ),
    exclude_entity_ids: list[str] = Query(
        [], max_length=MAX_EXCLUDE_IDS, description="Entity ids to leave out of the results (at most 50)."
    ),
    include_dataset: list[str] = Query([], description="Only these datasets (within `dataset`)."),
    exclude_dataset: list[str] = Query([], description="Leave these datasets out."),
    exclude_schema: list[str] = Query([], description="Leave out results of these schemata (and their descendants)."),
    topics: list[str] = Query([], description="Only results with one of these topics (every listed entry has `sanction`)."),
    changed_since: str | None = Query(
        None, pattern=TS_PATTERN, description="Only entities whose listing changed since this date (YYYY-MM-DD[THH[:MM[:SS]]])."
    ),
    algorithm: str | None = Query(
        None, description="`listguard` (or `best`): the one matcher; other names are refused, see /algorithms."
    ),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """Screen a batch of example entities against the lists, as yente's `/match` does.

    Each query is an FtM-style example (`schema`, required, and `properties`). Property values
    are normalised with FollowTheMoney's types before matching (`"country": "Russia"` is
    matched as `ru`); the response echoes the cleaned query. The response has one entry per
    query id with ranked `results`, each carrying `score` (0..1), `match` (score >= threshold),
    `features` and a readable `explanation`.
    """
    check_params(request, MATCH_PARAMS)
    check_algorithm(algorithm)
    if body.weights:
        raise ApiError(
            400,
            f"weights: listguard's matcher has no feature weights to set (got {', '.join(sorted(body.weights))}); "
            "see /algorithms for what its scores are made of",
            parameter="weights",
        )
    if body.config:
        key = sorted(body.config)[0]
        raise ApiError(400, f"config: invalid configuration parameter {key!r} for algorithm listguard (it has none)",
                       parameter="config")
    return match_response(
        request,
        body.queries,
        dataset,
        limit=limit,
        threshold=threshold,
        cutoff=cutoff,
        exclude_entity_ids=exclude_entity_ids,
        include_dataset=include_dataset,
        exclude_dataset=exclude_dataset,
        exclude_schema=exclude_schema,
        topics=topics,
        changed_since=changed_since,
        principal=_principal,
    )


router.add_api_route(
    "/match/{dataset}",
    match,
    methods=["POST"],
    response_model=MatchResponse,
    tags=["matching"],
    summary="Match entities (yente-compatible)",
    route_class_override=fast_route(_match_fast),
)


def match_response(
    request: Request,
    queries: Mapping[str, Any],
    dataset: str,
    *,
    limit: int,
    threshold: float | None,
    cutoff: float,
    exclude_entity_ids: list[str],
    include_dataset: list[str],
    exclude_dataset: list[str],
    principal: Principal,
    exclude_schema: list[str] | None = None,
    topics: list[str] | None = None,
    changed_since: str | None = None,
) -> Response:
    """The body of ``/match`` once the request is parsed (``queries``: id -> an example with
    ``id``, ``schema_`` and ``properties``, as :class:`EntityExample` has them)."""
    config = ctx(request).config
    _check_limit(request, limit)
    _check_score("threshold", threshold)
    _check_score("cutoff", cutoff)
    if not queries:
        raise ApiError(400, "no queries: send {\"queries\": {\"q1\": {\"schema\": ..., \"properties\": ...}}}")
    if len(queries) > config.max_queries:
        raise ApiError(
            400,
            f"too many queries in one request: {len(queries)} > {config.max_queries} "
            "(LISTGUARD_MAX_QUERIES); split the batch",
        )
    snap = snapshot(request)
    datasets = resolve_dataset(snap, dataset)
    if include_dataset or exclude_dataset:
        chosen = set(datasets if datasets is not None else snap.datasets)
        if include_dataset:
            chosen &= set(include_dataset)
        chosen -= set(exclude_dataset)
        datasets = sorted(chosen)
        if not datasets:
            raise ApiError(400, "include_dataset/exclude_dataset leave no dataset to match against")
    try:
        filters = Filters(
            exclude_schema=tuple(check_schema("exclude_schema", s) for s in exclude_schema or ()),
            changed_since=changed_since,
            fields={"topics": [t.lower() for t in topics]} if topics else {},
        )
    except SearchProblem as exc:
        raise _problem(exc) from exc
    fields: dict[str, dict[str, Any]] = {}
    echoed: dict[str, tuple[dict[str, list[str]], list[str]]] = {}
    for qid, ex in queries.items():
        cleaned, notes = clean_properties(ex.schema_, ex.properties)
        echoed[qid] = (cleaned, notes)
        try:
            fields[qid] = query_fields(FastExample(ex.id, ex.schema_, cleaned))
        except QueryProblem as exc:
            raise ApiError(400, f"query {qid!r}: {exc}", query=qid) from exc
    effective = default_threshold() if threshold is None else threshold
    cutoff = min(cutoff, effective)  # as yente: a cutoff over the threshold would hide matches
    exclude = frozenset(exclude_entity_ids)
    props = entity_properties(snap)
    index = search_index(snap, ctx(request).store)
    dates = index.dates
    no_dates = (None, None, None)
    filtering = filters.active()
    responses: dict[str, Any] = {}
    for qid, ex in queries.items():
        wanted = limit * 4 + 20 if filtering else limit
        hits = screen(snap, fields[qid], datasets, wanted, effective, exclude)
        if filtering:
            hits = [
                h for h in hits
                if (e := snap.entities.get(h.entity_id)) is not None and filters.accepts(e, dates)
            ][:limit]
        results = [
            scored_entity(h, None, effective, properties=props(h.entity_id), dates=dates.get(h.entity_id, no_dates))
            for h in hits
            if h.score >= cutoff
        ]
        cleaned, notes = echoed[qid]
        responses[qid] = {
            "status": 200,
            "results": results,
            "total": {"value": len(results), "relation": "eq"},
            "query": {"id": ex.id, "schema": ex.schema_, "properties": cleaned},
            # + birth dates the matcher could not use as given: 05/02/1970 (ambiguous: only
            # its year was used) or 31.02.1970 (ignored)
            "warnings": notes + query_warnings(ex),
        }
    return json_response(
        {
            "responses": responses,
            "matcher": {
                "name": "listguard",
                "version": __version__,
                "threshold": effective,
                "cutoff": cutoff,
                "versions": list(snap.key),
            },
            "limit": limit,
            "limits": {
                "max_queries": config.max_queries,
                "max_limit": config.max_limit,
                "max_body_bytes": config.max_body_bytes,
                "rate_limit_per_minute": principal.rate_limit,
            },
        },
        headers={"x-batch-size": str(len(responses))},
    )


@dataclass
class SearchParams:
    """``/search``'s parameters (yente's, same names and meaning)."""

    q: str = ""
    schema: str = "Thing"
    limit: int = 10
    offset: int = 0
    include_dataset: list[str] = field(default_factory=list)
    exclude_dataset: list[str] = field(default_factory=list)
    exclude_schema: list[str] = field(default_factory=list)
    changed_since: str | None = None
    countries: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    filter: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    target: bool | None = None
    facets: list[str] = field(default_factory=lambda: list(DEFAULT_FACETS))
    filter_op: str = "OR"


async def _search_fast(request: Request) -> Response:
    """``/search`` without FastAPI's parameter machinery (see :mod:`listguard.api.fastpath`)."""
    params = request.query_params
    for name in params.keys():
        if name not in _FAST_SEARCH_PARAMS:
            raise Fallback
    limit = int_param(params.get("limit"), 10)
    offset = int_param(params.get("offset"), 0)
    if limit > MAX_PAGE or offset > MAX_OFFSET:
        raise Fallback  # FastAPI's 422
    ctx(request).auth.check(request, "screener")
    p = SearchParams(q=params.get("q") or "", schema=params.get("schema") or "Thing", limit=limit, offset=offset)
    if "schema" in params and not params.get("schema"):
        p.schema = ""
    return search_response(request, request.path_params["dataset"], p)


FacetName = Literal["datasets", "schema", "countries", "identifiers", "topics", "genders"]


async def search(
    request: Request,
    dataset: str = Path(description="`default` or a dataset name."),
    q: str = Query("", description="Words of a name (or an entity id, or an identifier). Empty: list entities."),
    schema: str = Query("Thing", description="Only entities of this FtM schema (or a descendant), e.g. Person."),
    include_dataset: list[str] = Query([], description="Only these datasets (within `dataset`)."),
    exclude_dataset: list[str] = Query([], description="Leave these datasets out."),
    exclude_schema: list[str] = Query([], description="Leave out entities of these schemata."),
    changed_since: str | None = Query(
        None, pattern=TS_PATTERN, description="Only entities whose listing changed since this date."
    ),
    countries: list[str] = Query([], description="Filter by country codes (any country property)."),
    topics: list[str] = Query([], description="Filter by topics (every listed entry has `sanction`)."),
    datasets: list[str] = Query([], description="Filter by dataset names (combined with `filter_op`)."),
    filter: list[str] = Query([], description="`field:value`, e.g. `countries:ru`, `properties.birthDate:1970-02-05`."),
    limit: int = Query(10, ge=0, le=MAX_PAGE, description="Results per page (0: totals and facets only)."),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Start at this result."),
    sort: list[str] = Query([], description="`field[:asc|desc]`: score, caption, id, schema, first_seen, last_seen, last_change."),
    target: bool | None = Query(None, description="Only targets (every listed entry is one) or only non-targets (none)."),
    fuzzy: bool = Query(False, description="Accepted: listguard's search always finds close spellings."),
    simple: bool = Query(False, description="Accepted: `q` is always plain words (no query syntax)."),
    facets: list[FacetName] = Query(list(DEFAULT_FACETS), description="Facet counts to include."),
    filter_op: Literal["OR", "AND"] = Query("OR", description="How several values of one filter combine."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """Entities whose names have the words of `q` (or close spellings), ranked by the
    matcher, as yente's `/search`; without `q`, every entity (filtered). Results carry
    `first_seen`, `last_seen` and `last_change` from the version history; `facets` count
    countries, topics, datasets (and schema, identifiers, genders on request) over all results."""
    check_params(request, SEARCH_PARAMS)
    p = SearchParams(
        q=q, schema=schema, limit=limit, offset=offset, include_dataset=include_dataset,
        exclude_dataset=exclude_dataset, exclude_schema=exclude_schema, changed_since=changed_since,
        countries=countries, topics=topics, datasets=datasets, filter=filter, sort=sort,
        target=target, facets=list(facets), filter_op=filter_op,
    )
    return search_response(request, dataset, p)


router.add_api_route(
    "/search/{dataset}",
    search,
    methods=["GET"],
    tags=["matching"],
    summary="Search entities by name (yente-compatible)",
    route_class_override=fast_route(_search_fast),
)


def search_response(request: Request, dataset: str, p: SearchParams) -> Response:
    config = ctx(request).config
    if p.limit > config.max_limit:
        raise ApiError(400, f"limit must be between 0 and {config.max_limit}, not {p.limit}", parameter="limit")
    snap = snapshot(request)
    scope = resolve_dataset(snap, dataset)
    chosen = set(scope if scope is not None else snap.datasets)
    if p.include_dataset:
        chosen &= set(p.include_dataset)
    chosen -= set(p.exclude_dataset)
    try:
        schema = check_schema("schema", p.schema)
        fields: dict[str, list[str]] = {}
        if p.countries:
            fields["countries"] = [c.lower() for c in p.countries]
        if p.topics:
            fields["topics"] = [t.lower() for t in p.topics]
        if p.datasets:
            fields["datasets"] = list(p.datasets)
        for name, values in parse_filters(p.filter).items():
            fields.setdefault(name, []).extend(values)
        filters = Filters(
            datasets=chosen,
            schema=None if schema == "Thing" else schema,
            exclude_schema=tuple(check_schema("exclude_schema", s) for s in p.exclude_schema),
            changed_since=p.changed_since,
            fields=fields,
            operator=p.filter_op,
            target=p.target,
        )
        sorts = parse_sorts(p.sort)
    except SearchProblem as exc:
        raise _problem(exc) from exc
    index = search_index(snap, ctx(request).store)
    dates = index.dates
    entities = snap.entities
    q = p.q.strip()
    rows: list[tuple[Entity, float | None]]
    if q:
        scored: dict[str, float] = {}
        exact = entities.get(q)
        if exact is not None:
            scored[exact.id] = 1.0
        for eid in index.by_identifier.get(id_key(q), ()):
            scored.setdefault(eid, 1.0)
        query_words = words(q)
        if query_words:
            matcher_schema = schema if schema in KNOWN_SCHEMATA else "Thing"
            try:
                fq = query_fields(FastExample(None, matcher_schema, {"name": [q]}))
            except QueryProblem as exc:
                raise ApiError(400, str(exc)) from exc
            narrowed = None if chosen >= snap.datasets else sorted(chosen)
            if narrowed != []:
                for h in screen(snap, fq, narrowed, max(200, p.offset + p.limit), 0.0):
                    if h.entity_id not in scored and shares_words(h, query_words):
                        scored[h.entity_id] = round(float(h.score), 4)
            for eid in word_hits(index, query_words):
                if eid not in scored and (e := entities.get(eid)) is not None:
                    scored[eid] = word_score(e, query_words)
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        rows = [(e, s) for eid, s in ranked if (e := entities.get(eid)) is not None]
    else:
        rows = [(e, None) for eid in index.order if (e := entities.get(eid)) is not None]
    rows = [r for r in rows if filters.accepts(r[0], dates, index)]
    total = len(rows)
    titles = {v.dataset: v.source.rsplit("/", 1)[-1] for v in snap.versions}
    facet_data = search_facets((r[0] for r in rows), p.facets, titles, index)
    if sorts:
        rows = sort_results(rows, sorts, dates)
    page = rows[p.offset : p.offset + p.limit]
    props = entity_properties(snap)
    no_dates = (None, None, None)
    results = [
        entity_response(e, s, properties=props(e.id), dates=dates.get(e.id, no_dates)) for e, s in page
    ]
    return json_response(
        {
            "results": results,
            "total": {"value": total, "relation": "eq"},
            "limit": p.limit,
            "offset": p.offset,
            "facets": facet_data,
        }
    )


@router.get("/entities/{entity_id}", tags=["entities"], summary="One entity in full")
def get_entity(
    request: Request,
    entity_id: str = Path(description="e.g. us_ofac_sdn:24979"),
    nested: bool = Query(
        True,
        description="Include related entities (links, both ways, resolved), the list's own record and "
        "the version history; false: the entity alone, in yente's EntityResponse shape.",
    ),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """All data of an entity: names, dates, identifiers, relations (both ways, resolved to the
    related entries), the list's own source record, and its version history with what changed.
    `first_seen`, `last_seen` and `last_change` are the dates of the list versions that first
    had it, last had it, and last changed it."""
    check_params(request, frozenset({"nested", "api_key"}))
    snap = snapshot(request)
    store = ctx(request).store
    index = search_index(snap, store)
    if not nested:
        entity = snap.entities.get(entity_id)
        if entity is None:
            raise ApiError(404, f"no entity {entity_id!r} in the current lists")
        return json_response(entity_response(entity, dates=index.dates.get(entity_id, (None, None, None))))
    detail = entity_detail(snap, store, entity_id)
    if detail is None:
        raise ApiError(404, f"no entity {entity_id!r} in any loaded version")
    first, last, changed = index.dates.get(entity_id, (None, None, None))
    if first is None and detail.get("history"):  # delisted: dates from its own history
        history = detail["history"]
        first = stamp_text(history[0].get("published_at") or history[0].get("loaded_at"))
        last = stamp_text(history[-1].get("published_at") or history[-1].get("loaded_at"))
        changed = next(
            (stamp_text(h.get("published_at") or h.get("loaded_at"))
             for h in reversed(history) if h.get("status") != "unchanged"),
            first,
        )
    detail.setdefault("referents", [])
    detail.setdefault("target", bool(detail.get("listed", True)))
    detail.update(first_seen=first, last_seen=last, last_change=changed)
    return json_response(detail)


@router.get("/algorithms", tags=["system"], summary="The matching algorithm (yente-compatible)")
async def algorithms(request: Request, _principal: Principal = Depends(require("screener"))) -> Response:
    """yente's list of scoring algorithms: listguard has one, `listguard` (also answering to
    `best`, yente's default name), and these are the features its explanations report."""
    check_params(request, frozenset({"api_key"}))
    features = {
        "name_score": "How closely the best of the entity's names matches the query's (aligned word by word: exact, romanisation, transliteration, name variants, initials).",
        "birth_date": "Birth dates compared: exact, same month or year raise the score; a year or more apart lowers it.",
        "country": "Nationality, citizenship or country: a common one raises the score, only different ones lower it.",
        "identifier": "An identifier (passport, IMO, SWIFT/BIC, registration number...) equal to the query's: a strong one identifies the party on its own.",
        "weak_alias": "The matched name is a weak alias on the list, which counts less.",
        "schema": "The entity's type differs from the query's schema.",
    }
    return json_response(
        {
            "algorithms": [
                {
                    "name": "listguard",
                    "description": "listguard's explained name matcher (name alignment plus birth date, country and identifier evidence).",
                    "features": {k: {"description": v, "coefficient": None, "url": None} for k, v in features.items()},
                    "docs": {},
                }
            ],
            "default": "listguard",
            "best": "listguard",
        }
    )


def catalog_data(snap: Snapshot) -> dict[str, Any]:
    datasets = [
        {
            "name": v.dataset,
            "title": v.source.rsplit("/", 1)[-1],
            "version": v.seq,
            "version_id": v.id,
            "published_at": v.published_at,
            "loaded_at": v.loaded_at,
            "updated_at": v.published_at or v.loaded_at,
            "entity_count": v.entity_count,
            "counts": v.counts,
            "checksum": v.checksum,
            "load": True,
            # yente: the version the index holds, and whether it is the current one
            "index_version": str(v.seq),
            "index_current": True,
        }
        for v in snap.versions
    ]
    return {
        "datasets": [
            {
                "name": "default",
                "title": "All loaded lists",
                "children": [v.dataset for v in snap.versions],
                "entity_count": sum(v.entity_count for v in snap.versions),
                "load": True,
            },
            *datasets,
        ],
        "current": [v.dataset for v in snap.versions],
        "outdated": [],
        "index_stale": False,
    }


@router.get("/catalog", tags=["system"], summary="Loaded lists and their versions")
async def catalog(request: Request, _principal: Principal = Depends(require("screener"))) -> Response:
    check_params(request, frozenset({"api_key"}))
    snap = snapshot(request)
    data = catalog_data(snap)
    service = ctx(request).service
    data["index_stale"] = service.status.building
    return json_response(data)


@router.get("/healthz", tags=["system"], summary="Liveness and readiness")
async def healthz(request: Request) -> Response:
    """200 when the index is built and answering, 503 while it is being built. No key needed,
    so load balancers can probe it; it reveals no list content."""
    service = ctx(request).service
    if not service.ready:
        return json_response({"status": "starting", "ready": False}, status=503)
    snap = service.snapshot
    return json_response(
        {
            "status": "ok",
            "ready": True,
            "matching": snap.screener is not None,
            "entities": len(snap.entities),
            "versions": list(snap.key),
            # which server process answered (with several workers, each has its own index)
            "pid": os.getpid(),
        }
    )


@router.get("/readyz", tags=["system"], summary="Readiness (yente-compatible)")
async def readyz(request: Request) -> Response:
    """yente's readiness check: 200 `{"status": "ok"}` once the index answers, 503 before."""
    if not ctx(request).service.ready:
        return json_response({"status": "starting", "detail": "the screening index is being built"}, status=503)
    return json_response({"status": "ok"})


def _updatez(request: Request) -> dict[str, Any]:
    c = ctx(request)
    service = c.service
    snap = service.snapshot if service.ready else None
    try:
        store_versions = c.store.current_versions()
    except Exception as exc:  # the store being down is exactly what this endpoint reports
        raise ApiError(503, f"cannot read the store: {exc}") from exc
    store_key = sorted(v.id for v in store_versions)
    status = service.status
    return {
        "status": "ok",  # yente's StatusResponse
        "up_to_date": snap is not None and list(snap.key) == store_key,
        "index": {
            "versions": list(snap.key) if snap else None,
            "built_at": snap.built_at if snap else None,
            "build_seconds": round(snap.build_seconds, 3) if snap else None,
            "entities": len(snap.entities) if snap else 0,
        },
        "store": {"versions": store_key, "datasets": [v.to_dict() for v in store_versions]},
        "reloader": {
            "interval_seconds": service.reload_seconds,
            "last_check": status.last_check,
            "building": status.building,
            "reloads": status.reloads,
            "last_error": status.last_error,
            "last_error_at": status.last_error_at,
            "history": status.history,
        },
    }


@router.get("/updatez", tags=["system"], summary="Is the index on the current list versions?")
def updatez(request: Request, _principal: Principal = Depends(require("screener"))) -> Response:
    """Compares the versions the index was built from with the store's current ones, and
    shows the background reloader's state (last check, rebuilds, last error)."""
    check_params(request, frozenset({"api_key"}))
    return json_response(_updatez(request))


@router.post("/updatez", tags=["system"], summary="Pick up new list versions now")
def force_update(
    request: Request,
    sync: bool = Query(True, description="Wait for the rebuild (default); false: start it in the background."),
    token: str | None = Query(None, description="yente's update token: refused, listguard uses an admin API key."),
    _principal: Principal = Depends(require("admin")),
) -> Response:
    """Check the store now and rebuild the index if a list changed (instead of waiting for the
    next background check). Returns the same report as GET."""
    check_params(request, frozenset({"sync", "token", "api_key"}))
    if token is not None:
        raise ApiError(
            400,
            "token: listguard has no update token; call POST /updatez with an admin API key "
            "(Authorization: ApiKey <token>)",
            parameter="token",
        )
    if sync:
        ctx(request).service.check_now()
    else:
        ctx(request).service.wake()
    return json_response(_updatez(request))


class ScreenTextRequest(BaseModel):
    """Free text to screen: a news article, a report, a chat, an invoice."""

    text: str
    format: str = "auto"
    threshold: float | None = None


@router.post("/screen-text", tags=["matching"], summary="Find listed parties named in free text")
def screen_text_route(
    request: Request,
    body: ScreenTextRequest,
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """Every mention of a listed party in the text, with its character span and hits.

    Same output as `listguard screen-text --json`: `{"mentions": [{"text", "start", "end",
    "hits": [...]}]}`. `format` is `auto`, `text`, `html` or `markdown`.
    """
    from listguard.text.screen import screen_text_payload

    _check_score("threshold", body.threshold)
    if body.format not in ("auto", "text", "html", "markdown"):
        raise ApiError(400, f"format must be auto, text, html or markdown, not {body.format!r}")
    snap = snapshot(request)
    if snap.screener is None:
        raise ApiError(503, "no lists loaded yet: run `listguard load` first")
    return json_response(screen_text_payload(body.text, snap.screener, body.threshold, body.format))
