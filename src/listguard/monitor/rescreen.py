"""A monitoring run: screen what changed, on either side, and nothing else.

A run takes a *snapshot* of the current list versions and brings one portfolio from its
watermark (the versions it was last fully screened against) to that snapshot:

1. **Records side** — new and changed records (``dirty``) are screened against the whole
   snapshot, in chunks; each chunk's alerts and the records' "screened" marks commit together.
2. **Lists side** — for every dataset whose version moved, the store's delta (old -> new):
   added entities and entities whose *screening* data changed are searched in the portfolio's
   own index to retrieve candidate records, and each candidate is then scored *forward*
   (record -> lists) by the normal screener, so its score is exactly what ``listguard screen``
   would give. Removed entities close their open alerts (``delisted``).
3. The alerts of step 2, the delistings, and the new watermark commit in **one** transaction.

Cost is in proportion to the delta (changed records + changed entities + their candidates), not
to the portfolio: nothing iterates over unchanged records.

Crash safety: a run killed anywhere leaves every committed chunk consistent (alerts written
*and* records marked screened, or neither) and the watermark unmoved until step 3 commits, so
the re-run redoes exactly the unfinished work. Re-raising an alert that a killed run already
committed is prevented by the alerting rule (same pair, same hashes, not closed -> no new alert)
and, underneath it, by a unique key on the alerts table.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import orjson
from sqlalchemy import Engine, insert, select, update

from listguard import audit
from listguard.model import Entity
from listguard.monitor import schema as t
from listguard.monitor.alerts import Candidate, RaiseStats, alert_dict, close_alerts, raise_alerts
from listguard.monitor.engine import EntityRef, Matcher, entity_refs, entity_terms, hit_explanation, match_hash
from listguard.monitor.portfolio import (
    PortfolioIndex,
    StoredRecord,
    count_dirty,
    describe_changes,
    dirty_records,
    records_by_id,
    records_by_pk,
)
from listguard.store import Store

#: Records screened per committed chunk on the records side.
RECORD_CHUNK = 2000
#: Deltas up to this many entities, or portfolios up to this many records, find their
#: candidate records without the list index (built only when there is a candidate to score).
LAZY_DELTA = 3000
LAZY_RECORDS = 5000


def _record_count(engine: Engine, portfolio: str) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(t.records.c.portfolio == portfolio)).scalar() or 0
        )

Progress = Callable[[str, int, int | None], None]


def _fault(point: str) -> None:
    """``LISTGUARD_FAULT=<point>``: SIGKILL here (the crash-safety tests)."""
    spec = os.environ.get("LISTGUARD_FAULT")
    if spec and spec == point:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Delta:
    """What moved in one dataset between the watermark and the snapshot."""

    dataset: str
    old_version: int | None
    new_version: int
    added: list[Entity] = field(default_factory=list)
    changed: list[tuple[Entity, Entity]] = field(default_factory=list)  # (old, new)
    removed: list[str] = field(default_factory=list)
    #: entities whose stored data changed but nothing a match reads did
    record_only: int = 0


@dataclass
class RunReport:
    portfolio: str
    run_id: int
    trigger: str
    versions_from: dict[str, int]
    versions_to: dict[str, int]
    records_screened: int = 0
    entities_added: int = 0
    entities_changed: int = 0
    entities_removed: int = 0
    candidates_retrieved: int = 0
    raised: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    suppressed_false_positive: int = 0
    suppressed_allowed: int = 0
    suppressed_known: int = 0
    alert_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    deliveries: dict[str, Any] | None = None
    #: the screener the run used (shared with the next portfolio's run by run_all)
    matcher: Matcher | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "portfolio": self.portfolio,
            "run_id": self.run_id,
            "trigger": self.trigger,
            "versions_from": self.versions_from,
            "versions_to": self.versions_to,
            "records_screened": self.records_screened,
            "entities_added": self.entities_added,
            "entities_changed": self.entities_changed,
            "entities_removed": self.entities_removed,
            "candidates_retrieved": self.candidates_retrieved,
            "raised": dict(self.raised),
            "closed": dict(self.closed),
            "suppressed_false_positive": self.suppressed_false_positive,
            "suppressed_allowed": self.suppressed_allowed,
            "suppressed_known": self.suppressed_known,
            "alert_ids": self.alert_ids,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "note": self.note,
            "deliveries": self.deliveries,
        }

    def absorb(self, stats: RaiseStats) -> None:
        self.suppressed_false_positive += stats.suppressed_false_positive
        self.suppressed_allowed += stats.suppressed_allowed
        self.suppressed_known += stats.suppressed_known
        self.alert_ids.extend(stats.alert_ids)
        if stats.superseded:
            self.closed["superseded"] += stats.superseded


def _lock(conn: Any, portfolio: str) -> None:
    conn.execute(update(t.portfolios).where(t.portfolios.c.name == portfolio).values(rev=t.portfolios.c.rev))


def _start_run(engine: Engine, portfolio: str, trigger: str, actor: str, watermark: dict[str, int] | None, snapshot: dict[str, int]) -> int:
    with engine.begin() as conn:
        conn.execute(
            update(t.runs)
            .where((t.runs.c.portfolio == portfolio) & (t.runs.c.status == "running"))
            .values(status="interrupted")
        )
        return t.new_id(
            conn.execute(
                insert(t.runs).values(
                    portfolio=portfolio,
                    trigger=trigger,
                    actor=actor,
                    started_at=audit.now(),
                    status="running",
                    versions_from=orjson.dumps(watermark).decode() if watermark is not None else None,
                    versions_to=orjson.dumps(snapshot).decode(),
                )
            )
        )


def compute_deltas(store: Store, watermark: dict[str, int], snapshot: dict[str, int]) -> list[Delta]:
    """The per-dataset deltas from the watermark to the snapshot (screening changes only)."""
    deltas: list[Delta] = []
    for dataset, new_id in sorted(snapshot.items()):
        old_id = watermark.get(dataset)
        if old_id == new_id:
            continue
        delta = Delta(dataset, old_id, new_id)
        b = store.version_index(new_id)
        if old_id is None:
            # A dataset the portfolio has never been screened against: all of it is new.
            blobs = store.blobs(h for h, _ in b.values())
            delta.added = [blobs[b[i][0]] for i in sorted(b)]
            deltas.append(delta)
            continue
        a = store.version_index(old_id)
        added = sorted(set(b) - set(a))
        removed = sorted(set(a) - set(b))
        changed = sorted(i for i in set(a) & set(b) if a[i][1] != b[i][1])
        delta.record_only = sum(1 for i in set(a) & set(b) if a[i][0] != b[i][0] and a[i][1] == b[i][1])
        blobs = store.blobs([b[i][0] for i in added] + [a[i][0] for i in changed] + [b[i][0] for i in changed])
        delta.added = [blobs[b[i][0]] for i in added]
        for i in changed:
            old, new = blobs[a[i][0]], blobs[b[i][0]]
            if match_hash(old) == match_hash(new):
                delta.record_only += 1  # an address, a program, a note: nothing a match reads
            else:
                delta.changed.append((old, new))
        delta.removed = removed
        deltas.append(delta)
    return deltas


_SEARCH: tuple[list[Any], list[Any]] | None = None


def _search_chunk(bounds: tuple[int, int]) -> list[tuple[str, list[int]]]:
    assert _SEARCH is not None
    segments, terms = _SEARCH
    out: list[tuple[str, list[int]]] = []
    for eid, names, schema, identifiers, forms in terms[bounds[0] : bounds[1]]:
        pks: set[int] = set()
        for segment in segments:
            pks |= segment.search(names, schema, identifiers, forms=forms)
        if pks:
            out.append((eid, sorted(pks)))
    return out


def search_segments(segments: list[Any], terms: list[Any], progress: Progress | None = None) -> list[tuple[str, list[int]]]:
    """Search the portfolio's index segments with every delta entity: (entity id, record pks).

    Large deltas are split across forked workers (the segments are inherited, not copied):
    searching thousands of entities is the biggest part of a run after a large list update.
    """
    global _SEARCH
    from listguard.monitor.engine import workers

    _SEARCH = (segments, terms)
    try:
        n = workers()
        size = max(100, len(terms) // (n * 8) + 1)
        chunks = [(i, min(i + size, len(terms))) for i in range(0, len(terms), size)]
        out: list[tuple[str, list[int]]] = []
        done = 0
        if n > 1 and len(terms) >= 1000:
            import multiprocessing as mp

            with mp.get_context("fork").Pool(n) as pool:
                for (lo, hi), part in zip(chunks, pool.imap(_search_chunk, chunks)):
                    out.extend(part)
                    done += hi - lo
                    if progress:
                        progress("searching the portfolio", done, len(terms))
        else:
            for lo, hi in chunks:
                out.extend(_search_chunk((lo, hi)))
                done += hi - lo
                if progress:
                    progress("searching the portfolio", done, len(terms))
        return out
    finally:
        _SEARCH = None


def _entity_changes_dicts(old: Entity, new: Entity) -> list[dict[str, Any]]:
    from listguard.store.diff import entity_changes

    return [{"side": "entity", **c.to_dict()} for c in entity_changes(old, new)]


class _BlobChanges:
    """``entity_changes(old_blob, new_blob)`` for re-alerts, reading blobs from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, old_blob: str | None, new_blob: str | None) -> list[dict[str, Any]]:
        if not old_blob or not new_blob or old_blob == new_blob:
            return []
        blobs = self.store.blobs([old_blob, new_blob])
        if old_blob not in blobs or new_blob not in blobs:
            return []
        return _entity_changes_dicts(blobs[old_blob], blobs[new_blob])


def _candidates_for(
    matcher: Matcher,
    record: StoredRecord,
    hits: list[Any],
    refs: dict[str, EntityRef],
    reason_for: Callable[[str], str | None],
    changes_for: Callable[[StoredRecord, str], list[dict[str, Any]]],
) -> list[Candidate]:
    out: list[Candidate] = []
    for hit in hits:
        reason = reason_for(hit.entity_id)
        ref = refs.get(hit.entity_id)
        if reason is None or ref is None:
            continue
        out.append(
            Candidate(
                portfolio=record.portfolio,
                record_pk=record.pk,
                record_id=record.record_id,
                record_name=record.name,
                record_hash=record.hash,
                record_data=record.data,
                entity_id=hit.entity_id,
                dataset=ref.dataset,
                caption=getattr(hit, "caption", None) or hit.entity_id,
                schema=getattr(hit, "schema", None),
                matched_name=getattr(hit, "matched_name", None),
                score=float(hit.score),
                explanation=hit_explanation(hit),
                entity_hash=matcher.match_hash(hit.entity_id),
                entity_blob=ref.blob,
                version_id=ref.version_id,
                reason=reason,
                changes=changes_for(record, hit.entity_id),
            )
        )
    return out


def run(
    store: Store,
    portfolio: str,
    *,
    actor: str | None = None,
    trigger: str = "run",
    progress: Progress | None = None,
    deliver: bool = True,
    matcher: Matcher | None = None,
) -> RunReport:
    """Bring ``portfolio`` up to the current list versions; return what was raised and closed."""
    from listguard.monitor import webhooks

    t.ensure_schema(store.engine)
    engine = store.engine
    actor = actor or audit.whoami()
    started = time.perf_counter()
    snapshot = {v.dataset: v.id for v in store.current_versions()}
    with engine.connect() as conn:
        prow = conn.execute(select(t.portfolios).where(t.portfolios.c.name == portfolio)).first()
    if prow is None:
        raise KeyError(f"no portfolio {portfolio!r}; create it with `listguard monitor add FILE --portfolio {portfolio}`")
    watermark: dict[str, int] | None = orjson.loads(prow.watermark) if prow.watermark else None
    initial = not prow.initial_done
    run_id = _start_run(engine, portfolio, trigger, actor, watermark, snapshot)
    report = RunReport(portfolio, run_id, trigger, watermark or {}, snapshot)
    if not snapshot:
        report.note = "no lists loaded: records stay queued until `listguard load`"
        _finish(engine, report, "done")
        return report
    if watermark is None:
        # First screening of this portfolio: every record is screened against the snapshot,
        # which becomes the watermark now, so a crash and a list change before the re-run
        # still re-screen the portfolio against that change (see the module docstring).
        with engine.begin() as conn:
            _lock(conn, portfolio)
            conn.execute(
                update(t.portfolios)
                .where((t.portfolios.c.name == portfolio) & t.portfolios.c.watermark.is_(None))
                .values(watermark=orjson.dumps(snapshot).decode())
            )
        watermark = dict(snapshot)
    note: Callable[[str], None] = (lambda msg: progress(msg, 0, None)) if progress else (lambda msg: None)

    def get_matcher() -> Matcher:
        nonlocal matcher
        if matcher is None or matcher.snapshot != snapshot:
            t0 = time.perf_counter()
            counts = (lambda done, total: progress("building the list index", done, total)) if progress else None
            matcher = Matcher(store, snapshot, progress=note, counts=counts)
            report.timings["list_index"] = report.timings.get("list_index", 0.0) + time.perf_counter() - t0
        return matcher

    try:
        screened_pks = _records_side(store, portfolio, initial, run_id, actor, report, get_matcher, progress)
        _lists_side(store, portfolio, watermark, snapshot, run_id, actor, report, get_matcher, screened_pks, progress)
    except BaseException as exc:
        _finish(engine, report, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    report.seconds = time.perf_counter() - started
    report.matcher = matcher
    _finish(engine, report, "done")
    if deliver:
        with engine.connect() as conn:
            hooks = conn.execute(select(t.webhooks.c.id).where(t.webhooks.c.active == 1)).first()
        if hooks is not None:
            report.deliveries = webhooks.deliver(engine).to_dict()
    return report


def _finish(engine: Engine, report: RunReport, status: str, error: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(t.runs)
            .where(t.runs.c.id == report.run_id)
            .values(
                status=status,
                finished_at=audit.now(),
                stats=orjson.dumps(report.to_dict()).decode(),
                error=error,
            )
        )


# ------------------------------------------------------------------------------ records side
def _records_side(
    store: Store,
    portfolio: str,
    initial: bool,
    run_id: int,
    actor: str,
    report: RunReport,
    get_matcher: Callable[[], Matcher],
    progress: Progress | None,
) -> set[int]:
    engine = store.engine
    total = count_dirty(engine, portfolio)
    screened: set[int] = set()
    if not total:
        return screened
    matcher = get_matcher()
    t0 = time.perf_counter()
    done = 0
    if progress:
        progress("screening records", 0, total)
    blob_changes = _BlobChanges(store)
    for batch in dirty_records(engine, portfolio, RECORD_CHUNK):
        results = matcher.screen([r.query() for r in batch])
        hit_ids = {h.entity_id for hits in results for h in hits}
        refs = entity_refs(store, matcher.snapshot, hit_ids)
        candidates: list[Candidate] = []
        for record, hits in zip(batch, results):
            if record.screened_hash is None:
                reason = "initial" if initial else "new_record"
                changes: list[dict[str, Any]] = []
            else:
                reason = "changed_record"
                changes = describe_changes(record.screened_data, record.data)

            def reason_for(_eid: str, r: str = reason) -> str | None:
                return r

            def changes_for(_rec: StoredRecord, _eid: str, c: list[dict[str, Any]] = changes) -> list[dict[str, Any]]:
                return c

            candidates.extend(_candidates_for(matcher, record, hits, refs, reason_for, changes_for))
        now = audit.now()
        with engine.begin() as conn:
            _lock(conn, portfolio)
            stats = raise_alerts(conn, candidates, run_id=run_id, actor=actor, entity_changes=blob_changes, now=now)
            _count_reasons(report, conn, stats)
            # A changed record's open alerts on entities it no longer matches are closed.
            matched = {(c.record_id, c.entity_id) for c in candidates}
            changed_ids = [r.record_id for r in batch if r.screened_hash is not None]
            stale: list[int] = []
            for start in range(0, len(changed_ids), 500):
                for row in conn.execute(
                    select(t.alerts.c.id, t.alerts.c.record_id, t.alerts.c.entity_id).where(
                        (t.alerts.c.portfolio == portfolio)
                        & t.alerts.c.record_id.in_(changed_ids[start : start + 500])
                        & (t.alerts.c.status == "open")
                    )
                ):
                    if (row.record_id, row.entity_id) not in matched:
                        stale.append(row.id)
            n_closed = close_alerts(conn, stale, "no_longer_matches", actor=actor, run_id=run_id, now=now)
            for record in batch:
                conn.execute(
                    update(t.records)
                    .where((t.records.c.pk == record.pk) & (t.records.c.rev == record.rev))
                    .values(
                        dirty=0,
                        screened_hash=record.hash,
                        screened_data=orjson.dumps(record.data).decode(),
                    )
                )
        report.absorb(stats)
        if n_closed:
            report.closed["no_longer_matches"] += n_closed
        screened.update(r.pk for r in batch)
        done += len(batch)
        report.records_screened += len(batch)
        if progress:
            progress("screening records", done, total)
        _fault(f"monitor.records:{done}")
    report.timings["records"] = time.perf_counter() - t0
    return screened


# -------------------------------------------------------------------------------- lists side
def _lists_side(
    store: Store,
    portfolio: str,
    watermark: dict[str, int],
    snapshot: dict[str, int],
    run_id: int,
    actor: str,
    report: RunReport,
    get_matcher: Callable[[], Matcher],
    screened_pks: set[int],
    progress: Progress | None,
) -> None:
    engine = store.engine
    t0 = time.perf_counter()
    deltas = compute_deltas(store, watermark, snapshot)
    report.timings["diff"] = time.perf_counter() - t0
    reasons: dict[str, str] = {}
    old_of: dict[str, Entity] = {}
    delta_entities: list[Entity] = []
    removed: list[tuple[str, Delta]] = []
    new_of: dict[str, Entity] = {}
    for delta in deltas:
        for entity in delta.added:
            reasons[entity.id] = "new_entity"
            delta_entities.append(entity)
        for old, new in delta.changed:
            reasons[new.id] = "changed_entity"
            old_of[new.id] = old
            new_of[new.id] = new
            delta_entities.append(new)
        removed.extend((eid, delta) for eid in delta.removed)
        report.entities_added += len(delta.added)
        report.entities_changed += len(delta.changed)
        report.entities_removed += len(delta.removed)

    now = audit.now()
    candidates: list[Candidate] = []
    stale_checks: dict[str, set[str]] = {}  # record id -> changed entity ids with open alerts
    expiries: list[Any] = []
    with engine.connect() as conn:
        expiries = list(
            conn.execute(
                select(t.allow).where(
                    (t.allow.c.portfolio == portfolio)
                    & (t.allow.c.expiry_handled == 0)
                    & (
                        t.allow.c.revoked_at.is_not(None)
                        | (t.allow.c.expires_at.is_not(None) & (t.allow.c.expires_at <= now))
                    )
                )
            )
        )
    if delta_entities or expiries:
        # Retrieve candidate records by searching the portfolio with the delta's entities.
        t1 = time.perf_counter()
        found_by: dict[int, set[str]] = {}  # candidate record pk -> delta entities that found it
        if delta_entities:
            # The list index (seconds to build after a load) is needed to score candidates, not
            # to find them: for a small portfolio or delta, analyse the delta's names directly
            # and build the index only if a record is found (often none is).
            lazy = len(delta_entities) <= LAZY_DELTA or _record_count(engine, portfolio) <= LAZY_RECORDS
            forward = None if lazy else get_matcher()
            terms = [(e.id, *entity_terms(e), forward.forms_of(e.id) if forward else None) for e in delta_entities]
            pindex = PortfolioIndex(engine, portfolio)
            note = (lambda msg: progress(msg, 0, None)) if progress else None
            segments = list(pindex.segments(note))
            if progress:
                progress("searching the portfolio", 0, len(terms))
            for eid, pks in search_segments(segments, terms, progress):
                for pk in pks:
                    found_by.setdefault(pk, set()).add(eid)
            del segments
        candidate_pks = set(found_by)
        report.timings["retrieve"] = time.perf_counter() - t1
        report.candidates_retrieved = len(candidate_pks)
        t2 = time.perf_counter()
        with engine.connect() as conn:
            records = records_by_pk(conn, candidate_pks)
            # Records holding open alerts on changed entities are re-scored too, so an alert
            # the change made obsolete gets closed.
            changed_ids = sorted(old_of)
            for start in range(0, len(changed_ids), 500):
                for row in conn.execute(
                    select(t.alerts.c.record_id, t.alerts.c.entity_id).where(
                        (t.alerts.c.portfolio == portfolio)
                        & t.alerts.c.entity_id.in_(changed_ids[start : start + 500])
                        & (t.alerts.c.status == "open")
                    )
                ):
                    stale_checks.setdefault(row.record_id, set()).add(row.entity_id)
            extra_ids = set(stale_checks) | {r.record_id for r in expiries}
            known_ids = {r.record_id for r in records.values()}
            for rec in records_by_id(conn, portfolio, extra_ids - known_ids).values():
                records[rec.pk] = rec
        expiry_pairs = {(r.record_id, r.entity_id) for r in expiries}
        expiring: dict[str, set[str]] = {}
        for rid, eid in expiry_pairs:
            expiring.setdefault(rid, set()).add(eid)
        # Dirty records were screened in full on the records side (or will be next run).
        todo = [r for pk, r in sorted(records.items()) if pk not in screened_pks and r.screened_hash == r.hash]
        matcher = get_matcher() if todo else None
        # Each candidate is scored against the delta entities that found it (and the pairs
        # to re-check), not against the whole list: same scores, a fraction of the work.
        wanted_by_pk: dict[int, set[str]] = {}
        for pk, eids in found_by.items():
            wanted_by_pk.setdefault(pk, set()).update(eids)
        for record in todo:
            wanted = wanted_by_pk.setdefault(record.pk, set())
            wanted.update(stale_checks.get(record.record_id, ()))
            wanted.update(expiring.get(record.record_id, ()))
        report.timings["fetch"] = time.perf_counter() - t2
        t_score = time.perf_counter()
        results = matcher.screen_against([(r.query(), wanted_by_pk[r.pk]) for r in todo]) if matcher is not None else []
        report.timings["score"] = time.perf_counter() - t_score
        hit_ids = {h.entity_id for hits in results for h in hits}
        refs = entity_refs(store, snapshot, hit_ids)
        matched_pairs: set[tuple[str, str]] = set()
        for record, hits in zip(todo, results):
            for hit in hits:
                matched_pairs.add((record.record_id, hit.entity_id))

            def reason_for(eid: str, record: StoredRecord = record) -> str | None:
                if eid in reasons:
                    return reasons[eid]
                if (record.record_id, eid) in expiry_pairs:
                    return "allow_expired"
                return None

            def changes_for(record: StoredRecord, eid: str) -> list[dict[str, Any]]:
                old = old_of.get(eid)
                if old is None:
                    return []
                new = new_of.get(eid)
                return _entity_changes_dicts(old, new) if new is not None else []

            assert matcher is not None
            candidates.extend(_candidates_for(matcher, record, hits, refs, reason_for, changes_for))
        report.timings["forward"] = time.perf_counter() - t2
        # open alerts on changed entities that no longer match
        stale_pairs = {(rid, eid) for rid, eids in stale_checks.items() for eid in eids}
        stale_pairs -= matched_pairs
    else:
        stale_pairs = set()

    t3 = time.perf_counter()
    with engine.begin() as conn:
        _lock(conn, portfolio)
        stats = raise_alerts(conn, candidates, run_id=run_id, actor=actor, entity_changes=_BlobChanges(store), now=now)
        report.absorb(stats)
        _count_reasons(report, conn, stats)
        if stale_pairs:
            ids: list[int] = []
            for rid, eid in stale_pairs:
                ids.extend(
                    r[0]
                    for r in conn.execute(
                        select(t.alerts.c.id).where(
                            (t.alerts.c.portfolio == portfolio)
                            & (t.alerts.c.record_id == rid)
                            & (t.alerts.c.entity_id == eid)
                            & (t.alerts.c.status == "open")
                        )
                    )
                )
            n = close_alerts(conn, ids, "no_longer_matches", actor=actor, run_id=run_id, now=now)
            if n:
                report.closed["no_longer_matches"] += n
        _delist(conn, portfolio, removed, run_id, actor, report, now)
        if expiries:
            conn.execute(
                update(t.allow).where(t.allow.c.id.in_([r.id for r in expiries])).values(expiry_handled=1)
            )
        _fault("monitor.final")
        conn.execute(
            update(t.portfolios)
            .where(t.portfolios.c.name == portfolio)
            .values(watermark=orjson.dumps(snapshot).decode(), initial_done=1)
        )
        audit.record(
            conn,
            "monitor.run",
            actor,
            {
                "portfolio": portfolio,
                "run_id": run_id,
                "trigger": report.trigger,
                "versions_from": watermark,
                "versions_to": snapshot,
                "records_screened": report.records_screened,
                "entities_added": report.entities_added,
                "entities_changed": report.entities_changed,
                "entities_removed": report.entities_removed,
                "raised": dict(report.raised),
                "closed": dict(report.closed),
            },
            sorted(set(watermark.values()) | set(snapshot.values())),
        )
    report.timings["commit"] = time.perf_counter() - t3


def _count_reasons(report: RunReport, conn: Any, stats: RaiseStats) -> None:
    ids = stats.alert_ids
    for start in range(0, len(ids), 500):
        for reason, in conn.execute(select(t.alerts.c.reason).where(t.alerts.c.id.in_(ids[start : start + 500]))):
            report.raised[reason] += 1


def _delist(
    conn: Any,
    portfolio: str,
    removed: list[tuple[str, Delta]],
    run_id: int,
    actor: str,
    report: RunReport,
    now: str,
) -> None:
    """Removed entities: close their open alerts and record a ``delisted`` alert per pair.

    The ``delisted`` alert is the notification (webhooks, the run's report); it is born
    ``closed`` when the pair was merely open, and ``open`` when an analyst had confirmed it as a
    true match or escalated it: a delisting of a confirmed customer is an action (unfreeze).
    """
    from listguard.monitor import webhooks

    if not removed:
        return
    by_id = {eid: delta for eid, delta in removed}
    ids = sorted(by_id)
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        rows.extend(
            conn.execute(
                select(t.alerts)
                .where(
                    (t.alerts.c.portfolio == portfolio)
                    & t.alerts.c.entity_id.in_(ids[start : start + 500])
                    & t.alerts.c.status.in_(["open", "true_match", "escalated"])
                    & (t.alerts.c.reason != "delisted")
                )
                .order_by(t.alerts.c.id)
            )
        )
    if not rows:
        return
    open_ids = [r.id for r in rows if r.status == "open"]
    events: list[audit.Event] = []
    done_pairs: set[tuple[str, str]] = set()
    for row in reversed(rows):  # newest alert of each pair
        pair = (row.record_id, row.entity_id)
        if pair in done_pairs:
            continue
        done_pairs.add(pair)
        delta = by_id[row.entity_id]
        status = "open" if row.status in ("true_match", "escalated") else "closed"
        values = {
            "portfolio": portfolio,
            "record_pk": row.record_pk,
            "record_id": row.record_id,
            "record_name": row.record_name,
            "entity_id": row.entity_id,
            "dataset": row.dataset,
            "caption": row.caption,
            "schema": row.schema,
            "matched_name": row.matched_name,
            "score": row.score,
            "explanation": orjson.dumps(
                {"summary": f"{row.entity_id} ({row.caption}) was removed from {delta.dataset} in the version loaded as id {delta.new_version}; alert {row.id} ({row.status}) concerned it"}
            ).decode(),
            "reason": "delisted",
            "version_id": delta.new_version,
            "record_hash": row.record_hash,
            "entity_hash": row.entity_hash,
            "entity_blob": row.entity_blob,
            "record_data": row.record_data,
            "changes": orjson.dumps([{"side": "entity", "field": "listed", "removed": [delta.dataset], "added": []}]).decode(),
            "status": status,
            "closed_reason": "delisted" if status == "closed" else None,
            "run_id": run_id,
            "created_at": now,
            "updated_at": now,
        }
        exists = conn.execute(
            select(t.alerts.c.id).where(
                (t.alerts.c.portfolio == portfolio)
                & (t.alerts.c.record_id == row.record_id)
                & (t.alerts.c.entity_id == row.entity_id)
                & (t.alerts.c.reason == "delisted")
                & (t.alerts.c.version_id == delta.new_version)
            )
        ).first()
        if exists:
            continue
        alert_id = t.new_id(conn.execute(insert(t.alerts).values(**values)))
        report.raised["delisted"] += 1
        report.alert_ids.append(alert_id)
        events.append(
            audit.Event(
                "alert.raise",
                {"alert_id": alert_id, "portfolio": portfolio, "record_id": row.record_id, "entity_id": row.entity_id, "reason": "delisted", "status": status, "run_id": run_id, "previous_alert": row.id},
                (delta.new_version,) + ((delta.old_version,) if delta.old_version else ()),
                actor=actor,
            )
        )
        new_row = conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).one()
        webhooks.enqueue(conn, portfolio, "alert.created", alert_dict(new_row), now=now)
    audit.record_many(conn, events)
    versions = sorted({d.new_version for _, d in removed})
    n = close_alerts(conn, open_ids, "delisted", actor=actor, run_id=run_id, now=now, versions=versions)
    if n:
        report.closed["delisted"] += n


def run_all(store: Store, *, actor: str | None = None, trigger: str = "run", progress: Progress | None = None, deliver: bool = True) -> list[RunReport]:
    """Run every portfolio (what a list load triggers), sharing one list index."""
    from listguard.monitor.portfolio import portfolio_names

    reports: list[RunReport] = []
    matcher: Matcher | None = None
    for name in portfolio_names(store.engine):
        report = run(store, name, actor=actor, trigger=trigger, progress=progress, deliver=False, matcher=matcher)
        matcher = report.matcher or matcher
        reports.append(report)
    if deliver and reports:
        from listguard.monitor import webhooks

        with store.engine.connect() as conn:
            hooks = conn.execute(select(t.webhooks.c.id).where(t.webhooks.c.active == 1)).first()
        if hooks is not None:
            reports[-1].deliveries = webhooks.deliver(store.engine).to_dict()
    return reports
