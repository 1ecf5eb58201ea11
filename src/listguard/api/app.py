"""The FastAPI application of the HTTP API: matching, reconciliation, alerts and admin.

:func:`create_api` builds it. The analyst UI (:mod:`listguard.ui`) is a client of this
package's service layer and is mounted on top by :func:`listguard.server.create_app`, the app
*factory* that ``listguard serve --workers N`` has uvicorn call once in each worker process
(each worker then owns its snapshot of the lists and its reload thread; the store, keys, alerts
and audit trail are shared through the database).
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from listguard import __version__
from listguard.api.config import ServerConfig
from listguard.api.context import AppContext
from listguard.api.keys import KeyCache, ensure_schema
from listguard.api.security import (
    ApiError,
    Authenticator,
    BodyLimitMiddleware,
    BrowserSafetyMiddleware,
    StrictJsonMiddleware,
)
from listguard.api.service import ScreeningService
from listguard.store import Store, open_store

log = logging.getLogger("listguard.api")

DESCRIPTION = """
Sanctions screening over the official lists loaded into listguard's versioned store.

* **Matching** is compatible with OpenSanctions **yente**'s `/match/{dataset}`: existing yente
  clients work by pointing them at this server. Every result carries an `explanation`.
* **Keys**: send `Authorization: ApiKey <token>` (or `X-API-Key`). Roles: `screener` (match,
  search, entities, reconciliation), `analyst` (+ alerts and decisions), `admin` (+ keys,
  reloads). A server with no keys yet answers only local requests.
* **Limits**: body size, queries per request and requests per key per minute; exceeding one
  gives a 4xx JSON error saying which.
* New list versions are picked up within seconds, without restart (see `/updatez`).
"""


def _whoami() -> str:
    from listguard.audit import whoami

    return whoami()


def create_api(
    store: Store | None = None,
    config: ServerConfig | None = None,
    *,
    service: ScreeningService | None = None,
) -> FastAPI:
    """Build the API app (no UI, no static files: :func:`listguard.server.create_app` adds
    them). With no arguments everything comes from the environment: the store from
    ``LISTGUARD_DATABASE_URL``/``LISTGUARD_HOME``, limits from ``LISTGUARD_*`` (see
    :class:`~listguard.api.config.ServerConfig`)."""
    config = config or ServerConfig.from_env()
    store = store or open_store()
    ensure_schema(store.engine)
    service = service or ScreeningService(store, reload_seconds=config.reload_seconds)
    auth = Authenticator(KeyCache(store.engine), config, _whoami())
    context = AppContext(store=store, service=service, auth=auth, config=config)
    from listguard.api.views import warm_diffs

    service.listeners.append(lambda snap: warm_diffs(context.diffs, store, snap))
    from listguard.api.search import warm_search_index

    # name words, identifiers and listing dates (first_seen...) for /search and /match,
    # computed when a snapshot arrives rather than by the first request that needs them
    service.listeners.append(lambda snap: warm_search_index(snap, store))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Build the index before accepting traffic, so the first request is as fast as any.
        if not service.ready:
            service.start(background=True)
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="listguard",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from packaged assets: the default loads them from a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "matching", "description": "Screen names and entities (yente-compatible)."},
            {"name": "entities", "description": "Everything the lists say about an entity."},
            {"name": "reconciliation", "description": "OpenRefine reconciliation API."},
            {"name": "alerts", "description": "Monitoring alerts and analyst decisions."},
            {"name": "admin", "description": "Keys and reloads (admin role)."},
            {"name": "system", "description": "Health, catalog and index status."},
        ],
    )
    app.state.lg = context
    # (the last added runs first: the size limit before JSON is read, headers on everything)
    app.add_middleware(StrictJsonMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=config.max_body_bytes)
    app.add_middleware(BrowserSafetyMiddleware)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Any:
        """Swagger UI from the package's own copy (``/static``, mounted with the UI by
        :func:`listguard.server.create_app`), so the docs work without internet."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="listguard API",
            swagger_js_url="/static/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui.css",
            swagger_favicon_url="/static/favicon.png",
        )

    _error_handlers(app)

    from listguard.api import admin, alerts, reconcile, routes

    app.include_router(routes.router)
    app.include_router(reconcile.router)
    app.include_router(alerts.router)
    app.include_router(admin.router)
    return app


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail, "status": exc.status, **exc.extra},
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {err.get('msg')}")
        return JSONResponse(
            {
                "detail": "invalid request: " + "; ".join(problems[:10]),
                "status": 422,
                "errors": [
                    {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                    for e in exc.errors()[:50]
                ],
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path} (see /docs)"
        return JSONResponse(
            {"detail": detail, "status": exc.status_code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


__all__ = ["create_api"]
