"""listguard's HTTP service: a yente-compatible screening API (the analyst web UI is
:mod:`listguard.ui`, a client of this package's service layer).

Start the server with ``listguard serve``; build it in code with
:func:`listguard.server.create_app` (API and UI), or :func:`create_api` for the API alone.
"""

from __future__ import annotations

from listguard.api.app import create_api

__all__ = ["create_api"]
