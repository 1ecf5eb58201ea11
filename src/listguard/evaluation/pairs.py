"""Pair evaluation: does ``match`` (score >= default threshold) agree with the label?

Every system scores the same pairs in the same run: listguard's
:func:`listguard.matching.compare_names` and nomenklatura's ``logic-v2``, ``logic-v1`` and
``ofac`` algorithms (see :mod:`listguard.evaluation.peers`). ``name1`` is the query, ``name2``
the listed name, and each pair is compared under its labelled schema.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from listguard.evaluation import metrics
from listguard.evaluation.datasets import NamePair, read_name_pairs
from listguard.evaluation.peers import PEER_ALGORITHMS, PEER_THRESHOLD, peer_runner
from listguard.evaluation.systems import PAIRS_API, MatcherUnavailable, matching

OURS = "listguard"
PAIRS_FILE = "name_pairs_dev.csv"


def _group_keys(pair: NamePair, part: str) -> list[tuple[str, str]]:
    keys = [
        ("overall", "all"),
        ("schema", pair.schema),
        ("category", pair.category or "(none)"),
        ("case_group", pair.case_group or "(none)"),
    ]
    # the same groups within each half (tuning / held-out, see listguard.evaluation.split)
    return keys + [(kind, f"{value}@{part}") for kind, value in keys if kind in ("overall", "schema")]


def evaluate_pairs(
    eval_dir: Path,
    peers: bool = True,
    log: Callable[[str], None] = lambda m: None,
) -> dict[str, Any]:
    path = eval_dir / PAIRS_FILE
    pairs = read_name_pairs(path)
    labels = [p.is_match for p in pairs]
    systems: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[float]] = {}

    # -- listguard --------------------------------------------------------------------------
    try:
        m = matching(PAIRS_API)
        threshold = float(m.DEFAULT_THRESHOLD)
        t0 = time.perf_counter()
        ours = [float(m.compare_names(p.schema, p.name1, p.name2)) for p in pairs]
        dt = time.perf_counter() - t0
        scores[OURS] = ours
        systems[OURS] = {"available": True, "threshold": threshold, "seconds": round(dt, 3)}
        log(f"[pairs] {OURS}: {len(pairs)} pairs in {dt:.2f}s, threshold {threshold}")
    except MatcherUnavailable as exc:
        systems[OURS] = {"available": False, "note": str(exc)}
        log(f"[pairs] *** {OURS} NOT MEASURED: {exc}")

    # -- peers ------------------------------------------------------------------------------
    if peers:
        runner, note = peer_runner()
        if runner is None:
            log(f"[pairs] *** PEERS NOT MEASURED: {note}")
            for alg in PEER_ALGORITHMS:
                systems[alg] = {"available": False, "note": note}
        else:
            reply = runner.score_names(PEER_ALGORITHMS, [(p.schema, p.name1, p.name2) for p in pairs])
            for alg in PEER_ALGORITHMS:
                scores[alg] = reply["scores"][alg]
                systems[alg] = {
                    "available": True,
                    "threshold": PEER_THRESHOLD,
                    "seconds": round(reply["seconds"][alg], 3),
                    "runner": runner.describe(),
                }
                log(f"[pairs] {alg}: {len(pairs)} pairs in {reply['seconds'][alg]:.2f}s ({runner.describe()})")

    # -- groups -----------------------------------------------------------------------------
    from listguard.evaluation.split import assign

    parts = [part for _p, part in assign(
        "pairs", pairs, key=lambda p: f"{p.schema}|{p.name1}|{p.name2}", stratum=lambda p: (p.case_group, p.category)
    )]
    members: dict[tuple[str, str], list[int]] = {}
    for i, pair in enumerate(pairs):
        for key in _group_keys(pair, parts[i]):
            members.setdefault(key, []).append(i)
    order = {"overall": 0, "schema": 1, "category": 2, "case_group": 3}
    groups = []
    for (kind, value), idx in sorted(members.items(), key=lambda kv: (order[kv[0][0]], -len(kv[1]), kv[0][1])):
        group: dict[str, Any] = {
            "kind": kind,
            "group": value,
            "n": len(idx),
            "positives": sum(labels[i] for i in idx),
            "results": {},
        }
        for system, sc in scores.items():
            s = [sc[i] for i in idx]
            y = [labels[i] for i in idx]
            group["results"][system] = {
                "default": metrics.prf(s, y, systems[system]["threshold"]).to_dict(),
                "best": metrics.best_threshold(s, y).to_dict(),
            }
        groups.append(group)

    errors: dict[str, list[dict[str, Any]]] = {}
    for system, sc in scores.items():
        thr = systems[system]["threshold"]
        errs = []
        for p, score, part in zip(pairs, sc, parts):
            if (score >= thr) != p.is_match:
                errs.append(
                    {
                        "schema": p.schema,
                        "name1": p.name1,
                        "name2": p.name2,
                        "is_match": p.is_match,
                        "score": round(score, 4),
                        "category": p.category,
                        "part": part,
                    }
                )
        errors[system] = errs

    return {
        "set": "pairs",
        "file": str(path),
        "n": len(pairs),
        "positives": sum(labels),
        "systems": systems,
        "groups": groups,
        "errors": errors,
    }
