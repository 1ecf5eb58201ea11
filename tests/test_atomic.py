"""Atomic cache writes leave nothing behind: a pickle half-written by a killed process is
removed by the next run (issue 13, item 7), a file a running writer holds is not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from listguard.atomic import STALE_AFTER, clean_stale_temps, write_pickle


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_temps_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f".tmp-{_dead_pid()}-abcd.pickle"
    mine = tmp_path / f".tmp-{os.getpid()}-efgh.pickle"
    old_unnamed = tmp_path / ".tmp-q1w2e3.pickle"  # the name before pids were recorded
    new_unnamed = tmp_path / ".tmp-r4t5y6.pickle"
    cache = tmp_path / "index-1234.pickle"
    for path in (dead, mine, old_unnamed, new_unnamed, cache):
        path.write_bytes(b"x" * 10)
    stamp = time.time() - STALE_AFTER - 60
    os.utime(old_unnamed, (stamp, stamp))
    assert clean_stale_temps(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, new_unnamed.name, cache.name])


def test_write_pickle_cleans_first_and_leaves_no_temp(tmp_path: Path) -> None:
    dead = tmp_path / f".tmp-{_dead_pid()}-abcd.pickle"
    dead.write_bytes(b"half an index")
    write_pickle({"a": 1}, tmp_path / "index-x.pickle")
    assert [p.name for p in tmp_path.iterdir()] == ["index-x.pickle"]


def test_the_next_screening_run_removes_a_killed_build(home: Path) -> None:
    from listguard import index_cache
    from listguard.model import Entity
    from listguard.sources.base import ParseResult
    from listguard.store import open_store

    store = open_store()
    e = Entity(id="t:1", schema="Person", dataset="t")
    e.add("name", "KIM Il")
    store.load(ParseResult(dataset="t", entities=[e]), "test")
    index_cache.cached_index(store=store)
    folder = index_cache.cache_dir()
    dead = folder / f".tmp-{_dead_pid()}-abcd.pickle"
    dead.write_bytes(b"half an index")
    index_cache.cached_index(store=store)  # the cached index is read, and the leftover removed
    assert not dead.exists()
