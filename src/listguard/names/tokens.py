"""From a name string to typed tokens: the unit every comparison and index key is built on.

A name is split into tokens and each token gets a *kind*, because kinds compare differently:

* ``NAME``: an ordinary name part. Compared by spelling, romanisation key and known variants.
* ``PARTICLE``: ``al``/``el``, ``bin``/``ibn``/``ben``, ``de``/``van``/``von``, ``of``/``and``.
  They carry almost no identity, and their spellings are folded to one canonical particle.
* ``NUMBER``: ``3``, ``three``, ``3rd``, ``III``, ``No. 8``. A *different* number is strong
  evidence of a different party (sister ships, ``Fund III`` vs ``Fund IV``).
* ``INITIAL``: a single letter in a person name (``N. Nazarbayev``); matches a name starting
  with it, conflicts with one that does not.
* ``HONORIFIC``: ``haji``, ``mullah``, ``shaikh``, ``sayyid``: part of how a person is named
  on the lists, but weak, and often dropped by whoever types the name.

Titles (``Mr``, ``President``, ``Präsident``...) are removed. Company legal forms are removed from
the token list and kept aside as canonical forms plus a generic class (``OOO``, ``LLC`` and
``Limited Liability Company`` are one class; ``ANO`` is another), because they are compared as
a whole: the same class is neutral, a different class is a conflict, a missing one is nothing.

Everything here is cached: tokens by their text, names by their string.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from rigour._core import ordinals_dict, person_name_prefixes_list
from rigour.names.org_types import extract_org_types, replace_org_types_compare

from listguard.names.clean import clean_text
from listguard.names.numbers import merge_number_phrases

from listguard.names.phonetic import broad_key, broad_key_rless, fold_key, loose_key, skeleton
from listguard.names.translit import ABJAD, HAN, HANGUL, KANA, LATIN, romanise

# token kinds
NAME = 0
PARTICLE = 1
NUMBER = 2
INITIAL = 3
HONORIFIC = 4

KIND_NAMES = {NAME: "name", PARTICLE: "particle", NUMBER: "number", INITIAL: "initial", HONORIFIC: "honorific"}

# name tags (what sort of party a name belongs to)
PER = "PER"
ORG = "ORG"
OBJ = "OBJ"  # vessels, aircraft
ANY = "ANY"  # unknown: a query without a schema, LegalEntity

SCHEMA_TAGS = {
    "Person": PER,
    "Organization": ORG,
    "Company": ORG,
    "PublicBody": ORG,
    "Vessel": OBJ,
    "Airplane": OBJ,
    "LegalEntity": ANY,
}


def tag_for_schema(schema: str | None) -> str:
    return SCHEMA_TAGS.get(schema or "", ANY)


# ------------------------------------------------------------------------------ word lists
#: Particle spellings -> canonical particle. Person and organisation names share the list;
#: the words are rarely anything else in a name.
PARTICLES: dict[str, str] = {}
for _canon, _spellings in {
    "al": "al el ul ol il ad ar as ash at az an adh ath",
    "bin": "bin ibn ben bn bint binti bte binte ibnu",
    "abu": "abu abou abo",
    "de": "de da di do du del della dela dos das des dei degli de la le",
    "van": "van von vom ten ter den der het",
    "of": "of",
    "and": "and und et y e i &",
    "the": "the",
    "for": "for",
    "in": "in",
    "zu": "zu",
    "bey": "bey",
}.items():
    for _s in _spellings.split():
        PARTICLES.setdefault(_s, _canon)
# "abu" is a particle-like kunya marker but carries some identity; it is kept as a name part.
del PARTICLES["abu"], PARTICLES["abou"], PARTICLES["abo"]
# Articles and prepositions of company names that no person-naming custom uses as a particle:
# in a person's name they are name parts (the Korean syllable In, the Chinese given name Den).
_NOT_PERSON_PARTICLES = frozenset({"in", "het", "den", "the", "of", "and", "und", "et"})
# Single-letter particles are only particles between two other tokens ("Hennes y Mauritz").
_WEAK_PARTICLES = frozenset({"y", "e", "i", "la", "le", "in", "do", "den", "het", "dei"})

#: Honorifics that are part of how lists name people (kept, weak).
HONORIFICS = frozenset(
    """haji hajji hadji alhaj alhajj hajj mullah mulla molla mollah mullo maulvi mawlawi maulavi
    mawlavi moulvi maulana mowlana qari shaikh sheikh shaykh sheik cheikh syed sayed sayyid sayyed
    seyed seyyed sayid""".split()
)
# "Mir", "Amir", "Mirza", "Khwaja", "Hafiz" are as often given names as titles: they are names.

#: Titles (removed): rigour's person-name prefixes plus the abbreviated ranks and forms of
#: address lists and customer files write. Titles that are also given names (Prince, King,
#: Sultan, Amir...) are names unless at least two other words remain (see _strip_titles).
_EXTRA_TITLES = """gen col lt ltc maj capt brig adm sgt dr prof eng engineer mr mrs ms mme mlle sir dame
lord lady madam monsieur herr frau senor senora sra sr srta don dona dom his her excellency he hon
honourable honorable rev reverend father sheikha king queen prince princess emir amir sultan
general major""".split()
_AMBIGUOUS_TITLES = frozenset({"emir", "amir", "sultan", "king", "queen", "prince", "princess", "father", "don",
                               "general", "major", "he", "his", "her", "dom", "sr", "dona", "lord", "lady"})


def _title_words() -> frozenset[str]:
    words: set[str] = set(_EXTRA_TITLES)
    for prefix in person_name_prefixes_list():
        folded = _fold_text(prefix)
        parts = folded.split()
        if len(parts) == 1:
            words.add(parts[0])
    return frozenset(words - {"the"})


def _fold_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


TITLES: frozenset[str] = frozenset()

#: Titles written in Arabic or Persian script, matched on the written word (their
#: romanisations, like "syd", are also names: Saeed).
_ABJAD_TITLES = frozenset(
    """السيد السيدة الآنسة الانسة السادة المهندس المهندسة الدكتور الدكتورة الأستاذ الأستاذة الاستاذ
    الاستاذة الشيخة الحاجة الرئيس آقای آقا خانم دکتر مهندس جناب سرکار""".split()
)

#: Vessel/aircraft prefixes (removed at the start of object names).
OBJ_PREFIXES = frozenset({"mv", "mt", "ss", "m", "t", "v", "fv", "rv", "my", "sy", "ms", "hms", "tb", "lpg", "lng"})

#: Legal forms rigour's table misses (canonical, generic class).
_EXTRA_LEGAL: dict[tuple[str, ...], tuple[str, str]] = {
    ("as",): ("as", "jsc"),
    ("a", "s"): ("as", "jsc"),
    ("ano",): ("ano", "npo"),
    ("nko",): ("nko", "npo"),
    ("fgup",): ("fgup", "soe"),
    ("gup",): ("gup", "soe"),
    ("mup",): ("mup", "soe"),
    ("fzco",): ("fzco", "llc"),
    ("fze",): ("fze", "llc"),
    ("fzc",): ("fzc", "llc"),
    ("fz", "llc"): ("fzllc", "llc"),
    ("dmcc",): ("dmcc", "llc"),
    ("pte", "ltd"): ("pteltd", "llc"),
    ("pvt", "ltd"): ("pvtltd", "llc"),
    ("private", "limited"): ("pvtltd", "llc"),
    ("sdn", "bhd"): ("sdnbhd", "llc"),
    ("bhd",): ("bhd", "jsc"),
    ("tov",): ("tov", "llc"),
    ("pat",): ("pat", "jsc"),
    ("prat",): ("prat", "jsc"),
}

#: Generic org words that identify nothing on their own; weight is capped low for them even
#: when the index has few of them (the frequency table covers the rest).
ORG_GENERIC = frozenset(
    """company co corp corporation group holding holdings trading trade international intl
    limited ltd inc incorporated enterprise enterprises industries industry industrial services
    service global general import export imports exports importexport co ltd llc jsc ojsc cjsc
    pjsc partners partnership establishment est firm factory plant organisation organization
    association foundation fund agency office center centre bureau""".split()
)

_LEGAL_WORDS: set[str] = set()
_LEGAL_DELETES: set[str] = set()


def _legal_words() -> set[str]:
    """Words of legal-form names in many languages ("aktsionernoye", "gesellschaft",
    "liability"). rigour recognises legal forms written the way its table spells them; these
    catch the rest: other transliterations, and typos in them."""
    if not _LEGAL_WORDS:
        from importlib import resources

        try:
            text = resources.files("listguard.data").joinpath("legal_words.txt").read_text("utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            text = ""
        for line in text.splitlines():
            if line and not line.startswith("#"):
                _LEGAL_WORDS.add(line.strip())
        for w in _LEGAL_WORDS:
            if len(w) >= 6:
                for i in range(len(w)):
                    _LEGAL_DELETES.add(w[:i] + w[i + 1 :])
    return _LEGAL_WORDS


def is_legal_word(word: str) -> bool:
    """A legal-form word, or one typo away from one (for words of six letters or more)."""
    words = _legal_words()
    if word in words:
        return True
    if len(word) < 6:
        return False
    if word in _LEGAL_DELETES:
        return True  # one letter missing, or one letter doubled/swapped... (via deletions)
    for i in range(len(word)):
        d = word[:i] + word[i + 1 :]
        if d in words or d in _LEGAL_DELETES:
            return True
    return False


_LEGAL_GENERIC = frozenset({"company", "companies", "co", "corporation", "corp", "incorporated", "inc", "limited", "ltd", "llc"})


def _strip_legal_phrases(
    items: list[tuple[tuple[str, ...], int, str]],
) -> tuple[list[tuple[tuple[str, ...], int, str]], list[str]]:
    """Remove legal-form phrases rigour's table did not catch (other transliterations, typos:
    "Aktsionernoye Obshchestvo", "Societe a Responsabilite Limitee", "Joinnt Stock").

    Only a run of two or more legal words (short connecting words allowed inside) that opens
    or closes the name counts: a lone "Cooperative" in "Cooperative Development Bank" is a name.
    """

    def strict(it: tuple[tuple[str, ...], int, str]) -> bool:
        return len(it[0]) == 1 and it[1] == LATIN and is_legal_word(it[0][0])

    def legal(it: tuple[tuple[str, ...], int, str]) -> bool:
        return strict(it) or len(it[0]) == 1 and it[0][0] in _LEGAL_GENERIC

    def connector(it: tuple[tuple[str, ...], int, str]) -> bool:
        return len(it[0]) == 1 and len(it[0][0]) <= 3

    n = len(items)
    drop = [False] * n
    for start_at_begin in (True, False):
        order = range(n) if start_at_begin else range(n - 1, -1, -1)
        run: list[int] = []
        count = 0
        strict_count = 0
        for i in order:
            if legal(items[i]):
                run.append(i)
                count += 1
                strict_count += strict(items[i])
            elif connector(items[i]) and run:
                run.append(i)
            else:
                break
        while run and not legal(items[run[-1]]):
            run.pop()
        if count >= 2 and strict_count >= 1 and len(run) < n:
            for i in run:
                drop[i] = True
    if not any(drop):
        return items, []
    removed = ["~" + items[i][0][0] for i in range(n) if drop[i]]
    return [it for i, it in enumerate(items) if not drop[i]], removed


_NUMBER_WORDS: dict[str, int] = {}


def _number_words() -> dict[str, int]:
    if not _NUMBER_WORDS:
        for value, aliases in ordinals_dict().items():
            for alias in aliases:
                folded = _fold_text(alias)
                if re.fullmatch(r"[a-z]+", folded) and len(folded) > 1:
                    _NUMBER_WORDS.setdefault(folded, value)
                m = re.fullmatch(r"(\d+)(st|nd|rd|th|e|er|eme|o|a|ro|do|to|mo|vo|no|ta|te|ste|de|ra|ma|na|va)", folded)
                if m:
                    _NUMBER_WORDS.setdefault(folded, value)
        for word, value in {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}.items():
            _NUMBER_WORDS.setdefault(word, value)
        # roman numerals that are not also common words or initials
        for word in list(_NUMBER_WORDS):
            if word in {"i", "v", "x", "mi", "di", "li", "ci", "vi", "mix", "dim", "mid"}:
                _NUMBER_WORDS.pop(word, None)
    return _NUMBER_WORDS


_ROMAN_RE = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def roman_value(word: str) -> int | None:
    if not word or not _ROMAN_RE.match(word):
        return None
    total = 0
    prev = 0
    for ch in reversed(word):
        val = _ROMAN_VALUES[ch]
        total = total - val if val < prev else total + val
        prev = max(prev, val)
    return total or None


# --------------------------------------------------------------------------------- tokens
class Token(NamedTuple):
    """One token of a name, with everything a comparison needs precomputed.

    ``text`` is the ASCII form, ``key``/``loose``/``skel`` the phonetic keys (see
    :mod:`listguard.names.phonetic`), ``kind`` one of the module constants, ``script`` the
    script class of the original, ``num`` the value of a number token, ``canon`` the canonical
    form of a particle, ``frag`` whether it is one syllable of a Hangul/Han word, ``vform`` the
    key of its known variants (rigour's name database: Mohammed/Muhammad, Jong/Chong...).

    A NamedTuple rather than a dataclass: an index holds hundreds of thousands of these and
    tuples pickle and unpickle an order of magnitude faster.
    """

    text: str
    key: str
    loose: str
    skel: str
    kind: int
    script: int
    num: int
    canon: str
    frag: bool
    raw: str  # the written word this token comes from
    orig: str  # the written characters of this token (differs from raw for syllables)
    vform: str  # the form variant groups are looked up by (see listguard.names.variants)
    broad: str  # broad consonant classes, for comparison with syllabic scripts
    broad2: str  # the same, English-style silent coda r dropped (Latin spellings only)
    sid: str  # identity for similarity caches: the written form and the script


_EMPTY: frozenset[str] = frozenset()
_ORIGIN = {LATIN: "latin", HAN: "han", HANGUL: "hangul", KANA: "kana"}


@lru_cache(maxsize=300_000)
def make_token(text: str, kind: int, script: int, frag: bool, raw: str, tag: str, orig: str = "") -> Token:
    num = -1
    canon = text
    if kind == NUMBER:
        word = _number_words().get(text)  # (zero is a value too: not "or")
        num = int(text) if text.isdigit() else word if word is not None else (roman_value(text) or -1)
        canon = str(num)
    elif kind == PARTICLE:
        canon = PARTICLES.get(text, text)
    return Token(
        text=text,
        key=fold_key(text),
        loose=loose_key(text),
        skel=skeleton(text),
        kind=kind,
        script=script,
        num=num,
        canon=canon,
        frag=frag,
        raw=raw,
        orig=orig or raw,
        vform=("~" + text) if script == ABJAD else ("@" + (orig or raw)) if script in (HAN, HANGUL, KANA) else text,
        broad=broad_key(text, _ORIGIN.get(script, "other")),
        broad2=broad_key_rless(text) if script == LATIN else broad_key(text, _ORIGIN.get(script, "other")),
        sid=f"{script}:{orig if frag and orig else text}",
    )


# ----------------------------------------------------------------------------------- names
class Join(NamedTuple):
    """Adjacent tokens read as one word (``Song Hwa`` as ``songhwa``, ``Abd al`` as ``abdal``).

    Built for every name, used only where parts did not align one to one: the phonetic keys
    are therefore computed on first use (they are cached per text).
    """

    span: tuple[int, ...]
    text: str
    abjad: bool  # a part was romanised from an abjad (compare skeletons)
    latin: bool  # every part was written in an alphabet
    word: str  # "@<word>" when the span is exactly one written Hangul/Han/kana word
    script: int  # script class of the first part
    parts: tuple[str, ...] = ()  # the texts joined
    #: len(text) when the join is plain Latin (no abjad part, not a syllabic word), else -1:
    #: the aligner's cheap length check (plain Latin words 4+ letters apart never match)
    plen: int = -1

    @property
    def key(self) -> str:
        return fold_key(self.text)

    @property
    def loose(self) -> str:
        return loose_key(self.text)

    @property
    def skel(self) -> str:
        return skeleton(self.text)

    @property
    def broad(self) -> str:
        return broad_key(self.text, _ORIGIN.get(self.script, "other"))


class NameForm(NamedTuple):
    """A name ready for comparison: tokens in written order, legal forms set aside."""

    original: str
    tag: str
    tokens: tuple[Token, ...]
    legal: tuple[str, ...]  # canonical legal forms (``ooo``, ``llc``, ``gmbh``...)
    legal_classes: frozenset[str]  # generic classes (``llc``, ``jsc``...)
    joins: tuple[Join, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)


_APOSTROPHES = re.compile(r"[’'`ʼʻ‘ʿʾ´ʹ]")
_NUMBER_MARK = re.compile(r"(?:(?<=\W)|^)(?:no|nr|num|number|n°|nº|№|#)\s*\.?\s*(?=\d)")
_DOTTED = re.compile(r"(?:(?<=\W)|^)((?:\w\.){2,}\w?)(?=\W|$)")
def _separator_class() -> str:
    r"""A regex class of every separator: Unicode punctuation, symbols, spaces and controls.

    Not ``\W``: combining marks (Devanagari, Thai, Khmer vowel signs) are ``\W`` to Python
    but are part of the word they sit on. ``&`` is kept (it is the particle "and"). The zero
    width non-joiner is a separator inside Persian words too, but it joins the parts of one
    word, so it is removed rather than split on (see :func:`_prenormalise`).
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if (cat[0] in "PSZC" or ch.isspace()) and ch != "&" and cp not in (0x200C, 0x200D):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    parts = []
    for a, b in ranges:
        parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
    return "[" + "".join(parts) + "_]+"


_SPLIT = re.compile(_separator_class())
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g", "8": "b"})
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th|e|er|eme|o|a|h|ой|й)$")
_SLASH_ALT = re.compile(r"\s*/\s*")


def split_alternatives(name: str) -> list[str]:
    """``Al-Qa'ida/Islamic Army`` is two names. ``A/S``, ``M/V`` and ``d/b/a`` are not.
    Markup goes first (see :mod:`listguard.names.clean`): ``</b>`` is no alternative."""
    if "<" in name:
        name = clean_text(name)
    if "/" not in name:
        return [name]
    parts = _SLASH_ALT.split(name)
    if len(parts) > 1 and all(len(re.sub(r"\W", "", p)) >= 4 for p in parts):
        return parts
    return [name]


def _dotted(match: re.Match[str]) -> str:
    return match.group(1).replace(".", "")


def _prenormalise(name: str, tag: str) -> str:
    text = unicodedata.normalize("NFKC", clean_text(name)).casefold()
    text = _APOSTROPHES.sub("", text).replace("&", " & ").replace("\u200c", "").replace("\u200d", "")
    text = _NUMBER_MARK.sub(" ", text)
    if tag == PER:
        # "V.V. Putin": dotted letters are separate initials in a person name
        text = _DOTTED.sub(lambda m: " ".join(m.group(1).replace(".", " ").split()), text)
        # "BIN LADIN, Usama bin Muhammad": the lists' "FAMILY, Given" becomes written order,
        # so that order-sensitive parts (a nasab chain) read the way the person is named
        if text.count(",") == 1:
            family, given = text.split(",")
            if family.strip() and given.strip():
                text = given.strip() + " " + family.strip()
    else:
        # "A.B.C. Company", "P.T. Astra": dotted letters are one initialism in other names
        text = _DOTTED.sub(_dotted, text)
    return text


def _find_seq(words: list[str], seq: list[str], start_only: bool) -> int:
    n, m = len(words), len(seq)
    if m == 0 or m > n:
        return -1
    # legal forms sit at the start or the end of a name; in the middle they are words
    if words[:m] == seq:
        return 0
    if words[n - m :] == seq:
        return n - m
    return -1


def _legal_forms(text: str, words: list[str], tag: str) -> tuple[list[str], list[str], list[bool]]:
    """Mark legal-form words; returns (canonical forms, generic classes, mask of removed words)."""
    removed = [False] * len(words)
    forms: list[str] = []
    classes: list[str] = []
    if len(words) < 2:
        return forms, classes, removed
    candidates: list[tuple[list[str], str, str]] = []
    found_types = extract_org_types(text)
    folded = _fold_text(text)
    if folded != text:
        found_types = found_types + extract_org_types(folded)
    for found, canonical in found_types:
        seq = [w for w in _SPLIT.split(_prenormalise(found, ORG)) if w]
        generic = replace_org_types_compare(canonical, generic=True)
        candidates.append((seq, canonical, generic))
    for seq_t, (canonical, generic) in _EXTRA_LEGAL.items():
        if seq_t[0] == words[0] or seq_t[-1] == words[-1]:
            candidates.append((list(seq_t), canonical, generic))
    for seq, canonical, generic in candidates:
        # find in the words not yet removed, at the ends of the remaining sequence
        live = [i for i, r in enumerate(removed) if not r]
        live_words = [words[i] for i in live]
        if len(live_words) - len(seq) < 1:
            continue  # never strip a name down to nothing ("Sa", "Co")
        pos = _find_seq(live_words, seq, False)
        if pos < 0:
            continue
        for i in live[pos : pos + len(seq)]:
            removed[i] = True
        forms.append(canonical.replace(" ", ""))
        classes.append(generic.replace(" ", ""))
    return forms, classes, removed


def _strip_titles(items: list[tuple[tuple[str, ...], int, str]], tag: str) -> list[tuple[tuple[str, ...], int, str]]:
    """Drop titles (on the romanised form, so "Президент" goes like "President")."""
    global TITLES
    if not TITLES:
        TITLES = _title_words()
    if tag not in (PER, ANY):
        return items

    def word(item: tuple[tuple[str, ...], int, str]) -> str:
        if len(item[0]) != 1:
            return ""
        # "Președintele": the romanisation says "preshedintele", the title list the plain fold
        piece = item[0][0]
        if piece in TITLES or item[2].isascii():
            return piece
        return _fold_text(item[2])

    out = [it for it in items if word(it) not in TITLES or word(it) in _AMBIGUOUS_TITLES]
    # ambiguous titles only go when they open a name with at least two more words
    while len(out) > 2 and word(out[0]) in _AMBIGUOUS_TITLES:
        out = out[1:]
    return out if out else items


# (bounded tightly: a NameForm weighs a kilobyte or two, a batch worker keeps this per process;
# a screener's own per-query cache covers repeated names)
@lru_cache(maxsize=20_000)
def analyse_name(name: str, tag: str = ANY) -> NameForm:
    """Tokenise and type one name. ``tag`` is PER/ORG/OBJ/ANY (see :func:`tag_for_schema`)."""
    text = _prenormalise(name, tag)
    words = [w for w in _SPLIT.split(text) if w]
    legal: list[str] = []
    classes: list[str] = []
    if tag in (ORG, ANY) and words:
        # person names keep every word: "PAO" is a surname in a Chinese name and a legal form
        # (Russian public JSC) in a company name
        legal, classes, removed = _legal_forms(text, words, tag)
        words = [w for w, r in zip(words, removed) if not r]
    if tag == OBJ:
        while len(words) > 1 and words[0] in OBJ_PREFIXES:
            words = words[1:]
    numbers = _number_words()
    items: list[tuple[tuple[str, ...], int, str]] = []
    for word in words:
        if word == "&":
            items.append((("&",), LATIN, word))
            continue
        if word.isascii() and any(c.isdigit() for c in word) and not word.isdigit():
            m = _ORDINAL.match(word)
            if m:
                items.append(((m.group(1).lstrip("0") or "0",), LATIN, word))
                continue
            if word[0].isalpha() and word[-1].isalpha() or sum(c.isalpha() for c in word) > 2 * sum(c.isdigit() for c in word):
                # "Ig0r Sech1n": digits standing in for letters
                word = word.translate(_LEET)
            if not word.isalpha():
                # codes like "A320", "SU-35": one name token
                items.append(((word,), LATIN, word))
                continue
        if word in _ABJAD_TITLES and tag in (PER, ANY):
            continue  # السيد (Mr), المهندسة (Eng.), آقای, خانم...
        if len(word) >= 4 and word.startswith("ال") and word != "الله":
            # the Arabic article is written joined to the word: التكريتي is al-Tikriti
            items.append((("al",), ABJAD, "ال"))
            word = word[2:]
        pieces, script = romanise(word)
        if pieces:
            items.append((pieces, script, word))
    if tag in (PER, ANY):
        items = _strip_titles(items, tag)
    if tag in (ORG, ANY) and len(items) > 2:
        items, extra = _strip_legal_phrases(items)
        legal = legal + extra
    if tag != PER:
        items = merge_number_phrases(items)  # "Forty-Four", "One Hundred and Twelve": one number
    tokens: list[Token] = []
    n = len(items)
    # a person's alias made of digits only ("07") is still that alias
    has_words = any(not p.isdigit() for pieces, _s, _r in items for p in pieces)
    for i, (pieces, script, raw) in enumerate(items):
        if len(pieces) > 1:
            chars = list(raw) if len(raw) == len(pieces) else [""] * len(pieces)
            for piece, char in zip(pieces, chars):
                tokens.append(make_token(piece, NAME, script, True, raw, tag, char))
            continue
        piece = pieces[0]
        if piece == "&":
            tokens.append(make_token("and", PARTICLE, LATIN, False, raw, tag))
            continue
        if piece.isdigit():
            if tag == PER and has_words:
                continue  # digits in a person's name are a record number or noise, not a name
            tokens.append(make_token(str(int(piece)), NUMBER, LATIN, False, raw, tag))
            continue
        if not piece.isalpha():
            tokens.append(make_token(piece, NAME, script, False, raw, tag))
            continue
        if tag != PER and (piece in numbers or i > 0 and (roman_value(piece) or 0) > 1 and len(piece) > 1):
            # roman numerals count only after the name they number ("Fund III", not "Xi Trading")
            tokens.append(make_token(piece, NUMBER, script, False, raw, tag))
            continue
        if tag in (ORG, OBJ) and i == n - 1 and n > 1 and piece in ("i", "v", "x"):
            tokens.append(make_token(piece, NUMBER, script, False, raw, tag))
            continue
        if piece in PARTICLES and i < n - 1 and not (tag == PER and piece in _NOT_PERSON_PARTICLES):
            # a particle introduces the part after it ("bin Laden", "van Gogh"): at the end of
            # a name it is a name ("Su Bin")
            if piece not in _WEAK_PARTICLES or i > 0:
                tokens.append(make_token(piece, PARTICLE, script, False, raw, tag))
                continue
        if tag in (PER, ANY) and len(piece) == 1 and script == LATIN and n > 1:
            tokens.append(make_token(piece, INITIAL, script, False, raw, tag))
            continue
        if tag in (PER, ANY) and piece in HONORIFICS and n > 1:
            tokens.append(make_token(piece, HONORIFIC, script, False, raw, tag))
            continue
        tokens.append(make_token(piece, NAME, script, False, raw, tag))
    return NameForm(
        original=name,
        tag=tag,
        tokens=tuple(tokens),
        legal=tuple(legal),
        legal_classes=frozenset(classes),
        joins=_joins(tokens),
    )


_JOINABLE = (NAME, PARTICLE, INITIAL, HONORIFIC)


def _join(tokens: list[Token], span: tuple[int, ...]) -> Join:
    parts = [tokens[i] for i in span]
    text = "".join(t.text for t in parts)
    first, last = parts[0], parts[-1]
    whole_word = (
        first.frag
        and first.raw == last.raw
        and (span[0] == 0 or tokens[span[0] - 1].raw != first.raw or not tokens[span[0] - 1].frag)
        and (span[-1] == len(tokens) - 1 or tokens[span[-1] + 1].raw != first.raw or not tokens[span[-1] + 1].frag)
    )
    abjad = any(t.script == ABJAD for t in parts)
    latin = all(t.script == LATIN for t in parts)
    word = ("@" + first.raw) if whole_word else ""
    return Join(
        span=span,
        text=text,
        abjad=abjad,
        latin=latin,
        word=word,
        script=first.script,
        parts=tuple(t.text for t in parts),
        plen=len(text) if latin and not abjad and not word else -1,
    )


def _joins(tokens: list[Token]) -> tuple[Join, ...]:
    """Runs of 2-3 adjacent tokens, and whole syllabic words of any length."""
    out: list[Join] = []
    n = len(tokens)
    for i in range(n - 1):
        if tokens[i].kind not in _JOINABLE:
            continue
        for k in (2, 3):
            if i + k > n or any(tokens[j].kind not in _JOINABLE for j in range(i, i + k)):
                break
            span = range(i, i + k)
            # syllables of a Hangul/Han word join only within the word the writer wrote
            if any(tokens[j].frag for j in span) and any(
                not tokens[j].frag or tokens[j].raw != tokens[i].raw for j in span
            ):
                break
            out.append(_join(tokens, tuple(span)))
    i = 0
    while i < n:
        if tokens[i].frag:
            j = i
            while j + 1 < n and tokens[j + 1].frag and tokens[j + 1].raw == tokens[i].raw:
                j += 1
            if j - i + 1 > 3:
                out.append(_join(tokens, tuple(range(i, j + 1))))
            i = j + 1
        else:
            i += 1
    return tuple(out)
