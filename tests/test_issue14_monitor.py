"""Issue 14, item 7: small portfolios. A list update whose new entries match none of a small
portfolio's records is re-screened without building the whole list index (the seconds a
``load`` used to spend behind a ``0/?`` spinner), and when the index is built the progress
reports real counts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from listguard.cli import app
from tests.conftest import LISTS, require_shared

runner = CliRunner()
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"


def cli(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _un_without_first(tmp_path: Path, n: int) -> Path:
    text = UN_XML.read_text(encoding="utf-8")
    for _ in range(n):
        a = text.index("<INDIVIDUAL>")
        b = text.index("</INDIVIDUAL>", a) + len("</INDIVIDUAL>")
        text = text[:a] + text[b:]
    path = tmp_path / "un_older.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_portfolio_rescreen_after_load_skips_the_list_index(home: Path, tmp_path: Path) -> None:
    require_shared()
    from listguard import index_cache
    from listguard.sources import un
    from listguard.store import open_store

    cli("load", str(_un_without_first(tmp_path, 5)))
    people = [e for e in un.parse(UN_XML).entities if e.schema == "Person"][100:130]
    portfolio = tmp_path / "customers.csv"
    portfolio.write_text("id,name\n" + "".join(f'C{i:03d},"{e.caption.title()}"\n' for i, e in enumerate(people)))
    cli("monitor", "add", str(portfolio), "--portfolio", "small")
    # the UN list now adds 5 entries that match none of the 30 customers
    out = cli("load", str(UN_XML)).output
    assert "Monitoring runs" in out
    row = next(line for line in out.splitlines() if line.startswith("small "))
    assert "+5 ~0 -0" in row and "none" in row
    store = open_store()
    assert not index_cache.cache_path(store, store.current_versions()).exists()  # never built


def test_index_build_progress_reports_real_counts(home: Path, tmp_path: Path) -> None:
    require_shared()
    from listguard.monitor.rescreen import run
    from listguard.store import open_store

    cli("load", str(UN_XML))
    portfolio = tmp_path / "customers.csv"
    portfolio.write_text("id,name\nC1,Germain Katanga\n")
    cli("monitor", "add", str(portfolio), "--portfolio", "p", "--no-screen")
    calls: list[tuple[str, int, int | None]] = []
    run(open_store(), "p", progress=lambda msg, done, total: calls.append((msg, done, total)), deliver=False)
    building = [(d, t) for m, d, t in calls if m == "building the list index" and t is not None]
    assert building and building[-1] == (1003, 1003)
    assert any(0 < d < 1003 for d, _ in building)  # counts as it goes, not a spinner
