"""The screening state a server answers from, and how a new list version reaches it.

A :class:`Snapshot` is everything a request needs, built once for one set of current list
versions: the entities, the compiled matching index and its screener, and a reverse index of
relations. It is immutable; a request takes the reference once (``service.snapshot``) and uses
that object to the end, so a request never sees half of an old list and half of a new one.

:class:`ScreeningService` owns the reference. A background thread asks the store every few
seconds which versions are current (one small query); when the set of version ids changed
(a ``listguard load`` or ``update`` ran, from any process), it builds the new snapshot on that
thread, while requests keep being answered from the old one, and then swaps the reference in
one assignment. No restart, no failed or blocked request. A failed build keeps the old snapshot
and is reported by ``/updatez`` and ``/healthz``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping

from listguard import index_cache
from listguard.index import Index
from listguard.matching import Screener
from listguard.model import Entity
from listguard.store import Store, VersionInfo

log = logging.getLogger("listguard.api")


@dataclass(frozen=True)
class Snapshot:
    """One immutable view of the current lists."""

    key: tuple[int, ...]
    versions: tuple[VersionInfo, ...]
    entities: Mapping[str, Entity]
    #: target entity id -> ((source entity id, relation), ...): who links *to* an entity.
    linked_from: Mapping[str, tuple[tuple[str, str], ...]]
    screener: Screener
    built_at: str
    build_seconds: float
    #: Per-snapshot memo of derived data (e.g. serialised entity properties for responses).
    #: It lives and dies with the snapshot, so a hot reload starts from an empty one.
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def datasets(self) -> frozenset[str]:
        return frozenset(v.dataset for v in self.versions)

    def version_of(self, dataset: str) -> VersionInfo | None:
        for v in self.versions:
            if v.dataset == dataset:
                return v
        return None


def version_key(versions: Iterable[VersionInfo]) -> tuple[int, ...]:
    return tuple(sorted(v.id for v in versions))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _build_index(store: Store, versions: list[VersionInfo]) -> Index:
    """The matcher's compiled index over exactly ``versions``, from the disk cache if possible.

    The cache file is the one ``listguard screen`` uses (same key), so a
    server starting after a screening run, or a second worker, loads it in a fraction of the
    build time instead of analysing every name again.
    """
    path = index_cache.cache_path(store, versions)  # names the database too, not only version ids
    index = index_cache.load_cached(path)
    if index is not None:
        return index
    # Several workers start together: one builds while the others wait for its file, instead
    # of each spending the same CPU seconds on the same index.
    with _file_lock(path.with_name(path.name + ".lock")):
        return index_cache.index_for(store, versions)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (best effort: without fcntl, no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fh = open(path, "a+")
    except OSError:
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_snapshot(store: Store, versions: list[VersionInfo] | None = None) -> Snapshot:
    """Read the current versions and build everything a request needs."""
    started = time.perf_counter()
    if versions is None:
        versions = store.current_versions()
    index = _build_index(store, versions)
    entities = list(index)
    by_id: dict[str, Entity] = {}
    linked: dict[str, list[tuple[str, str]]] = {}
    for e in entities:
        # The source record is what the list wrote; pages that show it read it from the
        # store, so the long-lived snapshot does not keep a copy of every list's raw text.
        e.record = {}
        by_id[e.id] = e
        for link in e.links:
            if link.target:
                linked.setdefault(link.target, []).append((e.id, link.relation))
    # Last, right before the swap: the Screener registers the index's name variants with
    # the comparer (process-wide), and the old snapshot serves until the swap.
    screener = Screener(index)
    screener.warm_up()  # the first requests after a (re)load do not pay for lazy tables
    return Snapshot(
        key=version_key(versions),
        versions=tuple(versions),
        entities=MappingProxyType(by_id),
        linked_from=MappingProxyType({k: tuple(v) for k, v in linked.items()}),
        screener=screener,
        built_at=_now(),
        build_seconds=time.perf_counter() - started,
    )


@dataclass
class ReloadStatus:
    """What ``/updatez`` reports about the background reloader."""

    last_check: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    reloads: int = 0
    building: bool = False
    pending_key: tuple[int, ...] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


class ScreeningService:
    """Holds the current :class:`Snapshot` and swaps in new ones when the lists change."""

    def __init__(
        self,
        store: Store,
        reload_seconds: float = 5.0,
        builder: Callable[[Store, list[VersionInfo]], Snapshot] = build_snapshot,
    ) -> None:
        self.store = store
        self.reload_seconds = reload_seconds
        self._builder = builder
        self._snapshot: Snapshot | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._build_lock = threading.Lock()
        self.status = ReloadStatus()
        #: Called (on a daemon thread) with each new snapshot, e.g. to warm caches.
        self.listeners: list[Callable[[Snapshot], None]] = []
        #: version key -> (failed attempts, monotonic time before which not to retry)
        self._failures: dict[tuple[int, ...], tuple[int, float]] = {}

    # -- reading ----------------------------------------------------------------------------
    @property
    def snapshot(self) -> Snapshot:
        snap = self._snapshot
        if snap is None:
            raise RuntimeError("the screening index is not built yet")
        return snap

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, background: bool = True) -> None:
        """Build the first snapshot now (so the server answers from its first request), then
        watch the store on a daemon thread."""
        self.check_now()
        if background and self.reload_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="listguard-reload", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        """Ask the watcher to check the store now instead of at its next tick."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.reload_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check_now()
            except Exception:  # the watcher must survive anything; check_now records it
                log.exception("reload check failed")

    def check_now(self) -> bool:
        """Compare the store's current versions with the snapshot's; rebuild if they differ.

        Returns whether a new snapshot was swapped in. Serialised: two checks never build the
        same snapshot twice.
        """
        with self._build_lock:
            self.status.last_check = _now()
            try:
                versions = self.store.current_versions()
            except Exception as exc:
                self._error(f"reading current versions: {exc}")
                return False
            key = version_key(versions)
            current = self._snapshot
            if current is not None and current.key == key:
                return False
            failed = self._failures.get(key)
            if failed is not None and time.monotonic() < failed[1]:
                return False  # that build failed recently: retry later, not every tick
            self.status.building = True
            self.status.pending_key = key
            # The live snapshot was frozen out of the cyclic GC (see below); let it be
            # collectable again once the new one replaces it.
            gc.unfreeze()
            try:
                snap = self._builder(self.store, versions)
            except Exception as exc:
                log.exception("building the screening index failed")
                self._error(f"building index for versions {list(key)}: {exc}")
                attempts = (failed[0] if failed else 0) + 1
                self._failures[key] = (attempts, time.monotonic() + min(600.0, 15.0 * 2**attempts))
                return False
            finally:
                self.status.building = False
                self.status.pending_key = None
            self._snapshot = snap  # the swap: one reference assignment
            self._failures.clear()
            self.status.last_error = None
            # Millions of long-lived objects (names, keys, entities) would make every full
            # GC pass walk them all, a pause of tens of ms in the middle of some request.
            # Collect the old snapshot now, then freeze the new one out of future passes.
            gc.collect()
            gc.freeze()
            self.status.reloads += 1
            self.status.history.append(
                {
                    "at": snap.built_at,
                    "versions": list(snap.key),
                    "entities": len(snap.entities),
                    "seconds": round(snap.build_seconds, 3),
                }
            )
            del self.status.history[:-20]
            for listener in self.listeners:
                threading.Thread(target=_safe_call, args=(listener, snap), daemon=True).start()
            log.info(
                "screening index ready: %d entities from %d lists in %.2fs",
                len(snap.entities),
                len(snap.versions),
                snap.build_seconds,
            )
            return True

    def _error(self, message: str) -> None:
        self.status.last_error = message
        self.status.last_error_at = _now()


def _safe_call(fn: Callable[[Snapshot], None], snap: Snapshot) -> None:
    try:
        fn(snap)
    except Exception:  # a cache warmer failing must not disturb serving
        log.exception("snapshot listener failed")
