"""The versioned store: versions, current pointer, diffs, and atomic loads under SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import open_store
from listguard.store.diff import diff_versions, resolve_versions


def person(num: int, name: str, dob: str | None = None, **props: list[str]) -> Entity:
    e = Entity(id=f"test_list:{num}", schema="Person", dataset="test_list")
    e.add("name", name)
    if dob:
        e.add("birthDate", dob)
    for key, values in props.items():
        e.add(key, values)
    e.record = {"row": [str(num), name]}
    return e


def result(entities: list[Entity], published: str | None = None) -> ParseResult:
    return ParseResult(dataset="test_list", entities=entities, published_at=published)


def test_versions_current_pointer_and_skip_identical(home: Path) -> None:
    store = open_store()
    v1 = store.load(result([person(1, "JONG, Song Hwa", "1970-02-05"), person(2, "KIM, Il")]), "a")
    assert v1.version is not None and v1.version.seq == 1 and v1.version.entity_count == 2
    again = store.load(result([person(1, "JONG, Song Hwa", "1970-02-05"), person(2, "KIM, Il")]), "a")
    assert again.skipped and again.version is None
    assert len(store.versions("test_list")) == 1
    v2 = store.load(result([person(1, "JONG, Song Hwa", "1970-02-05", alias=["CHONG, Song Hwa"]), person(3, "PAK, Su")], "2024-05-03"), "b")
    assert v2.version is not None and v2.version.seq == 2
    current = store.current_version("test_list")
    assert current is not None and current.seq == 2 and current.published_at == "2024-05-03"
    ids = sorted(e.id for e in store.current_entities())
    assert ids == ["test_list:1", "test_list:3"]
    # old versions stay readable
    assert sorted(e.id for e in store.version_entities(v1.version.id)) == ["test_list:1", "test_list:2"]
    entity = store.get_entity("test_list:1")
    assert entity is not None and entity.get("alias") == ["CHONG, Song Hwa"]
    assert [h["seq"] for h in store.entity_history("test_list:1")] == [1, 2]


def test_diff_names_what_changed(home: Path) -> None:
    store = open_store()
    store.load(result([person(1, "JONG, Song Hwa", "1970-02-05"), person(2, "KIM, Il")]), "a")
    store.load(result([person(1, "JONG, Song Hwa", "1970-02-06", alias=["CHONG, Song Hwa"]), person(3, "PAK, Su")]), "b")
    old, new = resolve_versions(store, "test_list")
    d = diff_versions(store, old, new)
    assert [e.id for e in d.added] == ["test_list:3"]
    assert [e.id for e in d.removed] == ["test_list:2"]
    assert len(d.changed) == 1
    fields = {c.field: (c.removed, c.added) for c in d.changed[0].changes}
    assert fields["birthDate"] == (["1970-02-05"], ["1970-02-06"])
    assert fields["alias"] == ([], ["CHONG, Song Hwa"])
    assert not d.changed[0].record_only


def test_record_only_change_is_flagged(home: Path) -> None:
    store = open_store()
    a = person(1, "JONG, Song Hwa")
    b = person(1, "JONG, Song Hwa")
    b.record = {"row": ["1", "JONG, Song Hwa", "reworded remark"]}
    store.load(result([a]), "a")
    store.load(result([b]), "b")
    old, new = resolve_versions(store, "test_list")
    d = diff_versions(store, old, new)
    assert len(d.changed) == 1 and d.changed[0].record_only


def test_duplicate_ids_refused_and_store_unchanged(home: Path) -> None:
    store = open_store()
    store.load(result([person(1, "A B")]), "a")
    with pytest.raises(ValueError, match="duplicate entity ids"):
        store.load(result([person(2, "C D"), person(2, "C D")]), "b")
    assert [v.seq for v in store.versions("test_list")] == [1]
    assert [e.id for e in store.current_entities()] == ["test_list:1"]


@pytest.mark.parametrize("point", ["load:2000", "load:-1"])
def test_sigkill_mid_load_leaves_store_as_it_was(home: Path, point: str) -> None:
    store = open_store()
    store.load(result([person(i, f"NAME {i}") for i in range(10)]), "first")
    before = [(e.id, e.caption) for e in store.current_entities()]
    store.close()
    script = textwrap.dedent(
        """
        from listguard.model import Entity
        from listguard.sources.base import ParseResult
        from listguard.store import open_store
        ents = []
        for i in range(5000):
            e = Entity(id=f"test_list:{i}", schema="Person", dataset="test_list")
            e.add("name", f"OTHER {i}")
            ents.append(e)
        open_store().load(ParseResult(dataset="test_list", entities=ents), "second")
        print("finished")
        """
    )
    env = {**os.environ, "LISTGUARD_FAULT": point}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "finished" not in proc.stdout
    store = open_store()
    assert [(e.id, e.caption) for e in store.current_entities()] == before
    assert [v.seq for v in store.versions("test_list")] == [1]
    # and the store still takes a load afterwards
    report = store.load(result([person(1, "X Y")]), "third")
    assert report.version is not None and report.version.seq == 2


def test_every_load_is_in_the_audit_trail(home: Path) -> None:
    from listguard import audit

    store = open_store()
    store.load(result([person(1, "A B")]), "first.csv", loaded_by="alice")
    store.load(result([person(1, "A B"), person(2, "C D")]), "second.csv", loaded_by="bob")
    loads = audit.entries(store.engine, action="load", newest_first=False)
    assert [(e.actor, e.details["version"], e.details["source"]) for e in loads] == [
        ("alice", 1, "first.csv"),
        ("bob", 2, "second.csv"),
    ]
    ok, problem = audit.verify(store.engine)
    assert ok, problem


def test_a_delta_patches_the_current_version(home: Path) -> None:
    store = open_store()
    store.load(result([person(1, "A B"), person(2, "C D"), person(3, "E F")]), "full")
    patch = ParseResult(
        dataset="test_list",
        entities=[person(2, "C D", "1980"), person(4, "G H")],
        partial=True,
        deleted=["test_list:3"],
    )
    report = store.load(patch, "delta")
    assert report.version is not None and report.version.entity_count == 3
    current = {e.id: e for e in store.current_entities()}
    assert sorted(current) == ["test_list:1", "test_list:2", "test_list:4"]
    assert current["test_list:2"].get("birthDate") == ["1980"]
    old, new = resolve_versions(store, "test_list")
    d = diff_versions(store, old, new)
    assert ([e.id for e in d.added], [e.id for e in d.removed], [c.entity_id for c in d.changed]) == (
        ["test_list:4"], ["test_list:3"], ["test_list:2"])


# -- concurrent loads (issue 13, item 1): real processes racing on one store -------------------
RACER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from listguard.model import Entity
    from listguard.sources.base import ParseResult
    from listguard.store import open_store
    tag, go = sys.argv[1], Path(sys.argv[2])
    ents = []
    for i in range(300):
        e = Entity(id=f"test_list:{i}", schema="Person", dataset="test_list")
        e.add("name", f"NAME {tag} {i}")
        ents.append(e)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.002)
    report = open_store().load(ParseResult(dataset="test_list", entities=ents), f"src-{tag}")
    print("skipped" if report.skipped else f"version {report.version.seq}", flush=True)
    """
)


def _race(tmp: Path, tags: list[str]) -> list[str]:
    """Start one process per tag, let them all open the store and load at the same instant."""
    go = tmp / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", RACER, tag, str(go)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for tag in tags
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outs = []
    for proc in procs:
        out, errs = proc.communicate(timeout=120)
        assert proc.returncode == 0, errs
        outs.append(out.strip())
    return outs


def test_concurrent_loads_number_versions_once_each(home: Path, tmp_path: Path) -> None:
    from listguard import audit

    # A fresh home: the processes also race on creating the tables and the audit head.
    outs = _race(tmp_path, ["a", "b", "c", "d"])
    assert sorted(outs) == ["version 1", "version 2", "version 3", "version 4"]
    store = open_store()
    versions = store.versions("test_list")
    assert [v.seq for v in versions] == [1, 2, 3, 4]
    assert [v.seq for v in versions if v.current] == [4]
    loads = audit.entries(store.engine, action="load", newest_first=False)
    assert [e.details["version"] for e in loads] == [1, 2, 3, 4]
    ok, problem = audit.verify(store.engine)
    assert ok, problem


def test_concurrent_identical_loads_make_one_version(home: Path, tmp_path: Path) -> None:
    # The identical-content check runs inside the lock: the losers see the winner's version.
    outs = _race(tmp_path, ["same", "same", "same"])
    assert sorted(outs) == ["skipped", "skipped", "version 1"]
    assert [v.seq for v in open_store().versions("test_list")] == [1]


def test_database_refuses_a_second_version_with_the_same_number(home: Path) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from listguard.store import schema as t

    store = open_store()
    store.load(result([person(1, "A B")]), "a")
    row = {"dataset": "test_list", "seq": 1, "loaded_at": "x", "checksum": "x", "source": "x",
           "entity_count": 0, "counts": "{}", "stats": "{}", "warnings": "[]"}
    with pytest.raises(IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(insert(t.versions).values(**row))


def test_a_store_with_duplicate_numbers_is_renumbered_on_open(home: Path) -> None:
    """A store damaged by concurrent loads before the fix: the earliest version keeps its number,
    the later duplicate gets the next free one, the audit trail says so, the index is made."""
    from sqlalchemy import inspect, text, update

    from listguard import audit
    from listguard.store import schema as t

    store = open_store()
    for name in ("A B", "C D", "E F"):
        store.load(result([person(1, name)]), name)
    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ux_versions_dataset_seq"))
        conn.execute(update(t.versions).where(t.versions.c.seq == 3).values(seq=2))
    store.close()
    store = open_store()
    assert [(v.seq, v.source) for v in store.versions("test_list")] == [(1, "A B"), (2, "C D"), (3, "E F")]
    assert "ux_versions_dataset_seq" in {ix["name"] for ix in inspect(store.engine).get_indexes("versions")}
    (entry,) = audit.entries(store.engine, action="renumber_versions")
    assert [(r["from"], r["to"]) for r in entry.details["renumbered"]] == [(2, 3)]


def test_a_load_waits_for_the_write_lock_only_so_long(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer holding the store's lock past LISTGUARD_LOCK_TIMEOUT: the load gives up
    with a message that says what to do, and nothing was written."""
    import time

    from listguard.store.locking import LockTimeout, take_write_lock

    store = open_store()
    store.load(result([person(1, "A B")]), "a")
    monkeypatch.setenv("LISTGUARD_LOCK_TIMEOUT", "0.5")
    with store.engine.connect() as holder:
        holder.begin()
        take_write_lock(holder, "load:test_list")
        t0 = time.monotonic()
        with pytest.raises(LockTimeout, match="LISTGUARD_LOCK_TIMEOUT"):
            store.load(result([person(2, "C D")]), "b")
        assert time.monotonic() - t0 < 5
        holder.rollback()
    assert [v.seq for v in store.versions("test_list")] == [1]
    report = store.load(result([person(2, "C D")]), "b")  # and once the lock is free, it loads
    assert report.version is not None and report.version.seq == 2
