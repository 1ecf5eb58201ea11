"""Analyst decisions on alerts, and the good-guy (allow) list.

A decision sets the alert's status and is kept as history in ``mon_decisions`` with who, when
and why. A ``false_positive`` decision is *remembered* through the alert itself: the alert keeps
the record's and the entity's screening hashes, and :func:`listguard.monitor.alerts.raise_alerts`
does not raise that pair again while both hashes are the same. That is deliberately narrower
than "never alert this pair again": if the list adds a birth date or a passport to the entity,
or the customer's record changes, the analyst must look again.

The good-guy list is the broader tool, for a pair the bank has verified out of band: while an
allow entry is active (not revoked, not expired) the pair never alerts, whatever changes. An
expiry forces a re-check: the first run after it re-screens the pair and raises an
``allow_expired`` alert if it still matches.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select, update

from listguard import audit
from listguard.monitor import schema as t
from listguard.monitor.alerts import alert_dict, close_alerts

DECISIONS = {"false_positive": "false_positive", "true_match": "true_match", "escalate": "escalated", "escalated": "escalated"}


class DecisionError(ValueError):
    """A decision that cannot be applied (unknown alert, empty reason...)."""


def decide(engine: Engine, alert_id: int, decision: str, *, reason: str, by: str | None = None) -> dict[str, Any]:
    """Record an analyst's decision on one alert; return the updated alert."""
    from listguard.monitor import webhooks

    t.ensure_schema(engine)
    status = DECISIONS.get(decision)
    if status is None:
        raise DecisionError(f"unknown decision {decision!r}: use false_positive, true_match or escalate")
    if not reason or not reason.strip():
        raise DecisionError("give a --reason: a decision without one cannot be audited")
    actor = by or audit.whoami()
    now = audit.now()
    with engine.begin() as conn:
        # Write first (takes the lock on SQLite, the row lock on PostgreSQL), then read.
        done = conn.execute(
            update(t.alerts).where(t.alerts.c.id == alert_id).values(status=status, updated_at=now)
        ).rowcount
        if not done:
            raise DecisionError(f"no alert {alert_id}; see `listguard alerts --status all`")
        row = conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).one()
        conn.execute(
            insert(t.decisions).values(
                alert_id=alert_id,
                portfolio=row.portfolio,
                record_id=row.record_id,
                entity_id=row.entity_id,
                record_hash=row.record_hash,
                entity_hash=row.entity_hash,
                decision=status,
                reason=reason.strip(),
                decided_by=actor,
                decided_at=now,
            )
        )
        audit.record(
            conn,
            "alert.decide",
            actor,
            {
                "alert_id": alert_id,
                "portfolio": row.portfolio,
                "record_id": row.record_id,
                "entity_id": row.entity_id,
                "decision": status,
                "reason": reason.strip(),
                "record_hash": row.record_hash,
                "entity_hash": row.entity_hash,
            },
            [row.version_id],
        )
        data = alert_dict(row)
        webhooks.enqueue(conn, row.portfolio, "alert.decided", data, now=now)
    return data


def _parse_expiry(expires: str | date | datetime | None) -> str | None:
    if expires is None or expires == "":
        return None
    if isinstance(expires, datetime):
        value = expires if expires.tzinfo else expires.replace(tzinfo=timezone.utc)
    elif isinstance(expires, date):
        value = datetime(expires.year, expires.month, expires.day, tzinfo=timezone.utc)
    else:
        try:
            value = datetime.fromisoformat(expires.strip())
        except ValueError:
            raise DecisionError(f"--expires {expires!r}: use a date like 2026-12-31") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def allow(
    engine: Engine,
    record_id: str,
    entity_id: str,
    *,
    reason: str,
    portfolio: str = "default",
    by: str | None = None,
    expires: str | date | datetime | None = None,
) -> dict[str, Any]:
    """Put a (record, entity) pair on the good-guy list; its open alerts close as ``allowed``."""
    t.ensure_schema(engine)
    if not reason or not reason.strip():
        raise DecisionError("give a --reason: an allow entry without one cannot be audited")
    expires_at = _parse_expiry(expires)
    now = audit.now()
    if expires_at is not None and expires_at <= now:
        raise DecisionError(f"--expires {expires}: that is already in the past")
    actor = by or audit.whoami()
    with engine.begin() as conn:
        exists = conn.execute(
            select(t.portfolios.c.name).where(t.portfolios.c.name == portfolio)
        ).first()
        if exists is None:
            raise DecisionError(f"no portfolio {portfolio!r}; see `listguard monitor list`")
        allow_id = t.new_id(
            conn.execute(
                insert(t.allow).values(
                    portfolio=portfolio,
                    record_id=record_id,
                    entity_id=entity_id,
                    reason=reason.strip(),
                    created_by=actor,
                    created_at=now,
                    expires_at=expires_at,
                    revoked_at=None,
                    expiry_handled=0,
                )
            )
        )
        audit.record(
            conn,
            "allow.add",
            actor,
            {
                "allow_id": allow_id,
                "portfolio": portfolio,
                "record_id": record_id,
                "entity_id": entity_id,
                "reason": reason.strip(),
                "expires_at": expires_at,
            },
        )
        open_ids = [
            r[0]
            for r in conn.execute(
                select(t.alerts.c.id).where(
                    (t.alerts.c.portfolio == portfolio)
                    & (t.alerts.c.record_id == record_id)
                    & (t.alerts.c.entity_id == entity_id)
                    & (t.alerts.c.status == "open")
                )
            )
        ]
        closed = close_alerts(conn, open_ids, "allowed", actor=actor, now=now, note=f"allow entry {allow_id}")
    return {
        "id": allow_id,
        "portfolio": portfolio,
        "record_id": record_id,
        "entity_id": entity_id,
        "reason": reason.strip(),
        "expires_at": expires_at,
        "closed_alerts": closed,
    }


def revoke(engine: Engine, allow_id: int, *, by: str | None = None) -> bool:
    """Take a pair off the good-guy list; the next run re-screens it (like an expiry)."""
    t.ensure_schema(engine)
    now = audit.now()
    with engine.begin() as conn:
        done = conn.execute(
            update(t.allow)
            .where((t.allow.c.id == allow_id) & t.allow.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        if done:
            audit.record(conn, "allow.revoke", by, {"allow_id": allow_id})
    return bool(done)


def list_allows(engine: Engine, portfolio: str | None = None, include_inactive: bool = False) -> list[dict[str, Any]]:
    t.ensure_schema(engine)
    now = audit.now()
    query = select(t.allow).order_by(t.allow.c.id)
    if portfolio:
        query = query.where(t.allow.c.portfolio == portfolio)
    with engine.connect() as conn:
        out = []
        for row in conn.execute(query):
            data = t.row_dict(row)
            active = row.revoked_at is None and (row.expires_at is None or row.expires_at > now)
            data["active"] = active
            if active or include_inactive:
                out.append(data)
    return out
