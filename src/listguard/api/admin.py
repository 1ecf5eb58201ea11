"""Admin endpoints: API keys and who am I.

Key management over HTTP mirrors ``listguard keys``; creating a key returns its token once.
Every key change is written to the audit trail with the admin's name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from listguard.api.context import ctx, require
from listguard.api.keys import ROLES, KeyProblem, create_key, list_keys, revoke_key
from listguard.api.routes import json_response
from listguard.api.security import ApiError, Principal

router = APIRouter(tags=["admin"])


class KeyRequest(BaseModel):
    owner: str = Field(description="Who uses the key (a person or a system); named in the audit trail.")
    role: str = Field("screener", description=f"One of {', '.join(ROLES)}.")
    rate_limit: int | None = Field(None, description="Requests per minute (default: the server's).")
    expires_at: str | None = Field(None, description="ISO date-time after which the key stops working.")
    note: str | None = None


def audit(request: Request, action: str, principal: Principal, details: dict[str, Any]) -> None:
    """Write an admin action to the audit trail (the trail is the monitoring issue's)."""
    from listguard import audit as trail

    trail.record(ctx(request).store.engine, action, principal.actor, details, [])


@router.get("/whoami", summary="The caller's key, owner and role")
async def whoami(principal: Principal = Depends(require("screener"))) -> Response:
    return json_response(
        {"owner": principal.owner, "role": principal.role, "key_id": principal.key_id,
         "rate_limit_per_minute": principal.rate_limit}
    )


@router.get("/admin/keys", summary="List API keys (never their tokens)")
def get_keys(request: Request, _principal: Principal = Depends(require("admin"))) -> Response:
    return json_response({"keys": [k.to_dict() for k in list_keys(ctx(request).store.engine)]})


@router.post("/admin/keys", status_code=201, summary="Create an API key; the token is shown once")
def post_key(request: Request, body: KeyRequest, principal: Principal = Depends(require("admin"))) -> Response:
    c = ctx(request)
    try:
        key, token = create_key(
            c.store.engine, body.owner, body.role,
            rate_limit=body.rate_limit, expires_at=body.expires_at, note=body.note,
        )
    except KeyProblem as exc:
        raise ApiError(400, str(exc)) from exc
    c.auth.cache.clear()
    audit(request, "key_create", principal, {"key_id": key.id, "owner": key.owner, "role": key.role})
    return json_response({"key": key.to_dict(), "token": token}, status=201)


@router.delete("/admin/keys/{key_id}", summary="Revoke an API key")
def delete_key(request: Request, key_id: str, principal: Principal = Depends(require("admin"))) -> Response:
    c = ctx(request)
    try:
        key = revoke_key(c.store.engine, key_id)
    except KeyProblem as exc:
        raise ApiError(404, str(exc)) from exc
    c.auth.cache.clear()
    audit(request, "key_revoke", principal, {"key_id": key.id, "owner": key.owner})
    return json_response({"key": key.to_dict()})
