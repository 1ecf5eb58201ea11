"""Screening a payment message: every party, identifier, country and free-text field.

Four kinds of alert, each naming the party and field it came from:

* ``name``: a party's name through the matcher (as ``listguard screen`` would, with the
  party's country as a hint; banks are screened as organisations);
* ``identifier``: a BIC, LEI, account or other identifier that equals one a list gives for a
  listed party (exact, on letters and digits; a BIC8 equals the same BIC with branch ``XXX``);
* ``country``: a sanctioned jurisdiction (see :mod:`.jurisdictions`) as a party's country,
  the country of a BIC or IBAN, or a place named in an address;
* ``text``: a listed party (through :func:`listguard.text.screen.screen_text`) or a sanctioned
  place named in a free-text field (MT 70/72/77B, ISO ``RmtInf``, instructions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from listguard.text.document import DocumentError, check_binary, max_text_bytes, read_bytes_limited
from listguard.text.messages.iso20022 import looks_like_xml, parse_iso20022
from listguard.text.messages.jurisdictions import Jurisdictions, load_jurisdictions
from listguard.text.messages.model import Message, MessageError, Party
from listguard.text.messages.swift import parse_mt

if TYPE_CHECKING:
    from listguard.matching.screener import Hit
    from listguard.text.screen import ScreenerLike

#: Hits per party name.
NAME_LIMIT = 5
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


@dataclass
class Alert:
    """One reason to stop a payment."""

    kind: str  # "name", "identifier", "country", "text"
    role: str  # the party's role, or the free-text field's label
    field: str  # "59", "50F", "Cdtr", "70", "Ustrd"...
    location: str  # "line 12", "CdtTrfTxInf/Cdtr"
    value: str  # what was screened / what hit
    detail: str
    hits: list["Hit"] = _field(default_factory=list)
    country: str | None = None
    start: int | None = None  # span in a free-text field
    end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "party": self.role,
            "field": self.field,
            "location": self.location,
            "value": self.value,
            "detail": self.detail,
        }
        if self.country:
            data["country"] = self.country
        if self.start is not None:
            data["start"] = self.start
            data["end"] = self.end
        data["hits"] = [h.to_dict() for h in self.hits]
        return data


@dataclass
class MessageResult:
    message: Message
    alerts: list[Alert]
    jurisdictions: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message.to_dict(),
            "hit": bool(self.alerts),
            "alerts": [a.to_dict() for a in self.alerts],
            "jurisdictions": self.jurisdictions,
        }


def parse_message(data: bytes, what: str = "message") -> Message:
    """Detect the format (MT or ISO 20022 XML) and parse; :class:`MessageError` if neither."""
    check_binary(data, what)
    if looks_like_xml(data):
        return parse_iso20022(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith(":"):
        return parse_mt(text)
    raise MessageError(
        f"{what}: neither a SWIFT MT message (starting '{{1:' or ':20:') nor ISO 20022 XML"
    )


def load_message(path: Path | None, max_bytes: int | None = None) -> Message:
    """Read and parse a message file (``-`` or None: standard input), with the size limit."""
    limit = max_bytes if max_bytes is not None else min(max_text_bytes(), 5 * 1024 * 1024)
    data = read_bytes_limited(path, limit)
    what = "standard input" if path is None or str(path) == "-" else str(path)
    if not data.strip():
        raise DocumentError(f"{what}: empty")
    try:
        return parse_message(data, what)
    except MessageError as exc:
        raise MessageError(f"{what}: {exc}") from None


def screen_message(
    message: Message,
    screener: "ScreenerLike",
    jurisdictions: Jurisdictions | None = None,
    threshold: float | None = None,
) -> MessageResult:
    """Every alert for ``message`` (see the module doc)."""
    from listguard.text.screen import screen_text

    try:
        from listguard.matching import Query
    except ImportError:  # pragma: no cover - older matcher layout
        from listguard.matching.query import Query  # type: ignore[no-redef]

    jur = jurisdictions or load_jurisdictions()
    ids = IdentifierLookup(screener.index)
    alerts: list[Alert] = []
    for party in message.parties:
        if party.name:
            schema = "Organization" if party.institution else None
            query = Query(names=[party.name], schema=schema, countries=[party.country] if party.country else [])
            hits = [h for h in screener.screen(query, limit=NAME_LIMIT, threshold=threshold) if h.match]
            if hits:
                alerts.append(Alert("name", party.role, party.field, party.location, party.name,
                                    f"{party.role} name matches {hits[0].caption!r} ({hits[0].score:.2f})", hits))
        for value, what in _party_identifiers(party):
            found = ids.lookup(value, bic=(what == "BIC"))
            if found:
                hits = [_identifier_hit(screener, pos, prop, listed, value) for pos, prop, listed in found]
                alerts.append(Alert("identifier", party.role, party.field, party.location, value,
                                    f"{what} {value} is listed as {hits[0].caption!r}'s {found[0][1]}", hits))
        for code, how in _party_countries(party):
            hit = jur.code_hit(code)
            if hit:
                alerts.append(Alert("country", party.role, party.field, party.location, code,
                                    f"{how} is a sanctioned jurisdiction ({hit})", country=hit))
        for line in party.address:
            for code, written, _s, _e in jur.find_in_text(line):
                if not any(a.kind == "country" and a.country == code and a.field == party.field for a in alerts):
                    alerts.append(Alert("country", party.role, party.field, party.location, written,
                                        f"address names {written!r}, in a sanctioned jurisdiction ({code})", country=code))
    for ft in message.free_text:
        for mention in screen_text(ft.text, screener, threshold, format="text"):
            alerts.append(Alert("text", ft.field if ft.field not in _LABELS else _LABELS[ft.field], ft.field,
                                ft.location, mention.text,
                                f"free text names {mention.hits[0].caption!r} ({mention.hits[0].score:.2f})",
                                mention.hits, start=mention.start, end=mention.end))
        for code, written, start, end in jur.find_in_text(ft.text):
            alerts.append(Alert("text", _LABELS.get(ft.field, ft.field), ft.field, ft.location, written,
                                f"free text names {written!r}, in a sanctioned jurisdiction ({code})",
                                country=code, start=start, end=end))
    return MessageResult(message, alerts, jur.source)


_LABELS = {
    "70": "remittance information",
    "72": "sender to receiver information",
    "77B": "regulatory reporting",
    "79": "narrative",
    "Ustrd": "remittance information",
    "AddtlRmtInf": "remittance information",
    "InstrInf": "instruction",
}


def _party_identifiers(party: Party) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if party.bic:
        out.append((party.bic, "BIC"))
    for ident in party.identifiers:
        out.append((ident, "identifier"))
    if party.account:
        out.append((party.account, "account"))
    return out


def _party_countries(party: Party) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if party.country:
        out.append((party.country, f"country {party.country.upper()}"))
    if party.bic and len(party.bic) >= 6:
        cc = party.bic[4:6].lower()
        if cc != (party.country or ""):
            out.append((cc, f"BIC {party.bic} (country {cc.upper()})"))
    if party.account:
        acct = party.account.replace(" ", "").upper()
        if _IBAN.match(acct):
            cc = acct[:2].lower()
            if all(cc != c for c, _ in out):
                out.append((cc, f"IBAN {party.account} (country {cc.upper()})"))
    return out


class IdentifierLookup:
    """Exact identifier lookup over the index's identifiers (normalised letters and digits).

    BICs only match listed BICs (``swiftBic``), and a BIC8 matches the same BIC with branch
    ``XXX`` (and the other way round): both name the head office.
    """

    def __init__(self, index: Any) -> None:
        self.index = index

    def lookup(self, value: str, bic: bool = False) -> list[tuple[int, str, str]]:
        from listguard.index import normalise_identifier

        norm = normalise_identifier(value)
        if len(norm) < 4:
            return []
        keys = [norm]
        if bic:
            if len(norm) == 8:
                keys.append(norm + "XXX")
            elif len(norm) == 11 and norm.endswith("XXX"):
                keys.append(norm[:8])
        out: list[tuple[int, str, str]] = []
        seen: set[int] = set()
        for key in keys:
            for ref in self.index.identifiers.get(key, ()):
                if bic and ref.prop != "swiftBic":
                    continue
                if ref.entity not in seen:
                    seen.add(ref.entity)
                    out.append((ref.entity, ref.prop, ref.value))
        return out


def _identifier_hit(screener: "ScreenerLike", pos: int, prop: str, listed: str, value: str) -> "Hit":
    """A hit object for an exact identifier match, in the matcher's shape."""
    from listguard.matching.screener import Hit

    from listguard.matching.explain import Explanation, FeatureEffect

    entity = screener.index.entities[pos]
    detail = f"exact {prop} match: {value} is listed as {listed}"
    explanation = Explanation(
        summary=f"Match (1.00) with {entity.schema} {entity.caption!r} on {entity.dataset}: {detail}.",
        name=None,
        features=[FeatureEffect("identifier", 1.0, detail)],
    )
    return Hit(
        entity_id=entity.id,
        score=1.0,
        match=True,
        caption=entity.caption,
        schema=entity.schema,
        matched_name=entity.caption,
        datasets=[entity.dataset],
        explanation=explanation,
    )
