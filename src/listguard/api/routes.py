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
from typing import Any, Callable, Mapping

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
from listguard.api.security import ApiError, Principal
from listguard.api.service import Snapshot
from listguard.api.views import entity_detail
from listguard.api.yente import (
    MatchRequest,
    MatchResponse,
    QueryProblem,
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


async def _match_fast(request: Request) -> Response:
    """``/match`` without FastAPI's parameter machinery (see :mod:`listguard.api.fastpath`)."""
    limit, threshold, cutoff = 5, None, 0.5
    exclude_ids: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    if request.scope.get("query_string"):
        params = request.query_params
        limit = int_param(params.get("limit"), 5)
        threshold = float_param(params.get("threshold"), None)
        cutoff = float_param(params.get("cutoff"), 0.5)  # type: ignore[assignment]
        exclude_ids = params.getlist("exclude_entity_ids")
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
    cutoff: float = Query(0.5, description="Results scoring below this are not returned (yente's default 0.5)."),
    exclude_entity_ids: list[str] = Query([], description="Entity ids to leave out of the results."),
    include_dataset: list[str] = Query([], description="Only these datasets (within `dataset`)."),
    exclude_dataset: list[str] = Query([], description="Leave these datasets out."),
    algorithm: str | None = Query(None, description="Accepted for yente compatibility; listguard has one matcher."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """Screen a batch of example entities against the lists, as yente's `/match` does.

    Each query is an FtM-style example (`schema`, `properties`). The response has one entry per
    query id with ranked `results`, each carrying `score` (0..1), `match` (score >= threshold),
    `features` and a readable `explanation`.
    """
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
    fields: dict[str, dict[str, Any]] = {}
    for qid, ex in queries.items():
        try:
            fields[qid] = query_fields(ex)
        except QueryProblem as exc:
            raise ApiError(400, f"query {qid!r}: {exc}", query=qid) from exc
    effective = default_threshold() if threshold is None else threshold
    exclude = frozenset(exclude_entity_ids)
    props = entity_properties(snap)
    responses: dict[str, Any] = {}
    for qid, ex in queries.items():
        hits = screen(snap, fields[qid], datasets, limit, effective, exclude)
        results = [
            scored_entity(h, None, effective, properties=props(h.entity_id))
            for h in hits
            if h.score >= cutoff
        ]
        responses[qid] = {
            "status": 200,
            "results": results,
            "total": {"value": len(results), "relation": "eq"},
            # listguard addition: birth dates the matcher could not use as given, e.g.
            # 05/02/1970 (ambiguous: only its year was used) or 31.02.1970 (ignored)
            "warnings": query_warnings(ex),
            "query": {
                "id": ex.id,
                "schema": ex.schema_,
                "properties": {
                    k: (v if isinstance(v, list) else [v]) for k, v in ex.properties.items()
                },
            },
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
        }
    )


async def _search_fast(request: Request) -> Response:
    """``/search`` without FastAPI's parameter machinery (see :mod:`listguard.api.fastpath`)."""
    params = request.query_params
    q = params.get("q")
    if not q:
        raise Fallback  # missing or empty: FastAPI's 422
    limit = int_param(params.get("limit"), 10)
    offset = int_param(params.get("offset"), 0)
    ctx(request).auth.check(request, "screener")
    return search_response(request, request.path_params["dataset"], q, params.get("schema"), limit, offset)


async def search(
    request: Request,
    dataset: str = Path(description="`default` or a dataset name."),
    q: str = Query(..., min_length=1, description="A name (or an entity id, or an identifier)."),
    schema: str | None = Query(None, description="Restrict to one schema, e.g. Person."),
    limit: int = Query(10),
    offset: int = Query(0, ge=0),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """Names (and identifiers) ranked by the matcher, for typing-as-you-go lookups."""
    return search_response(request, dataset, q, schema, limit, offset)


router.add_api_route(
    "/search/{dataset}",
    search,
    methods=["GET"],
    tags=["matching"],
    summary="Search entities by name",
    route_class_override=fast_route(_search_fast),
)


def search_response(
    request: Request, dataset: str, q: str, schema: str | None, limit: int, offset: int
) -> Response:
    _check_limit(request, limit)
    snap = snapshot(request)
    datasets = resolve_dataset(snap, dataset)
    props = entity_properties(snap)
    results: list[dict[str, Any]] = []
    exact = snap.entities.get(q.strip())
    if exact is not None and (datasets is None or exact.dataset in datasets):
        results.append(entity_response(exact, 1.0, properties=props(exact.id)))
    try:
        fields = query_fields(FastExample(None, schema or "Thing", {"name": [q]}))
        fields["identifiers"] = [q]
    except QueryProblem as exc:
        raise ApiError(400, str(exc)) from exc
    hits = screen(snap, fields, datasets, offset + limit, 0.0)
    for h in hits[offset:]:
        if exact is not None and h.entity_id == exact.id:
            continue
        entity = snap.entities.get(h.entity_id)
        if entity is not None:
            results.append(entity_response(entity, float(h.score), properties=props(h.entity_id)))
    results = results[:limit]
    return json_response(
        {
            "results": results,
            "total": {"value": len(results), "relation": "gte" if len(hits) >= offset + limit else "eq"},
            "limit": limit,
            "offset": offset,
        }
    )


@router.get("/entities/{entity_id}", tags=["entities"], summary="One entity in full")
def get_entity(
    request: Request,
    entity_id: str = Path(description="e.g. us_ofac_sdn:24979"),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """All data of an entity: names, dates, identifiers, relations (both ways, resolved to the
    related entries), the list's own source record, and its version history with what changed."""
    snap = snapshot(request)
    detail = entity_detail(snap, ctx(request).store, entity_id)
    if detail is None:
        raise ApiError(404, f"no entity {entity_id!r} in any loaded version")
    return json_response(detail)


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
    return json_response(_updatez(request))


@router.post("/updatez", tags=["system"], summary="Pick up new list versions now")
def force_update(request: Request, _principal: Principal = Depends(require("admin"))) -> Response:
    """Check the store now and rebuild the index if a list changed (instead of waiting for the
    next background check). Returns the same report as GET."""
    ctx(request).service.check_now()
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
