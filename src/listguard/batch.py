"""Streaming batch input and output: customer files in, screening results out.

Shared by ``listguard monitor add`` (portfolio files) and ``listguard screen-file`` (the batch
job). Everything here streams: rows are read, screened and written in chunks, so memory stays
flat however large the file is.

Input: CSV (any of ``, ; TAB |`` delimiters, sniffed), JSON lines, or Parquet. Columns are the
canonical ``id, name, schema, birth_date, country, identifier`` (the last three may hold several
values separated by ``;``), or the user's own names through a mapping
(``--map id=customer_no,name=full_name,birth_date=dob``). A row that cannot be screened (no
name, broken encoding, a malformed JSON line, a duplicate id when ids must be unique) comes out
as a :class:`RowError` naming the row and the problem, not an exception: one bad row in a
million must not stop the job. A bad birth date is a *warning*: the customer is still screened
by name (dropping a customer from screening over a typo in a date would be the worse error).

Output (see :class:`ResultWriter`): JSON lines (one object per input row, in input order, the
format of issue 3), CSV or Parquet (one row per hit; a row with no hit is still written, with
empty hit columns, so the output proves every input row was screened).

:func:`screen_file` is the whole job — read, screen in parallel chunks, write, report, and
checkpoint so ``--resume`` continues an interrupted run without redoing or duplicating rows.
"""

from __future__ import annotations

import csv
import gc
import gzip
import hashlib
import heapq
import html
import io
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

import orjson

from listguard.csvsafe import SafeDictWriter
from listguard.listdates import published_label
from listguard.querydates import parse_birth_date

#: Canonical input fields (what ``--map`` maps onto).
FIELDS = ("id", "name", "schema", "birth_date", "country", "identifier")
#: Fields that may hold several values separated by ``;``.
MULTI_FIELDS = ("birth_date", "country", "identifier")

_SCHEMA_ALIASES = {
    "person": "Person",
    "individual": "Person",
    "people": "Person",
    "natural person": "Person",
    "organization": "Organization",
    "organisation": "Organization",
    "entity": "Organization",
    "company": "Company",
    "business": "Company",
    "legalentity": "LegalEntity",
    "legal entity": "LegalEntity",
    "vessel": "Vessel",
    "ship": "Vessel",
    "airplane": "Airplane",
    "aircraft": "Airplane",
}


class BatchError(Exception):
    """A problem with the whole file (unreadable, no name column...): the job cannot start."""


@dataclass
class InputRow:
    """One screenable input row, with its fields cleaned."""

    line: int
    id: str
    name: str
    schema: str | None = None
    birth_dates: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def screening_dict(self) -> dict[str, Any]:
        """The fields screening reads (and whose change makes a portfolio record "changed")."""
        return {
            "name": self.name,
            "schema": self.schema,
            "birth_dates": self.birth_dates,
            "countries": self.countries,
            "identifiers": self.identifiers,
        }

    def screening_hash(self) -> str:
        return hashlib.sha256(orjson.dumps(self.screening_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()

    def query(self) -> Any:
        """The matcher's query for this row (imported lazily: reading needs no matcher)."""
        return make_query(self.screening_dict())


@dataclass
class RowError:
    """A row that was not screened, and why (reported, never fatal)."""

    line: int
    id: str | None
    message: str

    def __str__(self) -> str:
        who = f" (id {self.id})" if self.id else ""
        return f"line {self.line}{who}: {self.message}"


def make_query(data: dict[str, Any]) -> Any:
    """A :class:`listguard.matching.Query` from a record's screening fields."""
    from listguard.matching import Query

    return Query(
        names=[data["name"]],
        schema=data.get("schema"),
        birth_dates=list(data.get("birth_dates") or []),
        countries=list(data.get("countries") or []),
        identifiers=list(data.get("identifiers") or []),
    )


# ------------------------------------------------------------------------------ parsing cells
def parse_map(spec: str | Sequence[str] | None) -> dict[str, str]:
    """``"id=customer_no,name=full_name"`` (or several ``--map`` options) -> {field: column}."""
    if not spec:
        return {}
    parts: list[str] = []
    for item in [spec] if isinstance(spec, str) else spec:
        parts.extend(p for p in item.split(",") if p.strip())
    mapping: dict[str, str] = {}
    for part in parts:
        if "=" not in part:
            raise BatchError(f"--map {part!r}: expected FIELD=COLUMN, e.g. name=full_name")
        key, column = (x.strip() for x in part.split("=", 1))
        if key not in FIELDS:
            raise BatchError(f"--map {part!r}: unknown field {key!r}; fields are {', '.join(FIELDS)}")
        mapping[key] = column
    return mapping


def clean_date(value: str) -> tuple[str | None, str | None]:
    """ISO date (``1970``, ``1970-02`` or ``1970-02-05``) from a cell, and/or a warning.

    The formats people type are read (14.04.1957, 14/04/1957, 14 Apr 1957, April 14, 1957...;
    see :mod:`listguard.querydates`). An ambiguous day/month (``01/02/1970``) gives the year
    only, with a warning: a wrong birth date would *lower* the score of a true hit.
    """
    return parse_birth_date(value)


def clean_country(value: str) -> tuple[str | None, str | None]:
    """ISO 3166-1 alpha-2 (lower case) from a code or a country name."""
    text = value.strip()
    if not text:
        return None, None
    try:
        from followthemoney.types import registry

        code = registry.country.clean(text)
    except Exception:  # pragma: no cover - FtM is a dependency; be robust anyway
        code = text.lower() if len(text) == 2 and text.isalpha() else None
    if code:
        return code, None
    return None, f"unknown country {value!r} ignored (use an ISO code such as RU or a country name)"


def clean_schema(value: str) -> tuple[str | None, str | None]:
    text = value.strip()
    if not text:
        return None, None
    from listguard.model import PARTY_SCHEMATA

    if text in PARTY_SCHEMATA:
        return text, None
    mapped = _SCHEMA_ALIASES.get(text.lower())
    if mapped:
        return mapped, None
    return None, f"unknown schema {value!r} ignored (use Person, Organization, Company, Vessel or Airplane)"


def _values(cell: Any) -> list[str]:
    if cell is None:
        return []
    if isinstance(cell, (list, tuple)):
        out: list[str] = []
        for item in cell:
            out.extend(_values(item))
        return out
    text = str(cell)
    return [v.strip() for v in text.split(";") if v.strip()]


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (list, tuple)):
        return str(cell[0]) if cell else ""
    return " ".join(str(cell).split())


def _bad_bytes(value: str) -> str | None:
    """Describe undecodable bytes (kept as surrogates by ``surrogateescape``), if any."""
    bad = [f"0x{ord(ch) - 0xDC00:02X}" for ch in value if 0xDC80 <= ord(ch) <= 0xDCFF]
    if not bad:
        return None
    return "byte " + ", ".join(bad[:3])


def build_row(
    line: int,
    cells: dict[str, Any],
    *,
    require_id: bool,
    encoding: str,
) -> InputRow | RowError:
    """Clean one row's canonical cells into an :class:`InputRow` or a :class:`RowError`."""
    raw_id = _text(cells.get("id"))
    row_id = raw_id or (None if require_id else str(line))
    for key, cell in cells.items():
        if isinstance(cell, str):
            bad = _bad_bytes(cell)
            if bad:
                return RowError(
                    line,
                    raw_id if raw_id and not _bad_bytes(raw_id) else None,
                    f"column {key!r} is not valid {encoding} ({bad}); re-run with --encoding "
                    "cp1252 (or the file's real encoding)",
                )
    if row_id is None:
        return RowError(line, None, "id is empty")
    name = _text(cells.get("name"))
    if not name:
        return RowError(line, row_id, "name is empty")
    warnings: list[str] = []
    schema, warn = clean_schema(_text(cells.get("schema")))
    if warn:
        warnings.append(warn)
    birth_dates: list[str] = []
    for value in _values(cells.get("birth_date")):
        iso, warn = clean_date(value)
        if iso and iso not in birth_dates:
            birth_dates.append(iso)
        if warn:
            warnings.append(warn)
    countries: list[str] = []
    for value in _values(cells.get("country")):
        code, warn = clean_country(value)
        if code and code not in countries:
            countries.append(code)
        if warn:
            warnings.append(warn)
    identifiers = list(dict.fromkeys(_values(cells.get("identifier"))))
    return InputRow(line, row_id, name, schema, birth_dates, countries, identifiers, warnings)


# ------------------------------------------------------------------------------------ readers
def detect_format(path: Path, fmt: str | None = None) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from ``fmt`` or the file name."""
    if fmt:
        fmt = fmt.lower()
        if fmt in ("ndjson", "json"):
            fmt = "jsonl"
        if fmt not in ("csv", "tsv", "jsonl", "parquet"):
            raise BatchError(f"unknown format {fmt!r}: use csv, jsonl or parquet")
        return "csv" if fmt == "tsv" else fmt
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv"


def _resolve_columns(columns: Sequence[str], mapping: dict[str, str], path: Path, require_id: bool) -> dict[str, str]:
    """field -> source column, checking that what must be there is there."""
    present = list(columns)
    lower = {c.strip().lower(): c for c in present}
    resolved: dict[str, str] = {}
    for key in FIELDS:
        if key in mapping:
            column = mapping[key]
            if column not in present:
                raise BatchError(
                    f"{path}: --map {key}={column}: no column {column!r}; columns are: {', '.join(present)}"
                )
            resolved[key] = column
        elif key in lower:
            resolved[key] = lower[key]
    needed = ("id", "name") if require_id else ("name",)
    missing = [k for k in needed if k not in resolved]
    if missing:
        raise BatchError(
            f"{path}: no {' or '.join(repr(m) for m in missing)} column; columns are: "
            f"{', '.join(present) or '(none)'}. Map yours with --map, e.g. "
            f"--map {suggest_map(missing, present, set(resolved.values()))}"
        )
    return resolved


#: Words in a column name that suggest which field it holds (first match wins per field).
_COLUMN_HINTS = {
    "name": ("full_name", "fullname", "name"),
    "id": ("id", "_no", "no", "number", "num", "ref", "key", "code"),
    "birth_date": ("birth", "dob"),
    "country": ("country", "nationality", "citizenship"),
    "schema": ("schema", "kind", "type"),
    "identifier": ("passport", "identifier", "imo", "registration"),
}


def suggest_map(missing: Sequence[str], present: Sequence[str], taken: set[str] | None = None) -> str:
    """``id=customer_no,name=full_name``: a ``--map`` for the missing fields, guessing each
    field's column from the column names (``<your column>`` when none fits)."""
    used = set(taken or ())
    parts: list[str] = []
    for key in missing:
        choice = None
        for hint in _COLUMN_HINTS.get(key, (key,)):
            for column in present:
                low = column.strip().lower()
                if column in used:
                    continue
                if low == hint or low.endswith(hint) or low.startswith(hint + "_") or (len(hint) > 3 and hint in low):
                    choice = column
                    break
            if choice:
                break
        if key == "id" and choice is not None and "name" in choice.lower():
            choice = None
        if choice is not None:
            used.add(choice)
        parts.append(f"{key}={choice or '<your column>'}")
    return ",".join(parts)


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_rows(
    path: Path | str,
    *,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str = "utf-8",
    require_id: bool = True,
    unique_ids: bool = False,
    skip: int = 0,
    warn_duplicate_ids: bool = False,
) -> Iterator[InputRow | RowError]:
    """Stream the rows of a CSV / JSON lines / Parquet file as :class:`InputRow` or :class:`RowError`.

    ``skip`` rows (valid or not) are read past without being cleaned: that is how ``--resume``
    continues after the last checkpoint. ``unique_ids`` reports the second and later rows with
    an id already seen (a portfolio must not hold two customers under one id); it keeps the
    ids in memory, which is fine for portfolios (tens of MB per million).

    Raises :class:`BatchError` for whole-file problems (missing file, no name column).
    """
    path = Path(path)
    if not path.exists():
        raise BatchError(f"{path}: file not found")
    if path.is_dir():
        raise BatchError(f"{path}: is a folder; pass a CSV, JSON lines or Parquet file")
    kind = detect_format(path, fmt)
    mapping = mapping or {}
    if kind == "csv":
        source = _csv_cells(path, mapping, encoding, require_id)
    elif kind == "jsonl":
        source = _jsonl_cells(path, mapping, require_id)
    else:
        source = _parquet_cells(path, mapping, require_id)
    seen: dict[str, int] = {}
    seen_hash: dict[int, int] = {}
    index = 0
    for line, cells in source:
        index += 1
        if index <= skip:
            continue
        if isinstance(cells, RowError):
            yield cells
            continue
        row = build_row(line, cells, require_id=require_id, encoding=encoding if kind == "csv" else "utf-8")
        if unique_ids and isinstance(row, InputRow):
            first = seen.get(row.id)
            if first is not None:
                yield RowError(line, row.id, f"duplicate id {row.id!r} (first on row {first}); row ignored")
                continue
            seen[row.id] = line
        elif warn_duplicate_ids and isinstance(row, InputRow) and row.id != str(line):
            # screen-file: a repeated customer id is screened, and said (hashes keep it small)
            key = hash(row.id)
            first = seen_hash.get(key)
            if first is not None:
                row.warnings.append(f"duplicate id {row.id!r}: also on line {first}")
            else:
                seen_hash[key] = line
        yield row


def count_rows(path: Path | str, fmt: str | None = None) -> int | None:
    """Data rows in a file, cheaply (for the progress bar's total and ETA); None if unknown."""
    path = Path(path)
    kind = detect_format(path, fmt)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        with _open_binary(path) as fh:
            n = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return max(n - (1 if kind == "csv" else 0), 0)
    except Exception:
        return None


def _csv_cells(
    path: Path, mapping: dict[str, str], encoding: str, require_id: bool
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    with _open_binary(path) as raw:
        head = raw.read(65536)
    try:
        sample = head.decode(encoding, errors="replace")
    except LookupError:
        raise BatchError(f"unknown encoding {encoding!r}") from None
    if sample.startswith("\ufeff"):
        sample = sample[1:]
    if not sample.strip():
        raise BatchError(f"{path}: file is empty")
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        delimiter = "\t"
    else:
        first = sample.splitlines()[0] if sample.splitlines() else sample
        counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    with _open_binary(path) as raw:
        # A UTF-8 byte-order mark (Excel writes one) must not become part of the first
        # column's name: utf-8-sig strips it when present and is plain UTF-8 otherwise.
        codec = "utf-8-sig" if encoding.lower().replace("-", "").replace("_", "") == "utf8" else encoding
        text = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise BatchError(f"{path}: file is empty") from None
        except csv.Error as exc:
            raise BatchError(f"{path}: not a readable CSV header ({exc})") from exc
        header = [h.strip() for h in header]
        columns = _resolve_columns(header, mapping, path, require_id)
        positions = {key: header.index(col) for key, col in columns.items()}
        width = len(header)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, RowError(reader.line_num, None, f"unreadable CSV ({exc})")
                continue
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width:
                yield line, RowError(
                    line,
                    row[positions["id"]].strip() if "id" in positions and positions["id"] < len(row) else None,
                    f"has {len(row)} fields, the header has {width} (an unquoted delimiter in a value?)",
                )
                continue
            yield line, {key: row[pos] for key, pos in positions.items()}


def _jsonl_cells(
    path: Path, mapping: dict[str, str], require_id: bool
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    columns: dict[str, str] | None = None
    with _open_binary(path) as fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                try:
                    raw.decode("utf-8")
                    problem = f"not valid JSON ({exc})"
                except UnicodeDecodeError as uexc:
                    problem = f"not valid UTF-8 (byte 0x{raw[uexc.start]:02X} at offset {uexc.start})"
                yield line_no, RowError(line_no, None, problem)
                continue
            if not isinstance(obj, dict):
                yield line_no, RowError(line_no, None, "not a JSON object")
                continue
            if columns is None:
                # JSON lines have no header: map fields onto keys, and check the first object
                # has the keys that must be there (later objects may omit optional ones).
                columns = {key: mapping.get(key, key) for key in FIELDS}
                lower = {k.lower(): k for k in obj}
                for key, col in list(columns.items()):
                    if col not in obj and key not in mapping and col in lower:
                        columns[key] = lower[col]
                needed = ("id", "name") if require_id else ("name",)
                missing = [columns[k] for k in needed if columns[k] not in obj]
                if missing:
                    raise BatchError(
                        f"{path}: line {line_no} has no {' or '.join(repr(m) for m in missing)} key; "
                        f"keys are: {', '.join(obj) or '(none)'}. Map yours with --map, e.g. "
                        f"--map {suggest_map([k for k in needed if columns[k] not in obj], list(obj))}"
                    )
            yield line_no, {key: obj.get(col) for key, col in columns.items()}


def _parquet_cells(
    path: Path, mapping: dict[str, str], require_id: bool
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    pq = _pyarrow_parquet()
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise BatchError(f"{path}: not a readable Parquet file ({exc})") from exc
    columns = _resolve_columns(pf.schema_arrow.names, mapping, path, require_id)
    wanted = list(dict.fromkeys(columns.values()))
    line = 0
    for batch in pf.iter_batches(batch_size=8192, columns=wanted):
        data = batch.to_pydict()
        for i in range(batch.num_rows):
            line += 1
            yield line, {key: data[col][i] for key, col in columns.items()}


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BatchError("Parquet needs pyarrow: pip install pyarrow") from exc
    return pq


# ------------------------------------------------------------------------------------ writers
#: Flat columns of CSV and Parquet output (one row per hit).
HIT_COLUMNS = (
    "id",
    "line",
    "rank",
    "entity_id",
    "score",
    "match",
    "caption",
    "matched_name",
    "schema",
    "datasets",
    "explanation",
    "error",
)


def _summary_text(explanation: Any) -> str:
    if explanation is None:
        return ""
    if isinstance(explanation, dict):
        return str(explanation.get("summary") or orjson.dumps(explanation).decode())
    return str(explanation)


def flat_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One output row per hit (one row with empty hit columns if the input row had none)."""
    base = {"id": result.get("id"), "line": result.get("line"), "error": result.get("error")}
    hits = result.get("hits") or []
    if not hits:
        return [{**{k: None for k in HIT_COLUMNS}, **base}]
    out = []
    for rank, hit in enumerate(hits, start=1):
        out.append(
            {
                **base,
                "rank": rank,
                "entity_id": hit.get("entity_id"),
                "score": hit.get("score"),
                "match": hit.get("match"),
                "caption": hit.get("caption"),
                "matched_name": hit.get("matched_name"),
                "schema": hit.get("schema"),
                "datasets": ";".join(hit.get("datasets") or []),
                "explanation": _summary_text(hit.get("explanation")),
            }
        )
    return out


class ResultWriter:
    """Writes results in input order, resumably.

    JSON lines and CSV append to the output file; :meth:`position` is the byte offset after the
    last complete chunk, which the checkpoint records, and :meth:`open` truncates back to it on
    resume (a kill between writing and checkpointing leaves bytes that are cut off, so no row
    is ever duplicated). Parquet cannot be appended to, so it is written as numbered part files
    beside the output and assembled into the one output file when the job finishes.
    """

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self._fh: IO[bytes] | None = None
        self._csv: Any = None
        self._text: io.TextIOWrapper | None = None
        self._parquet_rows: list[dict[str, Any]] = []
        self.parts = 0

    @staticmethod
    def detect(path: Path, fmt: str | None = None) -> str:
        if fmt:
            fmt = fmt.lower()
            if fmt in ("json", "ndjson"):
                fmt = "jsonl"
            if fmt not in ("jsonl", "csv", "parquet"):
                raise BatchError(f"unknown output format {fmt!r}: use jsonl, csv or parquet")
            return fmt
        name = path.name.lower()
        if name.endswith((".csv", ".tsv")):
            return "csv"
        if name.endswith((".parquet", ".pq")):
            return "parquet"
        return "jsonl"

    @property
    def parts_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".parts")

    def open(self, position: int = 0, parts: int = 0) -> None:
        if self.fmt == "parquet":
            _pyarrow_parquet()
            self.parts_dir.mkdir(parents=True, exist_ok=True)
            for extra in self.parts_dir.glob("part-*.parquet"):
                if int(extra.stem.split("-")[1]) >= parts:
                    extra.unlink()
            self.parts = parts
            return
        if position and self.path.exists():
            self._fh = open(self.path, "r+b")
            self._fh.truncate(position)
            self._fh.seek(position)
        else:
            self._fh = open(self.path, "wb")
        if self.fmt == "csv":
            self._text = io.TextIOWrapper(self._fh, encoding="utf-8", newline="", write_through=True)
            # cells that start like a formula get a leading ' (see listguard.csvsafe)
            self._csv = SafeDictWriter(self._text, fieldnames=list(HIT_COLUMNS), extrasaction="ignore")
            if not position:
                self._csv.writeheader()

    def write(self, results: Iterable[dict[str, Any]]) -> None:
        if self.fmt == "jsonl":
            assert self._fh is not None
            self._fh.write(b"".join(orjson.dumps(r, default=str) + b"\n" for r in results))
        elif self.fmt == "csv":
            for result in results:
                self._csv.writerows(flat_rows(result))
        else:
            for result in results:
                self._parquet_rows.extend(flat_rows(result))

    def commit(self) -> int:
        """Make everything written so far durable; return the resume position."""
        if self.fmt == "parquet":
            if self._parquet_rows:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pylist(self._parquet_rows, schema=_parquet_schema())
                part = self.parts_dir / f"part-{self.parts:06d}.parquet"
                tmp = part.with_suffix(".tmp")
                pq.write_table(table, tmp)
                os.replace(tmp, part)
                self.parts += 1
                self._parquet_rows = []
            return 0
        assert self._fh is not None
        if self._text is not None:
            self._text.flush()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return self._fh.tell()

    def finish(self) -> None:
        """Close the output (and assemble Parquet parts into the output file)."""
        if self.fmt == "parquet":
            self.commit()
            import pyarrow.parquet as pq

            tmp = self.path.with_name(self.path.name + ".tmp")
            writer = pq.ParquetWriter(tmp, _parquet_schema())
            try:
                for part in sorted(self.parts_dir.glob("part-*.parquet")):
                    pf = pq.ParquetFile(part)
                    for i in range(pf.num_row_groups):
                        writer.write_table(pf.read_row_group(i))
            finally:
                writer.close()
            os.replace(tmp, self.path)
            for part in self.parts_dir.glob("*"):
                part.unlink()
            self.parts_dir.rmdir()
            return
        self.commit()
        if self._text is not None:
            self._text.detach()
        if self._fh is not None:
            self._fh.close()
        self._fh = None

    def close(self) -> None:
        """Close without finishing (an interrupted run: keep what is there for --resume)."""
        if self._text is not None:
            try:
                self._text.detach()
            except ValueError:
                pass
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("line", pa.int64()),
            ("rank", pa.int32()),
            ("entity_id", pa.string()),
            ("score", pa.float64()),
            ("match", pa.bool_()),
            ("caption", pa.string()),
            ("matched_name", pa.string()),
            ("schema", pa.string()),
            ("datasets", pa.string()),
            ("explanation", pa.string()),
            ("error", pa.string()),
        ]
    )


# ------------------------------------------------------------------------------------- report
@dataclass
class BatchSummary:
    """Aggregates for the run summary and the HTML report: bounded whatever the input size."""

    input: str = ""
    output: str = ""
    rows: int = 0
    screened: int = 0
    rejected: int = 0
    rows_with_match: int = 0
    matches: int = 0
    hits: int = 0
    warnings: int = 0
    by_dataset: Counter[str] = field(default_factory=Counter)
    by_program: Counter[str] = field(default_factory=Counter)
    by_schema: Counter[str] = field(default_factory=Counter)
    top: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    threshold: float | None = None
    resumed_from: int = 0
    lists: list[dict[str, Any]] = field(default_factory=list)

    TOP_N = 50
    MAX_ERRORS = 200

    def add(self, result: dict[str, Any], programs: Callable[[str], list[str]] | None, name: str | None = None) -> None:
        self.rows += 1
        if result.get("error"):
            self.rejected += 1
            if len(self.errors) < self.MAX_ERRORS:
                self.errors.append(f"line {result.get('line')} (id {result.get('id')}): {result['error']}")
            return
        self.screened += 1
        self.warnings += len(result.get("warnings") or [])
        hits = result.get("hits") or []
        self.hits += len(hits)
        matched = [h for h in hits if h.get("match")]
        if matched:
            self.rows_with_match += 1
        for hit in matched:
            self.matches += 1
            for ds in hit.get("datasets") or []:
                self.by_dataset[ds] += 1
            if hit.get("schema"):
                self.by_schema[str(hit["schema"])] += 1
            if programs is not None:
                for program in programs(str(hit.get("entity_id"))):
                    self.by_program[program] += 1
            # (score, a unique sequence number, hit): ties on score never compare the dicts
            entry = (float(hit.get("score") or 0.0), self.matches, {"id": result.get("id"), "name": name, "line": result.get("line"), **hit})
            if len(self.top) < self.TOP_N:
                heapq.heappush(self.top, entry)
            elif entry[0] > self.top[0][0]:
                heapq.heapreplace(self.top, entry)

    def to_state(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in ("input", "output", "rows", "screened", "rejected", "rows_with_match", "matches", "hits", "warnings", "errors", "seconds", "threshold", "resumed_from", "lists")}
        data["by_dataset"] = dict(self.by_dataset)
        data["by_program"] = dict(self.by_program)
        data["by_schema"] = dict(self.by_schema)
        data["top"] = [list(e) for e in self.top]
        return data

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "BatchSummary":
        s = cls()
        for key, value in data.items():
            if key in ("by_dataset", "by_program", "by_schema"):
                setattr(s, key, Counter(value))
            elif key == "top":
                s.top = [(float(a), int(b), c) for a, b, c in value]
                heapq.heapify(s.top)
            else:
                setattr(s, key, value)
        return s

    def to_dict(self) -> dict[str, Any]:
        data = self.to_state()
        data["top"] = [e[2] for e in sorted(self.top, key=lambda e: (-e[0], e[1]))]
        data["rows_per_second"] = round(self.rows / self.seconds, 1) if self.seconds else None
        return data


def write_report(summary: BatchSummary, path: Path | str) -> None:
    """The HTML summary a compliance officer reads: counts, matches per list and program, and
    the top hits with their explanations. Self-contained (inline CSS, no scripts)."""
    e = html.escape

    def table(title: str, counter: Counter[str], label: str) -> str:
        if not counter:
            return f"<h2>{e(title)}</h2><p>None.</p>"
        rows = "".join(f"<tr><td>{e(k)}</td><td class=n>{v:,}</td></tr>" for k, v in counter.most_common(50))
        return f"<h2>{e(title)}</h2><table><tr><th>{e(label)}</th><th>matches</th></tr>{rows}</table>"

    # The top hits grouped by customer (customer name and id first), customers in the order of
    # their best hit: an analyst works through customers, not through scattered hits.
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for _score, _seq, hit in sorted(summary.top, key=lambda x: (-x[0], x[1])):
        groups.setdefault((str(hit.get("id")), hit.get("line")), []).append(hit)
    top_rows = []
    for (row_id, line), hits in groups.items():
        first = hits[0]
        customer = (
            f"<td rowspan={len(hits)} class=c><b>{e(str(first.get('name') or ''))}</b></td>"
            f"<td rowspan={len(hits)} class=c>{e(row_id)}<div class=d>line {e(str(line))}</div></td>"
        )
        for i, hit in enumerate(hits):
            expl = hit.get("explanation")
            summary_text = _summary_text(expl)
            detail = ""
            if isinstance(expl, dict):
                features = expl.get("features") or []
                detail = "; ".join(f"{f.get('feature')}: {f.get('detail')}" for f in features if isinstance(f, dict))
            top_rows.append(
                f"<tr{' class=g' if i == 0 else ''}>"
                + (customer if i == 0 else "")
                + f"<td class=n>{float(hit.get('score') or 0):.3f}</td>"
                f"<td>{e(str(hit.get('caption') or ''))}<div class=d>{e(str(hit.get('entity_id')))}</div></td>"
                f"<td>{e(str(hit.get('matched_name') or ''))}</td>"
                f"<td>{e(', '.join(hit.get('datasets') or []))}</td>"
                f"<td>{e(summary_text)}<div class=d>{e(detail)}</div></td>"
                "</tr>"
            )
    lists = "".join(
        f"<li><b>{e(str(item.get('dataset')))}</b> version {e(str(item.get('version')))}"
        f": published {e(published_label(item.get('published_at'), item.get('warnings') or ()))},"
        f" loaded {e(str(item.get('loaded_at') or '')[:16].replace('T', ' '))} UTC, {int(item.get('entity_count') or 0):,} entities</li>"
        for item in summary.lists
    )
    errors = "".join(f"<li>{e(x)}</li>" for x in summary.errors)
    rate = f"{summary.rows / summary.seconds:,.0f}" if summary.seconds else "-"
    doc = f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>listguard screening report</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}}
.n{{text-align:right}}.d{{color:#666;font-size:.85em}}.k{{font-size:1.6em;font-weight:bold}}
.cards{{display:flex;gap:1.5em;flex-wrap:wrap}}.card{{border:1px solid #ddd;border-radius:6px;padding:.8em 1.2em}}
tr.g td{{border-top:2px solid #888}}td.c{{background:#f6f6f6}}ul.lists{{margin:.3em 0;padding-left:1.2em}}
</style></head><body>
<h1>Screening report</h1>
<p>Input <code>{e(summary.input)}</code> &rarr; <code>{e(summary.output)}</code>; threshold {summary.threshold if summary.threshold is not None else "default"}; {summary.seconds:,.1f} s ({rate} rows/s){"; resumed after row " + format(summary.resumed_from, ",") if summary.resumed_from else ""}.</p>
<div>Lists screened against (publication date as stated by the list, or unknown):<ul class=lists>{lists or "<li>(not recorded)</li>"}</ul></div>
<div class=cards>
<div class=card><div class=k>{summary.rows:,}</div>rows read</div>
<div class=card><div class=k>{summary.screened:,}</div>screened</div>
<div class=card><div class=k>{summary.rejected:,}</div>rejected</div>
<div class=card><div class=k>{summary.rows_with_match:,}</div>rows with a match</div>
<div class=card><div class=k>{summary.matches:,}</div>matches</div>
<div class=card><div class=k>{summary.warnings:,}</div>warnings</div>
</div>
<h2>Hits by customer</h2>
<p class=d>The {len(summary.top):,} highest-scoring matches{" of " + format(summary.matches, ",") if summary.matches > len(summary.top) else ""}, grouped by customer; every match is in <code>{e(summary.output)}</code>.</p>
<table><tr><th>customer</th><th>customer id</th><th>score</th><th>listed party</th><th>matched name</th><th>lists</th><th>explanation</th></tr>{"".join(top_rows) or "<tr><td colspan=7>No matches.</td></tr>"}</table>
<h2>Statistics</h2>
{table("Matches per list", summary.by_dataset, "list")}
{table("Matches per type", summary.by_schema, "type")}
{table("Matches per program", summary.by_program, "program")}
<h2>Rejected rows</h2>{"<ul>" + errors + "</ul>" if errors else "<p>None.</p>"}
{"<p>(first " + str(summary.MAX_ERRORS) + " shown)</p>" if summary.rejected > len(summary.errors) else ""}
</body></html>
"""
    Path(path).write_text(doc, encoding="utf-8")


# ----------------------------------------------------------------------------------- the job
_WORKER_SCREENER: Any = None


def _screen_chunk(
    args: tuple[list[dict[str, Any]], int, float | None, list[str] | None]
) -> list[list[dict[str, Any]]]:
    """Screen one chunk of rows (in a worker process, or inline)."""
    rows, limit, threshold, datasets = args
    screener = _WORKER_SCREENER
    queries = [make_query(r) for r in rows]
    if datasets is not None:
        for q in queries:
            q.datasets = list(datasets)
    many = getattr(screener, "screen_many", None)
    results = None
    if many is not None:
        try:
            results = many(queries, limit=limit, threshold=threshold)
        except TypeError:
            results = None
    if results is None:
        results = [screener.screen(q, limit=limit, threshold=threshold) for q in queries]
    return [[h.to_dict() if hasattr(h, "to_dict") else dict(h) for h in hits] for hits in results]


def _checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + ".checkpoint")


def _fingerprint(path: Path, options: dict[str, Any]) -> dict[str, Any]:
    st = path.stat()
    return {"input": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "options": options}


def screen_file(
    screener: Any,
    in_path: Path | str,
    out_path: Path | str,
    *,
    fmt: str | None = None,
    out_fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str = "utf-8",
    limit: int = 5,
    threshold: float | None = None,
    report: Path | str | None = None,
    resume: bool = False,
    workers: int = 1,
    chunk_size: int = 1000,
    progress: Callable[[int, int | None], None] | None = None,
    programs: Callable[[str], list[str]] | None = None,
    lists: list[dict[str, Any]] | None = None,
    stop_after: int | None = None,
    datasets: list[str] | None = None,
) -> BatchSummary:
    """Screen every row of ``in_path`` with ``screener`` and write ``out_path``.

    ``screener`` is a :class:`listguard.matching.Screener` (``screen`` / ``screen_many``);
    with ``workers > 1`` chunks are screened in forked worker processes that share its index
    copy-on-write, at most ``2 * workers`` chunks in flight so memory stays flat. Results are
    written in input order. After each chunk the output is fsynced and a checkpoint
    (``OUT.checkpoint``) records how far the job got; ``resume=True`` continues from there
    (same input file and options required) without redoing or duplicating rows.
    ``datasets`` restricts screening to those lists (``None``: all the screener has).
    ``programs(entity_id)`` gives the sanctions programs of a hit for the report;
    ``stop_after`` (rows) simulates an interruption, for tests.
    """
    global _WORKER_SCREENER
    in_path, out_path = Path(in_path), Path(out_path)
    kind = detect_format(in_path, fmt)
    out_kind = ResultWriter.detect(out_path, out_fmt)
    options = {"fmt": kind, "out_fmt": out_kind, "mapping": mapping or {}, "encoding": encoding, "limit": limit, "threshold": threshold}
    if datasets is not None:
        options["datasets"] = sorted(datasets)
    fingerprint = _fingerprint(in_path, options) if in_path.exists() else {}
    ckpt_path = _checkpoint_path(out_path)
    state: dict[str, Any] | None = None
    if resume and ckpt_path.exists():
        state = orjson.loads(ckpt_path.read_bytes())
        if state.get("fingerprint") != fingerprint:
            raise BatchError(
                f"{ckpt_path}: the checkpoint is for a different input file or options; "
                "run without --resume to start over"
            )
    elif ckpt_path.exists():
        ckpt_path.unlink()
    summary = BatchSummary.from_state(state["summary"]) if state else BatchSummary()
    summary.input, summary.output, summary.threshold = str(in_path), str(out_path), threshold
    if lists is not None:
        summary.lists = lists
    done = int(state["rows_done"]) if state else 0
    summary.resumed_from = done if state else 0
    writer = ResultWriter(out_path, out_kind)
    writer.open(position=int(state["position"]) if state else 0, parts=int(state["parts"]) if state else 0)
    rows_iter = read_rows(in_path, fmt=kind, mapping=mapping, encoding=encoding, require_id=False, skip=done, warn_duplicate_ids=True)
    total = count_rows(in_path, kind)
    started = time.perf_counter() - (summary.seconds if state else 0.0)
    if progress:
        progress(done, total)

    def chunks() -> Iterator[list[InputRow | RowError]]:
        buf: list[InputRow | RowError] = []
        for row in rows_iter:
            buf.append(row)
            if len(buf) >= chunk_size:
                yield buf
                buf = []
        if buf:
            yield buf

    def emit(chunk: list[InputRow | RowError], hits: list[list[dict[str, Any]]]) -> None:
        nonlocal done
        results: list[dict[str, Any]] = []
        it = iter(hits)
        for row in chunk:
            result: dict[str, Any]
            if isinstance(row, RowError):
                result = {"id": row.id, "line": row.line, "error": row.message, "hits": []}
            else:
                result = {"id": row.id, "hits": next(it)}
                result["line"] = row.line
                if row.warnings:
                    result["warnings"] = row.warnings
            results.append(result)
            summary.add(result, programs, name=row.name if isinstance(row, InputRow) else None)
        writer.write(results)
        position = writer.commit()
        done += len(chunk)
        summary.seconds = time.perf_counter() - started
        tmp = ckpt_path.with_name(ckpt_path.name + ".tmp")
        tmp.write_bytes(
            orjson.dumps(
                {"fingerprint": fingerprint, "rows_done": done, "position": position, "parts": writer.parts, "summary": summary.to_state()}
            )
        )
        os.replace(tmp, ckpt_path)
        if progress:
            progress(done, total)

    def payload(chunk: list[InputRow | RowError]) -> tuple[list[dict[str, Any]], int, float | None, list[str] | None]:
        return ([r.screening_dict() for r in chunk if isinstance(r, InputRow)], limit, threshold, datasets)

    _WORKER_SCREENER = screener
    interrupted = False
    try:
        if workers <= 1:
            for chunk in chunks():
                emit(chunk, _screen_chunk(payload(chunk)))
                if stop_after is not None and done - summary.resumed_from >= stop_after:
                    interrupted = True
                    break
        else:
            import multiprocessing as mp
            from collections import deque

            ctx = mp.get_context("fork")
            # Objects alive now (the index above all) go to a generation the collector never
            # visits: forked workers then do not copy the pages a collection would touch.
            gc.collect()
            gc.freeze()
            with ctx.Pool(workers) as pool:
                pending: deque[tuple[list[InputRow | RowError], Any]] = deque()
                for chunk in chunks():
                    pending.append((chunk, pool.apply_async(_screen_chunk, (payload(chunk),))))
                    while len(pending) >= 2 * workers:
                        first, res = pending.popleft()
                        emit(first, res.get())
                    if stop_after is not None and done - summary.resumed_from >= stop_after:
                        interrupted = True
                        break
                while pending and not interrupted:
                    first, res = pending.popleft()
                    emit(first, res.get())
    except BaseException:
        writer.close()
        raise
    finally:
        _WORKER_SCREENER = None
        gc.unfreeze()
    if interrupted:
        writer.close()
        return summary
    writer.finish()
    summary.seconds = time.perf_counter() - started
    ckpt_path.unlink(missing_ok=True)
    if report:
        write_report(summary, report)
    return summary
