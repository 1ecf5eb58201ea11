"""UK Sanctions List (FCDO), dataset ``gb_fcdo_sanctions``, in its three download formats.

* The **summary spreadsheet** (``.ods``): one row per designation, primary name only, eight
  columns (Unique ID, OFSI Group ID, Name, Regime Name, Type, Designation source, Date
  Designated, Sanctions Imposed). It is an OpenDocument zip; ``content.xml`` is streamed with
  lxml ``iterparse`` because the sheet declares ~16,000 columns and ~1,000,000 trailing rows
  through ``number-columns-repeated`` / ``number-rows-repeated``, which must never be expanded.
* The **full list XML** (``UK_Sanctions_List.xml``): root ``Designations``, one ``Designation``
  per listing with all names (``Name1``..``Name6``, ``NameType``, ``AliasStrength``), names in
  non-Latin script, addresses, and individual / entity / ship details.
* The **full list CSV** (``UK_Sanctions_List.csv``): the same fields flattened, one row per
  *name* (a designation with three aliases has four rows), an optional "Report Date" line
  before the header. Columns are matched by header text, not position, and the core ones
  (Unique ID, Name 6, Name type, Regime Name, designation type) are required.

Both key listings by ``Unique ID`` (``CYB0004``), so entity ids agree between the formats and a
user can move from the summary to the full list without every entity looking new.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO

from lxml import etree

from listguard.model import Entity
from listguard.sources._listtools import (
    clean,
    clean_name,
    element_record,
    iso_date,
    join,
    map_countries,
    peek_root,
    sourceline,
)
from listguard.sources.base import DEFAULT_MAX_BYTES, ParseResult, SourceError, check_file, peek
from listguard.sources.safexml import localname, parse_xml

DATASET = "gb_fcdo_sanctions"
TITLE = "UK Sanctions List (FCDO)"

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
XML_ROOT = "Designations"
SHEET = "UK_Sanction_List"

#: ``Type`` / ``IndividualEntityShip`` -> FtM schema.
SCHEMATA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}

#: Summary-sheet columns, by their header text (matched case- and space-insensitively).
ODS_COLUMNS = (
    "Unique ID",
    "OFSI Group ID",
    "Name",
    "Regime Name",
    "Type",
    "Designation source",
    "Date Designated",
    "Sanctions Imposed",
)
_REQUIRED_COLUMNS = ("Unique ID", "Name", "Type")

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
#: Widest sheet we read: the summary has 8 columns; the rest are repeated empty cells.
_MAX_COLUMNS = 64
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


# -- detection -------------------------------------------------------------------------------


def detect(path: Path) -> bool:
    """An ODS whose ``mimetype`` member says spreadsheet, or XML with root ``Designations``.

    Cheap: reads the first bytes, and for a zip its central directory and the 46-byte
    ``mimetype`` member (Excel-written ODS files do not put it first, so the usual
    "mimetype at offset 38" trick does not work on the FCDO file). A file *named* ``.ods``
    that is no readable zip (a truncated download, an HTML error page) is claimed too, so
    that :func:`parse` can say what is wrong with it instead of "unknown format".
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        head = peek(path, 4)
    except OSError:
        return False
    if head == b"PK\x03\x04":
        mimetype = _ods_mimetype(path)
        if mimetype is _UNREADABLE:
            return path.suffix.lower() == ".ods"
        return mimetype == ODS_MIMETYPE
    if path.suffix.lower() == ".ods" and path.stat().st_size > 0:
        return True
    if _csv_header_line(peek(path, 8192)) is not None:
        return True
    return peek_root(path)[1] == XML_ROOT


#: :func:`_ods_mimetype` result for a zip whose directory cannot be read at all.
_UNREADABLE = b"\x00unreadable"


def _ods_mimetype(path: Path) -> bytes | None:
    """The ``mimetype`` member, ``None`` if absent or odd, :data:`_UNREADABLE` if the zip is."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("mimetype")
            if info.file_size > 200:
                return None
            return zf.read(info).strip()
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError, RuntimeError):
        return _UNREADABLE


# -- parsing ---------------------------------------------------------------------------------


def parse(path: Path) -> ParseResult:
    """Read a UK list download (summary ODS or full XML) or raise :class:`SourceError`."""
    path = Path(path)
    check_file(path)
    head = peek(path, 512)
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() == ".ods":
        return _parse_ods(path, head)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return _parse_xml(path)
    if _csv_header_line(peek(path, 8192)) is not None:
        return _parse_csv(path)
    raise SourceError(
        path,
        "not a UK sanctions list download: expected the FCDO summary spreadsheet (.ods), the "
        f"full list XML or its CSV, but the file starts with {_describe(head)}",
        "byte 0",
    )


def _describe(head: bytes) -> str:
    text = head[:40].decode("utf-8", "replace").strip()
    lowered = text.lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return f"{text[:15]!r}: an HTML page (an error or login page was saved instead of the file)"
    return repr(text) if text else "blank bytes"


def _parse_ods(path: Path, head: bytes) -> ParseResult:
    if not head.startswith(b"PK\x03\x04"):
        raise SourceError(
            path,
            f"not an OpenDocument spreadsheet: the file starts with {_describe(head)}. Download "
            "the .ods again from the UK Sanctions List page",
            "byte 0",
        )
    result = ParseResult(dataset=DATASET, entities=[], files=[path])
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype").strip() if "mimetype" in names else None
            if mimetype is not None and mimetype != ODS_MIMETYPE:
                raise SourceError(
                    path,
                    f"a zip file but not an ODS spreadsheet (mimetype {mimetype.decode(errors='replace')!r})",
                )
            try:
                info = zf.getinfo("content.xml")
            except KeyError:
                raise SourceError(path, "ODS file has no content.xml; it is damaged, download it again") from None
            if info.file_size > DEFAULT_MAX_BYTES:
                raise SourceError(
                    path,
                    f"content.xml unpacks to {info.file_size / 1e6:,.0f} MB, far more than any "
                    "sanctions list; refused (a zip bomb or a wrong file)",
                )
            if info.date_time[0] > 1980:
                result.published_at = "%04d-%02d-%02d" % info.date_time[:3]
            with zf.open(info) as fh:
                if _DOCTYPE.search(fh.read(64 * 1024)):
                    raise SourceError(
                        path,
                        "content.xml declares a DOCTYPE/ENTITY; refused (entity expansion and "
                        "external entities are known attacks; no spreadsheet needs them)",
                        "content.xml line 1",
                    )
            with zf.open(info) as fh:
                _read_summary_sheet(path, fh, result)
    except SourceError:
        raise
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        raise SourceError(
            path,
            f"malformed content.xml inside the ODS: {exc.msg}. The file is damaged, download it again",
            f"content.xml line {line}, column {col}",
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise SourceError(
            path,
            f"corrupt ODS (zip) file: {exc}. The download is damaged or incomplete; download it again",
        ) from None
    if not result.entities:
        raise SourceError(path, f"the sheet {SHEET} holds no designations; download the file again")
    for schema in ("Person", "Organization", "Vessel", "LegalEntity"):
        n = sum(1 for e in result.entities if e.schema == schema)
        if n:
            result.count(f"schema_{schema}", n)
    return result


def _read_summary_sheet(path: Path, fh: IO[bytes], result: ParseResult) -> None:
    """Stream the rows of the summary sheet into entities.

    The first table whose first non-empty row carries the summary headers is read (the FCDO
    file has one, named ``UK_Sanction_List``); rows of other tables are discarded as they
    stream past.
    """
    table_name: str | None = None
    header: dict[str, int] | None = None
    chosen: str | None = None
    done = False
    row_number = 0
    context = etree.iterparse(
        fh,
        events=("start", "end"),
        tag=(f"{_T}table", f"{_T}table-row"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    for event, el in context:
        if el.tag == f"{_T}table":
            if event == "start":
                table_name, header, row_number = el.get(f"{_T}name"), None, 0
            else:
                if chosen is not None and table_name == chosen:
                    done = True
                el.clear()
            continue
        if event != "end":
            continue
        repeat = _int(el.get(f"{_T}number-rows-repeated"), 1)
        row_number += 1
        first_row = row_number
        row_number += repeat - 1
        if done:
            _discard(el)
            continue
        formula = _formula_cell(el) if chosen in (None, table_name) else None
        if formula is not None:
            raise SourceError(
                path,
                f"a cell is a formula ({formula[:80]}). The UK list is typed data and has no "
                "formulas; a formula's cached result is not what the publisher wrote, so the file "
                "is refused. Download it again",
                f"sheet {table_name}, row {first_row}",
            )
        cells = _row_cells(el)
        _discard(el)
        if not any(cells):
            continue
        if header is None:
            header = _match_header(cells)
            if header is not None and chosen is None:
                chosen = table_name
            elif header is not None and chosen != table_name:
                header = None
            continue
        if chosen != table_name:
            continue
        if repeat > 1:
            result.count("repeated_rows", repeat - 1)
            result.warn(f"sheet {table_name} row {first_row} is repeated {repeat} times; read once")
        entity = _summary_entity(cells, header, result, f"sheet {table_name}, row {first_row}")
        if entity is None:
            continue
        result.add_entity(entity, f"sheet {table_name}, row {first_row}", "Unique ID")
    if chosen is None:
        raise SourceError(
            path,
            "no sheet with the UK sanctions list summary columns ("
            + ", ".join(ODS_COLUMNS)
            + f"); is this the FCDO UK Sanctions List spreadsheet? (expected sheet {SHEET})",
        )


def _discard(el: etree._Element) -> None:
    """Free a streamed row and the already-processed siblings before it."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        return default


def _formula_cell(row: etree._Element) -> str | None:
    """The formula of the row's first formula cell (``table:formula``), if any."""
    for cell in row:
        formula = cell.get(f"{_T}formula")
        if formula is not None:
            return formula
    return None


def _row_cells(row: etree._Element) -> list[str]:
    """Cell texts of a row, expanding ``number-columns-repeated`` only up to the sheet width."""
    cells: list[str] = []
    for cell in row:
        if cell.tag not in (f"{_T}table-cell", f"{_T}covered-table-cell"):
            continue
        repeat = _int(cell.get(f"{_T}number-columns-repeated"), 1)
        value = _cell_value(cell)
        cells.extend([value] * min(repeat, _MAX_COLUMNS - len(cells)))
        if len(cells) >= _MAX_COLUMNS:
            break
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _cell_value(cell: etree._Element) -> str:
    """A cell's value: its date value when typed as a date, else its text (``text:s``,
    ``text:tab`` and ``text:line-break`` are spaces, tabs and newlines in ODF)."""
    date_value = cell.get(f"{_OFFICE}date-value")
    if date_value:
        return str(date_value)[:10]
    paragraphs = [_paragraph_text(p) for p in cell.iter(f"{_TEXT}p", f"{_TEXT}h")]
    if paragraphs:
        return "\n".join(paragraphs).strip()
    return (cell.get(f"{_OFFICE}value") or cell.get(f"{_OFFICE}string-value") or "").strip()


def _paragraph_text(el: etree._Element) -> str:
    parts: list[str] = [el.text or ""]
    for child in el:
        if child.tag == f"{_TEXT}s":
            parts.append(" " * _int(child.get(f"{_TEXT}c"), 1))
        elif child.tag == f"{_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif isinstance(child.tag, str):
            parts.append(_paragraph_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _norm_header(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _match_header(cells: list[str]) -> dict[str, int] | None:
    wanted = {_norm_header(c): c for c in ODS_COLUMNS}
    found: dict[str, int] = {}
    for index, text in enumerate(cells):
        column = wanted.get(_norm_header(text))
        if column and column not in found:
            found[column] = index
    if all(c in found for c in _REQUIRED_COLUMNS):
        return found
    return None


def _summary_entity(
    cells: list[str], header: dict[str, int], result: ParseResult, where: str
) -> Entity | None:
    def cell(column: str) -> str | None:
        index = header.get(column)
        return clean(cells[index]) if index is not None and index < len(cells) else None

    uid = cell("Unique ID")
    if uid is None:
        result.count("rows_without_id")
        result.warn(f"{where}: no Unique ID; row skipped")
        return None
    kind = (cell("Type") or "").lower()
    schema = SCHEMATA.get(kind)
    if schema is None:
        result.count("unknown_types")
        result.warn(f"{where}: type {cell('Type')!r} unknown, kept as LegalEntity")
        schema = "LegalEntity"
    entity = Entity(
        id=f"{DATASET}:{uid}",
        schema=schema,
        dataset=DATASET,
        record={c: v for c in ODS_COLUMNS if (v := cell(c))},
    )
    entity.add("name", clean_name(cell("Name")))
    if not entity.get("name"):
        result.count("records_without_name")
        result.warn(f"{where}: {uid} has no name")
    entity.add("program", cell("Regime Name"))
    designated = cell("Date Designated")
    if designated:
        date = iso_date(designated)
        if date is None:
            result.count("unparsed_dates")
        entity.add("createdAt", date)
    return entity


# -- full list XML ---------------------------------------------------------------------------


def _parse_xml(path: Path) -> ParseResult:
    root = parse_xml(path)
    if localname(root) != XML_ROOT:
        raise SourceError(
            path,
            f"not a UK sanctions list: the root element is <{localname(root)}>, expected "
            f"<{XML_ROOT}> (the FCDO UK_Sanctions_List.xml)",
            sourceline(root),
        )
    if etree.QName(root).namespace:
        # The documented file has no namespace; should one appear, read it all the same.
        for node in root.iter():
            if isinstance(node.tag, str):
                node.tag = etree.QName(node).localname
    published = clean(root.get("DateGenerated")) or clean(root.findtext("DateGenerated"))
    result = ParseResult(dataset=DATASET, entities=[], published_at=published, files=[path])
    for el in root.findall("Designation"):
        entity = _designation(el, result)
        if entity is not None:
            result.add_entity(entity, sourceline(el), "UniqueID")
    if not result.entities:
        raise SourceError(path, "the UK list holds no Designation records; download it again", sourceline(root))
    for schema in ("Person", "Organization", "Vessel", "LegalEntity"):
        n = sum(1 for e in result.entities if e.schema == schema)
        if n:
            result.count(f"schema_{schema}", n)
    return result


def _texts(el: etree._Element, path: str) -> list[str]:
    return [t for t in (clean(x.text) for x in el.findall(path)) if t]


def _designation(el: etree._Element, result: ParseResult) -> Entity | None:
    uid = clean(el.findtext("UniqueID"))
    if uid is None:
        result.count("records_without_id")
        result.warn(f"Designation without UniqueID at {sourceline(el)} skipped")
        return None
    kind = (clean(el.findtext("IndividualEntityShip")) or "").lower()
    schema = SCHEMATA.get(kind)
    if schema is None:
        result.count("unknown_types")
        result.warn(f"{uid}: IndividualEntityShip {kind!r} unknown, kept as LegalEntity")
        schema = "LegalEntity"
    entity = Entity(id=f"{DATASET}:{uid}", schema=schema, dataset=DATASET, record=element_record(el))
    _names(entity, el)
    if not entity.get("name"):
        result.count("records_without_name")
        result.warn(f"{uid} has no name at {sourceline(el)}")
    entity.add("program", clean(el.findtext("RegimeName")))
    entity.add("createdAt", iso_date(el.findtext("DateDesignated")))
    entity.add("modifiedAt", iso_date(el.findtext("LastUpdated")))
    entity.add("notes", [clean(el.findtext("OtherInformation")), clean(el.findtext("UKStatementofReasons"))])
    un_ref = clean(el.findtext("UNReferenceNumber"))
    if un_ref:
        entity.add_link("same_as", target=f"un_sc_sanctions:{un_ref}", target_name=entity.caption)

    where = uid
    for addr in el.findall("Addresses/Address"):
        country = clean(addr.findtext("AddressCountry"))
        entity.add("country", map_countries(result, [country], where))
        lines = [addr.findtext(f"AddressLine{i}") for i in range(1, 7)] + [addr.findtext("AddressPostalCode")]
        if any(clean(line) for line in lines):
            entity.add("address", join([*lines, country]))
    if schema != "Vessel":
        entity.add("phone", _texts(el, "PhoneNumbers/PhoneNumber"))
        entity.add("email", _texts(el, "EmailAddresses/EmailAddress"))
        entity.add("website", _texts(el, "Websites/Website"))

    for ind in el.findall("IndividualDetails/Individual"):
        _individual(entity, ind, result, where)
    for ent in el.findall("EntityDetails/Entity"):
        _entity_details(entity, ent)
    for ship in el.findall("ShipDetails/Ship"):
        _ship(entity, ship, result, where)
    return entity


def _names(entity: Entity, el: etree._Element) -> None:
    """``Name1``..``Name5`` are given/middle names and ``Name6`` the surname (or the whole
    name of an entity or ship). The first "Primary Name" is the name; variations and good
    aliases are aliases, "Low quality" aliases weak aliases. Name parts come from the primary
    name and its variations only."""
    is_person = entity.schema == "Person"
    for name in el.findall("Names/Name"):
        parts = [clean(name.findtext(f"Name{i}")) for i in range(1, 7)]
        full = clean_name(join(parts, " "))
        kind = (clean(name.findtext("NameType")) or "").lower()
        strength = (clean(name.findtext("AliasStrength")) or "").lower()
        if full:
            if kind == "primary name" and not entity.get("name"):
                entity.add("name", full)
            elif "low" in strength:
                entity.add("weakAlias", full)
            elif "previous" in kind or "formerly" in kind:
                entity.add("previousName", full)
            else:
                entity.add("alias", full)
        if is_person and kind.startswith("primary name"):
            # Parts of aliases would mix names ("Abu Banat" is no surname): primary ones only.
            entity.add("firstName", parts[0])
            entity.add("middleName", parts[1:5])
            entity.add("lastName", parts[5])
            entity.add("title", clean(name.findtext("Title")))
    if not entity.get("name"):
        aliases = entity.get("alias")
        if aliases:
            entity.properties["name"] = [aliases[0]]
    for value in _texts(el, "NonLatinNames/NonLatinName/NameNonLatinScript"):
        entity.add("alias", value)


def _individual(entity: Entity, ind: etree._Element, result: ParseResult, where: str) -> None:
    for dob in _texts(ind, "DOBs/DOB"):
        date = iso_date(dob)
        if date is None:
            result.count("unparsed_birth_dates")
        entity.add("birthDate", date)
    entity.add("nationality", map_countries(result, _texts(ind, "Nationalities/Nationality"), where))
    entity.add("position", _texts(ind, "Positions/Position"))
    for loc in ind.findall("BirthDetails/Location"):
        country = clean(loc.findtext("CountryOfBirth"))
        entity.add("birthPlace", join([loc.findtext("TownOfBirth"), country]))
        entity.add("birthCountry", map_countries(result, [country], where))
    for gender in _texts(ind, "Genders/Gender"):
        if gender.lower() in ("male", "female"):
            entity.add("gender", gender.lower())
    for passport in ind.findall("PassportDetails/Passport"):
        number = clean(passport.findtext("PassportNumber"))
        if number:
            entity.add_identifier("passportNumber", number, None, clean(passport.findtext("PassportAdditionalInformation")))
    for number in _texts(ind, "PassportNumbers/PassportNumber"):
        entity.add_identifier("passportNumber", number)
    for nid in ind.findall("NationalIdentifierDetails/NationalIdentifier"):
        number = clean(nid.findtext("NationalIdentifierNumber"))
        if number:
            entity.add_identifier("idNumber", number, None, clean(nid.findtext("NationalIdentifierAdditionalInformation")))
    for number in _texts(ind, "NationalIdentifierNumbers/NationalIdentifierNumber"):
        entity.add_identifier("idNumber", number)


def _entity_details(entity: Entity, ent: etree._Element) -> None:
    entity.add("legalForm", _texts(ent, "TypeOfEntities/TypeOfEntity"))
    for number in _texts(ent, "BusinessRegistrationNumbers/BusinessRegistrationNumber"):
        entity.add_identifier("registrationNumber", number)
    for parent in _texts(ent, "ParentCompanies/ParentCompany"):
        entity.add_link("parent", target_name=parent)
    for sub in _texts(ent, "Subsidiaries/Subsidiary"):
        entity.add_link("subsidiary", target_name=sub)


def _ship(entity: Entity, ship: etree._Element, result: ParseResult, where: str) -> None:
    for imo in _texts(ship, "IMONumbers/IMONumber"):
        entity.add_identifier("imoNumber", imo.removeprefix("IMO").strip(), note="IMO number")
    if entity.schema != "Vessel":
        return
    entity.add("flag", map_countries(result, _texts(ship, "CurrentBelievedFlagOfShips/CurrentBelievedFlagOfShip"), where))
    entity.add("pastFlags", map_countries(result, _texts(ship, "PreviousFlags/PreviousFlag"), where))
    entity.add("type", _texts(ship, "TypeOfShips/TypeOfShip"))
    entity.add("tonnage", _texts(ship, "TonnageOfShips/TonnageOfShip"))
    entity.add("buildDate", [iso_date(y) for y in _texts(ship, "YearBuilts/YearBuilt")])
    for owner in _texts(ship, "CurrentOwnerOperators/CurrentOwnerOperator"):
        entity.add_link("owner_operator", target_name=owner)
    for owner in _texts(ship, "PreviousOwnerOperators/PreviousOwnerOperator"):
        entity.add_link("previous_owner_operator", target_name=owner)


# -- full list CSV ---------------------------------------------------------------------------

#: CSV columns by role, each with the header spellings accepted (compared without case,
#: spaces or punctuation). The first five roles are required.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "uid": ("Unique ID",),
    "name6": ("Name 6",),
    "name_type": ("Name type",),
    "regime": ("Regime Name", "Regime"),
    "kind": ("Designation Type", "Individual, Entity, Ship", "Type"),
    "last_updated": ("Last Updated",),
    "ofsi_group": ("OFSI Group ID",),
    "un_ref": ("UN Reference Number",),
    "name1": ("Name 1",),
    "name2": ("Name 2",),
    "name3": ("Name 3",),
    "name4": ("Name 4",),
    "name5": ("Name 5",),
    "alias_strength": ("Alias strength", "Alias quality"),
    "title": ("Title",),
    "non_latin": ("Name non-latin script", "Name non latin script"),
    "source": ("Designation source",),
    "sanctions": ("Sanctions Imposed",),
    "other_info": ("Other Information",),
    "reasons": ("UK Statement of Reasons",),
    "addr1": ("Address Line 1",),
    "addr2": ("Address Line 2",),
    "addr3": ("Address Line 3",),
    "addr4": ("Address Line 4",),
    "addr5": ("Address Line 5",),
    "addr6": ("Address Line 6",),
    "postcode": ("Address Postal Code",),
    "addr_country": ("Address Country",),
    "phone": ("Phone number",),
    "website": ("Website",),
    "email": ("Email address",),
    "designated": ("Date Designated",),
    "dob": ("D.O.B", "DOB", "Date of birth"),
    "nationality": ("Nationality(/ies)", "Nationality", "Nationalities"),
    "national_id": ("National Identifier number", "National Identification Number"),
    "national_id_info": ("National Identifier additional information",),
    "passport": ("Passport number",),
    "passport_info": ("Passport additional information",),
    "position": ("Position",),
    "gender": ("Gender",),
    "town_of_birth": ("Town of birth",),
    "country_of_birth": ("Country of birth",),
    "entity_type": ("Type of entity",),
    "subsidiaries": ("Subsidiaries",),
    "parent": ("Parent company",),
    "registration": ("Business registration number (s)", "Business registration number(s)"),
    "imo": ("IMO number",),
    "owner": ("Current owner/operator (s)", "Current owner/operator(s)"),
    "previous_owner": ("Previous owner/operator (s)", "Previous owner/operator(s)"),
    "flag": ("Current believed flag of ship",),
    "previous_flags": ("Previous flags",),
    "ship_type": ("Type of ship",),
    "tonnage": ("Tonnage of ship",),
    "build_year": ("Year Built",),
}
_CSV_REQUIRED = ("uid", "name6", "name_type", "regime", "kind")
_CSV_LOOKUP = {_norm_header(h): role for role, names in CSV_COLUMNS.items() for h in names}


def _csv_header_line(head: bytes) -> int | None:
    """Index of the header line among the first three lines of a UK list CSV, or ``None``
    (the FCDO CSV may start with a "Report Date: ..." line)."""
    if head.startswith(b"PK") or b"\x00" in head:
        return None
    text = head.decode("utf-8-sig", "replace")
    for index, line in enumerate(text.splitlines()[:3]):
        try:
            cells = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        roles = {_CSV_LOOKUP.get(_norm_header(c)) for c in cells}
        if all(r in roles for r in _CSV_REQUIRED):
            return index
    return None


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _parse_csv(path: Path) -> ParseResult:
    """Group the per-name rows by Unique ID (in file order) and build one entity each."""
    text = _read_text(path)
    result = ParseResult(dataset=DATASET, entities=[], files=[path])
    lines = text.splitlines(keepends=True)
    skip = _csv_header_line(text[:8192].encode("utf-8")) or 0
    if skip and (m := re.search(r"(\d{1,2}[-/ ][A-Za-z]{3,9}[-/ ]\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})", lines[0])):
        result.published_at = iso_date(m.group(1).replace("-", " ")) or iso_date(m.group(1))
    reader = csv.reader(io.StringIO("".join(lines[skip:])))
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(path, "the CSV has no header row; download it again") from None
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        role = _CSV_LOOKUP.get(_norm_header(cell))
        if role and role not in columns:
            columns[role] = index
    missing = [CSV_COLUMNS[r][0] for r in _CSV_REQUIRED if r not in columns]
    if missing:
        raise SourceError(path, f"not the UK sanctions list CSV: no column {', '.join(missing)}", f"line {skip + 1}")
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    last_short: int | None = None
    try:
        for row in reader:
            line_no = reader.line_num + skip
            if not any(cell.strip() for cell in row):
                continue
            last_short = None
            if len(row) < len(header):
                last_short = line_no
                result.count("short_rows")
                result.warn(f"line {line_no}: {len(row)} of {len(header)} columns")
            values = {role: row[i].strip() for role, i in columns.items() if i < len(row) and row[i].strip()}
            uid = values.get("uid")
            if not uid:
                result.count("rows_without_id")
                result.warn(f"line {line_no}: no Unique ID; row skipped")
                continue
            groups.setdefault(uid, []).append((line_no, values))
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV: {exc}; download it again", f"line {reader.line_num + skip}") from None
    if last_short is not None:
        # Every row of the FCDO CSV has every column; a short last row is a cut download.
        raise SourceError(
            path,
            "the last row has fewer columns than the header: the file is truncated; download it again",
            f"line {last_short}",
        )
    for uid, rows in groups.items():
        result.entities.append(_csv_entity(uid, rows, header, columns, result))
    if not result.entities:
        raise SourceError(path, "the UK list CSV holds no designations; download it again")
    for schema in ("Person", "Organization", "Vessel", "LegalEntity"):
        n = sum(1 for e in result.entities if e.schema == schema)
        if n:
            result.count(f"schema_{schema}", n)
    return result


def _csv_entity(
    uid: str,
    rows: list[tuple[int, dict[str, str]]],
    header: list[str],
    columns: dict[str, int],
    result: ParseResult,
) -> Entity:
    first = rows[0][1]
    kind = first.get("kind", "").lower()
    schema = SCHEMATA.get(kind)
    if schema is None:
        result.count("unknown_types")
        result.warn(f"{uid}: designation type {first.get('kind')!r} unknown, kept as LegalEntity")
        schema = "LegalEntity"
    names = {role: header[i] for role, i in columns.items()}
    record_rows = [{names[r]: v for r, v in values.items()} for _, values in rows]
    entity = Entity(
        id=f"{DATASET}:{uid}",
        schema=schema,
        dataset=DATASET,
        record={"rows": record_rows} if len(record_rows) > 1 else record_rows[0],
    )
    is_person = schema == "Person"
    ordered = sorted(rows, key=lambda r: (r[1].get("name_type", "").lower() != "primary name", r[0]))
    for _, v in ordered:
        parts = [v.get(f"name{i}") for i in range(1, 7)]
        full = clean_name(join(parts, " "))
        kind_of_name = v.get("name_type", "").lower()
        if full:
            if kind_of_name == "primary name" and not entity.get("name"):
                entity.add("name", full)
            elif "low" in v.get("alias_strength", "").lower():
                entity.add("weakAlias", full)
            elif "previous" in kind_of_name or "formerly" in kind_of_name:
                entity.add("previousName", full)
            else:
                entity.add("alias", full)
        if is_person and kind_of_name.startswith("primary name"):
            entity.add("firstName", parts[0])
            entity.add("middleName", parts[1:5])
            entity.add("lastName", parts[5])
            entity.add("title", v.get("title"))
    if not entity.get("name"):
        result.count("records_without_name")
        aliases = entity.get("alias")
        if aliases:
            entity.properties["name"] = [aliases[0]]
        result.warn(f"{uid}: no primary name")
    where = uid
    for _, v in rows:
        entity.add("alias", v.get("non_latin"))
        entity.add("program", v.get("regime"))
        entity.add("createdAt", iso_date(v.get("designated")))
        entity.add("notes", [v.get("other_info"), v.get("reasons")])
        country = v.get("addr_country")
        entity.add("country", map_countries(result, [country], where))
        lines = [v.get(f"addr{i}") for i in range(1, 7)] + [v.get("postcode")]
        if any(lines):
            entity.add("address", join([*lines, country]))
        if schema != "Vessel":
            entity.add("phone", v.get("phone"))
            entity.add("email", v.get("email"))
            entity.add("website", v.get("website"))
        if is_person:
            if v.get("dob"):
                date = iso_date(v["dob"])
                if date is None:
                    result.count("unparsed_birth_dates")
                entity.add("birthDate", date)
            entity.add("nationality", map_countries(result, [v.get("nationality")], where))
            entity.add("position", v.get("position"))
            gender = v.get("gender", "").lower()
            if gender in ("male", "female"):
                entity.add("gender", gender)
            birth_country = v.get("country_of_birth")
            entity.add("birthPlace", join([v.get("town_of_birth"), birth_country]))
            entity.add("birthCountry", map_countries(result, [birth_country], where))
            if v.get("passport"):
                entity.add_identifier("passportNumber", v["passport"], None, v.get("passport_info"))
            if v.get("national_id"):
                entity.add_identifier("idNumber", v["national_id"], None, v.get("national_id_info"))
        if schema in ("Organization", "LegalEntity"):
            entity.add("legalForm", v.get("entity_type"))
            if v.get("registration"):
                entity.add_identifier("registrationNumber", v["registration"])
            if v.get("parent"):
                entity.add_link("parent", target_name=v["parent"])
            if v.get("subsidiaries"):
                entity.add_link("subsidiary", target_name=v["subsidiaries"])
        if v.get("imo"):
            entity.add_identifier("imoNumber", v["imo"].removeprefix("IMO").strip(), note="IMO number")
        if schema == "Vessel":
            entity.add("flag", map_countries(result, [v.get("flag")], where))
            entity.add("pastFlags", map_countries(result, [v.get("previous_flags")], where))
            entity.add("type", v.get("ship_type"))
            entity.add("tonnage", v.get("tonnage"))
            entity.add("buildDate", iso_date(v.get("build_year")))
            if v.get("owner"):
                entity.add_link("owner_operator", target_name=v["owner"])
            if v.get("previous_owner"):
                entity.add_link("previous_owner_operator", target_name=v["previous_owner"])
    updated = sorted(filter(None, (iso_date(v.get("last_updated")) for _, v in rows)))
    if updated:
        entity.add("modifiedAt", updated[-1])
    un_ref = first.get("un_ref")
    if un_ref:
        entity.add_link("same_as", target=f"un_sc_sanctions:{un_ref}", target_name=entity.caption)
    return entity



__all__ = ["DATASET", "TITLE", "detect", "parse"]
