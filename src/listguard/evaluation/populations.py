"""Customer-like populations: the names a bank's customers of many origins actually carry.

Why: a screener that only ever sees list entries and their variants learns nothing about the
people it must *not* flag. Real customer files are full of common names ("Zheng Jun", "Kim
Sung-min", "Mohamed Ali") that share short, frequent parts with listed names; the false-alert
rate on them is what decides whether analysts keep reading alerts.

Source: the most common given and family names per country from names-dataset 3.3.1 (MIT,
ranked from a large public sample of social-network profiles; extracted by
``bench/make_customer_names.py`` into ``data/customer_names.tsv.gz``), and Faker's ``vi_VN``
locale for Vietnamese (names-dataset has no Vietnamese sample). Names are drawn with
probability falling with rank (common names are common) and written the way customers of that
origin write them in Latin script: Pinyin without tones, Revised Romanization, McCune-Reischauer
without diacritics and the popular passport spellings for Korean (``Kyung Hee``), several
Russian transliterations, with patronymics or a father's name where that is the custom.

Every generated name is checked not to be exactly a listed name (same words in any order).
Each population is split into a tuning half and a held-out half by a seeded hash of the
customer's name. (Splitting by family name would keep family names apart, but a handful of
family names covers most Koreans and Vietnamese, so the halves would be very unequal.)

A query counts as a **false match** when a hit flagged ``match`` is on a listed party none of
whose names contains every word of the query, or is contained in it (:func:`fair_alert`): a
true homonym, the listed name with a middle name or patronymic dropped, or a listed name of two
words or more that the customer's fuller name contains is a fair alert; anything else is not.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable

from listguard.evaluation.datasets import name_tokens
from listguard.evaluation.split import HELDOUT, TUNING

DATA_FILE = "customer_names.tsv.gz"
SEED = "listguard-populations-1"
#: Names generated per population (both halves together).
PER_POPULATION = 1800


#: What a population's generator makes: (name, family name[, renderings]), or None to skip.
Made = tuple[str, str] | tuple[str, str, tuple[str, ...]] | None


@dataclass(frozen=True)
class Customer:
    population: str
    name: str
    family: str
    part: str  # TUNING or HELDOUT
    #: The same name written in the other romanisations of its original script (a Korean or
    #: Russian customer's name has several correct Latin spellings): a listed name equal to
    #: one of them is a namesake, so an alert on it is fair.
    renderings: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ source table
@lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str], list[tuple[int, str, int, int]]]:
    raw = resources.files("listguard.evaluation").joinpath("data", DATA_FILE).read_bytes()
    out: dict[tuple[str, str], list[tuple[int, str, int, int]]] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        country, kind, rank, name, male, female = line.split("\t")
        out.setdefault((country, kind), []).append((int(rank), name, int(male), int(female)))
    return out


def _names(countries: Iterable[str], kind: str, exclude: frozenset[str] = frozenset()) -> list[tuple[str, float, str]]:
    """(name, weight, gender) over several countries, merged by name (best rank wins)."""
    best: dict[str, tuple[int, str]] = {}
    for c in countries:
        for rank, name, male, female in _table().get((c, kind), []):
            if name.casefold() in exclude or len(name) < 2:
                continue
            gender = "m" if male > female else "f" if female > male else "?"
            if name not in best or rank < best[name][0]:
                best[name] = (rank, gender)
    return [(n, 1.0 / (r**0.6), g) for n, (r, g) in best.items()]


@lru_cache(maxsize=1)
def _western_given() -> frozenset[str]:
    """Given names common in Western countries: names-dataset's Chinese, Iranian or Japanese
    samples carry many (Jason, Lily, Petr), which those customers do not carry as their name."""
    out: set[str] = set()
    for c in ("GB", "US", "DE", "FR", "ES", "IT", "BR", "MX", "PL"):
        for kind in ("first", "last"):
            out.update(n.casefold() for _r, n, _m, _f in _table().get((c, kind), []))
    return frozenset(out)


def _pick(rng: random.Random, pool: list[tuple[str, float, str]]) -> tuple[str, float, str]:
    return rng.choices(pool, weights=[w for _n, w, _g in pool], k=1)[0]


# ------------------------------------------------------------------------ romanisation: Korean
_L = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_V_RR = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo",
         "we", "wi", "yu", "eu", "ui", "i"]  # fmt: skip
_T_RR = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p",
         "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"]  # fmt: skip
# McCune-Reischauer as customers type it (breves and apostrophes dropped)
_L_MR = ["k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch", "k", "t", "p", "h"]
_V_MR = ["a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo",
         "we", "wi", "yu", "u", "ui", "i"]  # fmt: skip
# popular passport spellings (Kyung, Hyun, Young, Soo, Hee, Sook, Chul)
_V_POP = ["a", "ae", "ya", "yae", "u", "e", "yu", "ye", "o", "wa", "wae", "oe", "yo", "oo", "wo",
          "we", "wi", "yu", "eu", "ee", "i"]  # fmt: skip
_L_POP = ["k", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]


def _jamo(syl: str) -> tuple[int, int, int]:
    code = ord(syl) - 0xAC00
    return code // 588, (code % 588) // 28, code % 28


#: North Korea's own romanisation as the lists carry it (Kim Jong Un, Jang Song Thaek): like
#: McCune-Reischauer without diacritics, but j for ㅈ and aspirates written with h.
_L_DPRK = ["k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th", "ph", "h"]


def korean_syllable(syl: str, system: str, first: bool) -> str:
    """One Hangul syllable of a given name in ``system`` (``rr``, ``mr``, ``dprk`` or ``pop``)."""
    lead, vowel, tail = _jamo(syl)
    final = _T_RR[tail]
    if system == "dprk":
        return _L_DPRK[lead] + _V_MR[vowel] + final
    if system == "rr":
        init = _L[lead]
        vow = _V_RR[vowel]
    elif system == "mr":
        init = _L_MR[lead]
        if not first and init in ("k", "t", "p", "ch"):  # voiced between vowels: Kim Jong-il
            init = {"k": "g", "t": "d", "p": "b", "ch": "j"}[init]
        vow = _V_MR[vowel]
    else:
        init = _L_POP[lead]
        vow = _V_POP[vowel]
        if vow == "oo" and final:
            vow = "u"  # Sook, Jun: the doubled vowel only in open syllables (Soo, Joo)
        if vow == "yu" and final == "ng" and init == "":
            vow = "you"  # Young
        if vow == "u" and _V_RR[vowel] == "eo" and final in ("n", "l"):
            vow = "u"  # Hyun, Chul
        if init == "" and vow == "ee":
            vow = "ui"
        if init == "" and vow == "oo":
            vow = "woo"  # Seung Woo
    if init == "r" and first:
        init = "" if system == "pop" and vow.startswith(("i", "y", "ee")) else "r"
    return init + vow + final


def romanise_korean(given: str, system: str, style: int) -> str:
    """A Hangul given name written as ``Minjun``, ``Min-jun`` or ``Min Jun`` (``style`` 0-2)."""
    parts = [korean_syllable(s, system, i == 0) for i, s in enumerate(given)]
    if len(parts) == 1:
        return parts[0].capitalize()
    if style == 0:
        return "".join(parts).capitalize()
    if style == 1:
        return parts[0].capitalize() + "-" + "".join(parts[1:])
    return " ".join(p.capitalize() for p in parts)


# ----------------------------------------------------------------------- romanisation: Russian
_RU_COMMON = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
              "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
              "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
              "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
              "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u"}  # fmt: skip
#: ICAO Doc 9303 (Russian passports since 2013)
_RU_ICAO = {**_RU_COMMON, "й": "i", "ю": "iu", "я": "ia", "ъ": "ie", "ц": "ts"}
#: the older passport / French-influenced forms customers still carry (Sergei, Iouri, Kh→H)
_RU_OLD = {**_RU_COMMON, "й": "i", "х": "h", "ю": "yu", "я": "ya", "е": "e", "ы": "y"}


#: the English habit of writing кс as x (Alexei, Maxim)
_RU_X = {**_RU_COMMON, "й": "i"}


def romanise_russian(word: str, system: str) -> str:
    """A Cyrillic word in ``system``: ``common`` (BGN/PCGN-like), ``icao``, ``old`` or ``x``."""
    if system == "x":
        return romanise_russian(word.casefold().replace("кс", "x"), "common").replace("X", "x")
    table = {"icao": _RU_ICAO, "old": _RU_OLD}.get(system, _RU_COMMON)
    low = word.casefold()
    out: list[str] = []
    for i, ch in enumerate(low):
        if system == "common" and ch == "е" and (i == 0 or low[i - 1] in "аеёиоуыэюяъь"):
            out.append("ye")
        elif system == "common" and low.endswith("ий") and i == len(low) - 2:
            out.append("i" if i else "")
        else:
            out.append(table.get(ch, ch))
    return "".join(out).capitalize()


# ------------------------------------------------------------------------------ populations
def _two_part(
    given: list[tuple[str, float, str]],
    family: list[tuple[str, float, str]],
    family_first: float = 0.0,
) -> Callable[[random.Random], Made]:
    def make(rng: random.Random) -> Made:
        g = _pick(rng, given)[0]
        f = _pick(rng, family)[0]
        if g.casefold() == f.casefold():
            return None
        return (f"{f} {g}" if rng.random() < family_first else f"{g} {f}"), f

    return make


@lru_cache(maxsize=1)
def _southeast_asian() -> frozenset[str]:
    """Indonesian, Malay and Filipino names: names-dataset's Taiwan and Korea samples carry many
    (migrant workers), which are not Chinese or Korean customers' names."""
    out: set[str] = set()
    for c in ("ID", "MY", "PH"):
        for kind in ("first", "last"):
            out.update(n.casefold() for _r, n, _m, _f in _table().get((c, kind), []))
    return frozenset(out)


#: A word made of Mandarin syllables in Pinyin (the Taiwan sample writes Wade-Giles family
#: names, kept above, but given names mostly in Pinyin); rules out Indonesian and English names.
_PINYIN = (
    "(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    "(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v)"
)
_CHINESE_WORD = re.compile(f"(?:{_PINYIN}){{1,2}}")


def _chinese() -> Callable[[random.Random], Made]:
    chinese_in_sea = {"tan", "lim", "lee", "wong", "ng", "chan", "ong", "chua", "go", "sy", "uy", "lie", "chong", "chin", "yap"}
    west = _western_given() | (_southeast_asian() - chinese_in_sea)
    family = _names(["CN", "TW", "HK"], "last", exclude=west - {"lee", "lin", "chan", "lam", "ho", "ma", "tang"})
    given = _names(["CN", "TW"], "first", exclude=west)
    family = [f for f in family if f[1] >= 200**-0.6]
    given = [g for g in given if _CHINESE_WORD.fullmatch(g[0].casefold())]
    return _two_part(given, family, family_first=0.6)


#: The commonest Korean family names, most common first (Statistics Korea census ranks), with
#: their spelling in Revised Romanization, McCune-Reischauer (as North Korea writes it, without
#: diacritics) and the spellings South Koreans use in passports.
KOREAN_FAMILY: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("김", "Gim", "Kim", ("Kim",)), ("이", "I", "Ri", ("Lee", "Yi", "Rhee")),
    ("박", "Bak", "Pak", ("Park",)), ("최", "Choe", "Choe", ("Choi",)),
    ("정", "Jeong", "Chong", ("Jung", "Chung", "Jeong")), ("강", "Gang", "Kang", ("Kang",)),
    ("조", "Jo", "Cho", ("Cho",)), ("윤", "Yun", "Yun", ("Yoon", "Yun")),
    ("장", "Jang", "Chang", ("Jang", "Chang")), ("임", "Im", "Rim", ("Lim", "Im")),
    ("한", "Han", "Han", ("Han",)), ("오", "O", "O", ("Oh",)), ("서", "Seo", "So", ("Seo", "Suh")),
    ("신", "Sin", "Sin", ("Shin",)), ("권", "Gwon", "Kwon", ("Kwon",)),
    ("황", "Hwang", "Hwang", ("Hwang",)), ("안", "An", "An", ("Ahn",)),
    ("송", "Song", "Song", ("Song",)), ("류", "Ryu", "Ryu", ("Ryu", "Yoo")),
    ("전", "Jeon", "Jon", ("Jeon", "Jun", "Chun")), ("홍", "Hong", "Hong", ("Hong",)),
    ("고", "Go", "Ko", ("Ko", "Koh")), ("문", "Mun", "Mun", ("Moon",)),
    ("양", "Yang", "Ryang", ("Yang",)), ("손", "Son", "Son", ("Son", "Sohn")),
    ("배", "Bae", "Pae", ("Bae",)), ("백", "Baek", "Paek", ("Baek", "Paik")),
    ("허", "Heo", "Ho", ("Heo", "Huh")), ("유", "Yu", "Yu", ("Yoo", "Yu")),
    ("남", "Nam", "Nam", ("Nam",)), ("심", "Sim", "Sim", ("Shim",)),
    ("노", "No", "Ro", ("Noh", "Roh")), ("하", "Ha", "Ha", ("Ha",)),
    ("곽", "Gwak", "Kwak", ("Kwak",)), ("성", "Seong", "Song", ("Sung",)),
    ("차", "Cha", "Cha", ("Cha",)), ("주", "Ju", "Ju", ("Joo",)), ("우", "U", "U", ("Woo",)),
    ("구", "Gu", "Ku", ("Koo",)), ("민", "Min", "Min", ("Min",)),
    ("변", "Byeon", "Pyon", ("Byun",)), ("현", "Hyeon", "Hyon", ("Hyun",)),
)  # fmt: skip

_KO_SYSTEMS = ("rr", "mr", "pop")


def _korean_spellings(entry: tuple[str, str, str, tuple[str, ...]], system: str) -> tuple[str, ...]:
    _h, rr, mr, pop = entry
    return (rr,) if system == "rr" else (mr,) if system == "mr" else pop


def _korean(system: str) -> Callable[[random.Random], Made]:
    given = [g for g in _names(["KR"], "first") if all("\uac00" <= ch <= "\ud7a3" for ch in g[0]) and len(g[0]) == 2]
    family = [(entry, 1.0 / ((rank + 1) ** 0.6)) for rank, entry in enumerate(KOREAN_FAMILY)]

    def make(rng: random.Random) -> Made:
        hangul = _pick(rng, given)[0]
        entry = rng.choices([e for e, _w in family], weights=[w for _e, w in family], k=1)[0]
        g = romanise_korean(hangul, system, rng.randrange(3))
        f = rng.choice(_korean_spellings(entry, system))
        family_first = rng.random() < 0.6
        renderings = []
        for other in (*_KO_SYSTEMS, "dprk"):
            og = romanise_korean(hangul, other, 1)
            for of in set(_korean_spellings(entry, other)) | {entry[1], entry[2]}:
                renderings.append(f"{of} {og}")
        return (f"{f} {g}" if family_first else f"{g} {f}"), f, tuple(renderings)

    return make


def _russian() -> Callable[[random.Random], Made]:
    given = [g for g in _names(["RU", "UA", "BY"], "first") if not g[0].isascii()]
    family = [f for f in _names(["RU", "UA", "BY"], "last")
              if not f[0].isascii() and not f[0].casefold().endswith(("вич", "вна", "ична"))]
    male_given = [g for g in given if g[2] == "m"]

    def make(rng: random.Random) -> Made:
        system = rng.choice(("common", "icao", "old"))
        g, _w, gender = _pick(rng, given)
        f = _pick(rng, family)[0]
        fl = f.casefold()
        if gender == "f" and fl.endswith(("ов", "ев", "ин", "ёв")):
            f += "а"
        elif gender == "m" and fl.endswith(("ова", "ева", "ина")):
            f = f[:-1]
        parts = [romanise_russian(g, system)]
        if rng.random() < 0.35:
            father = _pick(rng, male_given)[0]
            stem = father[:-1] if father.casefold().endswith(("й", "ь")) else father
            soft = father.casefold().endswith(("й", "ь"))
            ending = ("евна" if soft else "овна") if gender == "f" else ("евич" if soft else "ович")
            if not father.casefold().endswith(("а", "я")):
                parts.append(romanise_russian(stem + ending, system))
        fam = romanise_russian(f, system)
        name = " ".join(parts + [fam]) if rng.random() < 0.7 else " ".join([fam] + parts)
        renderings = tuple(
            " ".join([romanise_russian(g, other), romanise_russian(f, other)])
            for other in ("common", "icao", "old", "x")
        )
        return name, fam, renderings

    return make


def _arabic(countries: list[str]) -> Callable[[random.Random], Made]:
    west = _western_given() - {"ali", "omar", "adam", "sara", "nour", "ibrahim", "hassan"}
    given = _names(countries, "first", exclude=west | {"md", "um", "om", "abo", "abu", "mohd"})
    family = _names(countries, "last", exclude=west | {"queen", "king", "sh", "kh", "gh", "al"})

    def make(rng: random.Random) -> Made:
        g = _pick(rng, given)[0]
        f = _pick(rng, family)[0]
        if g.casefold() == f.casefold():
            return None
        if rng.random() < 0.4:  # given name, father's name, family name
            father = _pick(rng, given)[0]
            if father.casefold() in (g.casefold(), f.casefold()):
                return None
            return f"{g} {father} {f}", f
        return f"{g} {f}", f

    return make


def _plain(countries: list[str], exclude_west: bool = False, middle: float = 0.0) -> Callable[[random.Random], Made]:
    west = _western_given() if exclude_west else frozenset()
    given = _names(countries, "first", exclude=west)
    family = _names(countries, "last", exclude=west)

    def make(rng: random.Random) -> Made:
        g = _pick(rng, given)[0]
        f = _pick(rng, family)[0]
        if g.casefold() == f.casefold():
            return None
        if middle and rng.random() < middle:
            m = _pick(rng, given)[0]
            if m.casefold() not in (g.casefold(), f.casefold()):
                return f"{g} {m} {f}", f
        return f"{g} {f}", f

    return make


def _vietnamese() -> Callable[[random.Random], Made]:
    from faker import Faker

    fake = Faker("vi_VN")
    fake.seed_instance(7)

    def strip(text: str) -> str:
        text = text.replace("Đ", "D").replace("đ", "d")
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    # Faker vi_VN's first_name() gives placeholders (John, Jane); its middle names are the
    # given names Vietnamese carry (Hai, Mai, Thanh...), so the given name is drawn from them.
    def make(rng: random.Random) -> Made:
        last, middle, first = fake.last_name(), fake.middle_name(), fake.middle_name()
        if middle == first:
            return None
        parts = [strip(last), strip(middle), strip(first)] if rng.random() < 0.7 else [strip(last), strip(first)]
        if rng.random() < 0.3:
            parts = parts[1:] + parts[:1]  # given names first, as on Western forms
        return " ".join(parts), strip(last)

    return make


POPULATIONS: dict[str, tuple[str, Callable[[], Callable[[random.Random], Made]]]] = {
    "chinese_pinyin": ("Chinese (CN, TW, HK), Pinyin / Wade-Giles / Cantonese as written", _chinese),
    "korean_rr": ("Korean given names in Revised Romanization", lambda: _korean("rr")),
    "korean_mr": ("Korean given names in McCune-Reischauer without diacritics", lambda: _korean("mr")),
    "korean_passport": ("Korean given names in popular passport spellings", lambda: _korean("pop")),
    "arabic_mashriq": ("Arabic, Gulf / Levant / Egypt / Iraq / Sudan", lambda: _arabic(["SA", "AE", "EG", "IQ", "SY", "JO", "LB", "SD"])),
    "arabic_maghreb": ("Arabic, Maghreb (French spellings)", lambda: _arabic(["DZ", "MA", "TN"])),
    "persian": ("Persian / Afghan", lambda: _plain(["IR", "AF"], exclude_west=True)),
    "russian": ("Russian / Ukrainian / Belarusian, three transliterations, patronymics", _russian),
    "vietnamese": ("Vietnamese (Faker vi_VN), diacritics dropped", _vietnamese),
    "turkish": ("Turkish", lambda: _plain(["TR"])),
    "indian": ("Indian", lambda: _plain(["IN"], middle=0.15)),
    "nigerian": ("Nigerian", lambda: _plain(["NG"], middle=0.2)),
    "bangladeshi": ("Bangladeshi", lambda: _plain(["BD"], middle=0.2)),
    "indonesian_malay": ("Indonesian / Malaysian", lambda: _plain(["ID", "MY"])),
    "japanese": ("Japanese (Hepburn as written)", lambda: _plain(["JP"])),
    "hispanic": ("Spanish / Mexican", lambda: _plain(["ES", "MX"], middle=0.3)),
    "anglo": ("British / American", lambda: _plain(["GB", "US"], middle=0.2)),
    "east_african": ("Ethiopian", lambda: _plain(["ET"])),
}


def part_of(population: str, key: str) -> str:
    """The half a customer falls in: a seeded hash of the population and the name's words."""
    digest = hashlib.sha256(f"{SEED}:{population}:{key}".encode()).digest()
    return HELDOUT if digest[0] % 2 else TUNING


def build(
    listed: Callable[[str], bool],
    per_population: int = PER_POPULATION,
    populations: Iterable[str] | None = None,
    part: str | None = None,
) -> list[Customer]:
    """Generate the populations (deterministic). ``listed(name)`` says whether a name is exactly
    a listed name (those are left out); ``part`` keeps only one half."""
    out: list[Customer] = []
    for pop in populations or POPULATIONS:
        make = POPULATIONS[pop][1]()
        rng = random.Random(f"{SEED}:{pop}")
        seen: set[str] = set()
        made = tries = 0
        while made < per_population and tries < per_population * 20:
            tries += 1
            got = make(rng)
            if got is None:
                continue
            name, family = got[0], got[1]
            renderings: tuple[str, ...] = got[2] if len(got) == 3 else ()  # type: ignore[misc]
            key = " ".join(sorted(name_tokens(name)))
            if key in seen or listed(name):
                continue
            seen.add(key)
            made += 1
            half = part_of(pop, key)
            if part is None or part == half:
                out.append(Customer(pop, name, family, half, renderings))
    return out


def _expand(tokens: list[str]) -> set[str]:
    out = set(tokens)
    out.update(a + b for a, b in zip(tokens, tokens[1:]))
    return out


def _same_word(a: str, b: str) -> bool:
    """One word in two spellings: equal, or both of five letters or more, at most two edits
    apart and alike once vowels and common digraphs are folded (Soltani / Sultani, Mohammad /
    Mohammed). Short words never: Sang and Song are two names."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5:
        return False
    from rapidfuzz.distance import OSA

    from listguard.names.phonetic import fold_key

    return fold_key(a) == fold_key(b) and OSA.distance(a, b) <= 2


def fair_alert(query: str | Customer, listed_names: Iterable[str]) -> bool:
    """Whether an alert on a party with ``listed_names`` is fair for ``query``: some listed name
    contains every word of the query (a homonym, or the listed name with a part dropped).
    Words written together or apart (``Minjun`` / ``Min Jun``) count as the same. For a
    :class:`Customer`, the name in any of its romanisations counts (``Kim Seong-cheol`` /
    ``KIM, Song Chol`` are the same Korean name)."""
    if isinstance(query, Customer):
        names = list(listed_names)
        return any(fair_alert(q, names) for q in (query.name, *query.renderings))
    q = name_tokens(query)
    if not q:
        return False
    for name in listed_names:
        toks = name_tokens(name)
        have = _expand(toks)
        covered = [t in have or any(_same_word(t, h) for h in toks) for t in q]
        for i in range(len(q) - 1):
            if q[i] + q[i + 1] in have:
                covered[i] = covered[i + 1] = True
        if all(covered):
            return True
        # the whole listed name (two words or more) within the customer's: a namesake with a
        # middle name or patronymic the list does not give (Aleksandr Yevgenyevich Petrov /
        # PETROV, Aleksandr)
        if len(toks) >= 2 and all(t in q or any(_same_word(t, x) for x in q) for t in toks):
            return True
    return False


__all__ = ["Customer", "POPULATIONS", "build", "fair_alert", "part_of", "TUNING", "HELDOUT"]
