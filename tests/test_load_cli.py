"""`listguard load / sources / diff / export` end to end on the real lists, and bad input.

Every bad-input case loads a good version first, feeds the bad file, and then checks that the
command failed with a message naming the file, and that the previous version is still current
with the same entities.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from listguard.cli import app
from listguard.store import open_store
from tests.conftest import LISTS, require_shared

runner = CliRunner()

UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
OFAC_2021 = LISTS / "ofac" / "sdn_2021-07-07"
OFAC_LATEST = LISTS / "ofac" / "sdn_latest"

#: Entity counts per publication, from ../shared/data/README.md.
EXPECTED = {
    "un_sc_sanctions": 1003,
    "us_ofac_sdn": 14965,
    "us_ofac_cons": 442,
    "au_dfat_sanctions": 3062,
    "gb_fcdo_sanctions": 5302,
}


def invoke(*args: str) -> "object":
    return runner.invoke(app, list(args), catch_exceptions=False)


def ofac_ids(folder: Path) -> set[str]:
    """ent_nums straight from the raw CSV, independently of our parser."""
    text = (folder / "sdn.csv").read_bytes().decode("cp1252").replace("\x1a", "")
    return {row[0] for row in csv.reader(io.StringIO(text)) if row and row[0].strip().isdigit()}


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shared list loaded once into one store (module scope: it takes a few seconds)."""
    require_shared()
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("LISTGUARD_HOME", str(home))
    result = runner.invoke(app, ["load", str(LISTS)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    yield home
    mp.undo()


def test_every_shared_list_loads_with_the_published_counts(loaded_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTGUARD_HOME", str(loaded_home))
    result = invoke("sources", "--json")
    data = json.loads(result.stdout)
    current = {d["dataset"]: d["current"] for d in data["datasets"]}
    for dataset, count in EXPECTED.items():
        assert current[dataset]["entity_count"] == count, dataset
    # the shared tree holds two SDN publications: both became versions, the later one current
    sdn = next(d for d in data["datasets"] if d["dataset"] == "us_ofac_sdn")
    assert [v["entity_count"] for v in sdn["versions"]] == [8976, 14965]
    assert current["un_sc_sanctions"]["published_at"].startswith("2026-02-27")
    assert current["us_ofac_sdn"]["stats"]["orphan_alias_entities"] == 1724


def test_real_three_year_ofac_delta(loaded_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTGUARD_HOME", str(loaded_home))
    old_ids, new_ids = ofac_ids(OFAC_2021), ofac_ids(OFAC_LATEST)
    result = invoke("diff", "us_ofac_sdn", "--json")
    data = json.loads(result.stdout)
    assert data["summary"]["added"] == len(new_ids - old_ids)
    assert data["summary"]["removed"] == len(old_ids - new_ids)
    assert {e["entity_id"] for e in data["added"]} == {f"us_ofac_sdn:{i}" for i in new_ids - old_ids}
    assert {e["entity_id"] for e in data["removed"]} == {f"us_ofac_sdn:{i}" for i in old_ids - new_ids}
    # three years of amendments: many records kept their id but changed
    assert data["summary"]["changed"] > 100
    changed_fields = {c["field"] for ch in data["changed"] for c in ch["changes"]}
    assert {"alias", "address"} & changed_fields
    table = invoke("diff", "us_ofac_sdn", "1", "2")
    assert "added" in table.stdout and "removed" in table.stdout


def test_show_and_export(loaded_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LISTGUARD_HOME", str(loaded_home))
    shown = json.loads(invoke("show", "us_ofac_sdn:24979", "--json").stdout)
    assert shown["properties"]["birthDate"] == ["1970-02-05"]
    assert [h["seq"] for h in shown["history"]] == [1, 2]  # listed in 2021 and still in 2024
    out = tmp_path / "un.ftm.json"
    result = invoke("export", "--format", "ftm", "--dataset", "un_sc_sanctions", "-o", str(out))
    assert result.exit_code == 0
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    parties = [r for r in rows if r["schema"] in ("Person", "Organization", "LegalEntity", "Company")]
    assert len(parties) == 1003
    assert all(r["id"] and r["properties"] for r in rows)


# ---------------------------------------------------------------------------- bad input
@pytest.fixture
def un_loaded(home: Path) -> list[tuple[str, str]]:
    require_shared()
    result = invoke("load", str(UN_XML))
    assert result.exit_code == 0, result.output
    return snapshot()


def snapshot() -> list[tuple[str, str]]:
    store = open_store()
    try:
        return [(e.id, e.content_hash()) for e in store.current_entities()]
    finally:
        store.close()


def assert_refused(path: Path, *fragments: str) -> str:
    result = runner.invoke(app, ["load", str(path)], catch_exceptions=False)
    assert result.exit_code != 0
    message = " ".join(result.output.split())
    assert path.name in message, message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    return message


def test_truncated_xml(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    bad = tmp_path / "consolidated.xml"
    data = UN_XML.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    assert_refused(bad, "line")
    assert snapshot() == un_loaded


def test_billion_laughs_and_xxe(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    lol = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE CONSOLIDATED_LIST [<!ENTITY lol0 "lol">{lol}]>'
        "<CONSOLIDATED_LIST><INDIVIDUALS>&lol9;</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    assert_refused(bomb, "entit")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE CONSOLIDATED_LIST [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<CONSOLIDATED_LIST><INDIVIDUALS>&x;</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    message = assert_refused(xxe, "entit")
    assert "root:" not in message
    assert snapshot() == un_loaded


def test_empty_and_huge_files(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    empty = tmp_path / "consolidated.xml"
    empty.write_bytes(b"")
    assert_refused(empty, "empty")
    huge = tmp_path / "huge.xml"
    with open(huge, "wb") as fh:  # a sparse 2 GB file: costs no disk, must be refused by size
        fh.truncate(2 * 1024**3)
    assert_refused(huge, "limit")
    assert snapshot() == un_loaded


def test_xlsx_that_is_html(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    fake = tmp_path / "regulation8_consolidated.xlsx"
    fake.write_text("<!DOCTYPE html><html><body>Access denied</body></html>")
    result = runner.invoke(app, ["load", str(fake)], catch_exceptions=False)
    assert result.exit_code != 0
    assert fake.name in " ".join(result.output.split())
    assert snapshot() == un_loaded


def test_csv_with_missing_column_and_wrong_encoding(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    folder = tmp_path / "ofac"
    folder.mkdir()
    rows = (OFAC_2021 / "sdn.csv").read_bytes().split(b"\r\n")
    # drop the last column of row 100: a CSV with a missing column
    broken = rows[:99] + [b",".join(rows[99].split(b",")[:-1])] + rows[100:]
    (folder / "sdn.csv").write_bytes(b"\r\n".join(broken))
    for name in ("alt.csv", "add.csv", "sdn_comments.csv"):
        shutil.copy(OFAC_2021 / name, folder / name)
    assert_refused(folder / "sdn.csv", "100")
    utf16 = tmp_path / "utf16" / "sdn.csv"
    utf16.parent.mkdir()
    utf16.write_bytes((OFAC_2021 / "sdn.csv").read_bytes().decode("cp1252").encode("utf-16"))
    result = runner.invoke(app, ["load", str(utf16)], catch_exceptions=False)
    assert result.exit_code != 0
    assert snapshot() == un_loaded


def test_unknown_and_missing_paths(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    result = runner.invoke(app, ["load", str(other)], catch_exceptions=False)
    assert result.exit_code != 0 and "not a list format" in result.output
    result = runner.invoke(app, ["load", str(tmp_path / "nope.xml")], catch_exceptions=False)
    assert result.exit_code != 0 and "no such file" in " ".join(result.output.split())


def test_same_file_twice_is_not_a_new_version(un_loaded: list[tuple[str, str]]) -> None:
    result = invoke("load", str(UN_XML))
    assert result.exit_code == 0 and "unchanged" in result.output
    assert [v.seq for v in open_store().versions("un_sc_sanctions")] == [1]
    result = invoke("load", "--force", str(UN_XML))
    assert [v.seq for v in open_store().versions("un_sc_sanctions")] == [1, 2]


def test_csl_gzip_truncated(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    data = (LISTS / "us_csl" / "trade_gov_csl_consolidated_2022-05.csv.gz").read_bytes()
    bad = tmp_path / "consolidated.csv.gz"
    bad.write_bytes(data[: len(data) // 3])
    result = runner.invoke(app, ["load", str(bad)], catch_exceptions=False)
    assert result.exit_code != 0
    assert bad.name in " ".join(result.output.split())
    assert snapshot() == un_loaded


def test_corrupt_zip_ods(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    src = LISTS / "uk" / "FCDO_UK_Sanctions_List_2025-08-11.ods"
    bad = tmp_path / src.name
    bad.write_bytes(src.read_bytes()[:50_000])
    result = runner.invoke(app, ["load", str(bad)], catch_exceptions=False)
    assert result.exit_code != 0
    assert bad.name in " ".join(result.output.split())
    assert snapshot() == un_loaded



def test_invalid_utf8_fails_alone_with_its_byte(un_loaded: list[tuple[str, str]], tmp_path: Path) -> None:
    """Bytes that are not UTF-8 inside the UN XML: that file fails with the byte, line and
    column; the other list named in the same command still loads (issue 13, item 2)."""
    data = UN_XML.read_bytes()
    # past the first MiB: the byte offset is counted across the reader's chunks
    at = data.index(b"<FIRST_NAME>", 1_500_000) + len(b"<FIRST_NAME>")
    bad = tmp_path / "consolidated.xml"
    bad.write_bytes(data[:at] + b"\xff\xfe" + data[at:])
    line = data[:at].count(b"\n") + 1
    result = runner.invoke(app, ["load", str(bad), str(LISTS / "ofac" / "cons_latest")], catch_exceptions=False)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert f"{bad.name} (byte {at}, line {line}," in message, message
    assert "invalid UTF-8" in message and "Download it again" in message
    assert "Traceback" not in message
    assert set(un_loaded) <= set(snapshot())  # the UN version is untouched
    store = open_store()
    assert [v.seq for v in store.versions("un_sc_sanctions")] == [1]
    assert store.current_version("us_ofac_cons") is not None


def test_repeated_id_loads_merged_with_a_visible_warning(home: Path, tmp_path: Path) -> None:
    """A UN list that repeats a REFERENCE_NUMBER: one policy for every parser (issue 13,
    item 6): it loads, the repeat is merged (its name still screened), and the human output
    says so, not only --json."""
    require_shared()
    data = UN_XML.read_bytes()
    start = data.index(b"<INDIVIDUAL>")
    end = data.index(b"</INDIVIDUAL>", start) + len(b"</INDIVIDUAL>")
    record = data[start:end]
    first = record[record.index(b"<FIRST_NAME>") + 12 : record.index(b"</FIRST_NAME>")]
    again = record.replace(b"<FIRST_NAME>" + first + b"</FIRST_NAME>", b"<FIRST_NAME>ZEBULON</FIRST_NAME>", 1)
    dup = tmp_path / "consolidated.xml"
    dup.write_bytes(data[:end] + again + data[end:])
    result = invoke("load", str(dup))
    assert result.exit_code == 0, result.output
    message = " ".join(result.output.split())
    assert "warning: un_sc_sanctions: the file lists 1 id(s) more than once" in message, message
    assert "merged" in message and "REFERENCE_NUMBER" in message
    store = open_store()
    assert store.current_version("un_sc_sanctions").entity_count == EXPECTED["un_sc_sanctions"]  # type: ignore[union-attr]
    ref = record[record.index(b"<REFERENCE_NUMBER>") + 18 : record.index(b"</REFERENCE_NUMBER>")].decode()
    entity = store.get_entity(f"un_sc_sanctions:{ref.strip()}")
    assert entity is not None and any("ZEBULON" in n for n, _ in entity.names()), entity


def test_two_load_commands_at_once(home: Path) -> None:
    """The reported race (issue 13, item 1), with the real command: two `listguard load --force`
    of the same lists at once on a fresh home both succeed without a traceback (they raced on
    creating the tables, the dataset rows and the audit head), and number their versions 1 and
    2, each audited once."""
    import subprocess
    import sys

    from listguard import audit

    require_shared()
    exe = str(Path(sys.executable).parent / "listguard")
    cons = str(LISTS / "ofac" / "cons_latest")
    procs = [subprocess.Popen([exe, "load", "--force", str(UN_XML), cons], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        _, errs = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "Traceback" not in errs, errs
    store = open_store()
    versions = store.versions()
    assert [(v.dataset, v.seq) for v in versions] == [
        ("un_sc_sanctions", 1), ("un_sc_sanctions", 2), ("us_ofac_cons", 1), ("us_ofac_cons", 2),
    ]
    loads = audit.entries(store.engine, action="load", newest_first=False)
    assert sorted((e.details["dataset"], e.details["version"]) for e in loads) == [
        (v.dataset, v.seq) for v in versions
    ]
