"""Shared by the text and message tests: one screener over the real OFAC SDN and UN lists,
built once per test session (parsing and indexing take ~30 s), and small helpers."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from conftest import FIXTURES, LISTS, require_shared

TEXT_FIXTURES = FIXTURES / "text"


@cache
def full_screener() -> Any:
    """A Screener over us_ofac_sdn + un_sc_sanctions as published (the shared snapshots)."""
    require_shared()
    from listguard.index import Index
    from listguard.matching.screener import Screener
    from listguard.sources import parse

    entities = []
    for path in (LISTS / "ofac" / "sdn_latest", next((LISTS / "un").glob("*.xml"))):
        entities.extend(parse(Path(path)).entities)
    return Screener(Index.build(entities))


def mentions_summary(mentions: list[Any]) -> list[tuple[str, list[str]]]:
    """``(text with whitespace folded, sorted entity ids)`` per mention, in text order."""
    return [(" ".join(m.text.split()), sorted(h.entity_id for h in m.hits)) for m in mentions]
