"""OFAC legacy CSV sets: the SDN list (``us_ofac_sdn``) and the consolidated non-SDN lists
(``us_ofac_cons``).

OFAC publishes each list as four header-less CSV files joined on ``ent_num``:

====================  =====================  ===============================================
SDN                   consolidated           content
====================  =====================  ===============================================
``sdn.csv``           ``cons_prim.csv``      one row per entry (:data:`PRIMARY_COLUMNS`)
``alt.csv``           ``cons_alt.csv``       aliases: aka / fka / nka (:data:`ALT_COLUMNS`)
``add.csv``           ``cons_add.csv``       addresses (:data:`ADD_COLUMNS`)
``sdn_comments.csv``  ``cons_comments.csv``  Remarks past their first 1,000 characters
====================  =====================  ===============================================

The files are cp1252 text with CRLF line ends, no header row, an MS-DOS end-of-file byte (0x1A)
and ``-0-`` (with a trailing space) for an empty field. Much of what a screener needs (dates and
places of birth, nationalities, passports and registry numbers, e-mails, wallets, IMO numbers,
"Linked To:" relations, the weak a.k.a.s) is only in the free-text Remarks column, so
:func:`parse_remarks` splits it on ``;`` (no value in the real files contains one) and maps
every fragment it recognises to FtM properties. Fragments it does not recognise go to ``notes``
and are counted (``remark_fragments_unparsed``), never dropped.

Choices this module makes, and why:

* **The primary file is required, the siblings are not.** ``sdn.csv`` alone is a usable list
  (names, programs, the remarks with weak a.k.a.s and identifiers), and OFAC does offer it on its
  own, so a missing ``alt.csv``/``add.csv``/comments file is a warning plus a ``missing_files``
  count rather than an error. A sibling that exists but is broken (empty, binary, wrong columns)
  is an error: half-reading a damaged download is worse than refusing it.
* **Orphans are reported, never invented.** Alias, address and comment rows whose ``ent_num`` has
  no primary row (the shared ``sdn_latest`` folder mixes downloads of different dates) are counted
  in ``stats`` (``orphan_alias_rows`` / ``orphan_alias_entities`` ...) with a warning.
* **Comments continue a remark only when it was cut.** OFAC moves the part of Remarks past 1,000
  characters to the comments file, cutting mid-word, so a comment is appended verbatim to a
  remark of exactly :data:`REMARKS_WIDTH` characters. A comment for a shorter remark belongs to a
  different download of the list; it is kept in ``record["comments"]`` and counted
  (``comment_rows_not_continuing``) but not parsed into the entry.
* **Countries are FtM codes** (ISO 3166-1 alpha-2 in lower case, plus FtM's few extras such as
  ``xk``, ``suhh`` or ``ua-cri``). Names that do not map stay in ``record`` and are counted
  (``unknown_country_names``).
* **Properties stay valid for the schema**, so the FtM export is a plain projection: a value
  whose property the schema lacks (a DOB on an ``Organization``, a phone on a ``Vessel``) falls
  back to a close property (``nationality`` -> ``country``, a passport on an organisation ->
  ``idNumber``) or to ``notes``, and is counted (``values_outside_schema``).
* **The Title column** goes to ``title`` when it is an honorific or rank ("Dr.", "Haji",
  "Brigadier General") and to ``position`` otherwise ("Member of the State Duma ..."): FtM's
  ``title`` is a name part, and a job description there would pollute name matching.
* ``published_at`` stays ``None``: the legacy CSV does not state a publication date.

Each entity's ``record`` holds the source as written: ``primary`` (the primary row by OFAC
column name, empty fields left out), ``aliases`` and ``addresses`` (their rows), ``comments``
(comment rows, if any), ``remarks`` (the full Remarks, continued by the comments) and what the
parse could not put into properties without losing detail: ``dob_raw`` (approximate dates as
written), ``unknown_countries``, ``organization_type``, ``target_type``.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from followthemoney import model as ftm_model
from followthemoney.types import registry

from listguard import settings
from listguard.model import Entity
from listguard.sources._listtools import MONTHS as _MONTHS
from listguard.sources.base import ParseResult, SourceError, check_file, peek

DATASET = "us_ofac_sdn"
DATASETS = ("us_ofac_sdn", "us_ofac_cons")
TITLE = "US OFAC sanctions lists (SDN and consolidated non-SDN), legacy CSV"

PRIMARY_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_zip", "country", "add_remarks")
COMMENT_COLUMNS = ("ent_num", "remarks")

#: OFAC cuts Remarks at this many characters and continues them in the comments file.
REMARKS_WIDTH = 1000

#: How many ids to name in one orphan warning.
_SAMPLE = 10


@dataclass(frozen=True)
class Layout:
    """The four file names of one OFAC list, and the dataset they make."""

    dataset: str
    primary: str
    alt: str
    add: str
    comments: str

    @property
    def siblings(self) -> tuple[str, str, str]:
        return (self.alt, self.add, self.comments)


SDN = Layout("us_ofac_sdn", "sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")
CONS = Layout("us_ofac_cons", "cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv")
LAYOUTS = (SDN, CONS)


# ---------------------------------------------------------------------------------------------
# detection and file lookup
# ---------------------------------------------------------------------------------------------


def _find(folder: Path, name: str) -> Path | None:
    """``folder/name``, matching the name case-insensitively (``SDN.CSV`` exists in the wild)."""
    exact = folder / name
    if exact.is_file():
        return exact
    try:
        for child in folder.iterdir():
            if child.name.lower() == name and child.is_file():
                return child
    except OSError:
        return None
    return None


def _sniff(path: Path) -> bool:
    """Does the first line look like an OFAC primary row (integer, quoted name, 12 fields)?"""
    try:
        head = peek(path, 8192)
    except OSError:
        return False
    if not head[:1].isdigit() or b"\x00" in head:
        return False
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if not re.match(rb'^\d+,"', line):
        return False
    try:
        row = next(csv.reader([line.decode("cp1252", "replace")]))
    except (csv.Error, StopIteration):
        return False
    return len(row) == len(PRIMARY_COLUMNS) and row[0].isdigit()


def detect(path: Path) -> bool:
    """A folder holding ``sdn.csv`` or ``cons_prim.csv``, such a file, or a file whose first
    line is an OFAC primary row (for renamed downloads)."""
    path = Path(path)
    try:
        if path.is_dir():
            return any(_find(path, layout.primary) for layout in LAYOUTS)
        if not path.is_file():
            return False
    except OSError:
        return False
    if path.name.lower() in {layout.primary for layout in LAYOUTS}:
        return True
    if path.suffix.lower() not in {".csv", ".txt", ""}:
        return False
    return _sniff(path)


def _resolve(path: Path) -> tuple[Layout, Path, Path]:
    """``(layout, primary file, folder of the siblings)`` for a folder or a primary file."""
    if not path.exists():
        raise SourceError(path, "file not found")
    if path.is_dir():
        found = [(layout, _find(path, layout.primary)) for layout in LAYOUTS]
        present = [(layout, file) for layout, file in found if file is not None]
        if not present:
            raise SourceError(
                path,
                "folder has no sdn.csv or cons_prim.csv; pass the folder of an OFAC legacy CSV "
                "download (sdn.csv, alt.csv, add.csv, sdn_comments.csv)",
            )
        if len(present) > 1:
            raise SourceError(
                path,
                "folder holds both the SDN (sdn.csv) and the consolidated (cons_prim.csv) list; "
                "pass each primary file on its own (e.g. .../sdn.csv and .../cons_prim.csv)",
            )
        layout, primary = present[0]
        assert primary is not None
        return layout, primary, path
    name = path.name.lower()
    for layout in LAYOUTS:
        if name == layout.primary:
            return layout, path, path.parent
        if name in layout.siblings:
            raise SourceError(
                path,
                f"this is a companion file of the OFAC list; pass {layout.primary} or its "
                "folder instead",
            )
    check_file(path, settings.max_file_bytes())
    if not _sniff(path):
        raise SourceError(
            path,
            "not an OFAC legacy CSV primary file (expected rows of 12 fields starting with an "
            "ent_num and a quoted name); pass sdn.csv, cons_prim.csv or their folder",
        )
    # A renamed primary file: the name tells which list, the siblings keep their names.
    layout = CONS if "cons" in name else SDN
    return layout, path, path.parent


# ---------------------------------------------------------------------------------------------
# reading the CSV files
# ---------------------------------------------------------------------------------------------


def _looks_utf16(head: bytes) -> bool:
    """ASCII text in UTF-16 without a byte-order mark: every other byte is NUL."""
    if len(head) < 8:
        return False
    for zeros in (head[1::2], head[0::2]):
        if zeros.count(0) >= 0.9 * len(zeros):
            return True
    return False


def _decode(path: Path, data: bytes) -> str:
    """The file as text, refusing what is not an OFAC CSV before the CSV reader sees it.

    UTF-8 is tried first (plain ASCII, which the real files are, is valid UTF-8; a re-saved
    file with accents may be UTF-8), then cp1252, the encoding OFAC writes.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data[:400]):
        raise SourceError(
            path,
            "file is UTF-16 (or UTF-32) text, not OFAC's cp1252 CSV; it was probably re-saved "
            "as 'Unicode text'. Download the original file from ofac.treasury.gov again",
        )
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise SourceError(
            path,
            "file is binary (NUL byte), not an OFAC CSV; download it again",
            where=f"byte {offset}",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SourceError(
            path,
            f"file is not text in OFAC's cp1252 encoding (byte 0x{data[exc.start]:02x}); "
            "it is binary or damaged: download it again",
            where=f"byte {exc.start}",
        ) from None


#: OFAC's MS-DOS end-of-file byte, with any line ends around it (some copies add one after it).
_EOF = re.compile(r"[\r\n]*\x1a[\x1a\r\n]*\Z")

#: How OFAC writes an empty field (``-0-`` plus a space), and variants of it.
_EMPTY = frozenset({"-0- ", "-0-", " -0- ", " -0-", "", " "})


def read_rows(
    path: Path, columns: tuple[str, ...], result: ParseResult
) -> list[tuple[int, list[str | None]]]:
    """All data rows of one OFAC CSV as ``(line number, values)``, ``-0-`` read as ``None``.

    Raises :class:`SourceError` naming the line for anything that is not a well-formed row of
    ``len(columns)`` fields: a truncated download ends in a short row or an unclosed quote.
    """
    check_file(path, settings.max_file_bytes())
    with open(path, "rb") as fh:
        data = fh.read()
    text = _decode(path, data)
    if text.lstrip()[:1] == "<":
        raise SourceError(
            path,
            "file is an HTML or XML page, not OFAC's CSV (a failed download or an error page?); "
            "download it again",
        )
    if "\x1a" not in text[-4:]:
        # OFAC ends each file with an MS-DOS EOF byte; without it the file may have been cut at
        # a row boundary (undetectable otherwise). Real copies exist without it, so only warn.
        result.count("files_without_eof_marker")
        result.warn(
            f"{path.name} lacks OFAC's end-of-file byte (0x1A); if entries seem missing, "
            "download it again"
        )
    text = _EOF.sub("\r\n", text)
    expected = len(columns)
    rows: list[tuple[int, list[str | None]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    empty = _EMPTY
    try:
        for raw in reader:
            previous, line = line, reader.line_num
            if not raw:
                continue  # a blank line
            if len(raw) != expected:
                raise SourceError(
                    path,
                    f"row has {len(raw)} fields, expected {expected} "
                    f"({', '.join(columns)}); the file is truncated, damaged or not "
                    f"OFAC's {path.name}. Download it again",
                    where=f"line {line}",
                )
            if line - previous > 1:
                # No OFAC value spans lines; a row that does has an unclosed quote.
                raise SourceError(
                    path,
                    "a quoted field runs over several lines (an unclosed quote); the file "
                    "is truncated or damaged. Download it again",
                    where=f"line {previous + 1}",
                )
            if not raw[0].strip().isdigit():
                raise SourceError(
                    path,
                    f"ent_num {raw[0][:40]!r} is not a number (OFAC files have no header row); "
                    "the file is damaged or not an OFAC list CSV",
                    where=f"line {line}",
                )
            rows.append((line, [None if v in empty else v for v in raw]))
    except csv.Error as exc:
        raise SourceError(
            path,
            f"malformed CSV ({exc}); the file is truncated or damaged. Download it again",
            where=f"line {reader.line_num or line}",
        ) from None
    return rows


# ---------------------------------------------------------------------------------------------
# value helpers
# ---------------------------------------------------------------------------------------------

#: Values written where a country is unknown; they are placeholders, not country names.
COUNTRY_PLACEHOLDERS = frozenset(
    {"none identified", "undetermined", "unknown", "stateless", "none", "n/a", "not known"}
)

#: OFAC spellings the territory names do not cover.
_COUNTRY_FIXES = {
    "bosnia herzegovina": "ba",
    "gaza": "ps",
    "gaza strip": "ps",
    "north gaza": "ps",
    "northern gaza": "ps",
    "west bank": "ps",
    "northern mali": "ml",
}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _norm(text: str) -> str:
    return _NON_ALNUM.sub(" ", text.lower()).strip()


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str] | None:
    """Normalised Latin-script territory names and codes -> FtM country code.

    FtM's own lookup (``registry.country.clean``) gives the same codes but transliterates
    ~29,000 names in every script on first use (about 2 s, longer than parsing the whole SDN
    list); OFAC writes country names in ASCII, so an index of the ASCII names is enough.
    ``None`` if rigour's raw name data moved (then FtM's lookup is used).
    """
    try:
        from rigour._core import territories_jsonl
        from rigour.data import iter_jsonl_text
        from rigour.territories import get_territories
    except ImportError:  # pragma: no cover - a rigour release that moved its internals
        return None
    territories = {t.code: t for t in get_territories()}
    index: dict[str, str] = {}
    weak: dict[str, str] = {}
    # Strong names include demonyms ("Russian"); rigour's "places" (cities) are left out on
    # purpose: "Passport 123 (Bogota)" does not say Colombia issued it.
    for data in iter_jsonl_text(territories_jsonl()):
        territory = territories.get(data["code"])
        if territory is None or not territory.ftm_country:
            continue
        for bucket, names in (
            (index, data.get("names_strong", [])),
            (weak, data.get("names_weak", [])),
        ):
            for name in names:
                if name.isascii():
                    bucket.setdefault(_norm(name), territory.ftm_country)
    for territory in territories.values():
        if not territory.ftm_country:
            continue
        for name in (territory.name, territory.full_name):
            if name and name.isascii():
                index[_norm(name)] = territory.ftm_country
        for code in (territory.code, territory.alpha3, *territory.other_codes):
            if code:
                index.setdefault(_norm(code), territory.ftm_country)
    for key, value in weak.items():
        index.setdefault(key, value)
    return index


@lru_cache(maxsize=4096)
def country_code(name: str) -> str | None:
    """FtM country code for an OFAC country name (``Korea, North`` -> ``kp``), else ``None``.

    FtM codes are ISO 3166-1 alpha-2 in lower case plus FtM's few extras (``xk`` Kosovo,
    ``suhh`` USSR, ``ua-cri`` Crimea...). ``Region: West Bank`` is looked up as ``West Bank``.
    """
    text = " ".join(name.split()).strip(" .")
    if text.lower().startswith("region:"):
        text = text[len("region:") :].strip()
    key = _norm(text)
    if not key or text.lower() in COUNTRY_PLACEHOLDERS:
        return None
    if key in _COUNTRY_FIXES:
        return _COUNTRY_FIXES[key]
    index = _country_index()
    if index is None:  # pragma: no cover
        return registry.country.clean(text)
    return index.get(key)


_DATE = re.compile(r"^(?:(\d{1,2})\s+)?(?:([A-Za-z]{3,9})\.?\s+)?(\d{4})$")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{4})$")


def iso_date(text: str) -> str | None:
    """``05 Feb 1970`` -> ``1970-02-05``, ``Feb 1970`` -> ``1970-02``, ``1970`` -> ``1970``.

    An impossible date gives ``None`` rather than a guess.
    """
    match = _DATE.match(text.strip())
    if match is None:
        return None
    day_s, month_s, year_s = match.groups()
    year = int(year_s)
    if not 1000 <= year <= 2100:
        return None
    if month_s is None:
        return None if day_s else f"{year:04d}"
    month = _MONTHS.get(month_s.lower())
    if month is None:
        return None
    if day_s is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, int(day_s)).isoformat()
    except ValueError:
        return None


def date_values(text: str) -> tuple[list[str], bool] | None:
    """Dates in an OFAC date expression, and whether it was approximate (circa / a range).

    ``DOB 1968 to 1970`` and ``DOB circa 1979-1982`` give both ends; ``None`` if any part is
    not a date.
    """
    text = text.strip().rstrip(".")
    approx = False
    lowered = text.lower()
    for prefix in ("circa ", "approximately ", "approx. ", "about "):
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            approx = True
            break
    if m := _YEAR_RANGE.match(text):
        parts = [m.group(1), m.group(2)]
    else:
        parts = [p for p in re.split(r"\s+to\s+", text)]
    if len(parts) > 1:
        approx = True
    values = [iso_date(p) for p in parts]
    if not values or any(v is None for v in values):
        return None
    out: list[str] = []
    for v in values:
        if v is not None and v not in out:
            out.append(v)
    return out, approx


def _number(value: str) -> str:
    """``318,000`` -> ``318000`` (OFAC writes thousands separators in tonnages)."""
    return value.replace(",", "").strip()


#: Title-column values that are honorifics or ranks (a name part), not positions held.
_HONORIFICS = {
    "dr",
    "doctor",
    "haji",
    "hajji",
    "sheikh",
    "shaykh",
    "shaikh",
    "maulana",
    "maulawi",
    "mawlawi",
    "mulawi",
    "mullah",
    "mullah sahib",
    "ustad",
    "ustadz",
    "qari",
    "hafiz",
    "engineer",
    "imam",
    "hojjatoleslam",
    "ayatollah",
    "mufti",
    "general",
    "major general",
    "brigadier general",
    "lieutenant general",
    "colonel",
    "lt. col",
    "lieutenant colonel",
    "major",
    "captain",
    "admiral",
    "rear admiral",
    "vice admiral",
}


def _is_honorific(value: str) -> bool:
    return value.lower().strip(" .") in _HONORIFICS


# ---------------------------------------------------------------------------------------------
# schema-aware property setting
# ---------------------------------------------------------------------------------------------

SCHEMA_BY_TYPE = {
    None: "Organization",
    "entity": "Organization",
    "individual": "Person",
    "vessel": "Vessel",
    "aircraft": "Airplane",
}


@lru_cache(maxsize=None)
def _schema_props(schema: str) -> frozenset[str]:
    found = ftm_model.get(schema)
    if found is None:  # pragma: no cover - the schemata used here all exist
        return frozenset()
    return frozenset(found.properties)


#: Where a value goes when its property is not part of the entity's schema.
_FALLBACK = {
    "nationality": "country",
    "citizenship": "country",
    "flag": "country",
    "pastFlags": "country",
}

#: Identifier types to try, in order, when a schema lacks the stated one.
_ID_FALLBACK = ("idNumber", "registrationNumber")


class Builder:
    """Fills one :class:`Entity`, keeping every property valid for its schema."""

    def __init__(
        self, entity: Entity, result: ParseResult, warned: set[str] | None = None
    ) -> None:
        self.entity = entity
        self.result = result
        self.props = _schema_props(entity.schema)
        #: Warnings already given in this parse (one per unknown country name is enough).
        self.warned = warned if warned is not None else set()

    def warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.result.warn(message)

    def put(self, prop: str, value: str | None, label: str | None = None) -> None:
        if not value:
            return
        if prop in self.props:
            self.entity.add(prop, value)
            return
        fallback = _FALLBACK.get(prop)
        if fallback and fallback in self.props:
            self.entity.add(fallback, value)
            return
        self.result.count("values_outside_schema")
        self.entity.add("notes", f"{label or prop}: {value}")

    def identifier(
        self, type_: str, number: str, country: str | None = None, note: str | None = None
    ) -> None:
        if type_ not in self.props:
            self.result.count("values_outside_schema")
            for other in _ID_FALLBACK:
                if other in self.props:
                    type_ = other
                    break
            else:  # pragma: no cover - every party schema has one of the fallbacks
                self.entity.add("notes", f"{note or type_}: {number}")
                return
        self.entity.add_identifier(type_, number, country, note)

    def note(self, text: str) -> None:
        self.entity.add("notes", text)

    def record_list(self, key: str, value: Any) -> None:
        bucket = self.entity.record.setdefault(key, [])
        if value not in bucket:
            bucket.append(value)


# ---------------------------------------------------------------------------------------------
# remarks
# ---------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What remark parsing needs beyond the entry: the list's name index for "Linked To:"."""

    result: ParseResult
    dataset: str
    names: dict[str, list[str]]
    warned: set[str] = field(default_factory=set)

    def resolve(self, name: str) -> tuple[str | None, str]:
        """``(entity id, name as listed)`` for a unique primary name, else ``(None, name)``.

        The final ``.`` of a remark is punctuation, so ``CO., LTD.`` may arrive as ``CO., LTD``:
        both spellings are tried.
        """
        for candidate in (name, name + "."):
            ids = self.names.get(candidate)
            if ids and len(ids) == 1:
                return f"{self.dataset}:{ids[0]}", candidate
            if ids:
                self.result.count("links_ambiguous")
                return None, candidate
        return None, name


#: "alt. DOB ...", "Alt. POB: ..." state one more value of the same kind.
_ALT_PREFIXES = ("alt. ", "Alt. ", "ALT. ", "alt ", "Alt ")

#: Sanctions information OFAC writes into Remarks: kept in ``notes`` as a recognised fragment.
_SANCTION_INFO = (
    r"Additional Sanctions Information|Secondary sanctions risk|Transactions Prohibited|"
    r"Executive Order \d+|CAATSA Section|IFCA Determination|PEESA Information|"
    r"Listing Date|Effective Date|Purchase/Sales For Divestment|For more information|"
    r"Equity Ticker|ISIN|Identification Number ISIN|Issuer Name|"
    r"Aircraft Mode S Transponder Code|TELEX|Chinese Commercial Code|"
    r"(?:and )?all (?:other )?(?:offices|branches|locations)"
)

#: One match tells the kind of a fragment by its leading keyword; the kind's own pattern
#: (:data:`_PATTERNS`) then takes the values out. Most frequent kinds first.
_KIND = re.compile(
    r"(?:"
    r"(?P<dob>DOB\b)"
    r"|(?P<linked>Linked To:)"
    r"|(?P<pob>POB\b)"
    r"|(?P<quoted>[afn]\.k\.a\.)"
    r"|(?P<regnat>Nationality of Registration\b)"
    r"|(?P<nat>nationality\b|citizen)"
    r"|(?P<gender>Gender\b)"
    rf"|(?P<info>(?:{_SANCTION_INFO})\b)"
    r"|(?P<wallet>Digital Currency Address\b)"
    r"|(?P<orgdate>Organization Established Date\b)"
    r"|(?P<orgtype>Organization Type\b)"
    r"|(?P<target>Target Type\b)"
    r"|(?P<email>E-?mail\b)"
    r"|(?P<website>Website\b)"
    r"|(?P<url>https?://|www\.)"
    r"|(?P<phone>Phone\b|Telephone\b|Tel\.|Fax\b)"
    r"|(?P<build>Vessel Year of Build\b|Aircraft Manufacture Date\b)"
    r"|(?P<model>Aircraft Model\b)"
    r"|(?P<operator>Aircraft Operator\b)"
    r"|(?P<vflag>(?:Other|Former) Vessel Flag\b)"
    r"|(?P<vcall>Other Vessel Call Sign\b)"
    r"|(?P<vtype>Other Vessel Type\b)"
    r"|(?P<title>Title\b|Position\b)"
    r")",
    re.IGNORECASE,
)
_PATTERNS: dict[str, re.Pattern[str]] = {
    "dob": re.compile(r"^DOB:?\s+(.+)$", re.I),
    "linked": re.compile(r"^Linked To:\s*(.+)$", re.I),
    "pob": re.compile(r"^POB:?\s+(.+)$", re.I),
    "quoted": re.compile(r"^([afn])\.k\.a\.,?\s*'(.+)'$", re.I),
    "regnat": re.compile(r"^Nationality of Registration:?\s+(.+)$", re.I),
    "nat": re.compile(r"^(nationality|citizen(?:ship)?)\s*:?\s+(?:possibly\s+)?(.+)$", re.I),
    "gender": re.compile(r"^Gender:?\s+(Male|Female)$", re.I),
    "wallet": re.compile(r"^Digital Currency Address\s*-\s*([A-Za-z0-9]+)\s+(\S+)$", re.I),
    "orgdate": re.compile(r"^Organization Established Date:?\s+(.+)$", re.I),
    "orgtype": re.compile(r"^Organization Type\s*:?\s+(.+)$", re.I),
    "target": re.compile(r"^Target Type\s*:?\s+(.+)$", re.I),
    "email": re.compile(r"^E-?mail(?:\s+Address)?\s*:?\s*(\S+@\S+)$", re.I),
    "website": re.compile(r"^Website\s*:?\s+(\S+?)\.?(?:\s+(.+))?$", re.I),
    "url": re.compile(r"^((?:https?://|www\.)\S+?)\.?(?:\s+\(website\))?\.?$", re.I),
    "phone": re.compile(
        r"^(Phone(?:\s+Number|\s+No\.)?|Telephone(?:\s+Number|\s+No\.)?|Tel\.|"
        r"Fax(?:\s+Number|\s+No\.)?)\s*:?\s*(.*\d.*)$",
        re.I,
    ),
    "build": re.compile(r"^(?:Vessel Year of Build|Aircraft Manufacture Date):?\s+(.+)$", re.I),
    "model": re.compile(r"^Aircraft Model:?\s+(.+)$", re.I),
    "operator": re.compile(r"^Aircraft Operator:?\s+(.+)$", re.I),
    "vflag": re.compile(r"^(Other|Former) Vessel Flag:?\s+(.+)$", re.I),
    "vcall": re.compile(r"^Other Vessel Call Sign:?\s+(.+)$", re.I),
    "vtype": re.compile(r"^Other Vessel Type:?\s+(.+)$", re.I),
    "title": re.compile(r"^(?:Title|Position)\s*[:,]?\s+(.+)$", re.I),
}
_BARE_EMAIL = re.compile(r"^(\S+@\S+\.[A-Za-z]{2,})(?:\s+\(email\))?\.?$", re.I)

#: Identifier labels -> FtM property. Matched longest first, case-insensitively; an optional
#: ``#``, ``No.`` or ``:`` may follow the label.
ID_LABELS: dict[str, str] = {
    # passports
    "Passport": "passportNumber",
    "Passport No.": "passportNumber",
    "Passport Number": "passportNumber",
    "Diplomatic Passport": "passportNumber",
    "Passport Booklet": "passportNumber",
    "British National Overseas Passport": "passportNumber",
    "Stateless Person Passport": "passportNumber",
    "Service Passport": "passportNumber",
    # personal identity numbers
    "National ID No.": "idNumber",
    "National ID Number": "idNumber",
    "National Identification Number": "idNumber",
    "Cedula No.": "idNumber",
    "C.U.R.P.": "idNumber",
    "CURP": "idNumber",
    "Identification Number": "idNumber",
    "D.N.I.": "idNumber",
    "DNI": "idNumber",
    "Personal ID Card": "idNumber",
    "Citizen's Card Number": "idNumber",
    "Kenyan ID No.": "idNumber",
    "Turkish Identification Number": "idNumber",
    "Numero de Identidad": "idNumber",
    "C.U.I.": "idNumber",
    "C.U.I.P.": "idNumber",
    "Electoral Registry No.": "idNumber",
    "Credencial electoral": "idNumber",
    "I.F.E.": "idNumber",
    "Birth Certificate Number": "idNumber",
    "Driver's License No.": "idNumber",
    "Residency Number": "idNumber",
    "National Foreign ID Number": "idNumber",
    "Bosnian Personal ID No.": "idNumber",
    "Moroccan Personal ID No.": "idNumber",
    "CNP (Personal Numerical Code)": "idNumber",
    "N.I.E.": "idNumber",
    "Refugee ID Card": "idNumber",
    "Stateless Person ID Card": "idNumber",
    "Tazkira National ID Card": "idNumber",
    "UAE Identification": "idNumber",
    "Public Security and Immigration No.": "idNumber",
    "VisaNumberID": "idNumber",
    "Cartilla de Servicio Militar Nacional": "idNumber",
    "Military Registration Number": "idNumber",
    "Seafarer's Identification Document": "idNumber",
    "Immigration No.": "idNumber",
    "SRE Permit No.": "idNumber",
    "Permit Number": "idNumber",
    "LE Number": "idNumber",
    "Pilot License Number": "idNumber",
    "Romanian Permanent Resident CAN": "idNumber",
    "Travel Document Number": "idNumber",
    "SSN": "idNumber",
    "Social Security Number": "idNumber",
    "Residency Permit": "idNumber",
    "Identity Card": "idNumber",
    "Personal Identification Number": "idNumber",
    # tax numbers
    "Tax ID No.": "taxNumber",
    "Tax Identification Number": "taxNumber",
    "R.F.C.": "taxNumber",
    "RFC": "taxNumber",
    "NIT": "taxNumber",
    "RUC": "taxNumber",
    "RIF": "taxNumber",
    "US FEIN": "taxNumber",
    "Italian Fiscal Code": "taxNumber",
    "Fiscal Code": "taxNumber",
    "C.U.I.T.": "taxNumber",
    "CUIT": "taxNumber",
    "RTN": "taxNumber",
    "Paraguayan tax identification number": "taxNumber",
    "Romanian Tax Registration": "taxNumber",
    "C.I.F.": "taxNumber",
    "N.I.F.": "taxNumber",
    "Numero Unico de Identificacao Tributaria (NUIT)": "taxNumber",
    "V.A.T. Number": "vatCode",
    "VAT Number": "vatCode",
    # company / registry numbers
    "Registration Number": "registrationNumber",
    "Registration ID": "registrationNumber",
    "Registration No.": "registrationNumber",
    "Business Registration Number": "registrationNumber",
    "Business Registration Document": "registrationNumber",
    "Company Number": "registrationNumber",
    "UK Company Number": "registrationNumber",
    "Company ID": "registrationNumber",
    "Commercial Registry Number": "registrationNumber",
    "Unified Social Credit Code (USCC)": "registrationNumber",
    "United Social Credit Code Certificate (USCCC)": "registrationNumber",
    "Government Gazette Number": "registrationNumber",
    "Folio Mercantil No.": "registrationNumber",
    "Matricula Mercantil No": "registrationNumber",
    "C.R. No.": "registrationNumber",
    "Romanian C.R.": "registrationNumber",
    "Economic Register Number (CBLS)": "registrationNumber",
    "Trade License No.": "registrationNumber",
    "Chamber of Commerce Number": "registrationNumber",
    "Istanbul Chamber of Comm. No.": "registrationNumber",
    "Dubai Chamber of Commerce Membership No.": "registrationNumber",
    "Enterprise Number": "registrationNumber",
    "Branch Unit Number": "registrationNumber",
    "Central Registration System Number": "registrationNumber",
    "Certificate of Incorporation Number": "registrationNumber",
    "Public Registration Number": "registrationNumber",
    "Registered Charity No.": "registrationNumber",
    "Registration Certificate Number": "registrationNumber",
    "Russian State Individual Business Registration Number Pattern (OGRNIP)": "registrationNumber",
    "C.I.N.": "registrationNumber",
    "Business Number": "registrationNumber",
    "Organization Code": "registrationNumber",
    "MSB Registration Number": "registrationNumber",
    "Afghan Money Service Provider License Number": "registrationNumber",
    "Tourism License No.": "registrationNumber",
    "License": "registrationNumber",
    "D-U-N-S Number": "registrationNumber",
    "BIK (RU)": "registrationNumber",
    "File Number": "registrationNumber",
    "Vessel Registration Identification": "registrationNumber",
    "Legal Entity Number": "leiCode",
    "SWIFT/BIC": "swiftBic",
    # vessels and aircraft
    "Vessel Registration Identification IMO": "imoNumber",
    "Identification Number IMO": "imoNumber",
    "Company Number IMO": "imoNumber",
    "International Maritime Organization No.": "imoNumber",
    "IMO": "imoNumber",
    "MMSI": "mmsi",
    "Aircraft Construction Number (also called L/N or S/N or F/N)": "serialNumber",
    "Aircraft Manufacturer's Serial Number (MSN)": "serialNumber",
    "Aircraft Serial Identification": "serialNumber",
    "Aircraft Tail Number": "registrationNumber",
    "Previous Aircraft Tail Number": "registrationNumber",
}

_LABEL_BY_LOWER = {label.lower(): prop for label, prop in ID_LABELS.items()}


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0].lower().rstrip(":#,")


def _label_pattern(labels: list[str]) -> re.Pattern[str]:
    return re.compile(
        r"^(?P<label>"
        + "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
        + r")(?:\s*(?:#|No\.|:))*(?:\s+|(?=\())(?P<rest>.+)$",
        re.IGNORECASE,
    )


def _labels_by_first_word() -> dict[str, re.Pattern[str]]:
    """One label pattern per first word: a single pattern over all ~140 labels costs ~5 us a
    fragment, and every fragment no other pattern took is tried against it."""
    grouped: dict[str, list[str]] = {}
    for label in ID_LABELS:
        grouped.setdefault(_first_word(label), []).append(label)
    return {word: _label_pattern(labels) for word, labels in grouped.items()}


_ID_LABELS_BY_WORD = _labels_by_first_word()
#: Where the number ends and its dates or circumstances begin.
_ID_QUALIFIER = re.compile(
    r"\s+(?=(?:issued|expires|expired|expire|expiration|issue date|expire date|valid|"
    r"registered|dated?)\b)",
    re.IGNORECASE,
)
_PARENS = re.compile(r"\s*\(([^()]*)\)")
_SUBLABEL = re.compile(r"^([A-Za-z][A-Za-z.\- ]{0,11}):\s+(.+)$")
#: Labels whose values may have no digit (SWIFT/BIC ``TATBIRTH``, tail number ``EP-MMH``).
_NO_DIGIT_OK = {"swift/bic", "aircraft tail number", "previous aircraft tail number"}


def _split_id(prop: str, label: str, rest: str) -> tuple[str, str | None, list[str]] | None:
    """``(number, country, notes)`` from the text after an identifier label, or ``None``."""
    notes: list[str] = []
    rest = rest.strip()
    qualifier = _ID_QUALIFIER.split(rest, maxsplit=1)
    head = qualifier[0]
    if len(qualifier) > 1:
        notes.append(qualifier[1].strip())
    country: str | None = None
    in_parens: list[str] = []

    def take(match: re.Match[str]) -> str:
        in_parens.append(match.group(1).strip())
        return " "

    head = _PARENS.sub(take, head)
    for value in in_parens:
        code = country_code(value) if value else None
        if code is not None and country is None:
            country = code
        elif value:
            notes.append(f"({value})")
    number = " ".join(head.split())
    if ", " in number:
        number, extra = number.split(", ", 1)
        # "Passport 0310857, Eritrea, Issue Date ..." names the country after a comma.
        first = extra.split(", ", 1)[0]
        code = country_code(first)
        if code is not None and country is None:
            country = code
        notes.append(extra)
    if sub := _SUBLABEL.match(number):
        notes.insert(0, sub.group(1))
        number = sub.group(2)
    number = number.strip(" .,;:")
    if not number and prop == "imoNumber":
        digits = [v for v in in_parens if v.isdigit()]
        if digits:
            number = digits[0]
            notes = [n for n in notes if n != f"({number})"]
    if not number or (
        label.lower() not in _NO_DIGIT_OK and not any(c.isdigit() for c in number)
    ):
        return None
    return number, country, notes


def _split_fragments(remarks: str) -> Iterator[str]:
    """Remarks fragments: ``;``-separated, without the final full stop of the remark."""
    text = remarks.strip()
    if text.endswith("."):
        text = text[:-1]
    for fragment in text.split(";"):
        fragment = fragment.strip()
        if "  " in fragment:
            fragment = " ".join(fragment.split())
        if fragment:
            yield fragment


def parse_remarks(builder: Builder, remarks: str, ctx: Context) -> None:
    """Map every fragment of a Remarks text onto the entity (see the module docstring)."""
    title = (builder.entity.record.get("primary") or {}).get("Title")
    title = " ".join(title.split()).lower() if title else None
    for fragment in _split_fragments(remarks):
        if _parse_fragment(builder, fragment, ctx):
            continue
        lowered = fragment.lower()
        if title and lowered == title:
            continue  # the Title column again, already in title/position
        if _is_honorific(lowered):
            builder.put("title", fragment, "Title")
            continue
        ctx.result.count("remark_fragments_unparsed")
        builder.note(fragment)


def _parse_fragment(b: Builder, fragment: str, ctx: Context) -> bool:
    """Apply one fragment; ``False`` when it is not understood (the caller keeps it in notes)."""
    text = fragment
    if text.startswith(_ALT_PREFIXES):
        text = text.split(" ", 1)[1]
    kind_match = _KIND.match(text)
    if kind_match is not None:
        kind = kind_match.lastgroup
        assert kind is not None
        if kind == "info":
            b.note(fragment)
            return True
        match = _PATTERNS[kind].match(text)
        if match is not None:
            return _HANDLERS[kind](b, match, fragment, ctx)
    pattern = _ID_LABELS_BY_WORD.get(_first_word(text))
    if pattern is not None and (match := pattern.match(text)):
        return _identifier(b, match)
    if match := _BARE_EMAIL.match(text):
        b.put("email", match.group(1).strip(".,"), "Email")
        return True
    return False


_Handler = Callable[[Builder, "re.Match[str]", str, Context], bool]


def _h_dates(prop: str, label: str, raw_key: str | None = None) -> _Handler:
    def handle(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
        parsed = date_values(m.group(1))
        if parsed is None:
            return False
        values, approx = parsed
        for value in values:
            b.put(prop, value, label)
        if approx and raw_key:
            b.record_list(raw_key, m.group(1))
        return True

    return handle


def _h_linked(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    target, name = ctx.resolve(m.group(1).strip())
    ctx.result.count("links_resolved" if target else "links_unresolved")
    b.entity.add_link("linked_to", target=target, target_name=name)
    return True


def _h_quoted(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    # OFAC's "low quality" a.k.a.s are the quoted ones in Remarks (alt.csv has the strong ones).
    kind, name = m.group(1).lower(), m.group(2).strip()
    b.put("previousName" if kind == "f" else "weakAlias", name)
    return True


def _h_country(prop: str, group: int = 1) -> _Handler:
    def handle(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
        return _country(b, prop, m.group(group), fragment)

    return handle


def _h_nationality(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    prop = "nationality" if m.group(1).lower() == "nationality" else "citizenship"
    return _country(b, prop, m.group(2), fragment)


def _h_registration_country(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    prop = "flag" if b.entity.schema == "Vessel" else "country"
    return _country(b, prop, m.group(1), fragment)


def _h_vessel_flag(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    prop = "pastFlags" if m.group(1).lower() == "former" else "flag"
    return _country(b, prop, m.group(2), fragment)


def _h_put(prop: str, label: str, group: int = 1, lower: bool = False) -> _Handler:
    def handle(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
        value = m.group(group).strip(" .")
        b.put(prop, value.lower() if lower else value, label)
        return True

    return handle


def _h_wallet(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    b.entity.add_wallet(m.group(1), m.group(2))
    return True


def _h_org_type(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    b.put("sector", m.group(1), "Organization Type")
    b.record_list("organization_type", m.group(1))
    return True


def _h_target_type(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    b.record_list("target_type", m.group(1))
    b.note(fragment)
    return True


def _h_email(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    b.put("email", m.group(1).strip(".,"), "Email")
    return True


def _h_website(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    b.put("website", m.group(1), "Website")
    if m.lastindex and m.lastindex > 1 and m.group(2):
        b.note(m.group(2))
    return True


def _h_phone(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    b.put("phone", m.group(2).strip(" ."), m.group(1))
    return True


def _h_operator(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    target, name = ctx.resolve(m.group(1).strip())
    b.entity.add_link("operator", target=target, target_name=name)
    b.note(f"Aircraft Operator {name}")
    return True


def _h_title(b: Builder, m: re.Match[str], fragment: str, ctx: Context) -> bool:
    _title(b, m.group(1))
    return True


_HANDLERS: dict[str, _Handler] = {
    "dob": _h_dates("birthDate", "DOB", "dob_raw"),
    "linked": _h_linked,
    "pob": _h_put("birthPlace", "POB"),
    "quoted": _h_quoted,
    "regnat": _h_registration_country,
    "nat": _h_nationality,
    "gender": _h_put("gender", "Gender", lower=True),
    "wallet": _h_wallet,
    "orgdate": _h_dates("incorporationDate", "Organization Established Date"),
    "orgtype": _h_org_type,
    "target": _h_target_type,
    "email": _h_email,
    "website": _h_website,
    "url": _h_put("website", "Website"),
    "phone": _h_phone,
    "build": _h_dates("buildDate", "Build date"),
    "model": _h_put("model", "Aircraft Model"),
    "operator": _h_operator,
    "vflag": _h_vessel_flag,
    "vcall": _h_put("callSign", "Call sign"),
    "vtype": _h_put("type", "Vessel type"),
    "title": _h_title,
}


def _identifier(b: Builder, m: re.Match[str]) -> bool:
    label = m.group("label")
    prop = _LABEL_BY_LOWER[label.lower()]
    parsed = _split_id(prop, label, m.group("rest"))
    if parsed is None:
        return False
    number, country, notes = parsed
    if prop == "swiftBic":
        number = number.upper()
    b.identifier(prop, number, country, " ".join([label, *notes]))
    return True


def _country(b: Builder, prop: str, name: str, fragment: str) -> bool:
    name = " ".join(name.split()).strip(" .")
    code = country_code(name)
    if code is None and name.lower() in COUNTRY_PLACEHOLDERS:
        b.result.count("country_placeholders")
        b.record_list("unknown_countries", name)
        return True
    if code is None:
        b.result.count("unknown_country_names")
        b.warn_once(
            f"country:{name}",
            f"unknown country name {name!r} (first in {b.entity.id}: {fragment!r}); kept in "
            "the record",
        )
        b.record_list("unknown_countries", name)
        return False
    b.put(prop, code, prop)
    return True


def _title(b: Builder, value: str) -> None:
    """Honorifics and ranks to ``title`` (a name part), positions to ``position``."""
    value = value.strip()
    if _is_honorific(value):
        b.put("title", value, "Title")
    else:
        b.put("position", value, "Title")


# ---------------------------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------------------------


def _ent_num(value: str | None) -> str:
    """The ent_num as a join key (:func:`read_rows` checked it is digits)."""
    return (value or "").strip().lstrip("0") or "0"


def _group(
    rows: list[tuple[int, list[str | None]]],
) -> dict[str, list[tuple[int, list[str | None]]]]:
    grouped: dict[str, list[tuple[int, list[str | None]]]] = {}
    for line, row in rows:
        grouped.setdefault(_ent_num(row[0]), []).append((line, row))
    return grouped


def _orphans(
    result: ParseResult,
    kind: str,
    file: Path,
    grouped: dict[str, list[tuple[int, list[str | None]]]],
    primary: dict[str, Any],
) -> None:
    """Count (and warn about) rows of a sibling file whose entry is not in the primary file."""
    missing = [ent for ent in grouped if ent not in primary]
    if not missing:
        return
    rows = sum(len(grouped[ent]) for ent in missing)
    result.count(f"orphan_{kind}_rows", rows)
    result.count(f"orphan_{kind}_entities", len(missing))
    sample = ", ".join(missing[:_SAMPLE])
    result.warn(
        f"{file.name}: {rows} {kind} rows for {len(missing)} ent_nums that are not in the primary "
        f"file (e.g. {sample}); skipped. The files probably come from different downloads"
    )


def parse(path: Path) -> ParseResult:
    """Read an OFAC legacy CSV set (a folder, ``sdn.csv`` or ``cons_prim.csv``) completely.

    The cyclic garbage collector is paused meanwhile: parsing allocates about a million small
    lists and dicts, none of them garbage, and CPython would otherwise rescan the growing heap
    again and again (a fifth of the parse time on the SDN list). Nothing here forms cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(Path(path))
    finally:
        if enabled:
            gc.enable()


def _parse(path: Path) -> ParseResult:
    layout, primary_file, folder = _resolve(path)
    result = ParseResult(dataset=layout.dataset, entities=[], files=[primary_file])
    primary_rows = read_rows(primary_file, PRIMARY_COLUMNS, result)
    if not primary_rows:
        raise SourceError(primary_file, "file has no entries; download it again")

    siblings: dict[str, list[tuple[int, list[str | None]]]] = {}
    sibling_files: dict[str, Path] = {}
    for key, name, columns in (
        ("alias", layout.alt, ALT_COLUMNS),
        ("address", layout.add, ADD_COLUMNS),
        ("comment", layout.comments, COMMENT_COLUMNS),
    ):
        file = _find(folder, name)
        if file is None:
            result.count("missing_files")
            result.warn(
                f"{name} not found beside {primary_file.name}; loading without it "
                f"(no {key} data). Put the complete OFAC download in one folder"
            )
            siblings[key] = []
            continue
        sibling_files[key] = file
        result.files.append(file)
        siblings[key] = read_rows(file, columns, result)

    primary: dict[str, tuple[int, list[str | None]]] = {}
    #: Rows repeating an ent_num: merged into the first (one policy for every parser, see
    #: sources.base), so every name in them is still screened.
    repeats: dict[str, list[tuple[int, list[str | None]]]] = {}
    names: dict[str, list[str]] = {}
    for line, row in primary_rows:
        ent = _ent_num(row[0])
        if ent in primary:
            repeats.setdefault(ent, []).append((line, row))
            continue
        primary[ent] = (line, row)
        if row[1]:
            names.setdefault(" ".join(row[1].split()), []).append(ent)

    aliases = _group(siblings["alias"])
    addresses = _group(siblings["address"])
    comments = _group(siblings["comment"])
    for kind, grouped in (("alias", aliases), ("address", addresses), ("comment", comments)):
        if kind in sibling_files:
            _orphans(result, kind, sibling_files[kind], grouped, primary)

    ctx = Context(result=result, dataset=layout.dataset, names=names)
    without_address: list[str] = []
    for ent, (first_line, row) in primary.items():
        entity = _entity(layout, ent, row, ctx)
        builder = Builder(entity, result, ctx.warned)
        _add_aliases(builder, aliases.get(ent, []))
        if "address" in sibling_files:
            if ent not in addresses:
                without_address.append(ent)
            _add_addresses(builder, addresses.get(ent, []))
        remarks = _remarks(builder, row[11], comments.get(ent, []))
        if remarks:
            entity.record["remarks"] = remarks
            parse_remarks(builder, remarks, ctx)
        for line, again_row in repeats.get(ent, []):
            again = _entity(layout, ent, again_row, ctx)
            if again_row[11]:
                again.record["remarks"] = again_row[11]
                parse_remarks(Builder(again, result, ctx.warned), again_row[11], ctx)
            where = f"{primary_file.name} line {line}, first on line {first_line}"
            result.merge_into(entity, again, where, "ent_num")
        result.entities.append(entity)
    if without_address:
        result.count("entities_without_address_row", len(without_address))
        result.warn(
            f"{len(without_address)} entries have no row in {layout.add} (e.g. "
            f"{', '.join(without_address[:_SAMPLE])}); the files probably come from different "
            "downloads"
        )
    return result


def _entity(layout: Layout, ent: str, row: list[str | None], ctx: Context) -> Entity:
    """The entity with what the primary row says (remarks are parsed later)."""
    sdn_type = row[2].strip().lower() if row[2] else None
    schema = SCHEMA_BY_TYPE.get(sdn_type)
    if schema is None:
        schema = "LegalEntity"
        ctx.result.count("unknown_entry_types")
        ctx.result.warn(f"ent_num {ent}: unknown SDN_Type {row[2]!r}; loaded as LegalEntity")
    entity = Entity(id=f"{layout.dataset}:{ent}", schema=schema, dataset=layout.dataset)
    entity.record["primary"] = {
        col: value for col, value in zip(PRIMARY_COLUMNS, row) if value is not None
    }
    b = Builder(entity, ctx.result, ctx.warned)
    name = " ".join(row[1].split()) if row[1] else None
    if name:
        b.put("name", name)
        if schema == "Person" and "," in name:
            last, first = name.split(",", 1)
            b.put("lastName", last.strip())
            b.put("firstName", first.strip())
    else:
        ctx.result.count("entries_without_name")
    if row[3]:
        for program in row[3].split("] ["):
            b.put("program", program.strip(" []"))
    if row[4]:
        _title(b, row[4])
    if row[5]:
        b.put("callSign", row[5], "Call_Sign")
    if row[6]:
        b.put("type", row[6], "Vess_type")
    if row[7]:
        b.put("tonnage", _number(row[7]), "Tonnage")
    if row[8]:
        b.put("grossRegisteredTonnage", _number(row[8]), "GRT")
    if row[9]:
        _country(b, "flag", row[9], f"Vess_flag {row[9]}")
    if row[10]:
        target, owner = ctx.resolve(" ".join(row[10].split()))
        entity.add_link("owner", target=target, target_name=owner)
        b.note(f"Vessel owner: {owner}")
    return entity


def _add_aliases(b: Builder, rows: list[tuple[int, list[str | None]]]) -> None:
    records = []
    for _line, row in rows:
        _ent, alt_num, alt_type, alt_name, alt_remarks = row
        records.append(
            {
                k: v
                for k, v in (
                    ("alt_num", alt_num),
                    ("alt_type", alt_type),
                    ("alt_name", alt_name),
                    ("alt_remarks", alt_remarks),
                )
                if v is not None
            }
        )
        alt_name = " ".join(alt_name.split()) if alt_name else None
        if not alt_name:
            b.result.count("empty_alias_rows")
            continue
        kind = (alt_type or "").lower().strip(" .")
        if kind in ("fka", "f.k.a"):
            b.put("previousName", alt_name)
        elif kind in ("aka", "a.k.a", "nka", "n.k.a"):
            b.put("alias", alt_name)
        else:
            b.result.count("unknown_alias_types")
            b.warn_once(
                f"alt_type:{alt_type}",
                f"{b.entity.id}: alias type {alt_type!r} unknown; kept as alias",
            )
            b.put("alias", alt_name)
        if alt_remarks:
            b.note(f"{alt_name}: {alt_remarks}")
    if records:
        b.entity.record["aliases"] = records


def _add_addresses(b: Builder, rows: list[tuple[int, list[str | None]]]) -> None:
    records = []
    for _line, row in rows:
        _ent, add_num, address, city, country, add_remarks = row
        fields = (
            ("add_num", add_num),
            ("address", address),
            ("city_state_zip", city),
            ("country", country),
            ("add_remarks", add_remarks),
        )
        records.append({k: v for k, v in fields if v is not None})
        parts: list[str] = []
        for part in (address, city, country):
            part = " ".join(part.split()) if part else None
            if part and part not in parts:
                parts.append(part)
        if parts:
            b.put("address", ", ".join(parts))
        if country:
            _country(b, "country", country, f"address country {country}")
        if add_remarks:
            b.note(add_remarks)
    if records:
        b.entity.record["addresses"] = records


def _remarks(
    b: Builder, remarks: str | None, rows: list[tuple[int, list[str | None]]]
) -> str | None:
    """The full Remarks: the column, continued by its comment rows when it was cut."""
    if not rows:
        if remarks is not None and len(remarks) >= REMARKS_WIDTH:
            b.result.count("truncated_remarks")
            b.result.warn(
                f"{b.entity.id}: Remarks fill all {REMARKS_WIDTH} characters and no comment row "
                "continues them; the last remark is cut"
            )
        return remarks
    texts = [row[1] or "" for _line, row in rows]
    b.entity.record["comments"] = texts
    if remarks is not None and len(remarks) == REMARKS_WIDTH:
        return remarks + "".join(texts)
    b.result.count("comment_rows_not_continuing", len(rows))
    b.result.warn(
        f"{b.entity.id}: a comment row exists but Remarks ({len(remarks or '')} characters) "
        "were not cut; the comments file is from another download. Kept in record only"
    )
    return remarks


__all__ = [
    "DATASET",
    "DATASETS",
    "TITLE",
    "detect",
    "parse",
    "parse_remarks",
    "read_rows",
    "country_code",
    "iso_date",
    "date_values",
]
