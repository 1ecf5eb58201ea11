"""Access to the system under test (listguard's matcher), with a loud failure if it is missing.

The matcher lives in :mod:`listguard.matching` / :mod:`listguard.index`. The evaluation imports
it lazily so the metric code and the peers still run (and say so) while it is being built.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


class MatcherUnavailable(RuntimeError):
    pass


PAIRS_API = ("DEFAULT_THRESHOLD", "compare_names")
SCREENING_API = ("DEFAULT_THRESHOLD", "Query", "Screener")


def matching(required: tuple[str, ...] = PAIRS_API + SCREENING_API) -> ModuleType:
    try:
        import listguard.matching as m
    except Exception as exc:
        raise MatcherUnavailable(
            f"listguard.matching is not importable ({type(exc).__name__}: {exc})"
        ) from exc
    for name in required:
        if not hasattr(m, name):
            raise MatcherUnavailable(f"listguard.matching has no {name}")
    return m


def index_cls() -> Any:
    try:
        from listguard.index import Index
    except Exception as exc:
        raise MatcherUnavailable(
            f"listguard.index.Index is not importable ({type(exc).__name__}: {exc})"
        ) from exc
    return Index


def default_threshold() -> float:
    return float(matching().DEFAULT_THRESHOLD)
