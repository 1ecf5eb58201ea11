"""What a payment message says, independent of its format.

Both SWIFT MT and ISO 20022 messages are reduced to *parties* (who pays, who is paid, which
banks carry the money) and *free-text fields* (remittance information, instructions). Screening
then works on that one shape, and every alert can point back to the field it came from
(``59`` / ``CdtTrfTxInf[1]/Cdtr``) and, for MT, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any


class MessageError(ValueError):
    """A message that cannot be read; the text says where (block, line, element) and why."""


@dataclass
class Party:
    """One party of a payment: a customer or a financial institution.

    ``role`` is human-readable ("ordering customer", "beneficiary institution"...), ``field``
    the message's own name for where it was (``50K``, ``59F``, ``Dbtr``, ``IntrmyAgt1``),
    ``location`` the line (MT) or element path (XML) to find it.
    """

    role: str
    field: str
    location: str
    name: str | None = None
    address: list[str] = _field(default_factory=list)
    country: str | None = None
    bic: str | None = None
    account: str | None = None
    identifiers: list[str] = _field(default_factory=list)
    institution: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "field": self.field, "location": self.location}
        for key in ("name", "country", "bic", "account"):
            value = getattr(self, key)
            if value:
                data[key] = value
        if self.address:
            data["address"] = list(self.address)
        if self.identifiers:
            data["identifiers"] = list(self.identifiers)
        return data


@dataclass
class FreeText:
    """A free-text field (MT 70/72/77B, ISO RmtInf/Ustrd, instructions)."""

    field: str
    location: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "location": self.location, "text": self.text}


@dataclass
class Message:
    """A parsed payment message."""

    format: str  # "MT103", "MT202", "MT202COV", "pacs.008", "pain.001"...
    reference: str | None = None
    parties: list[Party] = _field(default_factory=list)
    free_text: list[FreeText] = _field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "reference": self.reference,
            "parties": [p.to_dict() for p in self.parties],
            "free_text": [f.to_dict() for f in self.free_text],
        }
