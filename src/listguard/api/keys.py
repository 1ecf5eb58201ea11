"""API keys: who may call the screening service, and as what.

A key is a random token shown once, at creation (``lg_<key id>_<secret>``). The store keeps
only the SHA-256 of the whole token next to the key id, so a stolen database does not yield
working keys, and a request is authenticated by one primary-key lookup plus a constant-time
hash comparison. The key id is not secret: it names the key in ``listguard keys list``, in
logs and in the audit trail, and is what ``revoke`` takes.

Roles are ordered: ``screener`` (match, search, entities, reconciliation) < ``analyst``
(alerts and decisions) < ``admin`` (loads, updates, keys). Each role can do what the ones
below it can.

The table lives in the store's database (SQLite or PostgreSQL) so several server processes
share it; its definition is in :mod:`listguard.store.keys_schema` (re-exported here as
``api_keys`` and ``metadata``), :func:`ensure_schema` creates it when missing, and the Alembic
migrations carry the same definition for deployments that manage their schema.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select, update

from listguard.store.keys_schema import api_keys, metadata

ROLES = ("screener", "analyst", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
PREFIX = "lg"


class KeyProblem(ValueError):
    """A key operation that cannot be done (unknown role, unknown key...)."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    owner: str
    role: str
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None
    rate_limit: int | None = None
    note: str | None = None

    @property
    def active(self) -> bool:
        if self.revoked_at:
            return False
        return not (self.expires_at and self.expires_at <= _now())

    def allows(self, role: str) -> bool:
        """Whether this key's role includes ``role`` (roles are ordered)."""
        return _RANK[self.role] >= _RANK[role]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "role": self.role,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "rate_limit": self.rate_limit,
            "note": self.note,
            "active": self.active,
        }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_schema(engine: Engine) -> None:
    """Create the key table if it does not exist (idempotent, safe for concurrent servers)."""
    metadata.create_all(engine, checkfirst=True)


def _row(r: Any) -> ApiKey:
    return ApiKey(
        id=r.id,
        owner=r.owner,
        role=r.role,
        created_at=r.created_at,
        expires_at=r.expires_at,
        revoked_at=r.revoked_at,
        rate_limit=r.rate_limit,
        note=r.note,
    )


def create_key(
    engine: Engine,
    owner: str,
    role: str,
    *,
    expires_at: str | None = None,
    rate_limit: int | None = None,
    note: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its token; the token is never stored nor shown again."""
    if role not in _RANK:
        raise KeyProblem(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    owner = owner.strip()
    if not owner:
        raise KeyProblem("a key needs an owner (a person or a system), for the audit trail")
    if rate_limit is not None and rate_limit < 0:
        raise KeyProblem("rate limit must be >= 0 requests per minute (0: no limit)")
    ensure_schema(engine)
    key_id = secrets.token_hex(6)
    token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    key = ApiKey(key_id, owner, role, _now(), expires_at, None, rate_limit, note)
    with engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                id=key.id,
                owner=key.owner,
                role=key.role,
                hash=_digest(token),
                created_at=key.created_at,
                expires_at=expires_at,
                rate_limit=rate_limit,
                note=note,
            )
        )
    return key, token


def list_keys(engine: Engine, include_revoked: bool = True) -> list[ApiKey]:
    ensure_schema(engine)
    with engine.connect() as conn:
        keys = [_row(r) for r in conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id))]
    return keys if include_revoked else [k for k in keys if k.active]


def revoke_key(engine: Engine, key_id: str) -> ApiKey:
    """Revoke a key by id (or by its full token); revoking twice keeps the first date."""
    ensure_schema(engine)
    parsed = _split(key_id)
    if parsed:
        key_id = parsed[0]
    with engine.begin() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        if row is None:
            raise KeyProblem(f"no key with id {key_id!r}; see `listguard keys list`")
        if row.revoked_at is None:
            conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=_now()))
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    return _row(row)


def active_key_count(engine: Engine) -> int:
    """Keys that still work (the server checks this every few seconds: one small query)."""
    from sqlalchemy import func, or_

    now = _now()
    query = select(func.count()).select_from(api_keys).where(
        api_keys.c.revoked_at.is_(None) & or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > now)
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def _split(token: str) -> tuple[str, str] | None:
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def verify_token(engine: Engine, token: str) -> ApiKey | None:
    """The active key a token belongs to, or None (unknown, wrong secret, revoked, expired)."""
    parsed = _split(token)
    if parsed is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == parsed[0])).first()
    if row is None or not hmac.compare_digest(row.hash, _digest(token.strip())):
        return None
    key = _row(row)
    return key if key.active else None


class KeyCache:
    """Token -> key lookups cached for a few seconds.

    Authenticating every request against the database would cost a round trip per screening
    call; a short TTL keeps that off the hot path while a revocation still takes effect
    within ``ttl`` seconds on every server process.
    """

    def __init__(self, engine: Engine, ttl: float = 5.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, ApiKey | None]] = {}
        self._count: tuple[float, int] | None = None

    def lookup(self, token: str) -> ApiKey | None:
        now = time.monotonic()
        hit = self._tokens.get(token)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        key = verify_token(self.engine, token)
        with self._lock:
            if len(self._tokens) > 10_000:  # a flood of bad tokens must not grow memory
                self._tokens.clear()
            self._tokens[token] = (now, key)
        return key

    def active_count(self) -> int:
        now = time.monotonic()
        if self._count is not None and now - self._count[0] < self.ttl:
            return self._count[1]
        n = active_key_count(self.engine)
        self._count = (now, n)
        return n

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._count = None
