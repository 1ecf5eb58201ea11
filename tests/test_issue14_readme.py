"""Issue 14, item 8: what the README and --help promise is what the commands do. ``serve`` says
when it listens, ``show`` prints the version history, ``eval --help`` has an example, the
``--map`` suggestion names the right columns, unknown /ui/ pages are HTML pages, and the CLI
and the UI count the same number of listed parties. (Duplicate ids in a screen-file input:
tests/test_issue14_dates.py.)"""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from listguard.cli import app
from tests.conftest import LISTS, require_shared

runner = CliRunner()
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
CONS = LISTS / "ofac" / "cons_latest"  # the smallest official list: quick to index
T1 = LISTS / "opensanctions" / "yente_t1_entities.ftm.json"


def cli(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_ready_when_it_listens(home: Path) -> None:
    require_shared()
    cli("load", str(CONS))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "listguard.cli", "serve", "--port", str(port), "--log-level", "warning"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=os.environ.copy(),
    )
    try:
        assert proc.stderr is not None
        seen = b""
        deadline = time.monotonic() + 120
        while b"listguard: ready" not in seen:
            assert time.monotonic() < deadline, seen
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)
                assert chunk, seen  # the server exited
                seen += chunk
        assert f"listening on http://127.0.0.1:{port}/".encode() in seen
        # the README's ready check: the first request after "ready" is answered
        r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_show_prints_the_version_history(home: Path, tmp_path: Path) -> None:
    require_shared()
    cli("load", str(UN_XML))
    changed = tmp_path / "un.xml"
    text = UN_XML.read_text(encoding="utf-8")
    changed.write_text(text.replace("<FIRST_NAME>GERMAIN</FIRST_NAME>", "<FIRST_NAME>GERMAINE</FIRST_NAME>", 1), encoding="utf-8")
    cli("load", str(changed))
    out = cli("show", "un_sc_sanctions:CDi.006").stdout
    assert "Version history of un_sc_sanctions:CDi.006" in out
    history = out[out.index("Version history") :]
    assert re.search(r"un_sc_sanctions\s+1\s+2026-02-27", history)
    assert re.search(r"un_sc_sanctions\s+2 \(current\)\s+2026-02-27", history)
    assert "first seen" in history and "changed (names, dates or identifiers)" in history


def test_eval_help_has_an_example() -> None:
    out = cli("eval", "--help").output
    assert "Example" in out and "listguard eval --set pairs" in out


def test_map_suggestion_names_the_right_columns(home: Path, tmp_path: Path) -> None:
    require_shared()
    cli("load", str(CONS))
    src = tmp_path / "crm.csv"
    src.write_text("customer_no,full_name,dob\n1,Jane Doe,1970\n")
    result = runner.invoke(app, ["monitor", "add", str(src)], catch_exceptions=False)
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "--map id=customer_no,name=full_name" in flat
    result = runner.invoke(app, ["screen-file", str(src), "-o", str(tmp_path / "o.jsonl")], catch_exceptions=False)
    assert "--map name=full_name" in " ".join(result.output.split())


def test_unknown_ui_page_is_an_html_404_and_counts_agree(home: Path) -> None:
    require_shared()
    cli("load", str(CONS))
    # the same FtM entities imported twice under two names: one party each, not two
    cli("load", "--dataset", "os_a", str(T1))
    cli("load", "--dataset", "os_b", str(T1))
    screened = runner.invoke(app, ["screen", "Nobody Atall Xyzzy"], catch_exceptions=False)
    cli_count = int(re.search(r"([\d,]+) listed parties", screened.output).group(1).replace(",", ""))  # type: ignore[union-attr]
    from fastapi.testclient import TestClient

    from listguard.server import create_app

    with TestClient(create_app()) as client:
        missing = client.get("/ui/no-such-page")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "There is no page /ui/no-such-page" in missing.text
        page = client.get("/ui/screen", params={"name": "Nobody Atall Xyzzy"})
        ui_count = int(re.search(r"([\d,]+) listed parties", page.text).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert cli_count == ui_count == 442 + 6
