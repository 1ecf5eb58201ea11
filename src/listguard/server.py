"""The HTTP server as ``listguard serve`` runs it: the API with the analyst UI on top.

The API (:mod:`listguard.api`) does not know the UI; the UI (:mod:`listguard.ui`) is a client
of the API's service layer (the snapshot, screening, entity views, alert casework). This module
puts the two in one app. :func:`create_app` is the app *factory* that ``listguard serve
--workers N`` has uvicorn call once in each worker process.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from listguard import ui as _ui
from listguard.api import create_api
from listguard.api.config import ServerConfig
from listguard.api.service import ScreeningService
from listguard.store import Store


def create_app(
    store: Store | None = None,
    config: ServerConfig | None = None,
    *,
    service: ScreeningService | None = None,
    ui: bool = True,
) -> FastAPI:
    """Build the app: the API (:func:`listguard.api.create_api`), the packaged static files
    (Swagger UI's among them) and, unless ``ui`` is false, the analyst UI. With no arguments
    (uvicorn's factory call) everything comes from the environment: the store from
    ``LISTGUARD_DATABASE_URL``/``LISTGUARD_HOME``, limits from ``LISTGUARD_*`` (see
    :class:`~listguard.api.config.ServerConfig`)."""
    app = create_api(store, config, service=service)
    if ui:
        _ui.mount(app)
    else:
        _ui.mount_static(app)

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/docs")

    return app


__all__ = ["create_app"]
