"""Screening: find listed parties behind a name, score them, explain every hit.

The Python API::

    from listguard.index import Index
    from listguard.matching import Query, Screener

    index = Index.build(entities)            # once; picklable, immutable
    screener = Screener(index)
    hits = screener.screen(Query.from_name("Chong Song-hwa", schema="Person",
                                           birth_dates=["1970"], countries=["kp"]))
    for hit in hits:
        print(hit.score, hit.match, hit.caption, hit.explanation.summary)

    compare_names("Person", "Chong Song-hwa", "JONG, Song Hwa")   # a pair score in [0, 1]

A hit's ``score`` is in ``[0, 1]``; ``match`` is ``score >= threshold``, the threshold being
:data:`DEFAULT_THRESHOLD` unless the Screener or the call says otherwise.
"""

#: The product's default match threshold: a score at or above it is reported as a match.
DEFAULT_THRESHOLD: float = 0.8

from listguard.matching.compare import compare_names, compare_names_explained  # noqa: E402
from listguard.matching.explain import (  # noqa: E402
    AlignedPart,
    Explanation,
    FeatureEffect,
    NameExplanation,
)
from listguard.matching.query import Query  # noqa: E402
from listguard.matching.screener import Hit, Screener  # noqa: E402

__all__ = [
    "DEFAULT_THRESHOLD",
    "AlignedPart",
    "Explanation",
    "FeatureEffect",
    "Hit",
    "NameExplanation",
    "Query",
    "Screener",
    "compare_names",
    "compare_names_explained",
]
