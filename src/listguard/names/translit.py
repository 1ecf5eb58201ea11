"""Romanisation of one name token from any script the lists use, to lower-case ASCII.

Why a module of its own: the lists write the same person in many scripts (OFAC and DFAT carry
original-script names; customers type names in their own script), and every later step
(phonetic keys, edit distance, the index) works on ASCII. Three families need different
treatment, so :func:`romanise` also reports a *script class* that tells the comparer how much to
trust the vowels of the result:

* alphabets with vowels (Latin, Cyrillic, Greek, Armenian, Georgian, ...): rigour's Rust
  ``maybe_ascii`` (fast, and the spellings lists use: ``Шевченко -> shevchenko``);
* abjads (Arabic, Persian, Pashto, Urdu, Hebrew, Syriac, Thaana): ICU, but the result has no
  short vowels (``محمد -> mhmd``), so comparison must be on consonant skeletons;
* syllabic scripts without spaces between the parts of a name (Hangul, Han, kana): we emit one
  piece per syllable (``김정은 -> gim jeong eun``) so the aligner can re-join them the way a
  Latin spelling does (``Kim Jong Un`` / ``Kim Jong-un`` / ``Kim Jongun``).

Khmer has no ICU transliterator; a small table covers it. Everything is cached per token: the
vocabulary of names is small compared with the number of times tokens are seen.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Callable

from rigour._core import maybe_ascii, text_scripts

#: Script classes (plain ints: they are stored on every token).
LATIN = 0  #: alphabetic script with written vowels
ABJAD = 1  #: consonant script, vowels mostly unwritten
HANGUL = 2
HAN = 3
KANA = 4
OTHER = 5  #: abugidas and the rest (Indic, Thai, Khmer, Myanmar, Ethiopic...)

SCRIPT_NAMES = {
    LATIN: "latin",
    ABJAD: "abjad",
    HANGUL: "hangul",
    HAN: "han",
    KANA: "kana",
    OTHER: "other",
}

_ALPHABETS = {"Latin", "Cyrillic", "Greek", "Armenian", "Georgian", "Common", "Inherited"}
_ABJADS = {"Arabic", "Hebrew", "Syriac", "Thaana"}

_ICU_CACHE: dict[str, Callable[[str], str]] = {}


def _icu(rule: str) -> Callable[[str], str]:
    """One ICU transliterator per rule, built once (construction costs ~1 ms)."""
    fn = _ICU_CACHE.get(rule)
    if fn is None:
        from icu import Transliterator  # imported lazily: PyICU start-up is not free

        fn = Transliterator.createInstance(rule).transliterate
        _ICU_CACHE[rule] = fn
    return fn


_ANY_ASCII = "Any-Latin; NFKD; [:Nonspacing Mark:] Remove; Latin-ASCII"
_HAN_ASCII = "Han-Latin/Names; NFKD; [:Nonspacing Mark:] Remove; Latin-ASCII"

# Slavic/Baltic/Turkic letters whose plain ASCII fold loses a sound the other romanisations
# keep (``č`` is ``ch`` in English spellings of the same name).
_LATIN_DIGRAPHS = str.maketrans(
    {
        "č": "ch",
        "š": "sh",
        "ž": "zh",
        "ć": "ch",
        "ś": "sh",
        "ź": "z",
        "ş": "sh",
        "ș": "sh",
        "ț": "ts",
        "ğ": "g",
        "ı": "i",
        "ł": "l",
        "đ": "dj",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "å": "a",
        "ə": "a",
    }
)

# Letters ICU leaves untouched (Urdu/Pashto extensions, Mongolian Cyrillic...).
_FALLBACK = {
    "ٹ": "t",
    "ڈ": "d",
    "ڑ": "r",
    "ں": "n",
    "ے": "e",
    "ھ": "h",
    "ټ": "t",
    "ډ": "d",
    "ړ": "r",
    "ږ": "zh",
    "ښ": "sh",
    "ځ": "dz",
    "څ": "ts",
    "ڼ": "n",
    "ۍ": "y",
    "ې": "e",
    "ү": "u",
    "ө": "o",
    "һ": "h",
    "ә": "a",
    "ғ": "g",
    "қ": "k",
    "ң": "ng",
    "ұ": "u",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
    "ў": "u",
}

# --------------------------------------------------------------------------------- Hangul
# Revised Romanisation, syllable by syllable. Korean names are family name + (usually) a
# two-syllable given name, and Latin spellings split or join those syllables freely.
_H_INITIAL = (
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h",
)  # fmt: skip
_H_MEDIAL = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
)  # fmt: skip
_H_FINAL = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "p", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
)  # fmt: skip


def _hangul_syllables(text: str) -> list[str]:
    out: list[str] = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            initial, rest = divmod(code, 588)
            medial, final = divmod(rest, 28)
            # Initial ㄹ is written "r" by RR but "l"/"r"/nothing by other systems; keep "r".
            out.append(_H_INITIAL[initial] + _H_MEDIAL[medial] + _H_FINAL[final])
        elif ch.isalnum():
            romanised = maybe_ascii(ch)
            if romanised.isascii() and romanised:
                out.append(romanised.lower())
    return out


# ---------------------------------------------------------------------------------- Khmer
# ICU has no Khmer-Latin; UNGEGN-like values for consonants and dependent vowels are enough
# for names (``ប៉ុល ពត -> pol pot``).
_KHMER_CONS = {
    "ក": "k", "ខ": "kh", "គ": "k", "ឃ": "kh", "ង": "ng", "ច": "ch", "ឆ": "chh", "ជ": "ch",
    "ឈ": "chh", "ញ": "nh", "ដ": "d", "ឋ": "th", "ឌ": "d", "ឍ": "th", "ណ": "n", "ត": "t",
    "ថ": "th", "ទ": "t", "ធ": "th", "ន": "n", "ប": "b", "ផ": "ph", "ព": "p", "ភ": "ph",
    "ម": "m", "យ": "y", "រ": "r", "ល": "l", "វ": "v", "ឝ": "sh", "ឞ": "ss", "ស": "s",
    "ហ": "h", "ឡ": "l", "អ": "",
}  # fmt: skip
_KHMER_VOWELS = {
    "ា": "a", "ិ": "e", "ី": "i", "ឹ": "oe", "ឺ": "eu", "ុ": "o", "ូ": "u", "ួ": "uo",
    "ើ": "ae", "ឿ": "oea", "ៀ": "ie", "េ": "e", "ែ": "ae", "ៃ": "ai", "ោ": "ao", "ៅ": "au",
    "ុំ": "om", "ំ": "m", "ះ": "h", "ឥ": "e", "ឦ": "ei", "ឧ": "o", "ឩ": "ou", "ឪ": "ov",
    "ឫ": "rue", "ឬ": "rueu", "ឭ": "lue", "ឮ": "lueu", "ឯ": "ae", "ឰ": "ai", "ឱ": "ao",
    "ឲ": "ao", "ឳ": "au",
}  # fmt: skip


def _khmer(text: str) -> str:
    out: list[str] = []
    prev_cons = False
    for ch in text:
        if ch in _KHMER_CONS:
            if prev_cons:
                out.append("o")  # inherent vowel of the previous consonant
            out.append(_KHMER_CONS[ch])
            prev_cons = True
        elif ch in _KHMER_VOWELS:
            out.append(_KHMER_VOWELS[ch])
            prev_cons = False
        elif ch == "្":  # coeng: next consonant is subscript, no inherent vowel
            prev_cons = False
        # other signs (diacritics, viriam...) carry no sound a romanisation writes
    return "".join(out)


_INDIC = ("Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala")


def _inherent_final(token: str) -> bool:
    """The word is in an Indic script and ends in a consonant letter with no vowel sign."""
    last = token[-1]
    if unicodedata.category(last) != "Lo":
        return False
    try:
        name = unicodedata.name(last)
    except ValueError:
        return False
    return name.startswith(tuple(s.upper() for s in _INDIC)) and " LETTER " in name and not any(
        v in name for v in (" LETTER A", " LETTER I", " LETTER U", " LETTER E", " LETTER O", " LETTER AA", " LETTER II", " LETTER UU", " LETTER AI", " LETTER AU")
    )


# ------------------------------------------------------------------------------ the entry


def _ascii_letters(text: str) -> str:
    """Lower-case ASCII letters and digits only; anything else becomes a space."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower() if ch.isalnum() else " ")
        else:
            rep = _FALLBACK.get(ch)
            if rep is None:
                decomposed = unicodedata.normalize("NFKD", ch)
                rep = "".join(c for c in decomposed if c.isascii() and c.isalnum())
            out.append(rep.lower())
    return "".join(out)


def script_class(token: str) -> int:
    """The script class of a raw token (see the module docstring)."""
    if token.isascii():
        return LATIN
    scripts = text_scripts(token)
    if not scripts or scripts <= _ALPHABETS:
        return LATIN
    if scripts & _ABJADS:
        return ABJAD
    if "Hangul" in scripts:
        return HANGUL
    if "Han" in scripts and not scripts & {"Hiragana", "Katakana"}:
        return HAN
    if scripts & {"Hiragana", "Katakana"}:
        return KANA
    return OTHER


@lru_cache(maxsize=200_000)
def romanise(token: str) -> tuple[tuple[str, ...], int]:
    """Romanise one casefolded raw token.

    Returns ``(pieces, script_class)``. ``pieces`` is one ASCII word for alphabetic scripts,
    and one word per syllable for Hangul and Han, where Latin spellings split or join the
    syllables of a name at will. Empty pieces are dropped.
    """
    if token.isascii():
        word = _ascii_letters(token).replace(" ", "")
        return ((word,) if word else ()), LATIN
    cls = script_class(token)
    if cls == LATIN:
        text = maybe_ascii(token.translate(_LATIN_DIGRAPHS))
        if not text.isascii():
            text = _icu(_ANY_ASCII)(text)
        word = _ascii_letters(text).replace(" ", "")
        return ((word,) if word else ()), LATIN
    if cls == HANGUL:
        return tuple(s for s in _hangul_syllables(token) if s), HANGUL
    if cls == HAN:
        # one piece per character, so that the comparer can tell two characters that read
        # alike (石/市, both "shi") from one character
        pieces = []
        for ch in token:
            piece = _ascii_letters(_icu(_HAN_ASCII)(ch)).replace(" ", "")
            if piece:
                pieces.append(piece)
        return tuple(pieces), HAN
    if "Khmer" in text_scripts(token):
        word = _khmer(token)
        return ((word,) if word else ()), OTHER
    if cls == ABJAD:
        # ta marbuta is pronounced -a at the end of a name (Samira, Fatima), not -t
        token = token.replace("ة", "ا").replace("ى", "ا")  # and alif maqsura is -a (Musa, Mustafa)
    text = _icu(_ANY_ASCII)(token)
    word = _ascii_letters(text).replace(" ", "")
    if cls == OTHER and len(word) > 2 and word.endswith("a") and word[-2] not in "aeiou" and _inherent_final(token):
        # An Indic word ending in a bare consonant is romanised with its inherent vowel
        # (भरत -> bharata) but pronounced and spelled without it (Bharat, Putin).
        word = word[:-1]
    return ((word,) if word else ()), cls
