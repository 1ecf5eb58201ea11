"""The monitoring commands' edges: bad portfolio files, bad arguments, help with examples."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from listguard.cli import app

runner = CliRunner()

COMMANDS = [
    ["monitor", "add"],
    ["monitor", "run"],
    ["monitor", "list"],
    ["alerts"],
    ["decide"],
    ["allow"],
    ["audit"],
    ["webhook", "add"],
    ["webhook", "list"],
    ["webhook", "log"],
    ["webhook", "deliver"],
    ["webhook", "remove"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_bad_portfolio_file_gets_a_per_row_report(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(
        b"id,name,birth_date,country\n"
        b"A1,Good Customer,1970-02-05,GB\n"
        b"A2,,1970,GB\n"
        b"A1,Same Id Again,,\n"
        b"A3,Bad Date,1970-13-45,GB\n"
        b"A4,Caf\xe9 Owner,,FR\n"
    )
    result = runner.invoke(app, ["monitor", "add", str(path), "--no-screen"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "2 added" in out and "3 rejected" in out
    assert "line 3 (id A2): name is empty" in out
    assert "line 4 (id A1): duplicate id 'A1' (first on row 2)" in out
    assert "line 6 (id A4): column 'name' is not valid utf-8 (byte 0xE9)" in out
    assert "bad birth date '1970-13-45' ignored" in out
    result = runner.invoke(app, ["monitor", "add", str(path), "--no-screen", "--json", "--portfolio", "other"])
    data = orjson.loads(result.stdout)
    assert data["add"]["errors"] == 3 and len(data["add"]["error_rows"]) == 3
    listing = orjson.loads(runner.invoke(app, ["monitor", "list", "--json"]).stdout)
    assert {p["portfolio"]: p["to_screen"] for p in listing} == {"default": 2, "other": 2}


def test_unusable_files_and_arguments_fail_clearly(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("customer,full_name\n1,X\n")
    result = runner.invoke(app, ["monitor", "add", str(path)])
    assert result.exit_code == 1 and "no 'id' or 'name' column" in result.output
    result = runner.invoke(app, ["monitor", "add", str(path), "--map", "id=customer,name=nom"])
    assert result.exit_code == 1 and "no column 'nom'" in result.output
    result = runner.invoke(app, ["monitor", "add", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and "not found" in result.output
    result = runner.invoke(app, ["monitor", "add", str(path), "--portfolio", "bad name!", "--map", "id=customer,name=full_name"])
    assert result.exit_code == 1 and "portfolio name" in result.output
    result = runner.invoke(app, ["monitor", "run", "--portfolio", "nope"])
    assert result.exit_code == 1 and "no portfolio 'nope'" in result.output
    result = runner.invoke(app, ["decide", "1", "--false-positive", "--true-match", "--reason", "x"])
    assert result.exit_code == 1 and "exactly one" in result.output
    result = runner.invoke(app, ["decide", "999", "--escalate", "--reason", "x"])
    assert result.exit_code == 1 and "no alert 999" in result.output
    result = runner.invoke(app, ["alerts", "--status", "bogus"])
    assert result.exit_code == 1 and "--status" in result.output
    result = runner.invoke(app, ["allow", "A1", "x:1", "--reason", "ok", "--portfolio", "nope"])
    assert result.exit_code == 1 and "no portfolio" in result.output
    result = runner.invoke(app, ["allow", "A1", "x:1", "--reason", "ok", "--expires", "someday"])
    assert result.exit_code == 1


def test_allow_list_commands(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,name\nA1,Some One\n")
    assert runner.invoke(app, ["monitor", "add", str(path), "--no-screen"]).exit_code == 0
    result = runner.invoke(app, ["allow", "A1", "us_ofac_sdn:1", "--reason", "verified", "--expires", "2999-12-31", "--by", "kim"])
    assert result.exit_code == 0, result.output
    entries = orjson.loads(runner.invoke(app, ["allow", "--list", "--json"]).stdout)
    assert [(e["record_id"], e["entity_id"], e["created_by"]) for e in entries] == [("A1", "us_ofac_sdn:1", "kim")]
    assert runner.invoke(app, ["allow", "--revoke", str(entries[0]["id"])]).exit_code == 0
    assert orjson.loads(runner.invoke(app, ["allow", "--list", "--json"]).stdout) == []
    assert runner.invoke(app, ["allow", "--revoke", str(entries[0]["id"])]).exit_code == 1


def test_monitor_add_indexes_the_portfolio_for_re_screening(home: Path, tmp_path: Path) -> None:
    """After `monitor add` the portfolio's search index is cached up to its revision, so the
    next list update searches it instead of building it first."""
    from listguard.monitor.portfolio import PortfolioIndex
    from listguard.store import open_store

    path = tmp_path / "customers.csv"
    path.write_text("id,name\nA1,Good Customer\nA2,Other Customer Ltd\n", encoding="utf-8")
    result = runner.invoke(app, ["monitor", "add", str(path), "--no-screen"])
    assert result.exit_code == 0, result.output
    pindex = PortfolioIndex(open_store().engine, "default")
    chain = pindex._existing()
    assert chain and chain[0].lo == 0 and chain[-1].hi == pindex.rev > 0
