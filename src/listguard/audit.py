"""The append-only, hash-chained audit log a regulator can be handed.

Every load, update, screening run, alert and decision is written here with who did it, when,
what, and which list versions were involved. Each entry carries the SHA-256 of its own content
chained to the hash of the entry before it, so:

* editing an entry changes its hash, which no longer matches the stored one;
* deleting an entry leaves a gap in the sequence numbers and breaks the next entry's link;
* truncating the tail disagrees with the single-row ``audit_head`` that records the last
  sequence number and hash (and with any hash a regulator kept from an earlier export:
  :func:`verify` takes an ``anchor`` for exactly that, because someone who can rewrite the
  whole database can also rewrite the head).

The database also refuses ``UPDATE`` and ``DELETE`` on the log (triggers on SQLite and
PostgreSQL) so that tampering takes a deliberate act; the chain is what *detects* it.

Appends are serialised by updating ``audit_head`` first in the writer's transaction: on SQLite
that takes the database write lock, on PostgreSQL a row lock, so two processes can never both
chain onto the same predecessor. Callers that write other rows in the same transaction (a
monitoring run writing alerts) pass their :class:`~sqlalchemy.engine.Connection`, so the audit
entries commit or vanish together with what they describe.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import orjson
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

metadata = MetaData()

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(60), nullable=False, index=True),
    Column("details", Text, nullable=False),  # canonical JSON object
    Column("versions", Text, nullable=False),  # canonical JSON list of version ids
    # An optional idempotency key ("load:<version id>"): the same event recorded twice (by the
    # loader and by the after-load hook, or by a retried run) is written once.
    Column("ref", String(200), nullable=True, unique=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

#: The hash the first entry chains onto.
GENESIS = "0" * 64

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
)

_PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION listguard_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_append_only') THEN
           CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
           FOR EACH ROW EXECUTE FUNCTION listguard_audit_append_only();
         END IF;
       END $$""",
)

_ready: "weakref.WeakSet[Engine]" = weakref.WeakSet()


@dataclass(frozen=True)
class AuditEntry:
    """One link of the chain."""

    seq: int
    at: str
    actor: str
    action: str
    details: dict[str, Any]
    versions: list[int]
    ref: str | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "details": self.details,
            "versions": self.versions,
            "ref": self.ref,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class AuditProblem:
    """The first place the chain does not hold, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


@dataclass(frozen=True)
class Event:
    """An entry to append: what :func:`record_many` takes."""

    action: str
    details: dict[str, Any]
    versions: Sequence[int] = ()
    actor: str | None = None
    ref: str | None = None


def whoami() -> str:
    """The actor to record when none is given: ``$LISTGUARD_USER``, else the OS user."""
    user = os.environ.get("LISTGUARD_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry in some containers
        return "unknown"


def now() -> str:
    """UTC timestamp with microseconds: entries written in one second still sort and read apart."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def entry_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    details_json: str,
    versions_json: str,
    ref: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 over every stored field of an entry (as stored, so verification is exact)."""
    payload = _canonical([seq, at, actor, action, details_json, versions_json, ref, prev_hash])
    return hashlib.sha256(payload).hexdigest()


def _sqlite_ready(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        if not {"audit_log", "audit_head", "audit_log_no_update", "audit_log_no_delete"} <= names:
            return False
        return conn.execute(select(audit_head.c.id)).first() is not None


def ensure_schema(engine: Engine) -> None:
    """Create the audit tables and the append-only triggers (idempotent, cheap after once)."""
    if engine in _ready:
        return
    if engine.dialect.name == "sqlite" and _sqlite_ready(engine):
        _ready.add(engine)  # read-only check: no write lock when there is nothing to create
        return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several processes starting at once would race on the DDL ("tuple concurrently
            # updated"): serialise schema creation on a transaction-scoped advisory lock.
            conn.execute(text("SELECT pg_advisory_xact_lock(7246110)"))
        elif conn.dialect.name == "sqlite":
            # Likewise on a fresh SQLite home: without the write lock first, two processes
            # both find no head row and the second dies inserting it.
            from listguard.store.locking import take_write_lock

            take_write_lock(conn, "audit schema")
        metadata.create_all(conn)
        statements = _PG_TRIGGERS if conn.dialect.name == "postgresql" else _SQLITE_TRIGGERS
        if conn.dialect.name in ("postgresql", "sqlite"):
            for statement in statements:
                conn.execute(text(statement))
        if conn.execute(select(audit_head.c.id)).first() is None:
            conn.execute(insert(audit_head).values(id=1, seq=0, hash=GENESIS))
    _ready.add(engine)


def record(
    engine: Engine | Connection,
    action: str,
    actor: str | None,
    details: dict[str, Any],
    versions: Iterable[int] = (),
    *,
    ref: str | None = None,
) -> AuditEntry | None:
    """Append one entry and return it (``None`` if ``ref`` was already recorded).

    ``engine`` may be an Engine (the entry commits on its own) or a Connection inside the
    caller's transaction (the entry commits with the caller's writes, or not at all).

    Example, from a loader::

        audit.record(store.engine, "load", None, {"dataset": "us_ofac_sdn", "entities": 14965},
                     [version_id], ref=f"load:{version_id}")
    """
    entries = record_many(
        engine, [Event(action, details, tuple(versions), actor=actor, ref=ref)]
    )
    return entries[0] if entries else None


def record_many(engine: Engine | Connection, events: Sequence[Event]) -> list[AuditEntry]:
    """Append several entries in one transaction, chained in order (events whose ``ref`` is
    already in the log are skipped)."""
    if not events:
        return []
    if isinstance(engine, Connection):
        ensure_schema(engine.engine)
        return _append(engine, events)
    ensure_schema(engine)
    with engine.begin() as conn:
        return _append(conn, events)


def _append(conn: Connection, events: Sequence[Event]) -> list[AuditEntry]:
    # Take the write lock first (see the module docstring): touching the head row before
    # reading it means no other writer can chain onto the same predecessor.
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq))
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    seq, prev = int(head.seq), str(head.hash)
    refs = [e.ref for e in events if e.ref]
    known: set[str] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        known.update(
            r for (r,) in conn.execute(select(audit_log.c.ref).where(audit_log.c.ref.in_(chunk)))
        )
    rows: list[dict[str, Any]] = []
    out: list[AuditEntry] = []
    default_actor = whoami()
    for event in events:
        if event.ref and event.ref in known:
            continue
        if event.ref:
            known.add(event.ref)
        seq += 1
        at = now()
        actor = event.actor or default_actor
        details_json = _canonical(event.details).decode()
        versions = sorted({int(v) for v in event.versions})
        versions_json = _canonical(versions).decode()
        digest = entry_hash(seq, at, actor, event.action, details_json, versions_json, event.ref, prev)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": event.action,
                "details": details_json,
                "versions": versions_json,
                "ref": event.ref,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        out.append(
            AuditEntry(seq, at, actor, event.action, orjson.loads(details_json), versions, event.ref, prev, digest)
        )
        prev = digest
    if rows:
        for start in range(0, len(rows), 1000):
            conn.execute(insert(audit_log), rows[start : start + 1000])
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=prev))
    return out


def _rows(conn: Connection, after: int = 0) -> Iterator[Any]:
    query = select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
    yield from conn.execution_options(yield_per=5000).execute(query)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        details=orjson.loads(row.details),
        versions=orjson.loads(row.versions),
        ref=row.ref,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def entries(
    engine: Engine,
    *,
    limit: int | None = None,
    action: str | None = None,
    newest_first: bool = True,
) -> list[AuditEntry]:
    """Read entries (newest first by default), for ``listguard audit``."""
    ensure_schema(engine)
    query = select(audit_log)
    if action:
        query = query.where(audit_log.c.action == action)
    query = query.order_by(audit_log.c.seq.desc() if newest_first else audit_log.c.seq)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(query)]


def head(engine: Engine) -> tuple[int, str]:
    """(last sequence number, last hash): the anchor to keep outside the database."""
    ensure_schema(engine)
    with engine.connect() as conn:
        row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    return int(row.seq), str(row.hash)


def verify(engine: Engine, anchor: tuple[int, str] | None = None) -> tuple[bool, AuditProblem | None]:
    """Walk the whole chain; return ``(True, None)`` or ``(False, first problem)``.

    ``anchor`` is a ``(seq, hash)`` pair kept from an earlier export or ``audit --verify``
    (e.g. printed into a regulator's report): the entry with that sequence number must still
    exist with that hash, which catches even a rewrite of the entire chain after that point.
    """
    ensure_schema(engine)
    expected_seq = 1
    prev = GENESIS
    anchor_seen = anchor is None
    with engine.connect() as conn:
        head_row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
        for row in _rows(conn):
            if row.seq != expected_seq:
                missing = expected_seq if row.seq > expected_seq else row.seq
                return False, AuditProblem(missing, f"missing: sequence jumps from {expected_seq - 1} to {row.seq} (entry deleted)")
            if row.prev_hash != prev:
                return False, AuditProblem(row.seq, "does not chain onto the entry before it (that entry was edited or deleted)")
            digest = entry_hash(row.seq, row.at, row.actor, row.action, row.details, row.versions, row.ref, row.prev_hash)
            if digest != row.hash:
                return False, AuditProblem(row.seq, "content does not match its hash (entry edited)")
            if anchor is not None and row.seq == anchor[0]:
                if row.hash != anchor[1]:
                    return False, AuditProblem(row.seq, "hash differs from the anchor kept outside the database (log rewritten)")
                anchor_seen = True
            prev = row.hash
            expected_seq += 1
    last = expected_seq - 1
    if head_row is None:
        return False, AuditProblem(last, "the audit head row is missing")
    if head_row.seq != last or head_row.hash != prev:
        return False, AuditProblem(
            min(last + 1, int(head_row.seq)),
            f"log ends at entry {last} but the head records entry {head_row.seq} (entries deleted from the end, or the head edited)",
        )
    if not anchor_seen:
        assert anchor is not None
        return False, AuditProblem(anchor[0], "the anchored entry is no longer in the log (log truncated)")
    return True, None


def export(engine: Engine, path: Path | str) -> tuple[int, str]:
    """Write every entry as JSON lines (oldest first) for a regulator; return the head anchor.

    The file is self-verifying: each line has its ``prev_hash`` and ``hash``, computed by
    :func:`entry_hash` over the fields as stored (``details``/``versions`` as canonical JSON
    strings), so anyone can re-check it without listguard.
    """
    ensure_schema(engine)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with engine.connect() as conn, open(tmp, "wb") as fh:
        for row in _rows(conn):
            fh.write(
                orjson.dumps(
                    {
                        "seq": row.seq,
                        "at": row.at,
                        "actor": row.actor,
                        "action": row.action,
                        "details": row.details,
                        "versions": row.versions,
                        "ref": row.ref,
                        "prev_hash": row.prev_hash,
                        "hash": row.hash,
                    }
                )
                + b"\n"
            )
            count += 1
    os.replace(tmp, path)
    return head(engine)


def record_load(engine: Engine | Connection, report: Any, actor: str | None = None, action: str = "load") -> AuditEntry | None:
    """Record one successful :class:`~listguard.store.LoadReport` (idempotent per version).

    Safe to call from both the loader and the after-load hook: the ``ref`` makes the second
    call a no-op.
    """
    version = getattr(report, "version", None)
    if version is None:
        return None
    previous = getattr(report, "previous", None)
    details = {
        "dataset": version.dataset,
        "version": version.seq,
        "version_id": version.id,
        "source": version.source,
        "checksum": version.checksum,
        "published_at": version.published_at,
        "entities": version.entity_count,
        "previous_version_id": previous.id if previous is not None else None,
        "stats": getattr(report, "stats", {}) or {},
    }
    versions = [version.id] + ([previous.id] if previous is not None else [])
    return record(
        engine,
        action,
        actor or getattr(version, "loaded_by", None),
        details,
        versions,
        ref=f"load:{version.id}",
    )
