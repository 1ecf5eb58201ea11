"""Reading a document to screen: refuse what is not text, decode what is, strip the markup.

Why here and not in the command: the API and the message screener read documents too, and
all of them must refuse the same things the same way (binary files, enormous files), with a
message a user can act on, before any work starts.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from listguard.text.html import html_to_text, looks_like_html
from listguard.text.markdown import looks_like_markdown, markdown_to_text

#: Formats a document can be read as.
FORMATS = ("auto", "text", "html", "markdown")

#: Default size limit for one document (``$LISTGUARD_MAX_TEXT_MB`` overrides). News articles
#: and contracts are kilobytes; a multi-megabyte "document" is a mistake or a dump that should
#: be split, and screening it in one request would hold a worker for seconds.
DEFAULT_MAX_TEXT_MB = 20.0


class DocumentError(ValueError):
    """A document that cannot be screened; the message says why and what to do."""


def max_text_bytes() -> int:
    """The size limit in bytes (``$LISTGUARD_MAX_TEXT_MB``, default 20 MB)."""
    try:
        mb = float(os.environ.get("LISTGUARD_MAX_TEXT_MB", DEFAULT_MAX_TEXT_MB))
    except ValueError:
        mb = DEFAULT_MAX_TEXT_MB
    return int(mb * 1024 * 1024)


@dataclass(frozen=True)
class Document:
    """A decoded document: ``original`` as given, ``visible`` the same length with markup blanked."""

    original: str
    visible: str
    format: str  # "text", "html" or "markdown"

    @property
    def is_markup(self) -> bool:
        return self.format != "text"

    def mention_text(self, start: int, end: int) -> str:
        """The text of a span as a reader sees it.

        For plain text that is exactly ``original[start:end]``; for HTML/Markdown the visible
        characters with the blanked markup folded to single spaces.
        """
        if not self.is_markup:
            return self.original[start:end]
        from listguard.text.html import FILLER

        return " ".join(self.visible[start:end].replace(FILLER, "").split())


def check_binary(data: bytes, what: str = "input") -> None:
    """Refuse bytes that are not text: NUL bytes, or a lot of control characters.

    UTF-16/32 with a BOM are text (and have NULs), so they are let through to the decoder.
    """
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return
    if b"\x00" in head:
        raise DocumentError(
            f"{what} looks binary (it contains NUL bytes); screen-text reads plain text, HTML or "
            "Markdown. Convert PDFs and office documents to text first (e.g. pdftotext)"
        )
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.05:
        raise DocumentError(
            f"{what} looks binary ({controls} control bytes in the first {len(head)}); "
            "screen-text reads plain text, HTML or Markdown"
        )


def decode(data: bytes, what: str = "input") -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with a BOM, else Windows-1252.

    Windows-1252 decodes any byte string, which is the point: a mis-encoded e-mail must still
    be screened (its ASCII names are intact) rather than refused.
    """
    check_binary(data, what)
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise DocumentError(f"{what}: invalid {codec} at byte {exc.start}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_format(text: str, name: str | None = None) -> str:
    """``html``/``markdown``/``text``, by file extension first, then by a sniff of the content."""
    if name:
        suffix = Path(name).suffix.lower()
        if suffix in (".html", ".htm", ".xhtml"):
            return "html"
        if suffix in (".md", ".markdown", ".mdown"):
            return "markdown"
        if suffix in (".txt", ".text"):
            return "text"
    if looks_like_html(text):
        return "html"
    if looks_like_markdown(text):
        return "markdown"
    return "text"


def make_document(text: str, format: str = "auto", name: str | None = None) -> Document:
    """Strip the markup of ``text`` (format ``auto`` detects it)."""
    if format not in FORMATS:
        raise DocumentError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if format == "auto":
        format = detect_format(text, name)
    if format == "html":
        return Document(text, html_to_text(text), "html")
    if format == "markdown":
        return Document(text, markdown_to_text(text), "markdown")
    return Document(text, text, "text")


def read_bytes_limited(path: Path | None, max_bytes: int | None = None) -> bytes:
    """Read a file (or stdin when ``path`` is None / ``-``) refusing more than ``max_bytes``.

    Reads at most ``max_bytes + 1`` bytes, so an endless pipe or a huge file costs nothing.
    """
    limit = max_text_bytes() if max_bytes is None else max_bytes
    if path is None or str(path) == "-":
        import sys

        data = sys.stdin.buffer.read(limit + 1)
        what = "standard input"
    else:
        if not path.exists():
            raise DocumentError(f"{path}: file not found")
        if path.is_dir():
            raise DocumentError(f"{path}: is a folder; give a file (or - for standard input)")
        size = path.stat().st_size
        if size > limit:
            raise DocumentError(
                f"{path}: {size / 1e6:,.1f} MB is over the {limit / 1e6:,.1f} MB limit for one "
                "document; split it, or raise LISTGUARD_MAX_TEXT_MB"
            )
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
        what = str(path)
    if len(data) > limit:
        raise DocumentError(
            f"{what}: over the {limit / 1e6:,.1f} MB limit for one document; split it, or raise "
            "LISTGUARD_MAX_TEXT_MB"
        )
    return data


def load_document(path: Path | None, format: str = "auto", max_bytes: int | None = None) -> Document:
    """Read, check, decode and strip one document (``None`` or ``-`` reads standard input)."""
    data = read_bytes_limited(path, max_bytes)
    name = None if path is None or str(path) == "-" else str(path)
    text = decode(data, name or "standard input")
    return make_document(text, format, name)
