"""What every route reaches through ``request.app.state.lg``: store, index, auth, limits.

Also the one place that turns a matcher query into hits over a snapshot, so ``/match``,
``/search``, ``/reconcile`` and the UI's screen form rank the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from fastapi import Request

from listguard import matching
from listguard.api.config import ServerConfig
from listguard.api.security import ApiError, Authenticator, Principal
from listguard.api.service import ScreeningService, Snapshot
from listguard.api.views import DiffCache
from listguard.store import Store


@dataclass
class AppContext:
    store: Store
    service: ScreeningService
    auth: Authenticator
    config: ServerConfig
    diffs: DiffCache = field(default_factory=DiffCache)


def ctx(request: Request) -> AppContext:
    return request.app.state.lg  # type: ignore[no-any-return]


def require(role: str) -> Callable[[Request], Any]:
    """Dependency: the caller must hold ``role`` (or above); returns the :class:`Principal`."""

    async def dependency(request: Request) -> Principal:
        return ctx(request).auth.check(request, role)

    dependency.__name__ = f"require_{role}"
    return dependency


def snapshot(request: Request) -> Snapshot:
    service = ctx(request).service
    if not service.ready:
        raise ApiError(503, "the screening index is still being built; retry in a few seconds",
                       headers={"Retry-After": "5"})
    return service.snapshot


def default_threshold() -> float:
    """The product's match threshold (:data:`listguard.matching.DEFAULT_THRESHOLD`)."""
    return matching.DEFAULT_THRESHOLD


def resolve_dataset(snap: Snapshot, dataset: str) -> list[str] | None:
    """``default`` (or ``all``) means every loaded list; otherwise one loaded dataset."""
    if dataset in ("default", "all"):
        return None
    if dataset not in snap.datasets:
        known = ", ".join(sorted(snap.datasets)) or "none loaded yet"
        raise ApiError(404, f"unknown dataset {dataset!r}; use 'default' or one of: {known} (see /catalog)")
    return [dataset]


def screen(
    snap: Snapshot,
    fields: dict[str, Any],
    datasets: list[str] | None,
    limit: int,
    threshold: float | None,
    exclude: set[str] | frozenset[str] = frozenset(),
) -> list[matching.Hit]:
    """Ranked hits for one query (at most ``limit``, ``exclude``d ids removed)."""
    try:
        query = matching.Query(datasets=datasets, **fields)
    except ValueError as exc:  # the matcher's own validation (schema...): the caller's fault
        raise ApiError(400, str(exc)) from exc
    hits = snap.screener.screen(query, limit=limit + len(exclude), threshold=threshold)
    if exclude:
        hits = [h for h in hits if h.entity_id not in exclude]
    return list(hits[:limit])
