"""EU consolidated list of persons, groups and entities subject to financial sanctions (FSF),
dataset ``eu_fsf``.

The EU publishes one XML document (namespace ``http://eu.europa.ec/fpi/fsd/export``, root
``<export generationDate=...>``) with one ``sanctionEntity`` per listing, keyed by its
``logicalId``. Everything is an element with attributes: ``nameAlias`` (one per name, per
language, each with its own name parts, gender, title and function, ``strong="false"`` for a
low-quality alias), ``citizenship``, ``birthdate`` (a full date, or year/month/day parts, or a
year range, each with a place), ``identification`` (typed by ``identificationTypeCode``),
``address``, ``regulation`` (programme, publication) and free-text ``remark``.

The EU has no primary-name flag: the first strong ``nameAlias`` is taken as the name, as the
EU's own search and PDF do. Listings transposed from the UN carry ``unitedNationId``; it
becomes a ``same_as`` link to the UN entry, which is how a screener sees one party on both.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from listguard.model import Entity
from listguard.sources._listtools import (
    clean,
    clean_name,
    element_record,
    iso_date,
    join,
    map_countries,
    peek_root,
    sourceline,
)
from listguard.sources.base import ParseResult, SourceError, check_file
from listguard.sources.safexml import localname, parse_xml

DATASET = "eu_fsf"
TITLE = "EU Consolidated Financial Sanctions List"

NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
ROOT_TAG = "export"
_NS = f"{{{NAMESPACE}}}"

SCHEMATA = {"person": "Person", "enterprise": "Organization"}

#: ``identificationTypeCode`` -> FtM property. Unknown codes go to ``idNumber`` (counted).
ID_TYPES = {
    "passport": "passportNumber",
    "id": "idNumber",
    "regnumber": "registrationNumber",
    "swiftbic": "swiftBic",
    "imo": "imoNumber",
    "fiscalcode": "taxNumber",
    "tax": "taxNumber",
    "inn": "innCode",
    "ogrn": "ogrnCode",
    "ssn": "idNumber",
    "drivinglicence": "idNumber",
    "birthcert": "idNumber",
    "travel": "passportNumber",
    "other": "idNumber",
}
_GENDERS = {"m": "male", "f": "female"}
_CONTACTS = {"phone": "phone", "fax": "phone", "email": "email", "web": "website", "website": "website"}


def detect(path: Path) -> bool:
    """A file whose root element is ``export`` in the EU FSF namespace (a peek)."""
    path = Path(path)
    if not path.is_file():
        return False
    namespace, local = peek_root(path)
    return local == ROOT_TAG and namespace == NAMESPACE


def parse(path: Path) -> ParseResult:
    """Read the whole EU consolidated list or raise :class:`SourceError`."""
    path = Path(path)
    check_file(path)
    root = parse_xml(path)
    if localname(root) != ROOT_TAG or etree.QName(root).namespace != NAMESPACE:
        raise SourceError(
            path,
            f"not an EU consolidated financial sanctions list: the root element is "
            f"<{localname(root)}> in namespace {etree.QName(root).namespace or '(none)'}, expected "
            f"<{ROOT_TAG}> in {NAMESPACE}. Download the XML (v1.1) from the EU Financial "
            "Sanctions Files service",
            sourceline(root),
        )
    result = ParseResult(
        dataset=DATASET,
        entities=[],
        published_at=clean(root.get("generationDate")),
        files=[path],
    )
    for el in root.iter(f"{_NS}sanctionEntity"):
        entity = _parse_entity(el, result)
        if entity is not None:
            result.add_entity(entity, sourceline(el), "logicalId")
    if not result.entities:
        raise SourceError(
            path,
            "the EU list holds no sanctionEntity records; the download is incomplete, fetch it again",
            sourceline(root),
        )
    return result


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    return list(el.findall(f"{_NS}{tag}"))


def _attr(el: etree._Element, name: str) -> str | None:
    return clean(el.get(name))


def _parse_entity(el: etree._Element, result: ParseResult) -> Entity | None:
    logical_id = _attr(el, "logicalId")
    if logical_id is None:
        result.count("records_without_id")
        result.warn(f"sanctionEntity without logicalId at {sourceline(el)} skipped")
        return None
    where = f"logicalId {logical_id}"
    subject = el.find(f"{_NS}subjectType")
    code = (_attr(subject, "code") or "").lower() if subject is not None else ""
    schema = SCHEMATA.get(code)
    if schema is None:
        result.count("unknown_subject_types")
        result.warn(f"{where}: subject type {code!r} unknown, kept as LegalEntity")
        schema = "LegalEntity"
    entity = Entity(
        id=f"{DATASET}:{logical_id}",
        schema=schema,
        dataset=DATASET,
        record=element_record(el),
    )
    is_person = schema == "Person"

    _parse_names(entity, el, is_person)
    if not entity.get("name"):
        result.count("records_without_name")
        result.warn(f"{where} has no name at {sourceline(el)}")

    publication_dates: list[str] = []
    for reg in _children(el, "regulation"):
        entity.add("program", _attr(reg, "programme"))
        if date := iso_date(reg.get("publicationDate")):
            publication_dates.append(date)
    designated = iso_date(el.get("designationDate"))
    entity.add("createdAt", designated or (min(publication_dates) if publication_dates else None))
    entity.add("notes", [clean(r.text) for r in _children(el, "remark")])

    if is_person:
        for cit in _children(el, "citizenship"):
            entity.add("nationality", _country(result, cit, where))
        for bd in _children(el, "birthdate"):
            _parse_birthdate(entity, bd, result, where)

    for ident in _children(el, "identification"):
        _parse_identification(entity, ident, result, where)

    for addr in _children(el, "address"):
        countries = _country(result, addr, where)
        entity.add("country", countries)
        lines = [addr.get(a) for a in ("street", "poBox", "zipCode", "city", "place", "region")]
        if any(clean(line) for line in lines):
            entity.add("address", join([*lines, addr.get("countryDescription") if countries else None]))
        for contact in _children(addr, "contactInfo"):
            prop = _CONTACTS.get((_attr(contact, "key") or "").lower())
            if prop:
                entity.add(prop, _attr(contact, "value"))

    un_id = _attr(el, "unitedNationId")
    if un_id:
        entity.add_link("same_as", target=f"un_sc_sanctions:{un_id}", target_name=entity.caption)
    return entity


def _parse_names(entity: Entity, el: etree._Element, is_person: bool) -> None:
    """First strong alias -> name; other strong -> alias; ``strong="false"`` -> weakAlias.

    Name parts, gender, titles and functions are collected from every strong alias: the EU
    repeats them per language version of the name (weak aliases are nicknames, not parts).
    """
    for alias in _children(el, "nameAlias"):
        whole = clean_name(alias.get("wholeName"))
        parts = [_attr(alias, a) for a in ("firstName", "middleName", "lastName")]
        if whole is None:
            whole = clean_name(join(parts, " "))
        strong = (_attr(alias, "strong") or "true").lower() != "false"
        if whole:
            if not strong:
                entity.add("weakAlias", whole)
            elif not entity.get("name"):
                entity.add("name", whole)
            else:
                entity.add("alias", whole)
        if is_person and strong:
            entity.add("firstName", parts[0])
            entity.add("middleName", parts[1])
            entity.add("lastName", parts[2])
            entity.add("title", _attr(alias, "title"))
            entity.add("gender", _GENDERS.get((_attr(alias, "gender") or "").lower()))
        entity.add("position", _attr(alias, "function"))


def _country(result: ParseResult, el: etree._Element, where: str) -> list[str]:
    """The element's ``countryIso2Code`` (``00`` = unknown), else its ``countryDescription``."""
    code = _attr(el, "countryIso2Code")
    if code and code != "00":
        return map_countries(result, [code], where)
    description = _attr(el, "countryDescription")
    if description and description.upper() != "UNKNOWN":
        return map_countries(result, [description], where)
    return []


def _parse_birthdate(entity: Entity, bd: etree._Element, result: ParseResult, where: str) -> None:
    """A full ``birthdate``, else ``year``/``monthOfYear``/``dayOfMonth``, else each year of
    ``yearRangeFrom``..``yearRangeTo``; ``circa`` stays in the record (FtM cannot say it)."""
    date = iso_date(bd.get("birthdate"))
    if date is None:
        year, month, day = (_attr(bd, a) for a in ("year", "monthOfYear", "dayOfMonth"))
        if year and year.isdigit():
            date = iso_date(
                f"{int(year):04d}"
                + (f"-{int(month):02d}" if month and month.isdigit() else "")
                + (f"-{int(day):02d}" if month and month.isdigit() and day and day.isdigit() else "")
            )
    if date:
        entity.add("birthDate", date)
    else:
        start, end = iso_date(bd.get("yearRangeFrom")), iso_date(bd.get("yearRangeTo"))
        if start and end and start[:4] <= end[:4] and int(end[:4]) - int(start[:4]) <= 20:
            entity.add("birthDate", [str(y) for y in range(int(start[:4]), int(end[:4]) + 1)])
        elif start or end:
            entity.add("birthDate", [start, end])
        elif any(_attr(bd, a) for a in ("birthdate", "year", "yearRangeFrom", "yearRangeTo")):
            result.count("unparsed_birth_dates")
    countries = _country(result, bd, where)
    place = join(
        [bd.get(a) for a in ("place", "city", "region")]
        + [bd.get("countryDescription") if countries else None]
    )
    entity.add("birthPlace", place)
    entity.add("birthCountry", countries)


def _parse_identification(entity: Entity, ident: etree._Element, result: ParseResult, where: str) -> None:
    type_code = (_attr(ident, "identificationTypeCode") or "").lower()
    prop = ID_TYPES.get(type_code)
    if prop is None:
        result.count("unknown_identification_types")
        prop = "idNumber"
    if entity.schema == "Person" and prop in ("imoNumber", "swiftBic", "registrationNumber"):
        prop = "idNumber"
    countries = _country(result, ident, where)
    flags = [f for f in ("diplomatic", "knownExpired", "knownFalse", "reportedLost", "revokedByIssuer")
             if (_attr(ident, f) or "").lower() == "true"]
    note = join(
        [
            _attr(ident, "identificationTypeDescription") or type_code or None,
            f"issued by {_attr(ident, 'issuedBy')}" if _attr(ident, "issuedBy") else None,
            f"issued {_attr(ident, 'issuedDate')}" if _attr(ident, "issuedDate") else None,
            f"valid from {_attr(ident, 'validFrom')}" if _attr(ident, "validFrom") else None,
            f"valid to {_attr(ident, 'validTo')}" if _attr(ident, "validTo") else None,
            f"name on document {_attr(ident, 'nameOnDocument')}" if _attr(ident, "nameOnDocument") else None,
            *flags,
            *[clean(r.text) for r in _children(ident, "remark")],
        ],
        "; ",
    )
    country = countries[0] if countries else None
    numbers = [_attr(ident, "number"), _attr(ident, "latinNumber")]
    if not any(numbers):
        result.count("documents_without_number")
        return
    for number in numbers:
        if number:
            entity.add_identifier(prop, number, country, note)


__all__ = ["DATASET", "TITLE", "detect", "parse"]
