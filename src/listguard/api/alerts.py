"""Alert and decision endpoints: the monitoring alerts (``listguard.monitor``), for analysts.

Reading and deciding go through the monitoring package's own functions, so a decision made
over HTTP is exactly a ``listguard decide``: it is remembered for that record and entity
version and lands in the audit trail, here with the API key's owner as the actor.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from listguard.api.context import ctx, require
from listguard.api.routes import json_response
from listguard.api.security import ApiError, Principal
from listguard.monitor import alerts as monitor_alerts
from listguard.monitor import decisions as monitor_decisions
from listguard.monitor import schema as monitor_schema

router = APIRouter(tags=["alerts"])

STATUSES = ("open", "false_positive", "true_match", "escalated", "closed", "all")


class DecisionRequest(BaseModel):
    decision: str = Field(description="false_positive, true_match or escalate.", examples=["false_positive"])
    reason: str = Field(description="Why: kept in the decision history and the audit trail.",
                        examples=["Different person: date of birth 1985-03-02 per passport copy"])


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


@router.get("/alerts", summary="Monitoring alerts, newest first")
def get_alerts(
    request: Request,
    status: str = Query("open", description=f"One of {', '.join(STATUSES)}."),
    portfolio: str | None = Query(None),
    limit: int = Query(200, ge=1, le=10_000),
    _principal: Principal = Depends(require("analyst")),
) -> Response:
    alerts = list_alerts(request, status, portfolio, limit)
    counts = monitor_alerts.count_by_status(ctx(request).store.engine, portfolio or None)
    return json_response({"alerts": alerts, "counts": counts, "limit": limit})


@router.get("/alerts/{alert_id}", summary="One alert with its decision history")
def get_alert(
    request: Request,
    alert_id: int = Path(),
    _principal: Principal = Depends(require("analyst")),
) -> Response:
    alert = monitor_alerts.get_alert(ctx(request).store.engine, alert_id)
    if alert is None:
        raise ApiError(404, f"no alert {alert_id}")
    return json_response(alert)


@router.post("/alerts/{alert_id}/decision", summary="Decide an alert (false positive, true match, escalate)")
def post_decision(
    request: Request,
    body: DecisionRequest,
    alert_id: int = Path(),
    principal: Principal = Depends(require("analyst")),
) -> Response:
    """Record a decision. A false positive is remembered for this record and this version of
    the entity: the pair does not alert again until either changes. Audited with the key's
    owner."""
    return json_response(decide(request, alert_id, body.decision, body.reason, principal))


@router.get("/decisions", summary="Decision history, newest first")
def get_decisions(
    request: Request,
    limit: int = Query(200, ge=1, le=10_000),
    alert_id: int | None = Query(None),
    _principal: Principal = Depends(require("analyst")),
) -> Response:
    return json_response({"decisions": decision_history(request, limit, alert_id)})
