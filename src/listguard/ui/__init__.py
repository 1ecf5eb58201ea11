"""The analyst web UI: server-rendered pages (Jinja2) with a little vanilla JS and CSS.

Served by the API app itself (same process, same snapshot, same keys), with every asset
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

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    pages.warm_templates()


__all__ = ["mount"]
