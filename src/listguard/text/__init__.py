"""Screening free text and payment messages.

* :func:`screen_text` finds the listed parties named in a news article, a report, a chat or an
  invoice (plain text, HTML or Markdown), with the character span of every mention
  (:mod:`listguard.text.screen`, :mod:`listguard.text.extract`);
* :mod:`listguard.text.messages` reads SWIFT MT103/MT202 and ISO 20022 pacs.008/pain.001 and
  screens every party, identifier, country and free-text field of a payment.

Imports are lazy so that ``import listguard.text`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listguard.text.screen import Mention, screen_document, screen_text, screen_text_payload

__all__ = ["Mention", "screen_text", "screen_document", "screen_text_payload"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from listguard.text import screen

        return getattr(screen, name)
    raise AttributeError(name)
