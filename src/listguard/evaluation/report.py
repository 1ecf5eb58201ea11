"""Rich tables (and JSON) for evaluation results: listguard and its peers side by side."""

from __future__ import annotations

import json
import shutil
from typing import Any

from rich.console import Console
from rich.table import Table

from listguard.evaluation.peers import PEER_ALGORITHMS

SYSTEM_ORDER = ("listguard", *PEER_ALGORITHMS)

#: Targets from the matching issue.
PAIRS_F1_TARGET = 0.92
LATIN_RECALL_TARGET = 0.98
SCRIPT_RECALL_TARGET = 0.90
NON_LISTED_MATCH_RATE_TARGET = 0.01
#: Category rows smaller than this are left out of the table (they are in --json).
MIN_CATEGORY_ROWS = 3


def console() -> Console:
    width = max(shutil.get_terminal_size((210, 40)).columns, 210)
    return Console(width=width)


def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def pairs_table(result: dict[str, Any]) -> Table:
    systems = [s for s in SYSTEM_ORDER if s in result["systems"]]
    table = Table(
        title=f"Pair evaluation: {result['file']} ({result['n']} pairs, {result['positives']} matches)",
        caption="P/R/F1 of match at each system's default threshold; best F1 is an oracle "
        "(threshold chosen on these pairs). Target: listguard F1 >= "
        f"{PAIRS_F1_TARGET} overall.",
        show_lines=False,
    )
    table.add_column("by", no_wrap=True)
    table.add_column("group", no_wrap=True, overflow="ellipsis", min_width=12, max_width=24)
    table.add_column("n (+)", justify="right", no_wrap=True)
    for s in systems:
        info = result["systems"][s]
        thr = f" @{info['threshold']:.2f}" if info.get("available") else ""
        table.add_column(f"{s}{thr}\nP / R / F1", justify="right", no_wrap=True)
        table.add_column(f"{s}\nbest F1@thr", justify="right", no_wrap=True)
    hidden = 0
    last_kind = None
    for group in result["groups"]:
        if group["kind"] == "category" and group["n"] < MIN_CATEGORY_ROWS:
            hidden += 1
            continue
        if last_kind is not None and group["kind"] != last_kind:
            table.add_section()
        last_kind = group["kind"]
        row = [group["kind"], group["group"], f"{group['n']} ({group['positives']})"]
        for s in systems:
            res = group["results"].get(s)
            if res is None:
                row += ["n/a", "n/a"]
                continue
            d, b = res["default"], res["best"]
            style = ""
            if s == "listguard" and group["kind"] == "overall":
                style = "green" if d["f1"] >= PAIRS_F1_TARGET else "red"
            f1 = f"[{style}]{d['f1']:.3f}[/]" if style else f"{d['f1']:.3f}"
            row += [f"{d['precision']:.2f} / {d['recall']:.2f} / {f1}", f"{b['f1']:.3f} @{b['threshold']:.2f}"]
        table.add_row(*row)
    if hidden:
        table.caption = f"{table.caption} {hidden} categories with n < {MIN_CATEGORY_ROWS} not shown (see --json)."
    return table


def _target(set_name: str) -> tuple[str, float] | None:
    if set_name == "latin_variants":
        return ("recall_match", LATIN_RECALL_TARGET)
    if set_name in ("original_script", "wikidata_ko", "watchman", "putin"):
        return ("recall_match", SCRIPT_RECALL_TARGET)
    if set_name == "non_listed":
        return ("match_rate", NON_LISTED_MATCH_RATE_TARGET)
    return None


def screening_table(result: dict[str, Any]) -> Table:
    systems = sorted(
        {s for g in result["groups"] for s in g["results"]},
        key=lambda s: SYSTEM_ORDER.index(s) if s in SYSTEM_ORDER else 99,
    )
    k = result.get("limit", 5)
    peers = result.get("peers")
    peer_note = (
        f" Peers ({peers['runner']}, match = score >= {peers['threshold']:.2f}) re-score listguard's "
        f"top {result.get('candidates_for_peers')} candidates per query (no retrieval of their own), "
        "so they share listguard's retrieval misses."
        if peers else ""
    )
    table = Table(
        title=f"Screening evaluation (limit {k}, listguard default threshold "
        f"{result.get('threshold')}, seed {result.get('seed')})",
        caption=f"Each cell: recall@match / recall@{k} / false alerts per query / % of queries "
        f"with a false alert. recall@match: a correct entry among the hits flagged match; "
        f"recall@{k}: among the top {k} whatever the score. For sets of listed names a false alert "
        "is a match on an entry that is not the source entry, does not carry exactly one of its "
        "names, is not its SDN/CSL copy, and whose name neither contains nor is contained in "
        "the source's name (such namesakes, e.g. the same party under a fuller name on another "
        "list, are counted apart in the JSON). For non-listed names every match is false. Targets (listguard): Latin variants recall@match >= 0.98, other "
        "scripts >= 0.90, non-listed names <= 1% of queries with any match." + peer_note,
    )
    table.add_column("set", no_wrap=True)
    table.add_column("group", no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("n", justify="right", no_wrap=True)
    for s in systems:
        table.add_column(f"{s}\nR@match / R@{k} / FA/q / FA%", justify="right", no_wrap=True)
    last = None
    for group in result["groups"]:
        if last is not None and group["set"] != last:
            table.add_section()
        last = group["set"]
        row = [group["set"], group["group"], str(group["n"])]
        target = _target(group["set"])
        for s in systems:
            res = group["results"].get(s)
            if res is None:
                row.append("n/a")
                continue
            rm = res.get("recall_match")
            rm_txt = _fmt(rm)
            fa_rate = _fmt(100 * res["false_alert_query_rate"], 1) + "%"
            if s == "listguard" and target and group["group"] == "all":
                metric, goal = target
                if metric == "recall_match" and rm is not None:
                    rm_txt = f"[{'green' if rm >= goal else 'red'}]{rm_txt}[/]"
                if metric == "match_rate":
                    ok = res["false_alert_query_rate"] <= goal
                    fa_rate = f"[{'green' if ok else 'red'}]{fa_rate}[/]"
            row.append(f"{rm_txt} / {_fmt(res.get(f'recall_at_{k}'))} / {_fmt(res['false_alerts_per_query'], 2)} / {fa_rate}")
        table.add_row(*row)
    return table


def print_report(results: list[dict[str, Any]], con: Console | None = None) -> None:
    con = con or console()
    for result in results:
        if result.get("set") == "pairs":
            con.print(pairs_table(result))
            for name, info in result["systems"].items():
                if not info.get("available"):
                    con.print(f"[bold red]NOT MEASURED[/] {name}: {info.get('note')}")
        elif result.get("set") == "screening":
            if result.get("error"):
                con.print(f"[bold red]Screening NOT MEASURED[/]: {result['error']}")
                continue
            failed = result.get("lists", {}).get("failed", [])
            loaded = result.get("lists", {}).get("loaded", [])
            con.print(
                "Lists in the index: "
                + ", ".join(f"{l['dataset']} ({l['entities']:,})" for l in loaded)
            )
            for f in failed:
                con.print(f"[bold red]NOT LOADED[/] {f['path']}: {f['error']}")
            if result.get("peers_error"):
                con.print(f"[bold red]Peers NOT MEASURED on screening[/]: {result['peers_error']}")
            con.print(screening_table(result))
        con.print()


def to_json(results: list[dict[str, Any]]) -> str:
    return json.dumps({"results": results}, ensure_ascii=False, indent=2)
