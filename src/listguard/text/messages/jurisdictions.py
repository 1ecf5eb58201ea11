"""Sanctioned jurisdictions: which countries and regions in a payment are an alert.

Why configurable: which jurisdictions a bank blocks is policy (its regulators, its risk
appetite), not a fact about the lists. The default is the comprehensive embargo set most
Western banks apply: North Korea, Iran, Syria, Cuba, and the occupied Ukrainian regions of
Crimea (with Sevastopol), Donetsk and Luhansk. Change it in
``$LISTGUARD_HOME/jurisdictions.toml`` (or ``--jurisdictions FILE`` on ``screen-message``)::

    # Countries and regions whose appearance in a payment is an alert: ISO 3166-1 alpha-2
    # codes, or rigour territory codes for regions (ua-cri Crimea, ua-dpr, ua-lpr).
    codes = ["kp", "ir", "sy", "cu", "ua-cri", "ua-dpr", "ua-lpr", "by"]

    # More place names that mean one of them (ports, cities), matched as whole words in
    # addresses and free text, in any case.
    [places]
    "bandar abbas" = "ir"
    "kerch" = "ua-cri"

A jurisdiction is recognised from a structured country (``3/KP/...`` in 50F, ``<Ctry>``), the
country of a BIC (letters 5-6) or an IBAN (letters 1-2), a trailing country code of an
address, and country, region and place names in addresses and free text (rigour's territory
names in many languages, plus the places here).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: The default sanctioned jurisdictions (see the module doc).
DEFAULT_CODES = ("kp", "ir", "sy", "cu", "ua-cri", "ua-dpr", "ua-lpr")

#: Places rigour's territory names do not carry, that payments to these jurisdictions name.
DEFAULT_PLACES: dict[str, str] = {
    "pyongyang": "kp", "nampo": "kp", "nampho": "kp", "sinuiju": "kp", "rason": "kp",
    "rajin": "kp", "chongjin": "kp", "hamhung": "kp", "kaesong": "kp", "wonsan": "kp",
    "tehran": "ir", "teheran": "ir", "bandar abbas": "ir", "isfahan": "ir", "mashhad": "ir",
    "tabriz": "ir", "shiraz": "ir", "kish island": "ir", "bushehr": "ir",
    "damascus": "sy", "aleppo": "sy", "latakia": "sy", "tartus": "sy", "homs": "sy",
    "havana": "cu", "la habana": "cu", "santiago de cuba": "cu", "mariel": "cu",
    "simferopol": "ua-cri", "sevastopol": "ua-cri", "kerch": "ua-cri", "yalta": "ua-cri",
    "feodosia": "ua-cri", "yevpatoria": "ua-cri", "crimea": "ua-cri", "krym": "ua-cri",
    "donetsk": "ua-dpr", "mariupol": "ua-dpr", "makiivka": "ua-dpr", "horlivka": "ua-dpr",
    "luhansk": "ua-lpr", "lugansk": "ua-lpr", "alchevsk": "ua-lpr",
}


@dataclass
class Jurisdictions:
    """The sanctioned codes and the names that mean them."""

    codes: frozenset[str]
    places: dict[str, str] = field(default_factory=dict)
    source: str = "built-in default"

    def code_hit(self, code: str | None) -> str | None:
        """The sanctioned code ``code`` is, or is part of (a region of a sanctioned country)."""
        if not code:
            return None
        code = code.lower()
        if code in self.codes:
            return code
        from rigour.territories import get_territory

        territory = get_territory(code)
        while territory is not None:
            if territory.code in self.codes:
                return territory.code
            for alt in territory.codes:
                if alt in self.codes:
                    return alt
            territory = territory.parent
        return None

    def find_in_text(self, text: str) -> list[tuple[str, str, int, int]]:
        """``(code, name as written, start, end)`` of every sanctioned place named in ``text``."""
        names = _name_index(self)
        out: list[tuple[str, str, int, int]] = []
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        folded = [_fold(w) for w, _s, _e in words]
        i = 0
        while i < len(words):
            hit = None
            for n in (4, 3, 2, 1):
                if i + n > len(words):
                    continue
                phrase = " ".join(folded[i : i + n])
                code = names.get(phrase)
                if code is not None:
                    hit = (code, n)
                    break
            if hit is None:
                i += 1
                continue
            code, n = hit
            start, end = words[i][1], words[i + n - 1][2]
            out.append((code, text[start:end], start, end))
            i += n
        return out


_WORD = re.compile(r"[^\W_]+")


def _fold(word: str) -> str:
    text = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


_NAME_INDEXES: dict[tuple[object, ...], dict[str, str]] = {}


def _name_index(j: Jurisdictions) -> dict[str, str]:
    """Folded names -> sanctioned code: rigour's names of the sanctioned territories (and of
    their sub-territories), and the configured places."""
    # Keyed by content, not id(): a freed Jurisdictions' id can be reused by another one.
    key = (j.codes, tuple(sorted(j.places.items())))
    if key in _NAME_INDEXES:
        return _NAME_INDEXES[key]
    out: dict[str, str] = {}
    for name, code in _territory_names().items():
        hit = j.code_hit(code)
        if hit is not None and len(name) >= 4:
            out[name] = hit
    for name, code in j.places.items():
        hit = j.code_hit(code)
        if hit is not None:
            out[" ".join(_fold(w) for w in _WORD.findall(name))] = hit
    _NAME_INDEXES[key] = out
    return out


@cache
def _territory_names() -> dict[str, str]:
    import json

    from rigour._core import territories_jsonl

    names: dict[str, str] = {}
    for line in territories_jsonl().splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        code = data["code"]
        values = [data.get("name"), data.get("full_name")]
        for k in ("names_strong", "names_weak", "places"):
            values.extend(data.get(k) or [])
        for value in values:
            if not value or "(" in value:
                continue
            folded = " ".join(_fold(w) for w in _WORD.findall(value))
            if folded and folded not in names:
                names[folded] = code
    return names


def default_path() -> Path:
    from listguard import settings

    return settings.home() / "jurisdictions.toml"


def load_jurisdictions(path: Path | None = None) -> Jurisdictions:
    """The configured jurisdictions: ``path``, else ``$LISTGUARD_HOME/jurisdictions.toml`` if
    it exists, else :data:`DEFAULT_CODES`. A malformed file is an error, not a silent default."""
    explicit = path is not None
    if path is None:
        path = default_path()
    if not path.exists():
        if explicit:
            raise ValueError(f"{path}: file not found")
        return Jurisdictions(frozenset(DEFAULT_CODES), dict(DEFAULT_PLACES))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    codes = data.get("codes", list(DEFAULT_CODES))
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValueError(f"{path}: 'codes' must be a list of country/region codes, e.g. [\"kp\", \"ir\"]")
    places = dict(DEFAULT_PLACES)
    extra = data.get("places", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise ValueError(f"{path}: [places] must map place names to codes, e.g. \"kerch\" = \"ua-cri\"")
    places.update({k.lower(): v.lower() for k, v in extra.items()})
    from rigour.territories import get_territory

    unknown = [c for c in codes if get_territory(c.lower()) is None]
    if unknown:
        raise ValueError(f"{path}: unknown country/region codes {', '.join(unknown)}")
    return Jurisdictions(frozenset(c.lower() for c in codes), places, str(path))
