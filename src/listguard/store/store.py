"""The versioned entity store.

One :class:`Store` wraps one database (SQLite file by default, PostgreSQL via
``LISTGUARD_DATABASE_URL``). Every load of a list becomes a new immutable version of its
dataset; readers always see the *current* version of each dataset, and a load switches the
current pointer only when every entity of the new version is written, in one transaction. A
crash, a kill or a parse error therefore leaves the previous version current and intact.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import signal
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

import orjson
from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection

from listguard import audit
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import schema as t
from listguard.store.locking import take_write_lock


@dataclass
class VersionInfo:
    """One version of one dataset, as ``listguard sources`` shows it."""

    id: int
    dataset: str
    seq: int
    loaded_at: str
    published_at: str | None
    checksum: str
    source: str
    entity_count: int
    counts: dict[str, int]
    stats: dict[str, int]
    warnings: list[str]
    current: bool = False
    loaded_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dataset": self.dataset,
            "version": self.seq,
            "loaded_at": self.loaded_at,
            "published_at": self.published_at,
            "checksum": self.checksum,
            "source": self.source,
            "entity_count": self.entity_count,
            "counts": self.counts,
            "stats": self.stats,
            "warnings": self.warnings,
            "current": self.current,
            "loaded_by": self.loaded_by,
        }


@dataclass
class LoadReport:
    """What a load did: the new version, or why nothing changed."""

    dataset: str
    version: VersionInfo | None
    skipped: bool = False
    reason: str | None = None
    previous: VersionInfo | None = None
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Set when the new version was stored but not made current (an older publication): why.
    not_current: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _fault(point: str, count: int) -> None:
    """Fault injection for the atomicity tests: ``LISTGUARD_FAULT=<point>:<count>``.

    Kills the process with SIGKILL at that point, exactly as a user's ``kill -9`` or a power
    cut would, so the tests prove that the database, not our code, guarantees atomicity.
    """
    spec = os.environ.get("LISTGUARD_FAULT")
    if spec and spec == f"{point}:{count}":
        os.kill(os.getpid(), signal.SIGKILL)


class Store:
    """Versions of every loaded list in one database."""

    BATCH = 2000

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # The audit log lives beside the versions; create it now, outside any load
        # transaction, so a load can append its entry inside its own transaction.
        audit.ensure_schema(self.engine)
        if not _schema_ready(self.engine):
            with self.engine.begin() as conn:
                # Several processes opening a fresh home at once must not race on CREATE TABLE.
                take_write_lock(conn, "schema")
                t.metadata.create_all(conn)
                _ensure_unique_seq(conn)

    # -- writing ----------------------------------------------------------------------------
    def load(
        self,
        result: ParseResult,
        source: str,
        *,
        force: bool = False,
        title: str | None = None,
        progress: Callable[[int], None] | None = None,
        loaded_by: str | None = None,
        make_current: bool = True,
    ) -> LoadReport:
        """Write ``result`` as the new current version of its dataset, atomically.

        A file identical to the current version (same checksum) is not loaded again unless
        ``force``: re-running a scheduled load must not create empty "changes". With
        ``make_current=False`` (an older publication) the version is stored, so it can be
        diffed, but the dataset's current version stays as it is.
        """
        dataset = result.dataset
        checksum = result.checksum() if result.files else _entities_checksum(result.entities)
        ids = Counter(e.id for e in result.entities)
        dupes = [i for i, n in ids.items() if n > 1]
        if dupes:
            raise ValueError(
                f"{dataset}: parser produced duplicate entity ids (e.g. {dupes[:3]}); not loaded"
            )
        with self.engine.begin() as conn:
            # The write lock comes before every read the new version depends on (the current
            # version, the identical-file check, the next number): a concurrent load of the
            # same dataset waits here and then sees this one's version (see store.locking).
            take_write_lock(conn, f"load:{dataset}")
            rows = self._version_rows(
                (t.versions.c.id == t.datasets.c.current_version_id) & (t.datasets.c.name == dataset),
                conn=conn,
            )
            previous = rows[0] if rows else None
            if previous is not None and previous.checksum == checksum and not force:
                return LoadReport(
                    dataset,
                    None,
                    skipped=True,
                    reason=f"same file as current version {previous.seq} (checksum {checksum[:12]})",
                    previous=previous,
                    stats=result.stats,
                    warnings=result.warnings,
                )
            counts = Counter(e.schema for e in result.entities)
            carried: list[dict[str, Any]] = []
            if result.partial and previous is not None:
                # A patch: carry every entity of the current version it does not touch.
                touched = {e.id for e in result.entities} | set(result.deleted)
                for row in conn.execute(
                    select(t.version_entities).where(t.version_entities.c.version_id == previous.id)
                ):
                    if row.entity_id not in touched:
                        carried.append(row._asdict())
                        counts[row.schema] += 1
            entity_count = len(result.entities) + len(carried)
            if conn.execute(select(t.datasets.c.name).where(t.datasets.c.name == dataset)).first() is None:
                conn.execute(insert(t.datasets).values(name=dataset, title=title))
            seq = (
                conn.execute(
                    select(func.max(t.versions.c.seq)).where(t.versions.c.dataset == dataset)
                ).scalar()
                or 0
            ) + 1
            inserted = conn.execute(
                insert(t.versions).values(
                    dataset=dataset,
                    seq=seq,
                    loaded_at=_now(),
                    published_at=result.published_at,
                    checksum=checksum,
                    source=source,
                    entity_count=entity_count,
                    counts=orjson.dumps(dict(sorted(counts.items()))).decode(),
                    stats=orjson.dumps(result.stats).decode(),
                    warnings=orjson.dumps(result.warnings[:50]).decode(),
                    loaded_by=loaded_by or _whoami(),
                )
            ).inserted_primary_key
            assert inserted is not None
            version_id = inserted[0]
            if carried:
                for kept in carried:
                    kept["version_id"] = version_id
                conn.execute(insert(t.version_entities), carried)
            self._write_entities(conn, version_id, result.entities, progress)
            _fault("load", -1)
            if make_current or previous is None:
                conn.execute(
                    update(t.datasets)
                    .where(t.datasets.c.name == dataset)
                    .values(current_version_id=version_id, title=title)
                )
            # Same transaction: the audit entry exists exactly when the version does.
            audit.record(
                conn,
                "load",
                loaded_by or _whoami(),
                {
                    "dataset": dataset,
                    "version": seq,
                    "version_id": version_id,
                    "source": source,
                    "checksum": checksum,
                    "published_at": result.published_at,
                    "entities": entity_count,
                    "patch": result.partial,
                    "current": make_current or previous is None,
                    "previous_version_id": previous.id if previous else None,
                    "stats": result.stats,
                },
                [version_id] + ([previous.id] if previous else []),
                ref=f"load:{version_id}",
            )
        version = self.version(version_id)
        return LoadReport(
            dataset, version, previous=previous, stats=result.stats, warnings=result.warnings
        )

    def _write_entities(
        self,
        conn: Connection,
        version_id: int,
        entities: list[Entity],
        progress: Callable[[int], None] | None,
    ) -> None:
        blob_insert = _insert_ignore(conn, t.entity_blobs)
        for start in range(0, len(entities), self.BATCH):
            batch = entities[start : start + self.BATCH]
            blobs: dict[str, str] = {}
            rows: list[dict[str, Any]] = []
            for entity in batch:
                data = entity.to_json()
                digest = hashlib.sha256(data).hexdigest()
                blobs[digest] = data.decode()
                rows.append(
                    {
                        "version_id": version_id,
                        "entity_id": entity.id,
                        "schema": entity.schema,
                        "caption": entity.caption,
                        "hash": digest,
                        "screening_hash": entity.screening_hash(),
                    }
                )
            conn.execute(blob_insert, [{"hash": h, "data": d} for h, d in blobs.items()])
            conn.execute(insert(t.version_entities), rows)
            _fault("load", start + len(batch))
            if progress:
                progress(len(batch))

    # -- reading versions -------------------------------------------------------------------
    def _version_rows(self, where: Any = None, conn: Connection | None = None) -> list[VersionInfo]:
        query = select(t.versions, t.datasets.c.current_version_id).join(
            t.datasets, t.datasets.c.name == t.versions.c.dataset
        )
        if where is not None:
            query = query.where(where)
        query = query.order_by(t.versions.c.dataset, t.versions.c.seq)
        if conn is not None:
            return self._to_versions(conn.execute(query))
        with self.engine.connect() as conn:
            return self._to_versions(conn.execute(query))

    @staticmethod
    def _to_versions(rows: Any) -> list[VersionInfo]:
        return [
            VersionInfo(
                id=r.id,
                dataset=r.dataset,
                seq=r.seq,
                loaded_at=r.loaded_at,
                published_at=r.published_at,
                checksum=r.checksum,
                source=r.source,
                entity_count=r.entity_count,
                counts=orjson.loads(r.counts),
                stats=orjson.loads(r.stats),
                warnings=orjson.loads(r.warnings),
                current=r.id == r.current_version_id,
                loaded_by=r.loaded_by,
            )
            for r in rows
        ]

    def versions(self, dataset: str | None = None) -> list[VersionInfo]:
        """All versions (of one dataset), oldest first."""
        return self._version_rows(t.versions.c.dataset == dataset if dataset else None)

    def version(self, version_id: int) -> VersionInfo:
        rows = self._version_rows(t.versions.c.id == version_id)
        if not rows:
            raise KeyError(f"no version with id {version_id}")
        return rows[0]

    def version_by_seq(self, dataset: str, seq: int) -> VersionInfo:
        rows = self._version_rows((t.versions.c.dataset == dataset) & (t.versions.c.seq == seq))
        if not rows:
            raise KeyError(f"{dataset} has no version {seq}")
        return rows[0]

    def current_versions(self) -> list[VersionInfo]:
        """The current version of every dataset."""
        return self._version_rows(t.versions.c.id == t.datasets.c.current_version_id)

    def current_version(self, dataset: str) -> VersionInfo | None:
        rows = self._version_rows(
            (t.versions.c.id == t.datasets.c.current_version_id) & (t.datasets.c.name == dataset)
        )
        return rows[0] if rows else None

    def dataset_names(self) -> list[str]:
        return [v.dataset for v in self.current_versions()]

    # -- reading entities -------------------------------------------------------------------
    def version_entities(self, version_id: int) -> Iterator[Entity]:
        """Every entity of one version, in id order."""
        query = (
            select(t.entity_blobs.c.data)
            .join(t.version_entities, t.version_entities.c.hash == t.entity_blobs.c.hash)
            .where(t.version_entities.c.version_id == version_id)
            .order_by(t.version_entities.c.entity_id)
        )
        with self.engine.connect() as conn:
            for (data,) in conn.execution_options(yield_per=5000).execute(query):
                yield Entity.from_dict(orjson.loads(data))

    def current_entities(self, datasets: Iterable[str] | None = None) -> Iterator[Entity]:
        """Every entity of the current version of each (named) dataset."""
        wanted = set(datasets) if datasets else None
        for version in self.current_versions():
            if wanted is None or version.dataset in wanted:
                yield from self.version_entities(version.id)

    def get_entity(self, entity_id: str, version_id: int | None = None) -> Entity | None:
        """An entity from the current versions (or from one given version)."""
        query = select(t.entity_blobs.c.data).join(
            t.version_entities, t.version_entities.c.hash == t.entity_blobs.c.hash
        )
        if version_id is None:
            query = query.join(
                t.datasets, t.datasets.c.current_version_id == t.version_entities.c.version_id
            )
        else:
            query = query.where(t.version_entities.c.version_id == version_id)
        query = query.where(t.version_entities.c.entity_id == entity_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Entity.from_dict(orjson.loads(row[0])) if row else None

    def entity_history(self, entity_id: str) -> list[dict[str, Any]]:
        """Which versions contained the entity, with its content hash in each."""
        query = (
            select(
                t.versions.c.dataset,
                t.versions.c.seq,
                t.versions.c.id,
                t.versions.c.loaded_at,
                t.versions.c.published_at,
                t.version_entities.c.hash,
                t.version_entities.c.screening_hash,
            )
            .join(t.version_entities, t.version_entities.c.version_id == t.versions.c.id)
            .where(t.version_entities.c.entity_id == entity_id)
            .order_by(t.versions.c.id)
        )
        with self.engine.connect() as conn:
            return [{str(k): v for k, v in r._mapping.items()} for r in conn.execute(query)]

    def version_index(self, version_id: int) -> dict[str, tuple[str, str]]:
        """entity id -> (content hash, screening hash) for one version: what a diff compares."""
        query = select(
            t.version_entities.c.entity_id,
            t.version_entities.c.hash,
            t.version_entities.c.screening_hash,
        ).where(t.version_entities.c.version_id == version_id)
        with self.engine.connect() as conn:
            return {r[0]: (r[1], r[2]) for r in conn.execute(query)}

    def blobs(self, hashes: Iterable[str]) -> dict[str, Entity]:
        """Entities by content hash."""
        wanted = list(set(hashes))
        out: dict[str, Entity] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for h, data in conn.execute(
                    select(t.entity_blobs.c.hash, t.entity_blobs.c.data).where(
                        t.entity_blobs.c.hash.in_(chunk)
                    )
                ):
                    out[h] = Entity.from_dict(orjson.loads(data))
        return out

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (a running server, a screening job) keep reading the old current version
    # while a load writes the new one; synchronous=NORMAL is durable at transaction boundaries
    # in WAL mode, which is what atomic loads need.
    # The busy timeout first: switching to WAL takes a lock too, and under load (processes
    # opening the store while another loads) it must wait like every other statement, not
    # give up after sqlite3's default 5 s with "database is locked".
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _schema_ready(engine: Engine) -> bool:
    """Every store table and the unique version index exist (a read: readers opening the
    store during a load must not wait for the load's write lock)."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        insp = inspect(conn)
        if not all(insp.has_table(name) for name in t.metadata.tables):
            return False
        return any(ix["name"] == "ux_versions_dataset_seq" for ix in insp.get_indexes("versions"))


def _ensure_unique_seq(conn: Connection) -> None:
    """Give a store made before (dataset, seq) was unique its unique index.

    Such a store may already hold two versions with one number (two loads that ran at once).
    The earliest keeps its number; each later duplicate gets the next free number, in load
    order, and the audit trail records the renumbering. Numbers that were unique never change.
    """
    from sqlalchemy import inspect

    index = next(i for i in t.versions.indexes if i.name == "ux_versions_dataset_seq")
    if any(ix["name"] == index.name for ix in inspect(conn).get_indexes("versions")):
        return
    renumbered = renumber_duplicate_seqs(conn)
    if renumbered:
        audit.record(conn, "renumber_versions", _whoami(), {"renumbered": renumbered}, [r["version_id"] for r in renumbered])
    index.create(conn)


def renumber_duplicate_seqs(conn: Connection) -> list[dict[str, Any]]:
    """Renumber versions that share (dataset, seq) with an earlier one (see above); shared
    with the Alembic migration that adds the unique index."""
    rows = conn.execute(
        select(t.versions.c.id, t.versions.c.dataset, t.versions.c.seq).order_by(t.versions.c.id)
    ).all()
    seen: set[tuple[str, int]] = set()
    top: dict[str, int] = {}
    for r in rows:
        top[r.dataset] = max(top.get(r.dataset, 0), r.seq)
    out: list[dict[str, Any]] = []
    for r in rows:
        if (r.dataset, r.seq) in seen:
            top[r.dataset] += 1
            conn.execute(update(t.versions).where(t.versions.c.id == r.id).values(seq=top[r.dataset]))
            out.append({"version_id": r.id, "dataset": r.dataset, "from": r.seq, "to": top[r.dataset]})
            seen.add((r.dataset, top[r.dataset]))
        else:
            seen.add((r.dataset, r.seq))
    return out


def _insert_ignore(conn: Connection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the backend in use (blobs are shared by hash)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _entities_checksum(entities: list[Entity]) -> str:
    digest = hashlib.sha256()
    for entity in sorted(entities, key=lambda e: e.id):
        digest.update(entity.to_json())
    return digest.hexdigest()


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry in some containers
        return "unknown"
