"""Webhooks: tell a case-management system about new alerts, without ever slowing screening.

Delivery is an *outbox*: :func:`enqueue` writes one ``mon_deliveries`` row per (webhook, event)
in the same transaction as the alert, so a committed alert always has its notification queued
and a rolled-back run never notifies anything. :func:`deliver` runs *after* the screening
transaction committed, with a time budget: it POSTs due deliveries with a short timeout,
records every attempt (status code or error, duration) in ``mon_delivery_attempts``, and
reschedules failures with exponential backoff and jitter, giving up after ``max_attempts``.
Whatever is still pending when the budget runs out is picked up by the next run or by
``listguard webhook deliver``.

Each POST body is JSON; the header ``X-Listguard-Signature: sha256=<hex>`` is the HMAC-SHA256 of
the exact body bytes with the webhook's secret, so the receiver can check both origin and
integrity (compare with ``hmac.compare_digest``). ``X-Listguard-Delivery`` carries the delivery
id: a receiver that saw a delivery whose response got lost (a timeout) can de-duplicate.
Two processes delivering at once do not double-send: a delivery is claimed by moving its
``next_attempt_at`` forward (a lease) with a conditional UPDATE before it is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
import orjson
from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.engine import Connection

from listguard import __version__, audit
from listguard.monitor import schema as t

SIGNATURE_HEADER = "X-Listguard-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (and what the tests do)."""
    return hmac.compare_digest(sign(secret, body), header or "")


@dataclass
class DeliveryStats:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    pending: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "delivered": self.delivered,
            "failed": self.failed,
            "retrying": self.retrying,
            "pending": self.pending,
            "seconds": round(self.seconds, 3),
        }


def add_webhook(
    engine: Engine, url: str, secret: str, *, portfolio: str | None = None, actor: str | None = None
) -> int:
    """Register a receiver; new alerts (of ``portfolio``, or of every portfolio) go to it."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL {url!r} must start with http:// or https://")
    if len(secret) < 8:
        raise ValueError("webhook secret: use at least 8 characters (it signs every delivery)")
    t.ensure_schema(engine)
    with engine.begin() as conn:
        hook_id = t.new_id(
            conn.execute(
                insert(t.webhooks).values(
                    url=url,
                    secret=secret,
                    portfolio=portfolio,
                    active=1,
                    created_by=actor or audit.whoami(),
                    created_at=audit.now(),
                )
            )
        )
        # The secret itself never goes into the audit log.
        audit.record(conn, "webhook.add", actor, {"webhook_id": hook_id, "url": url, "portfolio": portfolio})
    return hook_id


def remove_webhook(engine: Engine, hook_id: int, *, actor: str | None = None) -> bool:
    t.ensure_schema(engine)
    with engine.begin() as conn:
        done = conn.execute(
            update(t.webhooks).where((t.webhooks.c.id == hook_id) & (t.webhooks.c.active == 1)).values(active=0)
        ).rowcount
        if done:
            conn.execute(
                update(t.deliveries)
                .where((t.deliveries.c.webhook_id == hook_id) & (t.deliveries.c.status == "pending"))
                .values(status="failed", last_error="webhook removed")
            )
            audit.record(conn, "webhook.remove", actor, {"webhook_id": hook_id})
    return bool(done)


def list_webhooks(engine: Engine) -> list[dict[str, Any]]:
    t.ensure_schema(engine)
    with engine.connect() as conn:
        out = []
        for row in conn.execute(select(t.webhooks).order_by(t.webhooks.c.id)):
            data = t.row_dict(row)
            data["secret"] = data["secret"][:2] + "…" if data["secret"] else ""
            out.append(data)
    return out


def enqueue(conn: Connection, portfolio: str, event: str, alert: dict[str, Any], *, now: str | None = None) -> int:
    """Queue ``event`` about ``alert`` for every active webhook that wants this portfolio."""
    hooks = list(
        conn.execute(
            select(t.webhooks.c.id).where(
                (t.webhooks.c.active == 1)
                & or_(t.webhooks.c.portfolio.is_(None), t.webhooks.c.portfolio == portfolio)
            )
        )
    )
    if not hooks:
        return 0
    now = now or audit.now()
    body = orjson.dumps(
        {"event": event, "created_at": now, "portfolio": portfolio, "alert": alert},
        option=orjson.OPT_SORT_KEYS,
        default=str,
    ).decode()
    conn.execute(
        insert(t.deliveries),
        [
            {
                "webhook_id": hook_id,
                "alert_id": alert.get("id"),
                "event": event,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": 0.0,
                "created_at": now,
            }
            for (hook_id,) in hooks
        ],
    )
    return len(hooks)


def _budget() -> float:
    return float(os.environ.get("LISTGUARD_WEBHOOK_BUDGET", "10"))


def deliver(
    engine: Engine,
    *,
    budget_s: float | None = None,
    timeout_s: float = 5.0,
    max_attempts: int = 8,
    backoff_base: float = 2.0,
    backoff_max: float = 3600.0,
    client: httpx.Client | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryStats:
    """Send due deliveries until none is due within the budget (seconds of wall time).

    Retries of a failed delivery wait ``backoff_base * 2**(attempt-1)`` seconds (±20% jitter,
    capped at ``backoff_max``); if the next retry falls inside the budget this call waits for
    it, otherwise it is left for a later call. Never raises for a receiver's failure.
    """
    t.ensure_schema(engine)
    budget = _budget() if budget_s is None else budget_s
    stats = DeliveryStats()
    start = clock()
    deadline = start + budget
    own_client = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False)
    try:
        while True:
            now = clock()
            if now >= deadline:
                break
            with engine.connect() as conn:
                due = list(
                    conn.execute(
                        select(t.deliveries, t.webhooks.c.url, t.webhooks.c.secret)
                        .join(t.webhooks, t.webhooks.c.id == t.deliveries.c.webhook_id)
                        .where((t.deliveries.c.status == "pending") & (t.deliveries.c.next_attempt_at <= now))
                        .order_by(t.deliveries.c.id)
                        .limit(50)
                    )
                )
                if not due:
                    nxt = conn.execute(
                        select(t.deliveries.c.next_attempt_at)
                        .where(t.deliveries.c.status == "pending")
                        .order_by(t.deliveries.c.next_attempt_at)
                        .limit(1)
                    ).scalar()
            if not due:
                if nxt is None or nxt >= deadline:
                    break
                sleep(max(0.0, min(nxt - clock(), deadline - clock())))
                continue
            for row in due:
                if clock() >= deadline:
                    break
                _attempt(engine, http, row, stats, timeout_s, max_attempts, backoff_base, backoff_max, clock)
    finally:
        if own_client:
            http.close()
    with engine.connect() as conn:
        stats.pending = len(list(conn.execute(select(t.deliveries.c.id).where(t.deliveries.c.status == "pending"))))
    stats.seconds = clock() - start
    return stats


def _attempt(
    engine: Engine,
    http: httpx.Client,
    row: Any,
    stats: DeliveryStats,
    timeout_s: float,
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
    clock: Callable[[], float],
) -> None:
    now = clock()
    with engine.begin() as conn:
        claimed = conn.execute(
            update(t.deliveries)
            .where(
                (t.deliveries.c.id == row.id)
                & (t.deliveries.c.status == "pending")
                & (t.deliveries.c.next_attempt_at == row.next_attempt_at)
            )
            .values(next_attempt_at=now + timeout_s + 30.0)
        ).rowcount
    if not claimed:
        return  # another process took it
    body = row.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"listguard/{__version__}",
        SIGNATURE_HEADER: sign(row.secret, body),
        "X-Listguard-Event": row.event,
        "X-Listguard-Delivery": str(row.id),
    }
    status: int | None = None
    error: str | None = None
    began = time.perf_counter()
    try:
        response = http.post(row.url, content=body, headers=headers, timeout=timeout_s)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.TimeoutException:
        error = f"timeout after {timeout_s:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    ms = int((time.perf_counter() - began) * 1000)
    stats.attempted += 1
    attempts = row.attempts + 1
    with engine.begin() as conn:
        conn.execute(
            insert(t.delivery_attempts).values(
                delivery_id=row.id, at=audit.now(), status_code=status, error=error, ms=ms
            )
        )
        if error is None:
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == row.id)
                .values(status="delivered", attempts=attempts, last_status=status, last_error=None, delivered_at=audit.now())
            )
            stats.delivered += 1
        elif attempts >= max_attempts:
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == row.id)
                .values(status="failed", attempts=attempts, last_status=status, last_error=error)
            )
            stats.failed += 1
            stats.errors.append(f"delivery {row.id} to {row.url}: gave up after {attempts} attempts ({error})")
        else:
            wait = min(backoff_max, backoff_base * (2 ** (attempts - 1))) * random.uniform(0.8, 1.2)
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == row.id)
                .values(attempts=attempts, last_status=status, last_error=error, next_attempt_at=clock() + wait)
            )
            stats.retrying += 1
            stats.errors.append(f"delivery {row.id} to {row.url}: {error}; retry in {wait:.1f} s")


def delivery_log(engine: Engine, *, limit: int = 50, webhook_id: int | None = None) -> list[dict[str, Any]]:
    """Deliveries (newest first) with their attempts, for ``listguard webhook log``."""
    t.ensure_schema(engine)
    query = select(t.deliveries, t.webhooks.c.url).join(t.webhooks, t.webhooks.c.id == t.deliveries.c.webhook_id)
    if webhook_id is not None:
        query = query.where(t.deliveries.c.webhook_id == webhook_id)
    query = query.order_by(t.deliveries.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        out = []
        for row in conn.execute(query):
            data = t.row_dict(row)
            data.pop("payload", None)
            data["attempt_log"] = [
                t.row_dict(a)
                for a in conn.execute(
                    select(t.delivery_attempts)
                    .where(t.delivery_attempts.c.delivery_id == row.id)
                    .order_by(t.delivery_attempts.c.id)
                )
            ]
            out.append(data)
    return out


def retry_failed(engine: Engine, *, actor: str | None = None) -> int:
    """Put failed deliveries back in the queue (after a receiver outage was fixed)."""
    t.ensure_schema(engine)
    with engine.begin() as conn:
        n = conn.execute(
            update(t.deliveries)
            .where((t.deliveries.c.status == "failed") & (t.deliveries.c.last_error != "webhook removed"))
            .values(status="pending", attempts=0, next_attempt_at=0.0)
        ).rowcount
        if n:
            audit.record(conn, "webhook.retry", actor, {"deliveries": n})
    return int(n)
