"""What facts other than the name do to a score: birth date, country, identifiers.

The name decides whether a listed party is a candidate at all; other facts move the score
within a small band, because lists and customer records both carry them incompletely (a third of
listed people have no birth date, countries are many-valued). The exceptions are identifiers:

* a *strong* identifier that matches exactly (IMO or MMSI number, SWIFT BIC, LEI, a digital
  currency address, a passport number whose issuing country the query confirms) identifies the
  party on its own: the hit scores at least :data:`STRONG_ID_SCORE` whatever the name says;
* any other identifier match (a passport without a confirmed country, a registration or tax
  number) is strong evidence, not proof: :data:`WEAK_ID_BOOST`.

A birth date two or more years off is strong evidence of a different person (lists record
exact dates or years; customers rarely mistype a year by more than one), so it costs more than a
match gains.
"""

from __future__ import annotations

import re

from listguard.matching.explain import FeatureEffect
from listguard.model import Entity
from listguard.index import IdentifierRef

#: Birth date effects.
DOB_EXACT = 0.08
DOB_MONTH = 0.06
DOB_YEAR = 0.05
DOB_NEAR = -0.03
DOB_DIFFERENT_DAY = -0.06
DOB_MISMATCH = -0.15
#: Country effects.
COUNTRY_MATCH = 0.03
COUNTRY_MISMATCH = -0.05
#: The most birth date and country together can add to a name score.
MAX_FEATURE_BOOST = max(DOB_EXACT, DOB_MONTH, DOB_YEAR) + COUNTRY_MATCH
#: Identifier effects.
STRONG_ID_SCORE = 0.97
WEAK_ID_BOOST = 0.15

STRONG_ID_TYPES = frozenset({"imoNumber", "mmsi", "swiftBic", "leiCode", "wallet"})

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def _parse_date(value: str) -> tuple[int, int | None, int | None] | None:
    m = _DATE.match(value.strip())
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    return year, month, day


def birth_date_effect(query_dates: list[str], entity: Entity) -> FeatureEffect | None:
    """Compare the query's birth dates with the listed ones; the best relation wins."""
    if not query_dates:
        return None
    listed = entity.get("birthDate")
    if not listed:
        return None
    best: tuple[float, str] | None = None
    for qv in query_dates:
        q = _parse_date(qv)
        if q is None:
            continue
        for lv in listed:
            l = _parse_date(lv)
            if l is None:
                continue
            if q[0] == l[0]:
                if q[1] and l[1]:
                    if q[1] != l[1]:
                        effect, what = DOB_DIFFERENT_DAY, "same year, different month"
                    elif q[2] and l[2]:
                        if q[2] == l[2]:
                            effect, what = DOB_EXACT, "matches"
                        else:
                            effect, what = DOB_DIFFERENT_DAY, "same month, different day"
                    else:
                        effect, what = DOB_MONTH, "matches (month)"
                else:
                    effect, what = DOB_YEAR, "matches (year)"
            elif abs(q[0] - l[0]) == 1:
                effect, what = DOB_NEAR, "is one year off"
            else:
                effect, what = DOB_MISMATCH, "does not match"
            detail = f"query {qv} {what} listed {lv}"
            if best is None or effect > best[0]:
                best = (effect, detail)
    if best is None:
        return None
    return FeatureEffect("birth_date", best[0], best[1])


def entity_countries(entity: Entity) -> set[str]:
    out: set[str] = set()
    for prop in ("nationality", "citizenship", "country", "jurisdiction", "flag"):
        for value in entity.get(prop):
            if value:
                out.add(value.lower())
    return out


def country_effect(query_countries: list[str], entity: Entity) -> FeatureEffect | None:
    if not query_countries:
        return None
    listed = entity_countries(entity)
    if not listed:
        return None
    common = [c for c in query_countries if c in listed]
    if common:
        return FeatureEffect("country", COUNTRY_MATCH, f"query {common[0]} matches listed {', '.join(sorted(listed))}")
    return FeatureEffect(
        "country",
        COUNTRY_MISMATCH,
        f"query {', '.join(query_countries)} not among listed {', '.join(sorted(listed))}",
    )


def identifier_effect(
    refs: list[tuple[str, IdentifierRef]], query_countries: list[str]
) -> tuple[bool, FeatureEffect] | None:
    """``refs``: (query value, listed reference) pairs that matched exactly. Returns
    (strong, effect) for the most telling one."""
    best: tuple[bool, FeatureEffect] | None = None
    for qv, ref in refs:
        strong = ref.prop in STRONG_ID_TYPES
        label = "digital currency address" if ref.prop == "wallet" else ref.prop
        if ref.prop == "passportNumber" and ref.country and ref.country in query_countries:
            strong = True
            label = f"passport ({ref.country})"
        if strong:
            effect = FeatureEffect("identifier", 1.0, f"{label} {ref.value} matches the query's {qv}: identifies the party")
        else:
            effect = FeatureEffect("identifier", WEAK_ID_BOOST, f"{label} {ref.value} matches the query's {qv}")
        if best is None or (strong and not best[0]):
            best = (strong, effect)
    return best
