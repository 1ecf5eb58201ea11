"""What a screening request says about the party being screened."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from listguard.model import PARTY_SCHEMATA
from listguard.querydates import normalise_birth_dates


@lru_cache(maxsize=4096)
def normalise_country(value: str) -> str | None:
    """ISO 3166-1 alpha-2 (lower case) for a code or a country name; ``None`` if unknown.

    Accepts ``kp``, ``KP``, ``North Korea``, ``Korea, North``, ``DPRK``, ``Russia``...
    """
    value = value.strip()
    if not value:
        return None
    from rigour.territories import lookup_territory

    territory = lookup_territory(value)
    if territory is None:
        return value.lower() if len(value) == 2 and value.isalpha() else None
    code = territory.code
    return code.lower() if code else None


@dataclass
class Query:
    """A party to screen.

    ``names``: every name known for the party (the first is shown as the query); ``schema``:
    ``Person``, ``Organization``, ``Company``, ``Vessel``, ``Airplane``, ``LegalEntity`` or
    ``None`` for "any" (a person query never matches a listed company and vice versa);
    ``birth_dates``: ISO dates, full or partial (``1970-02-05``, ``1970-02``, ``1970``);
    ``countries``: ISO codes or country names (normalised to ISO2 lower case);
    ``identifiers``: passport, IMO, registration numbers, BICs, wallet addresses (any format:
    compared on letters and digits); ``datasets``: restrict to these lists (``None``: all).
    """

    names: list[str]
    schema: str | None = None
    birth_dates: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    datasets: list[str] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.names, str):
            self.names = [self.names]
        self.names = [n for n in (" ".join(str(n).split()) for n in self.names) if n]
        if self.schema is not None:
            schema = self.schema.strip()
            canonical = {s.lower(): s for s in PARTY_SCHEMATA}
            if not schema:
                self.schema = None
            elif schema.lower() in canonical:
                self.schema = canonical[schema.lower()]
            else:
                raise ValueError(f"unknown schema {self.schema!r}; use one of {', '.join(PARTY_SCHEMATA)}")
        self.birth_dates = normalise_birth_dates(self.birth_dates)
        countries: list[str] = []
        for value in self.countries:
            code = normalise_country(value) if value else None
            if code and code not in countries:
                countries.append(code)
        self.countries = countries
        self.identifiers = [i.strip() for i in self.identifiers if i and i.strip()]
        if self.datasets is not None:
            self.datasets = [d for d in self.datasets if d] or None

    @classmethod
    def from_name(cls, name: str, **kw: Any) -> "Query":
        """``Query.from_name("Chong Song-hwa", schema="Person", birth_dates=["1970"])``."""
        return cls(names=[name], **kw)

    @property
    def caption(self) -> str:
        return self.names[0] if self.names else ""
