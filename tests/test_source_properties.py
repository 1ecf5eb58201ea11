"""Property tests for every list parser (issue 13): whatever bytes a file holds, parsing ends in
a ParseResult or a SourceError naming the file, never another exception (a traceback that would
abort the other files of a ``listguard load``); and a load that fails changes nothing in the
store.

Inputs are small valid publications of each format, mutated by Hypothesis: bytes inserted,
replaced, deleted, duplicated or cut off, with a bias to the bytes that break parsers (invalid
UTF-8, NUL, XML and CSV syntax, the OFAC EOF byte, formulas, huge numbers). For the zipped
formats (xlsx, ODS) the XML *inside* the zip is mutated as well as the zip itself. Examples
are few and fast (the suite's time budget); the seeds are fixed so failures reproduce.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listguard import sources
from listguard.loader import Candidate, load_candidate
from listguard.sources import csl, dfat, eu, ftm, ofac, uk, un
from listguard.sources.base import ParseResult, SourceError
from listguard.sources.freetext import parse_dates, split_countries
from listguard.store import Store
from tests.conftest import FIXTURES

#: A few fixed examples per parser in the suite; LISTGUARD_HYPOTHESIS_EXAMPLES=2000 searches
#: far more (with random seeds) when hunting for parser bugs.
DEEP = int(os.environ.get("LISTGUARD_HYPOTHESIS_EXAMPLES", "0"))
FAST = settings(max_examples=DEEP or 25, deadline=None, derandomize=not DEEP,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Bytes that break parsers more often than random ones do.
TOKENS = [
    b"\xff", b"\xfe\xff", b"\x00", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"<", b">", b"&",
    b"&#0;", b"&amp;", b"]]>", b"<![CDATA[", b'"', b"'", b",", b";", b"\r\n", b"\n", b"\r",
    b"\x1a", b"=1+1", b"-0- ", "é".encode(), "\u202e".encode(), b"<!DOCTYPE x>", b"<?xml",
    b"{", b"}", b"[", b"]", b":", b"null", b"9" * 40, b"-1", b"1e999", b"\t", b"</a>",
]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "replace", "delete", "truncate", "duplicate"]))
        pos = draw(st.integers(0, len(data)))
        if op in ("insert", "replace"):
            chunk = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=12)))
            end = pos + (len(chunk) if op == "replace" else 0)
            data[pos:end] = chunk
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        else:
            n = draw(st.integers(1, 200))
            data[pos:pos] = data[pos : pos + n]
    return bytes(data)


#: Text a list's cells and elements hold: names, dates, numbers, remarks, in any script.
CELL_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "-0- ", "circa 1970", "1970-02-30", "30 Feb 1970", "a.k.a. 'X'",
                     "DOB 1960 to 1955", "Passport 123 (Narnia)", "IMO 1234567", "=HYPERLINK(\"x\")",
                     "Linked To: NOBODY.", "nationality Atlantis", "9" * 30, "\u202eevil", "na"]),
)


@st.composite
def retexted(draw: st.DrawFn, seed: bytes, kind: str) -> bytes:
    """The seed with some cells (CSV) or element texts (XML) replaced: the structure stays
    valid, so the parser's reading of names, dates and remarks is what gets exercised."""
    if kind == "xml":
        spans = [m.span(1) for m in re.finditer(rb">([^<>]+)<", seed)]
        picks = sorted(set(draw(st.lists(st.integers(0, len(spans) - 1), min_size=1, max_size=4))), reverse=True)
        data = seed
        for i in picks:
            start, end = spans[i]
            text = draw(CELL_TEXT)
            escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            data = data[:start] + escaped.encode("utf-8", "surrogatepass") + data[end:]
        return data
    encoding = "cp1252" if kind == "cp1252" else "utf-8"
    text = seed.decode(encoding).replace("\x1a", "")
    rows = list(csv.reader(io.StringIO(text)))
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        if rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(CELL_TEXT)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding, "replace") + (b"\x1a" if kind == "cp1252" else b"")


# -- seeds: one small valid publication per format -------------------------------------------

UN_SEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z"><INDIVIDUALS>'
    b"<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>ERIC</FIRST_NAME><SECOND_NAME>BADEGE</SECOND_NAME>"
    b"<UN_LIST_TYPE>DRC</UN_LIST_TYPE><REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBER>"
    b"<LISTED_ON>2012-12-31</LISTED_ON><COMMENTS1>Linked to CDe.001</COMMENTS1>"
    b"<NATIONALITY><VALUE>Democratic Republic of the Congo</VALUE></NATIONALITY>"
    b"<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>E. Badege</ALIAS_NAME></INDIVIDUAL_ALIAS>"
    b"<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1971-01-01</DATE>"
    b"</INDIVIDUAL_DATE_OF_BIRTH><INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT>"
    b"<NUMBER>OB0123456</NUMBER></INDIVIDUAL_DOCUMENT></INDIVIDUAL></INDIVIDUALS><ENTITIES>"
    b"<ENTITY><DATAID>2</DATAID><FIRST_NAME>ACME MINING</FIRST_NAME><REFERENCE_NUMBER>CDe.001"
    b"</REFERENCE_NUMBER><ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>AMC</ALIAS_NAME>"
    b"</ENTITY_ALIAS><ENTITY_ADDRESS><CITY>Goma</CITY><COUNTRY>Democratic Republic of the Congo"
    b"</COUNTRY></ENTITY_ADDRESS></ENTITY></ENTITIES></CONSOLIDATED_LIST>"
)

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
ODS_HEADER = ["Unique ID", "OFSI Group ID", "Name", "Regime Name", "Type", "Designation source",
              "Date Designated", "Sanctions Imposed"]


def _ods_row(values: list[str]) -> str:
    return "<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        for v in values) + "</table:table-row>"


ODS_CONTENT = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}><office:body>'
    '<office:spreadsheet><table:table table:name="UK_Sanction_List">'
    + _ods_row(ODS_HEADER)
    + _ods_row(["RUS0001", "15000", "SMITH John", "Russia", "Individual", "UK", "15/03/2022", "Asset freeze"])
    + _ods_row(["CYB0004", "14000", "Example Hackers", "Cyber", "Entity", "UN", "01/02/2020", "Asset freeze"])
    + "</table:table></office:spreadsheet></office:body></office:document-content>"
).encode()

DFAT_HEADER = ["Reference", "Name of Individual or Entity", "Type", "Name Type", "Date of Birth",
               "Place of Birth", "Citizenship", "Address", "Additional Information",
               "Listing Information", "Committees", "Control Date"]


def _zip(members: dict[str, bytes], order: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in order or list(members):
            zf.writestr(name, members[name])
    return buf.getvalue()


def _dfat_members() -> dict[str, bytes]:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(DFAT_HEADER)
    ws.append([7, "Ivan EXAMPLE", "Individual", "Primary Name", dt.datetime(1960, 5, 4), "Omsk",
               "Russian", "1 Lenina St, Omsk", "Passport no.: 7512345678 (Russia)",
               "Listed on 3 March 2022", "Autonomous (Russia)", dt.datetime(2022, 3, 4)])
    ws.append(["7a", "Ivan PRIMER", "Individual", "aka", 1961])
    ws.append([8, "Example Shipping Co", "Entity", "Primary Name", None, None, None, None,
               "IMO number: 1234567.", dt.datetime(2020, 1, 2)])
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


class Format:
    """How to write one (mutated) publication of a format to disk."""

    def __init__(self, module: ModuleType, name: str, seed: Callable[[], Any], write: Callable[..., Path],
                 text: str | None = None) -> None:
        self.module, self.name, self._seed, self._write, self.text = module, name, seed, write, text
        self._cached: Any = None

    @property
    def seed(self) -> Any:
        if self._cached is None:
            self._cached = self._seed()
        return self._cached

    def strategy(self) -> st.SearchStrategy[Any]:
        seed = self.seed
        if isinstance(seed, bytes):
            if self.text:
                return st.one_of(mutated(seed), retexted(seed, self.text))
            return mutated(seed)
        # a zipped format: mutate one XML member, or the whole zip
        return st.one_of(
            st.sampled_from(sorted(seed)).flatmap(
                lambda member: mutated(seed[member]).map(lambda data: ("member", member, data))),
            mutated(_zip(seed)).map(lambda data: ("zip", None, data)),
        )

    def write(self, folder: Path, value: Any) -> Path:
        return self._write(folder, value)


def _plain(file_name: str) -> Callable[[Path, bytes], Path]:
    def write(folder: Path, data: bytes) -> Path:
        path = folder / file_name
        path.write_bytes(data)
        return path

    return write


def _ofac_write(folder: Path, data: bytes) -> Path:
    target = folder / "sdn"
    shutil.copytree(FIXTURES / "ofac" / "sdn", target)
    (target / "sdn.csv").write_bytes(data)
    return target


def _zipped(file_name: str, first: str | None = None) -> Callable[[Path, Any], Path]:
    def write(folder: Path, value: Any) -> Path:
        kind, member, data = value
        path = folder / file_name
        if kind == "zip":
            path.write_bytes(data)
        else:
            members = {**FORMATS_BY_NAME[file_name].seed, member: data}
            order = ([first] if first else []) + [m for m in members if m != first]
            path.write_bytes(_zip(members, order))
        return path

    return write


FORMATS = [
    Format(un, "consolidated.xml", lambda: UN_SEED, _plain("consolidated.xml"), "xml"),
    Format(eu, "eu_fsf.xml", lambda: (FIXTURES / "eu" / "eu_fsf_sample.xml").read_bytes(), _plain("eu_fsf.xml"), "xml"),
    Format(uk, "UK_Sanctions_List.xml", lambda: (FIXTURES / "uk" / "uk_sanctions_list_sample.xml").read_bytes(),
           _plain("UK_Sanctions_List.xml"), "xml"),
    Format(uk, "UK_Sanctions_List.csv", lambda: (FIXTURES / "uk" / "uk_sanctions_list_sample.csv").read_bytes(),
           _plain("UK_Sanctions_List.csv"), "utf-8"),
    Format(uk, "FCDO_UK_Sanctions_List.ods",
           lambda: {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": ODS_CONTENT},
           _zipped("FCDO_UK_Sanctions_List.ods", first="mimetype")),
    Format(dfat, "regulation8_consolidated.xlsx", _dfat_members, _zipped("regulation8_consolidated.xlsx")),
    Format(ofac, "sdn.csv", lambda: (FIXTURES / "ofac" / "sdn" / "sdn.csv").read_bytes(), _ofac_write, "cp1252"),
    Format(csl, "consolidated.csv", lambda: (FIXTURES / "csl" / "csl_mini.csv").read_bytes(), _plain("consolidated.csv"), "utf-8"),
    Format(ftm, "entities.ftm.json", lambda: (FIXTURES / "ftm" / "mini.ftm.json").read_bytes(), _plain("entities.ftm.json")),
    Format(ftm, "entities.delta.json", lambda: (FIXTURES / "ftm" / "mini.delta.json").read_bytes(), _plain("entities.delta.json")),
]
FORMATS_BY_NAME = {f.name: f for f in FORMATS}


def _names(path: Path) -> set[str]:
    """The file names an error about ``path`` may name (an OFAC folder: any file in it)."""
    names = {path.name}
    if path.is_dir():
        names |= {p.name for p in path.iterdir()}
    return names


def check_parse(module: ModuleType, path: Path) -> ParseResult | None:
    """The property: a ParseResult, or a SourceError that names the file."""
    assert isinstance(module.detect(path), bool)
    try:
        result = module.parse(path)
    except SourceError as exc:
        assert Path(exc.path).name in _names(path), exc
        assert exc.reason.strip()
        return None
    assert isinstance(result, ParseResult)
    for entity in result.entities:
        assert entity.id and entity.to_json()
    return result


def test_every_seed_parses() -> None:
    """The seeds are valid publications: the mutations start from a file that loads."""
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            folder = Path(tmp) / fmt.name
            folder.mkdir()
            value = fmt.seed if isinstance(fmt.seed, bytes) else ("member", next(iter(fmt.seed)), next(iter(fmt.seed.values())))
            result = check_parse(fmt.module, fmt.write(folder, value))
            assert result is not None and result.entities, fmt.name


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
@FAST
@given(data=st.data())
def test_parser_raises_only_source_error(fmt: Format, data: st.DataObject) -> None:
    value = data.draw(fmt.strategy(), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = fmt.write(Path(tmp), value)
        check_parse(fmt.module, path)
        # format detection (what `listguard load` runs first) never raises anything else either
        try:
            sources.detect(path)
        except SourceError:
            pass


@settings(max_examples=DEEP or 60, deadline=None, derandomize=not DEEP)
@given(text=st.text(max_size=80))
def test_free_text_helpers_never_raise(text: str) -> None:
    assert all(isinstance(d, str) for d in parse_dates(text))
    split_countries(text)


# -- the store: a failed load changes nothing ------------------------------------------------


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One store with a good version of every seed (module scope: Hypothesis runs many
    examples against it)."""
    folder = tmp_path_factory.mktemp("props")
    store = Store(f"sqlite:///{folder / 'store.db'}")
    for fmt in FORMATS:
        sub = folder / f"seed-{fmt.name}"
        sub.mkdir()
        value = fmt.seed if isinstance(fmt.seed, bytes) else ("member", next(iter(fmt.seed)), next(iter(fmt.seed.values())))
        path = fmt.write(sub, value)
        load_candidate(store, Candidate(path, fmt.module), force=True)
    return store


def _snapshot(store: Store) -> dict[str, tuple[int, list[tuple[str, str]]]]:
    return {
        v.dataset: (v.id, sorted(store.version_index(v.id).items()))  # type: ignore[misc]
        for v in store.current_versions()
    }


@settings(max_examples=DEEP or 30, deadline=None, derandomize=not DEEP,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_a_failed_load_changes_nothing(loaded_store: Store, data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(FORMATS), label="format")
    value = data.draw(fmt.strategy(), label="file")
    before = _snapshot(loaded_store)
    versions_before = len(loaded_store.versions())
    with tempfile.TemporaryDirectory() as tmp:
        path = fmt.write(Path(tmp), value)
        try:
            report = load_candidate(loaded_store, Candidate(path, fmt.module))
        except (SourceError, ValueError):
            assert _snapshot(loaded_store) == before
            assert len(loaded_store.versions()) == versions_before
            return
    # it loaded: exactly one dataset may have moved on, by exactly one version
    after = _snapshot(loaded_store)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if report.skipped or getattr(report, "not_current", None):
        assert changed == set()
    else:
        assert changed <= {report.dataset}
        assert report.version is not None and after[report.dataset][0] == report.version.id
