"""Measuring listguard's matcher against labelled data, side by side with peer matchers.

* :mod:`~listguard.evaluation.pairs` - labelled name pairs (precision, recall, F1 at the default
  threshold and at the best threshold), listguard vs nomenklatura ``logic-v2``/``logic-v1``/``ofac``;
* :mod:`~listguard.evaluation.screening` - queries against an index of the real lists: generated
  Latin-script variants of real entries, names in other scripts, and non-listed names;
* :mod:`~listguard.evaluation.metrics`, :mod:`~listguard.evaluation.variants`,
  :mod:`~listguard.evaluation.synthetic`, :mod:`~listguard.evaluation.datasets` - the parts;
* :mod:`~listguard.evaluation.report` - Rich tables and JSON.

Entry points: ``listguard eval`` and ``python bench/eval_matching.py``. Nothing here tunes
anything: it only measures, with fixed seeds so runs are reproducible.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

SETS = ("pairs", "screening", "populations", "all")


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    which: str = "all",
    peers: bool = True,
    shared: str | Path | None = None,
    log: Callable[[str], None] = stderr_log,
) -> list[dict[str, Any]]:
    """Run the chosen evaluation(s) and return their result dicts (see :mod:`.report`)."""
    from listguard.evaluation.datasets import shared_data_dir

    if which not in SETS:
        raise ValueError(f"--set must be one of {', '.join(SETS)}")
    data = shared_data_dir(shared)
    results: list[dict[str, Any]] = []
    if which in ("pairs", "all"):
        from listguard.evaluation.pairs import evaluate_pairs

        results.append(evaluate_pairs(data / "eval", peers=peers, log=log))
    if which in ("screening", "all"):
        from listguard.evaluation.screening import evaluate_screening

        results.append(evaluate_screening(data, log=log, peers=peers))
    elif which == "populations":
        from listguard.evaluation.screening import evaluate_screening

        results.append(evaluate_screening(data, log=log, peers=peers, sets=["populations"]))
    return results


__all__ = ["run", "SETS", "stderr_log"]
