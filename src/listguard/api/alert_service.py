"""Alert casework over HTTP: what the alert routes and the UI's alert pages both call.

Reading and deciding go through the monitoring package's own functions, so a decision made
over HTTP or in the UI is exactly a ``listguard decide``: it is remembered for that record and
entity version and lands in the audit trail, here with the API key's owner as the actor.
Problems are :class:`~listguard.api.security.ApiError` with the status the caller should see.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select

from listguard.api.context import ctx
from listguard.api.security import ApiError, Principal
from listguard.monitor import alerts as monitor_alerts
from listguard.monitor import decisions as monitor_decisions
from listguard.monitor import schema as monitor_schema

STATUSES = ("open", "false_positive", "true_match", "escalated", "closed", "all")


def list_alerts(request: Request, status: str, portfolio: str | None, limit: int) -> list[dict[str, Any]]:
    if status not in STATUSES:
        raise ApiError(400, f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    return monitor_alerts.list_alerts(
        ctx(request).store.engine, status=status, portfolio=portfolio or None, limit=limit
    )


def decision_history(request: Request, limit: int = 200, alert_id: int | None = None) -> list[dict[str, Any]]:
    """Decisions, newest first (read-only over the monitoring tables)."""
    engine = ctx(request).store.engine
    monitor_schema.ensure_schema(engine)
    t = monitor_schema.decisions
    query = select(t).order_by(t.c.id.desc()).limit(limit)
    if alert_id is not None:
        query = query.where(t.c.alert_id == alert_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def decide(request: Request, alert_id: int, decision: str, reason: str, principal: Principal) -> dict[str, Any]:
    try:
        return monitor_decisions.decide(
            ctx(request).store.engine, alert_id, decision, reason=reason, by=principal.actor
        )
    except monitor_decisions.DecisionError as exc:
        status = 404 if str(exc).startswith("no alert") else 400
        raise ApiError(status, str(exc)) from exc


def alert_counts(request: Request, portfolio: str | None) -> dict[str, int]:
    """Alerts per status (of one portfolio, or all)."""
    return monitor_alerts.count_by_status(ctx(request).store.engine, portfolio or None)


def get_alert(request: Request, alert_id: int) -> dict[str, Any]:
    """One alert with its decision history (404 when there is none)."""
    alert = monitor_alerts.get_alert(ctx(request).store.engine, alert_id)
    if alert is None:
        raise ApiError(404, f"no alert {alert_id}")
    return alert
