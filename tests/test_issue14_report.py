"""Issue 14, item 6: the screen-file HTML report groups hits by customer (customer name and id
first), puts the hits before the statistics, and names each list's publication date in the
header. Run as a user runs it: ``listguard screen-file IN.csv -o OUT --report report.html``."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from listguard.cli import app
from tests.conftest import LISTS, require_shared

runner = CliRunner()
UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
UK_ODS = LISTS / "uk" / "FCDO_UK_Sanctions_List_2025-08-11.ods"


def test_report_groups_hits_by_customer(home: Path, tmp_path: Path) -> None:
    require_shared()
    for path in (UN_XML, UK_ODS, LISTS / "ofac" / "cons_latest"):
        assert runner.invoke(app, ["load", str(path)], catch_exceptions=False).exit_code == 0
    src = tmp_path / "customers.csv"
    # each of these people is on the UN list and on the UK list: two hits per customer
    src.write_text(
        "customer_no,full_name\n"
        "K-1,Germain Katanga\n"
        "K-2,Anna Example\n"
        "K-3,Sultani Makenga\n"
        "K-4,Eric Badege\n"
    )
    report = tmp_path / "report.html"
    result = runner.invoke(
        app,
        ["screen-file", str(src), "--map", "id=customer_no,name=full_name", "-o", str(tmp_path / "out.jsonl"),
         "--report", str(report), "--workers", "1"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    # the header names each list with its publication date (or says it is unknown)
    header = html[: html.index("<h2>")]
    assert "un_sc_sanctions</b> version 1: published 2026-02-27" in header
    assert "gb_fcdo_sanctions</b> version 1: published 2025-08-11" in header
    assert "us_ofac_cons</b> version 1: published unknown" in header
    # hits come before the statistics
    assert html.index("Hits by customer") < html.index("Statistics") < html.index("Matches per program")
    # the hit table starts with the customer's name and id, and each customer's hits are together
    section = html[html.index("Hits by customer") : html.index("Statistics")]
    assert "<th>customer</th><th>customer id</th>" in section
    rows = re.findall(r"<tr( class=g)?>(.*?)</tr>", section)
    customers = [re.search(r"<td rowspan=\d+ class=c>(?:<b>)?([^<]*)", body).group(1) for g, body in rows if g]  # type: ignore[union-attr]
    assert customers[:3] == ["Germain Katanga", "Sultani Makenga", "Eric Badege"] or set(customers) == {
        "Germain Katanga", "Sultani Makenga", "Eric Badege"}
    assert len(customers) == len(set(customers)) == 3  # one group per customer
    first_group = section[section.index("Germain Katanga") :].split("<tr class=g>")[0]
    assert "K-1" in first_group and "un_sc_sanctions" in first_group and "gb_fcdo_sanctions" in first_group
