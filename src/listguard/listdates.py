"""Publication dates of list versions, and whether a new version is older than the current one.

A version's ``published_at`` comes from the file when the format states one (UN
``dateGenerated``, EU ``generationDate``, DFAT's document date...), from the publisher's HTTP
``Last-Modified`` on ``listguard update``, or from ``listguard load --published YYYY-MM-DD``.
Otherwise it is unknown, and every place that names a version says "unknown" rather than
showing the load time as if it were a list date.

:func:`older_than_current` decides whether a freshly parsed publication is older than the
dataset's current version. It compares publication dates when both are known; for the OFAC
legacy CSVs, which carry no date, it compares the entry numbers OFAC hands out in sequence.
"""

from __future__ import annotations

import re
from datetime import date, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Iterable

UNKNOWN = "unknown"
#: Datasets whose entity ids end in a number the publisher assigns in increasing order.
SEQUENTIAL_IDS = ("us_ofac_sdn", "us_ofac_cons")
_NEWEST_HINT = re.compile(r"newest start_date is (\d{4}-\d{2}-\d{2})")


def parse_published(value: str) -> str:
    """``--published`` value -> ISO date; ValueError with a readable message otherwise."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise ValueError(f"--published {value!r}: give the list's publication date as YYYY-MM-DD")


def from_http_date(value: str | None) -> str | None:
    """An HTTP ``Last-Modified`` header -> ISO UTC datetime (seconds), or None."""
    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).isoformat(timespec="seconds")


def latest_http_date(values: Iterable[str | None]) -> str | None:
    """The newest of several files' Last-Modified headers (a multi-file list like OFAC's)."""
    dates = [d for d in (from_http_date(v) for v in values) if d]
    return max(dates) if dates else None


def day(value: str | None) -> str | None:
    """The date part of an ISO date or datetime (what people compare and read)."""
    if not value:
        return None
    return value[:10]


def published_label(published_at: str | None, warnings: Iterable[str] = ()) -> str:
    """``2026-02-27``, or ``unknown`` (with the newest entry date when the parser noted one)."""
    if published_at:
        return day(published_at) or UNKNOWN
    for warning in warnings:
        if m := _NEWEST_HINT.search(str(warning)):
            return f"{UNKNOWN} (newest entry {m.group(1)})"
    return UNKNOWN


def version_label(v: Any) -> str:
    """``version 2, published 2026-02-27, loaded 2026-12-02 10:16`` for any VersionInfo."""
    loaded = str(getattr(v, "loaded_at", "") or "")[:16].replace("T", " ")
    published = published_label(getattr(v, "published_at", None), getattr(v, "warnings", ()) or ())
    return f"version {v.seq}, published {published}, loaded {loaded} UTC"


def _max_number(ids: Iterable[str]) -> int | None:
    best: int | None = None
    for entity_id in ids:
        tail = entity_id.rsplit(":", 1)[-1]
        if tail.isdigit():
            n = int(tail)
            if best is None or n > best:
                best = n
    return best


def older_than_current(store: Any, result: Any) -> str | None:
    """Why ``result`` (a ParseResult) is older than its dataset's current version, or None.

    None also when there is no current version or the order cannot be told.
    """
    current = store.current_version(result.dataset)
    if current is None or getattr(result, "partial", False):
        return None
    new_day, cur_day = day(result.published_at), day(current.published_at)
    if new_day and cur_day:
        if new_day < cur_day:
            return (
                f"it was published {new_day}, before the current version {current.seq} "
                f"(published {cur_day})"
            )
        return None
    if result.dataset in SEQUENTIAL_IDS:
        new_max = _max_number(e.id for e in result.entities)
        cur_max = _max_number(store.version_index(current.id).keys())
        if new_max is not None and cur_max is not None and new_max < cur_max:
            return (
                f"its highest entry number is {new_max:,}, below the current version "
                f"{current.seq}'s {cur_max:,} (the publisher numbers entries in sequence, so "
                "the current version has designations this file lacks)"
            )
    return None
