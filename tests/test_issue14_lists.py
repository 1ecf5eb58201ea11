"""Issue 14, items 1-3, as a user meets them on the command line: list publication dates,
an older list loaded after a newer one, and FollowTheMoney samples beside the official lists.

Every test runs the real ``listguard`` command (CliRunner: output is not a terminal).
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from listguard.cli import app
from tests.conftest import LISTS, require_shared

runner = CliRunner()
OFAC_LATEST = LISTS / "ofac" / "sdn_latest"
OFAC_2021 = LISTS / "ofac" / "sdn_2021-07-07"
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
OPENSANCTIONS = LISTS / "opensanctions"


def cli(*args: str, code: int = 0) -> "object":
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def sources_json() -> dict[str, dict]:
    data = orjson.loads(cli("sources", "--json").stdout)
    return {d["dataset"]: d for d in data["datasets"]}


def test_publication_dates_from_file_flag_or_unknown(home: Path) -> None:
    require_shared()
    cli("load", str(UN_XML))
    cli("load", str(LISTS / "uk" / "FCDO_UK_Sanctions_List_2025-08-11.ods"), "--published", "2025-08-12")
    cli("load", str(LISTS / "ofac" / "cons_latest"))
    out = cli("sources").stdout
    lines = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert "2026-02-27" in lines["un_sc_sanctions"]  # from the XML's dateGenerated
    assert "2025-08-12" in lines["gb_fcdo_sanctions"]  # --published wins over the file's date
    assert " unknown " in lines["us_ofac_cons"]  # the CSV states none: says so
    loaded_today = datetime.now(timezone.utc).date().isoformat()
    assert all(loaded_today in line for line in lines.values())  # the load date beside it
    data = sources_json()
    assert data["gb_fcdo_sanctions"]["current"]["published_at"] == "2025-08-12"
    assert data["us_ofac_cons"]["current"]["published_at"] is None
    bad = cli("load", str(UN_XML), "--published", "03/05/2024", code=1)
    assert "YYYY-MM-DD" in bad.output


def test_older_list_is_stored_but_not_current(home: Path) -> None:
    require_shared()
    cli("load", str(OFAC_LATEST))
    older = cli("load", str(OFAC_2021))
    assert "not current" in older.output and "Version 1 stays current" in older.output
    assert "--allow-older" in older.output and "highest entry number" in older.output
    data = sources_json()["us_ofac_sdn"]
    assert data["current"]["version"] == 1 and data["current"]["entity_count"] == 14965
    assert [v["version"] for v in data["versions"]] == [1, 2]  # stored: it can be diffed
    assert "8,976" not in cli("sources").stdout.split("us_ofac_sdn", 1)[1].splitlines()[0]
    # loading it again does not pile up copies
    again = cli("load", str(OFAC_2021))
    assert "same file as stored version 2" in again.output
    assert [v["version"] for v in sources_json()["us_ofac_sdn"]["versions"]] == [1, 2]
    diff = cli("diff", "us_ofac_sdn", "1", "2").output  # diffable, dates named
    assert diff.startswith("us_ofac_sdn version 1 (published unknown, loaded ")
    assert "removed" in diff.splitlines()[0]
    # with --allow-older it becomes current
    cli("load", str(OFAC_2021), "--allow-older")
    assert sources_json()["us_ofac_sdn"]["current"]["entity_count"] == 8976


def test_older_by_publication_date(home: Path, tmp_path: Path) -> None:
    require_shared()
    cli("load", str(LISTS / "ofac" / "cons_latest"), "--published", "2025-12-19")
    copy = tmp_path / "cons_copy"
    shutil.copytree(LISTS / "ofac" / "cons_latest", copy)
    with (copy / "cons_comments.csv").open("ab") as fh:
        fh.write(b"\r\n")  # another file, same content
    out = cli("load", str(copy), "--published", "2024-01-31", "--force")
    assert "published 2024-01-31, before the current version 1 (published 2025-12-19)" in out.output
    assert sources_json()["us_ofac_cons"]["current"]["published_at"] == "2025-12-19"


def test_ftm_samples_do_not_pose_as_official_lists(home: Path) -> None:
    require_shared()
    # a folder holding only FtM samples: nothing loads, and the message says how to import one
    none = cli("load", str(OPENSANCTIONS), code=1)
    assert "FollowTheMoney" in none.output and "listguard load" in none.output
    # named explicitly, the eu_fsf sample gets its own name
    cli("load", str(OPENSANCTIONS / "yente_t1_entities.ftm.json"))
    names = set(sources_json())
    assert "os_eu_fsf" in names and "eu_fsf" not in names
    refused = cli("load", "--dataset", "eu_fsf", str(OPENSANCTIONS / "yente_t1_entities.ftm.json"), code=1)
    assert "official list" in refused.output
    assert "eu_fsf" not in set(sources_json())


def test_readme_main_command_loads_the_official_lists(home: Path, tmp_path: Path) -> None:
    """The README's ``LISTGUARD_LISTS=... listguard load`` on a folder with lists and samples."""
    require_shared()
    lists = tmp_path / "lists"
    (lists / "un").mkdir(parents=True)
    shutil.copy(UN_XML, lists / "un" / UN_XML.name)
    shutil.copytree(OPENSANCTIONS, lists / "opensanctions")
    result = runner.invoke(app, ["load"], env={"LISTGUARD_LISTS": str(lists)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert set(sources_json()) == {"un_sc_sanctions"}
    assert "4 FollowTheMoney file(s)" in result.output


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    root = tmp_path / "mirror"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LISTGUARD_SOURCE_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()


def test_update_takes_the_publishers_last_modified(home: Path, mirror: Path) -> None:
    require_shared()
    stamp = datetime(2025, 12, 19, 8, 30, tzinfo=timezone.utc).timestamp()
    for src in sorted((LISTS / "ofac" / "cons_latest").iterdir()):
        shutil.copy(src, mirror / src.name)
        os.utime(mirror / src.name, (stamp, stamp))
    cli("update", "us_ofac_cons")
    assert sources_json()["us_ofac_cons"]["current"]["published_at"].startswith("2025-12-19")
    assert "2025-12-19" in cli("sources").stdout
