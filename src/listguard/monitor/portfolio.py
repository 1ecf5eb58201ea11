"""Portfolios: the customer records a bank keeps screened, and the index that searches them.

Records come from the same files ``screen-file`` reads (see :mod:`listguard.batch`). Each is
stored with a *screening hash* of exactly the fields screening reads (name, schema, birth dates,
countries, identifiers): re-adding a record with the same id and the same hash is a no-op, a
different hash marks it ``dirty`` so the next run screens it again (reason ``changed_record``).

To re-screen after a list change without touching every record, the delta's entities are
searched *in the portfolio*: :class:`PortfolioIndex` keeps a search index over the records, cached
on disk in append-only segments keyed by record revision ranges. New and changed records land in
a new small segment; the old segment may still hold a changed record's previous data, which is
harmless because the index is only used to *retrieve candidate record ids* and every candidate
is re-read from the database and scored forward (record -> entity) exactly as ``screen`` would.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import orjson
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection

from listguard import audit
from listguard.batch import InputRow, RowError
from listguard.model import Entity
from listguard.monitor import schema as t

#: Records per upsert transaction.
CHUNK = 5000
#: Records per cached index segment (bounds the memory of one build).
SEGMENT_SIZE = 250_000
#: Merge segments when there are more than this many (keeps a run's load cost down).
MAX_SEGMENTS = 8

DEFAULT_PORTFOLIO = "default"


@dataclass
class StoredRecord:
    """A portfolio record as stored."""

    pk: int
    portfolio: str
    record_id: str
    data: dict[str, Any]
    hash: str
    screened_data: dict[str, Any] | None
    screened_hash: str | None
    rev: int

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def query(self) -> Any:
        from listguard.batch import make_query

        return make_query(self.data)

    def to_entity(self, portfolio: str) -> Entity:
        return record_entity(self.pk, self.data, portfolio)


@dataclass
class AddReport:
    """What ``monitor add`` did with a file."""

    portfolio: str
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "portfolio": self.portfolio,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.error_count,
            "error_rows": [str(e) for e in self.errors],
            "warnings": self.warning_count,
            "warning_rows": self.warnings,
        }


def record_entity(pk: int, data: dict[str, Any], portfolio: str) -> Entity:
    """A portfolio record as an :class:`Entity` (for code that wants to index records as
    entities, e.g. screening one portfolio against another)."""
    entity = Entity(id=str(pk), schema=data.get("schema") or "LegalEntity", dataset=f"portfolio:{portfolio}")
    entity.add("name", data["name"])
    entity.add("birthDate", data.get("birth_dates") or [])
    entity.add("country", data.get("countries") or [])
    for number in data.get("identifiers") or []:
        entity.add_identifier("idNumber", number)
    return entity


def _now() -> str:
    return audit.now()


def _lock(conn: Connection, portfolio: str) -> None:
    """Serialise writers of one portfolio (SQLite: the write lock; PostgreSQL: a row lock)."""
    conn.execute(
        update(t.portfolios).where(t.portfolios.c.name == portfolio).values(rev=t.portfolios.c.rev)
    )


def ensure_portfolio(engine: Engine, name: str, actor: str | None = None) -> bool:
    """Create the portfolio if missing; True if it was created."""
    t.ensure_schema(engine)
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", name):
        raise ValueError(f"portfolio name {name!r}: use letters, digits, '_', '-' or '.'")
    with engine.begin() as conn:
        if conn.execute(select(t.portfolios.c.name).where(t.portfolios.c.name == name)).first():
            return False
        conn.execute(
            insert(t.portfolios).values(
                name=name,
                created_at=_now(),
                created_by=actor or audit.whoami(),
                watermark=None,
                initial_done=0,
                rev=0,
                record_count=0,
            )
        )
        audit.record(conn, "portfolio.create", actor, {"portfolio": name})
    return True


def portfolio_names(engine: Engine) -> list[str]:
    t.ensure_schema(engine)
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(t.portfolios.c.name).order_by(t.portfolios.c.name))]


def portfolio_info(engine: Engine, name: str) -> dict[str, Any] | None:
    t.ensure_schema(engine)
    with engine.connect() as conn:
        row = conn.execute(select(t.portfolios).where(t.portfolios.c.name == name)).first()
        if row is None:
            return None
        dirty = conn.execute(
            select(func.count()).where((t.records.c.portfolio == name) & (t.records.c.dirty == 1))
        ).scalar()
        open_alerts = conn.execute(
            select(func.count()).where((t.alerts.c.portfolio == name) & (t.alerts.c.status == "open"))
        ).scalar()
    return {
        "portfolio": row.name,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "records": row.record_count,
        "to_screen": dirty,
        "open_alerts": open_alerts,
        "screened_against": orjson.loads(row.watermark) if row.watermark else {},
    }


def add_records(
    engine: Engine,
    portfolio: str,
    rows: Iterable[InputRow | RowError],
    *,
    actor: str | None = None,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
    max_reported: int = 1000,
) -> AddReport:
    """Insert or update records (by id); changed records become dirty (to be screened).

    Each chunk commits on its own: a kill mid-file keeps the chunks written, and re-adding the
    same file is idempotent (unchanged records are skipped by hash).
    """
    ensure_portfolio(engine, portfolio, actor)
    report = AddReport(portfolio)
    chunk: list[InputRow] = []

    def flush() -> None:
        if chunk:
            _upsert(engine, portfolio, chunk, report)
            if progress:
                progress(len(chunk))
            chunk.clear()

    for row in rows:
        report.read += 1
        if isinstance(row, RowError):
            report.error_count += 1
            if len(report.errors) < max_reported:
                report.errors.append(row)
            if progress:
                progress(1)
            continue
        for warning in row.warnings:
            report.warning_count += 1
            if len(report.warnings) < max_reported:
                report.warnings.append(f"line {row.line} (id {row.id}): {warning}")
        chunk.append(row)
        if len(chunk) >= CHUNK:
            flush()
    flush()
    audit.record(
        engine,
        "portfolio.add",
        actor,
        {
            "portfolio": portfolio,
            "source": source,
            "read": report.read,
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "errors": report.error_count,
        },
    )
    return report


def _upsert(engine: Engine, portfolio: str, rows: list[InputRow], report: AddReport) -> None:
    # Within one file a later row with the same id wins (the reader reports duplicates when
    # asked to; this keeps the store consistent if it was not).
    latest: dict[str, InputRow] = {}
    for row in rows:
        latest[row.id] = row
    now = _now()
    with engine.begin() as conn:
        _lock(conn, portfolio)
        existing = {
            r.record_id: (r.pk, r.hash)
            for r in conn.execute(
                select(t.records.c.record_id, t.records.c.pk, t.records.c.hash).where(
                    (t.records.c.portfolio == portfolio) & (t.records.c.record_id.in_(list(latest)))
                )
            )
        }
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, InputRow, str]] = []
        for rid, row in latest.items():
            digest = row.screening_hash()
            if rid not in existing:
                inserts.append({"row": row, "hash": digest})
            elif existing[rid][1] != digest:
                updates.append((existing[rid][0], row, digest))
            else:
                report.unchanged += 1
        n = len(inserts) + len(updates)
        if n:
            rev = conn.execute(select(t.portfolios.c.rev).where(t.portfolios.c.name == portfolio)).scalar() or 0
            conn.execute(
                update(t.portfolios)
                .where(t.portfolios.c.name == portfolio)
                .values(rev=rev + n, record_count=t.portfolios.c.record_count + len(inserts))
            )
            values = []
            for item in inserts:
                rev += 1
                row = item["row"]
                values.append(
                    {
                        "portfolio": portfolio,
                        "record_id": row.id,
                        "name": row.name,
                        "schema": row.schema,
                        "data": orjson.dumps(row.screening_dict()).decode(),
                        "hash": item["hash"],
                        "screened_data": None,
                        "screened_hash": None,
                        "dirty": 1,
                        "rev": rev,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if values:
                conn.execute(insert(t.records), values)
            for pk, row, digest in updates:
                rev += 1
                conn.execute(
                    update(t.records)
                    .where(t.records.c.pk == pk)
                    .values(
                        name=row.name,
                        schema=row.schema,
                        data=orjson.dumps(row.screening_dict()).decode(),
                        hash=digest,
                        dirty=1,
                        rev=rev,
                        updated_at=now,
                    )
                )
        report.added += len(inserts)
        report.updated += len(updates)


def _stored(row: Any) -> StoredRecord:
    return StoredRecord(
        pk=row.pk,
        portfolio=row.portfolio,
        record_id=row.record_id,
        data=orjson.loads(row.data),
        hash=row.hash,
        screened_data=orjson.loads(row.screened_data) if row.screened_data else None,
        screened_hash=row.screened_hash,
        rev=row.rev,
    )


def dirty_records(engine: Engine, portfolio: str, batch: int = 2000) -> Iterator[list[StoredRecord]]:
    """Records to screen, in pk order, in batches (keyset pagination: each batch is a fresh
    short read, so writers committing between batches are never blocked)."""
    last = 0
    while True:
        with engine.connect() as conn:
            rows = [
                _stored(r)
                for r in conn.execute(
                    select(t.records)
                    .where(
                        (t.records.c.portfolio == portfolio)
                        & (t.records.c.dirty == 1)
                        & (t.records.c.pk > last)
                    )
                    .order_by(t.records.c.pk)
                    .limit(batch)
                )
            ]
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def count_dirty(engine: Engine, portfolio: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where((t.records.c.portfolio == portfolio) & (t.records.c.dirty == 1))
            ).scalar()
            or 0
        )


def records_by_pk(conn: Connection, pks: Iterable[int]) -> dict[int, StoredRecord]:
    wanted = sorted(set(pks))
    out: dict[int, StoredRecord] = {}
    for start in range(0, len(wanted), 500):
        for r in conn.execute(select(t.records).where(t.records.c.pk.in_(wanted[start : start + 500]))):
            out[r.pk] = _stored(r)
    return out


def records_by_id(conn: Connection, portfolio: str, record_ids: Iterable[str]) -> dict[str, StoredRecord]:
    wanted = sorted(set(record_ids))
    out: dict[str, StoredRecord] = {}
    for start in range(0, len(wanted), 500):
        for r in conn.execute(
            select(t.records).where(
                (t.records.c.portfolio == portfolio) & (t.records.c.record_id.in_(wanted[start : start + 500]))
            )
        ):
            out[r.record_id] = _stored(r)
    return out


# ------------------------------------------------------------------------------ search index
def _cache_root(engine: Engine, portfolio: str, created_at: str) -> Path:
    """Where a portfolio's index segments are cached: per database, portfolio, and code
    version (a segment pickled by other code may not load, or may not mean the same)."""
    from listguard import __version__, settings
    from listguard.index import Index
    from listguard.monitor.nameindex import FORMAT

    ident = f"{engine.url.render_as_string(hide_password=True)}|{portfolio}|{created_at}|{__version__}|{FORMAT}|{getattr(Index, 'FORMAT', 0)}"
    key = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return settings.home() / "cache" / "portfolio-index" / f"{portfolio}-{key}"


@dataclass
class Segment:
    lo: int  # exclusive
    hi: int  # inclusive
    path: Path


class PortfolioIndex:
    """The cached retrieval index over one portfolio's records, in rev-range segments.

    ``segments()`` yields loaded indexes one at a time so a run holds one segment in memory,
    not the whole portfolio's.
    """

    def __init__(self, engine: Engine, portfolio: str) -> None:
        self.engine = engine
        self.portfolio = portfolio
        with engine.connect() as conn:
            row = conn.execute(
                select(t.portfolios.c.created_at, t.portfolios.c.rev).where(t.portfolios.c.name == portfolio)
            ).one()
        self.root = _cache_root(engine, portfolio, row.created_at)
        self.rev = int(row.rev)

    def _existing(self) -> list[Segment]:
        out: list[Segment] = []
        if not self.root.exists():
            return out
        for path in self.root.glob("names-*.pkl"):
            m = re.fullmatch(r"names-(\d+)-(\d+)\.pkl", path.name)
            if m:
                out.append(Segment(int(m.group(1)), int(m.group(2)), path))
        out.sort(key=lambda s: (s.lo, s.hi))
        # keep only a contiguous chain from 0 (a leftover of an interrupted build is dropped)
        chain: list[Segment] = []
        upto = 0
        for seg in out:
            if seg.lo == upto:
                chain.append(seg)
                upto = seg.hi
            else:
                seg.path.unlink(missing_ok=True)
        return chain

    def refresh(self, progress: Callable[[str], None] | None = None) -> list[Segment]:
        """Bring the cache up to the portfolio's current revision; return the segments."""
        from listguard.monitor.nameindex import NameIndex

        chain = self._existing()
        upto = chain[-1].hi if chain else 0
        if upto > self.rev:  # the database went backwards (restored?): rebuild
            shutil.rmtree(self.root, ignore_errors=True)
            chain, upto = [], 0
        if upto < self.rev and len(chain) >= MAX_SEGMENTS:
            # Too many small segments: rebuild from scratch into large ones.
            shutil.rmtree(self.root, ignore_errors=True)
            chain, upto = [], 0
        self.root.mkdir(parents=True, exist_ok=True)
        while upto < self.rev:
            rows: list[tuple[int, str, str | None, list[str]]] = []
            hi = upto
            with self.engine.connect() as conn:
                query = (
                    select(t.records.c.pk, t.records.c.name, t.records.c.schema, t.records.c.data, t.records.c.rev)
                    .where(
                        (t.records.c.portfolio == self.portfolio)
                        & (t.records.c.rev > upto)
                        & (t.records.c.rev <= self.rev)
                    )
                    .order_by(t.records.c.rev)
                    .limit(SEGMENT_SIZE)
                )
                for pk, name, schema, data, rev in conn.execution_options(yield_per=20_000).execute(query):
                    # most records have no identifier: skip parsing their JSON
                    idents = [] if '"identifiers":[]' in data else list(orjson.loads(data).get("identifiers") or [])
                    rows.append((pk, name, schema, idents))
                    hi = rev
            if not rows:
                hi = self.rev
            if progress:
                progress(f"indexing {len(rows):,} portfolio records")
            index = NameIndex.build(rows)
            del rows
            path = self.root / f"names-{upto}-{hi}.pkl"
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            chain.append(Segment(upto, hi, path))
            upto = hi
        return chain

    def segments(self, progress: Callable[[str], None] | None = None) -> Iterator[Any]:
        """The loaded :class:`~listguard.monitor.nameindex.NameIndex` segments, one at a time.

        A segment that does not load (a truncated file, a change in the name analysis that
        the version key missed) is dropped and the cache rebuilt: it is only a cache.
        """
        segments = self.refresh(progress)
        loaded: list[Any] = []
        try:
            for seg in segments:
                with open(seg.path, "rb") as fh:
                    loaded.append(pickle.load(fh))
        except Exception:
            shutil.rmtree(self.root, ignore_errors=True)
            loaded = []
            for seg in self.refresh(progress):
                with open(seg.path, "rb") as fh:
                    loaded.append(pickle.load(fh))
        while loaded:
            yield loaded.pop(0)


def remove_cache(engine: Engine, portfolio: str) -> None:
    with engine.connect() as conn:
        row = conn.execute(select(t.portfolios.c.created_at).where(t.portfolios.c.name == portfolio)).first()
    if row:
        shutil.rmtree(_cache_root(engine, portfolio, row.created_at), ignore_errors=True)


def describe_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level changes between two record versions (what a re-alert shows)."""
    if old is None:
        return []
    out: list[dict[str, Any]] = []
    for key in ("name", "schema", "birth_dates", "countries", "identifiers"):
        a, b = old.get(key), new.get(key)
        va = a if isinstance(a, list) else ([a] if a else [])
        vb = b if isinstance(b, list) else ([b] if b else [])
        removed = [v for v in va if v not in vb]
        added = [v for v in vb if v not in va]
        if removed or added:
            out.append({"side": "record", "field": key, "removed": removed, "added": added})
    return out


def sample_records(engine: Engine, portfolio: str, ids: Sequence[str]) -> list[StoredRecord]:
    with engine.connect() as conn:
        return list(records_by_id(conn, portfolio, ids).values())
