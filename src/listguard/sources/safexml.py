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
    parser = _parser()
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        if "encoding" in (exc.msg or "").lower():
            raise _encoding_error(path, head, exc.msg, line, col) from None
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
    except OSError as exc:
        # lxml reports bytes invalid in the file's encoding as an I/O error without a place;
        # the parser's error log has the line and column.
        last = parser.error_log.last_error
        if last is not None and "encoding" in (last.message or "").lower():
            raise _encoding_error(path, head, last.message, last.line, last.column) from None
        raise SourceError(path, f"cannot read the file ({exc}); check it exists and is readable") from None
    root = tree.getroot()
    for _node in root.iter(etree.Entity):  # pragma: no cover - DTDs are refused above
        raise SourceError(path, "XML contains entity references; refused")
    return root


def _encoding_error(path: Path, head: bytes, message: str, line: int, col: int) -> SourceError:
    offset, encoding = _first_undecodable_byte(path, head)
    at = f"byte {offset}, " if offset is not None else ""
    return SourceError(
        path,
        f"invalid {encoding} text ({message.strip()}): the file is damaged or not in the encoding "
        "it declares. Download it again from the publisher",
        f"{at}line {line}, column {col}",
    )


_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _first_undecodable_byte(path: Path, head: bytes) -> tuple[int | None, str]:
    """Byte offset of the first byte that is not valid in the file's declared encoding
    (UTF-8 when it declares none), for an error message that points at it."""
    import codecs

    match = _ENCODING.search(head[:200])
    encoding = match.group(1).decode("ascii") if match else "UTF-8"
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError:
        return None, encoding
    done = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # The decoder may hold back up to 3 bytes of an unfinished sequence from the
                # previous chunk; exc.start counts from the start of what it was given.
                return max(done - len(exc.object) + len(chunk), 0) + exc.start, encoding
            done += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return done, encoding
    return None, encoding


def localname(el: etree._Element) -> str:
    """Tag without namespace."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
