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
from listguard.api.routes import json_response
from listguard.api.security import ApiError, Principal
from listguard.api.yente import QueryProblem, example, query_fields

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
        "batchSize": ctx(request).config.max_queries,
        "x-listguard-version": __version__,
    }


def run_queries(request: Request, dataset: str, raw: str) -> dict[str, Any]:
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
    for qid, q in queries.items():
        if not isinstance(q, dict) or not str(q.get("query", "")).strip():
            raise ApiError(400, f"query {qid!r} needs a non-empty \"query\" string")
        qtype = q.get("type")
        if isinstance(qtype, list):
            qtype = qtype[0] if qtype else None
        props: dict[str, list[str]] = {"name": [str(q["query"])]}
        for p in q.get("properties") or []:
            if isinstance(p, dict) and p.get("pid") and p.get("v") not in (None, ""):
                values = p["v"] if isinstance(p["v"], list) else [p["v"]]
                props.setdefault(str(p["pid"]), []).extend(str(v) for v in values)
        try:
            fields = query_fields(example(qtype or "Thing", props))
        except QueryProblem as exc:
            raise ApiError(400, f"query {qid!r}: {exc}") from exc
        limit = q.get("limit") or 5
        if not isinstance(limit, int) or limit < 1 or limit > config.max_limit:
            raise ApiError(400, f"query {qid!r}: limit must be 1..{config.max_limit}")
        hits = screen(snap, fields, datasets, limit, threshold)
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


@router.get("/reconcile/{dataset}", summary="Reconciliation service manifest (or GET queries)")
async def reconcile_get(
    request: Request,
    dataset: str = Path(description="`default` or a dataset name."),
    queries: str | None = Query(None, description="JSON object of queries (GET variant)."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    if queries:
        return json_response(run_queries(request, dataset, queries))
    resolve_dataset(snapshot(request), dataset)
    return json_response(manifest(request, dataset))


@router.post("/reconcile/{dataset}", summary="Reconcile a batch of names")
async def reconcile_post(
    request: Request,
    dataset: str = Path(description="`default` or a dataset name."),
    queries: str = Form(..., description="JSON object of queries, OpenRefine's form field."),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    return json_response(run_queries(request, dataset, queries))


@router.get("/reconcile/{dataset}/suggest/entity", summary="Suggest entities by name prefix")
async def suggest_entity(
    request: Request,
    dataset: str,
    prefix: str = Query(..., min_length=1),
    _principal: Principal = Depends(require("screener")),
) -> Response:
    snap = snapshot(request)
    datasets = resolve_dataset(snap, dataset)
    fields = query_fields(example("Thing", {"name": [prefix]}))
    hits = screen(snap, fields, datasets, 10, 0.0)
    return json_response(
        {
            "code": "/api/status/ok",
            "status": "200 OK",
            "prefix": prefix,
            "result": [
                {"id": h.entity_id, "name": h.caption, "type": [{"id": h.schema, "name": h.schema}]}
                for h in hits
            ],
        }
    )


def _suggest_static(items: list[dict[str, str]], prefix: str) -> dict[str, Any]:
    p = prefix.lower()
    return {
        "code": "/api/status/ok",
        "status": "200 OK",
        "prefix": prefix,
        "result": [i for i in items if p in i["id"].lower() or p in i["name"].lower()],
    }


@router.get("/reconcile/{dataset}/suggest/type", summary="Suggest entity types")
async def suggest_type(
    dataset: str, prefix: str = Query(""), _principal: Principal = Depends(require("screener"))
) -> Response:
    return json_response(_suggest_static(TYPES, prefix))


@router.get("/reconcile/{dataset}/suggest/property", summary="Suggest matchable properties")
async def suggest_property(
    dataset: str, prefix: str = Query(""), _principal: Principal = Depends(require("screener"))
) -> Response:
    return json_response(_suggest_static(PROPERTIES, prefix))


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
