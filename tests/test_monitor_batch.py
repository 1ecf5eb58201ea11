"""Batch input/output (listguard.batch): formats, --map, bad rows, resume, the HTML report.

These tests are about the *plumbing* (reading, writing, checkpoints), so they screen with a
tiny deterministic test double for the screener (queries are real ``Query`` objects);
screening quality is the matcher's tests' business, and the real matcher is exercised end to
end in tests/test_monitor_e2e.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from listguard.batch import (
    BatchError,
    InputRow,
    RowError,
    clean_date,
    parse_map,
    read_rows,
    screen_file,
)


@dataclass
class FakeHit:
    entity_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "score": self.score,
            "match": self.score >= 0.8,
            "caption": "LISTED " + self.entity_id,
            "matched_name": "LISTED",
            "schema": "Person",
            "datasets": ["test_list"],
            "explanation": {"summary": f"test double: {self.entity_id}", "features": []},
        }


class FakeScreener:
    """Hits when the name contains 'listed'; counts every query it screens."""

    def __init__(self) -> None:
        self.screened: list[str] = []

    def screen(self, query: Any, limit: int = 5, threshold: float | None = None) -> list[FakeHit]:
        name = query.names[0]
        self.screened.append(name)
        if "listed" in name.lower():
            return [FakeHit(f"test_list:{len(name)}", 0.95), FakeHit("test_list:other", 0.5)][:limit]
        return []


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_map_and_cleaning(tmp_path: Path) -> None:
    src = write(
        tmp_path / "in.csv",
        "\ufeffcustomer_no;full_name;dob;nat;kind;passport\n"
        "A1;Aleksey  Teksler;1973-01-19;Russia;individual;\"123 ; 456\"\n"
        "A2;ACME Trading;;gb;company;\n"
        "A3;Someone;05.02.1970;KP;;\n",
    )
    rows = list(read_rows(src, mapping=parse_map("id=customer_no,name=full_name,birth_date=dob,country=nat,schema=kind,identifier=passport")))
    assert all(isinstance(r, InputRow) for r in rows)
    a1, a2, a3 = rows  # type: ignore[misc]
    assert (a1.id, a1.name, a1.schema, a1.birth_dates, a1.countries, a1.identifiers) == ("A1", "Aleksey Teksler", "Person", ["1973-01-19"], ["ru"], ["123", "456"])
    assert a2.schema == "Company" and a2.countries == ["gb"]
    assert a3.birth_dates == ["1970-02-05"] and a3.countries == ["kp"]


def test_bad_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    src = write(
        tmp_path / "in.csv",
        b"id,name,birth_date\n"
        b"1,Good Name,1970\n"
        b"2,,1970\n"
        b"3,Caf\xe9 Owner,\n"
        b"1,Dupe Name,\n"
        b"4,Bad Date,31/02/1980\n"  # no such day (31/12/1980 is read: issue 14)
        b"5,Too,many,fields\n"
        b",No Id,\n",
    )
    rows = list(read_rows(src, unique_ids=True))
    assert isinstance(rows[0], InputRow)
    errors = {r.line: str(r) for r in rows if isinstance(r, RowError)}
    assert "name is empty" in errors[3]
    assert "not valid utf-8" in errors[4] and "0xE9" in errors[4] and "--encoding" in errors[4]
    assert "duplicate id '1' (first on row 2)" in errors[5]
    assert "has 4 fields" in errors[7]
    assert "id is empty" in errors[8]
    bad_date = next(r for r in rows if isinstance(r, InputRow) and r.id == "4")
    assert bad_date.birth_dates == [] and "birth date '31/02/1980' ignored" in bad_date.warnings[0]
    # the right encoding fixes the broken row
    fixed = [r for r in read_rows(src, encoding="cp1252") if isinstance(r, InputRow) and r.id == "3"]
    assert fixed and fixed[0].name == "Café Owner"


def test_whole_file_problems_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="no 'name' column.*--map"):
        list(read_rows(write(tmp_path / "a.csv", "id,full_name\n1,X\n")))
    with pytest.raises(BatchError, match="no column 'nom'"):
        list(read_rows(write(tmp_path / "b.csv", "id,name\n1,X\n"), mapping={"name": "nom"}))
    with pytest.raises(BatchError, match="empty"):
        list(read_rows(write(tmp_path / "c.csv", "")))
    with pytest.raises(BatchError, match="not found"):
        list(read_rows(tmp_path / "missing.csv"))
    with pytest.raises(BatchError, match="unknown field"):
        parse_map("nom=x")


def test_dates() -> None:
    assert clean_date("1970") == ("1970", None)
    assert clean_date("1970-2") == ("1970-02", None)
    assert clean_date("19700205") == ("1970-02-05", None)
    assert clean_date("1970-02-30")[0] is None
    assert clean_date("02/05/1970")[0] == "1970"  # ambiguous: the year only, not a guess
    assert "ambiguous" in (clean_date("02/05/1970")[1] or "")


def test_jsonl_and_parquet_inputs(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = write(
        tmp_path / "in.jsonl",
        '{"cid": "J1", "nm": "Listed Person", "dob": ["1970", "1971-01-01"]}\n'
        "not json\n"
        '{"cid": "J2", "nm": "Clean Person"}\n',
    )
    rows = list(read_rows(src, mapping={"id": "cid", "name": "nm", "birth_date": "dob"}))
    assert isinstance(rows[0], InputRow) and rows[0].birth_dates == ["1970", "1971-01-01"]
    assert isinstance(rows[1], RowError) and "not valid JSON" in rows[1].message
    table = pa.table({"customer": ["P1", "P2", "P3"], "full_name": ["Listed Co", None, "Clean Co"], "country": ["DE", "FR", None]})
    pq.write_table(table, tmp_path / "in.parquet")
    rows = list(read_rows(tmp_path / "in.parquet", mapping={"id": "customer", "name": "full_name"}))
    assert [type(r).__name__ for r in rows] == ["InputRow", "RowError", "InputRow"]
    assert rows[0].countries == ["de"]  # type: ignore[union-attr]


def _input(tmp_path: Path, n: int = 2500) -> Path:
    lines = ["id,name"]
    for i in range(n):
        lines.append(f"{i},{'Listed Person' if i % 100 == 7 else ''}{'' if i % 100 == 7 else ('' if i % 500 == 9 else 'Customer ' + str(i))}")
    return write(tmp_path / "big.csv", "\n".join(lines) + "\n")


@pytest.mark.parametrize("out_name", ["out.jsonl", "out.csv", "out.parquet"])
def test_resume_continues_without_redoing_or_duplicating(tmp_path: Path, out_name: str) -> None:
    if out_name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    src = _input(tmp_path)
    out = tmp_path / out_name
    first = FakeScreener()
    partial = screen_file(first, src, out, chunk_size=400, stop_after=1000)
    assert partial.rows == 1200  # three chunks of 400, then "killed"
    assert (tmp_path / (out_name + ".checkpoint")).exists()
    # simulate a kill between writing a chunk and checkpointing it: trailing garbage
    if not out_name.endswith(".parquet"):
        with open(out, "ab") as fh:
            fh.write(b"half a row that was never checkpointed")
    second = FakeScreener()
    summary = screen_file(second, src, out, chunk_size=400, resume=True, report=tmp_path / "report.html")
    assert summary.rows == 2500 and summary.resumed_from == 1200
    assert len(first.screened) + len(second.screened) == summary.screened  # nothing screened twice
    assert summary.rejected == 5  # the empty names (rows 9, 509, ...)
    assert summary.rows_with_match == 25 and summary.matches == 25
    assert not (tmp_path / (out_name + ".checkpoint")).exists()
    ids = _output_ids(out)
    assert ids == [str(i) for i in range(2500)]
    html = (tmp_path / "report.html").read_text()
    assert "Screening report" in html and "test_list" in html and "resumed after row 1,200" in html


def _output_ids(out: Path) -> list[str]:
    if out.suffix == ".jsonl":
        return [orjson.loads(line)["id"] for line in out.read_bytes().splitlines()]
    if out.suffix == ".csv":
        import csv

        seen: list[str] = []
        with open(out, newline="") as fh:
            for row in csv.DictReader(fh):
                if not seen or seen[-1] != row["id"]:
                    seen.append(row["id"])
        return seen
    import pyarrow.parquet as pq

    seen = []
    for value in pq.read_table(out).column("id").to_pylist():
        if not seen or seen[-1] != value:
            seen.append(value)
    return seen


def test_output_shapes(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "id,name\nA,Listed One\nB,Clean\nC,\n")
    screen_file(FakeScreener(), src, tmp_path / "o.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["A", "B", "C"]
    assert rows[0]["hits"][0]["match"] is True and rows[1]["hits"] == []
    assert rows[2]["error"] == "name is empty"
    screen_file(FakeScreener(), src, tmp_path / "o.csv")
    text = (tmp_path / "o.csv").read_text().splitlines()
    assert text[0].startswith("id,line,rank,entity_id,score,match")
    assert len(text) == 1 + 2 + 1 + 1  # header, two hits of A, B without hits, C rejected


def test_resume_refuses_a_different_input(tmp_path: Path) -> None:
    src = _input(tmp_path, 900)
    out = tmp_path / "o.jsonl"
    screen_file(FakeScreener(), src, out, chunk_size=300, stop_after=300)
    write(src, src.read_text() + "9999,Another\n")
    with pytest.raises(BatchError, match="different input"):
        screen_file(FakeScreener(), src, out, chunk_size=300, resume=True)


def test_parallel_workers_keep_input_order(tmp_path: Path) -> None:
    src = _input(tmp_path, 3000)
    out = tmp_path / "o.jsonl"
    summary = screen_file(FakeScreener(), src, out, chunk_size=250, workers=2)
    assert summary.rows == 3000
    assert _output_ids(out) == [str(i) for i in range(3000)]
