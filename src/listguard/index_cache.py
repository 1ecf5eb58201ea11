"""The compiled index, cached on disk so that the second ``listguard screen`` is instant.

Building the index over every list takes seconds (every name is analysed); loading a pickle of
it takes a fraction of that. The cache lives under the store home (``$LISTGUARD_HOME/index/``)
and is keyed by what the index was built from: the ids of the current list versions, the
datasets asked for, the index format and the listguard version. Loading a new list version
changes the key, so a stale index is never used; old cache files are removed when a new one is
written.

Writes are atomic (temporary file + rename), so concurrent CLI runs never read half a file.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from listguard import __version__
from listguard.atomic import clean_stale_temps, write_pickle
from listguard.index import Index

if TYPE_CHECKING:
    from listguard.store import Store

log = logging.getLogger(__name__)

PREFIX = "index-"
SUFFIX = ".pickle"


def cache_dir() -> Path:
    from listguard import settings

    path = settings.home() / "index"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _code_fingerprint() -> str:
    """Sizes and modification times of what an index is compiled with (the name analysis code
    and its data tables): an index built by other code is never reused, even between
    releases (a development checkout, a hot-fixed install)."""
    import listguard

    root = Path(listguard.__file__).resolve().parent
    parts = []
    for sub in ("names", "data"):
        for path in sorted((root / sub).glob("*")):
            if path.suffix in (".py", ".tsv", ".gz", ".txt") and path.is_file():
                st = path.stat()
                parts.append(f"{sub}/{path.name}:{st.st_size}:{st.st_mtime_ns}")
    st = (root / "index.py").stat()
    parts.append(f"index.py:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cache_key(version_ids: Iterable[int | str], datasets: Iterable[str] | None = None) -> str:
    """A stable key for the set of list versions (and dataset filter) an index covers."""
    parts = [f"format={Index.FORMAT}", f"listguard={__version__}", f"code={_code_fingerprint()}"]
    parts.append("versions=" + ",".join(sorted(str(v) for v in version_ids)))
    parts.append("datasets=" + (",".join(sorted(datasets)) if datasets else "*"))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def versions_key(store: Any, versions: Iterable[Any], datasets: Iterable[str] | None = None) -> str:
    """The cache key of the index over ``versions`` of ``store``.

    Version ids are only unique within one database, and a database deleted and loaded again
    reuses them: the key also names the database and each version's checksum and load time,
    or another store under the same home (a second ``LISTGUARD_DATABASE_URL``, a re-created
    file) with the same ids would be served the first one's index, and screen against lists
    that are not the ones loaded.
    """
    db = hashlib.sha256(str(store.url).encode()).hexdigest()[:12]
    return cache_key([f"{db}:{v.id}:{v.checksum}:{v.loaded_at}" for v in versions], datasets)


def loads(data: bytes) -> Index:
    """Unpickle an index with the cyclic garbage collector paused (5x faster), then freeze
    the result out of future collections (it is immutable and lives as long as the process)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        index = pickle.loads(data)
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    if not isinstance(index, Index):
        raise TypeError("not a listguard index")
    return index


def load(path: Path) -> Index:
    return loads(Path(path).read_bytes())


def save(index: Index, path: Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never a partial one.

    The cyclic garbage collector is paused meanwhile: pickling a freshly built index (a
    million young objects) otherwise triggers collection passes that cost a third of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        write_pickle(index, path)
    finally:
        if enabled:
            gc.enable()


def cache_path(store: Any, versions: Sequence[Any], datasets: Iterable[str] | None = None) -> Path:
    """Where the index over ``versions`` of ``store`` is cached."""
    return cache_dir() / f"{PREFIX}{versions_key(store, versions, datasets)}{SUFFIX}"


def load_cached(path: Path) -> Index | None:
    """The cached index at ``path``, or ``None`` (a corrupt or incompatible file is removed:
    it is rebuilt, never fatal)."""
    if path.exists():
        try:
            return load(path)
        except Exception:
            path.unlink(missing_ok=True)
    return None


def index_for(
    store: Any,
    versions: Sequence[Any],
    datasets: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
    on_build: Callable[[int], None] | None = None,
) -> Index:
    """The index over exactly ``versions`` of ``store``: the cached pickle when there is one,
    else built from those versions' entities (``on_build`` is called first with the number of
    entities, then ``progress`` with the count done) and saved. A cache folder that cannot be
    written costs a rebuild next time, nothing else."""
    path = cache_path(store, versions, datasets)
    clean_stale_temps(path.parent)  # half-written pickles of a killed run
    index = load_cached(path)
    if index is not None:
        return index
    if on_build is not None:
        on_build(sum(v.entity_count for v in versions))
    index = Index.build((e for v in versions for e in store.version_entities(v.id)), progress=progress)
    # The index is immutable and lives as long as the process: out of the collector's sight,
    # a million young objects no longer make later collections (e.g. while alerts are
    # written) walk them all, as a loaded index already is (see loads).
    gc.freeze()
    try:
        save(index, path)
    except OSError as exc:
        log.warning("cannot write the index cache %s: %s", path, exc)
    return index


def cached_index(
    datasets: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
    on_build: Callable[[int], None] | None = None,
    store: Store | None = None,
) -> Index:
    """The index over the current versions of ``datasets`` (all when ``None``), from the cache
    or built (see :func:`index_for`); other cache files, of older versions, are removed."""
    if store is None:
        from listguard.store import open_store

        store = open_store()
    versions = store.current_versions()
    if datasets:
        versions = [v for v in versions if v.dataset in datasets]
    index = index_for(store, versions, datasets, progress=progress, on_build=on_build)
    path = cache_path(store, versions, datasets)
    for old in path.parent.glob(f"{PREFIX}*{SUFFIX}"):
        if old != path:
            old.unlink(missing_ok=True)
    gc.freeze()
    return index
