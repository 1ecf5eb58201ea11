"""Query variants generated from real list names, one class of change at a time.

Each generator takes a name as the list wrote it, the entity's schema and a seeded
:class:`random.Random`, and returns a :class:`Variant` (what an analyst might type instead) or
``None`` when the class does not apply to that name (no comma to reorder, no middle name to
drop, no legal form to swap...). Generators change exactly one thing, so a miss in a class
points at one weakness. The tables below are general linguistic facts (common romanisation
alternatives, legal-form abbreviations), not taken from any evaluation set.

Classes (:data:`GENERATORS`):

``reorder``        "LAST, First Middle" -> "First Middle Last"; names without a comma: family
                   name moved to the front ("Kim Jong Un" -> "Un Kim Jong" style) (people only)
``romanisation``   one token replaced by another common romanisation (Mohammed/Muhammad,
                   Jong/Chong/Jeong, Aleksandr/Alexander, -ovich/-ovitch, bin/ibn...)
``typo``           one edit (keyboard-neighbour substitution, deletion, doubled letter, swap of
                   two neighbours) inside one token of 4+ letters, never the first letter
``drop_middle``    one middle name or patronymic dropped (people with 3+ names)
``hyphenation``    "Song-Hwa" -> "Song Hwa" / "Songhwa"; short adjacent given names joined with a
                   hyphen ("Jong Un" -> "Jong-Un")
``legal_form``     company legal form swapped for an equivalent (LLC / Limited Liability Company /
                   OOO; JSC / Joint Stock Company / AO; Co., Ltd. / Company Limited; GmbH...)
``lowercase``      the whole name in lower case
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable

PERSON = "Person"
ORG_SCHEMATA = ("Organization", "Company", "LegalEntity", "PublicBody")


@dataclass(frozen=True)
class Variant:
    kind: str
    source: str
    query: str
    detail: str = ""


Generator = Callable[[str, str, random.Random], "Variant | None"]

_WORD = re.compile(r"\S+")

#: Particles kept in place (never dropped as a "middle name", never joined).
PARTICLES = {
    "al", "el", "bin", "ibn", "ben", "bint", "abu", "abd", "abdul", "ul", "ud", "ad", "ar", "as",
    "van", "von", "der", "den", "de", "da", "do", "dos", "das", "del", "la", "le", "di", "du",
    "y", "e", "mc", "mac", "st", "haji", "hajji", "mullah", "sheikh", "shaykh",
}

#: Common alternative romanisations of the same name part (lower case). Each tuple is one class.
ROMANISATION_CLASSES: tuple[tuple[str, ...], ...] = (
    # Arabic / Persian / Urdu
    ("muhammad", "mohammed", "mohammad", "mohamed", "muhammed", "mohamad", "mouhamed"),
    ("ahmad", "ahmed"),
    ("husayn", "hussein", "husain", "hussain", "hossein", "husein"),
    ("hasan", "hassan"),
    ("abdullah", "abdallah", "abdulla"),
    ("abdul", "abdel", "abdoul"),
    ("yusuf", "youssef", "yousef", "yusef", "yousif"),
    ("umar", "omar"),
    ("usama", "osama"),
    ("uthman", "othman", "osman"),
    ("abu", "abou"),
    ("bin", "ibn", "ben"),
    ("al", "el"),
    ("khalid", "khaled"),
    ("mahmud", "mahmoud", "mahmood"),
    ("mustafa", "mostafa", "moustafa"),
    ("said", "saeed", "saied"),
    ("jamal", "gamal"),
    ("rahman", "rehman"),
    ("qasim", "qassem", "kassem", "kasim"),
    ("sulayman", "suleiman", "sulaiman", "soleiman"),
    ("ibrahim", "ebrahim"),
    ("ismail", "ismael", "esmail"),
    ("rashid", "rasheed"),
    ("hamid", "hameed"),
    ("nasir", "nasser", "naser"),
    ("jafar", "jaafar"),
    ("ali", "aly"),
    ("hamza", "hamzah"),
    ("zubair", "zubayr", "zubeir"),
    ("faisal", "faysal", "feisal"),
    ("abdulaziz", "abdelaziz"),
    ("abdulrahman", "abdelrahman", "abdurrahman"),
    ("qadir", "kadir", "qader"),
    ("haqqani", "hakkani"),
    ("yahya", "yehia", "yahia"),
    ("isa", "issa"),
    ("musa", "moussa", "mousa"),
    ("salih", "saleh"),
    ("jabir", "jaber"),
    ("muhsin", "mohsen", "mohsin"),
    ("reza", "riza"),
    # Korean (McCune-Reischauer / Revised Romanisation / common spellings)
    ("jong", "chong", "jeong"),
    ("hyok", "hyeok", "hek"),
    ("song", "seong", "sung"),
    ("chol", "cheol", "chul"),
    ("kim", "gim"),
    ("ri", "rhee", "lee", "yi"),
    ("pak", "park", "bak"),
    ("choe", "choi"),
    ("hyon", "hyun", "hyeon"),
    ("yong", "young"),
    ("un", "eun"),
    ("kwang", "gwang"),
    ("myong", "myung", "myeong"),
    ("chang", "jang"),
    ("chun", "jun"),
    ("ryong", "ryung"),
    # Russian / Ukrainian / Belarusian
    ("aleksandr", "alexander", "aleksander", "alexandr", "oleksandr"),
    ("sergei", "sergey", "sergej", "serguei", "serhiy"),
    ("aleksei", "alexei", "alexey", "aleksey", "oleksiy"),
    ("dmitri", "dmitry", "dmitriy", "dmytro"),
    ("yuri", "yury", "yuriy", "iurii"),
    ("andrei", "andrey", "andrej", "andriy"),
    ("nikolai", "nikolay", "mykola"),
    ("evgeny", "yevgeny", "evgeniy", "yevgeniy", "evgenii"),
    ("viktor", "victor"),
    ("vasily", "vasiliy", "vassily", "vasilii"),
    ("anatoly", "anatoliy", "anatolii"),
    ("gennady", "gennadiy", "gennadii"),
    ("valery", "valeriy", "valerii"),
    ("arkady", "arkadiy", "arkadii"),
    ("vitaly", "vitaliy", "vitalii"),
    ("grigory", "grigoriy", "grigorii", "hryhoriy"),
    ("mikhail", "michail", "mykhailo"),
    ("pyotr", "petr", "piotr"),
    ("fyodor", "fedor", "feodor"),
    ("ilya", "ilia", "ilyas"),
    ("yelena", "elena", "jelena"),
    ("tatyana", "tatiana", "tatjana"),
    ("natalya", "natalia", "natalja"),
    ("olga", "olha"),
    ("vladimir", "wladimir", "volodymyr"),
    ("igor", "ihor"),
    ("konstantin", "kostiantyn", "constantin"),
    ("maksim", "maxim", "maksym"),
    # Chinese (Pinyin / Wade-Giles / Cantonese spellings)
    ("zhang", "chang", "cheung"),
    ("xu", "hsu"),
    ("zhou", "chou", "chow"),
    ("xi", "hsi"),
    ("chen", "chan"),
    ("huang", "wong"),
    ("zhao", "chao", "chiu"),
    ("liu", "lau"),
    ("wu", "ng"),
    ("li", "lee", "lei"),
)

#: Suffix alternations (applied to the end of a token of 6+ letters).
ROMANISATION_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("ovich", "ovitch", "ovych", "owitsch"),
    ("evich", "evitch", "yevich"),
    ("skiy", "sky", "skii", "ski"),
    ("ov", "off"),
    ("ev", "yev", "eff"),
)

_ROMAN_LOOKUP: dict[str, tuple[str, ...]] = {}
for _cls in ROMANISATION_CLASSES:
    for _member in _cls:
        _ROMAN_LOOKUP.setdefault(_member, _cls)


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _split_punct(token: str) -> tuple[str, str, str]:
    """("(Mohammed),") -> ("(", "Mohammed", "),")"""
    m = re.match(r"^(\W*)(.*?)(\W*)$", token, re.UNICODE)
    assert m is not None
    return m.group(1), m.group(2), m.group(3)


def natural_order(name: str) -> tuple[list[str], bool]:
    """Tokens in "given names first" order. ``LAST, First Middle`` -> [First, Middle, LAST].

    Returns the tokens and whether the name was in inverted (comma) form.
    """
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if last and first:
            return first.split() + last.split(), True
    return name.split(), False


# -- generators -------------------------------------------------------------------------------


def reorder(name: str, schema: str, rng: random.Random) -> Variant | None:
    """Only where the order is known: "LAST, First" forms, or two-part names (swapped)."""
    if schema != PERSON:
        return None
    tokens, inverted = natural_order(name)
    if len(tokens) < 2:
        return None
    if inverted:
        query = " ".join(tokens)
        detail = "LAST, First -> First Last"
    elif len(tokens) == 2:
        query = f"{tokens[1]} {tokens[0]}"
        detail = "two names swapped"
    else:
        return None
    if query == name:
        return None
    return Variant("reorder", name, query, detail)


def romanisation(name: str, schema: str, rng: random.Random) -> Variant | None:
    tokens = name.split(" ")
    options: list[tuple[int, str]] = []
    for i, tok in enumerate(tokens):
        pre, core, post = _split_punct(tok)
        low = core.lower()
        if low in _ROMAN_LOOKUP:
            for alt in _ROMAN_LOOKUP[low]:
                if alt != low:
                    options.append((i, pre + _match_case(core, alt) + post))
        elif len(low) >= 6 and low.isalpha():
            for cls in ROMANISATION_SUFFIXES:
                for suf in cls:
                    if low.endswith(suf):
                        for alt in cls:
                            if alt != suf:
                                new = core[: len(core) - len(suf)] + _match_case(core[-len(suf):], alt)
                                options.append((i, pre + new + post))
                        break
                else:
                    continue
                break
    if not options:
        return None
    i, new = rng.choice(options)
    old = tokens[i]
    tokens[i] = new
    return Variant("romanisation", name, " ".join(tokens), f"{old} -> {new}")


_KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "awdz", "d": "sefx", "f": "drgc", "g": "fthv",
    "h": "gyjb", "j": "hukn", "k": "jilm", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfv",
    "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}


def typo(name: str, schema: str, rng: random.Random) -> Variant | None:
    tokens = name.split(" ")
    eligible = []
    for i, t in enumerate(tokens):
        core = _split_punct(t)[1]
        if len(core) >= 4 and core.isalpha() and core.lower() not in PARTICLES and core.lower() not in _FORM_CLASS:
            eligible.append(i)
    if not eligible:
        return None
    i = rng.choice(eligible)
    pre, core, post = _split_punct(tokens[i])
    positions = [p for p in range(1, len(core)) if core[p].lower() in _KEYBOARD]
    if not positions:
        return None
    p = rng.choice(positions)
    op = rng.choice(("substitute", "delete", "insert", "transpose"))
    ch = core[p]
    if op == "transpose" and (p + 1 >= len(core) or core[p + 1].lower() == ch.lower()):
        op = "substitute"
    if op == "substitute":
        new_ch = rng.choice(_KEYBOARD[ch.lower()])
        new_ch = new_ch.upper() if ch.isupper() else new_ch
        new = core[:p] + new_ch + core[p + 1 :]
        detail = f"{ch}->{new_ch} at {p}"
    elif op == "delete":
        new = core[:p] + core[p + 1 :]
        detail = f"deleted {ch} at {p}"
    elif op == "insert":
        new = core[:p] + ch + core[p:]
        detail = f"doubled {ch} at {p}"
    else:
        new = core[:p] + core[p + 1] + core[p] + core[p + 2 :]
        detail = f"swapped {core[p:p + 2]} at {p}"
    if new == core:
        return None
    tokens[i] = pre + new + post
    return Variant("typo", name, " ".join(tokens), f"{core}: {detail}")


def drop_middle(name: str, schema: str, rng: random.Random) -> Variant | None:
    if schema != PERSON:
        return None
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        given = first.split()
        middles = [i for i in range(1, len(given)) if _droppable(given[i])]
        if not last or not middles:
            return None
        i = rng.choice(middles)
        dropped = given.pop(i)
        return Variant("drop_middle", name, f"{last}, {' '.join(given)}", f"dropped {dropped}")
    tokens = name.split()
    if len(tokens) < 3:
        return None
    middles = [i for i in range(1, len(tokens) - 1) if _droppable(tokens[i])]
    if not middles:
        return None
    i = rng.choice(middles)
    dropped = tokens.pop(i)
    return Variant("drop_middle", name, " ".join(tokens), f"dropped {dropped}")


def _droppable(token: str) -> bool:
    core = _split_punct(token)[1]
    return len(core) >= 3 and core.lower() not in PARTICLES and "-" not in core and core.isalpha()


_HYPHENATED = re.compile(r"(?<=\w)-(?=\w)")


def hyphenation(name: str, schema: str, rng: random.Random) -> Variant | None:
    tokens = name.split(" ")
    hyphened = [i for i, t in enumerate(tokens) if _HYPHENATED.search(t)]
    if hyphened:
        i = rng.choice(hyphened)
        mode = rng.choice(("split", "join"))
        old = tokens[i]
        tokens[i] = _HYPHENATED.sub(" " if mode == "split" else "", old)
        if mode == "join":
            # "SONG-HWA" -> "SONGHWA"; "Song-Hwa" -> "Songhwa"
            parts = old.split("-")
            if not old.isupper():
                tokens[i] = parts[0] + "".join(p.lower() for p in parts[1:])
        return Variant("hyphenation", name, " ".join(tokens), f"{old} -> {tokens[i]} ({mode})")
    if schema != PERSON:
        return None
    # Join two given names, never a given name with the family name. The family name is the
    # part before the comma ("KIM, Jong Un"), else the all-caps part of a mixed-case name
    # ("KIM Jong Un"); with no such signal, the first or the last two tokens are the given pair.
    if name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        tokens = given.split()
        prefix, suffix = family + ", ", ""
    else:
        tokens = name.split()
        prefix = suffix = ""
    mixed = any(t.isupper() for t in tokens) and any(not t.isupper() for t in tokens)

    def ok(i: int) -> bool:
        a, b = tokens[i], tokens[i + 1]
        return (
            2 <= len(a) <= 5 and 2 <= len(b) <= 5 and a.isalpha() and b.isalpha()
            and a.lower() not in PARTICLES and b.lower() not in PARTICLES
        )

    if prefix:
        pairs = [i for i in range(len(tokens) - 1) if ok(i)]
    elif mixed:
        pairs = [i for i in range(len(tokens) - 1) if ok(i) and not tokens[i].isupper()
                 and not tokens[i + 1].isupper()]
    elif len(tokens) >= 3:
        pairs = [i for i in (0, len(tokens) - 2) if ok(i)]
    else:
        pairs = []
    if not pairs:
        return None
    i = rng.choice(pairs)
    mode = rng.choice(("hyphen", "join"))
    a, b = tokens[i], tokens[i + 1]
    if mode == "hyphen":
        joined = f"{a}-{b if b.isupper() else b.lower()}"
    else:
        joined = a + (b if a.isupper() else b.lower())
    new = tokens[:i] + [joined] + tokens[i + 2 :]
    return Variant("hyphenation", name, prefix + " ".join(new) + suffix, f"{a} {b} -> {joined} ({mode})")


#: Equivalent legal-form spellings. Each tuple is one class; matching is case-insensitive on
#: word boundaries, longest spelling first.
LEGAL_FORM_CLASSES: tuple[tuple[str, ...], ...] = (
    ("Limited Liability Company", "LLC", "L.L.C.", "OOO", "Obshchestvo s Ogranichennoy Otvetstvennostyu"),
    ("Closed Joint Stock Company", "CJSC", "ZAO"),
    ("Open Joint Stock Company", "OJSC", "OAO"),
    ("Public Joint Stock Company", "PJSC", "PAO"),
    ("Joint Stock Company", "JSC", "AO", "Aktsionernoye Obshchestvo"),
    ("Company Limited", "Co., Ltd.", "Co. Ltd.", "Co Ltd"),
    ("Private Limited", "Pte. Ltd.", "Pte Ltd"),
    ("Public Limited Company", "PLC"),
    ("Limited Liability Partnership", "LLP"),
    ("Limited", "Ltd.", "Ltd"),
    ("Incorporated", "Inc.", "Inc"),
    ("Corporation", "Corp.", "Corp"),
    ("Gesellschaft mit beschrankter Haftung", "GmbH", "G.m.b.H."),
    ("Aktiengesellschaft", "AG"),
    ("Sociedad Anonima de Capital Variable", "S.A. de C.V.", "SA de CV"),
    ("Sociedad Anonima", "Societe Anonyme", "S.A.", "SA"),
    ("Societe a Responsabilite Limitee", "SARL", "S.A.R.L."),
    ("Societa a Responsabilita Limitata", "S.R.L.", "SRL"),
    ("Besloten Vennootschap", "B.V.", "BV"),
    ("Free Zone Establishment", "FZE"),
    ("Free Zone Company", "FZCO"),
    ("Sendirian Berhad", "Sdn. Bhd.", "Sdn Bhd"),
    ("Anonim Sirketi", "A.S."),
    ("Company", "Co.", "Co"),
)


def _legal_form_regex() -> re.Pattern[str]:
    forms = sorted({f for cls in LEGAL_FORM_CLASSES for f in cls}, key=len, reverse=True)
    alt = "|".join(re.escape(f) for f in forms)
    return re.compile(rf"(?<![\w.])({alt})(?![\w])", re.IGNORECASE)


_LEGAL_FORM = _legal_form_regex()
_FORM_CLASS: dict[str, tuple[str, ...]] = {}
for _cls in LEGAL_FORM_CLASSES:
    for _form in _cls:
        _FORM_CLASS.setdefault(_form.lower(), _cls)


def find_legal_forms(name: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every legal-form spelling in a name."""
    return [(m.start(), m.end(), m.group(1)) for m in _LEGAL_FORM.finditer(name)]


def strip_legal_forms(name: str) -> str:
    """The name without legal forms, punctuation and case (for checking a swap kept the rest)."""
    rest = _LEGAL_FORM.sub(" ", name)
    return " ".join(re.sub(r"[^\w]+", " ", rest.lower()).split())


def legal_form(name: str, schema: str, rng: random.Random) -> Variant | None:
    if schema not in ORG_SCHEMATA:
        return None
    found = find_legal_forms(name)
    # "SA"/"AG"/"AO"/"Co" are legal forms only at the end of a name (or before/after a quote)
    usable = []
    for start, end, text in found:
        short = len(text.replace(".", "")) <= 3
        at_edge = end >= len(name.rstrip(' ."\')')) or start == 0
        if short and not at_edge:
            continue
        usable.append((start, end, text))
    if not usable:
        return None
    start, end, text = rng.choice(usable)
    cls = _FORM_CLASS[text.lower()]
    alternatives = [f for f in cls if f.lower() != text.lower() and f.replace(".", "").lower() != text.replace(".", "").lower()]
    if not alternatives:
        return None
    alt = rng.choice(alternatives)
    if text.isupper() and len(text) > 3:
        alt = alt.upper()
    query = name[:start] + alt + name[end:]
    # "X CO., LTD." -> "X Company Limited." keep punctuation sane
    query = re.sub(r"\.\.+", ".", query)
    return Variant("legal_form", name, query, f"{text} -> {alt}")


def lowercase(name: str, schema: str, rng: random.Random) -> Variant | None:
    query = name.lower()
    if query == name:
        return None
    return Variant("lowercase", name, query, "lower case")


GENERATORS: dict[str, Generator] = {
    "reorder": reorder,
    "romanisation": romanisation,
    "typo": typo,
    "drop_middle": drop_middle,
    "hyphenation": hyphenation,
    "legal_form": legal_form,
    "lowercase": lowercase,
}


def damerau_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (for checking a typo is one edit)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]
