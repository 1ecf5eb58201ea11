"""The analyst web UI: server-rendered pages (Jinja2) with a little vanilla JS and CSS.

Served beside the API in one app (:func:`listguard.server.create_app`: same process, same
snapshot, same keys) as a client of the API's service layer, with every asset
shipped in the package: analysts often work on networks without internet access, so the UI
loads nothing from a CDN. Pages are rendered from memory plus a few indexed queries, so each
stays well under 200 ms.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent


def mount(app: FastAPI) -> None:
    """Attach the UI's routes and static files to ``app``."""
    from listguard.ui import pages

    mount_static(app)
    app.include_router(pages.router)
    pages.warm_templates()


def mount_static(app: FastAPI) -> None:
    """Serve the packaged static files at ``/static`` (the UI's, and Swagger UI's for
    ``/docs``), without the UI's pages."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


__all__ = ["mount", "mount_static"]
