"""Input hygiene before a name is analysed: markup, invisible characters and look-alike letters.

Why: screening input comes from web forms, payment messages and scraped pages. A name wrapped
in markup ("Eric <script>alert(2)</script> Badege"), split by a zero-width space or a soft
hyphen, or spelled with a Cyrillic "а" inside a Latin word looks the same to a person and
entirely different to a matcher, so each of these could hide a listed party. They are removed
or folded here, for listed names and queries alike, and :func:`cleaning_notes` says what was
done so the explanation of a hit can tell the analyst.
"""

from __future__ import annotations

import html
import re
import unicodedata

_ELEMENT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!/?][^<>]{0,500}>")
#: Cyrillic and Greek letters drawn like Latin ones (Unicode confusables), by the Latin letter.
_TO_LATIN = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "У": "Y",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "υ": "u", "ι": "i", "κ": "k",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})  # fmt: skip
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC_OR_GREEK = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
#: Characters of Unicode categories Cc, Cf, Zl and Zp outside ASCII, and ASCII controls: a cheap
#: test before the exact per-character pass.
_INVISIBLE_OR_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "L"
    if name.startswith("CYRILLIC"):
        return "C"
    if name.startswith("GREEK"):
        return "G"
    return ""


def _fold_word(m: re.Match[str]) -> str:
    word = m.group(0)
    scripts = {_script(ch) for ch in word if ch.isalpha()} - {""}
    if "L" not in scripts or len(scripts) < 2:
        return word
    latin = sum(1 for ch in word if _script(ch) == "L")
    other = sum(1 for ch in word if _script(ch) in ("C", "G"))
    folded = word.translate(_TO_LATIN)
    # a Latin word with look-alike letters inside; a Cyrillic word with a few Latin letters is
    # left as it is (its romanisation handles it)
    if latin >= other and all(_script(ch) != "C" and _script(ch) != "G" for ch in folded):
        return folded
    return word


def clean_text(text: str) -> str:
    """``text`` without markup, control or invisible characters, with look-alike letters in
    mixed-script words folded to Latin."""
    if "<" in text:
        text = _TAG.sub(" ", _ELEMENT.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        if _INVISIBLE_OR_CONTROL.search(text):
            text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                           for ch in text if unicodedata.category(ch) != "Cf")
        if _LATIN.search(text) and _CYRILLIC_OR_GREEK.search(text):
            text = _WORD.sub(_fold_word, text)
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        text = "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)
    return text


def cleaning_notes(text: str) -> list[str]:
    """What :func:`clean_text` changed in ``text``, in words (empty when nothing)."""
    notes = []
    if "<" in text and (_TAG.search(text) or _ELEMENT.search(text)):
        notes.append("markup removed")
    if not text.isascii():
        if any(unicodedata.category(ch) == "Cf" for ch in text):
            notes.append("invisible characters removed")
        if any(_fold_word(m) != m.group(0) for m in _WORD.finditer(text)):
            notes.append("look-alike letters from another script read as Latin")
    if any(unicodedata.category(ch) in ("Cc",) for ch in text):
        notes.append("control characters removed")
    return notes


__all__ = ["clean_text", "cleaning_notes"]
