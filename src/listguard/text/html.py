"""HTML to visible text, with every character at the offset it has in the original.

Why blank instead of delete: a mention must point back into the document the user gave us
(``start``/``end`` are offsets into *their* file, so a UI can highlight the name in the page).
Deleting tags would need an offset map and a bisect per lookup; replacing every markup
character with a space (and a decoded entity with its character padded by a filler) keeps the
visible text exactly as long as the input, so an offset in one is the same offset in the other.

* Tags become spaces. Block-level tags (``<p>``, ``<div>``, ``<br>``, ``<li>``, ``<td>``...)
  start with a line break, and the closing ones end with one, so that two paragraphs never
  run into one name and a blank line separates blocks (the extractor treats a blank line as a
  hard boundary, a single line break as a soft one a name may be split across).
* ``<script>``, ``<style>``, ``<template>``, comments, CDATA and processing instructions are
  blanked entirely: they are not text a reader sees.
* Character references (``&amp;``, ``&#233;``, ``&eacute;``) become the character followed by
  :data:`FILLER` characters up to the reference's length. The extractor treats the filler as part
  of a word and removes it, so ``Caf&eacute;s`` still reads as one word.

It is a tolerant scanner, not a validating parser: real-world HTML (unclosed tags, ``<`` in
text, truncated files) must never stop screening, and it runs in linear time on any input.
"""

from __future__ import annotations

import html as _stdlib_html
import re

#: Pads a decoded character reference to the reference's length. A soft hyphen: invisible in
#: text, never part of a name, and kept inside a word by the extractor's word pattern.
FILLER = "\u00ad"

_BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html
    iframe legend li link main menu meta nav noscript ol optgroup option p pre section summary
    table tbody td tfoot th thead title tr ul""".split()
)
_SKIP_CONTENT = ("script", "style", "template", "noscript")

# One scanner for everything that is markup. Order matters: comments and CDATA first.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"  # comment (unterminated: to the end)
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<![^>]*>?"  # doctype
    r"|<\?.*?(?:\?>|\Z)"  # processing instruction
    r"|<(/?)([A-Za-z][A-Za-z0-9:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>?"  # tag with attributes
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?",
    re.DOTALL,
)
_CLOSE_SKIP = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _SKIP_CONTENT}
_WS_ONLY = re.compile(r"[^\n]")


def _blank(chunk: str) -> str:
    """Spaces, keeping the line breaks a chunk had (so line numbers survive)."""
    return _WS_ONLY.sub(" ", chunk)


def _entity(ref: str) -> str:
    """The character a reference stands for, padded to the reference's length."""
    decoded = _stdlib_html.unescape(ref)
    if decoded == ref or not decoded:
        return ref  # not a known reference: leave it as text
    if len(decoded) > len(ref):  # cannot happen for HTML5 references; be safe
        return ref
    if decoded in ("\u00a0", "\u2002", "\u2003", "\u2009"):
        decoded = " "
    return decoded + FILLER * (len(ref) - len(decoded))


def html_to_text(source: str) -> str:
    """The visible text of ``source``, exactly as long as ``source`` (see the module doc)."""
    out: list[str] = []
    pos = 0
    n = len(source)
    while pos < n:
        m = _MARKUP.search(source, pos)
        if m is None:
            out.append(source[pos:])
            break
        out.append(source[pos : m.start()])
        token = m.group(0)
        if token[0] == "&":
            out.append(_entity(token))
            pos = m.end()
            continue
        name = (m.group(2) or "").lower()
        closing = bool(m.group(1))
        if name in _SKIP_CONTENT and not closing and not token.endswith("/>"):
            close = _CLOSE_SKIP[name].search(source, m.end())
            end = close.end() if close else n
            out.append(_blank(source[m.start() : end]))
            pos = end
            continue
        blank = _blank(token)
        if name in _BLOCK_TAGS and len(blank) >= 2:
            # a block boundary: a line break at the start (and at the end of a closing tag),
            # so that "</p><p>" reads as a blank line
            blank = "\n" + blank[1:]
            if closing or name in ("br", "hr"):
                blank = blank[:-1] + "\n"
        out.append(blank)
        pos = m.end()
    text = "".join(out)
    assert len(text) == n, "html_to_text must preserve length"
    return text


_HTML_SNIFF = re.compile(
    r"<!doctype\s+html|<html[\s>]|<body[\s>]|<(?:p|div|span|br|a|b|i|em|strong|h[1-6]|li|td)[\s/>]",
    re.IGNORECASE,
)


def looks_like_html(text: str) -> bool:
    """A cheap sniff on the first 4 KB: a doctype, or a few common tags."""
    head = text[:4096]
    return len(_HTML_SNIFF.findall(head)) >= 2 or head.lstrip().lower().startswith(("<!doctype html", "<html"))
