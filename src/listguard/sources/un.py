"""UN Security Council consolidated list (``consolidated.xml``), dataset ``un_sc_sanctions``.

The UN publishes one XML document, root ``<CONSOLIDATED_LIST dateGenerated=...>``, with
``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY`` records keyed by ``REFERENCE_NUMBER``
(``KPi.001``: committee prefix, ``i``ndividual or ``e``ntity, serial).

Things the format does that the parser has to undo for a screener:

* Names come as positional parts ``FIRST_NAME``..``FOURTH_NAME``. They are *not* given name /
  family name (``YUN`` / ``HO-JIN`` is family name first), so the parts go to FtM ``firstName``,
  ``secondName`` and ``middleName`` positionally and ``lastName`` is never guessed.
* Countries are English names ("Iran (Islamic Republic of)"), mapped to FtM codes; ``na`` is a
  placeholder, not Namibia.
* Birth dates are ``EXACT``/``APPROXIMATELY`` with ``DATE`` or ``YEAR``, or ``BETWEEN`` with
  ``FROM_YEAR``/``TO_YEAR``; some only have a ``NOTE`` ("Nov. 1973"). Aliases carry their own
  dates and places of birth, which belong to the person too.
* Relations, SWIFT codes, company IMO numbers and gender often sit only in ``COMMENTS1``
  ("... Al-Qaida (QDe.004)", "SWIFT/BIC: FTBDKPPY", "IMO number: 5342883", "Gender: male").
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from listguard.model import Entity
from listguard.sources._listtools import (
    clean,
    clean_name,
    country_code,
    element_record,
    iso_date,
    join,
    map_countries,
    peek_root,
    sourceline,
)
from listguard.sources.base import ParseResult, SourceError, check_file
from listguard.sources.safexml import localname, parse_xml

DATASET = "un_sc_sanctions"
TITLE = "UN Security Council Consolidated List"

ROOT_TAG = "CONSOLIDATED_LIST"

#: The sanctions committee behind each reference prefix. The file names only the regime
#: (``UN_LIST_TYPE``); compliance teams and the UK/EU lists cite the committee/resolution.
COMMITTEES: dict[str, str] = {
    "QD": "UNSC 1267/1989/2253 ISIL (Da'esh) and Al-Qaida Sanctions Committee",
    "TA": "UNSC 1988 (2011) Sanctions Committee (Taliban)",
    "KP": "UNSC 1718 (2006) Sanctions Committee (DPRK)",
    "IR": "UNSC 1737 (2006) Sanctions Committee (Iran)",
    "IQ": "UNSC 1518 (2003) Sanctions Committee (Iraq)",
    "CD": "UNSC 1533 (2004) Sanctions Committee (Democratic Republic of the Congo)",
    "LY": "UNSC 1970 (2011) Sanctions Committee (Libya)",
    "SO": "UNSC 2713 (2023) Sanctions Committee (Al-Shabaab)",
    "CF": "UNSC 2127 (2013) Sanctions Committee (Central African Republic)",
    "GB": "UNSC 2048 (2012) Sanctions Committee (Guinea-Bissau)",
    "YE": "UNSC 2140 (2014) Sanctions Committee (Yemen)",
    "SD": "UNSC 1591 (2005) Sanctions Committee (Sudan)",
    "SS": "UNSC 2206 (2015) Sanctions Committee (South Sudan)",
    "HT": "UNSC 2653 (2022) Sanctions Committee (Haiti)",
}

#: A UN reference number as it appears in free text: "(QDe.004)", "designated under IRi.016".
REFERENCE = re.compile(r"\b([A-Z]{2}[ie]\.\d{3})\b")
_SWIFT = re.compile(r"SWIFT(?:\s*/\s*BIC)?\s*:?\s*([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b")
_IMO = re.compile(r"\bIMO\)?\s*(?:number|Number|No\.?)?\s*:?\s*(\d{7})\b")
_GENDER = re.compile(r"\bGender:\s*(male|female)\b", re.IGNORECASE)
_PREFIX_CODE = re.compile(r"^[A-Z]{1,2}(?:-[A-Z]{1,2})?$")

_PASSPORT_TYPES = {"passport", "numéro de passeport", "número de pasaporte"}
_ID_TYPES = {"national identification number"}


def detect(path: Path) -> bool:
    """A file whose root element is ``CONSOLIDATED_LIST`` (a peek at the first bytes)."""
    path = Path(path)
    if not path.is_file():
        return False
    _, local = peek_root(path)
    return local == ROOT_TAG


def parse(path: Path) -> ParseResult:
    """Read the whole consolidated list or raise :class:`SourceError`."""
    path = Path(path)
    check_file(path)
    root = parse_xml(path)
    if localname(root) != ROOT_TAG:
        raise SourceError(
            path,
            f"not a UN consolidated list: the root element is <{localname(root)}>, expected "
            f"<{ROOT_TAG}>. Download consolidated.xml from the UN Security Council site",
            sourceline(root),
        )
    result = ParseResult(
        dataset=DATASET,
        entities=[],
        published_at=clean(root.get("dateGenerated")),
        files=[path],
    )
    records: list[tuple[etree._Element, bool]] = []
    for section, tag, is_person in (("INDIVIDUALS", "INDIVIDUAL", True), ("ENTITIES", "ENTITY", False)):
        for container in root.findall(section):
            records.extend((el, is_person) for el in container.findall(tag))
    if not records:
        raise SourceError(
            path,
            "the consolidated list holds no INDIVIDUAL or ENTITY records; the download is "
            "incomplete, fetch it again",
            sourceline(root),
        )

    by_id: dict[str, Entity] = {}
    comments: dict[str, str] = {}
    for el, is_person in records:
        entity = _parse_record(el, is_person, result, path)
        if entity is None:
            continue
        comment = " ".join(
            [el.findtext("COMMENTS1") or ""] + [v.text or "" for v in el.findall("DESIGNATION/VALUE")]
        )
        if entity.id in by_id:
            # one policy for repeated ids (sources.base): merged, every name kept, warned
            result.merge_into(by_id[entity.id], entity, sourceline(el), "REFERENCE_NUMBER")
            comments[entity.id] += " " + comment
            continue
        by_id[entity.id] = entity
        comments[entity.id] = comment
        result.entities.append(entity)

    _link_references(result, by_id, comments)
    result.count("individuals", sum(1 for e in result.entities if e.schema == "Person"))
    result.count("entities", sum(1 for e in result.entities if e.schema != "Person"))
    return result


def _parse_record(
    el: etree._Element, is_person: bool, result: ParseResult, path: Path
) -> Entity | None:
    ref = clean(el.findtext("REFERENCE_NUMBER"))
    if ref is None:
        result.count("records_without_reference")
        result.warn(f"{el.tag} without REFERENCE_NUMBER at {sourceline(el)} skipped")
        return None
    entity = Entity(
        id=f"{DATASET}:{ref}",
        schema="Person" if is_person else "Organization",
        dataset=DATASET,
        record=element_record(el, collapse_values=True),
    )
    where = f"{ref}"

    parts = [clean(el.findtext(t)) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    entity.add("name", clean_name(join(parts, " ")))
    if is_person:
        entity.add("firstName", parts[0])
        entity.add("secondName", parts[1])
        entity.add("middleName", parts[2:])
    entity.add("alias", clean_name(el.findtext("NAME_ORIGINAL_SCRIPT")))
    if not entity.get("name"):
        result.count("records_without_name")
        result.warn(f"{ref} has no name at {sourceline(el)}")

    aliases = el.findall("INDIVIDUAL_ALIAS" if is_person else "ENTITY_ALIAS")
    for alias in aliases:
        _parse_alias(entity, alias, result)

    list_type = clean(el.findtext("UN_LIST_TYPE"))
    entity.add("program", list_type)
    entity.add("program", COMMITTEES.get(ref[:2]))
    entity.add("createdAt", iso_date(el.findtext("LISTED_ON")))
    updated = sorted(filter(None, (iso_date(v.text) for v in el.findall("LAST_DAY_UPDATED/VALUE"))))
    if updated:
        entity.add("modifiedAt", updated[-1])
    comment = clean(el.findtext("COMMENTS1"))
    entity.add("notes", comment)

    for addr in el.findall(f"{'INDIVIDUAL' if is_person else 'ENTITY'}_ADDRESS"):
        country = clean(addr.findtext("COUNTRY"))
        entity.add("country", map_countries(result, [country], where))
        lines = [addr.findtext(t) for t in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE")]
        if any(clean(line) for line in lines):
            entity.add("address", join([*lines, country]))

    if is_person:
        _parse_person_details(entity, el, result, where)
        for alias in aliases:
            _parse_alias_birth(entity, alias, result, where)
    if comment:
        _parse_comment(entity, comment)
    return entity


def _parse_alias(entity: Entity, alias: etree._Element, result: ParseResult) -> None:
    """Good / a.k.a. -> alias, Low -> weakAlias, f.k.a. -> previousName."""
    name = clean_name(alias.findtext("ALIAS_NAME"))
    quality = (clean(alias.findtext("QUALITY")) or "").lower()
    if name:
        if quality == "low":
            entity.add("weakAlias", name)
        elif quality == "f.k.a.":
            entity.add("previousName", name)
        else:
            if quality not in ("good", "a.k.a."):
                result.count("aliases_without_quality")
            entity.add("alias", name)


def _parse_alias_birth(entity: Entity, alias: etree._Element, result: ParseResult, where: str) -> None:
    """An alias's own date and place of birth are ones the person has used, so they are added
    to the person, after the primary ones (the record keeps which alias they came with)."""
    dob = clean(alias.findtext("DATE_OF_BIRTH"))
    if dob:
        parsed = iso_date(dob)
        if parsed:
            entity.add("birthDate", parsed)
        else:
            result.count("unparsed_birth_dates")
    city = clean(alias.findtext("CITY_OF_BIRTH"))
    country = clean(alias.findtext("COUNTRY_OF_BIRTH"))
    if city or country:
        entity.add("birthPlace", join([city, country]))
        entity.add("birthCountry", map_countries(result, [country], where))


def _parse_person_details(entity: Entity, el: etree._Element, result: ParseResult, where: str) -> None:
    entity.add("title", [clean(v.text) for v in el.findall("TITLE/VALUE")])
    entity.add("position", [clean(v.text) for v in el.findall("DESIGNATION/VALUE")])
    entity.add(
        "nationality",
        map_countries(result, [v.text for v in el.findall("NATIONALITY/VALUE")], where),
    )
    gender = (clean(el.findtext("GENDER")) or "").lower()
    if gender in ("male", "female"):
        entity.add("gender", gender)

    for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        _parse_birth_date(entity, dob, result)

    for pob in el.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        country = clean(pob.findtext("COUNTRY"))
        place = join([pob.findtext(t) for t in ("STREET", "CITY", "STATE_PROVINCE")] + [country])
        entity.add("birthPlace", place)
        entity.add("birthCountry", map_countries(result, [country], where))

    for doc in el.findall("INDIVIDUAL_DOCUMENT"):
        _parse_document(entity, doc, result, where)


def _parse_birth_date(entity: Entity, dob: etree._Element, result: ParseResult) -> None:
    """EXACT / APPROXIMATELY: ``DATE`` or ``YEAR`` (or a "Month yyyy" note); BETWEEN: each
    year of ``FROM_YEAR``..``TO_YEAR`` so a screened date anywhere in the range can match.

    FtM dates cannot say "approximately"; the qualifier stays in the record.
    """
    kind = (clean(dob.findtext("TYPE_OF_DATE")) or "").upper()
    if kind == "BETWEEN":
        start, end = iso_date(dob.findtext("FROM_YEAR")), iso_date(dob.findtext("TO_YEAR"))
        if start and end and start[:4] <= end[:4] and int(end[:4]) - int(start[:4]) <= 20:
            entity.add("birthDate", [str(y) for y in range(int(start[:4]), int(end[:4]) + 1)])
        else:
            entity.add("birthDate", [start, end])
        if not (start or end):
            result.count("unparsed_birth_dates")
        return
    values = [dob.findtext("DATE"), dob.findtext("YEAR")]
    parsed = [iso_date(v) for v in values if clean(v)]
    if not parsed:
        note = clean(dob.findtext("NOTE"))
        if note:
            parsed = [iso_date(note)]
    if any(parsed):
        entity.add("birthDate", parsed)
    elif len(dob) and any(clean(c.text) for c in dob if c.tag != "TYPE_OF_DATE"):
        result.count("unparsed_birth_dates")


def _parse_document(entity: Entity, doc: etree._Element, result: ParseResult, where: str) -> None:
    """Identity documents; the UN's type labels are inconsistent (three spellings of
    "passport", TYPE_OF_DOCUMENT2 with free text), so the FtM type is chosen from both."""
    number = clean(doc.findtext("NUMBER"))
    kind = clean(doc.findtext("TYPE_OF_DOCUMENT"))
    kind2 = clean(doc.findtext("TYPE_OF_DOCUMENT2"))
    if not (number or kind or kind2):
        return
    if number is None:
        result.count("documents_without_number")
        return
    label = " ".join(filter(None, [kind, kind2])).lower()
    if (kind or "").lower() in _PASSPORT_TYPES or (
        (kind or "").lower() not in _ID_TYPES and "passport" in label
    ):
        prop = "passportNumber"
    else:
        prop = "idNumber"
    country_name = clean(doc.findtext("ISSUING_COUNTRY")) or clean(doc.findtext("COUNTRY_OF_ISSUE"))
    countries = map_countries(result, [country_name], where)
    written = number
    number, label_country = split_document_number(number)
    if not countries and label_country:
        countries = [label_country]
    issued = clean(doc.findtext("DATE_OF_ISSUE"))
    city = clean(doc.findtext("CITY_OF_ISSUE"))
    note = join(
        [
            kind2 or kind,
            written if written != number else None,
            f"issued {issued}" if issued else None,
            f"in {city}" if city else None,
            doc.findtext("NOTE"),
        ],
        "; ",
    )
    entity.add_identifier(prop, number, countries[0] if countries else None, note)


def split_document_number(text: str) -> tuple[str, str | None]:
    """The document number a passport check compares, out of the UN's ``NUMBER`` text.

    The UN often writes a label or remark into the number: "Russian foreign travel passport
    number 515458008", "Diplomatic Passport: Z30321794", "Libya 428720", "403062567 (US)",
    "R00012098, South Sudan". Leading words and trailing parentheses / country names are split
    off (the full text stays in the identifier's note); short letter prefixes that belong to
    the number ("OB 0243318", "TR-P 614 166") and inner words ("8208 No. 555627": series and
    number) are kept. Returns ``(number, country code named in the text or None)``.
    """
    country: str | None = None
    body = text.strip()
    while (m := re.search(r"\s*\(([^()]*)\)\s*$", body)) and m.start() > 0:
        country = country or country_code(m.group(1), exact=True)
        body = body[: m.start()]
    if "," in body:
        head, _, tail = body.rpartition(",")
        if (code := country_code(tail, exact=True)) is not None and re.search(r"\d", head):
            country, body = country or code, head
    tokens = body.split()
    first_digit = next((i for i, t in enumerate(tokens) if re.search(r"\d", t)), None)
    if first_digit is None or first_digit == 0:
        return (" ".join(tokens) or text.strip()), country
    start = first_digit
    while start > 0 and _PREFIX_CODE.match(tokens[start - 1]):
        start -= 1
    label = " ".join(tokens[:start]).strip(" :.,")
    if label and (code := country_code(label, exact=True)) is not None and len(label) > 3:
        country = country or code
    return " ".join(tokens[start:]), country


def _parse_comment(entity: Entity, comment: str) -> None:
    """Facts the UN writes only in prose: SWIFT/BIC codes, company IMO numbers, gender."""
    for swift in _SWIFT.findall(comment):
        if entity.schema != "Person":
            entity.add_identifier("swiftBic", swift, note="SWIFT/BIC (from COMMENTS1)")
    if entity.schema != "Person":
        for imo in _IMO.findall(comment):
            entity.add_identifier("imoNumber", imo, note="IMO company number (from COMMENTS1)")
    if entity.schema == "Person" and not entity.get("gender"):
        if m := _GENDER.search(comment):
            entity.add("gender", m.group(1).lower())


def _link_references(result: ParseResult, by_id: dict[str, Entity], comments: dict[str, str]) -> None:
    """COMMENTS1 (and sometimes DESIGNATION) names associated listings by reference number,
    e.g. "Overall leader of the Allied Democratic Forces (ADF) (CDe.001)"; link them.

    A reference that is not on this version of the list (a delisted entry) is kept as a
    link without a target, so the relation is still shown, and counted.
    """
    for entity_id, comment in comments.items():
        entity = by_id[entity_id]
        own = entity_id.split(":", 1)[1]
        for ref in REFERENCE.findall(comment):
            if ref == own:
                continue
            target = f"{DATASET}:{ref}"
            if target in by_id:
                entity.add_link("associated", target=target, target_name=by_id[target].caption)
                result.count("links")
            else:
                entity.add_link("associated", target=None, target_name=ref)
                result.count("unresolved_links")


__all__ = ["DATASET", "TITLE", "detect", "parse"]
