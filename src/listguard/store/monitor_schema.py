"""Monitoring tables, beside the store's tables in the same database.

SQLAlchemy Core with its own ``MetaData`` (the list store's own tables never refer to these), and
the same definitions work on SQLite and PostgreSQL. They live with the store because the
migrations (:mod:`listguard.store.migrations`) describe them; monitoring uses them through
:mod:`listguard.monitor.schema`, whose ``ensure_schema`` creates them on first use.

Design notes (the *why*):

* ``mon_records.dirty`` marks records whose screening data changed since they were last
  screened (new or updated). It is indexed, so finding the records a run must screen costs in
  proportion to the records that changed, not to the portfolio.
* ``mon_records.rev`` is a per-portfolio counter bumped on every insert or change: the cached
  search index over a portfolio (see :mod:`listguard.monitor.portfolio`) is built in segments
  of rev ranges, so new and changed records are indexed without rebuilding the whole thing.
* ``mon_portfolios.watermark`` is the set of list versions the whole portfolio has been
  screened against. A run re-screens only the delta from the watermark to the current
  versions, and moves the watermark in the same transaction that writes the alerts: a run
  killed half-way leaves the watermark where it was, so the re-run redoes exactly that delta.
* ``mon_alerts`` has a unique key over (portfolio, record, entity, record screening hash,
  entity screening hash, reason, version): even a buggy retry cannot store the same alert
  twice. The rule that decides whether to raise an alert at all (see
  :mod:`listguard.monitor.alerts`) looks at earlier alerts for the same pair and hashes, which
  is what makes false-positive decisions stick until the record or the entity changes.
* Webhook deliveries are an *outbox*: rows written in the same transaction as the alerts,
  delivered after the run commits, so screening never waits on a receiver and a crash never
  loses or invents a notification.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

portfolios = Table(
    "mon_portfolios",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    # JSON {dataset: version_id}: what the whole portfolio has been screened against.
    Column("watermark", Text, nullable=True),
    # 1 once the portfolio's first full screening committed (later new records: new_record).
    Column("initial_done", Integer, nullable=False, default=0),
    Column("rev", Integer, nullable=False, default=0),
    Column("record_count", Integer, nullable=False, default=0),
)

records = Table(
    "mon_records",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("portfolio", String(100), ForeignKey("mon_portfolios.name"), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("schema", String(40), nullable=True),
    # JSON of the screening fields (see portfolio.Record.screening_dict).
    Column("data", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    # What the record looked like when it was last screened (to say what changed).
    Column("screened_data", Text, nullable=True),
    Column("screened_hash", String(64), nullable=True),
    Column("dirty", Integer, nullable=False, default=1),
    Column("rev", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("portfolio", "record_id", name="uq_mon_records_id"),
)
Index("ix_mon_records_dirty", records.c.portfolio, records.c.dirty)
Index("ix_mon_records_rev", records.c.portfolio, records.c.rev)

alerts = Table(
    "mon_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("portfolio", String(100), nullable=False),
    Column("record_pk", Integer, nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("record_name", Text, nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("dataset", String(100), nullable=False),
    Column("caption", Text, nullable=False),
    Column("schema", String(40), nullable=True),
    Column("matched_name", Text, nullable=True),
    Column("score", Float, nullable=False),
    Column("explanation", Text, nullable=True),  # JSON (the matcher's explanation)
    Column("reason", String(30), nullable=False),
    Column("version_id", Integer, nullable=False),  # the list version that raised it
    Column("record_hash", String(64), nullable=False),
    Column("entity_hash", String(64), nullable=False),  # match hash (engine.match_hash)
    Column("entity_blob", String(64), nullable=True),  # content hash: the entity as matched
    Column("record_data", Text, nullable=False),  # JSON snapshot of the record as screened
    Column("changes", Text, nullable=True),  # JSON: what changed since the pair was last seen
    Column("status", String(20), nullable=False),
    Column("closed_reason", String(40), nullable=True),
    Column("run_id", Integer, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint(
        "portfolio",
        "record_id",
        "entity_id",
        "record_hash",
        "entity_hash",
        "reason",
        "version_id",
        name="uq_mon_alerts_pair",
    ),
)
Index("ix_mon_alerts_status", alerts.c.portfolio, alerts.c.status)
Index("ix_mon_alerts_entity", alerts.c.portfolio, alerts.c.entity_id)
Index("ix_mon_alerts_record", alerts.c.portfolio, alerts.c.record_id)

decisions = Table(
    "mon_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("mon_alerts.id"), nullable=False, index=True),
    Column("portfolio", String(100), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("entity_hash", String(64), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", String(40), nullable=False),
)

allow = Table(
    "mon_allow",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("portfolio", String(100), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=True),
    Column("revoked_at", String(40), nullable=True),
    # 1 once a run re-screened the pair after expiry (so it is done once).
    Column("expiry_handled", Integer, nullable=False, default=0),
)
Index("ix_mon_allow_pair", allow.c.portfolio, allow.c.record_id, allow.c.entity_id)

runs = Table(
    "mon_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("portfolio", String(100), nullable=False, index=True),
    Column("trigger", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40), nullable=True),
    Column("status", String(20), nullable=False),  # running / done / failed / interrupted
    Column("versions_from", Text, nullable=True),
    Column("versions_to", Text, nullable=True),
    Column("stats", Text, nullable=True),
    Column("error", Text, nullable=True),
)

webhooks = Table(
    "mon_webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("portfolio", String(100), nullable=True),  # None: every portfolio
    Column("active", Integer, nullable=False, default=1),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
)

deliveries = Table(
    "mon_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("mon_webhooks.id"), nullable=False),
    Column("alert_id", Integer, nullable=True),
    Column("event", String(40), nullable=False),
    Column("payload", Text, nullable=False),  # the exact body that is signed and sent
    Column("status", String(20), nullable=False),  # pending / delivered / failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),  # unix time
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("delivered_at", String(40), nullable=True),
)
Index("ix_mon_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)

delivery_attempts = Table(
    "mon_delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("mon_deliveries.id"), nullable=False, index=True),
    Column("at", String(40), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("ms", Integer, nullable=False),
)
