#!/usr/bin/env python
"""Matching quality and speed, listguard beside nomenklatura logic-v2 / logic-v1 / ofac, one run.

    python bench/bench_matching.py [--queries 12000] [--workers 2] [--quick] [--no-peers]
                                   [--data ../shared/data] [--json OUT]

What is measured (2-core machine; see bench/README.md):

1. ``listguard screen-file``, the whole process as a user runs it: every list under
   ../shared/data/lists loaded with ``listguard load`` into a temporary ``LISTGUARD_HOME``, the
   index built and cached once (``listguard screen``, timed apart), then ``listguard screen-file``
   on a CSV of the fixed-seed query mix (half name variants of real list entries, half
   non-listed Faker names) with ``--workers 2``: wall seconds of that subprocess, queries/s;
2. the same lists parsed in this process and ``Index.build``: seconds, RSS growth, pickled size;
3. screening throughput in this process (``Screener.screen``, limit 5, default threshold) on the
   same queries, in one process and in two worker processes (fork, the index inherited), and
   single-query latency p50 / p99;
4. ``compare_names`` pairs per second on one core, on the (query name, matched list name) pairs
   that screening produced plus the dev name pairs;
5. the peers on the same inputs: (a) ``compare`` on the same name pairs, as two name-only FtM
   entities; (b) screening: nomenklatura has no candidate retrieval (yente uses Elasticsearch),
   so a peer "query" here is scoring the query entity against the *same candidates listguard's
   retrieval returned* (full list entities): a lower bound on a peer's per-query cost; and (c)
   brute force: one query scored against every listed entity, on a few queries;
6. quality: ``listguard.evaluation`` - the labelled name pairs (``evaluate_pairs``) and the
   screening sets (``evaluate_screening``), with the peers re-scoring listguard's candidates.

One table at the end puts quality and speed side by side, listguard / peer as ratios.
``--quick`` runs small samples (2,000 queries, small screening sets, no brute force) to check
the harness; its figures are not the published ones.

Peers score prebuilt FollowTheMoney proxies (building them is not timed) after a warm-up call
(logic-v2 loads its reference data on the first call, ~5 s, not timed).
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import pickle
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.table import Table  # noqa: E402

from listguard.evaluation.datasets import NameKeyIndex, load_lists, shared_data_dir  # noqa: E402
from listguard.evaluation.report import console  # noqa: E402

SEED = 20240603
from listguard.evaluation.peers import PEER_ALGORITHMS as PEERS  # noqa: E402

TARGET_QPS = 2000
TARGET_P99_MS = 5.0
TARGET_PAIRS_PER_S = 50000
TARGET_RECALL = {"latin_variants": 0.98, "original_script": 0.90}
QUICK_SIZES = {"per_kind": 30, "korean": 200, "people": 200, "companies": 100, "population": 100}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- queries ----------------------------------------------------------------------------------


def make_queries(entities: list, n: int) -> list[tuple[str, str | None]]:
    """``n`` (name, schema) queries: half variants of real entries, half non-listed names."""
    from listguard.evaluation.screening import latin_variant_queries

    keys = NameKeyIndex(entities)
    variants = latin_variant_queries(entities, keys, per_kind=max(2, n // 2 // 7 + 2), seed=SEED)
    rng = random.Random(f"{SEED}:bench")
    rng.shuffle(variants)
    queries: list[tuple[str, str | None]] = [(q.name, q.schema) for q in variants[: n // 2]]
    try:
        from listguard.evaluation.synthetic import generate_names

        names, _ = generate_names(n - len(queries) - (n - len(queries)) // 3, (n - len(queries)) // 3, SEED + 1, keys)
        queries += [(s.name, s.schema) for s in names]
    except Exception as exc:  # Faker missing: variants only, and say so
        log(f"[bench] non-listed names unavailable ({exc}); using more variants instead")
        queries = [(q.name, q.schema) for q in variants[:n]]
    rng.shuffle(queries)
    return queries[:n]


# -- listguard screening ----------------------------------------------------------------------

_SCREENER: Any = None
_QUERY: Any = None


def _screen_chunk(chunk: list[tuple[str, str | None]]) -> int:
    for name, schema in chunk:
        kwargs = {"schema": schema} if schema else {}
        _SCREENER.screen(_QUERY.from_name(name, **kwargs), limit=5)
    return len(chunk)


def screen_parallel(queries: list[tuple[str, str | None]], workers: int) -> float:
    chunks = [queries[i : i + 100] for i in range(0, len(queries), 100)]
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_screen_chunk, chunks[:workers])  # warm the workers
        t0 = time.perf_counter()
        done = sum(pool.map(_screen_chunk, chunks))
        dt = time.perf_counter() - t0
    assert done == len(queries)
    return dt


# -- peers ------------------------------------------------------------------------------------


def entity_dict(ent: Any) -> dict[str, Any]:
    return {"schema": ent.schema, "properties": ent.properties}


def query_dict(name: str, schema: str | None) -> dict[str, Any]:
    return {"schema": schema or "LegalEntity", "properties": {"name": [name]}}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "listguard.cli", *args]


def screen_file_run(shared: Path, queries: list[tuple[str, str | None]], workers: int) -> dict[str, Any]:
    """``listguard load`` every shared list into a temporary home, cache the index, then time
    ``listguard screen-file --workers N`` on the queries as a subprocess (the whole process)."""
    import csv
    import subprocess
    import tempfile

    res: dict[str, Any] = {"workers": workers, "rows": len(queries)}
    lists_dir = shared / "lists"
    with tempfile.TemporaryDirectory(prefix="lg-bench-") as home:
        env = {**os.environ, "LISTGUARD_HOME": home}
        env.pop("LISTGUARD_DATABASE_URL", None)
        t0 = time.perf_counter()
        subprocess.run(_cli("load", str(lists_dir)), check=True, env=env, stdout=subprocess.DEVNULL)
        res["load_s"] = time.perf_counter() - t0
        log(f"[bench] listguard load {lists_dir}: {res['load_s']:.1f} s")
        t0 = time.perf_counter()
        subprocess.run(_cli("screen", "John Smith"), check=True, env=env, stdout=subprocess.DEVNULL)
        res["index_cache_s"] = time.perf_counter() - t0
        log(f"[bench] index built and cached (listguard screen): {res['index_cache_s']:.1f} s")
        src, out = Path(home) / "queries.csv", Path(home) / "out.jsonl"
        with open(src, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "name", "schema"])
            for i, (name, schema) in enumerate(queries):
                w.writerow([f"Q{i:06d}", name, schema or ""])
        t0 = time.perf_counter()
        proc = subprocess.run(
            _cli("screen-file", str(src), "-o", str(out), "--workers", str(workers)),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        res["seconds"] = time.perf_counter() - t0
        if proc.returncode:
            raise RuntimeError(f"screen-file failed ({proc.returncode}): {proc.stderr[-2000:]}")
        lines = matched = 0
        with open(out, "rb") as fh:
            for line in fh:
                lines += 1
                row = json.loads(line)
                matched += any(h.get("match") for h in row.get("hits", []))
        res["rows_out"] = lines
        res["rows_with_match"] = matched
        res["qps"] = len(queries) / res["seconds"]
        log(f"[bench] listguard screen-file {lines:,} rows, --workers {workers}: {res['seconds']:.1f} s, "
            f"{res['qps']:,.0f} queries/s (whole process), {matched:,} rows with a match")
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=None, help="screening queries (default 12000; 2000 with --quick)")
    ap.add_argument("--workers", type=int, default=2, help="screen-file --workers (default 2)")
    ap.add_argument("--brute-force-queries", type=int, default=None, help="queries peers score against every entry (default 3; 0 with --quick)")
    ap.add_argument("--quick", action="store_true", help="small samples: checks the harness, not the published figures")
    ap.add_argument("--no-quality", action="store_true", help="speed only (skip listguard.evaluation)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--json", default=str(ROOT / "bench" / "out" / "bench_matching.json"))
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    n_queries = args.queries if args.queries is not None else (2000 if args.quick else 12000)
    brute = args.brute_force_queries if args.brute_force_queries is not None else (0 if args.quick else 3)

    from listguard.evaluation.systems import MatcherUnavailable, index_cls, matching

    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "loadavg_start": os.getloadavg()},
        "quick": args.quick,
    }
    try:
        import subprocess

        out["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True).stdout
        out["src_modified"] = [line[3:] for line in dirty.splitlines() if line.strip()]  # measured with these uncommitted
    except OSError:
        out["commit"] = "?"
    shared = shared_data_dir(args.data)

    # lists, parsed here (queries, the in-process index, the evaluation) -----------------------
    rss0 = rss_mb()
    t0 = time.perf_counter()
    lists = load_lists(shared, log=log)
    out["lists"] = {
        "loaded": [{"path": p, "dataset": d, "entities": n, "parse_s": round(s, 2)} for p, d, n, s in lists.loaded],
        "failed": [{"path": p, "error": e} for p, e in lists.failed],
        "parse_s": round(time.perf_counter() - t0, 2),
    }
    for p, e in lists.failed:
        log(f"[bench] *** NOT LOADED {p}: {e}")
    entities = lists.entities
    n_names = sum(len(e.names()) for e in entities)
    log(f"[bench] {len(entities):,} entities, {n_names:,} names from {len(lists.loaded)} lists")
    out["entities"] = len(entities)
    out["names"] = n_names

    queries = make_queries(entities, n_queries)
    out["queries"] = len(queries)

    # 1. screen-file, whole process ------------------------------------------------------------
    try:
        out["screen_file"] = screen_file_run(shared, queries, args.workers)
    except Exception as exc:
        out["screen_file"] = {"error": f"{type(exc).__name__}: {exc}"}
        log(f"[bench] *** screen-file NOT MEASURED: {exc}")

    m: Any = None
    Index: Any = None
    try:
        m = matching()
        Index = index_cls()
    except MatcherUnavailable as exc:
        log(f"[bench] *** listguard matcher NOT MEASURED: {exc}")
        m = Index = None
        out["listguard_error"] = str(exc)

    ours: dict[str, Any] = {}
    name_pairs: list[tuple[str, str, str]] = []
    candidates: list[tuple[int, list[str]]] = []
    by_id = {e.id: e for e in entities}
    index: Any = None

    if m is not None and Index is not None:
        gc.collect()
        rss1 = rss_mb()
        t0 = time.perf_counter()
        index = Index.build(entities)
        ours["build_s"] = time.perf_counter() - t0
        gc.collect()
        ours["index_rss_mb"] = rss_mb() - rss1
        ours["process_rss_mb"] = rss_mb()
        try:
            t0 = time.perf_counter()
            blob = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
            ours["pickle_s"] = time.perf_counter() - t0
            ours["pickle_mb"] = len(blob) / 1e6
            t0 = time.perf_counter()
            pickle.loads(blob)
            ours["unpickle_s"] = time.perf_counter() - t0
            del blob
        except Exception as exc:
            ours["pickle_error"] = f"{type(exc).__name__}: {exc}"
            log(f"[bench] *** index is NOT picklable: {ours['pickle_error']}")
        log(
            f"[bench] index built in {ours['build_s']:.2f}s, +{ours['index_rss_mb']:.0f} MB RSS "
            f"(process {ours['process_rss_mb']:.0f} MB, lists loaded from {rss0:.0f} MB), "
            f"pickle {ours.get('pickle_mb', float('nan')):.1f} MB"
        )

        # 3. screening, one process: latency per query -----------------------------------------
        global _SCREENER, _QUERY
        _SCREENER, _QUERY = m.Screener(index), m.Query
        _screen_chunk(queries[:50])  # warm-up
        lat: list[float] = []
        t_all = time.perf_counter()
        for name, schema in queries:
            kwargs = {"schema": schema} if schema else {}
            t0 = time.perf_counter()
            hits = _SCREENER.screen(_QUERY.from_name(name, **kwargs), limit=5)
            lat.append(time.perf_counter() - t0)
            candidates.append((len(candidates), [h.entity_id for h in hits]))
            for h in hits:
                if h.matched_name:
                    name_pairs.append(((schema or h.schema or "LegalEntity"), name, h.matched_name))
        wall1 = time.perf_counter() - t_all
        lat_sorted = sorted(lat)
        ours["qps_1proc"] = len(queries) / wall1
        ours["p50_ms"] = 1000 * statistics.median(lat_sorted)
        ours["p99_ms"] = 1000 * lat_sorted[min(len(lat_sorted) - 1, int(0.99 * len(lat_sorted)))]
        ours["max_ms"] = 1000 * lat_sorted[-1]
        ours["hits_per_query"] = sum(len(c) for _, c in candidates) / len(queries)
        log(f"[bench] screening 1 process: {ours['qps_1proc']:.0f} q/s, p50 {ours['p50_ms']:.2f} ms, p99 {ours['p99_ms']:.2f} ms")
        workers = min(2, os.cpu_count() or 1)
        # The workers inherit the token caches the run above warmed (as a long batch has them),
        # but not its per-query results: those would be a cache replaying the same queries.
        if getattr(_SCREENER, "_name_cache", None) is not None:
            _SCREENER._name_cache.clear()
        dt = screen_parallel(queries, workers)
        ours["qps_2proc"] = len(queries) / dt
        ours["workers"] = workers
        log(f"[bench] screening {workers} processes: {ours['qps_2proc']:.0f} q/s")

        # 4. compare_names on one core -----------------------------------------------------------
        if not name_pairs:
            log("[bench] no hits with a matched_name: compare_names measured on dev pairs only")
        dev = _dev_pairs(shared)
        pair_set = name_pairs + dev
        m.compare_names(*pair_set[0])
        t0 = time.perf_counter()
        for schema, a, b in pair_set:
            m.compare_names(schema, a, b)
        ours["compare_s"] = time.perf_counter() - t0
        ours["compare_pairs"] = len(pair_set)
        ours["pairs_per_s"] = len(pair_set) / ours["compare_s"]
        log(f"[bench] compare_names: {ours['pairs_per_s']:.0f} pairs/s on {len(pair_set):,} pairs")
    else:
        pair_set = _dev_pairs(shared)
    out["listguard"] = ours

    # 5. peers' speed --------------------------------------------------------------------------
    peers: dict[str, dict[str, Any]] = {}
    if not args.no_peers:
        from listguard.evaluation.peers import peer_runner

        runner, note = peer_runner()
        if runner is None:
            log(f"[bench] *** PEERS NOT MEASURED: {note}")
            out["peers_error"] = note
        else:
            out["peer_runner"] = runner.describe()
            # (a) compare on the same name pairs
            reply = runner.score_names(PEERS, pair_set)
            for alg in PEERS:
                peers.setdefault(alg, {})["pairs_per_s"] = len(pair_set) / reply["seconds"][alg]
                peers[alg]["compare_pairs"] = len(pair_set)
                log(f"[bench] {alg} compare: {peers[alg]['pairs_per_s']:.0f} pairs/s")
            # (b) screening = scoring listguard's candidates
            if candidates:
                ent_pairs = []
                for qi, ids in candidates:
                    name, schema = queries[qi]
                    for ident in ids:
                        if ident in by_id:
                            ent_pairs.append((query_dict(name, schema), entity_dict(by_id[ident])))
                reply = runner.score(PEERS, ent_pairs)
                for alg in PEERS:
                    sec = reply["seconds"][alg]
                    peers[alg]["candidate_pairs"] = len(ent_pairs)
                    peers[alg]["qps_rescore_1proc"] = len(candidates) / sec if sec else float("nan")
                    peers[alg]["ms_per_query_rescore"] = 1000 * sec / len(candidates)
                    log(f"[bench] {alg} scoring listguard's candidates: {peers[alg]['qps_rescore_1proc']:.0f} q/s")
            # (c) brute force over every entity for a few queries
            if brute > 0 and entities:
                rng = random.Random(f"{SEED}:brute")
                sample = rng.sample(queries, min(brute, len(queries)))
                all_dicts = [entity_dict(e) for e in entities]
                for alg in PEERS:
                    total = 0.0
                    for name, schema in sample:
                        reply = runner.score([alg], [(query_dict(name, schema), d) for d in all_dicts])
                        total += reply["seconds"][alg]
                    peers[alg]["brute_force_s_per_query"] = total / len(sample)
                    peers[alg]["brute_force_queries"] = len(sample)
                    log(f"[bench] {alg} brute force: {total / len(sample):.1f} s per query over {len(entities):,} entries")
    out["peers"] = peers

    # 6. quality -------------------------------------------------------------------------------
    if not args.no_quality and m is not None:
        out["quality"] = quality(shared, entities, index, m, Index, peers=not args.no_peers, quick=args.quick)
    del index

    out["machine"]["loadavg_end"] = os.getloadavg()
    print_table(out)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float))
    log(f"(full results: {path})")
    return 0


def quality(shared: Path, entities: list, index: Any, m: Any, Index: Any, peers: bool, quick: bool) -> dict[str, Any]:
    """``evaluate_pairs`` and ``evaluate_screening`` (peers re-scoring listguard's candidates),
    on the lists already parsed and the index already built."""
    from listguard.evaluation.pairs import evaluate_pairs
    from listguard.evaluation.screening import Runner, evaluate_screening

    res: dict[str, Any] = {}
    t0 = time.perf_counter()
    res["pairs"] = evaluate_pairs(shared / "eval", peers=peers, log=log)
    res["pairs_s"] = round(time.perf_counter() - t0, 1)

    class _Reuse(Runner):
        def build(self, label: str, ents: list) -> Any:
            if label == "lists" and ents is entities and index is not None:
                self.builds[label] = {"entities": len(ents), "seconds": 0.0, "reused": True}
                return index
            return super().build(label, ents)

    t0 = time.perf_counter()
    res["screening"] = evaluate_screening(
        shared, log=log, peers=peers, runner=_Reuse(log, m, Index), entities=entities,
        sizes=QUICK_SIZES if quick else None,
    )
    res["screening_s"] = round(time.perf_counter() - t0, 1)
    return res


def _dev_pairs(shared: Path) -> list[tuple[str, str, str]]:
    from listguard.evaluation.datasets import read_name_pairs

    return [(p.schema, p.name1, p.name2) for p in read_name_pairs(shared / "eval" / "name_pairs_dev.csv")]


def print_table(out: dict[str, Any]) -> None:
    """One table: quality and speed, listguard beside each peer, and listguard / peer ratios."""
    ours = out.get("listguard", {})
    peers = out.get("peers", {})
    sf = out.get("screen_file", {})
    q = out.get("quality", {})
    algs = list(PEERS)

    def f(x: Any, fmt: str = "{:,.0f}") -> str:
        return "-" if x is None else fmt.format(x)

    def ratio(a: Any, b: Any) -> str:
        if a is None or b is None:
            return "-"
        if not b:
            return "-" if not a else "inf"
        r = a / b
        return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"

    t = Table(
        title=f"listguard vs nomenklatura @ {out.get('commit', '?')}"
        f"{' (+ uncommitted src changes)' if out.get('src_modified') else ''}: {out.get('entities', 0):,} entries / "
        f"{out.get('names', 0):,} names from {len(out.get('lists', {}).get('loaded', []))} lists, "
        f"{out.get('queries', 0):,} queries, {out['machine']['cpus']} cores{' [QUICK: small samples]' if out.get('quick') else ''}",
        caption="x/peer = listguard / peer. Direction: ^ higher is better, v lower is better (a ratio "
        "below 1 is better for v rows). Quality: peers re-score listguard's top 10 candidates per query "
        "(no retrieval of their own), match = score >= 0.70 (yente's default); pairs at each system's "
        "default threshold; heldout = the half of each set no rule was tuned on. Speed: peer screening "
        "= scoring only the candidates listguard returned (a lower bound on their cost); brute force = "
        f"one query scored against every entry. Peers: {out.get('peer_runner', 'not measured')}.",
    )
    t.add_column("metric")
    t.add_column("", justify="center")
    t.add_column("listguard", justify="right")
    for alg in algs:
        t.add_column(alg, justify="right")
    for alg in algs:
        t.add_column(f"x/{alg}", justify="right")
    t.add_column("target", justify="right")

    def row(label: str, direction: str, mine: Any, theirs: list[Any], fmt: str, target: str = "", ratios: bool = True) -> None:
        t.add_row(label, direction, f(mine, fmt), *[f(v, fmt) for v in theirs],
                  *[ratio(mine, v) if ratios else "" for v in theirs], target)

    # quality: pairs
    pairs = q.get("pairs") or {}
    for g in pairs.get("groups", []):
        if g["kind"] != "overall":
            continue
        res = g["results"]
        label = f"pairs {g['group']} (n={g['n']}) F1"
        row(label, "^", res.get("listguard", {}).get("default", {}).get("f1"),
            [res.get(a, {}).get("default", {}).get("f1") for a in algs], "{:.3f}", ">= 0.92" if g["group"] == "all" else "")
    if pairs:
        t.add_section()
    # quality: screening sets (all / heldout)
    scr = q.get("screening") or {}
    for g in scr.get("groups", []):
        if g["group"] not in ("all", "all@heldout"):
            continue
        res = g["results"]
        set_name = g["set"]
        label = f"{set_name} {g['group'].replace('all@', '')} (n={g['n']})"
        if set_name in ("non_listed", "populations"):
            row(f"{label} % queries w/ false alert", "v",
                100 * res["listguard"]["false_alert_query_rate"],
                [100 * res[a]["false_alert_query_rate"] if a in res else None for a in algs], "{:.2f}",
                "<= 1.00" if g["group"] == "all" or set_name == "populations" else "")
        else:
            goal = TARGET_RECALL.get(set_name, 0.90)
            row(f"{label} recall@match", "^", res["listguard"].get("recall_match"),
                [res[a].get("recall_match") if a in res else None for a in algs], "{:.3f}", f">= {goal:.2f}")
            row(f"{label} false alerts/query", "v", res["listguard"].get("false_alerts_per_query"),
                [res[a].get("false_alerts_per_query") if a in res else None for a in algs], "{:.3f}")
    if scr:
        t.add_section()
    # speed
    dash = [None] * len(algs)
    if sf.get("qps"):
        row(f"screen-file q/s, whole process, --workers {sf.get('workers')} ({sf.get('rows'):,} rows)", "^",
            sf.get("qps"), dash, "{:,.0f}", f">= {TARGET_QPS:,}", ratios=False)
    elif sf.get("error"):
        t.add_row("screen-file", "", "NOT MEASURED", *[""] * (2 * len(algs)), f">= {TARGET_QPS:,}")
    row("screen q/s, 1 process (peers: re-score our candidates)", "^", ours.get("qps_1proc"),
        [peers.get(a, {}).get("qps_rescore_1proc") for a in algs], "{:,.0f}")
    row(f"screen q/s, {ours.get('workers', 2)} processes (in-process pool)", "^", ours.get("qps_2proc"), dash, "{:,.0f}", ratios=False)
    row("screen latency p50 ms (peers: per query re-score)", "v", ours.get("p50_ms"),
        [peers.get(a, {}).get("ms_per_query_rescore") for a in algs], "{:.2f}")
    row("screen latency p99 ms", "v", ours.get("p99_ms"), dash, "{:.2f}", f"<= {TARGET_P99_MS}", ratios=False)
    row(f"compare pairs/s, 1 core ({f(ours.get('compare_pairs'))} pairs)", "^", ours.get("pairs_per_s"),
        [peers.get(a, {}).get("pairs_per_s") for a in algs], "{:,.0f}", f">= {TARGET_PAIRS_PER_S:,}")
    if any(peers.get(a, {}).get("brute_force_s_per_query") for a in algs):
        row("brute force s per query (every entry)", "v", None,
            [peers.get(a, {}).get("brute_force_s_per_query") for a in algs], "{:.1f}", ratios=False)
    row("index build s (in process)", "v", ours.get("build_s"), dash, "{:.1f}", ratios=False)
    if sf.get("load_s"):
        row("listguard load s / index build+cache s", "v", sf.get("load_s"), dash, "{:.0f}", ratios=False)
        row("", "", sf.get("index_cache_s"), dash, "{:.0f}", ratios=False)
    console().print(t)
    la0, la1 = out["machine"].get("loadavg_start"), out["machine"].get("loadavg_end")
    if la0 and la1:
        busy = max(la0[0], la1[0]) > 0.5
        console().print(
            f"{'[bold yellow]' if busy else ''}Load average (1 min) before/after: {la0[0]:.2f} / {la1[0]:.2f}"
            f"{' - other processes were using the CPUs; the speed figures are pessimistic[/]' if busy else ''}"
        )
    if out.get("listguard_error"):
        console().print(f"[bold red]listguard NOT MEASURED[/]: {out['listguard_error']}")
    if sf.get("error"):
        console().print(f"[bold red]screen-file NOT MEASURED[/]: {sf['error']}")
    if out.get("peers_error"):
        console().print(f"[bold red]peers NOT MEASURED[/]: {out['peers_error']}")
    for fl in out.get("lists", {}).get("failed", []):
        console().print(f"[bold red]NOT LOADED[/] {fl['path']}: {fl['error']}")


if __name__ == "__main__":
    raise SystemExit(main())
