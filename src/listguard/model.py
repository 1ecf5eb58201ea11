"""The entity model every part of listguard speaks.

An :class:`Entity` is one listed party (a person, an organisation, a vessel...) as one
official list describes it. Its vocabulary is FollowTheMoney's: ``schema`` is an FtM schema
name and ``properties`` maps FtM property names to lists of string values. That keeps the
interchange format (``listguard export --format ftm``) a plain projection, and lets the
matcher read every source the same way.

Three things FtM models as separate, linked entities are kept inline here because a screener
needs them on the party itself: identity documents (:class:`Identifier`, with the issuing
country a passport match depends on), digital-currency wallets (:class:`Wallet`) and relations
to other listed parties (:class:`Link`). ``record`` keeps the source record as the list wrote it,
so a hit can always show exactly what the list said.

Entities are plain data: parsers build them, the store serialises them with
:meth:`Entity.to_dict` / :meth:`Entity.from_dict`, and nothing here imports the store, the index
or the matcher.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson

#: FtM schemata a listed party can have. ``LegalEntity`` is used when a list does not say
#: whether an entry is a person or an organisation (it is the common parent of both).
PARTY_SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")

#: Name properties, strongest first. ``name`` is the primary name; ``alias`` a strong a.k.a.
#: (and names in original script); ``weakAlias`` a "low quality" a.k.a. (OFAC/UN/EU all flag
#: these: nicknames, single words); ``previousName`` an f.k.a.
NAME_PROPS = ("name", "alias", "previousName", "weakAlias")

#: Name-part properties (FtM); sources fill them when the list gives the parts.
NAME_PART_PROPS = ("firstName", "secondName", "middleName", "fatherName", "lastName", "title")

#: Properties that identify a party on their own when they match exactly.
STRONG_ID_PROPS = ("imoNumber", "passportNumber", "swiftBic", "mmsi", "leiCode")

#: Identifier-like properties searched by exact lookup.
ID_PROPS = (
    "passportNumber",
    "idNumber",
    "taxNumber",
    "registrationNumber",
    "imoNumber",
    "mmsi",
    "callSign",
    "swiftBic",
    "leiCode",
    "innCode",
    "ogrnCode",
    "vatCode",
    "email",
    "website",
    "phone",
    "icaoCode",
    "serialNumber",
)


@dataclass(frozen=True)
class Identifier:
    """An identity document or registry number as the list states it.

    ``type`` is one of the FtM property names in :data:`ID_PROPS` (``passportNumber``,
    ``idNumber``, ``taxNumber``, ``registrationNumber``, ``imoNumber``...). ``country`` is an
    ISO 3166-1 alpha-2 code (lower case) of the issuer when known, ``note`` the list's own label
    ("Passport", "Unified Social Credit Code (USCC)", "issued 2011-06-07"...).
    """

    type: str
    number: str
    country: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Wallet:
    """A digital currency address, e.g. ``Wallet("XBT", "1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V")``."""

    currency: str
    address: str


@dataclass(frozen=True)
class Link:
    """A relation to another listed entry: OFAC "Linked To:", UN/EU associated entries.

    ``target`` is the other entry's listguard id when the source lets us resolve it, otherwise
    ``None`` and ``target_name`` carries the name as the list wrote it.
    """

    relation: str
    target: str | None = None
    target_name: str | None = None


@dataclass
class Entity:
    """One listed party as one version of one list describes it."""

    id: str
    schema: str
    dataset: str
    properties: dict[str, list[str]] = field(default_factory=dict)
    identifiers: list[Identifier] = field(default_factory=list)
    wallets: list[Wallet] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)

    # -- building ---------------------------------------------------------------------------
    def add(self, prop: str, values: str | Iterable[str | None] | None) -> None:
        """Add cleaned, de-duplicated values to a property (empty values are dropped)."""
        if values is None:
            return
        if isinstance(values, str):
            values = [values]
        bucket = self.properties.setdefault(prop, [])
        for value in values:
            if value is None:
                continue
            value = " ".join(value.split())
            if value and value not in bucket:
                bucket.append(value)
        if not bucket:
            del self.properties[prop]

    def add_identifier(
        self, type: str, number: str, country: str | None = None, note: str | None = None
    ) -> None:
        """Record an identifier, and mirror its number into the FtM property of that type."""
        number = " ".join(number.split())
        if not number:
            return
        ident = Identifier(type, number, country.lower() if country else None, note)
        if ident not in self.identifiers:
            self.identifiers.append(ident)
        self.add(type, number)

    def add_wallet(self, currency: str, address: str) -> None:
        wallet = Wallet(currency.strip().upper(), address.strip())
        if wallet.address and wallet not in self.wallets:
            self.wallets.append(wallet)

    def add_link(self, relation: str, target: str | None = None, target_name: str | None = None) -> None:
        link = Link(relation, target, target_name)
        if link not in self.links:
            self.links.append(link)

    # -- reading ----------------------------------------------------------------------------
    def get(self, prop: str) -> list[str]:
        return self.properties.get(prop, [])

    def first(self, prop: str) -> str | None:
        values = self.properties.get(prop)
        return values[0] if values else None

    @property
    def caption(self) -> str:
        """The name to show: the primary name, else the first alias, else the id."""
        for prop in NAME_PROPS:
            values = self.properties.get(prop)
            if values:
                return values[0]
        return self.id

    def names(self) -> list[tuple[str, str]]:
        """Every name with its kind (the FtM property it came from), strongest kinds first."""
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for prop in NAME_PROPS:
            for value in self.properties.get(prop, []):
                if value not in seen:
                    seen.add(value)
                    out.append((value, prop))
        return out

    # -- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "schema": self.schema,
            "dataset": self.dataset,
            "properties": self.properties,
        }
        if self.identifiers:
            data["identifiers"] = [
                {k: v for k, v in vars(i).items() if v is not None} for i in self.identifiers
            ]
        if self.wallets:
            data["wallets"] = [vars(w) for w in self.wallets]
        if self.links:
            data["links"] = [{k: v for k, v in vars(l).items() if v is not None} for l in self.links]
        if self.record:
            data["record"] = self.record
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Entity":
        return cls(
            id=data["id"],
            schema=data["schema"],
            dataset=data["dataset"],
            properties={k: list(v) for k, v in data.get("properties", {}).items()},
            identifiers=[Identifier(**i) for i in data.get("identifiers", [])],
            wallets=[Wallet(**w) for w in data.get("wallets", [])],
            links=[Link(**l) for l in data.get("links", [])],
            record=data.get("record", {}),
        )

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)

    def screening_dict(self) -> dict[str, Any]:
        """What screening looks at: everything but the raw source record.

        A change here (a name, a date, a country, an identifier) is what makes an entity
        "changed" for monitoring; an edit that only touches the record's wording is not.
        """
        data = self.to_dict()
        data.pop("record", None)
        return data

    def content_hash(self) -> str:
        """A stable hash of the whole entity (including its source record)."""
        return hashlib.sha256(self.to_json()).hexdigest()

    def screening_hash(self) -> str:
        """A stable hash of :meth:`screening_dict`."""
        return hashlib.sha256(
            orjson.dumps(self.screening_dict(), option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
