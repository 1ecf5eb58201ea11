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
        if not host_allowed(request, self.config.allowed_hosts):
            raise ApiError(
                421,
                f"this server has no API keys yet, so it only answers requests addressed to this "
                f"machine (localhost, 127.0.0.1), not to {request.headers.get('host', '')!r}: a web page "
                "could otherwise reach it through DNS rebinding. Allow a name with "
                "`listguard serve --allowed-host NAME`, or create an API key",
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


# -- DNS rebinding, proxies, browser headers, strict JSON (issue 13) -----------------------------


def host_name(host_header: str) -> str:
    """The host name of a ``Host`` header value, lower-cased, without port or brackets."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_loopback_name(host: str) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761) or a loopback address."""
    return host == "localhost" or host.endswith(".localhost") or is_loopback_host(host)


def host_allowed(request: Request, allowed: tuple[str, ...]) -> bool:
    """Whether a keyless server may answer a request addressed to this ``Host``.

    A web page can make a browser send requests to 127.0.0.1 under its own domain name (DNS
    rebinding), so a server answering without keys answers only requests addressed to a
    loopback name, or to a name the operator allowed (``listguard serve --allowed-host``).
    Starlette's in-process test client (peer ``testclient``, Host ``testserver``) is local.
    """
    name = host_name(request.headers.get("host", ""))
    if not name:
        return False
    if is_loopback_name(name) or name in allowed or "*" in allowed:
        return True
    client = request.client
    return name == "testserver" and client is not None and client.host == "testclient"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def forwarded_proto(value: str) -> str | None:
    """The ``proto`` of the first element of an RFC 7239 ``Forwarded`` header."""
    first = value.split(",", 1)[0]
    for pair in first.split(";"):
        key, _, val = pair.strip().partition("=")
        if key.strip().lower() == "proto":
            val = val.strip().strip('"').lower()
            return val if val in ("http", "https") else None
    return None


def _trusted_proxies() -> frozenset[str]:
    import os

    raw = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")  # uvicorn's setting and default
    return frozenset(p.strip() for p in raw.split(",") if p.strip())


#: The UI's policy: everything from this server only; inline style attributes (score bars).
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Swagger UI (/docs) starts itself with an inline script.
DOCS_CSP = UI_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
#: OpenRefine shows the reconciliation preview card in a frame of its own page.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"


class BrowserSafetyMiddleware:
    """Headers a browser needs, and the scheme a TLS-terminating proxy reports.

    * ``Forwarded: proto=https`` (RFC 7239) from a trusted proxy (uvicorn's
      ``FORWARDED_ALLOW_IPS``, default 127.0.0.1) makes the request https, as uvicorn already
      does for ``X-Forwarded-Proto`` (which wins when both are sent): cookies get ``Secure``
      and links ``https``.
    * HTML responses carry a Content-Security-Policy and refuse framing (``frame-ancestors
      'none'``, ``X-Frame-Options: DENY``: clickjacking), except the reconciliation preview,
      which OpenRefine frames; every response carries ``X-Content-Type-Options: nosniff``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.trusted = _trusted_proxies()

    def _trusts(self, scope: Scope) -> bool:
        client = scope.get("client")
        host = client[0] if client else None
        if host is None or host == "testclient" or "*" in self.trusted:
            return True
        return host in self.trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fwd = _header(scope, b"forwarded")
        if fwd is not None and _header(scope, b"x-forwarded-proto") is None and self._trusts(scope):
            proto = forwarded_proto(fwd.decode("latin-1"))
            if proto is not None and proto != scope.get("scheme"):
                scope = dict(scope, scheme=proto)
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                ctype = b""
                for key, value in headers:
                    if key.lower() == b"content-type":
                        ctype = value
                extra = [(b"x-content-type-options", b"nosniff")]
                if ctype.startswith(b"text/html"):
                    if "/reconcile/" in path and path.endswith("/preview"):
                        extra.append((b"content-security-policy", PREVIEW_CSP.encode()))
                    else:
                        csp = DOCS_CSP if path == "/docs" else UI_CSP
                        extra += [
                            (b"content-security-policy", csp.encode()),
                            (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"same-origin"),
                        ]
                message = dict(message, headers=headers + extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def lone_surrogates(value: Any) -> bool:
    """Whether a parsed JSON value holds a string with an unpaired UTF-16 surrogate (which
    no UTF-8 text can carry: it cannot be stored, echoed or compared)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class StrictJsonMiddleware:
    """Refuse (422) JSON bodies that Python's lenient parser would accept but that are not
    text: invalid UTF-8 (which crashed the parser), or a lone surrogate escape such as
    ``"\\ud800"`` (which crashed the response). orjson, the fast lane's parser, refuses both,
    so the fast lane and FastAPI's path give the same answer for every body. Well-formed
    bodies cost one orjson parse; only bodies orjson refuses are looked at further.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        ctype = (_header(scope, b"content-type") or b"").partition(b";")[0].strip().lower()
        if not (ctype.startswith(b"application/") and (ctype.endswith(b"/json") or ctype.endswith(b"+json"))):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # disconnect: let the app see it
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = _json_problem(body)
        if problem is not None:
            import orjson

            detail = f"invalid request: body: {problem}"
            payload = orjson.dumps({
                "detail": detail,
                "status": 422,
                "errors": [{"loc": ["body"], "msg": problem, "type": "json_invalid"}],
            })
            await send({
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            })
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _json_problem(body: bytes) -> str | None:
    if not body:
        return None
    import json

    import orjson

    try:
        orjson.loads(body)
        return None
    except orjson.JSONDecodeError:
        pass
    try:
        data = json.loads(body)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start}): JSON decode error"
    except ValueError:
        return None  # plainly malformed: FastAPI reports it (422 json_invalid) as always
    except RecursionError:
        return "nested too deeply: JSON decode error"
    if lone_surrogates(data):
        return "a string holds a lone UTF-16 surrogate escape (e.g. \\ud800): JSON decode error"
    return None
