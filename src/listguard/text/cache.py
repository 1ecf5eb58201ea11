"""The text automaton, cached on disk beside the screening index.

Building the automaton over every list takes seconds (every name's prose variants are keyed);
unpickling it takes a fraction of that. The cache file is keyed by a fingerprint of the index
(its entity ids and name count) and the automaton format, lives in the index cache folder
(``$LISTGUARD_HOME/index/``) and is replaced, with stale ones removed, when the lists change.
Writes are atomic (temporary file + rename). A cache that fails to load is rebuilt, never fatal.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from listguard.atomic import write_pickle
from listguard.text.extract import _CACHE, NameAutomaton

if TYPE_CHECKING:
    from listguard.index import Index

PREFIX = "text-"
SUFFIX = ".pickle"


def fingerprint(index: "Index") -> str:
    """A key that changes whenever the index's entities or names do."""
    digest = hashlib.sha256()
    digest.update(f"auto={NameAutomaton.FORMAT}|index={getattr(index, 'FORMAT', 0)}|names={len(index.names)}".encode())
    for entity in index.entities:
        digest.update(entity.id.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def cached_automaton(index: "Index", directory: Path | None = None) -> NameAutomaton:
    """The automaton of ``index``: from memory, else from disk, else built and saved."""
    for idx, known in _CACHE:
        if idx is index:
            return known
    if directory is None:
        from listguard.index_cache import cache_dir

        directory = cache_dir()
    path = directory / f"{PREFIX}{fingerprint(index)}{SUFFIX}"
    auto: NameAutomaton | None = None
    if path.exists():
        try:
            loaded = pickle.loads(path.read_bytes())
            if isinstance(loaded, NameAutomaton):
                auto = loaded
        except Exception:
            path.unlink(missing_ok=True)
    if auto is None:
        auto = NameAutomaton.build(index)
        write_pickle(auto, path)
        for old in directory.glob(f"{PREFIX}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    _CACHE.insert(0, (index, auto))
    del _CACHE[2:]
    return auto
