"""The OpenRefine reconciliation API (v0.2), so a spreadsheet of names can be screened in
OpenRefine (or any reconciliation client) against the loaded lists.

``GET /reconcile/{dataset}`` returns the service manifest; queries come as the form field (or
query parameter) ``queries``: a JSON object ``{id: {"query": name, "type": schema, "limit": n,
"properties": [{"pid": "birthDate", "v": "1970"}]}}``. OpenRefine cannot send headers, so a
key goes in the service URL: ``/reconcile/default?api_key=...``.
"""

from __future__ import annotations

import html
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from listguard import __version__
from listguard.api.context import ctx, default_threshold, require, resolve_dataset, screen, snapshot
from listguard.api.routes import check_algorithm, check_params, json_response
from listguard.api.search import MAX_PAGE, TS_PATTERN, Filters, search_index, suggest_entities
from listguard.api.security import ApiError, Principal
from listguard.api.yente import QueryProblem, clean_properties, example, query_fields

router = APIRouter(tags=["reconciliation"])

TYPES = [
    {"id": "Person", "name": "Person"},
    {"id": "Organization", "name": "Organization"},
    {"id": "Company", "name": "Company"},
    {"id": "LegalEntity", "name": "Legal entity (person or organisation)"},
    {"id": "Vessel", "name": "Vessel"},
    {"id": "Airplane", "name": "Airplane"},
]

PROPERTIES = [
    {"id": "birthDate", "name": "Birth date"},
    {"id": "nationality", "name": "Nationality"},
    {"id": "country", "name": "Country"},
    {"id": "jurisdiction", "name": "Jurisdiction"},
    {"id": "idNumber", "name": "ID number"},
    {"id": "passportNumber", "name": "Passport number"},
    {"id": "registrationNumber", "name": "Registration number"},
    {"id": "taxNumber", "name": "Tax number"},
    {"id": "imoNumber", "name": "IMO number"},
    {"id": "swiftBic", "name": "SWIFT/BIC"},
    {"id": "alias", "name": "Other name"},
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def manifest(request: Request, dataset: str) -> dict[str, Any]:
    base = _base(request)
    key = request.query_params.get("api_key")
    suffix = f"?api_key={key}" if key else ""
    return {
        "versions": ["0.1", "0.2"],
        "name": f"listguard sanctions screening ({dataset})",
        "identifierSpace": f"{base}/entities/",
        "schemaSpace": "https://followthemoney.tech/explorer/schemata/",
        "documentation": f"{base}/docs",
        "defaultTypes": TYPES,
        "view": {"url": f"{base}/ui/entities/{{{{id}}}}"},
        "preview": {
            "url": f"{base}/reconcile/{dataset}/preview?id={{{{id}}}}" + (f"&api_key={key}" if key else ""),
            "width": 430,
            "height": 300,
        },
        "suggest": {
            "entity": {"service_url": f"{base}/reconcile/{dataset}", "service_path": f"/suggest/entity{suffix}"},
            "type": {"service_url": f"{base}/reconcile/{dataset}", "service_path": f"/suggest/type{suffix}"},
            "property": {"service_url": f"{base}/reconcile/{dataset}", "service_path": f"/suggest/property{suffix}"},
        },
        "extend": {
            "propose_properties": {"service_url": f"{base}/reconcile/{dataset}", "service_path": f"/extend/property{suffix}"},
            "propose_settings": [
                {"name": "limit", "label": "Limit", "type": "number", "default": 0,
                 "help_text": "Maximum number of values to return per row (0 for no limit).", "choices": []},
                {"name": "render", "label": "Value rendering", "type": "select", "default": "caption",
                 "help_text": "Return readable value (e.g. 'Russia') instead of raw value ('ru').",
                 "choices": [{"id": "caption", "name": "User-readable value"}, {"id": "raw", "name": "Machine-readable value"}]},
            ],
        },
        "batchSize": ctx(request).config.max_queries,
        "x-listguard-version": __version__,
    }


def _pid(pid: Any) -> str | None:
    """A property id as OpenRefine sends it back: a name (``birthDate``) or, as listed by
    ``suggest/property``, a qualified name (``Person:birthDate``)."""
    if not isinstance(pid, str) or not pid:
        return None
    return pid.rsplit(":", 1)[-1]


def run_queries(
    request: Request, dataset: str, raw: str, *, changed_since: str | None = None
) -> dict[str, Any]:
    try:
        queries = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"`queries` is not valid JSON: {exc}") from exc
    if not isinstance(queries, dict):
        raise ApiError(400, "`queries` must be a JSON object of query id -> query")
    config = ctx(request).config
    if len(queries) > config.max_queries:
        raise ApiError(400, f"too many queries in one request: {len(queries)} > {config.max_queries}")
    snap = snapshot(request)
    datasets = resolve_dataset(snap, dataset)
    threshold = default_threshold()
    out: dict[str, Any] = {}
    filters = Filters(changed_since=changed_since)
    dates = search_index(snap, ctx(request).store).dates if changed_since else {}
    for qid, q in queries.items():
        if not isinstance(q, dict) or not isinstance(q.get("query"), str) or not q["query"].strip():
            raise ApiError(400, f"query {qid!r} needs a non-empty \"query\" string")
        qtype = q.get("type")
        if isinstance(qtype, list):
            qtype = qtype[0] if qtype else None
        if qtype is not None and not isinstance(qtype, str):
            raise ApiError(400, f"query {qid!r}: \"type\" must be a schema name")
        props: dict[str, list[str]] = {"name": [q["query"]]}
        given = q.get("properties") or []
        if not isinstance(given, list):
            raise ApiError(400, f"query {qid!r}: \"properties\" must be a list of {{pid, v}}")
        for p in given:
            if isinstance(p, dict) and _pid(p.get("pid")) and p.get("v") not in (None, ""):
                values = p["v"] if isinstance(p["v"], list) else [p["v"]]
                props.setdefault(_pid(p["pid"]) or "", []).extend(
                    str(v) for v in values if isinstance(v, (str, int, float))
                )
        schema = qtype or "Thing"
        cleaned, _notes = clean_properties(schema, props)
        try:
            fields = query_fields(example(schema, cleaned))
        except QueryProblem as exc:
            raise ApiError(400, f"query {qid!r}: {exc}") from exc
        limit = q.get("limit") or 5
        if type(limit) is not int or limit < 1 or limit > config.max_limit:
            raise ApiError(400, f"query {qid!r}: limit must be 1..{config.max_limit}")
        wanted = limit * 4 + 20 if changed_since else limit
        hits = screen(snap, fields, datasets, wanted, threshold)
        if changed_since:
            hits = [
                h for h in hits
                if (e := snap.entities.get(h.entity_id)) is not None and filters.accepts(e, dates)
            ][:limit]
        out[qid] = {
            "result": [
                {
                    "id": h.entity_id,
                    "name": h.caption,
                    "type": [{"id": h.schema, "name": h.schema}],
                    "score": round(float(h.score) * 100, 1),
                    "match": float(h.score) >= threshold,
                    "description": ", ".join(h.datasets),
                }
                for h in hits
            ]
        }
    return out


RECONCILE_PARAMS = frozenset({"queries", "extend", "algorithm", "changed_since", "api_key"})


@router.get("/reconcile/{dataset}", summary="Reconciliation service manifest (or GET queries)")
async def reconcile_get(
    request: Request,
    dataset: str = Path(description="`default` or a dataset name."),
    queries: str | None = Query(None, description="JSON object of queries (GET variant)."),
    extend: str | None = Query(None, description="JSON data extension request (GET variant)."),
    algorithm: str | None = Query(None, description="`listguard` (or `best`): the one matcher."),
    changed_since: str | None = Query(None, pattern=TS_PATTERN, description="Only entities changed since."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    check_params(request, RECONCILE_PARAMS)
    check_algorithm(algorithm)
    if extend:
        return json_response(run_extend(request, extend))
    if queries:
        return json_response(run_queries(request, dataset, queries, changed_since=changed_since))
    resolve_dataset(snapshot(request), dataset)
    return json_response(manifest(request, dataset))


@router.post("/reconcile/{dataset}", summary="Reconcile a batch of names (or extend data)")
async def reconcile_post(
    request: Request,
    dataset: str = Path(description="`default` or a dataset name."),
    queries: str | None = Form(None, description="JSON object of queries, OpenRefine's form field."),
    extend: str | None = Form(None, description="JSON data extension request: {ids, properties}."),
    algorithm: str | None = Query(None, description="`listguard` (or `best`): the one matcher."),
    changed_since: str | None = Query(None, pattern=TS_PATTERN, description="Only entities changed since."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    check_params(request, RECONCILE_PARAMS)
    check_algorithm(algorithm)
    if extend is not None and extend.strip():
        return json_response(run_extend(request, extend))
    if queries is None:
        raise ApiError(400, "send the form field `queries` (or `extend`)", parameter="queries")
    return json_response(run_queries(request, dataset, queries, changed_since=changed_since))


def run_extend(request: Request, raw: str) -> dict[str, Any]:
    """OpenRefine's data extension: property values of reconciled entities."""
    from followthemoney import model, registry

    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"`extend` is not valid JSON: {exc}", parameter="extend") from exc
    ids = data.get("ids") if isinstance(data, dict) else None
    wanted = data.get("properties") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(wanted, list):
        raise ApiError(400, "`extend` must be {\"ids\": [...], \"properties\": [{\"id\": ...}]}", parameter="extend")
    if len(ids) > ctx(request).config.max_queries:
        raise ApiError(400, f"too many ids in one request: {len(ids)} > {ctx(request).config.max_queries}")
    snap = snapshot(request)
    meta: dict[str, dict[str, str]] = {}
    rows: dict[str, dict[str, list[dict[str, str]]]] = {i: {} for i in ids}
    for entity_id in ids:
        entity = snap.entities.get(entity_id)
        if entity is None:
            continue
        schema = model.get(entity.schema)
        row: dict[str, list[dict[str, str]]] = {}
        for item in wanted:
            pid = item.get("id") if isinstance(item, dict) else None
            settings = item.get("settings") if isinstance(item, dict) else None
            settings = settings if isinstance(settings, dict) else {}
            name = _pid(pid)
            prop = schema.get(name) if schema is not None and name else None
            if prop is None or not isinstance(pid, str):
                continue
            meta.setdefault(pid, {"id": prop.name, "name": prop.label})
            values = list(entity.properties.get(prop.name, []))
            limit = settings.get("limit", 0)
            if type(limit) is int and limit > 0:
                values = values[:limit]
            if settings.get("render", "caption") == "caption" and prop.type != registry.entity:
                values = [prop.type.caption(v) or v for v in values]
            row[pid] = [{"str": v} for v in values]
        rows[entity_id] = row
    return {"meta": list(meta.values()), "rows": rows}


@router.get("/reconcile/{dataset}/suggest/entity", summary="Suggest entities by name prefix")
async def suggest_entity(
    request: Request,
    dataset: str,
    prefix: str = Query("", description="The start of a name: `vladimir put`."),
    limit: int = Query(10, ge=0, le=MAX_PAGE, description="Suggestions to return."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    """Entities with a name having the prefix's words, the last one possibly unfinished
    (``vladimir put`` finds ``PUTIN, Vladimir Vladimirovich``): names covering more of the
    prefix, and more of their own words, first."""
    snap = snapshot(request)
    datasets = resolve_dataset(snap, dataset)
    index = search_index(snap, ctx(request).store)
    result: list[dict[str, Any]] = []
    for entity in suggest_entities(snap, index, prefix, datasets, limit):
        result.append({
            "id": entity.id,
            "name": entity.caption,
            "description": _schema_label(entity.schema),
            "type": [_freebase_type(entity.schema)],
        })
    return json_response({"code": "/api/status/ok", "status": "200 OK", "prefix": prefix, "result": result})


def _schema_label(name: str) -> str:
    from followthemoney import model

    schema = model.get(name)
    return schema.label if schema is not None else name


def _freebase_type(name: str) -> dict[str, Any]:
    from followthemoney import model

    schema = model.get(name)
    if schema is None:
        return {"id": name, "name": name}
    return {"id": schema.name, "name": schema.plural, "description": schema.description or schema.label}


def _match_prefix(prefix: str, *labels: str | None) -> bool:
    """yente's rule: a label starts with the prefix (case-insensitive); no prefix, no match."""
    p = prefix.lower().strip()
    return bool(p) and any(label is not None and label.lower().strip().startswith(p) for label in labels)


#: Suggestion lists are short, as yente's (its match page: 5).
SUGGEST_PAGE = 5


def _matchable_schemata() -> list[Any]:
    """The schemata a query may name, with their parents (Thing, LegalEntity...)."""
    from followthemoney import model

    seen: dict[str, Any] = {}
    for t in TYPES:
        schema = model.get(t["id"])
        if schema is not None:
            for s in schema.schemata:
                seen.setdefault(s.name, s)
    return list(seen.values())


@router.get("/reconcile/{dataset}/suggest/type", summary="Suggest entity types")
async def suggest_type(
    dataset: str, prefix: str = Query(""), _principal: Principal = Depends(require("screener"))
) -> Response:
    """Matchable types whose name or label starts with the prefix (``organ``: Organization)."""
    from followthemoney import model

    result = [
        _freebase_type(t["id"])
        for t in TYPES
        if (schema := model.get(t["id"])) is not None and _match_prefix(prefix, schema.name, schema.label)
    ]
    return json_response({"code": "/api/status/ok", "status": "200 OK", "prefix": prefix, "result": result[:SUGGEST_PAGE]})


@router.get("/reconcile/{dataset}/suggest/property", summary="Suggest matchable properties")
async def suggest_property(
    dataset: str, prefix: str = Query(""), _principal: Principal = Depends(require("screener"))
) -> Response:
    """Properties of the matchable types (qualified names, e.g. ``LegalEntity:mainCountry``)
    whose name or label starts with the prefix."""
    from followthemoney import model, registry

    schemata = set(s.name for s in _matchable_schemata())
    result = [
        {"id": prop.qname, "name": prop.label, "description": prop.description}
        for prop in model.properties
        if prop.schema.name in schemata and not prop.hidden and prop.type != registry.entity
        and _match_prefix(prefix, prop.name, prop.label)
    ]
    return json_response({"code": "/api/status/ok", "status": "200 OK", "prefix": prefix, "result": result[:SUGGEST_PAGE]})


@router.get("/reconcile/{dataset}/extend/property", summary="Properties to extend data with")
async def extend_property(
    dataset: str,
    type: str = Query("Thing", description="The schema of the reconciled entities."),
    limit: int = Query(0, description="At most this many (0: all)."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    from followthemoney import model, registry

    schema = model.get(type)
    if schema is None:
        raise ApiError(400, f"Invalid type: {type}", parameter="type")
    props: list[dict[str, str]] = []
    for name in schema.featured:
        prop = schema.get(name)
        if prop is not None:
            props.append({"id": prop.name, "name": prop.label})
    for prop in schema.properties.values():
        if prop.hidden or prop.type == registry.entity or prop.name in schema.featured:
            continue
        props.append({"id": prop.name, "name": prop.label})
    if limit > 0:
        props = props[:limit]
    props.sort(key=lambda p: p["name"])
    return json_response({"limit": limit, "type": schema.name, "properties": props})


@router.get("/reconcile/{dataset}/preview", response_class=HTMLResponse, summary="A small entity card")
async def preview(
    request: Request,
    dataset: str,
    id: str = Query(...),
    _principal: Principal = Depends(require("screener")),
) -> HTMLResponse:
    snap = snapshot(request)
    entity = snap.entities.get(id)
    if entity is None:
        raise ApiError(404, f"no entity {id!r} in the current lists")
    rows = "".join(
        f"<tr><th>{html.escape(p)}</th><td>{html.escape('; '.join(v[:6]))}</td></tr>"
        for p, v in entity.properties.items()
        if p not in ("notes",)
    )
    body = (
        "<!doctype html><meta charset=utf-8><style>body{font:13px system-ui,sans-serif;margin:8px}"
        "th{text-align:left;padding-right:8px;vertical-align:top;color:#555}</style>"
        f"<h3>{html.escape(entity.caption)}</h3><p>{html.escape(entity.schema)} · "
        f"{html.escape(entity.dataset)} · <code>{html.escape(entity.id)}</code></p><table>{rows}</table>"
    )
    return HTMLResponse(body)
