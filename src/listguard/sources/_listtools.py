"""Small helpers shared by the UN, EU and UK parsers.

They exist so the three parsers agree on the things a screener compares across lists: country
codes (every list spells countries differently, the matcher wants FtM codes), dates (ISO prefixes,
never a guessed day), names (whitespace and wrapping quotes are formatting, not name) and the raw
``record`` (compact, JSON-able, as the list wrote it).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Iterable

from lxml import etree
from rigour.territories import lookup_by_identifier, lookup_territory

from listguard.sources.base import ParseResult, peek

#: Placeholders lists write where they have no country. ``na`` would otherwise map to Namibia
#: (it does in FtM), which is exactly the kind of false fact a screener must never see.
_NO_COUNTRY = {"", "na", "n/a", "n.a.", "none", "unknown", "00", "-", "stateless", "not known"}

_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[\s/>]")
_SKIP = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.S)
_XMLNS = re.compile(rb"""xmlns(?::([\w.\-]+))?\s*=\s*["']([^"']*)["']""")


def peek_root(path: Path, n: int = 8192) -> tuple[str | None, str | None]:
    """``(namespace, local name)`` of the root element, from the first bytes of ``path``.

    Cheap on purpose: ``detect`` runs for every file and every parser, so it must not parse the
    document. Returns ``(None, None)`` when no start tag is found in the first ``n`` bytes.
    """
    try:
        head = peek(path, n)
    except OSError:
        return None, None
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.lstrip().startswith(b"<"):
        return None, None
    body = _SKIP.sub(b"", head)
    match = _FIRST_TAG.search(body)
    if match is None:
        return None, None
    qname = match.group(1).decode("ascii", "replace")
    prefix, _, local = qname.rpartition(":")
    end = body.find(b">", match.start())
    tag_text = body[match.start() : end if end > 0 else len(body)]
    namespace = None
    for ns_prefix, uri in _XMLNS.findall(tag_text):
        if (ns_prefix.decode() if ns_prefix else "") == prefix:
            namespace = uri.decode("utf-8", "replace")
    return namespace, local


def sourceline(el: etree._Element | None) -> str | None:
    """``"line N"`` for error messages and warnings, when lxml knows it."""
    if el is None or el.sourceline is None:
        return None
    return f"line {el.sourceline}"


def clean(value: str | None) -> str | None:
    """Collapse whitespace (lists wrap long values over lines); ``None`` for empty."""
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb"}


def clean_name(value: str | None) -> str | None:
    """A name without wrapping quotes (``"KOMID"`` is the name KOMID, quoted for emphasis)."""
    value = clean(value)
    if value and len(value) > 2 and value[0] in _QUOTES and value[-1] == _QUOTES[value[0]]:
        inner = clean(value[1:-1])
        if inner and value[0] not in inner:
            return inner
    return value


@lru_cache(maxsize=4096)
def country_code(value: str | None, exact: bool = False) -> str | None:
    """FtM country code (ISO 3166-1 alpha-2, lower case; FtM's few historic codes such as
    ``suhh`` for the Soviet Union) for a country name or code, or ``None``.

    Same answers as FtM's ``registry.country.clean`` (rigour's territory lookup), but fast on
    a cold start: rigour builds its name index by transliterating ~29,000 names (~2 s, more
    than parsing a whole list), so exact Latin-script names are looked up in a small index of
    our own first and only the rest goes to rigour. ``exact=True`` skips rigour: for probing
    free text ("Libya 428720") where a miss is the normal answer and must stay cheap.
    """
    text = clean(value)
    if text is None or text.lower() in _NO_COUNTRY:
        return None
    if len(text) > 3 and (code := _fast_names().get(_name_key(text))) is not None:
        return code
    territory = lookup_by_identifier(text) if len(text) <= 3 else None
    if territory is None and not exact:
        territory = lookup_territory(text)
    return territory.ftm_country if territory is not None else None


_DROP = str.maketrans("", "", ".()[],;:_-/\u02bb'\u2019")


def _name_key(name: str) -> str:
    """Accent-, case- and punctuation-insensitive key, like rigour's but without its
    transliteration (callers only index and look up Latin-script names here)."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", name.casefold().translate(_DROP)).split())


_NON_WORD = re.compile(r"\W+")


@cache
def _fast_names() -> dict[str, str]:
    """Strong, then weak, Latin-script names of every FtM country -> its code, from one pass
    over rigour's territory data (subdivisions and other scripts are left to rigour)."""
    try:
        from rigour._core import territories_jsonl
        from rigour.data import iter_jsonl_text
    except ImportError:  # pragma: no cover - rigour internals moved: use the slow path only
        return {}
    strong: dict[str, str] = {}
    weak: dict[str, str] = {}
    for data in iter_jsonl_text(territories_jsonl()):
        if not data.get("is_ftm"):
            continue
        code = str(data["code"])
        strong_names = [*data.get("names_strong", []), data["name"], data.get("full_name", data["name"])]
        for names, bucket in ((strong_names, strong), (data.get("names_weak", []), weak)):
            for name in names:
                if name.isascii() or _is_latin(name):
                    bucket.setdefault(_name_key(name), code)
    for key, code in weak.items():
        strong.setdefault(key, code)
    return strong


def _is_latin(text: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def map_countries(
    result: ParseResult, values: Iterable[str | None], where: str | None = None
) -> list[str]:
    """Map country names to codes, counting (``unmapped_countries``) what does not map.

    Unmapped names are never dropped silently: they stay in the entity's ``record`` and are
    reported in :attr:`ParseResult.stats` and warnings so the mapping can be extended.
    """
    codes: list[str] = []
    for value in values:
        text = clean(value)
        if text is None:
            continue
        code = country_code(text)
        if code is None:
            if text.lower() in _NO_COUNTRY:
                result.count("country_placeholders")
            else:
                result.count("unmapped_countries")
                result.warn(f"unmapped country {text!r}" + (f" ({where})" if where else ""))
            continue
        if code not in codes:
            codes.append(code)
    return codes


def element_record(el: etree._Element, collapse_values: bool = False) -> dict[str, Any]:
    """The element as a compact JSON-able dict: attributes and children by local name.

    Empty attributes and empty children are dropped (the UN file writes ``<COUNTRY/>``
    placeholders everywhere); a repeated child becomes a list; a text-only child becomes its
    text. With ``collapse_values`` an element holding only ``<VALUE>`` children (the UN way
    of writing lists) becomes a list of strings.
    """
    out: dict[str, Any] = {}
    for key, value in el.attrib.items():
        if key.startswith("{http://www.w3.org/2001/XMLSchema-instance}"):
            continue
        if value.strip():
            out[key.rsplit("}", 1)[-1]] = value.strip()
    grouped: dict[str, list[Any]] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        value = _element_value(child, collapse_values)
        if value is not None:
            grouped.setdefault(child.tag.rsplit("}", 1)[-1], []).append(value)
    for name, values in grouped.items():
        out[name] = values[0] if len(values) == 1 else values
    text = (el.text or "").strip()
    if text and out:
        out["#text"] = text
    return out


def _element_value(el: etree._Element, collapse_values: bool) -> Any:
    children = [c for c in el if isinstance(c.tag, str)]
    if not children and not el.attrib:
        return (el.text or "").strip() or None
    if collapse_values and children and all(c.tag == "VALUE" for c in children):
        values = [(c.text or "").strip() for c in children]
        return [v for v in values if v] or None
    return element_record(el, collapse_values) or None


#: English month names and abbreviations -> month number (the lists write dates in English).
MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*|[+-]\d{2}:\d{2}|Z)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MY_WORDS = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?,?\s+(\d{4})$")


def iso_date(value: str | None) -> str | None:
    """An ISO date prefix (``1970-02-05``, ``1970-02``, ``1970``) or ``None``.

    Understands ISO dates and datetimes (``2015-04-07-04:00`` too, as the UN writes some),
    ``dd/mm/yyyy`` and ``dd-mm-yyyy`` with ``00`` for an unknown day or month (UK), and
    ``[dd] Month yyyy`` (UN notes). Impossible dates give ``None`` rather than a guess.
    """
    text = clean(value)
    if text is None:
        return None
    year = month = day = 0
    if m := _ISO.match(text):
        year, month, day = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    elif m := _DMY.match(text):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _MY_WORDS.match(text):
        mon = MONTHS.get(m.group(2).lower())
        if mon is None:
            return None
        year, month, day = int(m.group(3)), mon, int(m.group(1) or 0)
    else:
        return None
    return _prefix(year, month, day)


def _prefix(year: int, month: int, day: int) -> str | None:
    if not 1000 <= year <= 2100:
        return None
    if month == 0:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day == 0:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def join(parts: Iterable[str | None], sep: str = ", ") -> str | None:
    """Join the non-empty, cleaned parts (address lines, places), dropping repeats."""
    seen: list[str] = []
    for part in parts:
        text = clean(part)
        if text and text not in seen:
            seen.append(text)
    return sep.join(seen) or None
