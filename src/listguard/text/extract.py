"""Finding the spans of a text that may name a listed party: recall by automaton, then guards.

Why an automaton: news text is mostly not names, and the matcher costs a millisecond per query.
So the text is reduced to one string of *word keys* (each word romanised and folded with the
matcher's own loose phonetic key, :func:`listguard.names.phonetic.loose_key`), and one
Aho-Corasick pass (pyahocorasick, in C) finds every place where the keys of a listed name
occur as whole words. Per kilobyte that is a regex word scan, a dict lookup per word and a C
scan; the matcher only ever sees the few spans the automaton found.

Why keys and not spellings: the key folds the romanisation differences the lists and the
press disagree on (``Jong/Chong/Jeong``, ``Kim/Gim``, ``Sergei/Sergey``), and the same romaniser
the matcher uses turns a name written in another script inside Latin text (``김정은``,
``Владимир Путин``) into the same keys as its Latin spelling.

What the automaton holds (:class:`NameAutomaton`, built once per index and cached): for every
listed name, the key sequence of the name as listed (legal forms already set aside by the
name analyser, so "Co., Ltd." is optional in the text) and the ways a person's name is
written in prose: given name first or family name first, middle names and patronymics
dropped (``Vladimir Putin``), particles and honorifics dropped, short syllables joined
(``Song Hwa``/``Songhwa``). A name is *not* a pattern when it would fire on ordinary text:

* it is a place (a country, region, demonym or well-known city: rigour's territory names),
* it is a single word of a person's name (a lone "Kim" or "Mohammed" names nobody),
* it is a single word that is an English word, short, or common in the lists,
* all its words are generic company words ("International Trading Company").

Guards at run time (:func:`find_candidates`), each for a failure seen in real text:

* the words of a span may be separated by spaces, one line break or hyphens (``Kim Jong-un``,
  a name wrapped at the end of a line), never by a blank line or sentence punctuation;
* in mixed-case prose, a span whose content words are ordinary English words in lower case is
  prose, not a name ("a silver star"); a single-word name must be capitalised;
* a one-word vessel or aircraft name needs a cue before it ("the tanker ...");
* a span with more name-like words right beside it ("Kim Jong Nam" around "Kim Jong") is
  a different, longer name: it is extended to the whole run of name words and the matcher must
  accept the *extended* name. A mention is the whole name as written: the run takes in
  syllables hyphenated onto it ("Cho Myoung-gyon" is not "Cho Myoung"; "Kim Song-nam" is not
  "KIM, Song"), name particles with the name word after them ("Abd al-Rahman bin Qasim al-Rimi"
  is not "Qasim al-Rimi"), and capitalised name words on either side ("Sun Wei Ming" is not
  "SUN, Wei"). Titles and roles ("CEO", "Ambassador", "Lt. Gen."), legal forms, ordinary words
  (except up to two after an organisation's name), English words hyphenated onto a name
  ("Putin-led") and a name across an en dash ("the Kim\u2013Moon summit") are never absorbed;
  legal forms around a company name are included in the span.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Iterator

import ahocorasick

from listguard.names.phonetic import fold_key, loose_key
from listguard.names.tokens import (
    HONORIFIC,
    INITIAL,
    NAME,
    ORG_GENERIC,
    PARTICLE,
    PER,
    Token,
)
from listguard.names.translit import romanise
from listguard.text.html import FILLER
from listguard.text.lexicon import (
    CITIES,
    LEGAL_PREFIXES,
    LEGAL_WORDS,
    OBJECT_CUES,
    ROLE_WORDS,
    english_words,
    is_ordinary,
    territory_names,
)

if TYPE_CHECKING:
    from listguard.index import Index

# ------------------------------------------------------------------------------ word scanning
_ZW = "\u200c\u200d"


def _separator_ranges() -> str:
    """Regex class body of the BMP characters that separate words.

    Punctuation, symbols, spaces and controls separate words; letters, digits and combining
    marks (Arabic harakat, Devanagari vowel signs) do not. The soft hyphen (:data:`FILLER`,
    which pads decoded HTML entities) and the zero-width (non-)joiners stay inside words.
    """
    ranges: list[tuple[int, int]] = []
    keep = {ord(FILLER), 0x200C, 0x200D}
    for cp in range(0x10000):
        if cp in keep or 0xD800 <= cp <= 0xDFFF:
            continue
        cat = unicodedata.category(chr(cp))
        if cat[0] in "PSZC":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )


_WORD_RE: re.Pattern[str] | None = None
_APOS = "'’ʼ`´"


def word_pattern() -> re.Pattern[str]:
    """Words: runs of non-separators, joined across an apostrophe unless it is a possessive.

    ``Qa'ida`` is one word (the analyser drops the apostrophe); ``Kim's`` is the word ``Kim``
    followed by a possessive that is not part of the name (so the span ends before it).
    """
    global _WORD_RE
    if _WORD_RE is None:
        sep = _separator_ranges()
        w = f"[^{sep}]"
        _WORD_RE = re.compile(rf"{w}+(?:[{_APOS}](?![sS](?!{w})){w}+)*")
    return _WORD_RE


_APOS_TABLE = str.maketrans({c: None for c in _APOS + FILLER + _ZW})
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def word_key(word: str) -> str:
    """The key of one written word: romanised, folded; several space-separated keys for a
    word the romaniser splits into syllables (Hangul, Han). Mirrors what
    :func:`listguard.names.tokens.analyse_name` does to a word, then ``Token.loose``."""
    w = unicodedata.normalize("NFKC", word.translate(_APOS_TABLE)).casefold()
    if not w:
        return "_"
    if w.isascii():
        if w.isdigit():
            return str(int(w))
        if w.isalpha():
            return loose_key(w)
        m = _ORDINAL.match(w)
        if m:
            return str(int(m.group(1)))
        return w
    pieces, _script = romanise(w)
    keys = [str(int(p)) if p.isdigit() else loose_key(p) for p in pieces if p]
    return " ".join(keys) if keys else "_"


def _fold_word(word: str) -> str:
    """The romanisation key (``Token.key``) of a one-piece word."""
    w = unicodedata.normalize("NFKC", word.translate(_APOS_TABLE)).casefold()
    if not w.isascii():
        pieces, _script = romanise(w)
        w = "".join(pieces)
    return fold_key(w)


def _ascii_lower(word: str) -> str | None:
    """A Latin word in lower case without apostrophes (None for other scripts)."""
    if not word.isascii():
        return None
    return word.translate(_APOS_TABLE).lower()


class _KeyCache(dict[str, str]):
    """word -> key, computed on first sight. The vocabulary of text is Zipfian: after a few
    documents almost every word is a dict hit."""

    def __missing__(self, word: str) -> str:
        key = word_key(word)
        if len(self) < 500_000:
            self[word] = key
        return key


_KEYS = _KeyCache()


def exact_form(word: str) -> str:
    """A word as one ASCII lower-case token (romanised, syllables joined): what a one-word
    pattern is compared with exactly."""
    w = unicodedata.normalize("NFKC", word.translate(_APOS_TABLE)).casefold()
    if not w:
        return "_"
    if not w.isascii():
        pieces, _script = romanise(w)
        w = "".join(pieces) or "_"
    return w


class _ExactCache(dict[str, str]):
    def __missing__(self, word: str) -> str:
        form = exact_form(word)
        if len(self) < 500_000:
            self[word] = form
        return form


_EXACT = _ExactCache()


def token_key(tok: Token) -> str:
    """The automaton key of a listed name's token (same space as :func:`word_key`)."""
    return tok.loose


# ------------------------------------------------------------------------------- automaton
#: pattern flags
SINGLE = 1  #: one word
OBJECT = 2  #: only vessels / aircraft have this name
PROSE = 4  #: every content word is an ordinary English word
PERSON = 8  #: only persons have this name

_NON_CONTENT = (PARTICLE, HONORIFIC, INITIAL)
#: a one-word name must be in at most this many listed names to be a pattern on its own
#: ("Sberbank" is in some 80 names of one group of companies; a word in hundreds is generic)
SINGLE_MAX_DF = 200


@dataclass
class NameAutomaton:
    """The text patterns of one index. Picklable; build with :meth:`build`."""

    automaton: ahocorasick.Automaton
    #: one-word patterns compared letter for letter, on the words' exact forms
    exact: ahocorasick.Automaton
    #: pattern id -> index positions of the entities with that name
    entities: list[tuple[int, ...]]
    #: pattern id -> flags
    flags: bytes
    #: pattern id -> length of the pattern string (with its two delimiting spaces)
    lengths: list[int]
    #: pattern id -> the ASCII spellings of its words (one tuple per listed spelling). Keys
    #: are loose on purpose (``Jong/Chong``), but an *English word* in the text must be spelt
    #: exactly as in the listed name: otherwise "contract" finds KONTRAKT and "by you" finds
    #: PAO Yu Yi. One-word patterns are checked on the romanisation key (``Token.key``).
    spellings: list[tuple[tuple[str, ...], ...]]
    #: every token key of every listed name (name-likeness of a word in all-caps text)
    name_keys: frozenset[str]
    stats: dict[str, int] = field(default_factory=dict)

    FORMAT = 4  # 4: given names of romanised syllables by shape, not length ("Myong Hyon")

    @classmethod
    def build(cls, index: "Index") -> "NameAutomaton":
        """Compile the patterns of every name in ``index`` (seconds for every list loaded)."""
        places = _place_key_phrases()
        ordinary = english_words()
        df = index.weights.df
        pid_of: dict[str, int] = {}
        ents: list[set[int]] = []
        flags: list[int] = []
        spellings: list[set[tuple[str, ...]]] = []
        name_keys: set[str] = set()
        skipped = {"place": 0, "single": 0, "generic": 0, "short": 0}
        entities = index.entities
        for iname in index.names:
            form = iname.form
            toks = form.tokens
            if not toks:
                continue
            schema = entities[iname.entity].schema
            for tok in toks:
                if tok.kind == NAME:
                    name_keys.add(tok.loose)
            for variant in _variants(form.original, toks, form.tag):
                key = " ".join(u[0] for u in variant)
                texts = tuple(u[1] for u in variant)
                vtoks = [u[2] for u in variant]
                content = [t for t in vtoks if t.kind not in _NON_CONTENT]
                if not content:
                    continue
                if " ".join(texts) in places or key in places:
                    skipped["place"] += 1
                    continue
                if all(t.text in ORG_GENERIC or t.text in ROLE_WORDS for t in content):
                    skipped["generic"] += 1
                    continue
                if len(variant) > 1 and all(len(u[0]) <= 2 for u in variant):
                    skipped["short"] += 1  # "Thi Oo" -> "ta a": fires on any prose
                    continue
                flag = 0
                if len(variant) == 1:
                    if not _single_ok(vtoks[0], schema, ordinary, df):
                        skipped["single"] += 1
                        continue
                    flag |= SINGLE
                    texts = (_single_spelling(vtoks[0]),)
                elif all(t in ordinary for t in texts):
                    flag |= PROSE
                if schema in ("Vessel", "Airplane"):
                    flag |= OBJECT
                if schema == "Person":
                    flag |= PERSON
                pid = pid_of.get(key)
                if pid is None:
                    pid_of[key] = len(ents)
                    ents.append({iname.entity})
                    flags.append(flag)
                    spellings.append({texts})
                    continue
                # a name several kinds of party share: the cue and person rules apply only if
                # they apply to all of them
                ents[pid].add(iname.entity)
                flags[pid] = (flags[pid] & flag & (OBJECT | PERSON)) | ((flags[pid] | flag) & ~(OBJECT | PERSON))
                spellings[pid].add(texts)
        automaton = ahocorasick.Automaton()
        exact = ahocorasick.Automaton()
        lengths = [0] * len(ents)
        n_exact = 0
        for key, pid in pid_of.items():
            pattern = f" {key} "
            lengths[pid] = len(pattern)
            spelt = spellings[pid]
            if flags[pid] & SINGLE and all(sp[0].startswith("=") for sp in spelt):
                # short one-word names are compared letter for letter: their loose keys
                # ("ISIS" -> "as") would fire on every other English word
                for sp in spelt:
                    exact.add_word(f" {sp[0][1:]} ", pid)
                    n_exact += 1
                continue
            automaton.add_word(pattern, pid)
        if len(automaton):
            automaton.make_automaton()
        if len(exact):
            exact.make_automaton()
        stats = {"patterns": len(pid_of), "names": len(index.names), **{f"skipped_{k}": v for k, v in skipped.items()}}
        stats["exact_patterns"] = n_exact
        return cls(
            automaton=automaton,
            exact=exact,
            entities=[tuple(sorted(e)) for e in ents],
            flags=bytes(flags),
            lengths=lengths,
            spellings=[tuple(sp) for sp in spellings],
            name_keys=frozenset(name_keys),
            stats=stats,
        )

    def matches(self, compact: str) -> Iterator[tuple[int, int]]:
        """``(end position, pattern id)`` of every pattern in ``compact``."""
        if not len(self.automaton):
            return iter(())
        return self.automaton.iter(compact)  # type: ignore[no-any-return]

    def exact_matches(self, ecompact: str) -> Iterator[tuple[int, int]]:
        """``(end position, pattern id)`` of every one-word exact pattern in ``ecompact``."""
        if not len(self.exact):
            return iter(())
        return self.exact.iter(ecompact)  # type: ignore[no-any-return]


def _single_spelling(tok: Token) -> str:
    """How a one-word pattern is checked: an acronym or short word by its exact letters
    ("OFAC" is not "IFIC"), a longer word by its romanisation key (``=`` marks exact)."""
    return "=" + tok.text if len(tok.text) <= 6 else tok.key


def _single_ok(tok: Token, schema: str, ordinary: frozenset[str], df: dict[str, int]) -> bool:
    """May this one word on its own be a pattern? (see the module doc)"""
    if schema == "Person" or tok.kind != NAME:
        return False
    text = tok.text
    if len(text) < 3:  # three letters only as an acronym in the text (checked at run time)
        return False
    if text in ordinary or is_ordinary(text) or text in ORG_GENERIC or text in ROLE_WORDS or text in LEGAL_WORDS:
        return False
    if not text.isalpha():
        return False
    return df.get(text, 0) <= SINGLE_MAX_DF


#: one unit of a pattern: (automaton key, ASCII spelling, token)
_Unit = tuple[str, str, Token]


def _variants(original: str, toks: tuple[Token, ...], tag: str) -> Iterator[list[_Unit]]:
    """The key sequences a name may be written as in prose (see the module doc)."""
    units: list[_Unit] = [(token_key(t), t.text, t) for t in toks]
    seen: set[tuple[str, ...]] = set()

    def emit(seq: list[_Unit]) -> Iterator[list[_Unit]]:
        key = tuple(u[0] for u in seq)
        if seq and key not in seen:
            seen.add(key)
            yield seq

    yield from emit(units)
    content = [u for u in units if u[2].kind not in (PARTICLE, HONORIFIC)]
    if 2 <= len(content) < len(units):
        yield from emit(content)
    if tag != PER or len(units) < 2:
        return
    # The analyser may reorder a person's name (given names first); the written order is
    # recovered from the list entry itself: "SURNAME, Given names".
    orders: list[list[_Unit]] = [units]
    sur_keys = _surname_keys(original) if "," in original else set()
    sur = [u for u in units if u[0] in sur_keys]
    given = [u for u in units if u[0] not in sur_keys]
    if sur and given:
        orders.append(sur + given)
        orders.append(given + sur)
        if len(given) >= 2 and not _syllables(given):
            # "PUTIN, Vladimir Vladimirovich" is written "Vladimir Putin"; but "JONG, Song Hwa"
            # is never "Jong Song": a given name of syllables is one name
            orders.append(given[:1] + sur)
            orders.append(sur + given[:1])
    n = len(units)
    for i in range(1, n):
        orders.append(units[i:] + units[:i])  # rotations: family name first or last
    if n == 3:
        rev = units[::-1]
        orders.extend(rev[i:] + rev[:i] for i in range(3))
    if not sur and n >= 3 and not _syllables(units[1:-1]):
        orders.append([units[0], units[-1]])  # "Vladimir Vladimirovich Putin" -> "Vladimir Putin"
    for order in orders:
        yield from emit(order)
        # "Song Hwa" / "Songhwa", "Jong Un" / "Jongun": short syllables written together
        for i in range(len(order) - 1):
            a, b = order[i][2], order[i + 1][2]
            if a.kind == NAME and b.kind == NAME and _syllable(a.text) and _syllable(b.text):
                text = a.text + b.text
                yield from emit(order[:i] + [(loose_key(text), text, b)] + order[i + 2 :])


def _syllables(units: list[_Unit]) -> bool:
    """Parts that are syllables of one name (Korean/Chinese given names: "Song Hwa", "Jong Un",
    "Myong Hyon"): each has the shape of one romanised syllable (see :func:`_syllable`)."""
    return all(_syllable(u[1]) for u in units)


def _surname_keys(original: str) -> set[str]:
    """Keys of the words before the comma of a "SURNAME, Given names" list entry."""
    head = original.split(",", 1)[0]
    return {k for w in _SPLIT_WORDS.findall(head) for k in word_key(w).split()}


_SPLIT_WORDS = re.compile(r"[^\W_]+")


_PLACES: frozenset[str] | None = None


def _place_key_phrases() -> frozenset[str]:
    """Territory and city names, as token texts and as key phrases (both are checked)."""
    global _PLACES
    if _PLACES is None:
        out: set[str] = set()
        for name in list(territory_names()) + list(CITIES):
            words = [w for w in re.split(r"[\W_]+", name) if w]
            if not words or not name.isascii():
                continue
            out.add(" ".join(words))
            out.add(" ".join(word_key(w) for w in words))
        _PLACES = frozenset(out)
    return _PLACES


# ------------------------------------------------------------------------------ candidates
@dataclass
class Candidate:
    """A span that may name a listed party, before the matcher has looked at it."""

    start: int
    end: int
    first: int  # first word index
    last: int  # last word index (inclusive)
    entities: frozenset[int]  # index positions the automaton found by this span's keys
    flags: int
    name: str  # the span's text as a query name
    extended: bool = False  # the span was grown over neighbouring name-like words
    added: tuple[str, ...] = ()  # the words it was grown over

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Scan:
    """A document cut into words, with their keys and the compact key string."""

    text: str
    starts: list[int]
    ends: list[int]
    words: list[str]
    keys: list[str]
    compact: str
    cstarts: list[int]
    #: the words as ASCII lower case (romanised), one per word, and their compact string
    exact: list[str]
    ecompact: str
    ecstarts: list[int]


def scan(text: str) -> Scan:
    """Words, their offsets and keys, and the two compact strings the automata run on."""
    ms = list(word_pattern().finditer(text))
    words = [m.group() for m in ms]
    starts = [m.start() for m in ms]
    ends = [m.end() for m in ms]
    cache = _KEYS
    keys = [cache[w] for w in words]
    compact = " " + " ".join(keys) + " "
    cstarts = list(accumulate((len(k) + 1 for k in keys), initial=1))[:-1]
    ecache = _EXACT
    exact = [ecache[w] for w in words]
    ecompact = " " + " ".join(exact) + " "
    ecstarts = list(accumulate((len(k) + 1 for k in exact), initial=1))[:-1]
    return Scan(text, starts, ends, words, keys, compact, cstarts, exact, ecompact, ecstarts)


# gap between two words of a name
_SOFT, _COMMA, _DOT, _HARD = 0, 1, 2, 3
_DASHES = frozenset("-\u2010\u2011\u2012\u2013")


def _gap(text: str, a: int, b: int) -> int:
    gap = text[a:b]
    if len(gap) > 16:
        return _HARD
    core = gap.replace(FILLER, "").replace("\u00a0", " ").replace("\t", " ").replace("\r", "")
    if core.count("\n") > 1:
        return _HARD
    core = core.replace("\n", " ").strip(" ")
    if not core or all(c in _DASHES for c in core):
        return _SOFT
    if core in (",",):
        return _COMMA
    if core in (".", ". -", ".-"):
        return _DOT
    return _HARD


_LEGAL_GAP = re.compile(r"[ ,.\u00ad\u00a0]{0,4}(?:\n[ ]*)?")


def _legal_gap(text: str, a: int, b: int) -> bool:
    """Between a company name and its legal form: spaces, a comma, abbreviation dots."""
    return b - a <= 6 and _LEGAL_GAP.fullmatch(text, a, b) is not None


#: function words that join the parts of a name ("Bank of China", "Ministry of Industry and Trade")
_ENGLISH_PARTICLES = frozenset("of and the for in on at to by de du des la le el al bin ibn van von der den".split())

_LOWER_WORD = re.compile(r"\b[a-z]{3,}\b")

#: particles inside a person's name: part of a run of name words when a name word follows
#: ("Hamza bin Laden", "Mohammed al-Harbi", "Ursula von der Leyen"); never "and"/"of"/"the"
_NAME_PARTICLES = frozenset(
    "al el ul bin ibn ben bint binti abu abd umm ould van von der den ter ten de da di du del della dos das".split()
)
#: particles that start a name when capitalised ("Abd al-Rahman", "Abu Bakr", "Bin Laden")
_NAME_STARTS = frozenset("abd abu umm bin ibn".split())
#: how far a span is followed into the name words beside it (each side)
MAX_NAME_GROWTH = 8
#: of which ordinary English words (capitalised words of an organisation's name)
MAX_ORDINARY_GROWTH = 2

#: one romanised syllable of a Korean or Chinese name (Revised Romanization, McCune-Reischauer,
#: Pinyin, Wade-Giles): an initial, an optional glide, one to three vowels and an optional final
#: ("myoung", "gyon", "hwa", "hyeong", "chuan", "un"). English words that hyphenate onto names
#: ("Putin-led", "Kim-era", "backed", "style") do not have this shape.
_SYLLABLE_RE = re.compile(
    r"(?:tch|ch|sh|zh|hs|ts|kk|tt|pp|ss|jj|gg|[bcdfghjklmnpqrstxz])?[wy]?[aeiou]{1,3}(?:ng|n|m|l|k|p|t|r|h)?",
    re.IGNORECASE,
)


#: hyphens proper (an en dash between two names joins two people: "the Kim\u2013Moon summit")
_HYPHENS = frozenset("-\u2010\u2011")


def _syllable(word: str) -> bool:
    return len(word) <= 7 and word.isascii() and _SYLLABLE_RE.fullmatch(word) is not None


def _dash_between(text: str, a: int, b: int) -> bool:
    """A dash that is not a hyphen joining two words: an en dash or a spaced dash, as between
    two people ("the Kim Jong Un\u2013Xi summit", "Kim Jong Un - Xi Jinping")."""
    gap = text[a:b].replace(FILLER, "")
    return any(c in _DASHES for c in gap) and not (gap[0] in _HYPHENS and not gap[1:].strip(" \n\r"))


def _hyphen_joined(text: str, a: int, b: int) -> bool:
    """Two words joined by one hyphen, nothing else ("Song-hwa"; "Jong-\\nun" at a line break)."""
    gap = text[a:b].replace(FILLER, "")
    return bool(gap) and gap[0] in _HYPHENS and not gap[1:].strip(" \n\r")


def _mixed_case_context(text: str, start: int, end: int) -> bool:
    """Is the text around a span ordinary mixed-case prose (not an all-caps block or chat)?"""
    before = len(_LOWER_WORD.findall(text, max(0, start - 240), start))
    after = len(_LOWER_WORD.findall(text, end, min(len(text), end + 240)))
    return before + after >= 3


def _is_lower_latin(word: str) -> bool:
    return word.isascii() and word.islower()


def _capitalised(word: str) -> bool:
    first = word[0]
    if first.isupper():
        return True
    # a word in a script without case (Hangul, Han, Arabic) is "capitalised" for our purposes
    return first.isalpha() and not first.isascii() and first.lower() == first.upper()


class Extractor:
    """Candidate spans of one text against one :class:`NameAutomaton`."""

    def __init__(self, automaton: NameAutomaton) -> None:
        self.automaton = automaton

    def raw_matches(self, sc: Scan) -> dict[tuple[int, int], set[int]]:
        """Word spans ``(first, last)`` whose keys are a pattern -> pattern ids."""
        out: dict[tuple[int, int], set[int]] = {}
        lengths = self.automaton.lengths
        cstarts = sc.cstarts
        keys = sc.keys
        for end, pid in self.automaton.matches(sc.compact):
            s = end - lengths[pid] + 2  # first character of the first key
            fw = bisect_left(cstarts, s)
            if fw >= len(cstarts) or cstarts[fw] != s:
                continue  # starts inside a word's syllables
            lw = bisect_right(cstarts, end - 1) - 1
            if cstarts[lw] + len(keys[lw]) != end:
                continue  # ends inside a word's syllables
            if not self._spelt_as_listed(sc, fw, lw, pid):
                continue
            out.setdefault((fw, lw), set()).add(pid)
        ecstarts = sc.ecstarts
        for end, pid in self.automaton.exact_matches(sc.ecompact):
            # exact patterns are one word: the match ends at that word's end
            w = bisect_right(ecstarts, end - 1) - 1
            if self._spelt_as_listed(sc, w, w, pid):
                out.setdefault((w, w), set()).add(pid)
        return out

    def _spelt_as_listed(self, sc: Scan, fw: int, lw: int, pid: int) -> bool:
        """English words in the span must be spelt as in the listed name (see
        :attr:`NameAutomaton.spellings`); a one-word pattern must share the romanisation key."""
        auto = self.automaton
        if auto.flags[pid] & SINGLE:
            if fw != lw:
                return True  # one listed word written as syllables
            low = _ascii_lower(sc.words[fw])
            if len(sc.words[fw]) <= 3 and not sc.words[fw].isupper():
                return False  # a three-letter name is an acronym: "VTB", not "Vtb"
            if low is not None and is_ordinary(low):
                return False  # "Use" is not the vessel UZE, "Contract" not KONTRAKT
            wanted = {sp[0] for sp in auto.spellings[pid]}
            if "=" + sc.exact[fw] in wanted:
                return True
            return _fold_word(sc.words[fw]) in wanted
        words = [_ascii_lower(sc.words[i]) for i in range(fw, lw + 1)]
        checks = [(i, w) for i, w in enumerate(words) if w is not None and is_ordinary(w)]
        if not checks:
            return True
        for spelling in auto.spellings[pid]:
            if len(spelling) != len(words):
                return True  # syllables of a Hangul/Han word: positions do not align
            if all(spelling[i] == w for i, w in checks):
                return True
        return False

    def candidates(self, sc: Scan) -> list[Candidate]:
        """Guarded candidates, longest first (see the module doc for the guards)."""
        auto = self.automaton
        text = sc.text
        out: list[Candidate] = []
        for (fw, lw), pids in self.raw_matches(sc).items():
            flags = 0
            ents: set[int] = set()
            for pid in pids:
                flags |= auto.flags[pid]
                ents.update(auto.entities[pid])
            if not self._inner_gaps_ok(sc, fw, lw):
                continue
            start, end = sc.starts[fw], sc.ends[lw]
            mixed = _mixed_case_context(text, start, end)
            if mixed and not self._casing_ok(sc, fw, lw, flags):
                continue
            if flags & SINGLE and flags & OBJECT and not self._object_cue(sc, fw):
                continue
            cand = self._extend(sc, fw, lw, frozenset(ents), flags, mixed)
            if cand is not None:
                out.append(cand)
        out.sort(key=lambda c: (-c.length, c.start))
        return out

    # -- guards ---------------------------------------------------------------------------
    def _inner_gaps_ok(self, sc: Scan, fw: int, lw: int) -> bool:
        for i in range(fw, lw):
            g = _gap(sc.text, sc.ends[i], sc.starts[i + 1])
            if g == _SOFT:
                continue
            if g == _COMMA and i == fw and sc.words[fw].isupper() and len(sc.words[fw]) > 1:
                continue  # "JONG, Song Hwa": a list entry quoted in text
            if g == _DOT and len(sc.words[i].replace(FILLER, "")) == 1:
                continue  # an initial: "Sergey V. Lavrov"
            return False
        return True

    def _casing_ok(self, sc: Scan, fw: int, lw: int, flags: int) -> bool:
        """In mixed-case prose: a one-word name must be capitalised; a name whose every word
        is an English word must be capitalised throughout ("Silver Star", not "a silver
        star"); a name with an unusual word may be in any case ("volasys silver star")."""
        words = sc.words
        if fw == lw:
            return _capitalised(words[fw])
        content = [words[i] for i in range(fw, lw + 1) if words[i].lower() not in _ENGLISH_PARTICLES]
        if any(not is_ordinary(_ascii_lower(w) or "") for w in content):
            return True
        return all(_capitalised(w) for w in content)

    def _object_cue(self, sc: Scan, fw: int) -> bool:
        prev = [sc.words[i].lower() for i in range(max(0, fw - 3), fw)]
        if any(w in OBJECT_CUES for w in prev):
            return True
        joined = "".join(prev[-2:])
        return joined in ("mv", "mt", "ms")

    def _name_like(self, sc: Scan, i: int, mixed: bool, allow_ordinary: bool) -> bool:
        """Is the word at ``i`` plausibly another part of the same name?"""
        w = sc.words[i].replace(FILLER, "")
        low = w.lower()
        if low in ROLE_WORDS or low in LEGAL_WORDS or low in _ENGLISH_PARTICLES or not w[0].isalpha():
            return False
        if low in _single_places():
            return False
        if mixed:
            if not _capitalised(w):
                return False
            if is_ordinary(low) and not allow_ordinary:
                return False
            if w.isupper() and len(w) <= 5 and not sc.words[i - 1 if i else i].isupper():
                return False  # an acronym ("OFAC", "UN") next to a name in prose
            return True
        return sc.keys[i] in self.automaton.name_keys and not is_ordinary(low)

    def _grow(self, sc: Scan, edge: int, step: int, mixed: bool, person: bool) -> tuple[int, bool]:
        """Follow the run of name words from word ``edge`` outwards (``step`` -1: left, 1:
        right); return the new edge and whether it moved.

        * a syllable joined by a bare hyphen to a syllable at the edge is part of that word
          ("Cho Myoung-gyon", "KIM SONG-NAM"); in mixed-case prose the syllable after the
          hyphen must be in lower case (a capitalised one is judged as a name word: "Kim-Moon"
          may be two people);
        * a name-like word (see :meth:`_name_like`) with only spaces between is part of the
          run; after an organisation's name, at most :data:`MAX_ORDINARY_GROWTH` of them may
          be ordinary English words ("... Trading Corporation"; before a name, a capitalised
          ordinary word starts the sentence: "Yesterday KOMID"); name words are followed to the
          end;
        * a name particle ("bin", "al", "van") is part of the run only with a name word after it.
        """
        text = sc.text
        n = len(sc.words)
        moved = False
        ordinary = 0
        for _ in range(MAX_NAME_GROWTH):
            nxt = edge + step
            if not 0 <= nxt < n:
                break
            a, b = (nxt, edge) if step < 0 else (edge, nxt)
            if _gap(text, sc.ends[a], sc.starts[b]) != _SOFT or _dash_between(text, sc.ends[a], sc.starts[b]):
                break
            if (
                _hyphen_joined(text, sc.ends[a], sc.starts[b])
                and _syllable(sc.words[a])
                and _syllable(sc.words[b])
                and (not mixed or sc.words[b].islower())
            ):
                edge, moved = nxt, True
                continue
            if self._name_like(sc, nxt, mixed, step > 0 and not person and ordinary < MAX_ORDINARY_GROWTH):
                if is_ordinary(sc.words[nxt].replace(FILLER, "").lower()):
                    ordinary += 1
                edge, moved = nxt, True
                continue
            end = self._particles(sc, nxt, step, mixed)
            if end is None:
                break
            edge, moved = end, True
        return edge, moved

    def _particles(self, sc: Scan, i: int, step: int, mixed: bool) -> int | None:
        """Particles from word ``i`` outwards and the name word after them ("bin Laden",
        "al-Harbi", "von der Leyen"): the index of that name word, or of the last particle
        when it starts a name itself ("Abd al-Rahman", "Abu Bakr"); None if ``i`` is not a
        particle of a name."""
        text = sc.text
        n = len(sc.words)
        j = i
        for _ in range(3):
            if not 0 <= j < n or sc.words[j].lower() not in _NAME_PARTICLES:
                break
            nxt = j + step
            if not 0 <= nxt < n:
                break
            a, b = (nxt, j) if step < 0 else (j, nxt)
            if _gap(text, sc.ends[a], sc.starts[b]) != _SOFT or _dash_between(text, sc.ends[a], sc.starts[b]):
                break
            if sc.words[nxt].lower() not in _NAME_PARTICLES:
                # "bin Laden": a name, though "laden" is an English word
                if self._name_like(sc, nxt, mixed, True):
                    return nxt
                break
            j = nxt
        if j != i and sc.words[j][:1].isupper() and sc.words[j].lower() in _NAME_STARTS:
            return j
        return None

    def _extend(
        self, sc: Scan, fw: int, lw: int, ents: frozenset[int], flags: int, mixed: bool
    ) -> Candidate | None:
        text = sc.text
        n = len(sc.words)
        person = bool(flags & PERSON)
        f, l = fw, lw
        extended = False
        # legal forms around a company name belong to the span ("JSC ...", "... Co., Ltd.")
        if not person:
            while f > 0 and sc.words[f - 1].lower() in LEGAL_PREFIXES and sc.words[f - 1][0].isupper() and _gap(text, sc.ends[f - 1], sc.starts[f]) == _SOFT:
                f -= 1
            while l + 1 < n and sc.words[l + 1].lower().replace(FILLER, "") in LEGAL_WORDS and sc.words[l + 1][0].isupper() and _legal_gap(text, sc.ends[l], sc.starts[l + 1]):
                l += 1
        # more name-like words right beside the span: the text names someone else. The run
        # is followed to its end (a mention is the whole name as written): hyphenated
        # syllables ("Myoung-gyon"), capitalised name words ("Kim Jong Un"), and a name
        # particle with the name word after it ("bin Laden", "al-Harbi"); see _grow.
        f, grown = self._grow(sc, f, -1, mixed, person)
        extended |= grown
        l, grown = self._grow(sc, l, 1, mixed, person)
        extended |= grown
        start, end = sc.starts[f], sc.ends[l]
        # the period of a trailing abbreviation ("Co., Ltd.") is part of the name
        if l != lw and end < len(text) and text[end] == "." and sc.words[l].lower() in LEGAL_WORDS:
            end += 1
        added = tuple(
            sc.words[i]
            for i in list(range(f, fw)) + list(range(lw + 1, l + 1))
            if sc.words[i].lower() not in LEGAL_WORDS and sc.words[i].lower() not in _NAME_PARTICLES
        )
        return Candidate(start, end, f, l, ents, flags, query_name(text[start:end]), extended, added)


_SINGLE_PLACES: frozenset[str] | None = None


def _single_places() -> frozenset[str]:
    global _SINGLE_PLACES
    if _SINGLE_PLACES is None:
        _SINGLE_PLACES = frozenset(p for p in _place_key_phrases() if " " not in p)
    return _SINGLE_PLACES


_HYPHEN_BREAK = re.compile(r"([-\u2010\u2011])\s*\n\s*")


def query_name(span: str) -> str:
    """A span as a name to screen: markup filler removed, whitespace folded, and a hyphen at a
    line break re-joined (``Jong-\\nun`` is ``Jong-un``)."""
    span = span.replace(FILLER, "")
    span = _HYPHEN_BREAK.sub(r"\1", span)
    return " ".join(span.split())


# ----------------------------------------------------------------------------- per-index cache
_CACHE: list[tuple["Index", NameAutomaton]] = []


def automaton_for(index: "Index") -> NameAutomaton:
    """The automaton of ``index``, built on first use and kept while the index is current.

    Keeps the last two (a server swapping indexes serves the old one until the new one is in).
    The CLI goes through :func:`listguard.text.cache.cached_automaton`, which also keeps it on
    disk.
    """
    for idx, auto in _CACHE:
        if idx is index:
            return auto
    auto = NameAutomaton.build(index)
    _CACHE.insert(0, (index, auto))
    del _CACHE[2:]
    return auto


