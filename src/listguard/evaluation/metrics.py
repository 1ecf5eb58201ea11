"""Metrics for name-pair classification and for screening.

Everything here is plain Python over lists of numbers, so it is easy to test by hand:

* :func:`prf` counts a confusion matrix for ``score >= threshold`` and derives precision,
  recall and F1 (an empty denominator gives 0.0, never a division error);
* :func:`best_threshold` sweeps every distinct score as a threshold and returns the one with the
  highest F1 (an *oracle* figure: the threshold is chosen on the data it is measured on);
* :class:`ScreeningTally` accumulates per-query screening outcomes into recall@match,
  recall@k, false alerts per query and the share of queries with any (false) match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence


@dataclass(frozen=True)
class PRF:
    """Confusion counts and derived figures for one threshold."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else 0.0

    @property
    def recall(self) -> float:
        d = self.tp + self.fn
        return self.tp / d if d else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if (p + r) else 0.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "threshold": round(self.threshold, 6),
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def prf(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> PRF:
    """Precision/recall/F1 of predicting a match when ``score >= threshold``."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    tp = fp = fn = tn = 0
    for score, label in zip(scores, labels):
        predicted = score >= threshold
        if predicted and label:
            tp += 1
        elif predicted:
            fp += 1
        elif label:
            fn += 1
        else:
            tn += 1
    return PRF(threshold, tp, fp, fn, tn)


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> PRF:
    """The threshold (one of the observed scores) that maximises F1.

    Ties go to the lowest such threshold. With no positive label at all, F1 is 0 everywhere
    and the result is the highest threshold (predict as few matches as possible).
    Runs in O(n log n): one sort, one sweep from the highest score down.
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    if not scores:
        return PRF(1.0, 0, 0, 0, 0)
    pos = sum(1 for label in labels if label)
    neg = len(labels) - pos
    pairs = sorted(zip(scores, labels), key=lambda p: -p[0])
    best: PRF | None = None
    tp = fp = 0
    i = 0
    while i < len(pairs):
        t = pairs[i][0]
        # take every item with this exact score (threshold is inclusive)
        while i < len(pairs) and pairs[i][0] == t:
            if pairs[i][1]:
                tp += 1
            else:
                fp += 1
            i += 1
        cur = PRF(t, tp, fp, pos - tp, neg - fp)
        if best is None or cur.f1 >= best.f1:
            best = cur
    assert best is not None
    if pos == 0:
        top = pairs[0][0]
        return prf(scores, labels, top)
    return best


@dataclass
class ScreeningTally:
    """Outcomes of screening queries whose correct answer is known.

    For each query: was a correct entity among the hits flagged ``match`` (recall@match), was it
    among the first ``k`` hits whatever the score (recall@k), and how many hits flagged
    ``match`` were on entities that are *not* correct (false alerts). For sets of names that are
    on no list, ``expected`` is empty: every match is a false alert.
    """

    k: int = 5
    n: int = 0
    positives: int = 0
    found_match: int = 0
    found_at_k: int = 0
    false_alerts: int = 0
    namesake_alerts: int = 0
    queries_with_false_alert: int = 0
    queries_with_any_match: int = 0
    misses: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    keep_examples: int = 25

    def add(
        self,
        expected: Iterable[str],
        hits: Sequence[tuple[str, float, bool]],
        query: str = "",
        detail: dict | None = None,
        namesakes: Iterable[str] = (),
    ) -> None:
        """Record one query. ``hits`` are ``(entity_id, score, match)`` in rank order.

        ``namesakes`` are entries that are not the expected answer but whose listed name
        contains the source's name (or is contained in it): alerting on them is what a
        name-only screen must do, so they are counted apart, not as false alerts."""
        expected = set(expected)
        namesakes = set(namesakes) - expected
        self.n += 1
        matched = [h for h in hits if h[2]]
        if matched:
            self.queries_with_any_match += 1
        self.namesake_alerts += sum(1 for h in matched if h[0] in namesakes)
        wrong = [h for h in matched if h[0] not in expected and h[0] not in namesakes]
        self.false_alerts += len(wrong)
        if wrong:
            self.queries_with_false_alert += 1
            if len(self.alerts) < self.keep_examples:
                self.alerts.append(
                    {"query": query, "hits": [(h[0], round(h[1], 3)) for h in wrong[:3]], **(detail or {})}
                )
        if not expected:
            return
        self.positives += 1
        hit_match = any(h[0] in expected for h in matched)
        hit_k = any(h[0] in expected for h in hits[: self.k])
        self.found_match += hit_match
        self.found_at_k += hit_k
        if not hit_match and len(self.misses) < self.keep_examples:
            self.misses.append(
                {
                    "query": query,
                    "expected": sorted(expected)[:3],
                    "top": [(h[0], round(h[1], 3), h[2]) for h in hits[:3]],
                    **(detail or {}),
                }
            )

    def merge(self, other: "ScreeningTally") -> None:
        for name in (
            "n",
            "positives",
            "found_match",
            "found_at_k",
            "false_alerts",
            "namesake_alerts",
            "queries_with_false_alert",
            "queries_with_any_match",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses.extend(other.misses[: max(0, self.keep_examples - len(self.misses))])
        self.alerts.extend(other.alerts[: max(0, self.keep_examples - len(self.alerts))])

    @property
    def recall_match(self) -> float | None:
        return self.found_match / self.positives if self.positives else None

    @property
    def recall_at_k(self) -> float | None:
        return self.found_at_k / self.positives if self.positives else None

    @property
    def false_alerts_per_query(self) -> float:
        return self.false_alerts / self.n if self.n else 0.0

    @property
    def false_alert_query_rate(self) -> float:
        """Share of queries with at least one match on a wrong entity."""
        return self.queries_with_false_alert / self.n if self.n else 0.0

    def to_dict(self, examples: bool = True) -> dict:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        data: dict = {
            "n": self.n,
            "positives": self.positives,
            "recall_match": r(self.recall_match),
            f"recall_at_{self.k}": r(self.recall_at_k),
            "false_alerts": self.false_alerts,
            "false_alerts_per_query": r(self.false_alerts_per_query),
            "namesake_alerts": self.namesake_alerts,
            "queries_with_false_alert": self.queries_with_false_alert,
            "false_alert_query_rate": r(self.false_alert_query_rate),
        }
        if examples:
            data["misses"] = self.misses
            data["false_alert_examples"] = self.alerts
        return data
