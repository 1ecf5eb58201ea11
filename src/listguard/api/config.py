"""Server settings, read from the environment.

The environment (not arguments) carries them because ``listguard serve --workers N`` starts
worker processes through uvicorn's app factory, which calls
:func:`listguard.server.create_app` with no arguments in each worker: the environment is what
all of them share.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {value!r}") from exc


def _int(name: str, default: int) -> int:
    return int(_float(name, default))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ServerConfig:
    """Limits and switches of one server."""

    #: Seconds between checks for a new list version (0 disables hot reload).
    reload_seconds: float = 5.0
    #: Largest request body accepted, in bytes (413 beyond).
    max_body_bytes: int = 1_000_000
    #: Most queries in one ``/match`` or ``/reconcile`` request (yente's default batch is 100).
    max_queries: int = 100
    #: Largest ``limit`` a caller may ask for.
    max_limit: int = 500
    #: Requests per key per minute when the key sets none (0: unlimited).
    rate_limit: int = 6000
    #: Require an API key even when none exists yet (then every call is refused until one does).
    require_keys: bool = False
    #: Secret that signs UI form tokens (CSRF). Random per process unless set: set it when
    #: several workers serve the UI so a form rendered by one is accepted by another.
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    #: Host names a keyless server answers besides loopback ones (``serve --allowed-host``,
    #: ``LISTGUARD_ALLOWED_HOSTS``, comma-separated): DNS rebinding protection.
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> "ServerConfig":
        return cls(
            reload_seconds=_float("LISTGUARD_RELOAD_SECONDS", 5.0),
            max_body_bytes=_int("LISTGUARD_MAX_BODY_BYTES", 1_000_000),
            max_queries=_int("LISTGUARD_MAX_QUERIES", 100),
            max_limit=_int("LISTGUARD_MAX_LIMIT", 500),
            rate_limit=_int("LISTGUARD_RATE_LIMIT", 6000),
            require_keys=_bool("LISTGUARD_REQUIRE_KEYS"),
            secret=os.environ.get("LISTGUARD_SECRET") or secrets.token_hex(32),
            allowed_hosts=_hosts(os.environ.get("LISTGUARD_ALLOWED_HOSTS", "")),
        )


def _hosts(value: str) -> tuple[str, ...]:
    return tuple(h.strip().lower().rstrip(".") for h in value.split(",") if h.strip())
