"""A small, strict reader for the first worksheet of an xlsx file, built on lxml.

Why not openpyxl (which is installed)? Speed and hardening. openpyxl takes ~1.8 s to stream the
9,561 rows of the DFAT list (it builds a cell object per cell and parses every style); reading
the sheet XML directly with lxml takes a fraction of that, and lets us parse with the same
refusals as :mod:`listguard.sources.safexml` (no DTDs, no entity resolution, no network).

It understands what official lists use: shared and inline strings (including rich-text runs),
numbers, booleans, error cells, and date cells (numbers whose cell format is a date format,
in the 1900 or 1904 date system). A formula cell is refused (:class:`FormulaCell`): its cached
value is not what the publisher typed, and no official list uses formulas.
Callers must have checked that the file is a sound zip (see ``dfat._check_xlsx``).
"""

from __future__ import annotations

import datetime as _dt
import posixpath
import re
import zipfile
from pathlib import Path
from typing import IO, Any, Iterator

from lxml import etree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

#: Built-in number formats that are dates or date-times (ECMA-376 §18.8.30).
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_COLUMN = re.compile(r"^([A-Z]+)")


class XlsxError(Exception):
    """The workbook's structure is not what an xlsx must contain; the message says where."""


class FormulaCell(XlsxError):
    """A cell holds a formula. Official lists are typed data: a formula's cached result is not
    text the publisher wrote (and may be stale or crafted), so it is never read as a value."""

    def __init__(self, ref: str, row: int, formula: str, cached: str | None) -> None:
        self.ref, self.row, self.formula, self.cached = ref, row, formula, cached
        shown = formula if len(formula) <= 80 else formula[:77] + "..."
        super().__init__(f"cell {ref} (row {row}) is a formula (={shown})"
                         + (f" showing {cached[:80]!r}" if cached else ""))


def _iterparse(fh: IO[bytes], tag: str) -> Any:
    return etree.iterparse(
        fh, events=("end",), tag=tag, resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False, remove_blank_text=False,
    )


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    return etree.fromstring(data, parser)


def _is_date_format(code: str) -> bool:
    """Whether an Excel number format code displays a date (d, m with y, or y tokens)."""
    code = _QUOTED.sub("", code.split(";")[0]).lower()
    if re.search(r"[dy]", code):
        return True
    return "m" in code and not re.search(r"[hs]", code)  # "mmm" is a month, "mm:ss" minutes


def _first_sheet_path(zf: zipfile.ZipFile) -> str:
    try:
        workbook = _parse(zf.read("xl/workbook.xml"))
    except KeyError as exc:
        raise XlsxError("no xl/workbook.xml") from exc
    sheet = workbook.find(f"{MAIN}sheets/{MAIN}sheet")
    if sheet is None:
        raise XlsxError("the workbook lists no worksheets")
    rid = sheet.get(f"{REL}id")
    try:
        rels = _parse(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return "xl/worksheets/sheet1.xml"
    for rel in rels.iter(f"{PKG_REL}Relationship"):
        if rel.get("Id") == rid:
            target = str(rel.get("Target", ""))
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    raise XlsxError(f"the first worksheet's relationship {rid} is missing")


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    strings: list[str] = []
    with zf.open("xl/sharedStrings.xml") as fh:
        for _, si in _iterparse(fh, f"{MAIN}si"):
            strings.append(_string_item(si))
            si.clear()
    return strings


def _string_item(si: etree._Element) -> str:
    """The text of a shared/inline string: its <t>, or its rich-text runs (phonetics skipped)."""
    t = si.find(f"{MAIN}t")
    if t is not None:
        return t.text or ""
    return "".join(t.text or "" for t in si.iterfind(f"{MAIN}r/{MAIN}t"))


def _date_styles(zf: zipfile.ZipFile) -> tuple[set[int], bool]:
    """Indexes of the cell formats (``s`` attribute) that show dates; and the 1904 flag."""
    date1904 = False
    try:
        workbook = _parse(zf.read("xl/workbook.xml"))
        pr = workbook.find(f"{MAIN}workbookPr")
        date1904 = pr is not None and pr.get("date1904") in ("1", "true")
    except KeyError:
        pass
    if "xl/styles.xml" not in zf.namelist():
        return set(), date1904
    styles = _parse(zf.read("xl/styles.xml"))
    custom = {
        int(f.get("numFmtId", "0")): f.get("formatCode", "")
        for f in styles.iterfind(f"{MAIN}numFmts/{MAIN}numFmt")
    }
    dates: set[int] = set()
    for index, xf in enumerate(styles.iterfind(f"{MAIN}cellXfs/{MAIN}xf")):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in _BUILTIN_DATE_FORMATS or (fmt in custom and _is_date_format(custom[fmt])):
            dates.add(index)
    return dates, date1904


_COLUMNS: dict[str, int] = {}


def _column_index(ref: str | None, fallback: int) -> int:
    """Zero-based column of a cell reference ("B12" → 1); ``fallback`` if there is none."""
    if not ref:
        return fallback
    letters = ref.rstrip("0123456789")
    index = _COLUMNS.get(letters)
    if index is None:
        if not letters.isalpha() or not letters.isupper():
            return fallback
        index = 0
        for ch in letters:
            index = index * 26 + (ord(ch) - 64)
        index -= 1
        _COLUMNS[letters] = index
    return index


def _excel_date(serial: float, date1904: bool) -> _dt.datetime | float:
    base = _dt.datetime(1904, 1, 1) if date1904 else _dt.datetime(1899, 12, 30)
    try:
        return base + _dt.timedelta(days=serial)
    except OverflowError:
        return serial


def read_first_sheet(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number, cell values) for each row of the first worksheet.

    Values are ``str``, ``int``/``float``, ``bool``, ``datetime`` (date-formatted numbers) or
    ``None`` for missing cells; rows are padded so index *i* is column *i* (A = 0).
    Raises :class:`XlsxError` or :class:`lxml.etree.XMLSyntaxError` for broken workbooks, and
    :class:`FormulaCell` for the first cell that holds a formula.
    """
    with zipfile.ZipFile(path) as zf:
        sheet_path = _first_sheet_path(zf)
        strings = _shared_strings(zf)
        date_styles, date1904 = _date_styles(zf)
        try:
            fh = zf.open(sheet_path)
        except KeyError as exc:
            raise XlsxError(f"worksheet {sheet_path} is missing from the zip") from exc
        with fh:
            fallback_row = 0
            v_tag, is_tag, f_tag = f"{MAIN}v", f"{MAIN}is", f"{MAIN}f"
            for _, row in _iterparse(fh, f"{MAIN}row"):
                fallback_row += 1
                number = int(row.get("r") or fallback_row)
                fallback_row = number
                cells: list[Any] = []
                for c in row:
                    value_el = None
                    for child in c:
                        if child.tag == f_tag:
                            cached = c.find(v_tag)
                            raise FormulaCell(str(c.get("r") or "?"), number, child.text or "",
                                              cached.text if cached is not None else None)
                        if child.tag == v_tag or child.tag == is_tag:
                            value_el = child
                    if value_el is None:
                        continue  # a styled but empty cell
                    value = _cell_value(c, value_el, strings, date_styles, date1904, number)
                    if value is None:
                        continue
                    index = _column_index(c.get("r"), len(cells))
                    if index >= len(cells):
                        cells.extend([None] * (index + 1 - len(cells)))
                    cells[index] = value
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
                yield number, cells


def _cell_value(c: etree._Element, value_el: etree._Element, strings: list[str],
                date_styles: set[int], date1904: bool, row_number: int) -> Any:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        return _string_item(value_el)
    text = value_el.text
    if text is None:
        return None
    if kind == "s":
        try:
            return strings[int(text)]
        except (ValueError, IndexError) as exc:
            raise XlsxError(f"cell {c.get('r')} (row {row_number}) points at shared string "
                            f"{text!r}, which does not exist") from exc
    if kind in ("str", "e"):
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    try:
        number = float(text)
    except ValueError as exc:
        raise XlsxError(f"cell {c.get('r')} (row {row_number}) holds {text!r}, not a number")\
            from exc
    style = c.get("s")
    if style is not None and date_styles and int(style) in date_styles:
        return _excel_date(number, date1904)
    return int(number) if number.is_integer() else number
