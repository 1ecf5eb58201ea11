"""`listguard update` end to end: a static mirror on 127.0.0.1 serving the shared files.

The mirror is Python's plain static file server (Last-Modified / If-Modified-Since, no ETag),
the kind of mirror a bank puts in front of its screening hosts.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from listguard.cli import app
from listguard.store import open_store
from tests.conftest import LISTS, require_shared

runner = CliRunner()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    require_shared()
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("LISTGUARD_SOURCE_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()


def put_ofac(root: Path, folder: Path) -> None:
    for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"):
        target = root / name
        shutil.copy(folder / name, target)
        # a strictly newer mtime, so Last-Modified moves even within the same second
        stamp = target.stat().st_mtime + 10
        os.utime(target, (stamp, stamp))


def test_update_loads_then_304_then_new_version(home: Path, mirror: Path) -> None:
    put_ofac(mirror, LISTS / "ofac" / "sdn_2021-07-07")
    shutil.copy(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml", mirror / "consolidated.xml")

    result = runner.invoke(app, ["update", "us_ofac_sdn", "un_sc_sanctions"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    store = open_store()
    assert store.current_version("us_ofac_sdn").entity_count == 8976  # type: ignore[union-attr]
    assert store.current_version("un_sc_sanctions").entity_count == 1003  # type: ignore[union-attr]

    again = runner.invoke(app, ["update", "us_ofac_sdn", "un_sc_sanctions"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert again.output.count("not modified") == 2
    assert [v.seq for v in store.versions("us_ofac_sdn")] == [1]

    put_ofac(mirror, LISTS / "ofac" / "sdn_latest")
    third = runner.invoke(app, ["update", "us_ofac_sdn"], catch_exceptions=False)
    assert third.exit_code == 0, third.output
    assert [v.seq for v in store.versions("us_ofac_sdn")] == [1, 2]
    assert store.current_version("us_ofac_sdn").entity_count == 14965  # type: ignore[union-attr]


def test_update_failure_keeps_previous_version(home: Path, mirror: Path) -> None:
    shutil.copy(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml", mirror / "consolidated.xml")
    assert runner.invoke(app, ["update", "un_sc_sanctions"], catch_exceptions=False).exit_code == 0
    before = [e.id for e in open_store().current_entities()]

    # the publisher now serves a truncated file: the load fails, nothing changes
    data = (mirror / "consolidated.xml").read_bytes()
    (mirror / "consolidated.xml").write_bytes(data[: len(data) // 2])
    stamp = (mirror / "consolidated.xml").stat().st_mtime + 10
    os.utime(mirror / "consolidated.xml", (stamp, stamp))
    result = runner.invoke(app, ["update", "un_sc_sanctions"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "load failed" in result.output and "previous version kept" in " ".join(result.output.split())
    assert [e.id for e in open_store().current_entities()] == before

    # a dataset the mirror does not have: a download error naming the dataset, exit 1
    missing = runner.invoke(app, ["update", "au_dfat_sanctions"], catch_exceptions=False)
    assert missing.exit_code == 1
    assert "au_dfat_sanctions" in missing.output and "404" in missing.output


def test_update_timeout_bounds_a_trickling_mirror(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``update --timeout`` (and LISTGUARD_UPDATE_TIMEOUT) is a deadline per file: a mirror that
    sends a byte every 0.2 s fails at it, with the fix in the message; stale .part files of
    other datasets, left by a killed run, are gone afterwards (issue 13, item 7)."""
    import time

    stop = threading.Event()

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                if stop.wait(0.2):
                    return
                self.wfile.write(b"x")
                self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LISTGUARD_SOURCE_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    stale = home / "downloads" / "us_ofac_sdn" / ".sdn.csv.x1y2.part"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by kill -9")
    try:
        t0 = time.monotonic()
        result = runner.invoke(app, ["update", "un_sc_sanctions", "--timeout", "1"], catch_exceptions=False)
        assert time.monotonic() - t0 < 4
        assert result.exit_code == 1
        message = " ".join(result.output.split())
        assert "1 s deadline" in message and "--timeout" in message, message
        assert not stale.exists()
        assert list((home / "downloads" / "un_sc_sanctions").glob(".*.part")) == []

        monkeypatch.setenv("LISTGUARD_UPDATE_TIMEOUT", "0.6")
        t0 = time.monotonic()
        result = runner.invoke(app, ["update", "un_sc_sanctions"], catch_exceptions=False)
        assert result.exit_code == 1 and time.monotonic() - t0 < 3
        assert "0.6 s deadline" in " ".join(result.output.split())

        monkeypatch.setenv("LISTGUARD_UPDATE_TIMEOUT", "soon")
        result = runner.invoke(app, ["update", "un_sc_sanctions"], catch_exceptions=False)
        assert result.exit_code == 1 and "LISTGUARD_UPDATE_TIMEOUT" in result.output
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_update_shows_merged_repeated_ids(home: Path, mirror: Path) -> None:
    """A downloaded list that repeats an id loads merged, and update's table says so (issue 13,
    item 6: visible in the human output, like load)."""
    data = (LISTS / "un" / "un_sc_consolidated_2026-02-27.xml").read_bytes()
    start = data.index(b"<INDIVIDUAL>")
    end = data.index(b"</INDIVIDUAL>", start) + len(b"</INDIVIDUAL>")
    (mirror / "consolidated.xml").write_bytes(data[:end] + data[start:end] + data[end:])
    result = runner.invoke(app, ["update", "un_sc_sanctions"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    message = " ".join(result.output.split())
    assert "warning" in message and "1 id(s) more than once" in message and "merged" in message, message
