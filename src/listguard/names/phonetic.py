"""Phonetic keys that fold the spelling differences between romanisation systems.

The same name reaches the lists through different romanisation systems (McCune-Reischauer vs
Revised Romanisation for Korean, BGN vs ISO vs German/French/Polish conventions for Russian,
several schools for Arabic). The differences are regular, so they are folded by *rules that
apply to every name*, never by a table of names:

* :func:`fold_key` ("key 1") keeps the syllable structure but folds spelling conventions:
  digraphs (``kh/h``, ``ph/f``, ``sch/sh``, ``tch/ch``, ``w/v``, ``x/ks``, ``q/k``, ``c/k``),
  double letters, a final silent ``e``, and *every run of vowels to one vowel*. So
  ``Mohammed/Muhammad/Mohamad``, ``Jong/Jeong``, ``Hyok/Hyeok/Hek``, ``Song/Seong``,
  ``Sergei/Sergey``, ``Dmitrii/Dmitriy/Dmitry``, ``Rohani/Rouhani``, ``Poutine/Putin`` share
  a key, while ``Mahmoud`` (one syllable fewer) does not share Mohammed's.
* :func:`loose_key` ("key 2") additionally merges voiced/unvoiced pairs and affricates
  (``g/k``, ``d/t``, ``b/p``, ``v/f``, ``z/s``, ``j/ch``) that Korean RR/MR, German and
  Slavic spellings swap: ``Kim/Gim``, ``Chong/Jong``, ``Selenskyj/Zelenskyy``.
* :func:`skeleton` drops vowels and glides entirely. It is what a name written in an abjad
  (Arabic, Hebrew) can be compared on: ``محمد -> mhmd`` against ``Mohammed``.

Keys are *evidence*, not identity: the comparer gives a key match partial credit and the
retrieval uses keys to find candidates that edit distance alone would miss.
"""

from __future__ import annotations

import re
from functools import lru_cache

_VOWELS = frozenset("aeiouy")

# Ordered: longer patterns first. Applied to lower-case ASCII.
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("tsch", "ch"),
    ("dzh", "j"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("tsj", "ch"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("cz", "ch"),
    ("sz", "sh"),
    ("sj", "sh"),
    ("ou", "u"),
    ("w", "v"),
    ("q", "k"),
    ("x", "ks"),
)
_DIGRAPH_RE = re.compile("|".join(re.escape(a) for a, _ in _DIGRAPHS))
_DIGRAPH_MAP = dict(_DIGRAPHS)


def _digraphs(text: str) -> str:
    text = _DIGRAPH_RE.sub(lambda m: _DIGRAPH_MAP[m.group(0)], text)
    # "c" is "k" unless it starts "ch"; before e/i it is "s" in most Latin orthographies.
    out = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch == "c":
            nxt = text[i + 1] if i + 1 < n else ""
            if nxt == "h":
                out.append("c")
            elif nxt in ("e", "i", "y"):
                out.append("s")
            else:
                out.append("k")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=200_000)
def fold_key(token: str) -> str:
    """Key 1: romanisation-insensitive, syllable-preserving (see the module docstring)."""
    if not token or not token.isalpha():
        return token
    text = _digraphs(token)
    # a silent final "e" after a consonant (Poutine, Cargille): drop, keep short words intact
    if len(text) > 4 and text[-1] == "e" and text[-2] not in _VOWELS:
        text = text[:-1]
    out: list[str] = []
    prev = ""
    for i, ch in enumerate(text):
        # "j" after a vowel and not before one is a glide (Sergej, Selenskyj): a vowel.
        if ch == "j" and prev in _VOWELS and (i + 1 >= len(text) or text[i + 1] not in _VOWELS):
            ch = "y"
        if ch in _VOWELS:
            # initial y before a vowel is a consonant glide (Yevgeny); elsewhere a vowel
            if ch == "y" and i == 0 and len(text) > 1 and text[1] in _VOWELS:
                out.append("y")
                prev = "y"
                continue
            if prev == "a" and out and out[-1] == "a":
                continue
            out.append("a")
            prev = "a"
            continue
        if ch == prev:
            continue
        out.append(ch)
        prev = ch
    return "".join(out)


_LOOSE = str.maketrans({"g": "k", "d": "t", "b": "p", "v": "f", "z": "s", "j": "c"})


@lru_cache(maxsize=200_000)
def loose_key(token: str) -> str:
    """Key 2: :func:`fold_key` with voicing and affricates merged (``Kim/Gim``, ``Chong/Jong``)."""
    key = fold_key(token)
    if not key.isalpha():
        return key
    key = key.replace("ch", "c").replace("sh", "s").translate(_LOOSE)
    out: list[str] = []
    for ch in key:
        if out and out[-1] == ch:
            continue
        out.append(ch)
    return "".join(out)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonants only (vowels and the glides ``w``/``y`` dropped), digraphs folded.

    The form an abjad spelling can be compared on: ``mhmd`` (محمد) and ``Mohammed`` both
    give ``mhmd``; ``ly`` (علي) and ``Ali`` both give ``l``. ``w`` and ``y`` go because abjads
    write the long vowels u/o and i/e with them (``bwtyn`` is Putin). Voicing is *not*
    merged, unlike :func:`loose_key`: Arabic writes d and t, s and z with different letters
    and Latin spellings of Arabic names keep them apart (Saddam is not "systema"); only the
    letters Latin spellings do swap are merged (q/k/g: Qaddafi, Kaddafi, Gaddafi; dh/d; ch/sh).
    """
    if not token or not token.isalpha():
        return token
    text = _digraphs(_SKELETON_DROP.sub("", token).replace("dh", "d"))
    text = text.replace("ch", "sh").translate(_STRICT)
    out: list[str] = []
    for ch in text:
        if out and out[-1] == ch:
            continue
        out.append(ch)
    return "".join(out)


_STRICT = str.maketrans({"q": "k", "c": "k", "g": "k", "p": "b", "v": "f"})
_SKELETON_DROP = re.compile("[aeiouwy]")


# Broad consonant classes, for comparing a Latin spelling with a name transcribed into a
# syllabic script (Hangul, kana, Han). Those scripts cannot write consonant clusters, most
# voicing contrasts, f/v or r/l the way European spellings do; their transcriptions of foreign
# names follow fixed conventions (Korean: v -> b, f -> p, z -> j, r/l -> ㄹ, clusters get an
# epenthetic vowel). Reducing both sides to broad consonant classes and dropping vowels, h, w
# and y makes "블라디미르 푸틴" (beulladimireu putin) and "Vladimir Putin" both "PLTML PTN".
_BROAD_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("tsch", "S"),
    ("sch", "S"),
    ("tch", "S"),
    ("ch", "S"),
    ("sh", "S"),
    ("zh", "S"),
    ("ts", "S"),
    ("tz", "S"),
    ("dz", "S"),
    ("dj", "S"),
    ("ph", "P"),
    ("th", "T"),
    ("ck", "K"),
    ("gh", ""),
    ("ng", "N"),
    ("qu", "K"),
    ("x", "KS"),
)
_BROAD_RE = re.compile("|".join(re.escape(a) for a, _ in _BROAD_DIGRAPHS))
_BROAD_MAP = dict(_BROAD_DIGRAPHS)
_BROAD_LETTERS = str.maketrans(
    {
        "p": "P", "b": "P", "f": "P", "v": "P",
        "t": "T", "d": "T",
        "k": "K", "g": "K", "q": "K", "c": "K",
        "s": "S", "z": "S", "j": "S",
        "l": "L", "r": "L",
        "m": "M", "n": "N",
        "a": "", "e": "", "i": "", "o": "", "u": "", "y": "", "w": "", "h": "",
    }
)  # fmt: skip
_SOFT = re.compile(r"[cg](?=[eiy])")


_PINYIN = str.maketrans({"x": "s", "q": "s", "c": "s"})


@lru_cache(maxsize=200_000)
def broad_key(token: str, origin: str = "latin") -> str:
    """Broad consonant classes (P T K S L M N), vowels and h/w/y dropped, doubles merged.

    ``origin`` says how the ASCII was made: ``latin`` spellings soften c/g before e/i/y
    (George, Cecil); Revised Romanisation and kana romanisation have no soft letters; pinyin
    writes affricates and sibilants as x/q/c (Xi, Qian, Cao).
    """
    if not token or not token.isalpha():
        return token
    if origin == "latin":
        text = _SOFT.sub(lambda m: "s" if m.group(0) == "c" else "j", token)
    elif origin == "han":
        text = token.translate(_PINYIN)
    else:
        text = token
    text = _BROAD_RE.sub(lambda m: _BROAD_MAP[m.group(0)], text)
    text = text.translate(_BROAD_LETTERS)
    out: list[str] = []
    for ch in text:
        if out and out[-1] == ch:
            continue
        out.append(ch)
    return "".join(out)


_R_CODA = re.compile(r"(?<=[aeiouy])r+(?=[^aeiouy]|$)")


@lru_cache(maxsize=200_000)
def broad_key_rless(token: str) -> str:
    """:func:`broad_key` of a Latin spelling read the English way, an ``r`` after a vowel and
    before a consonant or the end being silent (Porter -> 포터, Robert -> 로버트)."""
    return broad_key(_R_CODA.sub("", token), "latin")


# Korean syllables: the romanisation systems (Revised, McCune-Reischauer, and the spellings
# people actually use) disagree on consonants (g/k, d/t, b/p, j/ch, r/l) and on some vowels: ㅓ
# is eo (RR), o (MR: Jong, Chol) or u (Jung, Chul); ㅡ is eu or u; ㅕ is yeo, yo or yu; ㅚ is oe
# or oi. A syllable's other vowels still identify it: 진 (jin/chin) is never 춘 (chun), 주 (ju)
# never 조 (cho). So a syllable has a *set* of keys, and two spellings agree when the sets meet.
_KO_VOWELS: tuple[tuple[str, str], ...] = (
    ("eui", "i"),
    ("eu", "u"),
    ("oo", "u"),
    ("ou", "u"),
    ("oe", "we"),
    ("oi", "we"),
    ("ee", "i"),
    ("ae", "e"),
    ("ui", "i"),
)
_KO_CONS: tuple[tuple[str, str], ...] = (
    ("tch", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("rh", "l"),
    ("kh", "k"),
    ("th", "t"),
    ("ph", "p"),
)
_KO_LETTERS = str.maketrans({"j": "c", "g": "k", "d": "t", "b": "p", "r": "l", "q": "k", "f": "p", "v": "p", "z": "c"})
_KO_CODA = re.compile(r"(?<=[aeiou])[rh](?=[^aeiouy]|$)")


@lru_cache(maxsize=100_000)
def korean_keys(token: str) -> frozenset[str]:
    """Keys of a Korean syllable (or a Latin spelling of one), the systems' differences folded;
    ``eo`` stands for both o and u."""
    text = _KO_CODA.sub("", token)  # Park (박 bak), Ahn (안 an)
    for a, b in _KO_CONS + _KO_VOWELS:
        text = text.replace(a, b)
    text = text.translate(_KO_LETTERS)
    if len(text) > 1 and text[0] == "y" and text[1] == "i":
        text = text[1:]  # Yi
    out: list[str] = []
    for ch in text:
        if out and out[-1] == ch:
            continue
        out.append(ch)
    key = "".join(out)
    if "eo" in key:
        return frozenset({key.replace("eo", "o"), key.replace("eo", "u")})
    return frozenset({key})


def korean_alternatives(key: str) -> tuple[str, ...]:  # noqa: D401
    """The initial-sound law: 이/리 (I, Ri, Lee), 유/류, 양/량, 노/로: a syllable that starts
    with i/y in the South is written with r/l/n in the North and in older spellings."""
    if key and key[0] in "iy":
        return (key, "l" + key, "n" + key)
    if key and key[0] in "ln" and len(key) > 1 and key[1] in "iy":
        return (key, key[1:])
    return (key,)


# Chinese syllables: pinyin against Wade-Giles and the older spellings (Hsi/Xi, Chin/Jin,
# Chang/Zhang, Tse/Ze, Tsao/Cao). Initials fold; finals keep their vowel (Chen is not Chun).
_ZH_INITIALS: tuple[tuple[str, str], ...] = (
    ("tz", "z"),
    ("ts", "z"),
    ("zh", "j"),
    ("ch", "j"),
    ("hs", "x"),
    ("sh", "x"),
    ("q", "j"),
    ("c", "z"),
    ("k", "g"),
    ("t", "d"),
    ("p", "b"),
)
_ZH_FINALS: tuple[tuple[str, str], ...] = (("ung", "ong"), ("ieh", "ie"), ("ih", "i"), ("ueh", "ue"), ("uo", "o"))


@lru_cache(maxsize=100_000)
def chinese_key(token: str) -> str:
    """A Chinese syllable spelled in pinyin or Wade-Giles, with the systems' differences folded."""
    text = token
    for a, b in _ZH_INITIALS:
        if text.startswith(a):
            text = b + text[len(a) :]
            break
    if text.startswith("x"):
        text = "s" + text[1:]  # Xi, Hsi, Shi, Si: the sibilants spelled apart by systems
    for a, b in _ZH_FINALS:
        if text.endswith(a):
            text = text[: -len(a)] + b
    return text


# Abjad spellings against Latin spellings. An Arabic (or Persian, Urdu, Pashto) name romanised
# letter by letter has its consonants and long vowels (ا و ي: a, w, y) but no short vowels; a
# Latin spelling has vowels everywhere and its own conventions for the letters Latin lacks
# (ث th/s, ذ dh/z, ظ z/dh/th, خ kh/h, غ gh/g, ق q/k/g, ج j/dj/g). Aligning the two with a
# small dynamic programme prices only what a transliteration cannot explain.
_SYMBOLS = (("sch", "S"), ("tch", "C"), ("dzh", "J"), ("th", "T"), ("dh", "D"), ("kh", "X"), ("gh", "G"), ("sh", "S"),
            ("ch", "C"), ("zh", "Z"), ("dj", "J"), ("ph", "f"), ("ck", "k"))  # fmt: skip
# Latin vowel pairs that write a *long* vowel, which an abjad spells with a letter: if the
# abjad spelling has no letter for it (حسن against Hussein), that is a difference.
_LONG = (("ou", "U"), ("oo", "U"), ("ee", "I"), ("ei", "I"), ("ai", "I"), ("ey", "I"), ("ay", "I"), ("ie", "I"), ("aa", "A"))
_A_VOWELS = frozenset("awy")
_L_VOWELS = frozenset("aeiouyUIA")
_L_LONG = frozenset("UIA")
#: consonant symbols a letter of the abjad spelling may be written with in Latin
_EQUIV: dict[str, frozenset[str]] = {
    "T": frozenset("Tst"), "D": frozenset("Dzd"), "z": frozenset("zDTd"), "X": frozenset("Xhk"),
    "G": frozenset("Ggr"), "S": frozenset("SCs"), "C": frozenset("CSJ"), "j": frozenset("jJgz"),
    "J": frozenset("jJg"), "q": frozenset("qkgc"), "k": frozenset("kcq"), "d": frozenset("dD"),
    "t": frozenset("tT"), "s": frozenset("sc"), "b": frozenset("bp"), "p": frozenset("pb"),
    "f": frozenset("fv"), "v": frozenset("vwf"), "g": frozenset("gGkj"), "Z": frozenset("Zjz"),
}  # fmt: skip


_SYM_RE = re.compile("|".join(re.escape(a) for a, _ in _SYMBOLS) + "|.")
_SYM_RE_LATIN = re.compile("|".join(re.escape(a) for a, _ in _SYMBOLS + _LONG) + "|.")
_SYM_MAP = dict(_SYMBOLS + _LONG)


@lru_cache(maxsize=100_000)
def _symbols(text: str, latin: bool = False) -> tuple[str, ...]:
    out: list[str] = []
    n = len(text)
    for m in (_SYM_RE_LATIN if latin else _SYM_RE).finditer(text):
        tok = m.group(0)
        ch = _SYM_MAP.get(tok)
        if ch is None:
            if tok == "c":
                ch = "s" if m.end() < n and text[m.end()] in "eiy" else "k"
            elif tok == "x":
                ch = "X"
            else:
                ch = tok
        if out and out[-1] == ch and ch not in _L_VOWELS:
            continue
        out.append(ch)
    return tuple(out)


def _skip_latin(sym: str, last: bool) -> float:
    """Cost of a Latin letter the abjad spelling does not write: nothing for a short vowel or
    a final h (ة written -ah), half for a long vowel, one for a consonant."""
    if sym in _L_LONG:
        return 0.5
    if sym in _L_VOWELS or sym == "h" and last:
        return 0.0
    return 1.0


@lru_cache(maxsize=50_000)
def abjad_cost(abjad: str, latin: str) -> tuple[float, int]:
    """Cost of reading the Latin spelling as a transliteration of the abjad one, and the number
    of consonants in the abjad spelling (the evidence there is)."""
    a = _symbols(abjad)
    lat = _symbols(latin, latin=True)
    na, nl = len(a), len(lat)
    inf = 99.0
    # dp[i][j]: cost of aligning a[:i] with lat[:j]
    prev = [0.0] * (nl + 1)
    for j in range(1, nl + 1):
        prev[j] = prev[j - 1] + _skip_latin(lat[j - 1], j == nl)
    for i in range(1, na + 1):
        ai = a[i - 1]
        cur = [inf] * (nl + 1)
        # a letter of the abjad spelling with nothing in the Latin one
        cur[0] = prev[0] + (0.5 if ai in _A_VOWELS or ai == "h" else 1.0)
        for j in range(1, nl + 1):
            lj = lat[j - 1]
            best = inf
            # match
            if ai == lj or lj in _EQUIV.get(ai, ()):
                best = prev[j - 1]
            elif ai in _A_VOWELS and lj in _L_VOWELS:
                # alif/waw/ya as a long vowel (an initial alif carries any vowel)
                if ai == "a" and lj not in "UI" or (ai == "w" and lj in "uowvU") or (ai == "y" and lj in "ieyI"):
                    best = prev[j - 1]
                else:
                    best = prev[j - 1] + 0.5
            elif ai == "w" and lj == "v" or ai == "y" and lj == "j":
                best = prev[j - 1]
            else:
                best = prev[j - 1] + 1.0
            # a Latin letter with nothing in the abjad spelling: short vowels are free, and so is
            # a final h (ة written -ah)
            skip_l = cur[j - 1] + _skip_latin(lj, j == nl)
            # an abjad letter with nothing in the Latin: long vowels and h cost half
            skip_a = prev[j] + (0.5 if ai in _A_VOWELS or ai == "h" else 1.0)
            cur[j] = min(best, skip_l, skip_a)
        prev = cur
    consonants = sum(1 for s in a if s not in _A_VOWELS)
    return prev[nl], consonants
