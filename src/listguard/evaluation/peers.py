"""Peer matchers from nomenklatura (OpenSanctions), scored on the same inputs as listguard.

This module imports nothing from listguard, so it also runs as a script under a separate
interpreter (``bench/.venv-peers``, created by ``bench/setup_peers.sh``) when nomenklatura cannot
be installed beside listguard::

    bench/.venv-peers/bin/python src/listguard/evaluation/peers.py < request.json > reply.json

Request: ``{"op": "score"|"time", "algorithms": [...], "pairs": [[left, right], ...]}`` where
``left``/``right`` are ``{"schema": "Person", "properties": {"name": [...], ...}}``. Reply:
``{"scores": {alg: [...]}, "seconds": {alg: s}, "versions": {...}}``.

:func:`peer_runner` picks in-process nomenklatura if importable, else the separate venv, else
returns ``None`` with the reason: callers print that reason loudly and report no peer numbers.
Nothing here ever invents a score.

Peers compare two FollowTheMoney entities built with ``model.make_entity`` (the query and the
candidate), using each algorithm's ``default_config()``. Their *match* threshold is yente's
default score threshold, 0.70, for all three (nomenklatura itself has no per-algorithm
threshold; yente, OpenSanctions' API, applies 0.70 whatever the algorithm).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

#: nomenklatura algorithm names measured as peers.
PEER_ALGORITHMS = ("logic-v2", "logic-v1", "ofac")
#: yente's default ``threshold`` for a match, used for every peer algorithm.
PEER_THRESHOLD = 0.70
NOMENKLATURA_VERSION = "4.17.4"

EntityDict = dict[str, Any]
Pair = tuple[EntityDict, EntityDict]


def name_entity(schema: str, name: str) -> EntityDict:
    return {"schema": schema, "properties": {"name": [name]}}


# -- the in-process implementation (needs nomenklatura importable) ----------------------------


class _Local:
    def __init__(self) -> None:
        import followthemoney  # noqa: F401
        from followthemoney import model
        from nomenklatura.matching import get_algorithm

        self.model = model
        self.get_algorithm = get_algorithm
        self._warm: set[str] = set()

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        out = {}
        for pkg in ("nomenklatura", "followthemoney", "rigour"):
            try:
                out[pkg] = version(pkg)
            except Exception:  # pragma: no cover
                out[pkg] = "?"
        out["python"] = sys.executable
        return out

    def make(self, data: EntityDict, ident: str) -> Any:
        schema = data.get("schema") or "LegalEntity"
        if self.model.get(schema) is None:
            schema = "LegalEntity"
        proxy = self.model.make_entity(schema)
        proxy.id = ident
        for prop, values in (data.get("properties") or {}).items():
            if prop not in proxy.schema.properties:
                continue
            for value in values:
                proxy.add(prop, value, cleaned=False, quiet=True, fuzzy=True)
        return proxy

    def build(self, pairs: Sequence[Pair]) -> list[tuple[Any, Any]]:
        return [(self.make(l, f"q{i}"), self.make(r, f"r{i}")) for i, (l, r) in enumerate(pairs)]

    def algorithm(self, name: str) -> Any:
        alg = self.get_algorithm(name)
        if alg is None:
            raise ValueError(f"nomenklatura has no algorithm {name!r}")
        return alg

    def warm(self, name: str) -> None:
        """First call loads reference data (seconds for logic-v2): keep it out of timings."""
        if name in self._warm:
            return
        alg = self.algorithm(name)
        a = self.make(name_entity("Person", "Vladimir Putin"), "w1")
        b = self.make(name_entity("Person", "PUTIN, Vladimir Vladimirovich"), "w2")
        c = self.make(name_entity("Company", "Iskusstvo Krasoty LLC"), "w3")
        d = self.make(name_entity("Company", "OOO Iskusstvo Krasoty"), "w4")
        alg.compare(a, b, alg.default_config())
        alg.compare(c, d, alg.default_config())
        self._warm.add(name)

    def score(self, algorithms: Sequence[str], pairs: Sequence[Pair]) -> dict[str, Any]:
        proxies = self.build(pairs)
        scores: dict[str, list[float]] = {}
        seconds: dict[str, float] = {}
        for name in algorithms:
            alg = self.algorithm(name)
            self.warm(name)
            config = alg.default_config()
            out: list[float] = []
            t0 = time.perf_counter()
            for q, r in proxies:
                out.append(float(alg.compare(q, r, config).score))
            seconds[name] = time.perf_counter() - t0
            scores[name] = out
        return {"scores": scores, "seconds": seconds, "versions": self.versions()}


def _handle(request: dict[str, Any]) -> dict[str, Any]:
    local = _Local()
    pairs = [(p[0], p[1]) for p in request["pairs"]]
    reply = local.score(request["algorithms"], pairs)
    if request.get("op") == "time":
        reply.pop("scores", None)
    return reply


# -- choosing a runner ------------------------------------------------------------------------


def peers_venv_python() -> Path:
    repo = Path(__file__).resolve().parents[3]
    return repo / "bench" / ".venv-peers" / "bin" / "python"


class PeerRunner:
    """Scores pairs with nomenklatura, in-process or through the separate venv."""

    def __init__(self, mode: str, python: Path | None = None) -> None:
        self.mode = mode  # "in-process" | "subprocess"
        self.python = python
        self._local: _Local | None = _Local() if mode == "in-process" else None
        self.versions: dict[str, str] = self._local.versions() if self._local else {}

    def describe(self) -> str:
        v = self.versions.get("nomenklatura", "?")
        where = "in-process" if self.mode == "in-process" else f"subprocess {self.python}"
        return f"nomenklatura {v} ({where})"

    def score(self, algorithms: Sequence[str], pairs: Sequence[Pair]) -> dict[str, Any]:
        """``{"scores": {alg: [float...]}, "seconds": {alg: s}, "versions": {...}}``."""
        if self._local is not None:
            return self._local.score(algorithms, pairs)
        request = {"op": "score", "algorithms": list(algorithms), "pairs": [list(p) for p in pairs]}
        proc = subprocess.run(
            [str(self.python), str(Path(__file__).resolve())],
            input=json.dumps(request).encode(),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"peer subprocess failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}"
            )
        reply = json.loads(proc.stdout)
        self.versions = reply.get("versions", {})
        return reply

    def score_names(self, algorithms: Sequence[str], pairs: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
        """Score ``(schema, name1, name2)`` pairs: name1 is the query, name2 the candidate."""
        return self.score(algorithms, [(name_entity(s, a), name_entity(s, b)) for s, a, b in pairs])


def peer_runner() -> tuple[PeerRunner | None, str]:
    """A runner, or ``None`` and the reason peers are unavailable."""
    if os.environ.get("LISTGUARD_NO_PEERS"):
        return None, "peers disabled by LISTGUARD_NO_PEERS"
    reasons = []
    try:
        runner = PeerRunner("in-process")
        return runner, runner.describe()
    except Exception as exc:
        reasons.append(f"nomenklatura not importable here ({type(exc).__name__}: {exc})")
    py = peers_venv_python()
    if py.exists():
        try:
            runner = PeerRunner("subprocess", py)
            probe = runner.score_names(["ofac"], [("Person", "John Smith", "Smith, John")])
            if probe.get("scores", {}).get("ofac"):
                return runner, runner.describe()
            reasons.append(f"{py} returned no scores")
        except Exception as exc:
            reasons.append(f"{py} failed: {exc}")
    else:
        reasons.append(f"no peer venv at {py} (run bench/setup_peers.sh)")
    return None, "; ".join(reasons)


if __name__ == "__main__":  # subprocess mode
    sys.stdout.write(json.dumps(_handle(json.load(sys.stdin))))
