"""Versioned storage of list entities (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from listguard.settings import database_url
from listguard.store.store import LoadReport, Store, VersionInfo


def open_store(url: str | None = None) -> Store:
    """Open (creating if needed) the store at ``url`` or the configured default."""
    return Store(url or database_url())


__all__ = ["Store", "VersionInfo", "LoadReport", "open_store"]
