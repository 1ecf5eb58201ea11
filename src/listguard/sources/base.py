"""The contract every list parser fulfils, and the checks every input file goes through.

A parser reads one official publication *completely* into memory and returns a
:class:`ParseResult`, or raises :class:`SourceError`. Nothing is written anywhere while parsing,
so a bad file can never leave the store half-loaded: the store only ever sees a finished result.

**One policy for a repeated id**, in every parser: a publication that lists the same id twice
(UN REFERENCE_NUMBER, OFAC ent_num, EU logicalId, UK Unique ID, CSL _id, FtM id) loads, with the
repeats *merged* into one entity (:meth:`ParseResult.merge_into`): every name, identifier and
detail of every copy is kept, so no listed name stops being screened, and each copy's source
record stays in the entity's ``record["duplicates"]``. The load counts ``duplicate_ids``, warns
with each repeat's place, and ``listguard load`` / ``update`` print that warning (not only
``--json``). Refusing the whole list instead would leave screening on an outdated version for a
publisher's slip that the user cannot fix; keeping only the first copy would silently drop names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from listguard.model import Entity

#: Default refusal size for one list file. The largest official list (OFAC SDN_ADVANCED.xml)
#: is ~120 MB; anything over this is a mistake or an attack, not a sanctions list.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


class SourceError(Exception):
    """A list file that cannot be loaded. The message names the file, the place and the fix."""

    def __init__(self, path: Path | str, message: str, where: str | None = None) -> None:
        self.path = str(path)
        self.where = where
        self.reason = message
        location = f" ({where})" if where else ""
        super().__init__(f"{self.path}{location}: {message}")


@dataclass
class ParseResult:
    """Everything a load needs: the entities and the facts about the publication."""

    dataset: str
    entities: list[Entity]
    #: ISO 8601 date or datetime the publication states for itself, if it does.
    published_at: str | None = None
    #: Files that were read (the checksum of a version covers all of them).
    files: list[Path] = field(default_factory=list)
    #: Counted anomalies that are not fatal, e.g. {"orphan_aliases": 1724}.
    stats: dict[str, int] = field(default_factory=dict)
    #: Human-readable warnings (orphans, skipped rows...), a bounded sample.
    warnings: list[str] = field(default_factory=list)
    #: A patch (an OpenSanctions ``.delta.json``), not a whole list: the store applies it on
    #: top of the current version instead of replacing it. ``entities`` are upserts.
    partial: bool = False
    #: With ``partial``: ids the patch deletes.
    deleted: list[str] = field(default_factory=list)
    _by_id: dict[str, Entity] | None = field(default=None, repr=False, compare=False)

    def warn(self, message: str, limit: int = 50) -> None:
        if len(self.warnings) < limit:
            self.warnings.append(message)

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def add_entity(self, entity: Entity, where: str | None, id_label: str = "id") -> bool:
        """Append ``entity``, or merge it into the entity already added under its id (see the
        module docstring). Returns False when it was merged."""
        by_id = self._by_id
        if by_id is None or len(by_id) != len(self.entities):
            by_id = self._by_id = {e.id: e for e in self.entities}
        first = by_id.get(entity.id)
        if first is not None:
            self.merge_into(first, entity, where, id_label)
            return False
        by_id[entity.id] = entity
        self.entities.append(entity)
        return True

    def merge_into(self, first: Entity, again: Entity, where: str | None, id_label: str = "id") -> None:
        """Merge a repeat of ``first``'s id into it: the repeat's names and details are added,
        its source record is kept in ``record["duplicates"]``, and the load warns."""
        from listguard.model import NAME_PROPS

        place = f" at {where}" if where else ""
        self.count("duplicate_ids")
        if again.schema == first.schema:
            for prop, values in again.properties.items():
                first.add(prop, values)
            for ident in again.identifiers:
                if ident not in first.identifiers:
                    first.identifiers.append(ident)
            for wallet in again.wallets:
                if wallet not in first.wallets:
                    first.wallets.append(wallet)
            note = "merged into one entry (every name and detail kept)"
        else:
            # Another type (a Person and an Organization under one id): the names apply to any
            # party; the rest of the repeat stays in the record, not on a schema it does not fit.
            for prop in NAME_PROPS:
                first.add(prop, again.get(prop))
            self.count("duplicate_ids_other_type")
            note = (f"merged its names into the {first.schema} (it says {again.schema}; its "
                    "other details are in the record)")
        for link in again.links:
            if link not in first.links:
                first.links.append(link)
        if again.record and again.record != first.record:
            first.record.setdefault("duplicates", []).append(again.record)
        self.warn(f"duplicate {id_label} {again.id}{place}: listed twice; {note}")

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.name.encode())
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


def duplicate_note(dataset: str, stats: dict[str, int], warnings: list[str]) -> str | None:
    """The line ``listguard load`` / ``update`` print when a list repeated ids (merged, see the
    module docstring), or None."""
    count = sum(n for k, n in stats.items() if k in ("duplicate_ids", "duplicate_rows"))
    if not count:
        return None
    first = next((w for w in warnings if w.startswith("duplicate ") or " listed again" in w), None)
    return (f"{dataset}: the file lists {count:,} id(s) more than once; each repeat was merged into "
            f"one entry, every name kept" + (f" (e.g. {first})" if first else "")
            + ". Tell the publisher if this persists")


class Source(Protocol):
    """A parser module for one official format (see :mod:`listguard.sources`)."""

    #: The dataset name entities get (``us_ofac_sdn``...). For FtM files it comes from the file.
    DATASET: str
    TITLE: str

    def detect(self, path: Path) -> bool:  # pragma: no cover - protocol
        """Cheaply tell whether ``path`` is this format (by name and a peek at the content)."""
        ...

    def parse(self, path: Path) -> ParseResult:  # pragma: no cover - protocol
        """Read the whole publication or raise :class:`SourceError`."""
        ...


def check_file(path: Path, max_bytes: int | None = None) -> Path:
    """Refuse missing, empty and oversized files before any parser opens them.

    The default limit comes from ``$LISTGUARD_MAX_FILE_MB`` (see :mod:`listguard.settings`).
    """
    if max_bytes is None:
        from listguard.settings import max_file_bytes

        max_bytes = max_file_bytes()
    if not path.exists():
        raise SourceError(path, "file not found")
    if path.is_dir():
        raise SourceError(path, "is a folder; pass the list file (or the OFAC CSV folder)")
    size = path.stat().st_size
    if size == 0:
        raise SourceError(path, "file is empty; download it again")
    if size > max_bytes:
        raise SourceError(
            path,
            f"file is {size / 1e6:,.0f} MB, over the {max_bytes / 1e6:,.0f} MB limit for one list "
            "(set LISTGUARD_MAX_FILE_MB to raise it if this really is a list)",
        )
    return path


def peek(path: Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of a file, for format detection."""
    with open(path, "rb") as fh:
        return fh.read(n)
