"""Birth dates as people type them, read into ISO dates for screening.

Used wherever a query's dates come in: ``listguard screen --birth-date``, the API's
``birthDate`` property, the ``birth_date`` column of ``screen-file`` and ``monitor add``, and
:class:`listguard.matching.Query` itself.

Accepted: ``1957``, ``1957-04``, ``04/1957``, ``1957-04-14``, ``1957/04/14``, ``1957.04.14``,
``19570414``, ISO datetimes, ``14.04.1957`` (dotted: day first, as everywhere it is used),
``14/04/1957`` and ``14-04-1957``, ``14 Apr 1957``, ``14-Apr-1957``, ``April 14, 1957``,
``Apr 1957``. A slashed or dashed date whose day and month could be swapped (``05/02/1970``:
5 February or May 2?) is *ambiguous*: only its year is used, and the warning says so (a wrong
month would lower the score of a true hit). A value that cannot be read is never dropped
silently: :func:`parse_birth_date` returns a warning for it.
"""

from __future__ import annotations

import re
from datetime import date

# English month names and abbreviations -> month number: the table the list parsers use
from listguard.sources._listtools import MONTHS

_Y = re.compile(r"(\d{4})\Z")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})\Z")
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})\Z")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\Z")
_YMD_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})\Z")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\Z")
_SLASHED = re.compile(r"(\d{1,2})([/-])(\d{1,2})[/-](\d{4})\Z")
_D_MON_Y = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+([a-z]+)\.?,?[\s\-/.]+(\d{4})\Z")
_MON_D_Y = re.compile(r"([a-z]+)\.?[\s\-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]+(\d{4})\Z")
_MON_Y = re.compile(r"([a-z]+)\.?,?[\s\-/.]+(\d{4})\Z")
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2}\Z")

FORMATS_HINT = "use YYYY-MM-DD, YYYY-MM or YYYY; 14.04.1957 and 14 Apr 1957 work too"


def _iso(value: str, year: int, month: int = 0, day: int = 0) -> tuple[str | None, str | None]:
    today = date.today()
    if not 1800 <= year <= today.year:
        return None, f"bad birth date {value!r} ignored: year {year} is out of range"
    if month == 0:
        return f"{year:04d}", None
    if not 1 <= month <= 12:
        return None, f"bad birth date {value!r} ignored: no month {month} ({FORMATS_HINT})"
    if day == 0:
        return f"{year:04d}-{month:02d}", None
    try:
        parsed = date(year, month, day)
    except ValueError:
        return None, f"bad birth date {value!r} ignored: no such day ({FORMATS_HINT})"
    if parsed > today:
        return None, f"bad birth date {value!r} ignored: it is in the future"
    return parsed.isoformat(), None


def parse_birth_date(value: str) -> tuple[str | None, str | None]:
    """``(iso, warning)``: the ISO date (``1957-04-14``, ``1957-04`` or ``1957``) and/or a
    warning. An ambiguous day/month gives the year *and* a warning; an unreadable value gives
    ``(None, warning)``; an empty one ``(None, None)``."""
    text = " ".join(str(value).split()).strip()
    if not text:
        return None, None
    if "T" in text and len(text) > 10 and text[:4].isdigit():
        text = text.split("T", 1)[0]
    low = text.lower()
    if m := _Y.match(low):
        return _iso(value, int(m.group(1)))
    if m := _YM.match(low):
        return _iso(value, int(m.group(1)), int(m.group(2)))
    if m := _MY.match(low):
        return _iso(value, int(m.group(2)), int(m.group(1)))
    if m := (_YMD.match(low) or _YMD_COMPACT.match(low)):
        return _iso(value, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DOTTED.match(low):
        return _iso(value, int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _SLASHED.match(low):
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if first > 12 and second <= 12:
            return _iso(value, year, second, first)  # 14/04/1957: day first
        if second > 12 and first <= 12:
            return _iso(value, year, first, second)  # 04/14/1957: month first
        if first == second:
            return _iso(value, year, first, first)
        iso, warning = _iso(value, year)
        if iso is None:
            return None, warning
        return iso, (
            f"birth date {value!r} is ambiguous ({first} {_name(second)} or {second} "
            f"{_name(first)}?): only the year {iso} was used; write it as YYYY-MM-DD"
        )
    for pattern, order in ((_D_MON_Y, "dmy"), (_MON_D_Y, "mdy")):
        if m := pattern.match(low):
            day_s, mon_s = (m.group(1), m.group(2)) if order == "dmy" else (m.group(2), m.group(1))
            month = MONTHS.get(mon_s)
            if month is not None:
                return _iso(value, int(m.group(3)), month, int(day_s))
    if (m := _MON_Y.match(low)) and (month := MONTHS.get(m.group(1))) is not None:
        return _iso(value, int(m.group(2)), month)
    if _TWO_DIGIT_YEAR.match(low):
        return None, f"bad birth date {value!r} ignored: give the year with four digits ({FORMATS_HINT})"
    return None, f"bad birth date {value!r} ignored: not understood ({FORMATS_HINT})"


def _name(month: int) -> str:
    return ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[month] if 1 <= month <= 12 else str(month)


def parse_birth_dates(values: list[str] | tuple[str, ...] | None) -> tuple[list[str], list[str]]:
    """Every value read: ``(iso dates without repeats, warnings)``."""
    dates: list[str] = []
    warnings: list[str] = []
    for value in values or ():
        iso, warning = parse_birth_date(value)
        if iso and iso not in dates:
            dates.append(iso)
        if warning:
            warnings.append(warning)
    return dates, warnings


def normalise_birth_dates(values: list[str]) -> list[str]:
    """For :class:`~listguard.matching.Query`: readable values as ISO dates; a value that
    cannot be read is kept as given (the caller reported it; the matcher ignores it)."""
    out: list[str] = []
    for value in values:
        if not value or not str(value).strip():
            continue
        iso, _warning = parse_birth_date(value)
        keep = iso or str(value).strip()
        if keep not in out:
            out.append(keep)
    return out
