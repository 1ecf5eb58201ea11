"""Australia DFAT Consolidated List (``regulation8_consolidated.xlsx``).

The list is one spreadsheet row per *name*: a listing's primary name carries the plain
reference (``3``), each further name a suffixed one (``3a``, ``3b``, sometimes ``34c1``), and
every row repeats the listing's other columns (usually identically, sometimes with a detail that
only applies to that alias: "For this aka only, alt DOB 01/01/1969"). So rows are grouped by the
numeric part of the reference into one entity, ``au_dfat_sanctions:<number>``, and the details of
all its rows are united. The rows themselves, as written, are the entity's ``record``.

The sheet is typed by hand, which shows:

* Name Type and Type are spelled many ways (``aka``, ``Aka ``, ``AKA``, ``Primary name``,
  ``original Script``, ``individual``...): compared case- and space-insensitively.
  ``Original Script`` names (Arabic, Cyrillic, Chinese...) are strong aliases, ``fka`` /
  "Formerly known as" / "Previously listed as" are previous names.
* Dates of birth are prose (see :mod:`listguard.sources.freetext`), date cells, or bare year
  numbers; all become ISO ``birthDate`` values, unparseable ones are counted (``dob_unparsed``).
* Citizenship is a demonym or a country name, one or several; unmapped text is counted
  (``citizenship_unmapped``) and kept in the record.
* Passport and ID numbers sit in the "Additional Information" prose; the ones introduced by a
  recognisable label ("Passport no.:", "National identification no.", "Company identification
  number", "IMO number"...) are extracted with the issuing country when the text names it.

The committee ("Autonomous (Russia)", "1267/1989/2253 (ISIL (Da'esh) and Al-Qaida)") is the
``program``. ``createdAt`` is the listing date the "Listing Information" states ("Listed on 25
January 2001", "... on 9 March 2012") and, failing that, the "Control Date", which DFAT sets when
it enters or changes the record; ``modifiedAt`` is the Control Date.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from listguard.ftmschema import put, put_identifier
from listguard.model import Entity
from listguard.sources.base import ParseResult, SourceError, check_file, peek
from listguard.sources.freetext import country_code, find_dates, is_na, parse_dates, split_countries
from listguard.sources.xlsxreader import FormulaCell, XlsxError, read_first_sheet

DATASET = "au_dfat_sanctions"
TITLE = "Australia DFAT Consolidated List"

#: Column header → our key. Headers are matched case- and space-insensitively; DFAT has used
#: both "Name of Individual or Entity" and plain "Name".
COLUMNS = {
    "reference": "reference",
    "name of individual or entity": "name",
    "name": "name",
    "type": "type",
    "name type": "name_type",
    "date of birth": "dob",
    "dob": "dob",
    "place of birth": "pob",
    "pob": "pob",
    "citizenship": "citizenship",
    "address": "address",
    "additional information": "info",
    "listing information": "listing",
    "committees": "committees",
    "control date": "control_date",
}
#: Columns without which the file is not the DFAT list (or is a version we do not understand),
#: with the header DFAT writes for them.
REQUIRED = {
    "reference": "Reference",
    "name": "Name of Individual or Entity",
    "type": "Type",
    "name_type": "Name Type",
}

SCHEMATA = {"individual": "Person", "entity": "Organization", "vessel": "Vessel"}
NAME_TYPES = {
    "primary name": "name",
    "aka": "alias",
    "a.k.a.": "alias",
    "also known as": "alias",
    "original script": "alias",
    "fka": "previousName",
    "f.k.a.": "previousName",
    "formerly known as": "previousName",
    "previously listed as": "previousName",
}

_LIST_MARKER = re.compile(r"(?:^|\s)[a-z]\)\s")
_REF_RE = re.compile(r"^\s*(\d+)\s*([a-z]*\d*)\s*$", re.IGNORECASE)
_HTML_RE = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<html)", re.I)
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_GENDER_RE = re.compile(r"\b(?:gender|sex)\s*:\s*(male|female)\b", re.I)
#: Everything in the zip together may not unpack to more than this (the real file: 6.6 MB).
MAX_UNPACKED = 256 * 1024 * 1024


# -- detection and opening ---------------------------------------------------------------------


def detect(path: Path) -> bool:
    """An xlsx whose shared strings start with DFAT's header, or an ``.xlsx`` named like the
    DFAT download that is broken (so :func:`parse` can say *how* it is broken)."""
    path = Path(path)
    if not path.is_file():
        return False
    head = peek(path, 8)
    named = path.suffix.lower() == ".xlsx" and re.search(
        r"dfat|regulation8|consolidated", path.name, re.I
    )
    if not head.startswith(b"PK\x03\x04"):
        return bool(named)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                return False
            for member in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
                if member in names:
                    with zf.open(member) as fh:
                        text = fh.read(64 * 1024)
                    if b"Name of Individual or Entity" in text or (
                        b"Listing Information" in text and b"Name Type" in text
                    ):
                        return True
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, zlib.error):
        return bool(named)
    return False


def _check_xlsx(path: Path) -> None:
    """Refuse what is not a sound xlsx with a message that says what it is instead."""
    head = peek(path, 2048)
    if not head.startswith(b"PK\x03\x04"):
        if _HTML_RE.search(head) or b"<html" in head.lower():
            raise SourceError(
                path,
                "this is an HTML page, not an xlsx spreadsheet (a download that saved an error or "
                "login page). Download the Consolidated List again from "
                "https://www.dfat.gov.au/international-relations/security/sanctions/consolidated-list",
                "byte 0",
            )
        raise SourceError(
            path,
            f"not an xlsx file (it does not start with a zip header but with {head[:16]!r}). "
            "Download the DFAT Consolidated List again",
            "byte 0",
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise SourceError(path, "a zip file but not an xlsx workbook (no xl/workbook.xml); "
                                  "pass the DFAT Consolidated List spreadsheet")
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_UNPACKED:
                raise SourceError(path, f"the xlsx unpacks to {unpacked / 1e6:,.0f} MB, far more "
                                  "than any real list; refused as a possible zip bomb")
            bad = zf.testzip()  # reads every member once: CRC errors of a damaged download
            if bad is not None:
                raise SourceError(path, f"the xlsx (zip) is corrupt: member {bad} fails its CRC "
                                  "check. Download the file again", bad)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as fh:
                        if _DOCTYPE_RE.search(fh.read(4096)):
                            raise SourceError(path, "the spreadsheet XML declares a DOCTYPE/ENTITY "
                                              "(an XML attack pattern no real xlsx uses); refused",
                                              info.filename)
    except zipfile.BadZipFile as exc:
        raise SourceError(path, f"the xlsx (zip) is corrupt or truncated ({exc}). "
                          "Download the file again") from exc
    except (EOFError, zipfile.LargeZipFile, OSError, zlib.error) as exc:
        raise SourceError(path, f"the xlsx (zip) is corrupt and cannot be read ({exc}). "
                          "Download the file again") from exc


def _rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(sheet row number, cell values) of the first worksheet, read streaming."""
    try:
        yield from read_first_sheet(path)
    except FormulaCell as exc:
        raise SourceError(path, f"{exc}. The DFAT list is typed data and has no formulas; a "
                          "formula's cached result is not what the publisher wrote, so the file "
                          "is refused. Download it again from dfat.gov.au",
                          f"cell {exc.ref}, row {exc.row}") from None
    except XlsxError as exc:
        raise SourceError(path, f"the xlsx is not a readable workbook: {exc}. "
                          "Download the file again") from exc
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else 0
        raise SourceError(path, f"the spreadsheet XML is malformed ({exc.msg}); the file is "
                          "probably truncated or edited. Download it again",
                          f"XML line {line}") from exc
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise SourceError(path, f"the xlsx (zip) is corrupt and cannot be read ({exc}). "
                          "Download the file again") from exc


# -- parsing --------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A cell as text: stripped, dates as ISO, numbers as written; None for empty cells."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _norm(value: Any) -> str:
    return " ".join(str(value or "").split()).lower()


def _dates_of(value: Any) -> list[str]:
    """A date cell (datetime, year number or prose) as ISO date strings."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return [_text(value)[:10]]  # type: ignore[index]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        year = int(value)
        return [f"{year:04d}"] if 1870 <= year <= 2100 else []
    text = _text(value)
    return parse_dates(text) if text else []


def _listing_date(value: Any) -> str | None:
    """The first listing date a "Listing Information" cell states (at least year and month)."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return _dates_of(value)[0]
    text = _text(value)
    return _listing_date_text(text) if text else None


@lru_cache(maxsize=4096)
def _listing_date_text(text: str) -> str | None:
    for values, start, _ in find_dates(text):
        if len(values) == 1 and len(values[0]) >= 7:
            context = text[max(0, start - 120) : start].lower()
            if "list" in context or "designat" in context or "declar" in context:
                return values[0]
    return None


# Identifier labels in "Additional Information", most specific first.
_ID_LABELS = [
    ("registrationNumber",
     r"company\s+identification(?:\s+(?:no\.?|number))?"
     r"|(?:company|business|state|commercial)\s+registration(?:\s+(?:id|no\.?|number|document))?"
     r"|registration\s+(?:id|no\.?|number)(?:\s*\(OGRN(?:\s+no\.?)?\))?|\bOGRN\b(?:\s+no\.?)?"),
    ("taxNumber", r"tax\s+(?:id|identification)(?:\s+(?:no\.?|number))?|\bINN\b|\bTIN\b"),
    ("imoNumber", r"\bIMO\b(?:\s+(?:no\.?|number))?"),
    ("passportNumber", r"passport(?:\s+(?:no\.?|number))?"),
    ("idNumber",
     r"national\s+identi(?:ty|fication)(?:\s+card)?(?:\s+(?:no\.?|number))?"
     r"|national\s+id(?:\s+card)?(?:\s+(?:no\.?|number))?"
     r"|(?:identity|identification|\bid)\s+card(?:\s+(?:no\.?|number))?"
     r"|tazkira(?:\s+(?:no\.?|number))?|identification\s+(?:no\.?|number)"),
]
_LABEL_RE = re.compile("|".join(f"(?P<k{i}>{p})" for i, (_, p) in enumerate(_ID_LABELS)), re.I)
_NUMBER_RE = re.compile(
    r"(?<![\w/.-])(?:[A-Z]{1,3}[ /-]?)?\d[\d /-]*\d[A-Z]?(?![\w/])"  # "OR 1961825", "B/001897"
    r"|(?<![\w/.-])[A-Z0-9][A-Z0-9/-]{4,}(?![\w/])"  # "HR8CHGP8", "05AT521433"
)
_SEGMENT_STOP = re.compile(
    r"\.\s+(?=[A-Z][a-z]{2,})|review pursuant|\bborn\b|\bdob\b|telephone|phone|fax|e-?mail"
    r"|website|https?://",
    re.I,
)
_FILLER = re.compile(r"\b(?:[a-z]\)|no\.?|number|nos?\.?|n°|information|of|the|issued|by|in)\b|[:;,.()\-–]",
                     re.I)


def _find_country(before_label: str, between: str, after: str) -> str | None:
    """The issuing country near a number: "(Iran)" after it, "a) Philippines" between label and
    number, or "Pakistani" right before the label."""
    m = re.match(r"\s*\(([^)]{2,40})\)", after)
    if m and (code := country_code(m.group(1))):
        return code
    words = _FILLER.sub(" ", between).split()
    for n in range(min(4, len(words)), 0, -1):
        if code := country_code(" ".join(words[-n:])):
            return code
    words = re.sub(r"[^\w'’ -]", " ", before_label).split()[-4:]
    for n in range(len(words), 0, -1):
        if code := country_code(" ".join(words[-n:])):
            return code
    for word in reversed(words):  # "Russian foreign travel passport", "German national ID"
        if word[:1].isupper() and (code := country_code(word)):
            return code
    return None


def extract_identifiers(text: str) -> list[tuple[str, str, str | None, str]]:
    """(FtM property, number, country, label) for each identity/registry number in a text.

    Only numbers after a label are taken ("Passport no.: N001820740", "Pakistani passport number
    BN4196361", "National ID No. 4720725929 (Iran)", "IMO number: 5963351"); dates near them
    ("issued on 4 Feb. 2003") are masked first so their digits are not read as numbers.
    """
    out: list[tuple[str, str, str | None, str]] = []
    labels = list(_LABEL_RE.finditer(text))
    for i, label in enumerate(labels):
        prop = _ID_LABELS[int(str(label.lastgroup)[1:])][0]
        end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        segment = text[label.end() : min(end, label.end() + 200)]
        stop = _SEGMENT_STOP.search(segment)
        if stop:
            segment = segment[: stop.start()]
        masked = list(segment)
        for _, start, stop_at in find_dates(segment):
            masked[start:stop_at] = " " * (stop_at - start)
        blank = "".join(masked)
        previous_end = 0
        for number_match in _NUMBER_RE.finditer(blank):
            number = number_match.group().strip(" -/")
            digits = sum(c.isdigit() for c in number)
            between = blank[previous_end : number_match.start()]
            if prop == "imoNumber":
                if not re.fullmatch(r"\d{7}", number):
                    continue
            elif digits < 5 and not (digits >= 3 and not _FILLER.sub("", between).strip()):
                # short numbers only right after the label ("Passport No.: 4138")
                continue
            if digits < 3:
                continue
            country = _find_country(text[max(0, label.start() - 60) : label.start()], between,
                                    blank[number_match.end() : number_match.end() + 45])
            out.append((prop, number, country, " ".join(label.group().split())))
            previous_end = number_match.end()
    return out


def _group_key(path: Path, row_number: int, reference: Any) -> tuple[int, str]:
    text = _text(reference)
    m = _REF_RE.match(text or "")
    if not m:
        raise SourceError(path, f"Reference {text!r} is not a listing number such as 3 or 3a; the "
                          "sheet has been edited or is not the DFAT list", f"row {row_number}")
    return int(m.group(1)), m.group(2)


def parse(path: Path) -> ParseResult:
    """Read the DFAT Consolidated List xlsx into one entity per listing."""
    path = Path(path)
    check_file(path)
    _check_xlsx(path)
    result = ParseResult(dataset=DATASET, entities=[], files=[path])
    result.published_at = _published_at(path)

    rows = _rows(path)
    columns = _header(path, rows)
    known = {i for _, i, _ in columns}
    groups: dict[int, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
    for row_number, cells in rows:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        values = {key: cells[i] if i < len(cells) else None for key, i, _ in columns}
        raw = {header: text for _, i, header in columns
               if i < len(cells) and (text := _text(cells[i])) is not None}
        stray = [i for i, c in enumerate(cells) if c is not None and i not in known
                 and (not isinstance(c, str) or c.strip())]
        if stray:
            result.count("cells_outside_columns", len(stray))
            for i in stray:
                raw[f"column {i + 1}"] = _text(cells[i]) or ""
        if is_na(values.get("reference")) or is_na(values.get("name")):
            result.count("rows_without_reference_or_name")
            result.warn(f"row {row_number}: no reference or no name; skipped")
            continue
        number, _ = _group_key(path, row_number, values["reference"])
        groups.setdefault(number, []).append((row_number, values, raw))
    result.stats["name_rows"] = sum(len(g) for g in groups.values())

    for number in sorted(groups):
        result.entities.append(_entity(path, number, groups[number], result))
    result.stats["listings"] = len(result.entities)
    for entity in result.entities:
        for ident in entity.identifiers:
            result.count(f"identifiers:{ident.type}")
    return result


def _header(path: Path, rows: Iterator[tuple[int, list[Any]]]
            ) -> list[tuple[str, int, str]]:
    """Find the header row (within the first 10) and map its columns to our keys."""
    for row_number, cells in rows:
        found: list[tuple[str, int, str]] = []
        for i, cell in enumerate(cells):
            key = COLUMNS.get(_norm(cell))
            if key and key not in {k for k, _, _ in found}:
                found.append((key, i, " ".join(str(cell).split())))
        keys = {k for k, _, _ in found}
        if "reference" in keys and ("name" in keys or "name_type" in keys):
            missing = [header for k, header in REQUIRED.items() if k not in keys]
            if missing:
                raise SourceError(
                    path,
                    f"required column(s) missing from the header: {', '.join(missing)}. This is "
                    "not the DFAT Consolidated List layout listguard knows",
                    f"row {row_number}",
                )
            return found
        if row_number >= 10:
            break
    raise SourceError(path, "no header row with Reference / Name / Type / Name Type columns in "
                      "the first 10 rows; this is not the DFAT Consolidated List", "sheet 1")


def _published_at(path: Path) -> str | None:
    """docProps/core.xml ``dcterms:modified``: when DFAT last saved the list."""
    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    m = re.search(r"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>", core)
    return m.group(1).strip() if m else None


def _entity(path: Path, number: int,
            rows: list[tuple[int, dict[str, Any], dict[str, str]]],
            result: ParseResult) -> Entity:
    """One listing from its name rows (primary name first, as DFAT orders them)."""
    types = {_norm(values.get("type")) for _, values, _ in rows} - {""}
    schema = "LegalEntity"
    if len(types) == 1:
        schema = SCHEMATA.get(types.pop(), "LegalEntity")
        if schema == "LegalEntity":
            result.count("unknown_type")
    else:
        result.count("conflicting_type" if types else "missing_type")
        result.warn(f"listing {number}: Type is {sorted(types)}; read as LegalEntity")
    entity = Entity(id=f"{DATASET}:{number}", schema=schema, dataset=DATASET)

    primaries = 0
    for row_number, values, _ in rows:
        name_type = _norm(values.get("name_type"))
        prop = NAME_TYPES.get(name_type)
        if prop is None:
            result.count("unknown_name_type")
            result.warn(f"row {row_number}: Name Type {values.get('name_type')!r} read as alias")
            prop = "alias"
        if prop == "name":
            primaries += 1
        entity.add(prop, _text(values.get("name")))
    if primaries != 1:
        result.count("listings_without_one_primary_name")
        if primaries == 0 and entity.properties:
            # promote the first name so the entity has a caption
            first = rows[0][1].get("name")
            entity.add("name", _text(first))

    infos: list[str] = []
    for row_number, values, _ in rows:
        dob = values.get("dob")
        if not is_na(dob):
            dates = _dates_of(dob)
            if dates:
                put(entity, "birthDate", dates, result)
            else:
                result.count("dob_unparsed")
                result.warn(f"row {row_number}: date of birth {_text(dob)!r} not understood")
        pob = _text(values.get("pob"))
        if pob and not is_na(pob):
            put(entity, "birthPlace", pob, result)
        citizenship = _text(values.get("citizenship"))
        if citizenship and not is_na(citizenship):
            codes, unmapped = split_countries(citizenship)
            put(entity, "nationality", codes, result)
            if unmapped:
                result.count("citizenship_unmapped")
                result.warn(f"row {row_number}: citizenship {unmapped!r} not a known country")
        address = _text(values.get("address"))
        if address and not is_na(address):
            entity.add("address", address)
            # "a) Turkey (possible location) b) Moscovskiy ..., Russian Federation": the
            # country is the last comma part of each listed address
            for part in _LIST_MARKER.split(address):
                code = country_code(re.split(r"[,\n]", part)[-1]) if part.strip() else None
                if code:
                    entity.add("country", code)
        info = _text(values.get("info"))
        if info and not is_na(info) and info not in infos:
            infos.append(info)
        committees = _text(values.get("committees"))
        if committees:
            entity.add("program", committees)
        listing = _listing_date(values.get("listing"))
        if listing:
            entity.add("createdAt", listing)
        control = values.get("control_date")
        if control is not None and not is_na(control):
            control_dates = _dates_of(control)
            entity.add("modifiedAt", control_dates[:1])
    if "createdAt" not in entity.properties and "modifiedAt" in entity.properties:
        entity.add("createdAt", entity.get("modifiedAt")[:1])
    if len(entity.get("modifiedAt")) > 1:  # rows controlled on different dates: keep the latest
        entity.properties["modifiedAt"] = [max(entity.get("modifiedAt"))]

    for info in infos:
        entity.add("notes", info)
        for prop, value, country, label in extract_identifiers(info):
            put_identifier(entity, prop, value, country, label, result)
        if entity.schema == "Person":
            for m in _GENDER_RE.finditer(info):
                entity.add("gender", m.group(1).lower())

    entity.record = {"reference": str(number), "rows": _compact_rows([raw for _, _, raw in rows])}
    return entity


def _compact_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The listing's rows as written, without the cells an alias row repeats from the first row.

    DFAT copies every column of a listing onto each alias row, so the full rows would store the
    same "Additional Information" paragraphs three to thirty times. The first row is kept whole;
    each further row keeps its Reference, name cells and every cell that differs from the first
    row (a cell the first row has but this row leaves empty is kept as ""). Nothing is lost:
    a full row is the first row updated with the compact one.
    """
    if not rows:
        return rows
    first = rows[0]
    out = [first]
    for row in rows[1:]:
        compact = {k: v for k, v in row.items() if first.get(k) != v}
        for key in first:
            if key not in row:
                compact[key] = ""
        out.append(compact)
    return out
