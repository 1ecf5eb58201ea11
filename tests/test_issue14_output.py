"""Issue 14, item 5: terminal output. Ids are never cut, output that is not a terminal is written
in full, tables that leave rows out say how many and how to see them, explanations are not cut
mid-word, and help does not label flags ``<bool>``.

The commands run as a user runs them: a real process, its output piped to a file, or attached
to a pseudo-terminal (80 and 60 columns).
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from listguard.cli import app
from tests.conftest import LISTS, require_shared

runner = CliRunner()
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def run_piped(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "listguard.cli", *args], capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def run_in_terminal(*args: str, columns: int = 80) -> str:
    """The command attached to a pseudo-terminal of ``columns`` columns; returns what it showed."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "listguard.cli", *args], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 120 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "")


@pytest.fixture
def lists_home(home: Path) -> Path:
    require_shared()
    for path in (UN_XML, LISTS / "ofac" / "cons_latest"):
        result = runner.invoke(app, ["load", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return home


@pytest.mark.parametrize("command", [["audit"], ["load"], ["screen"], ["monitor", "add"], ["sources"], ["screen-file"]])
def test_help_shows_flags_without_a_type(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_piped_output_is_written_in_full(lists_home: Path) -> None:
    sources = run_piped("sources")
    assert "…" not in sources
    rows = {line.split()[0] for line in sources.splitlines()[2:] if line.strip()}
    assert rows == {"un_sc_sanctions", "us_ofac_cons"}
    assert all(len(line) > 0 for line in sources.splitlines())
    screened = run_piped("screen", "Germain Katanga", "--limit", "3")
    assert "…" not in screened
    data = orjson.loads(run_piped("screen", "Germain Katanga", "--limit", "3", "--json"))
    lines = screened.splitlines()
    for hit in data["hits"]:
        # one line per hit: the whole id and the whole explanation
        assert any(hit["entity_id"] in line and hit["explanation"]["summary"] in line for line in lines)


@pytest.mark.parametrize("columns", [60])  # narrower than any table: the hardest case
def test_terminal_output_keeps_ids_and_words_whole(lists_home: Path, columns: int) -> None:
    data = orjson.loads(run_piped("screen", "Germain Katanga", "--limit", "3", "--json"))
    shown = run_in_terminal("screen", "Germain Katanga", "--limit", "3", columns=columns)
    assert "…" not in shown
    words = set(shown.split())
    for hit in data["hits"]:
        assert hit["entity_id"] in words
        assert set(hit["explanation"]["summary"].split()) <= words  # no word cut or dropped
    table = run_in_terminal("sources", columns=columns)
    assert "un_sc_sanctions" in table and "us_ofac_cons" in table and "…" not in table


def test_monitor_add_says_how_many_alerts_it_left_out(lists_home: Path, tmp_path: Path) -> None:
    from listguard.sources import un

    people = [e for e in un.parse(UN_XML).entities if e.schema == "Person"][:30]
    portfolio = tmp_path / "customers.csv"
    portfolio.write_text("id,name\n" + "".join(f'C{i:03d},"{e.caption.title()}"\n' for i, e in enumerate(people)))
    result = runner.invoke(app, ["monitor", "add", str(portfolio), "--portfolio", "retail"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    raised = int(re.search(r"Alerts raised \((\d+)\)", result.output).group(1))  # type: ignore[union-attr]
    assert raised > 25
    assert f"25 of {raised} shown; {raised - 25} more: listguard alerts --portfolio retail --limit 0" in result.output
    # ... and that command shows them all
    listed = runner.invoke(app, ["alerts", "--portfolio", "retail", "--limit", "0"], catch_exceptions=False)
    assert sum(1 for line in listed.output.splitlines() if " open " in line) == raised
