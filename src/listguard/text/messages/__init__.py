"""Payment messages: SWIFT MT103/MT202 and ISO 20022 pacs.008/pain.001, parsed into parties
and free-text fields (:mod:`.model`), and screened (:mod:`.screen`)."""

from listguard.text.messages.model import FreeText, Message, MessageError, Party
from listguard.text.messages.iso20022 import parse_iso20022
from listguard.text.messages.swift import parse_mt

__all__ = ["FreeText", "Message", "MessageError", "Party", "parse_iso20022", "parse_mt"]
