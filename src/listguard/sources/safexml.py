"""Hardened XML parsing for list files.

Official lists are XML from the outside world. We refuse DTDs outright (no official sanctions
list uses one) so entity-expansion bombs ("billion laughs") and external entities (XXE) never get
a chance; lxml is additionally told not to resolve entities, not to touch the network and not to
lift its tree-size limits. Syntax errors (e.g. a truncated download) become a
:class:`SourceError` with line and column.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from listguard.sources.base import SourceError, check_file, peek

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def parse_xml(path: Path, max_bytes: int | None = None) -> etree._Element:
    """Parse an XML file safely and return its root element."""
    check_file(path, max_bytes)
    head = peek(path, 64 * 1024)
    if _DOCTYPE.search(head):
        raise SourceError(
            path,
            "XML declares a DOCTYPE/ENTITY; refused (entity expansion or external entities are "
            "a known attack, and no official list uses them). Download the list again from its publisher",
            "line 1",
        )
    try:
        tree = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        if "amplification" in (exc.msg or ""):
            raise SourceError(
                path,
                "XML uses entity expansion; refused (a known attack: no official list does this)",
                f"line {line}, column {col}",
            ) from None
        raise SourceError(
            path,
            f"malformed XML: {exc.msg}. The file is probably truncated or not XML; download it again",
            f"line {line}, column {col}",
        ) from None
    root = tree.getroot()
    for node in root.iter(etree.Entity):  # pragma: no cover - DTDs are refused above
        raise SourceError(path, "XML contains entity references; refused")
    return root


def localname(el: etree._Element) -> str:
    """Tag without namespace."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
