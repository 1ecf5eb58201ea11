"""CSV cells that a spreadsheet cannot run as formulas (CSV/formula injection).

A customer id ``=1+1`` or a listed name ``=HYPERLINK("http://evil.example", "click")`` written
to a CSV as it is becomes a live formula when a compliance officer opens the file in Excel,
LibreOffice or Google Sheets. Following OWASP's advice, every text cell listguard writes to a
CSV that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote
in front (``'=1+1``), which spreadsheets show as text. This includes text that looks like a
negative number: an id ``-5`` is written ``'-5`` (OWASP: a leading minus can start a formula
such as ``-2+3+cmd|...``). Numbers listguard computes itself (scores, line numbers, ranks) are
never negative and are written as they are.

JSON lines and Parquet outputs are not spreadsheets and keep every value exactly: use them when
a program, not a person, reads the results.
"""

from __future__ import annotations

import csv
from typing import Any, Iterable, Mapping

#: What a spreadsheet may read as the start of a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """:class:`csv.DictWriter` that neutralises every cell, the header included (a compared
    file's own column names are echoed)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: neutralise(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)

    def writeheader(self) -> Any:
        return self.writer.writerow([neutralise(f) for f in self.fieldnames])
