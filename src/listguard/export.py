"""Export entities as FollowTheMoney JSON (``listguard export --format ftm``).

Our :class:`~listguard.model.Entity` is one party with its identity documents, wallets and links
inline; FtM wants them as separate entities pointing at the party. :func:`iter_ftm` yields, per
entity:

1. the party itself, every property cleaned through followthemoney's model so the output
   validates. A property the schema does not have is moved to the nearest one it has
   (:data:`listguard.ftmschema.FALLBACKS`: an Organization's ``nationality`` becomes ``country``);
   a property with no such home, or a value FtM's type cleaning rejects (a phone number without a
   country), is *reported* in the :class:`ExportReport`, never dropped silently, and values FtM
   rewrites to its canonical form (IMO prefix, 8-letter BIC, URL) are counted there too;
2. a ``Passport`` (for ``passportNumber``) or ``Identification`` per identifier, with
   ``holder``, ``number``, ``country`` and the list's label as ``type``;
3. a ``CryptoWallet`` per wallet (``holder``, ``publicKey``, ``currency``/``currencySymbol``);
4. an ``UnknownLink`` per link with a resolved target (``subject``, ``object``, ``role``);
5. one ``Sanction`` (``entity``, ``program``, ``authority`` from the dataset, ``listingDate``
   from ``createdAt``).

Adjacent entity ids are derived from the party id and a SHA-1 of their content
(``<entity id>-passport-<sha1 12>``), so the same input always exports byte-identical output and
a re-import (:mod:`listguard.sources.ftm`) folds them back into the same party.
The source ``record`` is not exported: it is listguard's copy of the list's own text, not FtM.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from followthemoney import model
from followthemoney.proxy import EntityProxy
from followthemoney.util import sanitize_text

from listguard.ftmschema import LISTGUARD_ID_KEY, prop_for
from listguard.model import Entity

log = logging.getLogger(__name__)

#: Who imposes the sanctions a dataset lists (FtM ``Sanction.authority``).
AUTHORITIES = {
    "us_ofac_sdn": "Office of Foreign Assets Control (US Treasury)",
    "us_ofac_cons": "Office of Foreign Assets Control (US Treasury)",
    "un_sc_sanctions": "United Nations Security Council",
    "eu_fsf": "European Union",
    "gb_fcdo_sanctions": "Foreign, Commonwealth & Development Office (UK)",
    "au_dfat_sanctions": "Department of Foreign Affairs and Trade (Australia)",
    "us_trade_csl": "US Government (Consolidated Screening List, International Trade Administration)",
}

#: Contact details are properties of the party in FtM, not identity documents.
CONTACT_PROPS = frozenset({"email", "website", "phone"})

#: Country-valued properties go first so FtM can use them as hints when cleaning phone numbers.
_FIRST = ("country", "nationality", "citizenship", "jurisdiction", "flag")


@dataclass
class ExportReport:
    """What the export changed or could not express in FtM, for the operator to see."""

    entities: int = 0
    adjacent: int = 0
    #: "Organization.nationality->country": values moved to a fallback property.
    mapped: Counter[str] = field(default_factory=Counter)
    #: "Person.phone: invalid value", "Vessel.taxNumber: not in schema"...: values not exported.
    dropped: Counter[str] = field(default_factory=Counter)
    #: "Vessel.imoNumber": values FtM's cleaning rewrote to its canonical form ("9876543" →
    #: "IMO9876543", "SOMRRUM1KST" → "SOMRRUM1", "www.x.ru" → "http://www.x.ru/").
    changed: Counter[str] = field(default_factory=Counter)
    #: A bounded sample of concrete cases.
    warnings: list[str] = field(default_factory=list)

    def drop(self, key: str, entity_id: str, detail: str, n: int = 1) -> None:
        self.dropped[key] += n
        if len(self.warnings) < 100:
            self.warnings.append(f"{entity_id}: {key}: {detail}")
        log.debug("FtM export %s: %s (%s)", entity_id, key, detail)


#: FtM entity ids may only contain ASCII letters, digits, "." and "-" (``EntityType.REGEX``).
_FTM_ID_BAD = re.compile(r"[^0-9a-zA-Z.-]")


def ftm_id(entity_id: str) -> str:
    """A valid FtM entity id for a listguard id: ``au_dfat_sanctions:3`` → ``au-dfat-sanctions.3``.

    listguard ids are ``<dataset>:<list reference>``, and FtM refuses both ``_`` and ``:`` in
    ids (references to such ids are silently dropped by its cleaning). ``:`` becomes ``.``,
    ``_`` becomes ``-``; if the reference held any other character FtM refuses, those become
    ``-`` and a short hash of the original id keeps distinct ids distinct.
    """
    dataset, sep, ref = entity_id.partition(":")
    if not sep:
        dataset, ref = "", entity_id
    clean_ref = _FTM_ID_BAD.sub("-", ref)
    if _FTM_ID_BAD.search(ref.replace("_", "")):
        clean_ref = f"{clean_ref}-{_sha(entity_id)[:8]}"
    out = f"{dataset.replace('_', '-')}.{clean_ref}" if dataset else clean_ref
    out = _FTM_ID_BAD.sub("-", out).strip(".-")
    return out or f"lg-{_sha(entity_id)}"


def _sha(*parts: str | None) -> str:
    return hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()[:12]


def _add(proxy: EntityProxy, prop: str, value: str, report: ExportReport, entity_id: str) -> bool:
    """Add one value the way ``EntityProxy.add`` does (type cleaning with the property's format,
    size limits) and report it when FtM refuses it."""
    schema_prop = proxy.schema.get(prop)
    if schema_prop is None:  # pragma: no cover - callers resolve props first
        report.drop(f"{proxy.schema.name}.{prop}: not in schema", entity_id, value)
        return False
    text = sanitize_text(value)  # what EntityProxy.add does before cleaning (drops \xad...)
    added = proxy.unsafe_add(schema_prop, text) if text is not None else None
    if added is None:
        report.drop(f"{proxy.schema.name}.{prop}: invalid {schema_prop.type.name}", entity_id,
                    value)
        return False
    if added != value:
        report.changed[f"{proxy.schema.name}.{prop}"] += 1
    return True


def _output(proxy: EntityProxy, dataset: str, listguard_id: str | None = None) -> dict[str, Any]:
    data = proxy.to_dict()
    data["datasets"] = [dataset]
    if listguard_id is not None and listguard_id != proxy.id:
        data[LISTGUARD_ID_KEY] = listguard_id
    return data


def party_proxy(entity: Entity, report: ExportReport | None = None) -> EntityProxy:
    """The party as an FtM proxy with every property resolved into its schema and cleaned."""
    report = report if report is not None else ExportReport()
    schema = model.get(entity.schema)
    if schema is None:
        raise ValueError(f"{entity.id}: unknown FtM schema {entity.schema!r}")
    proxy = model.make_entity(schema)
    proxy.id = ftm_id(entity.id)
    props = sorted(entity.properties, key=lambda p: (p not in _FIRST, _FIRST.index(p)
                                                     if p in _FIRST else 0))
    for prop in props:
        values = entity.properties[prop]
        target = prop_for(entity.schema, prop)
        if target is None:
            report.drop(f"{entity.schema}.{prop}: not in schema", entity.id,
                        "; ".join(values)[:200], len(values))
            continue
        if schema.get(target).type.name == "entity":  # type: ignore[union-attr]
            report.drop(f"{entity.schema}.{prop}: reference without its entity", entity.id,
                        "; ".join(values)[:200], len(values))
            continue
        if target != prop:
            report.mapped[f"{entity.schema}.{prop}->{target}"] += len(values)
        for value in values:
            _add(proxy, target, value, report, entity.id)
    return proxy


def iter_ftm(entities: Iterable[Entity], report: ExportReport | None = None
             ) -> Iterator[dict[str, Any]]:
    """FtM entity dicts for each entity: the party, then its adjacent entities (see module doc)."""
    report = report if report is not None else ExportReport()
    for entity in entities:
        party = party_proxy(entity, report)
        report.entities += 1
        yield _output(party, entity.dataset, entity.id)
        for adjacent in _adjacent(entity, party, report):
            report.adjacent += 1
            yield _output(adjacent, entity.dataset)


def _as_on_party(party: EntityProxy, prop: str, number: str) -> str:
    """The number as FtM wrote it on the party (``5987860`` → ``IMO5987860`` for an imoNumber),
    so a reader can tell which party property the Identification describes."""
    schema_prop = party.schema.get(prop)
    if schema_prop is None:
        return number
    text = sanitize_text(number)
    if text is None:
        return number
    cleaned = schema_prop.type.clean_text(text, format=schema_prop.format, proxy=party)
    return cleaned if cleaned in party.get(prop) else number


def _holder_ok(entity: Entity) -> bool:
    schema = model.get(entity.schema)
    return schema is not None and schema.is_a("LegalEntity")


def _adjacent(entity: Entity, party: EntityProxy, report: ExportReport) -> Iterator[EntityProxy]:
    pid = str(party.id)
    for ident in entity.identifiers:
        if ident.type in CONTACT_PROPS or not _holder_ok(entity):
            # The number itself is on the party (add_identifier mirrors it into the property),
            # and the list's label for it ("Website", "Vessel Registration Identification") is
            # what the property says. Only an issuing country has nowhere to go.
            if ident.country:
                report.drop(f"{entity.schema}.identifier country", entity.id,
                            f"{ident.type} {ident.number} issued by {ident.country}: no "
                            "Identification entity possible for this holder")
            continue
        is_passport = ident.type == "passportNumber"
        proxy = model.make_entity("Passport" if is_passport else "Identification")
        proxy.id = (f"{pid}-{'passport' if is_passport else 'identification'}-"
                    f"{_sha(ident.type, ident.number, ident.country, ident.note)}")
        proxy.add("holder", pid)
        _add(proxy, "number", _as_on_party(party, ident.type, ident.number), report, entity.id)
        if ident.country:
            _add(proxy, "country", ident.country, report, entity.id)
        if ident.note:
            _add(proxy, "type", ident.note, report, entity.id)
        yield proxy

    for wallet in entity.wallets:
        if not _holder_ok(entity):
            report.drop(f"{entity.schema}.wallet: holder must be a LegalEntity", entity.id,
                        f"{wallet.currency} {wallet.address}")
            continue
        proxy = model.make_entity("CryptoWallet")
        proxy.id = f"{pid}-wallet-{_sha(wallet.currency, wallet.address)}"
        proxy.add("holder", pid)
        _add(proxy, "publicKey", wallet.address, report, entity.id)
        if wallet.currency:
            proxy.add("currencySymbol", wallet.currency)
            cleaned = model.get("CryptoWallet").get("currency").type.clean(wallet.currency)  # type: ignore[union-attr]
            if cleaned is not None:
                proxy.add("currency", cleaned, cleaned=True)
        yield proxy

    for link in entity.links:
        if not link.target:
            report.drop("link: no target entity", entity.id,
                        f"{link.relation} {link.target_name or ''}".strip())
            continue
        proxy = model.make_entity("UnknownLink")
        proxy.id = f"{pid}-link-{_sha(link.relation, link.target)}"
        proxy.add("subject", pid)
        proxy.add("object", ftm_id(link.target))
        proxy.add("role", link.relation)
        yield proxy

    sanction = model.make_entity("Sanction")
    sanction.id = f"{pid}-sanction"
    sanction.add("entity", pid)
    sanction.add("authority", AUTHORITIES.get(entity.dataset, entity.dataset))
    for program in party.get("program"):
        sanction.add("program", program, cleaned=True)
    for date in party.get("createdAt"):
        sanction.add("listingDate", date)
    yield sanction
