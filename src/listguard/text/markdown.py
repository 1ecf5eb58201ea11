"""Markdown to visible text by blanking the syntax, so offsets stay those of the original.

Same reasoning as :mod:`listguard.text.html`: the visible text has exactly the length of the
input, markup characters replaced by spaces, so a mention's ``start``/``end`` point into the
user's Markdown file without any offset map. What is blanked:

* link and image syntax around the visible label (``[JONG Song Hwa](https://...)`` keeps
  ``JONG Song Hwa``), reference definitions, autolinks and bare URLs;
* heading hashes, blockquote markers, list bullets and numbers, table pipes, rules;
* emphasis and code markers (``*``, ``_``, ``~~``, backticks) at word boundaries: an
  underscore inside a word (``snake_case``) is left alone;
* backslash escapes (the backslash goes, the character stays);
* inline HTML, through the HTML blanker.

Fenced code keeps its content (names in a pasted table or log are still names); only the fence
lines go. Not a CommonMark parser: it never fails and runs in linear time.
"""

from __future__ import annotations

import re

from listguard.text.html import html_to_text

_NON_NL = re.compile(r"[^\n]")


def _spaces(m: re.Match[str]) -> str:
    return _NON_NL.sub(" ", m.group(0))


_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", re.MULTILINE)
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+[^\n]*$", re.MULTILINE)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?=[ \t]|$)|[ \t]+#+[ \t]*$", re.MULTILINE)
_SETEXT = re.compile(r"^[ \t]*(?:=+|-{2,}|\*{3,}|_{3,})[ \t]*$", re.MULTILINE)
_QUOTE = re.compile(r"^(?:[ \t]*>)+", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?=[ \t])", re.MULTILINE)
_TABLE = re.compile(r"\|")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)
# ![alt](url "title") and [label](url): keep alt/label, blank the rest
_INLINE_LINK = re.compile(r"(!?\[)([^\]\n]*)(\]\([^)\n]*\))")
# [label][ref] and [label][]
_REF_LINK = re.compile(r"(!?\[)([^\]\n]*)(\]\[[^\]\n]*\])")
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>|<[^@\s>]+@[^@\s>]+>")
_BARE_URL = re.compile(r"\bhttps?://[^\s<>()]+")
_ESCAPE = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!|~<>])")
_EMPHASIS = re.compile(r"(?<![\w*_~`])[*_~`]+(?=\S)|(?<=\S)[*_~`]+(?![\w*_~`])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]\w*);")


def _link(m: re.Match[str]) -> str:
    return " " * len(m.group(1)) + m.group(2) + " " * len(m.group(3))


def markdown_to_text(source: str) -> str:
    """The visible text of Markdown ``source``, exactly as long as ``source``."""
    text = source
    text = _FENCE.sub(_spaces, text)
    text = _REF_DEF.sub(_spaces, text)
    if _HTML_TAG.search(text):
        text = html_to_text(text)
    text = _INLINE_LINK.sub(_link, text)
    text = _REF_LINK.sub(_link, text)
    text = _AUTOLINK.sub(_spaces, text)
    text = _BARE_URL.sub(_spaces, text)
    text = _TABLE_RULE.sub(_spaces, text)
    text = _HEADING.sub(_spaces, text)
    text = _SETEXT.sub(_spaces, text)
    text = _QUOTE.sub(_spaces, text)
    text = _BULLET.sub(_spaces, text)
    text = _TABLE.sub(" ", text)
    text = _ESCAPE.sub(" ", text)
    text = _EMPHASIS.sub(_spaces, text)
    assert len(text) == len(source), "markdown_to_text must preserve length"
    return text


_MD_SNIFF = re.compile(
    r"^#{1,6} \S|^\s*[-*+] \S|\[[^\]\n]+\]\([^)\n]+\)|^\s*```|\*\*\S", re.MULTILINE
)


def looks_like_markdown(text: str) -> bool:
    """At least two Markdown constructs in the first 4 KB."""
    return len(_MD_SNIFF.findall(text[:4096])) >= 2
