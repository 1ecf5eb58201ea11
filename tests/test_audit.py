"""The audit trail: append-only, hash-chained, and `listguard audit --verify` catches tampering.

Tampering is done the way an insider would: straight in the SQLite file with the sqlite3 module,
after dropping the append-only triggers (which is itself the "deliberate act" they force).
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from listguard import audit
from listguard.cli import app
from listguard.store import open_store

runner = CliRunner()


def _db(home: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(home / "listguard.db")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


def _fill(n: int = 5) -> None:
    engine = open_store().engine
    for i in range(n):
        audit.record(engine, "test.event", "alice", {"i": i, "note": f"entry {i}"}, [i + 1])


def test_chain_verifies_and_refs_are_idempotent(home: Path) -> None:
    engine = open_store().engine
    first = audit.record(engine, "load", "bob", {"dataset": "x"}, [1], ref="load:1")
    again = audit.record(engine, "load", "bob", {"dataset": "x"}, [1], ref="load:1")
    assert first is not None and first.seq == 1 and first.prev_hash == audit.GENESIS
    assert again is None
    _fill(3)
    ok, problem = audit.verify(engine)
    assert ok and problem is None
    assert audit.head(engine)[0] == 4
    rows = audit.entries(engine, newest_first=False)
    assert [e.seq for e in rows] == [1, 2, 3, 4]
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert rows[1].actor == "alice" and rows[1].versions == [1] and rows[1].details["i"] == 0


def test_database_refuses_update_and_delete(home: Path) -> None:
    _fill(2)
    conn = sqlite3.connect(home / "listguard.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 1")
    conn.close()


def test_edited_entry_is_detected(home: Path) -> None:
    _fill(5)
    conn = _db(home)
    conn.execute("""UPDATE audit_log SET details = '{"i":2,"note":"nothing to see"}' WHERE seq = 3""")
    conn.commit()
    conn.close()
    ok, problem = audit.verify(open_store().engine)
    assert not ok and problem is not None and problem.seq == 3 and "edited" in problem.reason
    result = runner.invoke(app, ["audit", "--verify"])
    assert result.exit_code == 1
    assert "broken" in result.output and "entry 3" in result.output


def test_edit_with_recomputed_hash_breaks_the_next_link(home: Path) -> None:
    _fill(5)
    conn = _db(home)
    row = conn.execute("SELECT seq, at, actor, action, details, versions, ref, prev_hash FROM audit_log WHERE seq = 2").fetchone()
    details = '{"i":1,"note":"rewritten"}'
    forged = audit.entry_hash(row[0], row[1], "mallory", row[3], details, row[5], row[6], row[7])
    conn.execute("UPDATE audit_log SET actor='mallory', details=?, hash=? WHERE seq=2", (details, forged))
    conn.commit()
    conn.close()
    ok, problem = audit.verify(open_store().engine)
    assert not ok and problem is not None and problem.seq == 3 and "chain" in problem.reason


def test_deleted_entry_is_detected(home: Path) -> None:
    _fill(5)
    conn = _db(home)
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.commit()
    conn.close()
    ok, problem = audit.verify(open_store().engine)
    assert not ok and problem is not None and problem.seq == 2 and "deleted" in problem.reason
    result = runner.invoke(app, ["audit", "--verify", "--json"])
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["first_bad_entry"] == 2


def test_deleted_tail_is_detected_by_the_head_and_the_anchor(home: Path, tmp_path: Path) -> None:
    _fill(5)
    engine = open_store().engine
    seq, digest = audit.export(engine, tmp_path / "trail.jsonl")
    assert seq == 5
    conn = _db(home)
    conn.execute("DELETE FROM audit_log WHERE seq = 5")
    conn.commit()
    ok, problem = audit.verify(engine)
    assert not ok and problem is not None and "head" in problem.reason
    # An insider who also rewinds the head is still caught by the anchor kept outside.
    prev = conn.execute("SELECT seq, hash FROM audit_log WHERE seq = 4").fetchone()
    conn.execute("UPDATE audit_head SET seq = ?, hash = ?", prev)
    conn.commit()
    conn.close()
    assert audit.verify(engine) == (True, None)
    ok, problem = audit.verify(engine, anchor=(seq, digest))
    assert not ok and problem is not None and problem.seq == 5
    result = runner.invoke(app, ["audit", "--verify", "--anchor", f"{seq}:{digest}"])
    assert result.exit_code == 1


def test_export_is_self_verifying(home: Path, tmp_path: Path) -> None:
    _fill(4)
    out = tmp_path / "trail.jsonl"
    result = runner.invoke(app, ["audit", "--export", str(out)])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3, 4]
    prev = "0" * 64
    for e in lines:
        # Recomputed without listguard's helper: what a regulator's script would do.
        payload = orjson.dumps([e["seq"], e["at"], e["actor"], e["action"], e["details"], e["versions"], e["ref"], prev], option=orjson.OPT_SORT_KEYS)
        assert e["prev_hash"] == prev
        assert hashlib.sha256(payload).hexdigest() == e["hash"]
        prev = e["hash"]
    assert f"4:{prev}" in result.output.replace("\n", "")


def test_concurrent_writers_keep_one_chain(home: Path) -> None:
    open_store()  # create the database first
    script = (
        "from listguard import audit\n"
        "from listguard.store import open_store\n"
        "e = open_store().engine\n"
        "import sys\n"
        "for i in range(40):\n"
        "    audit.record(e, 'concurrent', sys.argv[1], {'i': i}, [])\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, f"writer{k}"]) for k in range(3)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    engine = open_store().engine
    assert audit.verify(engine) == (True, None)
    assert audit.head(engine)[0] == 120


def test_cli_lists_entries(home: Path) -> None:
    _fill(3)
    result = runner.invoke(app, ["audit", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert [e["seq"] for e in data] == [3, 2]
    result = runner.invoke(app, ["audit", "--verify"])
    assert result.exit_code == 0 and "intact" in result.output
