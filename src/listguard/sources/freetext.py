"""Reading the free text official lists put where data should be: dates and countries.

Lists written by hand in spreadsheets (DFAT) or flattened from richer formats (the US CSL) carry
dates of birth as prose ("a) Approximately 1955- 1958 b) 1 Jan. 1967", "circa 1967", "1958 to
1960") and nationalities as adjectives or names ("Russian and Ukrainian", "a) German b)
Moroccan"). Screening needs them as ISO dates and ISO 3166 codes, so this module turns one into
the other *conservatively*: it returns only what it recognises and the caller counts the rest as
unparsed, keeping the text in the entity's ``record``. Nothing here guesses a day/month order
except where the list's convention is known (day first, as Australia and the UN write it).

Country lookup uses rigour's territory data (names, demonyms, historic states such as the USSR),
but builds its own index of the Latin-script names only: rigour's own ``lookup_territory``
transliterates ~29,000 names in every script on first use (about 2 s), which would cost more than
parsing a whole list. Names in other scripts never occur in the fields we look up.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
import re
from functools import lru_cache

#: Cell values that mean "nothing here" in the lists we read.
NA_VALUES = frozenset({"", "na", "n/a", "n.a.", "nil", "none", "-", "--", "unknown", "not known"})

#: The year range a date of birth or a listing date can plausibly fall in. Anything outside is
#: not a Gregorian date we understand (DFAT also writes Hijri years such as "24/06/1402").
MIN_YEAR = 1870
MAX_YEAR = _dt.date.today().year + 1

#: A range "between 1958 and 1963" is expanded to every year when it spans at most this many
#: years: each year in it is a possible birth year, and a matcher comparing years needs them all.
#: Wider ranges keep only their end points.
MAX_RANGE_EXPAND = 10

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"

_DATE_RE = re.compile(
    rf"""
     (?P<iso>\b(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})(?:[T\s]\d\d:\d\d(?::\d\d)?)?\b)
    |(?P<dmy>\b(?P<d1>\d{{1,2}})\s*[/.]\s*(?P<m1>\d{{1,2}})\s*[/.]\s*(?P<y1>\d{{4}}|\d{{2}})\b)
    |(?P<dmony>\b(?P<d2>\d{{1,2}})\.?[\s-]*(?P<mon2>{_MON})[\s,-]*(?P<y2>\d{{4}}|\d{{2}})\b)
    |(?P<mondy>\b(?P<mon3>{_MON})\s*(?P<d3>\d{{1,2}}),?\s+(?P<y3>\d{{4}})\b)
    |(?P<mony>\b(?P<mon4>{_MON})[\s,]*(?P<y4>\d{{4}})\b)
    |(?P<my>\b(?P<m5>\d{{1,2}})/(?P<y5>\d{{4}})\b)
    |(?P<range>\b(?P<ya>\d{{4}})\s*(?:-|–|to|and|/)\s*(?P<yb>\d{{4}})\b)
    |(?P<year>\b(?P<y7>\d{{4}})\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _year(text: str) -> int | None:
    """A four-digit year, or a two-digit one read as the most recent past century."""
    year = int(text)
    if len(text) == 2:
        century_now = MAX_YEAR % 100
        year += 2000 if year <= century_now else 1900
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _month(text: str) -> int | None:
    return _MONTHS.get(text[:3].lower())


def _iso(year: int | None, month: int | None = None, day: int | None = None) -> str | None:
    """The ISO 8601 prefix for a (partial) date, or None when it is not a real date."""
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[list[str], int, int]]:
    """Every date expression in ``text`` as (ISO values, start, end), in order of appearance.

    A single date yields one value ("1963-04-11", "1968-03" or "1963"); a year range yields every
    year in it (see :data:`MAX_RANGE_EXPAND`). Days come before months in numeric dates
    ("19/08/1974"), as in all the lists this is used for, except the US "March 16, 1972" form.
    """
    found: list[tuple[list[str], int, int]] = []
    for m in _DATE_RE.finditer(text):
        g = m.groupdict()
        values: list[str | None]
        if g["iso"]:
            values = [_iso(_year(g["iy"]), int(g["im"]), int(g["id"]))]
        elif g["dmy"]:
            values = [_iso(_year(g["y1"]), int(g["m1"]), int(g["d1"]))]
        elif g["dmony"]:
            values = [_iso(_year(g["y2"]), _month(g["mon2"]), int(g["d2"]))]
        elif g["mondy"]:
            values = [_iso(_year(g["y3"]), _month(g["mon3"]), int(g["d3"]))]
        elif g["mony"]:
            values = [_iso(_year(g["y4"]), _month(g["mon4"]))]
        elif g["my"]:
            values = [_iso(_year(g["y5"]), int(g["m5"]))]
        elif g["range"]:
            start, end = _year(g["ya"]), _year(g["yb"])
            if start is None or end is None:
                values = [_iso(start), _iso(end)]
            elif 0 <= end - start <= MAX_RANGE_EXPAND:
                values = [_iso(y) for y in range(start, end + 1)]
            else:
                values = [_iso(start), _iso(end)]
        else:
            values = [_iso(_year(g["y7"]))]
        clean = [v for v in values if v is not None]
        if clean:
            found.append((clean, m.start(), m.end()))
    return found


def parse_dates(text: str) -> list[str]:
    """All dates in a free-text date field, as unique ISO 8601 (prefix) strings, in order."""
    return list(_parse_dates(text))


@lru_cache(maxsize=8192)
def _parse_dates(text: str) -> tuple[str, ...]:
    # cached: list rows repeat the same date text for every alias of a listing
    out: list[str] = []
    for values, _, _ in find_dates(text):
        for value in values:
            if value not in out:
                out.append(value)
    return tuple(out)


def is_na(value: object) -> bool:
    """True for empty cells and the placeholders lists write for "not applicable"."""
    if value is None:
        return True
    return isinstance(value, str) and value.strip().lower() in NA_VALUES


# -- countries --------------------------------------------------------------------------------

#: Spellings seen in real lists that rigour does not know.
_COUNTRY_OVERRIDES = {
    "turkiyish": "tr",
    "turkiye": "tr",
    "belarussian": "by",
    "byelorussian": "by",
    "ukranian": "ua",
    "none identified": None,
}

#: Words that qualify a country without changing it ("Possibly Ethiopian").
_QUALIFIERS = re.compile(r"^(?:possibly|probably|reportedly|allegedly|formerly|also)\s+", re.I)
_PAREN = re.compile(r"\([^)]*\)")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _norm(text: str) -> str:

    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", text.lower()).strip()


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Normalised Latin-script territory names, demonyms and codes → FtM country code."""
    from rigour.territories import get_territories

    index: dict[str, str] = {}
    weak: dict[str, str] = {}
    territories = {t.code: t for t in get_territories()}
    try:  # rigour's raw name lists (strong names include demonyms: "Russian", "Afghan")
        from rigour._core import territories_jsonl
        from rigour.data import iter_jsonl_text

        for data in iter_jsonl_text(territories_jsonl()):
            territory = territories.get(data["code"])
            if territory is None or not territory.ftm_country:
                continue
            for name in data.get("names_strong", []):
                if name.isascii():
                    index.setdefault(_norm(name), territory.ftm_country)
            for name in data.get("names_weak", []):
                if name.isascii():
                    weak.setdefault(_norm(name), territory.ftm_country)
    except ImportError:  # pragma: no cover - a rigour release that moved its internals
        pass
    for territory in territories.values():
        if not territory.ftm_country:
            continue
        for name in (territory.name, territory.full_name):
            if name:
                index.setdefault(_norm(name), territory.ftm_country)
        for code in [territory.code, territory.alpha3, *territory.other_codes]:
            if code:
                index.setdefault(_norm(code), territory.ftm_country)
    for key, value in weak.items():
        index.setdefault(key, value)
    return index


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """The FtM country code (ISO 3166-1 alpha-2, lower case, or a historic code such as
    ``suhh`` for the USSR) for one country name, demonym or code; None when unknown."""
    text = _QUALIFIERS.sub("", _PAREN.sub(" ", text)).strip(" .;,:\t\n")
    key = _norm(text)
    if not key or key in NA_VALUES:  # "NA" is "not applicable" in free text, not Namibia
        return None
    if key in _COUNTRY_OVERRIDES:
        return _COUNTRY_OVERRIDES[key]
    code = _country_index().get(key)
    if code is None and key.startswith("the "):
        code = _country_index().get(key[4:])
    return code


_LIST_SPLIT = re.compile(r"(?:^|\s)[a-z]\)\s*|[;,/\n]|\s+(?:and|or|&)\s+", re.I)


def split_countries(text: str) -> tuple[list[str], list[str]]:
    """Country codes in a free-text field listing one or several countries.

    Returns (codes, unmapped parts). The whole text is tried first so that names containing
    "and" or commas ("Trinidad and Tobago", "Korea, North") survive; then list markers
    ("a) ... b) ..."), separators and "and"/"or" split it.
    """
    codes, unmapped = _split_countries(text)
    return list(codes), list(unmapped)


@lru_cache(maxsize=4096)
def _split_countries(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if is_na(text):
        return (), ()
    whole = country_code(text)
    if whole:
        return (whole,), ()
    codes: list[str] = []
    unmapped: list[str] = []
    text = _PAREN.sub(" ", text)
    for part in _split_keeping_names(text):
        part = part.strip(" .;,:\t\n\xa0")
        if not part or is_na(part):
            continue
        code = country_code(part)
        if code:
            if code not in codes:
                codes.append(code)
        else:
            unmapped.append(part)
    return tuple(codes), tuple(unmapped)


def _split_keeping_names(text: str) -> list[str]:
    """Split on list separators, re-joining neighbours that together name one country."""
    pieces = [p for p in _LIST_SPLIT.split(text) if p and p.strip()]
    out: list[str] = []
    i = 0
    while i < len(pieces):
        # "Bosnia and Herzegovina": try the piece joined with the next one(s) first.
        joined = None
        for j in (3, 2):
            if i + j <= len(pieces):
                candidate = " and ".join(p.strip() for p in pieces[i : i + j])
                if country_code(candidate):
                    joined = (candidate, j)
                    break
        if joined:
            out.append(joined[0])
            i += joined[1]
        else:
            out.append(pieces[i])
            i += 1
    return out


@lru_cache(maxsize=1024)
def iso_country(code: str) -> str | None:
    """An ISO 3166 code as a list wrote it in a code column ("RU", "NA") → FtM code, or None.

    Unlike :func:`country_code` this trusts the column to hold codes, so "NA" is Namibia.
    """
    key = code.strip().lower()
    if not key:
        return None
    from rigour.territories import lookup_by_identifier

    territory = lookup_by_identifier(key)
    return territory.ftm_country if territory is not None and territory.ftm_country else None
