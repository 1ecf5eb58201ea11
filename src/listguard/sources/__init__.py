"""Parsers for the official list formats, one module per format.

Each module exposes ``DATASET``, ``TITLE``, ``detect(path) -> bool`` and
``parse(path) -> ParseResult`` (see :mod:`listguard.sources.base`). :func:`detect` picks the
module for a path; ``listguard load`` uses it so a user never names the format.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from listguard.sources.base import ParseResult, SourceError, check_file


def modules() -> list[ModuleType]:
    """The parser modules in detection order (it matters only where formats could be
    confused; most detect by content). Imported on first use, not with this package."""
    from listguard.sources import csl, dfat, eu, ftm, ofac, uk, un

    return [
        ofac,  # us_ofac_sdn / us_ofac_cons legacy CSV sets
        un,  # un_sc_sanctions XML
        eu,  # eu_fsf XML
        uk,  # gb_fcdo_sanctions ODS / XML / CSV
        dfat,  # au_dfat_sanctions xlsx
        csl,  # us_trade_csl consolidated screening list CSV(.gz)
        ftm,  # FollowTheMoney JSON lines / delta files
    ]


def detect(path: Path) -> ModuleType:
    """Return the parser module for ``path`` or raise :class:`SourceError` naming the formats."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path, "file not found")
    if path.is_file():
        check_file(path)
    for module in modules():
        if module.detect(path):
            return module
    names = ", ".join(m.DATASET for m in modules())
    raise SourceError(
        path,
        f"not a list format listguard knows ({names}). Pass the official file as downloaded "
        "(for OFAC, the folder with sdn.csv/alt.csv/add.csv or sdn.csv itself)",
    )


def by_dataset(dataset: str) -> ModuleType:
    for module in modules():
        if module.DATASET == dataset or dataset in getattr(module, "DATASETS", ()):
            return module
    raise KeyError(dataset)


def parse(path: Path) -> ParseResult:
    """Detect the format of ``path`` and parse it."""
    return detect(Path(path)).parse(Path(path))


__all__ = ["ParseResult", "SourceError", "detect", "parse", "by_dataset", "modules"]
