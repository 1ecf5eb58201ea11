"""Who is calling, what they may do, and how much: keys, roles, limits and clear errors.

Two modes, decided per request from the store (cached a few seconds):

* **keys**: at least one active key exists (or ``LISTGUARD_REQUIRE_KEYS`` is set). Every API
  call needs a key (401 without one or with a bad one) whose role covers the endpoint (403
  otherwise). The key's owner is who the audit trail names.
* **open**: no key exists yet. This is the "new user runs ``listguard serve`` on their own
  machine" case: everything is allowed, but only from loopback clients (``listguard serve``
  also refuses to bind a non-loopback address in this mode; the check here catches an app
  mounted some other way). The actor is ``local:<os user>``.

A key is read from ``Authorization: ApiKey <token>`` (OpenSanctions' scheme, so yente clients
configured with a key work), ``Authorization: Bearer <token>``, ``X-API-Key``, the ``api_key``
query parameter, or the UI's cookie.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from listguard.api.config import ServerConfig
from listguard.api.keys import ROLES, KeyCache

COOKIE = "listguard_key"


class ApiError(Exception):
    """An error the client can act on: becomes ``{"detail": ..., "status": ...}`` JSON."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    owner: str
    role: str
    key_id: str | None = None
    #: Requests per minute allowed (0: unlimited).
    rate_limit: int = 0

    @property
    def actor(self) -> str:
        """The name written to the audit trail: the key's owner and its id."""
        return f"{self.owner} (key {self.key_id})" if self.key_id else self.owner

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@functools.lru_cache(maxsize=4096)
def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` only exposes the server to this machine."""
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _client_is_local(request: Request) -> bool:
    client = request.client
    if client is None:
        return True  # in-process (ASGI) calls have no peer
    if client.host == "testclient":  # Starlette's TestClient, in-process as well
        return True
    return is_loopback_host(client.host)


def token_from(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("apikey", "bearer", "token") and value.strip():
            return value.strip()
    candidates: tuple[str | None, ...] = (
        request.headers.get("x-api-key"),
        request.query_params.get("api_key"),
        request.cookies.get(COOKIE),
    )
    for candidate in candidates:
        if candidate:
            return candidate
    return None


class RateLimiter:
    """A token bucket per key: ``limit`` requests per minute, bursts up to a minute's worth.

    In memory, per server process: with ``--workers N`` a key can make up to N times its
    limit across processes. That is the usual trade (no shared state on the hot path) and
    is documented as such.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, limit: int) -> float:
        """Spend one request; return 0.0 if allowed, else the seconds until the next one is."""
        if limit <= 0:
            return 0.0
        rate = limit / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(limit), now))
            tokens = min(float(limit), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0


class Authenticator:
    """Resolves a request to a :class:`Principal` and enforces role and rate limit."""

    def __init__(self, cache: KeyCache, config: ServerConfig, local_owner: str) -> None:
        self.cache = cache
        self.config = config
        self.local_owner = local_owner
        self.limiter = RateLimiter()

    def keys_required(self) -> bool:
        return self.config.require_keys or self.cache.active_count() > 0

    def identify(self, request: Request) -> Principal | None:
        """The caller, or None when keys are required and none (valid) was given."""
        token = token_from(request)
        if token:
            key = self.cache.lookup(token)
            if key is not None:
                limit = self.config.rate_limit if key.rate_limit is None else key.rate_limit
                return Principal(key.owner, key.role, key.id, limit)
            if self.keys_required():
                return None
        if self.keys_required():
            return None
        if not _client_is_local(request):
            raise ApiError(
                403,
                "this server has no API keys yet, so it only answers requests from this machine; "
                "create one with `listguard keys create OWNER --role screener`",
            )
        return Principal(f"local:{self.local_owner}", "admin")

    def check(self, request: Request, role: str) -> Principal:
        principal = self.identify(request)
        if principal is None:
            given = token_from(request) is not None
            raise ApiError(
                401,
                "invalid, revoked or expired API key" if given else
                "an API key is required: send `Authorization: ApiKey <token>` (or X-API-Key)",
                headers={"WWW-Authenticate": 'ApiKey realm="listguard"'},
            )
        if not principal.allows(role):
            raise ApiError(
                403,
                f"this key's role is {principal.role!r}; this endpoint needs {role!r} or above",
                required_role=role,
                role=principal.role,
            )
        wait = self.limiter.take(principal.key_id or "local", principal.rate_limit)
        if wait > 0:
            raise ApiError(
                429,
                f"rate limit of {principal.rate_limit} requests per minute reached for this key; "
                f"retry in {wait:.1f}s",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
                retry_after=round(wait, 2),
            )
        request.state.principal = principal
        return principal

    def require(self, role: str) -> Callable[[Request], Awaitable[Principal]]:
        """A FastAPI dependency that admits callers with ``role`` or above."""
        if role not in ROLES:
            raise ValueError(role)

        async def dependency(request: Request) -> Principal:
            return self.check(request, role)

        dependency.__name__ = f"require_{role}"
        return dependency


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, before anything reads them.

    A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted
    as it streams and cut off when it passes the limit, so a client cannot make the server
    buffer an unbounded body either way.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await _send_json(send, 413, self._message(declared))
                    return
        seen = 0
        limit = self.limit
        too_big = False

        async def counting_receive() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    too_big = True
                    raise _BodyTooLarge()
            return message

        replaced = False

        async def guarded_send(message: Message) -> None:
            # The app may catch our exception while reading the body (FastAPI turns body
            # errors into a 400): whatever it answers then, the client gets the 413.
            nonlocal replaced
            if too_big:
                if message["type"] == "http.response.start" and not replaced:
                    replaced = True
                    await _send_json(send, 413, self._message(seen))
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            if not replaced:
                await _send_json(send, 413, self._message(seen))
        except Exception:
            if too_big and not replaced:
                await _send_json(send, 413, self._message(seen))
            else:
                raise

    def _message(self, size: int) -> str:
        return (
            f"request body too large: {size:,} bytes > limit {self.limit:,} "
            "(LISTGUARD_MAX_BODY_BYTES); split the batch into several requests"
        )


class _BodyTooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, detail: str) -> None:
    import orjson

    body = orjson.dumps({"detail": detail, "status": status})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
