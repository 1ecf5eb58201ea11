"""``listguard screen-text`` and ``screen-message`` end to end on a store with the real UN list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_helpers import TEXT_FIXTURES

from conftest import LISTS, require_shared
from listguard.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def un_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LISTGUARD_HOME with the UN consolidated list loaded (module-scoped: loads once)."""
    require_shared()
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("LISTGUARD_HOME", str(home))
    mp.delenv("LISTGUARD_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["load", str(next((LISTS / "un").glob("*.xml"))), "--json"])
    assert result.exit_code == 0, result.output
    yield home
    mp.undo()


@pytest.fixture
def env(un_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LISTGUARD_HOME", str(un_home))
    monkeypatch.delenv("LISTGUARD_DATABASE_URL", raising=False)
    return un_home


def test_screen_text_json(env: Path) -> None:
    result = runner.invoke(app, ["screen-text", str(TEXT_FIXTURES / "article_un_komid.html"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["mentions"]
    texts = [(m["text"], [h["entity_id"] for h in m["hits"]]) for m in data["mentions"]]
    assert ("Korea Mining Development Trading Corporation", ["un_sc_sanctions:KPe.001"]) in texts
    assert ("Tanchon Commercial Bank", ["un_sc_sanctions:KPe.003"]) in texts
    assert all(set(m) == {"text", "start", "end", "hits"} for m in data["mentions"])
    # the automaton was cached beside the index
    assert list((env / "index").glob("text-*.pickle"))


def test_screen_text_stdin_table_and_threshold(env: Path) -> None:
    text = "Yesterday KOMID, the Korea Mining Development Trading Corporation, said nothing.\n"
    result = runner.invoke(app, ["screen-text", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert "KOMID" in result.stdout and "KPe.001" in result.stdout
    result = runner.invoke(app, ["screen-text", "-", "--json", "--threshold", "0.5"], input="Nothing to see in Pyongyang.")
    assert json.loads(result.stdout) == {"mentions": []}


def test_screen_text_bad_input(env: Path, tmp_path: Path) -> None:
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\xff" * 100)
    result = runner.invoke(app, ["screen-text", str(binary)])
    assert result.exit_code == 2 and "binary" in result.output
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    result = runner.invoke(app, ["screen-text", str(big), "--max-mb", "0.001"])
    assert result.exit_code == 2 and "limit" in result.output


def test_screen_message(env: Path) -> None:
    result = runner.invoke(app, ["screen-message", str(TEXT_FIXTURES / "messages" / "mt202_listed_institution.txt"), "--json"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["hit"] is True and data["message"]["format"] == "MT202"
    first = data["alerts"][0]
    assert (first["kind"], first["party"], first["field"], first["location"]) == (
        "identifier", "beneficiary institution", "58A", "line 8")
    assert first["hits"][0]["entity_id"] == "un_sc_sanctions:KPe.047"
    clean = runner.invoke(app, ["screen-message", str(TEXT_FIXTURES / "messages" / "pain001_listed_ultimate.xml")])
    assert clean.exit_code == 3 and "UltmtCdtr" in clean.stdout  # Korea Daesong Bank (UN KPe.035)


def test_screen_message_bad_input(env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("{1:F01BANKBEBBAXXX0000000000}{4:\n:20:X\n")
    result = runner.invoke(app, ["screen-message", str(bad)])
    assert result.exit_code == 2 and "not terminated" in result.output
    conf = tmp_path / "j.toml"
    conf.write_text("codes = 3\n")
    result = runner.invoke(app, ["screen-message", str(bad), "--jurisdictions", str(conf)])
    assert result.exit_code == 2 and "codes" in result.output
