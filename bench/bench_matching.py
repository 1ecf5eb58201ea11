#!/usr/bin/env python
"""Matching speed benchmark: listguard vs nomenklatura logic-v2 / logic-v1, same inputs, one run.

    python bench/bench_matching.py [--queries 4000] [--data ../shared/data] [--json OUT]

What is measured (2-core machine; see bench/README.md):

1. every list in ../shared/data/lists parsed and loaded together (OFAC SDN + non-SDN, UN, DFAT,
   UK, US CSL; whatever parses), then ``Index.build``: seconds, RSS growth, pickled size;
2. screening throughput (``Screener.screen``, limit 5, default threshold) on a fixed-seed mix of
   queries: half name variants of real list entries, half realistic non-listed names (Faker,
   many locales) - in one process and in two worker processes (fork, the index inherited);
3. single-query latency p50 / p99 (one process, after a warm-up);
4. ``compare_names`` pairs per second on one core, on the (query name, matched list name) pairs
   that screening produced;
5. the peers on the same inputs: (a) ``compare`` on the same name pairs, as two name-only FtM
   entities; (b) screening: nomenklatura has no candidate retrieval (yente uses Elasticsearch),
   so a peer "query" here is scoring the query entity against the *same candidates listguard's
   retrieval returned* (full list entities, all names and properties): that is a lower bound on
   a peer's per-query cost; and (c) brute force: scoring one query against every listed entity,
   on a few queries, which is what a peer without a search index has to do.

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
PEERS = ("logic-v2", "logic-v1")
TARGET_QPS = 2000
TARGET_P99_MS = 5.0
TARGET_PAIRS_PER_S = 50000


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=4000, help="screening queries (default 4000)")
    ap.add_argument("--brute-force-queries", type=int, default=3, help="queries peers score against every entry")
    ap.add_argument("--data", default=None)
    ap.add_argument("--json", default=str(ROOT / "bench" / "out" / "bench_matching.json"))
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()

    from listguard.evaluation.systems import MatcherUnavailable, index_cls, matching

    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "loadavg_start": os.getloadavg()}
    }
    shared = shared_data_dir(args.data)

    # 1. lists + index -----------------------------------------------------------------------
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

    m: Any = None
    Index: Any = None
    try:
        m = matching()
        Index = index_cls()
    except MatcherUnavailable as exc:
        log(f"[bench] *** listguard matcher NOT MEASURED: {exc}")
        m = Index = None
        out["listguard_error"] = str(exc)

    queries = make_queries(entities, args.queries)
    out["queries"] = len(queries)
    ours: dict[str, Any] = {}
    name_pairs: list[tuple[str, str, str]] = []
    candidates: list[tuple[int, list[str]]] = []
    by_id = {e.id: e for e in entities}

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

        # 2./3. screening, one process: latency per query -------------------------------------
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

        # 4. compare_names on one core ---------------------------------------------------------
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

    # 5. peers -------------------------------------------------------------------------------
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
            nq = max(0, args.brute_force_queries)
            if nq and entities:
                rng = random.Random(f"{SEED}:brute")
                sample = rng.sample(queries, min(nq, len(queries)))
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

    out["machine"]["loadavg_end"] = os.getloadavg()
    print_table(out)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float))
    log(f"(full results: {path})")
    return 0


def _dev_pairs(shared: Path) -> list[tuple[str, str, str]]:
    from listguard.evaluation.datasets import read_name_pairs

    return [(p.schema, p.name1, p.name2) for p in read_name_pairs(shared / "eval" / "name_pairs_dev.csv")]


def print_table(out: dict[str, Any]) -> None:
    ours = out.get("listguard", {})
    peers = out.get("peers", {})
    v2, v1 = peers.get("logic-v2", {}), peers.get("logic-v1", {})

    def f(x: Any, fmt: str = "{:,.0f}") -> str:
        return "-" if x is None else fmt.format(x)

    def ratio(a: Any, b: Any, higher_better: bool = True) -> str:
        if a is None or b is None or not b or not a:
            return "-"
        r = a / b if higher_better else b / a
        return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"

    t = Table(
        title=f"Matching speed: {out.get('entities', 0):,} entries / {out.get('names', 0):,} names "
        f"from {len(out.get('lists', {}).get('loaded', []))} lists, {out.get('queries', 0):,} queries, "
        f"{out['machine']['cpus']} cores",
        caption="ratio = listguard / peer (how many times faster). Peer screening = scoring only "
        "the candidates listguard's index returned (no retrieval of their own; a lower bound on their "
        "cost); brute force = one query scored against every entry. Peers: "
        f"{out.get('peer_runner', 'not measured')}.",
    )
    t.add_column("metric")
    for col in ("listguard", "logic-v2", "logic-v1", "vs v2", "vs v1", "target"):
        t.add_column(col, justify="right")
    t.add_row("index build (s)", f(ours.get("build_s"), "{:.2f}"), "n/a", "n/a", "", "", "")
    t.add_row("index memory (MB RSS growth)", f(ours.get("index_rss_mb"), "{:.0f}"), "n/a", "n/a", "", "", "")
    t.add_row("index pickle (MB / dump s / load s)",
              f"{f(ours.get('pickle_mb'), '{:.1f}')} / {f(ours.get('pickle_s'), '{:.2f}')} / {f(ours.get('unpickle_s'), '{:.2f}')}"
              if ours else "-", "n/a", "n/a", "", "", "")
    qps1, qps2 = ours.get("qps_1proc"), ours.get("qps_2proc")
    t.add_row("screen q/s, 1 process", f(qps1), f(v2.get("qps_rescore_1proc")), f(v1.get("qps_rescore_1proc")),
              ratio(qps1, v2.get("qps_rescore_1proc")), ratio(qps1, v1.get("qps_rescore_1proc")), "")
    t.add_row(f"screen q/s, {ours.get('workers', 2)} processes", f(qps2), "", "", "", "", f">= {TARGET_QPS:,}")
    t.add_row("screen latency p50 (ms)", f(ours.get("p50_ms"), "{:.2f}"), f(v2.get("ms_per_query_rescore"), "{:.2f}"),
              f(v1.get("ms_per_query_rescore"), "{:.2f}"), "", "", "")
    t.add_row("screen latency p99 (ms)", f(ours.get("p99_ms"), "{:.2f}"), "", "", "", "", f"<= {TARGET_P99_MS}")
    t.add_row("brute force, s per query (all entries)", "n/a", f(v2.get("brute_force_s_per_query"), "{:.1f}"),
              f(v1.get("brute_force_s_per_query"), "{:.1f}"), "", "", "")
    pps = ours.get("pairs_per_s")
    t.add_row(f"compare pairs/s, 1 core ({f(ours.get('compare_pairs') or v2.get('compare_pairs'))} pairs)", f(pps),
              f(v2.get("pairs_per_s")), f(v1.get("pairs_per_s")), ratio(pps, v2.get("pairs_per_s")),
              ratio(pps, v1.get("pairs_per_s")), f">= {TARGET_PAIRS_PER_S:,}")
    console().print(t)
    la0, la1 = out["machine"].get("loadavg_start"), out["machine"].get("loadavg_end")
    if la0 and la1:
        busy = max(la0[0], la1[0]) > 0.5
        console().print(
            f"{'[bold yellow]' if busy else ''}Load average (1 min) before/after: {la0[0]:.2f} / {la1[0]:.2f}"
            f"{' - other processes were using the CPUs; the figures are pessimistic[/]' if busy else ''}"
        )
    if out.get("listguard_error"):
        console().print(f"[bold red]listguard NOT MEASURED[/]: {out['listguard_error']}")
    if out.get("peers_error"):
        console().print(f"[bold red]peers NOT MEASURED[/]: {out['peers_error']}")
    for fl in out.get("lists", {}).get("failed", []):
        console().print(f"[bold red]NOT LOADED[/] {fl['path']}: {fl['error']}")


if __name__ == "__main__":
    raise SystemExit(main())
