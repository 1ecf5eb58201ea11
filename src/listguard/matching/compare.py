"""Name-against-name scoring: align the parts, weigh them, and count what disagrees.

A score is built in three steps, each answering a question an analyst would ask:

1. *Which parts correspond?* Every query part is compared with every listed part
   (:func:`token_similarity`: identical, same romanisation key, known variant, spelling within
   an edit budget, initial, transliteration skeleton), and adjacent parts are also tried joined
   (``Song Hwa``/``Songhwa``, ``Abd al``/``Abdul``, Hangul and Han syllables). The best
   one-to-one alignment is picked greedily; name order never matters (``JONG, Song Hwa``).
2. *How much does each part identify?* Rare parts weigh more (:mod:`listguard.names.weights`).
3. *What is left over?* A part left on **both** sides is a conflict (a different surname, a
   different patronymic, an initial that does not fit) and costs its full weight; a part left on
   **one** side only is missing (a dropped middle name, a patronymic the query did not give) and
   costs a fraction of it, less for the listed side of a person name (lists carry full names,
   people type short ones). Numbers are special: two different numbers are a different ship or
   fund, whatever else matches. Legal forms of different classes (``ANO`` vs ``LLC``, ``AG`` vs
   ``GmbH``) cost a share of the score.

``score = sum(similarity x weight of aligned parts) / (weight of aligned parts + conflict cost +
missing cost)``, so identical names score 1 and every deviation is priced by how much it tells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, Sequence

import re

from rapidfuzz.distance import OSA

from listguard.matching.explain import AlignedPart, Explanation, NameExplanation
from listguard.names.tokens import (
    HONORIFIC,
    INITIAL,
    NAME,
    NUMBER,
    OBJ,
    ORG,
    PARTICLE,
    PER,
    Join,
    NameForm,
    Token,
    analyse_name,
    split_alternatives,
    tag_for_schema,
)
from listguard.names.phonetic import abjad_cost, chinese_key, fold_key, korean_alternatives, korean_keys, loose_key
from listguard.names.translit import ABJAD, HAN, HANGUL, KANA, LATIN, OTHER
from listguard.names.nicknames import is_nickname
from listguard.names.variants import on_change, share_group, share_spelling_group


class Weights(Protocol):
    def weight(self, token: Token) -> float: ...


# ------------------------------------------------------------------------- token similarity
#: Minimum similarity for two parts to be aligned at all.
MIN_SIM = 0.5

EXACT = "exact"
ROMANISATION = "romanisation"
VARIANT = "variant"
SPELLING = "spelling"
INITIAL_HOW = "initial"
JOINED = "joined"
TRANSLIT = "transliteration"
PARTICLE_HOW = "particle"
NUMBER_HOW = "number"
ACRONYM = "acronym"
ABBREVIATION = "abbreviation"


def edit_similarity(distance: int, length: int) -> float:
    """Similarity for ``distance`` edits between words of ``length`` letters.

    An edit budget that grows with length: one edit is a typo in any word of 3+ letters, two
    are a typo in a long word but a different name in a short one ("Sancho"/"Sanchez" is a
    coin toss, "Khordorovsky"/"Khodorkovsky" is not), three only in very long words.
    """
    if distance == 0:
        return 1.0
    if length <= 2:
        return 0.0
    if distance == 1:
        if length == 3:
            return 0.72
        if length == 4:
            return 0.8
        if length <= 6:
            return 0.86
        return 0.9
    if distance == 2:
        if length <= 4:
            return 0.0
        if length == 5:
            return 0.55
        if length <= 7:
            return 0.66
        if length <= 9:
            return 0.72
        return 0.8
    if distance == 3:
        if length <= 8:
            return 0.0
        if length <= 10:
            return 0.55
        if length <= 12:
            return 0.65
        return 0.72
    if distance == 4 and length >= 14:
        return 0.6
    return 0.0


#: Latin spellings equal only once voicing is folded (Kim/Gim, but also Marquez/Marcos).
LOOSE_LATIN = 0.85

#: Name-token similarities, one row per first token's ``sid`` (a two-level table: the aligner
#: looks a row up once per query part, then each listed part in it without building a key).
_SIM_CACHE: dict[str, dict[str, tuple[float, str]]] = {}
_SIM_SIZE = [0]
_SIM_LIMIT = 500_000  # ~80 bytes an entry, per process


def _clear_sim_cache() -> None:
    _SIM_CACHE.clear()
    _SIM_SIZE[0] = 0


on_change(_clear_sim_cache)


def _sim_row(sid: str) -> dict[str, tuple[float, str]]:
    row = _SIM_CACHE.get(sid)
    if row is None:
        row = _SIM_CACHE[sid] = {}
    return row


_SYLLABARIES = frozenset({"Ethiopic", "Yi", "Cherokee", "Canadian_Aboriginal", "Vai"})


def _letter_script(text: str) -> bool:
    from rigour._core import text_scripts

    return text_scripts(text).isdisjoint(_SYLLABARIES)


def _consonants(key: str) -> int:
    return sum(1 for ch in key if ch != "a")


def _fuzzy(a: str, b: str) -> float:
    length = max(len(a), len(b))
    if abs(len(a) - len(b)) > 4:
        return 0.0
    return edit_similarity(OSA.distance(a, b, score_cutoff=4), length)


def _name_similarity(a: Token, b: Token) -> tuple[float, str]:
    """Two NAME tokens (the common case). Cached by the caller."""
    sa, sb = a.script, b.script
    if sa == sb and a.frag and b.frag and sa in (HAN, HANGUL):
        # Two syllables written in the same native script are the same character or not:
        # there is no spelling variation to forgive, and a different character is a
        # different name (石/市 both read "shi"; 형/명 differ by one letter in romanisation).
        return (1.0, EXACT) if a.orig == b.orig else (0.0, EXACT)
    if a.text == b.text:
        return 1.0, EXACT
    both_latin = sa == LATIN and sb == LATIN
    if a.frag or b.frag:
        # one syllable of a Hangul/Han name against a Latin spelling of a syllable
        syl, other = (a, b) if a.frag else (b, a)
        if other.frag:
            return 0.0, EXACT
        if syl.script == HANGUL:
            return _korean_syllable(syl, other)
        if syl.script == HAN:
            # pinyin against a Latin spelling: the same syllable, or nothing (sun is not sung)
            if chinese_key(syl.text) == chinese_key(other.text):
                return 0.9, TRANSLIT
            if share_group(syl.vform, other.vform):
                return 0.8, VARIANT  # 金 is Kim in a Korean name written in Hanja
            return 0.0, TRANSLIT
    if sa == ABJAD or sb == ABJAD:
        if (sa == LATIN) != (sb == LATIN):
            ab, la = (a, b) if sa == ABJAD else (b, a)
            if la.text[-1:] in ("i", "y") and ab.text[-1:] not in ("y", "a", "w", "h") and len(la.text) >= 5:
                # a nisba (-i: a family name made from a name) against the name without its -y
                if abjad_similarity(ab.text, la.text[:-1]) > NISBA_SIM:
                    return NISBA_SIM, TRANSLIT
        if share_group(a.vform, b.vform):
            return 0.9, TRANSLIT
        if (sa == LATIN) != (sb == LATIN):
            ab, la = (a, b) if sa == ABJAD else (b, a)
            return abjad_similarity(ab.text, la.text), TRANSLIT
        # vowels unknown on at least one side: compare consonant skeletons
        ka, kb = a.skel, b.skel
        if not ka or not kb:
            return 0.0, TRANSLIT
        if ka == kb:
            # short skeletons are weak evidence: khn is Cohen, Kahn and Khan
            return (0.9 if len(ka) >= 4 else 0.85 if len(ka) == 3 else 0.7 if len(ka) == 2 else 0.6), TRANSLIT
        length = max(len(ka), len(kb))
        if length >= 3 and OSA.distance(ka, kb, score_cutoff=2) <= 1:
            return (0.78 if length >= 4 else 0.7), TRANSLIT
        return 0.0, TRANSLIT
    if both_latin and is_nickname(a.text, b.text):
        # a nickname and its full name (Bob / Robert, Peggy / Margaret; the nicknames package):
        # a short nickname is weaker evidence, it is a name of its own in other languages
        return (NICKNAME_SIM if min(len(a.text), len(b.text)) >= 4 else NICKNAME_SHORT_SIM), VARIANT
    known = -1  # computed when needed (most pairs never need it)
    short = both_latin and min(len(a.text), len(b.text)) <= SHORT_WORD
    if short:
        # a known link vouches for short words when it says they are one syllable in two
        # systems, or one is an abbreviation of the other (Co/Company); a group of look-alike
        # spellings does not overrule the short-word rule (Sang and Sung are not one name)
        known = _latin_variants(a, b)
        short = not (known == SAME_SYLLABLE or (known and abs(len(a.text) - len(b.text)) >= 2))
    if short and not _short_compatible(a.text, b.text):
        # A short word is one syllable or two: a different vowel or a different first consonant
        # makes it a different name (Sang/Song, Jun/Jin, Jong/Tong, Ali/Alia), however alike
        # the keys; only letters swapped in typing (Jonh/John) are the same word.
        if _is_syllable(a.text) and _is_syllable(b.text):
            return _transposed(a.text, b.text), SPELLING
        # not two syllables: a typo stays possible (a letter dropped or added), weakly
        return _transposed(a.text, b.text) or min(_short_fuzzy(a.text, b.text), SHORT_TYPO_SIM), SPELLING
    if both_latin and _nisba(a.text, b.text):
        # a family name made from a name with -i (Hassan / Hassani) is another name
        return NISBA_SIM, SPELLING
    if a.key == b.key and len(a.key) > 1:
        if sa != LATIN or sb != LATIN:
            return 0.9, TRANSLIT
        # Same key: a romanisation variant (Jong/Jeong, Sergei/Sergey) when the spellings are a
        # letter apart; further apart, the key only says the consonants agree (Putin/Petion),
        # and three letters apart hardly that (Souza/Siaisi).
        d = OSA.distance(a.text, b.text, score_cutoff=3)
        if d <= 1:
            return 0.95, ROMANISATION
        if d == 2:
            return (0.9 if _consonants(a.key) >= 4 else 0.85 if _consonants(a.key) == 3 else 0.75), ROMANISATION
        return (0.8 if _consonants(a.key) >= 4 else 0.6), ROMANISATION
    if both_latin and known < 0:
        known = _latin_variants(a, b)
    if known == SAME_SYLLABLE and _first_class(a.text) == _first_class(b.text):
        return 0.9, ROMANISATION  # one syllable in two romanisation systems (Xie / Hsieh, Ri / Lee)
    if (known if both_latin else share_group(a.vform, b.vform)) and (
        not both_latin or _first_class(a.text) == _first_class(b.text)
    ):
        # The name database links spellings of one name, but also names that only a
        # transcription into Chinese, Korean or Vietnamese merges (Trong/Zheng, Huong/Aung) and
        # the odd noisy item. A link counts when the spellings start alike, and fully only
        # when they are long enough to be distinctive or a letter apart.
        if min(len(a.text), len(b.text)) >= 5 or OSA.distance(a.text, b.text, score_cutoff=2) <= 1 and min(len(a.text), len(b.text)) >= 3:
            return 0.93, VARIANT
        if (a.broad2 == b.broad2 or a.broad == b.broad) and len(a.broad) >= 2:
            return 0.88, VARIANT
        return 0.7, VARIANT
    if a.loose == b.loose and len(a.loose) > 1:
        # voicing folded too (Kim/Gim, Chong/Jong): a letter apart it is a romanisation, further
        # apart a weak hint (Breton/Proton, Jin/Chun); "ch" for "j" is one sound, not two letters
        d = OSA.distance(a.text.replace("ch", "j"), b.text.replace("ch", "j"), score_cutoff=3)
        if d <= 1:
            return (LOOSE_LATIN if sa == sb == LATIN else 0.88), (ROMANISATION if sa == sb else TRANSLIT)
        if d == 2 and min(len(a.text), len(b.text)) >= 6:
            return 0.75, ROMANISATION
        return 0.6, ROMANISATION
    if sa == sb == OTHER and _letter_script(a.orig):
        # both written in the same alphabet-like script (Indic, Thai...): the written letters
        # are the evidence, not a romanisation that inflates them with inherent vowels
        return _fuzzy(a.orig, b.orig), SPELLING
    if short:
        return _short_fuzzy(a.text, b.text), SPELLING
    s1 = _fuzzy(a.text, b.text)
    if both_latin and s1 > ONSET_CAP and len(a.text) <= 6 and len(b.text) <= 6 and not _same_onset(a.text, b.text):
        # People rarely get the first sound of a name wrong; in a short name a different
        # first consonant is a different name (Mark/Park, Gina/Nina).
        s1 = ONSET_CAP
    if both_latin and s1 > FOREIGN_LETTER_CAP and _foreign_substitution(a.text, b.text):
        # one consonant for another that no keyboard slip gives (r for d is a slip, s for t is
        # another name: Peters / Petets, Morton / Norton)
        s1 = FOREIGN_LETTER_CAP
    if both_latin and _patronymic(a.text) != _patronymic(b.text) and s1 > FOREIGN_LETTER_CAP:
        s1 = FOREIGN_LETTER_CAP  # a patronymic is not a family name (Petrovna / Petrova)
    if sa != LATIN or sb != LATIN:
        # romanised from another script: spelling differences in the vowels are noise, and a
        # transcription into a syllabic script keeps only broad consonant classes (for whole
        # words only: one syllable of a word is not a word)
        best = s1
        if len(a.key) >= 3 and len(b.key) >= 3:
            best = max(best, _fuzzy(a.key, b.key) * 0.96, _fuzzy(a.loose, b.loose) * 0.95)
        if (_broad_script(a) or _broad_script(b)) and (a.raw == a.orig or not a.frag) and (b.raw == b.orig or not b.frag):
            best = max(best, broad_similarity(a.broad, b.broad), broad_similarity(a.broad2, b.broad2))
        return best, (TRANSLIT if best > s1 else SPELLING)
    return s1, SPELLING


SPELLING_GROUP, SAME_SYLLABLE = 1, 2
#: Similarity of a nickname and its full name, and of a nickname of three letters or fewer.
NICKNAME_SIM = 0.9
NICKNAME_SHORT_SIM = 0.85


def _latin_variants(a: Token, b: Token) -> int:
    """Whether the name database makes two Latin spellings one name: a group of spellings of
    one name, or a group of the readings of one Han character when both spellings read the
    same syllable of one language in two romanisation systems (Hsu/Xu, Chang/Zhang in
    Mandarin; Ri/Lee, Pak/Park in Korean) - not readings of the character in two languages
    (Chen/Sun, Kim/Jian are different surnames)."""
    syllables = _is_syllable(a.text) and _is_syllable(b.text)
    if syllables and chinese_key(a.text) == chinese_key(b.text):
        return SAME_SYLLABLE  # one Mandarin syllable in Pinyin and Wade-Giles (Xie / Hsieh)
    if not share_group(a.vform, b.vform):
        return 0  # (the common case: no group links them)
    if share_spelling_group(a.vform, b.vform):
        return SPELLING_GROUP
    if _vowel_classes(a.text) != _vowel_classes(b.text):
        return 0
    if chinese_key(a.text) == chinese_key(b.text) or not korean_keys(a.text).isdisjoint(korean_keys(b.text)):
        return SAME_SYLLABLE
    return 0


#: Latin words this short (in letters) are one or two syllables: common, and told apart by
#: every letter (see :func:`_short_compatible`).
SHORT_WORD = 4

#: Vowel spellings romanisation systems swap for one sound, by class: the back rounded vowels
#: (o, u, Korean eo and eu, oo, ou), the front ones (e, i, y, ee, ie, ei...), a alone, and
#: the diphthongs. Learned from the systems' tables (Revised Romanization, McCune-Reischauer,
#: Pinyin / Wade-Giles, BGN/PCGN), not from names.
_VOWEL_CLASS = {
    "a": "A", "aa": "A", "ah": "A",
    "o": "O", "u": "O", "oo": "O", "ou": "O", "eo": "O", "eu": "O", "uo": "O", "ow": "O",
    "e": "E", "i": "E", "y": "E", "ee": "E", "ie": "E", "ei": "E", "ey": "E", "ii": "E",
    "iy": "E", "ea": "E", "ui": "E", "yi": "E",
    "ae": "AE", "ai": "AE", "ay": "AE", "aye": "AE",
    "oe": "OE", "oi": "OE", "oy": "OE", "wo": "O", "we": "E", "wi": "E", "wa": "A", "wae": "AE",
}  # fmt: skip
_VOWEL_RUN = re.compile(r"[aeiouyw]+")


@lru_cache(maxsize=100_000)
def _vowel_classes(text: str) -> tuple[str, ...]:
    """The classes of a word's vowel runs (a leading or inner ``y``/``w`` before a vowel is a
    glide, kept with its vowel: Hyok/Hyeok, Kwang/Gwang)."""
    out = []
    for m in _VOWEL_RUN.finditer(text):
        run = m.group(0)
        if m.start() == 0 and len(run) > 1 and run[0] in "yw":
            run = run[1:]  # Yong, Woo: the glide is a consonant here
        cls = _VOWEL_CLASS.get(run)
        if cls is None and len(run) > 1 and run[0] in "yw":
            cls = _VOWEL_CLASS.get(run[1:])
        out.append(cls or run)
    return tuple(out)


#: One syllable as Pinyin, Wade-Giles, Cantonese or Korean romanisations write it: an initial
#: consonant (cluster), a vowel nucleus and a final that these systems allow (n, ng, m, l, k,
#: p, t; h in Wade-Giles -ih / -ieh).
_SYLLABLE = re.compile(
    r"(?:ch|zh|sh|ts|tz|hs|ng|kk|tt|pp|ss|jj|kw|gw|[bpmfdtnlgkhjqxrzcsyw])?"
    r"[aeiouy]{1,3}(?:ng|n|m|l|k|p|t|h)?"
)
#: Vowel spellings that stand for one vowel of a Chinese or Korean syllable in the usual
#: romanisations: Korean eo is o in McCune-Reischauer and u in passports (Seong / Song /
#: Sung), eu is u, oo is u, ee is i, ui is i in passports (Hui / Hee), oi is oe (Choi /
#: Choe), ai is ae; Wade-Giles writes ieh and ien for Pinyin ie and ian, uo as o (Kuo).
#: Other vowels are other syllables: e is not i (Chen / Chin, Lei / Li, Peng / Ping), a is
#: not o (Sang / Song), ia is not a (Jiang / Chang).
_CJK_VOWEL = {"eo": "o", "u": "o", "oo": "o", "eu": "o", "uo": "o", "ou": "o", "ow": "o",
              "ee": "i", "ui": "i", "oi": "oe", "ai": "ae", "ieh": "ie", "ih": "i", "yeo": "yo",
              "yu": "yo", "you": "yo", "ye": "ye", "wo": "o"}  # fmt: skip


_FINAL = re.compile(r"(?:ng|n|m|l|k|p|t)$")


def _final(text: str) -> str:
    m = _FINAL.search(text)
    return m.group(0) if m and len(text) > len(m.group(0)) else ""


def _vowel_skeleton(text: str) -> tuple[str, ...]:
    """The vowels of a word of several syllables, romanisation variants folded (see
    :data:`_CJK_VOWEL`): Jongchul and Jongchol agree, Jongmi and Jongmu do not."""
    return tuple(_CJK_VOWEL.get(run, run) for run in re.findall(r"[aeiou]+", text))


@lru_cache(maxsize=100_000)
def _is_syllable(text: str) -> bool:
    return len(text) <= 6 and _SYLLABLE.fullmatch(text) is not None


@lru_cache(maxsize=100_000)
def _cjk_vowels(text: str) -> str:
    m = re.search(r"[aeiouyw]+h?", text[1:] if text[:1] in "yw" and len(text) > 1 and text[1] in "aeiou" else text)
    if m is None:
        return ""
    run = m.group(0)
    if run.endswith("h") and not run.endswith(("ih", "ieh")):
        run = run[:-1]
    if text.endswith("ien"):
        return "ia"
    return _CJK_VOWEL.get(run, run)


def _onset(text: str) -> str:
    """The first consonant's class (voicing and affricates folded: Kim/Gim, Chong/Jong)."""
    key = loose_key(text)
    return key[:2] if key[:1] in "cs" and key[1:2] == "h" else key[:1]


#: Most a spelling edit of a short word (six letters or fewer) can count when the first
#: consonants differ (see :func:`_same_onset`).
ONSET_CAP = 0.55


def _same_onset(a: str, b: str) -> bool:
    """Whether two Latin words start with the same consonant class (or a transposition keeps
    it: Jonh/John) or the same letter."""
    return a[:1] == b[:1] or _onset(a.lstrip("hwy") or a) == _onset(b.lstrip("hwy") or b)


def _short_compatible(a: str, b: str) -> bool:
    """Whether two short Latin words can be spellings of one syllable or name: the same vowel
    classes in the same order and the same first consonant class (Jong/Jeong/Chong, Sung/Song,
    Kim/Gim, Ali/Aly; not Sang/Song, Jun/Jin, Jong/Tong, Li/Yi)."""
    if _is_syllable(a) and _is_syllable(b):
        # one Chinese or Korean syllable each: the vowel and the final consonant are what tell
        # them apart (Sung / Son, Han / Hak, Jin / Jing)
        if _cjk_vowels(a) != _cjk_vowels(b) or _final(a) != _final(b):
            return False
    elif _vowel_classes(a) != _vowel_classes(b):
        return False
    return _same_onset(a, b)


#: Most a one-letter difference between two short words that are not both syllables can count
#: when their vowels differ (a typo, or another name: Ali / Alia).
SHORT_TYPO_SIM = 0.65
#: Similarity of a name and the family name formed from it with the suffix -i (Arabic and
#: Persian nisba: Hassan / Hassani, Rahim / Rahimi).
NISBA_SIM = 0.6


def _nisba(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) < 4 or long_[-1] not in "iy" or short[-1] in "aeiouy":
        return False
    stem = long_[:-1]
    return stem == short or fold_key(stem) == fold_key(short)


#: Most a spelling edit can count when it swaps a consonant for one that is not next to it on
#: a QWERTY keyboard (see :func:`_foreign_substitution`).
FOREIGN_LETTER_CAP = 0.7
_QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POS = {ch: (r, c) for r, row in enumerate(_QWERTY) for c, ch in enumerate(row)}


def _neighbours(x: str, y: str) -> bool:
    (r1, c1), (r2, c2) = _KEY_POS.get(x, (-9, -9)), _KEY_POS.get(y, (9, 9))
    return abs(r1 - r2) <= 1 and abs(c1 - c2) <= 1 + (r1 != r2)


def _foreign_substitution(a: str, b: str) -> bool:
    """Whether two words of the same length differ in exactly one letter, both consonants
    that are not keyboard neighbours: a different name rather than a typo."""
    if len(a) != len(b) or len(a) > 8:
        return False
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    if len(diff) != 1:
        return False
    x, y = diff[0]
    return x not in "aeiouy" and y not in "aeiouy" and not _neighbours(x, y)


def _patronymic(text: str) -> bool:
    return len(text) >= 7 and text.endswith(_PATRONYMIC_ENDINGS)


def _transposed(a: str, b: str) -> float:
    if len(a) == len(b) and sorted(a) == sorted(b) and OSA.distance(a, b, score_cutoff=1) == 1:
        return TRANSPOSED_SIM
    return 0.0


#: Two adjacent letters typed the other way round (Jonh / John): the commonest typo, and one
#: that does not turn a name into another common one.
TRANSPOSED_SIM = 0.85


def _short_fuzzy(a: str, b: str) -> float:
    """Short words that are not spellings of one syllable: only a typo of the same word counts
    (a transposition, or one letter of a four-letter word), and weakly. Two different
    syllables are two names, whatever the edit distance."""
    transposed = _transposed(a, b)
    if transposed or (_is_syllable(a) and _is_syllable(b)):
        return transposed
    if min(len(a), len(b)) >= 3 and a[0] == b[0] and OSA.distance(a, b, score_cutoff=1) == 1:
        # a letter dropped or added at the end (Bank / Ban) is the commoner typo
        return 0.7 if a.startswith(b) or b.startswith(a) or min(len(a), len(b)) >= 4 else 0.6
    return 0.0


#: scripts whose transcriptions of foreign names keep only broad consonant classes
_SYLLABIC = (HANGUL, HAN, KANA)
_SE_ASIAN = frozenset({"Myanmar", "Khmer", "Thai", "Lao"})


def _broad_script(tok: Token) -> bool:
    """Hangul, Han, kana and the Southeast Asian scripts transcribe a foreign name syllable by
    syllable (ဗလာဒီမီယာ: ba-la-di-mi-ya for Vladimir): only broad consonant classes survive."""
    if tok.script in _SYLLABIC:
        return True
    if tok.script != OTHER:
        return False
    from rigour._core import text_scripts

    return not text_scripts(tok.raw).isdisjoint(_SE_ASIAN)


_FIRST_CLASS = {
    **{c: "P" for c in "pbfv"}, **{c: "T" for c in "td"}, **{c: "K" for c in "kgqc"},
    **{c: "S" for c in "szjx"}, **{c: "L" for c in "lr"}, "m": "M", "n": "N",
    **{c: "V" for c in "aeiou"},
}  # fmt: skip


def _first_class(text: str) -> str:
    """Broad class of the first sound: h, w and y are skipped (they come and go between
    spellings: Usama/Osama, Yevgeny/Evgeny, Hsi/Xi), "ch" is an affricate like j, and an
    initial x is a sibilant (pinyin Xi, Portuguese Xavier)."""
    t = text.lstrip("hwy") or text
    if t.startswith(("ch", "sh", "zh", "ts", "tz")):
        return "S"
    return _FIRST_CLASS.get(t[:1], t[:1])


def _korean_syllable(syl: Token, other: Token) -> tuple[float, str]:
    """A Hangul syllable against a Latin spelling (see :func:`listguard.names.phonetic.korean_keys`).

    The same syllable or not: a different consonant or vowel class is a different syllable,
    and in a Korean name a different syllable is a different name.
    """
    ks, ko = korean_keys(syl.text), korean_keys(other.text)
    if not ks.isdisjoint(ko):
        return 0.95, TRANSLIT
    for k in ks:
        for alt in korean_alternatives(k):
            if alt in ko:
                return 0.9, TRANSLIT  # 이 is I, Yi, Ri, Lee
    for k in ko:
        for alt in korean_alternatives(k):
            if alt in ks:
                return 0.9, TRANSLIT
    return 0.0, TRANSLIT


def abjad_similarity(abjad: str, latin: str) -> float:
    """An abjad spelling (``mhmd``) against a Latin one (``Mohammed``), see
    :func:`listguard.names.phonetic.abjad_cost`. The fewer consonants, the less a perfect fit
    proves (علي fits Ali, Ely and Oli)."""
    cost, cons = abjad_cost(abjad, latin)
    if cost == 0:
        return 0.92 if cons >= 3 else 0.85 if cons == 2 else 0.7
    if cost <= 0.5:
        # a long vowel one spelling writes and the other does not: حسن Hasan is not Hussein
        return 0.78 if cons >= 3 else 0.7 if cons == 2 else 0.5
    if cost <= 1.0:
        return 0.75 if cons >= 4 else 0.6 if cons == 3 else 0.0
    if cost <= 1.5 and cons >= 5:
        return 0.6
    return 0.0


def broad_similarity(ka: str, kb: str) -> float:
    """Similarity of two broad consonant keys (see :func:`listguard.names.phonetic.broad_key`).

    Capped well below a spelling match: broad keys are lossy, they are the evidence a name
    transcribed into Hangul, kana or Han characters can give, and no more.
    """
    if not ka or not kb:
        return 0.0
    length = max(len(ka), len(kb))
    if ka == kb:
        return 0.85 if length >= 3 else 0.78 if length == 2 else 0.6
    if length < 3 or abs(len(ka) - len(kb)) > 2:
        return 0.0
    d = OSA.distance(ka, kb, score_cutoff=3)
    if d == 1:
        return 0.75 if length >= 4 else 0.65
    if d == 2 and length >= 6:
        return 0.65
    return 0.0


def token_similarity(a: Token, b: Token) -> tuple[float, str]:
    """Similarity of two tokens in ``[0, 1]`` and how they correspond."""
    ka, kb = a.kind, b.kind
    if ka == NAME and kb == NAME:
        row = _sim_row(a.sid)
        hit = row.get(b.sid)
        if hit is None:
            hit = row[b.sid] = _name_similarity(a, b)
            _SIM_SIZE[0] += 1
            if _SIM_SIZE[0] > _SIM_LIMIT:
                _clear_sim_cache()  # (rows the caller holds stay valid, just detached)
        return hit
    if ka == PARTICLE or kb == PARTICLE:
        if ka == kb and a.canon == b.canon:
            return 1.0, PARTICLE_HOW
        if a.text == b.text:
            return 1.0, EXACT  # read as a particle on one side only ("Song Il" / "il")
        return 0.0, PARTICLE_HOW
    if ka == NUMBER or kb == NUMBER:
        if ka == kb and a.num == b.num:
            return 1.0, NUMBER_HOW
        return 0.0, NUMBER_HOW
    if ka == INITIAL or kb == INITIAL:
        if ka == kb:
            return (0.9, INITIAL_HOW) if a.text == b.text else (0.0, INITIAL_HOW)
        other = b if ka == INITIAL else a
        init = a if ka == INITIAL else b
        if other.text and other.text[0] == init.text and other.script == LATIN:
            return 0.75, INITIAL_HOW
        return 0.0, INITIAL_HOW
    # honorifics: among themselves by key, and against a name spelled the same
    if a.key == b.key:
        return 1.0, EXACT
    return 0.0, EXACT


# ---------------------------------------------------------------------------- alignment
@dataclass
class Alignment:
    """The outcome of aligning two names (kept small: it is built for every candidate)."""

    score: float
    pairs: list[tuple[tuple[int, ...], tuple[int, ...], float, str]] = field(default_factory=list)
    unmatched_q: list[int] = field(default_factory=list)
    unmatched_c: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


#: Cost of a part left on both sides (a conflict), per unit of weight...
CONFLICT_COST = 1.5
#: ... and the least weight a conflict counts with.
CONFLICT_FLOOR = 0.7
_CONFLICTING = (NAME, INITIAL)
#: Cost of a part only the query has / only the listed name has, by name tag.
MISSING_COST = {
    PER: (0.5, 0.3),
    ORG: (0.8, 0.8),
    OBJ: (0.8, 0.8),
    "ANY": (0.6, 0.4),
}
#: Aligned parts less similar than this cost extra, up to this share of a conflict at
#: :data:`MIN_SIM` (a pairing that barely aligns is mostly a disagreement).
WEAK_PAIR = 0.7
WEAK_PAIR_SHARE = 0.5
#: Score multiplier when both names state a number and the numbers differ.
NUMBER_CONFLICT = 0.55
#: Score multiplier when both names have a legal form and the classes differ.
LEGAL_CONFLICT = 0.7

_PATRONYMIC_ENDINGS = (
    "ovich", "evich", "ovych", "evych", "ovna", "evna", "ivna", "ichna", "ovitch", "evitch",
    "owitsch", "ewitsch", "owicz", "ewicz", "ovic", "evic", "oglu", "ogly", "uly", "kyzy", "qizi",
)  # fmt: skip


#: Latin name parts this short (in letters), or one letter longer and shaped like one Chinese or
#: Korean syllable (Yong, Chae), are syllables (see :func:`_missing_factor`)...
SYLLABLE_LEN = 3
#: ... and cost this many times a missing part's usual cost when left over.
SYLLABLE_FACTOR = 2.0
#: Score multiplier for a person's one-word listed name (a single-word alias) matched by a
#: query of several name parts with some left over: one word of a longer name is a lead,
#: not an identification; the party's full names are scored on their own.
ONE_WORD_LISTED = 0.8


def _syllable_name(tokens: tuple[Token, ...]) -> bool:
    """A name written as Chinese or Korean syllables (Li Cheng Yu, Kim Kyong Hui): every part
    is one syllable, so every part is part of the name, none a middle name to drop."""
    names = [t for t in tokens if t.kind == NAME]
    return len(names) >= 2 and all(t.script == LATIN and _is_syllable(t.text) for t in names)


def _missing_factor(tokens: tuple[Token, ...], i: int) -> float:
    """How much a part costs when it is simply missing on the other side.

    Patronymics and the names in an Arabic nasab chain (after ``bin``/``ibn``) are the parts
    people most often leave out, so leaving them out costs half.
    """
    tok = tokens[i]
    if tok.kind != NAME:
        return 1.0
    if tok.script == LATIN and (len(tok.text) <= SYLLABLE_LEN or _is_syllable(tok.text) and (
        len(tok.text) == SYLLABLE_LEN + 1 or _syllable_name(tokens)
    )):
        # A part this short is a syllable of a given name (Song Hwa, Li Na, Jae Il), not a
        # middle name one may leave out: without it the name is another name.
        return SYLLABLE_FACTOR
    if tok.text.endswith(_PATRONYMIC_ENDINGS):
        return 0.5
    if i > 0 and tokens[i - 1].kind == PARTICLE and tokens[i - 1].canon == "bin":
        return 0.5
    return 1.0


def _nasab_segments(tokens: tuple[Token, ...]) -> list[int] | None:
    """For names with a ``bin``/``ibn`` chain: 0 for the person's own name, 1 after the first
    ``bin``. ``Abdullah bin Omar`` and ``Omar bin Abdullah`` are father and son."""
    seg = 0
    out: list[int] = []
    found = False
    for t in tokens:
        if t.kind == PARTICLE and t.canon == "bin" and out:
            seg = 1
            found = True
        out.append(seg)
    return out if found else None


_JOIN_CACHE: dict[tuple[str, str, int], tuple[float, str]] = {}
on_change(_JOIN_CACHE.clear)


def _joined_similarity(jn: Join, other: Token) -> tuple[float, str]:
    """Several adjacent parts read as one word (``jn``), against one part of the other name."""
    if other.kind != NAME:
        return 0.0, JOINED
    ck = (jn.text if not jn.word else jn.word, other.text, other.script)
    hit = _JOIN_CACHE.get(ck)
    if hit is not None:
        return hit
    hit = _joined(jn, other)
    if len(_JOIN_CACHE) > 100_000:  # ~300 bytes an entry, per process
        _JOIN_CACHE.clear()
    _JOIN_CACHE[ck] = hit
    return hit


#: Joined words shorter than this (letters) are compared by keys only, never by spelling edits.
JOINED_FUZZY_MIN = 7


def _joined(jn: Join, other: Token) -> tuple[float, str]:
    if other.frag and jn.latin:
        return 0.0, JOINED  # Latin words joined never stand for one Hangul/Han syllable
    if jn.word and share_group(jn.word, other.vform):
        return 0.9, TRANSLIT  # a whole Hangul/Han/kana word that is a known spelling
    if jn.abjad or other.script == ABJAD:
        if jn.abjad and other.script == LATIN:
            return abjad_similarity(jn.text, other.text) * 0.97, JOINED
        if other.script == ABJAD and jn.latin:
            return abjad_similarity(other.text, jn.text) * 0.97, JOINED
        if jn.skel == other.skel and len(jn.skel) >= 3:
            return 0.88, JOINED
        return 0.0, JOINED
    if not jn.latin and other.script == LATIN:
        # Syllables of a Hangul/Han word against one Latin word. Either a Korean or Chinese
        # name whose syllables the Latin spelling writes together (송화 / Songhwa): compare
        # syllable keys. Or a foreign name transcribed syllable by syllable (블라디미르 /
        # Vladimir): only broad consonant classes survive, and only for the whole word.
        if jn.text == other.text:
            return 0.95, TRANSLIT
        if jn.script == HANGUL and not korean_keys(jn.text).isdisjoint(korean_keys(other.text)):
            return 0.93, TRANSLIT
        if jn.script == HAN and "".join(chinese_key(p) for p in jn.parts) == chinese_key(other.text):
            return 0.9, TRANSLIT
        if jn.word and _foreign_word(jn):
            return max(broad_similarity(jn.broad, other.broad), broad_similarity(jn.broad, other.broad2)), TRANSLIT
        return 0.0, TRANSLIT
    if abs(len(jn.text) - len(other.text)) > 3:
        return 0.0, JOINED
    if jn.text == other.text:
        return 0.97, JOINED
    # Keys fold every vowel run to one vowel: for a word of several syllables joined they say
    # little for several syllables joined; the letters must stay close too.
    d = OSA.distance(jn.text, other.text, score_cutoff=3)
    close = d <= 1 or (d == 2 and len(jn.text) >= 8)
    if close and jn.parts and all(_is_syllable(p) for p in jn.parts):
        # syllables joined: each vowel tells a syllable apart
        close = _vowel_skeleton(jn.text) == _vowel_skeleton(other.text)
    if jn.key == other.key and close:
        return 0.93, JOINED
    if jn.loose == other.loose and close:
        return 0.88, JOINED
    if jn.loose[:1] != other.loose[:1]:
        return 0.0, JOINED
    if min(len(jn.text), len(other.text)) < JOINED_FUZZY_MIN:
        # two syllables joined are as short as a word: a misspelt short word is another name
        return 0.0, JOINED
    sim = _fuzzy(jn.text, other.text)
    if not jn.latin or other.script != LATIN:
        sim = max(sim, _fuzzy(jn.key, other.key) * 0.96, _fuzzy(jn.loose, other.loose) * 0.95)
    return sim * 0.97, JOINED


#: The commonest Korean family names (about nine Koreans in ten bear one of them).
_KO_SURNAMES = frozenset("김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허유남심노하곽성차주우구민")


def _foreign_word(jn: Join) -> bool:
    """Whether a whole Hangul/Han word may be a foreign name transcribed syllable by syllable.

    Not a Chinese name (two or three characters), nor a three-syllable Korean name that starts
    with a Korean family name: their syllables are compared one by one, never as a transcription.
    """
    word = jn.word[1:]
    if jn.script == HAN:
        return len(word) >= 4
    if jn.script == HANGUL:
        return not (len(word) == 3 and word[0] in _KO_SURNAMES)
    return True


#: Similarity of an organisation word and its abbreviation (Rep / Republic).
ABBREVIATION_SIM = 0.85


def _abbreviates(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(long_) >= len(short) + 2 and long_.startswith(short)


def _acronym(tokens: tuple[Token, ...], other: Token) -> bool:
    """``PLA`` for ``People's Liberation Army``: initials of the name parts (particles skipped)."""
    letters = "".join(t.text[0] for t in tokens if t.kind == NAME and t.text)
    return len(letters) >= 2 and letters == other.text


def _try_joins(
    joins: tuple[Join, ...],
    best: list[float],
    others: list[tuple[int, Token, int, bool]],
    cands: list[tuple[float, int, tuple[int, ...], tuple[int, ...], str]],
    query_side: bool,
) -> None:
    """Joins of one name (covering a part without a good partner) against the weak parts of
    the other (``(index, token, len(text), not abjad)``); matches go to ``cands``."""
    for jn in joins:
        pl = jn.plen
        weak: bool | None = None
        for k, tok, tlen, plain_tok in others:
            if pl >= 0 and plain_tok and (tlen - pl > 3 or pl - tlen > 3):
                continue
            if weak is None:
                weak = any(best[x] < 0.9 for x in jn.span)
            if not weak:
                break
            s, how = _joined_similarity(jn, tok)
            if s >= 0.75:
                if query_side:
                    cands.append((s, len(jn.span), jn.span, (k,), how))
                else:
                    cands.append((s, len(jn.span), (k,), jn.span, how))


def _side_bound(
    best: list[float], toks: tuple[Token, ...], w: Sequence[float], cost: float
) -> tuple[float, float, list[float]]:
    """One name's share of :func:`_score_bound`: (sum of best similarity x weight over parts
    with a partner, least cost of the parts without one, weights of those that could conflict)."""
    num = 0.0
    pen = 0.0
    conf: list[float] = []
    for i, u in enumerate(best):
        if u > 0.0:
            num += u * w[i]
        else:
            pen += min(0.75, cost * _missing_factor(toks, i)) * w[i]
            if toks[i].kind in _CONFLICTING:
                conf.append(w[i])
    return num, pen, conf


def _score_bound(
    cands: list[tuple[float, int, tuple[int, ...], tuple[int, ...], str]],
    singles: int,
    best_q: list[float],
    best_c: list[float],
    qt: tuple[Token, ...],
    ct: tuple[Token, ...],
    wq: Sequence[float],
    wc: Sequence[float],
    tag: str,
) -> float:
    """An upper bound of the score :func:`align` gives, from the candidate pairings alone
    (``cands[:singles]`` are part-to-part pairings, whose best per part are ``best_q`` and
    ``best_c``; the rest are joined words and acronyms).

    Why it holds. Let ``u`` be each part's best similarity over ``cands`` (0: it has no
    candidate partner, so it ends unmatched whatever the greedy pass does; call those sets
    ``A`` and ``B``). A pair ``p`` adds ``s*(wq+wc)/2`` to the numerator, and ``s`` is at most
    the ``u`` of each of its parts, so ``num <= N = (sum u*wq + sum u*wc) / 2``. Every ``s <= 1``,
    so the denominator is at least ``num + P`` (``P``: conflict and missing costs), hence
    ``score <= num / (num + P) <= N / (N + P_lb)`` for any ``P_lb <= P``; the number and legal
    form factors only lower it. ``P_lb``: an unmatched part costs either its missing cost
    (``cost * missing factor * w``) or, in a conflict, ``1.5 * max(mean weight, floor) >=
    0.75 * w`` for each of the two parts; so every part of ``A``/``B`` costs at least
    ``min(0.75, cost * factor) * w``. Conflicts pair the heaviest ``k`` leftovers of each side
    with ``k >= k' = min(|A conflicting|, |B conflicting|)``, and each part in a conflict costs
    ``0.75 * w``, at least ``(0.75 - cost) * w`` more than counted; the ``k`` heaviest leftovers
    weigh at least the ``k'`` heaviest of ``A`` (resp. ``B``), so that much more is added.
    """
    uq = list(best_q)
    uc = list(best_c)
    for s, _size, qi, cj, _how in cands[singles:]:
        for i in qi:
            if s > uq[i]:
                uq[i] = s
        for j in cj:
            if s > uc[j]:
                uc[j] = s
    cost_q, cost_c = MISSING_COST.get(tag, MISSING_COST["ANY"])
    num_q, pen_q, conf_q = _side_bound(uq, qt, wq, cost_q)
    num_c, pen_c, conf_c = _side_bound(uc, ct, wc, cost_c)
    num = (num_q + num_c) * 0.5
    pen = pen_q + pen_c
    k = min(len(conf_q), len(conf_c))
    if k:
        if cost_q < 0.75:
            pen += (0.75 - cost_q) * sum(sorted(conf_q)[-k:])
        if cost_c < 0.75:
            pen += (0.75 - cost_c) * sum(sorted(conf_c)[-k:])
    if num <= 0.0:
        return 0.0
    return num / (num + pen)


def align(
    q: NameForm,
    c: NameForm,
    weights: Weights,
    tag: str,
    wq: Sequence[float] | None = None,
    wc: Sequence[float] | None = None,
    floor: float | None = None,
) -> Alignment:
    """Align and score two analysed names (see the module docstring).

    ``wq``/``wc`` are the token weights of ``q``/``c`` when the caller has them already (the
    screener computes the query's once, the index stores every listed name's).

    ``floor``: the caller drops scores under it, so once every candidate pairing is known an
    upper bound of the score is computed (:func:`_score_bound`) and, when it is under the floor,
    that bound is returned as the score without the alignment itself (``pairs`` empty). Most
    candidates of a screening query are such names sharing one common part with the query.
    """
    qt, ct = q.tokens, c.tokens
    nq, nc = len(qt), len(ct)
    if nq == 0 or nc == 0:
        return Alignment(0.0)
    cands: list[tuple[float, int, tuple[int, ...], tuple[int, ...], str]] = []
    best_q = [0.0] * nq
    best_c = [0.0] * nc
    for i in range(nq):
        a = qt[i]
        row = _sim_row(a.sid) if a.kind == NAME else None
        for j in range(nc):
            b = ct[j]
            if row is not None and b.kind == NAME:
                hit = row.get(b.sid)
                s, how = hit if hit is not None else token_similarity(a, b)
            else:
                s, how = token_similarity(a, b)
            if s >= MIN_SIM:
                cands.append((s, 1, (i,), (j,), how))
                if s > best_q[i]:
                    best_q[i] = s
                if s > best_c[j]:
                    best_c[j] = s
    singles = len(cands)
    # Joined/split words are only worth trying for parts that found no good partner.
    weak_q = [i for i in range(nq) if best_q[i] < 0.9 and qt[i].kind == NAME]
    weak_c = [j for j in range(nc) if best_c[j] < 0.9 and ct[j].kind == NAME]
    if (weak_q or weak_c) and (nq + nc <= 16 or qt[0].frag or ct[0].frag):
        # Plain Latin words joined against a Latin word more than three letters longer or
        # shorter never reach 0.75 (see _joined): skipped before the call and its cache key,
        # and before asking whether the join covers a weak part at all.
        if weak_c:
            _try_joins(q.joins, best_q, [(j, ct[j], len(ct[j].text), ct[j].script != ABJAD) for j in weak_c], cands, True)
        if weak_q:
            _try_joins(c.joins, best_c, [(i, qt[i], len(qt[i].text), qt[i].script != ABJAD) for i in weak_q], cands, False)
    if tag != PER and weak_q and weak_c and nq >= 2 and nc >= 2 and max(best_q) >= 0.9:
        # abbreviated words of organisation names: Rep / Republic, Intl / International,
        # Air / Airlines (a word of 3+ letters that starts a word at least 2 letters longer);
        # only beside another word that agrees: an abbreviation alone identifies nothing
        for i in weak_q:
            a = qt[i]
            if a.script != LATIN or len(a.text) < 3:
                continue
            for j in weak_c:
                b = ct[j]
                if b.script != LATIN or len(b.text) < 3:
                    continue
                if _abbreviates(a.text, b.text):
                    cands.append((ABBREVIATION_SIM, 1, (i,), (j,), ABBREVIATION))
    if tag != PER:
        if nq == 1 and nc >= 2 and _acronym(ct, qt[0]):
            cands.append((0.85, nc, (0,), tuple(range(nc)), ACRONYM))
        elif nc == 1 and nq >= 2 and _acronym(qt, ct[0]):
            cands.append((0.85, nq, tuple(range(nq)), (0,), ACRONYM))
    wq_cache = wq if wq is not None else [weights.weight(t) for t in qt]
    wc_cache = wc if wc is not None else [weights.weight(t) for t in ct]
    if floor is not None:
        bound = _score_bound(cands, singles, best_q, best_c, qt, ct, wq_cache, wc_cache, tag)
        if bound < floor:
            return Alignment(bound)
    cands.sort(key=lambda x: (-x[0], -x[1]))
    used_q = [False] * nq
    used_c = [False] * nc
    pairs: list[tuple[tuple[int, ...], tuple[int, ...], float, str]] = []
    for s, _size, qi, cj, how in cands:
        if any(used_q[i] for i in qi) or any(used_c[j] for j in cj):
            continue
        for i in qi:
            used_q[i] = True
        for j in cj:
            used_c[j] = True
        pairs.append((qi, cj, s, how))

    segs_q = _nasab_segments(qt) if nq > 2 else None
    segs_c = _nasab_segments(ct) if segs_q is not None and nc > 2 else None
    if segs_q is not None and segs_c is not None:
        fixed = []
        for qi, cj, s, how in pairs:
            if qt[qi[0]].kind == NAME and segs_q[qi[0]] != segs_c[cj[0]]:
                s = min(s, 0.3)  # own name aligned with the father's: not the same person
            fixed.append((qi, cj, s, how))
        pairs = fixed
    num = 0.0
    den = 0.0
    miss_cost_q = MISSING_COST.get(tag, MISSING_COST["ANY"])[0]
    for qi, cj, s, how in pairs:
        pw_q = wq_cache[qi[0]] if len(qi) == 1 else max(wq_cache[i] for i in qi)
        pw_c = wc_cache[cj[0]] if len(cj) == 1 else max(wc_cache[j] for j in cj)
        w = (pw_q + pw_c) * 0.5
        if how == INITIAL_HOW and ct[cj[0]].kind == INITIAL and qt[qi[0]].kind != INITIAL:
            # a listed initial confirms one letter of the query's whole word (T. / Taylor): the
            # pair weighs what the initial weighs, the rest of the word is unconfirmed (the
            # other way round, V. for a listed Vladimir, the query is only less specific)
            w = min(pw_q, pw_c)
            den += max(0.0, pw_q - w) * miss_cost_q
        num += s * w
        den += w
        if s < WEAK_PAIR:
            # a weak pairing is closer to a disagreement than to agreement (Maria / Marta):
            # it costs a share of a conflict, the larger the weaker
            den += CONFLICT_COST * WEAK_PAIR_SHARE * w * (WEAK_PAIR - s) / (WEAK_PAIR - MIN_SIM)
    unmatched_q = [i for i in range(nq) if not used_q[i]]
    unmatched_c = [j for j in range(nc) if not used_c[j]]
    notes: list[str] = []
    factor = 1.0
    # numbers left on both sides: different ships/funds/branches
    nums_q = [qt[i] for i in unmatched_q if qt[i].kind == NUMBER]
    nums_c = [ct[j] for j in unmatched_c if ct[j].kind == NUMBER]
    if nums_q and nums_c:
        factor *= NUMBER_CONFLICT
        notes.append(f"different numbers ({nums_q[0].canon} vs {nums_c[0].canon})")
    # Name parts left on both sides are conflicts (as many as the shorter side has, heaviest
    # first). A disagreement is evidence of a different person whether the names are rare or
    # common ("bin Mohamed" vs "bin Ali"), so a conflict costs at least CONFLICT_FLOOR. The
    # other leftovers (and particles, honorifics, numbers) are missing parts.
    cq = sorted((wq_cache[i], i) for i in unmatched_q if qt[i].kind in _CONFLICTING)
    cc = sorted((wc_cache[j], j) for j in unmatched_c if ct[j].kind in _CONFLICTING)
    k = min(len(cq), len(cc))
    conflict = 0.0
    in_conflict: set[tuple[int, int]] = set()
    if k:
        for (w1, i), (w2, j) in zip(cq[-k:], cc[-k:]):
            conflict += max((w1 + w2) * 0.5, CONFLICT_FLOOR)
            in_conflict.add((0, i))
            in_conflict.add((1, j))
    cost_q, cost_c = MISSING_COST.get(tag, MISSING_COST["ANY"])
    miss_q = sum(wq_cache[i] * _missing_factor(qt, i) for i in unmatched_q if (0, i) not in in_conflict)
    miss_c = sum(wc_cache[j] * _missing_factor(ct, j) for j in unmatched_c if (1, j) not in in_conflict)
    den += conflict * CONFLICT_COST + miss_q * cost_q + miss_c * cost_c
    if den <= 0:
        return Alignment(0.0, pairs, unmatched_q, unmatched_c, notes)
    if tag == PER and unmatched_q and sum(1 for t in ct if t.kind == NAME) == 1:
        if any(qt[i].kind in (NAME, HONORIFIC) for i in unmatched_q):
            factor *= ONE_WORD_LISTED
            notes.append("one-word listed name")
    elif tag == PER and unmatched_c and sum(1 for t in qt if t.kind == NAME) == 1:
        if any(ct[j].kind == NAME for j in unmatched_c):
            # one name word (a family name, perhaps with a title: Dr Smith) against a listed
            # full name: the same lead, the other way round
            factor *= ONE_WORD_LISTED
            notes.append("one-word query")
    if tag != PER and q.legal_classes and c.legal_classes:
        if q.legal_classes.isdisjoint(c.legal_classes) and set(q.legal).isdisjoint(c.legal):
            factor *= LEGAL_CONFLICT
            notes.append(f"different legal forms ({', '.join(q.legal)} vs {', '.join(c.legal)})")
    score = num / den * factor
    return Alignment(score, pairs, unmatched_q, unmatched_c, notes)


# -------------------------------------------------------------------------- public API
@lru_cache(maxsize=100_000)
def _forms(name: str, tag: str) -> tuple[NameForm, ...]:
    return tuple(analyse_name(alt, tag) for alt in split_alternatives(name))


def best_alignment(
    name1: str, name2: str, tag: str, weights: Weights
) -> tuple[float, NameForm, NameForm, Alignment]:
    best: tuple[float, NameForm, NameForm, Alignment] | None = None
    for f1 in _forms(name1, tag):
        for f2 in _forms(name2, tag):
            al = align(f1, f2, weights, tag)
            if best is None or al.score > best[0]:
                best = (al.score, f1, f2, al)
    assert best is not None
    return best


_DEFAULT_WEIGHTS: Weights | None = None


def _default_weights() -> Weights:
    """The bundled frequency table, and the full variant table (pair comparison has no index
    to bring its own subset)."""
    global _DEFAULT_WEIGHTS
    if _DEFAULT_WEIGHTS is None:
        from listguard.names.variants import ensure_loaded
        from listguard.names.weights import default_weights

        ensure_loaded()
        _DEFAULT_WEIGHTS = default_weights()
    return _DEFAULT_WEIGHTS


def compare_names(schema: str | None, name1: str, name2: str, weights: Weights | None = None) -> float:
    """Similarity of two names of parties of ``schema`` in ``[0, 1]`` (rounded to 3 places).

    The pair score ``listguard compare`` reports. ``name1`` is read as the query and ``name2`` as
    the listed name (a listed person may carry parts the query leaves out more cheaply than the
    other way round). Without ``weights``, token rarity comes from the bundled table of all lists.
    """
    tag = tag_for_schema(schema)
    score = best_alignment(name1, name2, tag, weights or _default_weights())[0]
    return round(min(1.0, max(0.0, score)), 3)


def explain_alignment(
    f1: NameForm, f2: NameForm, al: Alignment, kind: str = "name"
) -> NameExplanation:
    """Turn an alignment into the analyst-facing structure."""
    qt, ct = f1.tokens, f2.tokens
    parts: list[AlignedPart] = []
    for qi, cj, s, how in sorted(al.pairs, key=lambda p: p[0][0]):
        parts.append(
            AlignedPart(
                query=" ".join(qt[i].text for i in qi),
                matched=" ".join(ct[j].text for j in cj),
                score=s,
                how=how,
            )
        )
    return NameExplanation(
        query=f1.original,
        matched=f2.original,
        kind=kind,
        score=round(min(1.0, al.score), 3),
        alignment=parts,
        unmatched_query=[qt[i].text for i in al.unmatched_q if qt[i].kind != PARTICLE],
        unmatched_listed=[ct[j].text for j in al.unmatched_c if ct[j].kind != PARTICLE],
        notes=list(al.notes),
    )


def compare_names_explained(
    schema: str | None, name1: str, name2: str, weights: Weights | None = None
) -> tuple[float, Explanation]:
    """Like :func:`compare_names`, plus the :class:`~listguard.matching.Explanation`."""
    from listguard.matching.explain import name_phrase

    tag = tag_for_schema(schema)
    score, f1, f2, al = best_alignment(name1, name2, tag, weights or _default_weights())
    name = explain_alignment(f1, f2, al)
    score = round(min(1.0, max(0.0, score)), 3)
    return score, Explanation(summary=name_phrase(name) + ".", name=name)


__all__ = [
    "Alignment",
    "align",
    "compare_names",
    "compare_names_explained",
    "edit_similarity",
    "token_similarity",
    "HAN",
    "HANGUL",
    "KANA",
    "OTHER",
    "ORG",
    "OBJ",
]
