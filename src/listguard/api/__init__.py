"""listguard's HTTP service: a yente-compatible screening API and the analyst web UI.

Start it with ``listguard serve``; build it in code with :func:`create_app`.
"""

from __future__ import annotations

from listguard.api.app import create_app

__all__ = ["create_app"]
