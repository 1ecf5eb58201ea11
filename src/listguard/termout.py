"""Tables on the command line: never cut an id, and write in full when not on a terminal.

Rich squeezes a table into the terminal width (80 columns when output is piped) and cuts
long words with "…", which turns two different ids such as ``us_ofac_sdn`` and
``us_ofac_cons`` into the same ``us_ofa…``. :func:`print_table` avoids both:

* on a terminal, id-like columns (``keep``) never wrap or shrink below their longest value,
  and every other column folds long words onto the next line instead of cutting them;
* when output is not a terminal (a pipe, a file), the table is written as plain aligned
  text, every cell in full on one line, so ``listguard sources > file`` and ``| grep`` work.
"""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text


def _plain(cell: object) -> str:
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        try:
            text = Text.from_markup(cell).plain
        except Exception:  # not valid markup: show it as it is
            text = cell
    else:
        text = str(cell)
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


def table_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a rich Table as plain strings."""
    headers = [_plain(c.header) for c in table.columns]
    columns = [[_plain(cell) for cell in c._cells] for c in table.columns]
    rows = [list(r) for r in zip(*columns)] if columns else []
    return headers, rows


def plain_table(table: Table) -> str:
    """The table as aligned plain text (two spaces between columns), every cell in full."""
    headers, rows = table_rows(table)
    show_header = table.show_header
    widths = [len(h) if show_header else 0 for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines: list[str] = []
    if table.title:
        lines.append(_plain(table.title))
    if show_header:
        lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    if table.caption:
        lines.append(_plain(table.caption))
    return "\n".join(lines) + "\n"


def print_table(console: Console, table: Table, keep: Iterable[str] = ()) -> None:
    """Print ``table``: in full as plain text when not on a terminal, else with ``keep``
    columns (ids) never shortened and no word cut with an ellipsis."""
    if not console.is_terminal:
        console.file.write(plain_table(table))
        console.file.flush()
        return
    keep = set(keep)
    for column in table.columns:
        column.overflow = "fold"
        if _plain(column.header) in keep:
            longest = max((len(_plain(c)) for c in column._cells), default=0)
            column.no_wrap = True
            column.min_width = max(column.min_width or 0, longest)
    console.print(table)


def hide_flag_types() -> None:
    """Help without ``--verify <bool>``: typer labels every option with its type, flags
    included, which reads as if the flag took a value. Flags show no type."""
    from typer.core import TyperOption

    if getattr(TyperOption.display_type_rich, "_listguard_flags", False):
        return
    original = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: object) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
            return None
        return original(self, ctx)  # type: ignore[arg-type]

    display_type_rich._listguard_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
