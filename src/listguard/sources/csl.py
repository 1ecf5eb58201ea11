"""US Consolidated Screening List (trade.gov), CSV or gzipped CSV.

The CSL merges 13 US export and sanctions lists (OFAC SDN, BIS Entity List, State ITAR
debarments...) into one UTF-8 CSV of 29 columns with a header row. Multi-valued columns are
inline and separated by ``;`` (``alt_names``, ``addresses``, ``programs``, ``nationalities``...),
and the ``ids`` column flattens OFAC's ID list: each ``;``-separated item is ``country, [issue
date,] number, type`` ("CA, BC166787, Passport"), ``value, label`` ("Male, Gender"), or a
sanctions-information label with its value.

Identity: the ``_id`` column is *not* unique (14,160 rows, 14,048 ``_id``s in the 2022-05
file). OFAC parties listed on more than one Treasury list (SDN and SSI, SDN and CAPTA...)
appear once per list with the same ``_id`` (the OFAC entity number: 70 ids on 181 rows), and
CAPTA lists one ``_id`` twice. An id of ``_id`` alone would merge different list entries and make
the loaded record depend on which row came last, so the entity id is
``us_trade_csl:<list code>-<_id>`` (``sdn-34616``, ``ssi-34616``, ``cap-34616``), with the list
code from the source column's parenthesis. It is stable as long as trade.gov keeps a list's code
and the entry's ``_id``. Rows repeating a (list, ``_id``) pair are merged into one entity and
counted (``duplicate_rows``); a differing copy is kept in ``record["duplicates"]``.

The non-Treasury lists (BIS, State) have no ``type`` column value: those entries are
``LegalEntity`` (a person or an organisation; the list does not say), and their ``_id`` is a
40-hex digest assigned by trade.gov.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from pathlib import Path
from listguard.ftmschema import put, put_identifier
from listguard.model import Entity
from listguard.sources.base import ParseResult, SourceError, check_file, peek
from listguard.sources.freetext import country_code, iso_country, parse_dates

DATASET = "us_trade_csl"
TITLE = "US Consolidated Screening List (trade.gov)"

#: Columns the parser reads; a file missing any of them is refused. ``_id`` may be ``id``.
REQUIRED = (
    "_id", "source", "type", "name", "alt_names", "programs", "addresses", "ids",
    "dates_of_birth", "places_of_birth", "nationalities", "citizenships",
)  # fmt: skip
#: Columns read when present.
OPTIONAL = (
    "entity_number", "title", "start_date", "end_date", "remarks", "call_sign", "vessel_type",
    "gross_tonnage", "gross_registered_tonnage", "vessel_flag", "vessel_owner",
    "federal_register_notice", "standard_order", "license_requirement", "license_policy",
    "source_list_url", "source_information_url",
)  # fmt: skip

SCHEMATA = {
    "individual": "Person",
    "entity": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
}

#: ``ids`` item type label → (FtM property, is an identifier for exact lookup).
#: Labels not listed here are kept in the record and counted (``ids_unmapped_label``).
ID_TYPES: dict[str, tuple[str, bool]] = {
    **{k: ("passportNumber", True) for k in (
        "Passport", "Diplomatic Passport", "Stateless Person Passport",
        "British National Overseas Passport", "Travel Document Number",
    )},
    **{k: ("idNumber", True) for k in (
        "National ID No.", "Cedula No.", "C.U.R.P.", "D.N.I.", "Identification Number",
        "Personal ID Card", "National Foreign ID Number", "Kenyan ID No.",
        "Tazkira National ID Card", "Turkish Identification Number", "Citizen's Card Number",
        "Numero de Identidad", "C.U.I.", "CNP (Personal Numerical Code)",
        "Bosnian Personal ID No.", "Moroccan Personal ID No.", "UAE Identification",
        "Refugee ID Card", "Stateless Person ID Card", "Residency Number",
        "Electoral Registry No.", "Credencial electoral", "I.F.E.", "Birth Certificate Number",
        "Driver's License No.", "Cartilla de Servicio Militar Nacional", "C.U.I.P.", "N.I.E.",
        "SSN", "Immigration No.", "VisaNumberID", "SRE Permit No.",
        "Public Security and Immigration No.", "Romanian Permanent Resident",
        "Seafarer's Identification Document", "Pilot License Number",
    )},
    **{k: ("taxNumber", True) for k in (
        "Tax ID No.", "R.F.C.", "RFC", "NIT #", "RUC #", "US FEIN", "C.U.I.T.", "RIF #",
        "Italian Fiscal Code", "Fiscal Code", "Romanian Tax Registration",
        "Paraguayan tax identification number", "Numero Unico de Identificacao Tributaria (NUIT)",
        "C.I.F.", "RTN",
    )},
    **{k: ("registrationNumber", True) for k in (
        "Registration Number", "Registration ID", "Company Number", "Commercial Registry Number",
        "Business Registration Number", "Trade License No.", "Matricula Mercantil No",
        "C.R. No.", "Folio Mercantil No.", "Government Gazette Number",
        "Business Registration Document #", "Public Registration Number",
        "Chamber of Commerce Number", "Certificate of Incorporation Number", "UK Company Number",
        "Enterprise Number", "Registered Charity No.", "Branch Unit Number",
        "Dubai Chamber of Commerce Membership No.", "LE Number", "File Number", "Business Number",
        "Central Registration System Number", "Romanian C.R.", "Istanbul Chamber of Comm. No.",
        "MSB Registration Number", "RSIN", "License", "Tourism License No.",
        "Afghan Money Service Provider License Number", "D-U-N-S Number",
        "Unified Social Credit Code (USCC)", "United Social Credit Code Certificate (USCCC)",
        "Chinese Commercial Code", "BIK (RU)", "Aircraft Tail Number",
        "Previous Aircraft Tail Number",
    )},
    "V.A.T. Number": ("vatCode", True),
    "SWIFT/BIC": ("swiftBic", True),
    "Legal Entity Number": ("leiCode", True),
    "ISIN": ("isinCode", False),
    "Equity Ticker": ("ticker", False),
    "Vessel Registration Identification": ("imoNumber", True),
    "MMSI": ("mmsi", True),
    "Other Vessel Call Sign": ("callSign", True),
    "Website": ("website", True),
    "Email Address": ("email", True),
    "Phone Number": ("phone", True),
    "Aircraft Manufacturer's Serial Number (MSN)": ("serialNumber", True),
    "Aircraft Serial Identification": ("serialNumber", True),
    "Serial No.": ("serialNumber", True),
    "Aircraft Model": ("model", False),
    "Aircraft Manufacture Date": ("buildDate", False),
    "Organization Established Date": ("incorporationDate", False),
    "Gender": ("gender", False),
    "Former Vessel Flag": ("pastFlags", False),
    "Other Vessel Flag": ("flag", False),
    "Other Vessel Type": ("type", False),
    "Nationality of Registration": ("country", False),
    "Registration Country": ("country", False),
}
#: Digital currency labels: "Digital Currency Address - XBT" etc.
WALLET_PREFIX = "Digital Currency Address - "
_DATE_PROPS = {"buildDate", "incorporationDate"}
_COUNTRY_PROPS = {"pastFlags", "flag", "country"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[A-Z]{2}$")
_LEI = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")
_SOURCE_CODE = re.compile(r"\(([^()]+)\)")
_LINKED = re.compile(r"\(Linked To:\s*", re.I)


# -- reading ---------------------------------------------------------------------------------


def _is_gzip(path: Path) -> bool:
    return peek(path, 2) == b"\x1f\x8b"


def detect(path: Path) -> bool:
    """A CSV (plain or gzipped) whose header has the CSL's ``source`` and ``alt_names``."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        if _is_gzip(path):
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
        else:
            head = peek(path, 4096)
    except (OSError, EOFError, zlib.error):
        return path.name.lower().endswith((".csv.gz", ".csv")) and "csl" in path.name.lower()
    first = head.lstrip(codecs.BOM_UTF8).split(b"\n", 1)[0].lower()
    return b"alt_names" in first and b"source" in first and b"name" in first


def _read_text(path: Path) -> str:
    """The whole file as text: gunzipped if needed, strictly UTF-8 (BOM tolerated)."""
    try:
        if _is_gzip(path):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except EOFError as exc:
        raise SourceError(path, "the gzip file is truncated (it ends before the end-of-stream "
                          "marker); the download was cut off. Download it again") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise SourceError(path, f"the gzip data is corrupt ({exc}). Download the file again") \
            from exc
    if not data.strip():
        raise SourceError(path, "the file has no content (it decompresses to nothing); "
                          "download it again")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise SourceError(
            path,
            f"not valid UTF-8: byte 0x{byte} at byte offset {exc.start} (line {line}, column "
            f"{column}). The CSL is published as UTF-8; this file was probably re-saved in "
            "another encoding (e.g. cp1252 by a spreadsheet program). Download it again or "
            "re-export it as UTF-8",
            f"line {line}",
        ) from exc


def _source_code(source: str) -> str:
    """The list's short code from the source column: "... (SDN) - Treasury" → "sdn"."""
    m = _SOURCE_CODE.search(source)
    code = m.group(1) if m else source.split(" - ")[0]
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-") or "unknown"


# -- parsing ---------------------------------------------------------------------------------


def parse(path: Path) -> ParseResult:
    """Read a CSL CSV (or .csv.gz) into one entity per (list, ``_id``)."""
    path = Path(path)
    check_file(path)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    result = ParseResult(dataset=DATASET, entities=[], files=[path])
    try:
        header = next(reader)
    except StopIteration as exc:  # pragma: no cover - _read_text refuses empty files
        raise SourceError(path, "no header row", "line 1") from exc
    except csv.Error as exc:
        raise SourceError(path, f"the header row is not valid CSV ({exc})", "line 1") from exc
    columns = [h.strip() for h in header]
    if "_id" not in columns and "id" in columns:
        columns[columns.index("id")] = "_id"
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SourceError(
            path,
            f"required column(s) missing from the header: {', '.join(missing)} (the header has "
            f"{len(columns)} columns: {', '.join(columns[:8])}...). This is not the Consolidated "
            "Screening List CSV layout; download the CSV from trade.gov again",
            "line 1",
        )
    unknown = [c for c in columns if c not in REQUIRED and c not in OPTIONAL]
    if unknown:
        result.warn(f"unknown column(s) kept in the record only: {', '.join(unknown)}")
    width = len(columns)

    entities: dict[str, Entity] = {}
    names: dict[str, list[str]] = {}
    aliases: dict[str, list[str]] = {}
    pending_links: list[tuple[Entity, str, str]] = []
    rows = 0
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != width:
                raise SourceError(
                    path,
                    f"row has {len(fields)} fields but the header has {width}"
                    + (" (an unquoted comma or a stray field)" if len(fields) > width
                       else " (the row or the file is cut short)")
                    + "; the file is damaged. Download it again",
                    f"line {line}",
                )
            rows += 1
            row = dict(zip(columns, fields))
            _add_row(path, line, row, entities, names, aliases, pending_links, result)
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV ({exc}); the file is probably truncated or "
                          "damaged. Download it again", f"line {reader.line_num}") from exc
    if rows == 0:
        raise SourceError(path, "the CSV has a header but no rows; download it again", "line 2")

    for entity, code, target_name in pending_links:
        target = _resolve(target_name, code, names, aliases)
        if target is not None and target != entity.id:
            entity.add_link("linked to", target=target, target_name=target_name)
            result.count("links_resolved")
        else:
            entity.add_link("linked to", target_name=target_name)
            result.count("links_unresolved")

    result.entities = list(entities.values())
    result.stats["rows"] = rows
    result.stats["entities"] = len(result.entities)
    # The CSV states no publication date (published_at stays None); the newest start_date
    # is only a lower bound, so it goes into the warnings for the operator, not the version.
    dates = [d for e in result.entities for d in e.get("createdAt")]
    if dates:
        result.warn(f"no publication date in the file; newest start_date is {max(dates)}")
    return result


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _add_row(path: Path, line: int, row: dict[str, str], entities: dict[str, Entity],
             names: dict[str, list[str]],
             aliases: dict[str, list[str]],
             pending_links: list[tuple[Entity, str, str]], result: ParseResult) -> None:
    raw_id = row["_id"].strip()
    source = row["source"].strip()
    name = row["name"].strip()
    if not raw_id:
        raise SourceError(path, "row has no _id; the file is damaged or not the CSL",
                          f"line {line}, column _id")
    if not name:
        result.count("rows_without_name")
        result.warn(f"line {line}: no name; skipped")
        return
    code = _source_code(source)
    entity_id = f"{DATASET}:{code}-{raw_id}"
    record = {k: v for k, v in row.items() if v.strip()}
    entity = entities.get(entity_id)
    kind = row["type"].strip().lower()
    schema = SCHEMATA.get(kind, "LegalEntity")
    if kind and kind not in SCHEMATA:
        result.count("unknown_type")
    if entity is None:
        entity = Entity(id=entity_id, schema=schema, dataset=DATASET, record=record)
        entities[entity_id] = entity
    else:
        result.count("duplicate_rows")
        result.warn(f"line {line}: {code} _id {raw_id} listed again; merged into {entity_id}")
        if entity.record != record:
            entity.record.setdefault("duplicates", []).append(record)
        else:
            entity.record["duplicate_rows"] = entity.record.get("duplicate_rows", 1) + 1
    if not kind:
        result.count(f"untyped_rows:{code}")

    name = _repair(name, result)
    entity.add("name", name)
    _index(names, name.upper(), entity_id)
    for alias in _split(row["alt_names"]):
        alias = _repair(alias, result)
        entity.add("alias", alias)
        _index(aliases, alias.upper(), entity_id)
    entity.add("program", _split(row["programs"]))
    entity.add("program", source)
    title = row.get("title", "").strip()
    if title:
        put(entity, "position", title, result)

    for address in _split(row["addresses"]):
        tail = address.rsplit(",", 1)[-1].strip()
        country = iso_country(tail) if _CODE.match(tail) else country_code(tail)
        if country:
            entity.add("country", country)
        if address != tail:  # a bare "SY" is a country, not an address
            entity.add("address", address)

    for value in _split(row["dates_of_birth"]):
        dates = parse_dates(value)
        if dates:
            put(entity, "birthDate", dates, result)
        else:
            result.count("dob_unparsed")
            result.warn(f"line {line}: date of birth {value!r} not understood")
    put(entity, "birthPlace", _split(row["places_of_birth"]), result)
    for column, prop in (("nationalities", "nationality"), ("citizenships", "citizenship")):
        for value in _split(row[column]):
            country = iso_country(value) if _CODE.match(value) else country_code(value)
            if country:
                put(entity, prop, country, result)
            else:
                result.count(f"{column}_unmapped")
                result.warn(f"line {line}: {column} {value!r} is not a country code")

    start = row.get("start_date", "").strip()
    if start:
        dates = parse_dates(start) if _ISO_DATE.match(start) else []
        if dates:
            entity.add("createdAt", dates[0])
        else:  # e.g. "0097-06-30" in the 2022-05 file
            result.count("start_date_invalid")
            result.warn(f"line {line}: start_date {start!r} is not a valid date")
    remarks = row.get("remarks", "").strip()
    if remarks:
        entity.add("notes", remarks)
        for target in _linked_to(remarks):
            pending_links.append((entity, code, target))
    _vessel(entity, row, result)
    _ids(entity, row["ids"], line, result)


def _resolve(target_name: str, code: str, names: dict[str, list[str]],
             aliases: dict[str, list[str]]) -> str | None:
    """The entity a "Linked To:" name means: its primary name (else an alias) on the same list,
    else on any list as long as every match is the same party (one ``_id``), preferring SDN.
    Ambiguous names (two different "MINISTRY OF STATE SECURITY") stay unresolved rather than
    linking the wrong party."""
    keys = {target_name.upper(), target_name.upper().rstrip(".")}
    prefix = f"{DATASET}:{code}-"
    for index in (names, aliases):
        anywhere = sorted({i for k in keys for i in index.get(k, [])})
        if not anywhere:
            continue
        same = [i for i in anywhere if i.startswith(prefix)]
        if len(same) == 1:
            return same[0]
        if len({i.rsplit("-", 1)[1] for i in anywhere}) == 1:
            sdn = [i for i in anywhere if i.startswith(f"{DATASET}:sdn-")]
            return (sdn or anywhere)[0]
        return None
    return None


def _index(index: dict[str, list[str]], key: str, entity_id: str) -> None:
    ids = index.setdefault(key, [])
    if entity_id not in ids:
        ids.append(entity_id)


#: C1 control characters that are really cp1252 punctuation decoded as Latin-1 somewhere
#: upstream ("CAST Xi\x92an" for "CAST Xi’an" in the 2022-05 file).
_C1 = re.compile("[\x80-\x9f]")


def _repair(text: str, result: ParseResult) -> str:
    """Undo cp1252-as-Latin-1 mojibake in names: a matcher must see "Xi’an", not "Xi\x92an"."""
    if not _C1.search(text):
        return text
    result.count("c1_control_chars_repaired")

    def fix(m: re.Match[str]) -> str:
        try:
            return m.group().encode("latin-1").decode("cp1252")
        except UnicodeDecodeError:
            return ""

    return _C1.sub(fix, text)


def _linked_to(remarks: str) -> list[str]:
    """Names in "(Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE)" (nested
    parentheses allowed)."""
    out: list[str] = []
    for m in _LINKED.finditer(remarks):
        depth, i = 1, m.end()
        while i < len(remarks) and depth:
            depth += {"(": 1, ")": -1}.get(remarks[i], 0)
            i += 1
        inner = remarks[m.end() : i - 1 if depth == 0 else i]
        # several targets share one parenthesis: "(Linked To: A; Linked To: B)"
        for target in re.split(r";\s*Linked To:\s*", inner, flags=re.I):
            target = target.strip(" ;")
            if target and target not in out:
                out.append(target)
    return out


def _vessel(entity: Entity, row: dict[str, str], result: ParseResult) -> None:
    for column, prop in (("call_sign", "callSign"), ("vessel_type", "type"),
                         ("gross_tonnage", "tonnage"),
                         ("gross_registered_tonnage", "grossRegisteredTonnage")):
        value = row.get(column, "").strip()
        if value:
            if prop == "callSign":
                put_identifier(entity, prop, value, result=result)
            else:
                put(entity, prop, value, result)
    flag = row.get("vessel_flag", "").strip()
    if flag and flag.lower() != "none identified":
        code = country_code(flag)
        if code:
            put(entity, "flag", code, result)
        else:
            result.count("vessel_flag_unmapped")


def _ids(entity: Entity, value: str, line: int, result: ParseResult) -> None:
    """The ``ids`` column: "CA, BC166787, Passport; Male, Gender; ..."."""
    for item in _split(value):
        parts = [p.strip() for p in item.split(", ")]
        label = parts[-1]
        if label.startswith(WALLET_PREFIX) and len(parts) >= 2:
            entity.add_wallet(label[len(WALLET_PREFIX):], ", ".join(parts[:-1]))
            result.count("wallets")
            continue
        mapping = ID_TYPES.get(label)
        if mapping is None or len(parts) < 2:
            result.count("ids_unmapped_label")  # sanctions-information notes and the like
            continue
        prop, is_identifier = mapping
        body = parts[:-1]
        country = None
        issued = None
        if len(body) >= 2 and _CODE.match(body[0]):
            country = iso_country(body[0])
            body = body[1:]
        if len(body) >= 2 and _ISO_DATE.match(body[0]):
            issued = body[0]
            body = body[1:]
        number = ", ".join(body)
        if prop == "imoNumber":
            number = re.sub(r"^IMO\s*", "", number)
        if prop == "leiCode" and not _LEI.match(number):
            prop = "registrationNumber"  # OFAC's "Legal Entity Number" is not always an LEI
        if is_identifier:
            note = label if issued is None else f"{label}, issued {issued}"
            used = put_identifier(entity, prop, number, country, note, result)
            if used:
                result.count(f"identifiers:{used}")
        elif prop in _DATE_PROPS:
            dates = parse_dates(number)
            put(entity, prop, dates[:1] or None, result)
            if not dates:
                result.count("ids_date_unparsed")
        elif prop in _COUNTRY_PROPS:
            code = country_code(number)
            if code:
                put(entity, prop, code, result)
            else:
                result.count("ids_country_unmapped")
        elif prop == "gender":
            put(entity, prop, number.lower(), result)
        else:
            put(entity, prop, number, result)
