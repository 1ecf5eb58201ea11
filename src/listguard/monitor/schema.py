"""Monitoring's use of its tables: create them on first use, read rows as plain dicts.

The table definitions (and the design notes on them) live with the store, in
:mod:`listguard.store.monitor_schema`, because the store's migrations describe them; they are
re-exported here, so monitoring code reads ``schema.alerts``, ``schema.records``... as before.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine

from listguard.store.monitor_schema import (
    alerts,
    allow,
    decisions,
    deliveries,
    delivery_attempts,
    metadata,
    portfolios,
    records,
    runs,
    webhooks,
)

__all__ = [
    "alerts",
    "allow",
    "decisions",
    "deliveries",
    "delivery_attempts",
    "ensure_schema",
    "metadata",
    "new_id",
    "portfolios",
    "records",
    "row_dict",
    "runs",
    "webhooks",
]

_ready: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def ensure_schema(engine: Engine) -> None:
    """Create the monitoring (and audit) tables if missing; cheap after the first call."""
    if engine in _ready:
        return
    from listguard import audit

    metadata.create_all(engine)
    audit.ensure_schema(engine)
    _ready.add(engine)


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain ``dict[str, ...]``.

    Column names are SQLAlchemy ``quoted_name`` objects (a ``str`` subclass), which orjson
    refuses as dict keys; every row that becomes JSON goes through here.
    """
    return {str(k): v for k, v in row._mapping.items()}


def new_id(result: Any) -> int:
    """The primary key an INSERT generated."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
