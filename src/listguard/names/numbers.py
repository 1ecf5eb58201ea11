"""Numbers written in words over several words: ``Forty-Four``, ``One Hundred and Twelve``,
``Twenty-First``, ``Eleven Eighty-Eight`` read as one number (44, 112, 21, 1188).

Why: the tokenizer reads a single number word (``twelve``, ``twelfth``, ``fortyfour``) as a
NUMBER token, but a compound split by a hyphen or a space became one number per word, so
``Brigade Forty-Four`` held 40 and 4 and never met ``Brigade 44``.

How: English number words only (cardinals, ordinals, ``hundred``/``thousand``/``million``/
``billion``, ``and`` inside), parsed by ``text2num`` (PyPI, MIT), which knows English number
grammar and where one number ends and the next begins (``one two three`` is three numbers,
``one hundred and twelve`` one). Ordinals are given to it as cardinals (``twenty first`` as
``twenty one``): a number token keeps the value, and text2num 3.1 misses some ordinals. Only phrases of two words or more are merged here; a single
word keeps the tokenizer's own reading. Two adjacent numbers of two digits each, and nothing
else, are read the way English says four-digit numbers and years (``nineteen eighty-four`` is
1984, ``eleven eighty-eight`` 1188); a one-digit number before another stays apart (``seven
eleven`` is 7 and 11, as ``7-11`` is written).

Person names are left alone by the caller (number words in a person's name are names).
"""

from __future__ import annotations

from typing import Any

from listguard.names.translit import LATIN

Item = tuple[tuple[str, ...], int, str]  # (romanised pieces, script class, written word)

_UNITS = """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
fifteen sixteen seventeen eighteen nineteen""".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = "hundred thousand million billion".split()
_ORDINALS = """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth
fortieth fiftieth sixtieth seventieth eightieth ninetieth hundredth thousandth millionth
billionth""".split()

#: English words a number phrase is made of
NUMBER_WORDS = frozenset(_UNITS + _TENS + _SCALES + _ORDINALS + ["zeroth"])

#: ordinal -> cardinal: a NUMBER token keeps the value, not the ordinal sense ("12th" is 12),
#: and text2num 3.1 misses some ordinals ("sixtieth"), so it is given cardinals only
_CARDINAL = dict(zip(_ORDINALS, _UNITS[1:] + _TENS + _SCALES)) | {"zeroth": "zero"}
_JOINERS = frozenset({"and", "&"})
_SCALE_WORDS = frozenset(_SCALES)


class _Word:
    """A token for ``text_to_num.find_numbers`` (its Token protocol)."""

    __slots__ = ("word",)

    def __init__(self, word: str) -> None:
        self.word = "and" if word == "&" else _CARDINAL.get(word, word)

    def text(self) -> str:
        return self.word

    def nt_separated(self, previous: Any) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return False


def _word(item: Item) -> str:
    pieces, script, _raw = item
    return pieces[0] if len(pieces) == 1 and script == LATIN else ""


def _numbers(words: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, value) of the numbers ``text2num`` finds in a run of number words."""
    from text_to_num import find_numbers  # type: ignore[import-untyped]  # (no py.typed)

    found = find_numbers([_Word(w) for w in words], "en", 0.0)
    return [(o.start, o.end, int(o.value)) for o in found]


def _merge_run(items: list[Item], out: list[Item]) -> None:
    words = [_word(it) for it in items]
    spans = _numbers(words)
    if (
        len(spans) == 2
        and spans[0][0] == 0
        and spans[0][1] == spans[1][0]
        and spans[1][1] == len(words)
        and all(10 <= v <= 99 for _s, _e, v in spans)
    ):
        # two two-digit numbers: a four-digit number read in pairs (nineteen eighty-four)
        spans = [(0, len(words), spans[0][2] * 100 + spans[1][2])]
    pos = 0
    for start, end, value in spans:
        if end - start < 2:
            continue  # one word: the tokenizer's own reading
        out.extend(items[pos:start])
        raw = " ".join(it[2] for it in items[start:end])
        out.append(((str(value),), LATIN, raw))
        pos = end
    out.extend(items[pos:])


def merge_number_phrases(items: list[Item]) -> list[Item]:
    """Replace each phrase of two or more English number words by one item holding its value
    in digits (which the tokenizer types as one NUMBER token). Other items are kept as they are."""
    n = len(items)
    if n < 2:
        return items
    words = [_word(it) for it in items]
    if not any(words[i] in NUMBER_WORDS and (words[i + 1] in NUMBER_WORDS or words[i + 1] in _JOINERS) for i in range(n - 1)):
        return items
    out: list[Item] = []
    i = 0
    while i < n:
        if words[i] not in NUMBER_WORDS:
            out.append(items[i])
            i += 1
            continue
        j = i + 1
        while j < n and (
            words[j] in NUMBER_WORDS
            # "and" only after a scale word, as English writes it ("one hundred and twelve"):
            # "Twenty & One" is two things
            or words[j] in _JOINERS and words[j - 1] in _SCALE_WORDS and j + 1 < n and words[j + 1] in NUMBER_WORDS
        ):
            j += 1
        if j - i >= 2:
            _merge_run(items[i:j], out)
        else:
            out.append(items[i])
        i = j
    return out
