"""Keeping entity properties inside the FollowTheMoney schema of their entity.

Our :class:`~listguard.model.Entity` uses FtM property names, and ``listguard export --format
ftm`` must produce entities FtM accepts. A list does not always say something in a way the
schema can hold: a DFAT "Entity" row has a Citizenship column, but an FtM ``Organization`` has no
``nationality``; an untyped US CSL row (``LegalEntity``) has a passport, but ``passportNumber``
belongs to ``Person``. Parsers and the exporter both resolve such a property through
:data:`FALLBACKS` to the nearest property the schema does have, and *count* the ones that have no
such home instead of dropping them quietly (the parsers keep the source text in ``record``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from followthemoney import model

if TYPE_CHECKING:  # pragma: no cover
    from listguard.model import Entity
    from listguard.sources.base import ParseResult

#: Where a property goes when the entity's schema lacks it. Each maps to a property of the same
#: meaning one level more general; chains are followed (``passportNumber`` → ``idNumber`` →
#: ``registrationNumber`` for a Vessel).
FALLBACKS: dict[str, str] = {
    "nationality": "country",
    "citizenship": "country",
    "birthCountry": "country",
    "jurisdiction": "country",
    "passportNumber": "idNumber",
    "idNumber": "registrationNumber",
    "innCode": "taxNumber",
    "vatCode": "taxNumber",
    "ogrnCode": "registrationNumber",
    "leiCode": "registrationNumber",
    "imoNumber": "registrationNumber",
    "swiftBic": "registrationNumber",
}


#: Top-level key of an exported FtM party carrying its listguard id (FtM ids cannot contain the
#: ``_`` and ``:`` of ``au_dfat_sanctions:3``; see :func:`listguard.export.ftm_id`). The FtM
#: reader restores the listguard id from it, so an export re-imports with the same ids.
LISTGUARD_ID_KEY = "listguard_id"


@lru_cache(maxsize=None)
def schema_props(schema: str) -> frozenset[str]:
    """The property names an FtM schema (and its parents) defines; empty for unknown schemata."""
    found = model.get(schema)
    return frozenset(found.properties) if found is not None else frozenset()


@lru_cache(maxsize=None)
def prop_for(schema: str, prop: str) -> str | None:
    """``prop`` if ``schema`` has it, else its nearest :data:`FALLBACKS` the schema has."""
    props = schema_props(schema)
    seen: set[str] = set()
    while prop not in props:
        seen.add(prop)
        nxt = FALLBACKS.get(prop)
        if nxt is None or nxt in seen:
            return None
        prop = nxt
    return prop


def put(entity: "Entity", prop: str, values: str | Iterable[str | None] | None,
        result: "ParseResult | None" = None) -> str | None:
    """Add values to the schema-valid property for ``prop``; count them when there is none.

    Returns the property used, or None when the schema has no home for it (the count is
    ``property_not_in_schema:<Schema>.<prop>``).
    """
    target = prop_for(entity.schema, prop)
    if target is None:
        if result is not None and values:
            result.count(f"property_not_in_schema:{entity.schema}.{prop}")
        return None
    entity.add(target, values)
    return target


def put_identifier(entity: "Entity", type: str, number: str, country: str | None = None,
                   note: str | None = None, result: "ParseResult | None" = None) -> str | None:
    """:meth:`Entity.add_identifier` with the identifier type resolved like :func:`put`.

    When the type changes (a passport of a ``LegalEntity`` becomes an ``idNumber``) the list's
    own label survives in ``note``.
    """
    target = prop_for(entity.schema, type)
    if target is None:
        if result is not None:
            result.count(f"property_not_in_schema:{entity.schema}.{type}")
        return None
    if target != type and note is None:
        note = type
    entity.add_identifier(target, number, country, note)
    return target
