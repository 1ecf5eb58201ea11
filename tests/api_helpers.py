"""Shared set-up for the HTTP service tests: a store with real lists, and a real server.

Loading the real OFAC list takes seconds, so it is done once per test session into a template
database; each test that changes the store (keys, new versions) works on its own copy of that
file, which costs milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import uvicorn

from tests.conftest import LISTS, require_shared

OFAC_LATEST = LISTS / "ofac" / "sdn_latest"
OFAC_2021 = LISTS / "ofac" / "sdn_2021-07-07"
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"

_TEMPLATES: dict[tuple[str, ...], Path] = {}


def load_paths(home: Path, paths: list[Path]) -> None:
    """Load list publications into the store under ``home`` (the loader, as the CLI does)."""
    from listguard.loader import find_lists, load_candidate
    from listguard.store import Store

    store = Store(f"sqlite:///{home / 'listguard.db'}")
    candidates, _ = find_lists(paths)
    for cand in candidates:
        load_candidate(store, cand)
    store.close()


def template_home(base: Path, paths: tuple[Path, ...] = (OFAC_LATEST, UN_XML)) -> Path:
    """A home with ``paths`` loaded, built once per session and then reused read-only."""
    require_shared()
    key = tuple(str(p) for p in paths)
    if key not in _TEMPLATES:
        home = base / f"template-{len(_TEMPLATES)}"
        home.mkdir(parents=True)
        load_paths(home, list(paths))
        _TEMPLATES[key] = home
    return _TEMPLATES[key]


def copy_home(template: Path, dest: Path) -> Path:
    """A private copy of a template home (a test may change it freely)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("listguard.db", "listguard.db-wal", "listguard.db-shm"):
        src = template / name
        if src.exists():
            shutil.copyfile(src, dest / name)
    return dest


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'listguard.db'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The app served by a real uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The clients share this process (and the GIL) with the server and its reload thread: on
        # a loaded machine (a parallel test run) seconds can pass between two requests of one
        # keep-alive connection, and a server that closed it meanwhile (uvicorn's default is
        # 5 s) resets the next request. A minute keeps that race out of the tests.
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                timeout_keep_alive=60)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("server thread died on start")
            time.sleep(0.05)
        raise RuntimeError("server did not start within 120 s")

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


@contextlib.contextmanager
def env(**values: str | None) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def yente_query(name: str, **props: list[str]) -> dict[str, Any]:
    return {"queries": {"q1": {"schema": "Person", "properties": {"name": [name], **props}}}}


#: Set by CI (.ci/postgres.sh prints it): a PostgreSQL server the tests may create databases on.
POSTGRES_URL = os.environ.get("LISTGUARD_TEST_POSTGRES_URL", "")


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards.

    Yields a ``postgresql://`` URL (the form users put in LISTGUARD_DATABASE_URL).
    """
    import secrets

    from sqlalchemy import create_engine, text

    if not POSTGRES_URL:
        raise RuntimeError("LISTGUARD_TEST_POSTGRES_URL is not set")
    admin_url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"lgtest_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
