"""The contract every list parser fulfils, and the checks every input file goes through.

A parser reads one official publication *completely* into memory and returns a
:class:`ParseResult`, or raises :class:`SourceError`. Nothing is written anywhere while parsing,
so a bad file can never leave the store half-loaded: the store only ever sees a finished result.
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
    _seen: set[str] | None = field(default=None, repr=False, compare=False)

    def warn(self, message: str, limit: int = 50) -> None:
        if len(self.warnings) < limit:
            self.warnings.append(message)

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def add_first(self, entity: Entity, where: str | None, id_label: str = "id") -> bool:
        """Append ``entity`` unless one with its id was added already: a publication that
        repeats an id keeps its first record, and the load counts and names the repeat."""
        seen = self._seen
        if seen is None or len(seen) != len(self.entities):
            seen = self._seen = {e.id for e in self.entities}
        if entity.id in seen:
            self.count("duplicate_ids")
            self.warn(f"duplicate {id_label} {entity.id}{f' at {where}' if where else ''}: kept the first")
            return False
        seen.add(entity.id)
        self.entities.append(entity)
        return True

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.name.encode())
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


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
