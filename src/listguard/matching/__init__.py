"""Screening: find listed parties behind a name, score them, explain every hit."""

from listguard.matching.compare import compare_names, compare_names_explained

#: The product's default match threshold.
DEFAULT_THRESHOLD: float = 0.8

__all__ = ["DEFAULT_THRESHOLD", "compare_names", "compare_names_explained"]
