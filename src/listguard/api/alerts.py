"""Alert and decision endpoints: the monitoring alerts (``listguard.monitor``), for analysts.

Reading and deciding go through the monitoring package's own functions (by way of
:mod:`listguard.api.alert_service`, which the UI's alert pages share), so a decision made over
HTTP is exactly a ``listguard decide``: it is remembered for that record and entity version and
lands in the audit trail, here with the API key's owner as the actor.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from listguard.api.alert_service import (
    STATUSES,
    alert_counts,
    decide,
    decision_history,
    get_alert as read_alert,
    list_alerts,
)
from listguard.api.context import require
from listguard.api.routes import json_response
from listguard.api.security import Principal

router = APIRouter(tags=["alerts"])


class DecisionRequest(BaseModel):
    decision: str = Field(description="false_positive, true_match or escalate.", examples=["false_positive"])
    reason: str = Field(description="Why: kept in the decision history and the audit trail.",
                        examples=["Different person: date of birth 1985-03-02 per passport copy"])


@router.get("/alerts", summary="Monitoring alerts, newest first")
def get_alerts(
    request: Request,
    status: str = Query("open", description=f"One of {', '.join(STATUSES)}."),
    portfolio: str | None = Query(None),
    limit: int = Query(200, ge=1, le=10_000),
    _principal: Principal = Depends(require("analyst")),
) -> Response:
    alerts = list_alerts(request, status, portfolio, limit)
    counts = alert_counts(request, portfolio)
    return json_response({"alerts": alerts, "counts": counts, "limit": limit})


@router.get("/alerts/{alert_id}", summary="One alert with its decision history")
def get_alert(
    request: Request,
    alert_id: int = Path(),
    _principal: Principal = Depends(require("analyst")),
) -> Response:
    return json_response(read_alert(request, alert_id))


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
