"""ISO 20022 pacs.008 (FI to FI customer credit transfer), pacs.009, pain.001 (customer credit
transfer initiation): parties, accounts, agents and remittance text.

Elements are matched by *local name*: the namespace carries the message version
(``urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08`` vs ``.001.10``), and a screener must read
every version a bank sends without a schema per version. The party elements are the same in all
of them: ``Dbtr``, ``Cdtr``, ``UltmtDbtr``, ``UltmtCdtr``, ``InitgPty`` (a name, a postal
address, an organisation or private identification), the agents ``DbtrAgt``, ``CdtrAgt``,
``IntrmyAgt1..3``, ``InstgAgt``, ``InstdAgt``, ``PrvsInstgAgt1..3`` (a ``FinInstnId`` with
``BICFI``/``BIC``, ``LEI``, name, address), accounts in ``<Party>Acct`` (IBAN or other id),
and free text in ``RmtInf/Ustrd``, ``RmtInf/Strd/AddtlRmtInf``, ``InstrForCdtrAgt/InstrInf``,
``InstrForNxtAgt/InstrInf``.

Parsing is hardened like the list parsers (:mod:`listguard.sources.safexml`): a DOCTYPE or an
ENTITY declaration is refused before lxml sees the document (no entity expansion, no external
entities), and the parser never resolves entities, never touches the network and keeps its
tree-size limits.
"""

from __future__ import annotations

import re
from typing import Iterator

from lxml import etree

from listguard.text.messages.model import FreeText, Message, MessageError, Party

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)

#: party element -> (role, is an institution)
PARTY_ELEMENTS: dict[str, tuple[str, bool]] = {
    "Dbtr": ("debtor", False),
    "Cdtr": ("creditor", False),
    "UltmtDbtr": ("ultimate debtor", False),
    "UltmtCdtr": ("ultimate creditor", False),
    "InitgPty": ("initiating party", False),
    "DbtrAgt": ("debtor agent", True),
    "CdtrAgt": ("creditor agent", True),
    "IntrmyAgt1": ("intermediary agent 1", True),
    "IntrmyAgt2": ("intermediary agent 2", True),
    "IntrmyAgt3": ("intermediary agent 3", True),
    "InstgAgt": ("instructing agent", True),
    "InstdAgt": ("instructed agent", True),
    "PrvsInstgAgt1": ("previous instructing agent 1", True),
    "PrvsInstgAgt2": ("previous instructing agent 2", True),
    "PrvsInstgAgt3": ("previous instructing agent 3", True),
    "FwdgAgt": ("forwarding agent", True),
}
#: free-text elements -> label
TEXT_ELEMENTS = {"Ustrd": "remittance information", "AddtlRmtInf": "remittance information", "InstrInf": "instruction"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def parse_xml_bytes(data: bytes) -> etree._Element:
    """Parse untrusted XML safely (see the module doc); errors name line and column."""
    if _DOCTYPE.search(data[: 1 << 20]) or _DOCTYPE.search(data):
        raise MessageError(
            "XML declares a DOCTYPE/ENTITY; refused (entity expansion and external entities are "
            "known attacks, and ISO 20022 messages never use them)"
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        raise MessageError(f"malformed XML at line {line}, column {col}: {exc.msg}") from None
    if root is None:
        raise MessageError("empty XML document")
    return root


def local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _path(el: etree._Element, root: etree._Element) -> str:
    """A readable path: local names, with a position where a parent repeats the element."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None and node is not root:
        name = local(node)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if local(c) == name]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    node: etree._Element | None = el
    for name in names:
        if node is None:
            return None
        node = next((c for c in node if local(c) == name), None)
    return node


def _text(el: etree._Element | None, *names: str) -> str | None:
    node = _child(el, *names) if (el is not None and names) else el
    if node is None or node.text is None:
        return None
    value = " ".join(node.text.split())
    return value or None


def message_kind(root: etree._Element) -> str:
    """``pacs.008``, ``pain.001``... from the namespace, else from the first child's name."""
    tag = root.tag if isinstance(root.tag, str) else ""
    m = re.search(r"(pacs|pain|camt)\.(\d{3})", tag)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    first = next(iter(root), None) if local(root) == "Document" else root
    name = local(first) if first is not None else local(root)
    return {
        "FIToFICstmrCdtTrf": "pacs.008",
        "FICdtTrf": "pacs.009",
        "CstmrCdtTrfInitn": "pain.001",
    }.get(name, name or "ISO 20022")


def parse_iso20022(data: bytes) -> Message:
    """Parse a pacs.008 / pacs.009 / pain.001 message (any version)."""
    root = parse_xml_bytes(data)
    # an application header envelope (AppHdr + Document) is common: find the Document
    doc = root if local(root) == "Document" else next((e for e in root.iter() if local(e) == "Document"), root)
    message = Message(format=message_kind(doc))
    ref = next((e for e in doc.iter() if local(e) in ("EndToEndId", "MsgId", "InstrId")), None)
    message.reference = _text(ref) if ref is not None else None
    for el in doc.iter():
        name = local(el)
        if name in PARTY_ELEMENTS:
            role, institution = PARTY_ELEMENTS[name]
            party = _party(el, name, role, institution, doc)
            if party is not None:
                message.parties.append(party)
        elif name in TEXT_ELEMENTS:
            value = _text(el)
            if value:
                message.free_text.append(FreeText(name, _path(el, doc), value))
    if not message.parties and not message.free_text:
        raise MessageError(
            f"no parties found in the {message.format} message: expected Dbtr/Cdtr/agents "
            "(pacs.008, pacs.009 or pain.001)"
        )
    return message


def _party(el: etree._Element, name: str, role: str, institution: bool, doc: etree._Element) -> Party | None:
    party = Party(role, name, _path(el, doc), institution=institution)
    # in newer versions Dbtr/Cdtr wrap a "Pty" (pacs.009) or "Agt" element
    body = el
    for wrapper in (("Pty",), ("FinInstnId",), ("Agt", "FinInstnId")):
        found = _child(el, *wrapper)
        if found is not None:
            body = found
            break
    party.name = _text(body, "Nm")
    address = _child(body, "PstlAdr")
    if address is not None:
        lines: list[str] = []
        for part in address:
            pname = local(part)
            value = _text(part)
            if not value:
                continue
            if pname == "Ctry":
                party.country = value.lower()
            elif pname in ("AdrLine", "StrtNm", "BldgNb", "BldgNm", "PstCd", "TwnNm", "TwnLctnNm", "DstrctNm", "CtrySubDvsn", "Flr", "PstBx", "Room", "Dept", "SubDept"):
                lines.append(value)
        party.address = lines
    party.country = party.country or (_text(body, "CtryOfRes") or "").lower() or None
    for bic_name in ("BICFI", "BIC", "AnyBIC", "BICOrBEI"):
        bic = next((e for e in body.iter() if local(e) == bic_name), None)
        if bic is not None and _text(bic):
            party.bic = (_text(bic) or "").replace(" ", "").upper()
            break
    for ident in _identifiers(body):
        if ident not in party.identifiers and ident != party.bic:
            party.identifiers.append(ident)
    account = _account(el)
    if account:
        party.account = account
    if not (party.name or party.bic or party.identifiers or party.account):
        return None
    return party


def _identifiers(body: etree._Element) -> Iterator[str]:
    """LEI, organisation/private ids (``Othr/Id``), clearing member ids."""
    for e in body.iter():
        name = local(e)
        if name in ("LEI",) and _text(e):
            yield _text(e) or ""
        elif name == "Id" and _text(e):
            parent = e.getparent()
            if parent is not None and local(parent) in ("Othr",):
                yield _text(e) or ""
        elif name == "MmbId" and _text(e):
            yield _text(e) or ""


def _account(el: etree._Element) -> str | None:
    """The ``<Party>Acct`` sibling of a party element (``DbtrAcct`` for ``Dbtr``)."""
    parent = el.getparent()
    if parent is None:
        return None
    acct = _child(parent, local(el) + "Acct")
    if acct is None:
        return None
    for e in acct.iter():
        if local(e) in ("IBAN",) and _text(e):
            return _text(e)
    for e in acct.iter():
        if local(e) == "Id" and _text(e) and local(e.getparent()) == "Othr":  # type: ignore[arg-type]
            return _text(e)
    return None


def looks_like_xml(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:5]
    return head.startswith(b"<")
