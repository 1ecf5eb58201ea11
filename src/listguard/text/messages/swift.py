"""SWIFT MT103 / MT202 (and their COV / STP variants): blocks, fields, parties.

An MT message is ``{1:...}{2:...}{3:{...}}{4:<CRLF>:tag:value...<CRLF>-}{5:{...}}``. Block 4
holds the fields, one ``:TAG:`` per line start, a value running over following lines until the
next tag. Option letters say how a party is written:

* ``A``: an optional ``/account`` line (``/D``/``/C`` mark for 52A etc.), then a BIC;
* ``B``: an optional account line, then a location (57B);
* ``C``: an account / clearing code only;
* ``D`` / ``K`` / no letter (``59``): an optional account line, then name and address
  (up to 4 x 35 characters, the name first);
* ``F`` (50F, 59F): a party identifier line, then numbered lines: ``1/`` name, ``2/`` address,
  ``3/`` country and town (``3/KP/PYONGYANG``), ``4/`` birth date, ``5/`` place of birth,
  ``6/`` customer number, ``7/`` national identity number, ``8/`` more of the above.

The header blocks give the sender (block 1) and receiver (block 2) BICs; they are parties
too (a sanctioned bank can be the one sending).

Errors say which block or line is wrong: an MT message that does not parse must be *refused*,
never screened half-read (a name in an unread field is a name never screened).
"""

from __future__ import annotations

import re

from listguard.text.messages.model import FreeText, Message, MessageError, Party

_BLOCK_START = re.compile(r"\{([1-5A-Za-z]{1,3}):")
_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")

#: party fields: tag (without option) -> (role, is an institution)
PARTY_FIELDS: dict[str, tuple[str, bool]] = {
    "50": ("ordering customer", False),
    "51": ("sending institution", True),
    "52": ("ordering institution", True),
    "53": ("sender's correspondent", True),
    "54": ("receiver's correspondent", True),
    "55": ("third reimbursement institution", True),
    "56": ("intermediary institution", True),
    "57": ("account with institution", True),
    "58": ("beneficiary institution", True),
    "59": ("beneficiary customer", False),
}
#: free-text fields: tag -> label
TEXT_FIELDS: dict[str, str] = {
    "70": "remittance information",
    "72": "sender to receiver information",
    "77B": "regulatory reporting",
    "77T": "envelope contents",
    "79": "narrative",
}


def parse_mt(text: str) -> Message:
    """Parse one MT message (``text`` as received; CRLF or LF line ends)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if text.lstrip().startswith(":"):
        blocks = {"4": (text, 1)}  # the text block alone, as often pasted
    else:
        blocks = _split_blocks(text)
    if "4" not in blocks:
        raise MessageError("block 4 (the text block with the fields) is missing: not an MT message?")
    body, body_line = blocks["4"]
    msg_type = _message_type(blocks)
    message = Message(format=f"MT{msg_type}" if msg_type else "MT")
    for tag, option, value, line in _fields(body, body_line):
        base = tag
        if base == "20":
            message.reference = value.strip() or None
            continue
        if base in PARTY_FIELDS:
            role, institution = PARTY_FIELDS[base]
            # MT202 COV: 50a/59a are the underlying customer transfer (sequence B)
            message.parties.append(_party(base, option, value, line, role, institution))
            continue
        full = base + option
        if full in TEXT_FIELDS or base in TEXT_FIELDS:
            message.free_text.append(FreeText(full, f"line {line}", " ".join(value.split("\n"))))
    for number, role in (("1", "sender"), ("2", "receiver")):
        if number in blocks:
            bic = _header_bic(number, blocks[number][0])
            if bic:
                message.parties.insert(
                    0 if number == "1" else 1,
                    Party(role, f"block {number}", f"line {blocks[number][1]}", bic=bic, institution=True),
                )
    if "3" in blocks and "{119:COV}" in blocks["3"][0].replace(" ", ""):
        message.format += "COV"
    return message


def _split_blocks(text: str) -> dict[str, tuple[str, int]]:
    """Blocks by number -> (content, line the block starts on). Nested braces in 3 and 5."""
    blocks: dict[str, tuple[str, int]] = {}
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\n":
            pos += 1
        if pos >= n:
            break
        m = _BLOCK_START.match(text, pos)
        if m is None:
            line = text.count("\n", 0, pos) + 1
            snippet = text[pos : pos + 20].split("\n")[0]
            raise MessageError(f"line {line}: expected a block like '{{1:' but found {snippet!r}")
        number = m.group(1)
        start_line = text.count("\n", 0, pos) + 1
        content_start = m.end()
        if number == "4":
            end = text.find("\n-}", content_start)
            if end < 0:
                if text.find("-}", content_start) >= 0:
                    end = text.find("-}", content_start)
                else:
                    raise MessageError(
                        f"block 4 (starting line {start_line}) is not terminated by '-}}': the "
                        "message is truncated"
                    )
            content = text[content_start:end]
            pos = text.index("}", end) + 1
        else:
            depth = 1
            i = content_start
            while i < n and depth:
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    depth -= 1
                i += 1
            if depth:
                raise MessageError(f"block {number} (starting line {start_line}) is not closed by '}}'")
            content = text[content_start : i - 1]
            pos = i
        if number in blocks:
            raise MessageError(f"block {number} appears twice (line {start_line}): one message per file")
        blocks[number] = (content, start_line)
    return blocks


def _message_type(blocks: dict[str, tuple[str, int]]) -> str | None:
    if "2" not in blocks:
        return None
    content = blocks["2"][0].strip()
    m = re.match(r"^[IO](\d{3})", content)
    if m is None:
        raise MessageError(f"block 2 (line {blocks['2'][1]}): expected 'I' or 'O' and a 3-digit message type, found {content[:12]!r}")
    return m.group(1)


def _header_bic(number: str, content: str) -> str | None:
    """Block 1: ``F01`` + 12-char LT address; block 2: ``I103`` + 12-char address (input) or
    ``O103`` + time + MIR (output, the sender's LT address inside the MIR)."""
    content = content.strip()
    address = ""
    if number == "1" and len(content) >= 15:
        address = content[3:15]
    elif number == "2" and content[:1] == "I" and len(content) >= 16:
        address = content[4:16]
    elif number == "2" and content[:1] == "O" and len(content) >= 30:
        address = content[14:26]
    if len(address) == 12:
        bic = address[:8] + address[9:12]  # drop the logical terminal letter
        if bic.endswith("XXX"):
            bic = bic[:8]
        return bic if _BIC.match(bic) else None
    return None


def _fields(body: str, body_line: int) -> list[tuple[str, str, str, int]]:
    """``(tag number, option letter, value, line)`` for every field of block 4."""
    out: list[tuple[str, str, list[str], int]] = []
    for offset, raw in enumerate(body.split("\n")):
        line_no = body_line + offset
        m = _TAG.match(raw)
        if m:
            tag = m.group(1)
            out.append((tag[:2], tag[2:], [m.group(2)], line_no))
        elif out:
            out[-1][2].append(raw)
        elif raw.strip():
            raise MessageError(
                f"block 4, line {line_no}: expected a field tag like ':20:' but found {raw[:20]!r}"
            )
    if not out:
        raise MessageError(f"block 4 (line {body_line}) has no fields")
    return [(number, option, "\n".join(lines), line) for number, option, lines, line in out]


def _party(number: str, option: str, value: str, line: int, role: str, institution: bool) -> Party:
    field_name = number + option
    party = Party(role, field_name, f"line {line}", institution=institution)
    lines = [l.strip() for l in value.split("\n")]
    lines = [l for l in lines if l]
    if not lines:
        raise MessageError(f"block 4, line {line}: field :{field_name}: is empty")
    # account line: "/12345", "/D/12345", "//CHFW12345"
    if lines[0].startswith("/") and (option != "F" or lines[0].count("/") <= 2):
        acct = lines[0].lstrip("/")
        if len(acct) > 2 and acct[1:2] == "/" and acct[0] in "DC":
            acct = acct[2:]
        party.account = acct or None
        lines = lines[1:]
    if option == "F":
        _option_f(party, lines, line)
    elif option == "A":
        if not lines:
            raise MessageError(f"block 4, line {line}: field :{field_name}: has no BIC")
        bic = lines[0].replace(" ", "").upper()
        if not _BIC.match(bic):
            raise MessageError(f"block 4, line {line}: field :{field_name}: {lines[0]!r} is not a BIC")
        party.bic = bic
    elif option == "C":
        pass  # account / clearing code only
    elif option == "B":
        party.address = lines
    else:  # D, K, no letter: name and address
        if lines:
            party.name = lines[0]
            party.address = lines[1:]
            # a legal form wrapped onto the next line belongs to the name ("... TECHNOLOGY\nCO LTD")
            if party.address and _is_legal_form(party.address[0]):
                party.name = f"{party.name} {party.address.pop(0)}"
    party.country = party.country or _country_from_address(party.address)
    return party


def _option_f(party: Party, lines: list[str], line: int) -> None:
    """50F / 59F: numbered lines. The first line may be an identifier (``CUST/KP/ABC/123``)."""
    names: list[str] = []
    for raw in lines:
        m = re.match(r"^([1-8])/(.*)$", raw)
        if m is None:
            # 50F party identifier: "CODE/CC/identifier" or an account
            parts = raw.split("/")
            if len(parts) >= 3 and len(parts[1]) == 2 and parts[1].isalpha():
                party.identifiers.append(parts[-1])
                party.country = party.country or None
            elif raw and not party.account:
                party.account = raw.lstrip("/")
            continue
        number, value = m.group(1), m.group(2).strip()
        if number == "1":
            names.append(value)
        elif number == "2":
            party.address.append(value)
        elif number == "3":
            cc, _, town = value.partition("/")
            if len(cc) == 2 and cc.isalpha():
                party.country = cc.lower()
            party.address.append(value.replace("/", " "))
        elif number in ("6", "7"):
            # "7/KP/927220230": national identity number with its country
            party.identifiers.append(value.split("/")[-1])
    if names:
        party.name = " ".join(names)


def _is_legal_form(line: str) -> bool:
    from listguard.text.lexicon import LEGAL_WORDS

    words = [w for w in re.split(r"[\s.,]+", line.lower()) if w]
    return bool(words) and all(w in LEGAL_WORDS for w in words)


def _country_from_address(lines: list[str]) -> str | None:
    """A trailing 2-letter country code on the last address line ("PYONGYANG KP")."""
    if not lines:
        return None
    last = lines[-1].replace(",", " ").split()
    if last and len(last[-1]) == 2 and last[-1].isalpha() and last[-1].isupper():
        from rigour.territories import get_territory

        if get_territory(last[-1].lower()) is not None:
            return last[-1].lower()
    return None


def looks_like_mt(text: str) -> bool:
    head = text.lstrip("\ufeff \r\n\t")[:64]
    return head.startswith("{1:") or head.startswith("{2:") or head.startswith("{4:") or head.startswith(":20:")
