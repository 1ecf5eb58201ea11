"""Issue 14, item 4: birth dates in the formats people type, read everywhere a query's dates
come in (CLI screen, screen-file, the API), ambiguous day/month orders reported, nothing
dropped without a word, warnings counted in screen-file's summary line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from listguard.cli import app
from listguard.querydates import parse_birth_date
from tests.conftest import LISTS, require_shared

runner = CliRunner()
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
KATANGA = "un_sc_sanctions:CDi.006"  # GERMAIN KATANGA, born 1978-04-28


@pytest.mark.parametrize(
    "typed, iso",
    [
        ("14.04.1957", "1957-04-14"),
        ("14/04/1957", "1957-04-14"),
        ("1957/04/14", "1957-04-14"),
        ("14 Apr 1957", "1957-04-14"),
        ("April 14, 1957", "1957-04-14"),
        ("14-Apr-1957", "1957-04-14"),
        ("04/14/1957", "1957-04-14"),
        ("1957-04-14", "1957-04-14"),
        ("19570414", "1957-04-14"),
        ("Apr 1957", "1957-04"),
        ("1957-04", "1957-04"),
        ("1957", "1957"),
    ],
)
def test_ordinary_formats(typed: str, iso: str) -> None:
    assert parse_birth_date(typed) == (iso, None)


def test_ambiguous_and_bad_dates_are_reported() -> None:
    iso, warning = parse_birth_date("05/02/1970")
    assert iso == "1970" and warning and "ambiguous" in warning
    for bad in ("31.02.1970", "14.04.57", "yesterday", "2999"):
        iso, warning = parse_birth_date(bad)
        assert iso is None and warning and bad in warning


@pytest.fixture
def un_home(home: Path) -> Path:
    require_shared()
    result = runner.invoke(app, ["load", str(UN_XML)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return home


def _dob_detail(hit: dict) -> str:
    return orjson.dumps(hit.get("explanation")).decode()


def test_cli_screen_reads_dotted_dates_and_warns(un_home: Path) -> None:
    for typed in ("28.04.1978", "28 Apr 1978", "April 28, 1978"):
        result = runner.invoke(app, ["screen", "Germain Katanga", "--birth-date", typed, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        data = orjson.loads(result.stdout)
        assert data["birth_dates"] == ["1978-04-28"] and data["warnings"] == []
        hit = next(h for h in data["hits"] if h["entity_id"] == KATANGA)
        assert "1978-04-28" in _dob_detail(hit)
    ambiguous = runner.invoke(app, ["screen", "Germain Katanga", "--birth-date", "05/02/1978"], catch_exceptions=False)
    assert ambiguous.exit_code == 0
    assert "ambiguous" in ambiguous.stderr and "1978" in ambiguous.stderr
    bad = runner.invoke(app, ["screen", "Germain Katanga", "--birth-date", "31.02.1978"], catch_exceptions=False)
    assert "31.02.1978" in bad.stderr and "ignored" in bad.stderr


def test_screen_file_counts_warnings_and_duplicate_ids(un_home: Path, tmp_path: Path) -> None:
    rows = [
        "id,name,birth_date",
        "c1,Germain Katanga,28.04.1978",
        "c2,Germain Katanga,28/04/1978",
        "c3,Germain Katanga,05/02/1978",  # ambiguous: 1 warning
        "c4,Germain Katanga,31.02.1978",  # impossible: 1 warning
        "c1,Sultani Makenga,25 Dec 1973",  # duplicate id: 1 warning
    ]
    src = tmp_path / "customers.csv"
    src.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["screen-file", str(src), "-o", str(out), "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3 warnings" in result.stderr
    lines = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    by_line = {r["line"]: r for r in lines}
    assert not by_line[2].get("warnings") and not by_line[3].get("warnings")
    assert "1978-04-28" in _dob_detail(by_line[2]["hits"][0])
    assert "1978-04-28" in _dob_detail(by_line[3]["hits"][0])
    assert "ambiguous" in by_line[4]["warnings"][0]
    assert "31.02.1978" in by_line[5]["warnings"][0]
    assert "duplicate id 'c1'" in by_line[6]["warnings"][0] and "line 2" in by_line[6]["warnings"][0]


def test_api_match_reads_dates_and_warns(un_home: Path) -> None:
    from listguard.api.app import create_api
    from listguard.api.config import ServerConfig
    from listguard.store import open_store

    store = open_store()
    body = {
        "queries": {
            "dotted": {"schema": "Person", "properties": {"name": ["Germain Katanga"], "birthDate": ["28/04/1978"]}},
            "ambiguous": {"schema": "Person", "properties": {"name": ["Germain Katanga"], "birthDate": ["05/02/1970"]}},
        }
    }
    with TestClient(create_api(store, ServerConfig(reload_seconds=0))) as client:
        r = client.post("/match/default", json=body)
    store.close()
    assert r.status_code == 200, r.text
    responses = r.json()["responses"]
    top = responses["dotted"]["results"][0]
    assert top["id"] == KATANGA
    assert not any("birth date" in w for w in responses["dotted"]["warnings"])
    assert any("ambiguous" in w and "05/02/1970" in w for w in responses["ambiguous"]["warnings"])
    # the dotted date counted: the same query with no date scores lower
    assert top["score"] >= responses["ambiguous"]["results"][0]["score"]


def test_ui_screen_reads_dates_and_warns(un_home: Path) -> None:
    from listguard.server import create_app

    with TestClient(create_app()) as client:
        typed = client.get("/ui/screen", params={"name": "Germain Katanga", "birth_date": "28.04.1978"})
        ambiguous = client.get("/ui/screen", params={"name": "Germain Katanga", "birth_date": "05/02/1978"})
    assert typed.status_code == ambiguous.status_code == 200
    assert "1978-04-28" in typed.text and "ambiguous" not in typed.text
    assert "05/02/1978" in ambiguous.text and "ambiguous" in ambiguous.text
