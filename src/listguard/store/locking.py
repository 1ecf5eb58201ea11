"""Write locks that make "read the current state, then write the next one" safe across processes.

Two ``listguard load`` runs at once used to read the current version and ``max(seq)`` before
either held a write lock, so both wrote "version 2" (and on a fresh home both inserted the
same dataset row). :func:`take_write_lock` is the first statement of such a transaction:

* SQLite: ``BEGIN IMMEDIATE`` takes the database's single write lock *before* the reads, so a
  second writer waits until the first commits and then reads what it wrote. SQLite's
  ``busy_timeout`` (30 s) is shorter than a long load, so waiting is retried up to
  ``LISTGUARD_LOCK_TIMEOUT`` seconds (default 600) before a clear error.
* PostgreSQL: a transaction-scoped advisory lock on a key derived from ``name`` (one per
  dataset for loads); it is released by the commit or the rollback, also when the process is
  killed (the server ends the session).

Other backends get no lock; the unique index on (dataset, seq) still refuses a duplicate.
"""

from __future__ import annotations

import hashlib
import os
import time

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError


class LockTimeout(ValueError):
    """Another process held the store's write lock for longer than we were willing to wait.

    A ValueError, like the store's other refusals, so ``load`` and ``update`` report it for the
    one file and go on with the others."""


def _pg_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(f"listguard:{name}".encode()).digest()[:8], "big", signed=True)


def lock_timeout() -> float:
    try:
        return float(os.environ.get("LISTGUARD_LOCK_TIMEOUT", "600"))
    except ValueError:
        return 600.0


def take_write_lock(conn: Connection, name: str) -> None:
    """Make ``conn``'s new transaction the store's writer for ``name``; call it first thing
    inside ``engine.begin()``, before any read the writes depend on."""
    dialect = conn.dialect.name
    timeout = lock_timeout()
    if dialect == "postgresql":
        # lock_timeout bounds the wait for the advisory lock; it is reset at once, so the
        # rest of the transaction waits for row locks as usual.
        conn.execute(text(f"SET LOCAL lock_timeout = {max(int(timeout * 1000), 1)}"))
        try:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _pg_key(name)})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise _timeout(name, timeout) from exc
            raise
        conn.execute(text("SET LOCAL lock_timeout = 0"))
        return
    if dialect != "sqlite":
        return
    deadline = time.monotonic() + timeout
    try:
        while True:
            # SQLite's own wait (busy_timeout), cut to what is left of ours
            left = max(deadline - time.monotonic(), 0.05)
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(min(left, 30.0) * 1000)}")
            try:
                # pysqlite has not begun a transaction yet (it only does so before DML), so
                # this BEGIN is the transaction SQLAlchemy's begin() block commits or rolls back.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig):
                    raise
                if time.monotonic() >= deadline:
                    raise _timeout(name, timeout) from exc
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout=30000")  # the store's usual wait


def _timeout(name: str, seconds: float) -> LockTimeout:
    return LockTimeout(
        f"another process has been writing to the store for more than {seconds:g} s ({name}); "
        "wait for it to finish and run the command again, or raise LISTGUARD_LOCK_TIMEOUT"
    )
