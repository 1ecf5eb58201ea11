"""Alerts: raising them without repeating what analysts already know, and reading them back.

An alert is one (portfolio record, listed entity) pair that matched, with the record's and the
entity's *screening hashes* at that moment. The rule that keeps analysts from drowning in
repeats (:func:`raise_alerts`):

* a pair on the good-guy list (:mod:`listguard.monitor.decisions`, not expired) never alerts;
* a pair that already has an alert with the **same two hashes** that is not ``closed`` does not
  alert again: an ``open``/``escalated``/``true_match`` alert is already being handled, and a
  ``false_positive`` one is the analyst's remembered decision. Only a change of the record or of
  the entity's screening data (name, birth date, country, identifier...) gives a new pair of
  hashes, and so a new alert, which then says *what changed* since the decided alert;
* raising a new alert for a pair supersedes (closes) the pair's older still-open alert.

Every raise and close writes an audit entry and a webhook outbox row in the caller's
transaction, so an alert, its audit trail and its notification commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import orjson
from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from listguard import audit
from listguard.monitor import schema as t

REASONS = (
    "initial",
    "new_entity",
    "changed_entity",
    "new_record",
    "changed_record",
    "delisted",
    "allow_expired",
)
STATUSES = ("open", "false_positive", "true_match", "escalated", "closed")
#: Statuses under which the same pair with the same hashes does not alert again.
KNOWN = ("open", "false_positive", "true_match", "escalated")


@dataclass
class Candidate:
    """A match found by a run, before the rule above decides whether it becomes an alert."""

    portfolio: str
    record_pk: int
    record_id: str
    record_name: str
    record_hash: str
    record_data: dict[str, Any]
    entity_id: str
    dataset: str
    caption: str
    schema: str | None
    matched_name: str | None
    score: float
    explanation: Any
    entity_hash: str
    entity_blob: str | None
    version_id: int
    reason: str
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RaiseStats:
    raised: int = 0
    suppressed_known: int = 0
    suppressed_false_positive: int = 0
    suppressed_allowed: int = 0
    superseded: int = 0
    alert_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, int]:
        return {
            "raised": self.raised,
            "suppressed_known": self.suppressed_known,
            "suppressed_false_positive": self.suppressed_false_positive,
            "suppressed_allowed": self.suppressed_allowed,
            "superseded": self.superseded,
        }


def _pairs_alerts(
    conn: Connection, portfolio: str, record_ids: Iterable[str]
) -> dict[tuple[str, str], list[Any]]:
    """Existing alerts of the given records, grouped by (record id, entity id), oldest first."""
    out: dict[tuple[str, str], list[Any]] = {}
    wanted = sorted(set(record_ids))
    for start in range(0, len(wanted), 500):
        query = (
            select(t.alerts)
            .where((t.alerts.c.portfolio == portfolio) & (t.alerts.c.record_id.in_(wanted[start : start + 500])))
            .order_by(t.alerts.c.id)
        )
        for row in conn.execute(query):
            out.setdefault((row.record_id, row.entity_id), []).append(row)
    return out


def active_allows(conn: Connection, portfolio: str, record_ids: Iterable[str], at: str) -> set[tuple[str, str]]:
    """(record id, entity id) pairs on the good-guy list at time ``at``."""
    out: set[tuple[str, str]] = set()
    wanted = sorted(set(record_ids))
    for start in range(0, len(wanted), 500):
        query = select(t.allow.c.record_id, t.allow.c.entity_id).where(
            (t.allow.c.portfolio == portfolio)
            & (t.allow.c.record_id.in_(wanted[start : start + 500]))
            & t.allow.c.revoked_at.is_(None)
            & or_(t.allow.c.expires_at.is_(None), t.allow.c.expires_at > at)
        )
        out.update((r[0], r[1]) for r in conn.execute(query))
    return out


def alert_dict(row: Any) -> dict[str, Any]:
    """An alert row as the JSON the CLI, the API and webhooks show."""
    data = t.row_dict(row)
    explanation = data.get("explanation")
    if explanation:
        try:
            data["explanation"] = orjson.loads(explanation)
        except orjson.JSONDecodeError:
            pass
    data["changes"] = orjson.loads(data["changes"]) if data.get("changes") else []
    data["record_data"] = orjson.loads(data["record_data"]) if data.get("record_data") else {}
    data["score"] = round(float(data["score"]), 4)
    return data


def _encode_explanation(explanation: Any) -> str | None:
    if explanation is None:
        return None
    if isinstance(explanation, str):
        return orjson.dumps(explanation).decode()
    return orjson.dumps(explanation, default=_default).decode()


def _default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dict__"):
        return vars(value)
    return str(value)


def raise_alerts(
    conn: Connection,
    candidates: Sequence[Candidate],
    *,
    run_id: int | None,
    actor: str | None,
    entity_changes: Callable[[str | None, str | None], list[dict[str, Any]]] | None = None,
    now: str | None = None,
) -> RaiseStats:
    """Apply the alerting rule to ``candidates`` and write the alerts that survive it.

    ``entity_changes(old_blob, new_blob)`` describes how a listed entity changed between two
    content hashes; it is how a re-alert after a false positive says what changed on the list
    side (the record side is compared from the alert's own snapshot).
    """
    from listguard.monitor import webhooks
    from listguard.monitor.portfolio import describe_changes

    stats = RaiseStats()
    if not candidates:
        return stats
    now = now or audit.now()
    by_portfolio: dict[str, list[Candidate]] = {}
    for cand in candidates:
        by_portfolio.setdefault(cand.portfolio, []).append(cand)
    events: list[audit.Event] = []
    for portfolio, cands in by_portfolio.items():
        existing = _pairs_alerts(conn, portfolio, (c.record_id for c in cands))
        allowed = active_allows(conn, portfolio, (c.record_id for c in cands), now)
        seen: set[tuple[str, str, str, str]] = set()
        for cand in cands:
            pair = (cand.record_id, cand.entity_id)
            key = (cand.record_id, cand.entity_id, cand.record_hash, cand.entity_hash)
            if key in seen:
                continue
            seen.add(key)
            if pair in allowed:
                stats.suppressed_allowed += 1
                continue
            history = existing.get(pair, [])
            same = [
                a
                for a in history
                if a.record_hash == cand.record_hash and a.entity_hash == cand.entity_hash and a.status in KNOWN
            ]
            if same:
                if any(a.status == "false_positive" for a in same):
                    stats.suppressed_false_positive += 1
                else:
                    stats.suppressed_known += 1
                continue
            changes = list(cand.changes)
            decided = [a for a in history if a.status in ("false_positive", "true_match", "escalated")]
            if decided:
                # Say what changed since the analyst last looked at this pair.
                last = decided[-1]
                changes = describe_changes(orjson.loads(last.record_data), cand.record_data)
                if entity_changes is not None and last.entity_hash != cand.entity_hash:
                    changes += entity_changes(last.entity_blob, cand.entity_blob)
                changes.insert(
                    0,
                    {
                        "side": "decision",
                        "field": "previous_decision",
                        "removed": [],
                        "added": [f"alert {last.id}: {last.status}"],
                    },
                )
            values = {
                "portfolio": portfolio,
                "record_pk": cand.record_pk,
                "record_id": cand.record_id,
                "record_name": cand.record_name,
                "entity_id": cand.entity_id,
                "dataset": cand.dataset,
                "caption": cand.caption,
                "schema": cand.schema,
                "matched_name": cand.matched_name,
                "score": float(cand.score),
                "explanation": _encode_explanation(cand.explanation),
                "reason": cand.reason,
                "version_id": cand.version_id,
                "record_hash": cand.record_hash,
                "entity_hash": cand.entity_hash,
                "entity_blob": cand.entity_blob,
                "record_data": orjson.dumps(cand.record_data).decode(),
                "changes": orjson.dumps(changes).decode() if changes else None,
                "status": "open",
                "closed_reason": None,
                "run_id": run_id,
                "created_at": now,
                "updated_at": now,
            }
            alert_id = t.new_id(conn.execute(insert(t.alerts).values(**values)))
            stats.raised += 1
            stats.alert_ids.append(alert_id)
            older_open = [a.id for a in history if a.status == "open"]
            if older_open:
                stats.superseded += len(older_open)
                close_alerts(conn, older_open, "superseded", actor=actor, run_id=run_id, now=now, note=f"by alert {alert_id}")
            row = conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).one()
            data = alert_dict(row)
            events.append(
                audit.Event(
                    "alert.raise",
                    {
                        "alert_id": alert_id,
                        "portfolio": portfolio,
                        "record_id": cand.record_id,
                        "entity_id": cand.entity_id,
                        "score": values["score"],
                        "reason": cand.reason,
                        "run_id": run_id,
                        "record_hash": cand.record_hash,
                        "entity_hash": cand.entity_hash,
                    },
                    (cand.version_id,),
                    actor=actor,
                )
            )
            webhooks.enqueue(conn, portfolio, "alert.created", data, now=now)
    audit.record_many(conn, events)
    return stats


def close_alerts(
    conn: Connection,
    alert_ids: Sequence[int],
    closed_reason: str,
    *,
    actor: str | None,
    run_id: int | None = None,
    now: str | None = None,
    note: str | None = None,
    versions: Sequence[int] = (),
) -> int:
    """Close open alerts (``delisted``, ``superseded``, ``no_longer_matches``, ``allowed``)."""
    from listguard.monitor import webhooks

    if not alert_ids:
        return 0
    now = now or audit.now()
    closed = 0
    events: list[audit.Event] = []
    for start in range(0, len(alert_ids), 500):
        chunk = list(alert_ids[start : start + 500])
        rows = list(
            conn.execute(select(t.alerts).where(t.alerts.c.id.in_(chunk) & (t.alerts.c.status == "open")))
        )
        if not rows:
            continue
        conn.execute(
            update(t.alerts)
            .where(t.alerts.c.id.in_([r.id for r in rows]))
            .values(status="closed", closed_reason=closed_reason, updated_at=now)
        )
        for row in rows:
            closed += 1
            details = {"alert_id": row.id, "portfolio": row.portfolio, "record_id": row.record_id, "entity_id": row.entity_id, "closed_reason": closed_reason, "run_id": run_id}
            if note:
                details["note"] = note
            events.append(audit.Event("alert.close", details, tuple(versions) or (row.version_id,), actor=actor))
            data = alert_dict(row)
            data.update(status="closed", closed_reason=closed_reason, updated_at=now)
            webhooks.enqueue(conn, row.portfolio, "alert.closed", data, now=now)
    audit.record_many(conn, events)
    return closed


# ------------------------------------------------------------------------------------ reading
def list_alerts(
    engine: Engine,
    *,
    status: str | None = "open",
    portfolio: str | None = None,
    reason: str | None = None,
    record_id: str | None = None,
    entity_id: str | None = None,
    run_id: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Alerts, newest first, with the dataset version number that raised each one."""
    from listguard.store import schema as st

    t.ensure_schema(engine)
    query = select(t.alerts, st.versions.c.seq.label("version")).join(
        st.versions, st.versions.c.id == t.alerts.c.version_id, isouter=True
    )
    conds = []
    if status and status != "all":
        conds.append(t.alerts.c.status == status)
    if portfolio:
        conds.append(t.alerts.c.portfolio == portfolio)
    if reason:
        conds.append(t.alerts.c.reason == reason)
    if record_id:
        conds.append(t.alerts.c.record_id == record_id)
    if entity_id:
        conds.append(t.alerts.c.entity_id == entity_id)
    if run_id:
        conds.append(t.alerts.c.run_id == run_id)
    if conds:
        query = query.where(and_(*conds))
    query = query.order_by(t.alerts.c.id.desc())
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [alert_dict(r) for r in conn.execute(query)]


def get_alert(engine: Engine, alert_id: int) -> dict[str, Any] | None:
    from listguard.store import schema as st

    t.ensure_schema(engine)

    query = (
        select(t.alerts, st.versions.c.seq.label("version"))
        .join(st.versions, st.versions.c.id == t.alerts.c.version_id, isouter=True)
        .where(t.alerts.c.id == alert_id)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        data = alert_dict(row)
        data["decisions"] = [
            t.row_dict(r)
            for r in conn.execute(
                select(t.decisions).where(t.decisions.c.alert_id == alert_id).order_by(t.decisions.c.id)
            )
        ]
    return data


def count_by_status(engine: Engine, portfolio: str | None = None) -> dict[str, int]:
    t.ensure_schema(engine)
    query = select(t.alerts.c.status, func.count()).group_by(t.alerts.c.status)
    if portfolio:
        query = query.where(t.alerts.c.portfolio == portfolio)
    with engine.connect() as conn:
        return {r[0]: int(r[1]) for r in conn.execute(query)}
