#!/usr/bin/env python
"""Free-text screening throughput: KB of news text per second on one core (target >= 500).

    python bench/bench_text.py [--lists all|ofac-un] [--kb 1024] [--data ../shared/data] [--json OUT]

What is measured:

1. the index over the lists (every list in ../shared/data/lists by default, as a deployment
   would load them) and the text automaton over it: build seconds and pattern count;
2. ``screen_text`` over a news corpus, one document at a time (~4 KB articles: per-document
   costs count), pinned to one core: KB/s on the first pass (cold: every word's key computed
   for the first time) and on a second pass over the same documents (warm: the steady state
   of a server), with the number of mentions found and of spans the matcher was asked about.

The corpus is built deterministically (fixed seed): the fixture articles about real
designations (tests/fixtures/text, markup stripped), wire-style paragraphs made from templates
with unlisted people, companies and places from many countries plus some listed names, and
ordinary English prose (the standard library's documentation).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FIRST = """James Maria Wei Olga Ahmed Priya Kenji Fatima Lucas Ingrid Mateo Aisha Pierre Yuki Omar
Sofia Dmitri Chen Amara Lars Elena Ravi Hana Tomasz Nadia Carlos Mei Kwame Leila Sven Ana Jin Zara
Felipe Irina Kofi Noor Bruno Akiko Hugo""".split()
LAST = """Smith Garcia Wang Ivanova Hassan Sharma Tanaka Khan Silva Larsen Rossi Okafor Dubois
Sato Haddad Novak Petrov Liu Mensah Berg Popescu Patel Nakamura Kowalski Romero Zhou Boateng Aziz
Lindqvist Costa Park Nguyen Fischer Moreau Jansen Ortiz Schmidt Rahman Yilmaz Andersson""".split()
COMPANIES = """Northwind Logistics|Blue Harbor Shipping|Sunrise Textiles|Atlas Mining Group|Crescent
Foods|Meridian Capital Partners|Pacific Rim Electronics|Golden Field Agro|Baltic Timber Trading|Orion
Software Labs|Silver Lake Pharmaceuticals|Red River Energy|Evergreen Packaging|Nordic Steelworks|
Coral Bay Resorts|Summit Data Systems|Lotus Garment Export|Iron Gate Security|Cedar Point Holdings|
Harbourview Insurance""".replace("\n", " ").split("|")
PLACES = """Geneva|Singapore|Dubai|Shanghai|Rotterdam|Panama City|Lagos|Istanbul|Mumbai|Hamburg|
Vladivostok|Pyongyang|Tehran|Caracas|Jakarta|Buenos Aires|Nairobi|Seoul|Busan|Hong Kong|Moscow|
Minsk|Damascus|Havana|Kyiv""".replace("\n", "").split("|")
LISTED = """Kim Jong Un|Jong Song Hwa|Vladimir Putin|Bank Rossiya|Korea Mining Development Trading
Corporation|Tanchon Commercial Bank|Lazarus Group|Sberbank|Hamas|Yanbian Silverstar|Volasys Silver
Star|Chinyong Information Technology Cooperation Company""".replace("\n", " ").split("|")
TEMPLATES = [
    "{person}, chief executive of {company}, told reporters in {place} on {day} that exports rose {n} percent.",
    "Officials in {place} said {company} had shipped {n} containers through the port last month.",
    "{person} and {person2} met in {place} to discuss the {adj} trade agreement, according to a statement.",
    "Shares of {company} fell {n} percent after {person} resigned as chairman.",
    "The ministry in {place} fined {company} {n} million for breaching export rules.",
    "Analysts at {company} expect growth of {n} percent, said economist {person}.",
    "Investigators said {listed} used front companies in {place} to move money.",
    "A spokesperson for {company} declined to comment on the report by {person}.",
    "In {place}, {person} said the {adj} sanctions had little effect on {company}.",
    "The United Nations panel named {listed} in its latest report on evasion.",
]
ADJ = "new proposed regional bilateral sweeping targeted secondary revised".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday".split()


def corpus(kb: int, seed: int = 7) -> list[str]:
    """Documents of ~4 KB each, ``kb`` KB in total (see the module doc)."""
    from listguard.text.document import load_document

    rng = random.Random(seed)
    fixtures = ROOT / "tests" / "fixtures" / "text"
    articles = [" ".join(load_document(p).visible.split()) for p in sorted(fixtures.glob("article_*"))]
    import argparse as a1, collections, email, json as j1, logging, pathlib, subprocess, threading, unittest  # noqa: E401

    prose = [
        inspect.getdoc(obj) or ""
        for module in (a1, collections, email, j1, logging, pathlib, subprocess, threading, unittest)
        for obj in [module, *[getattr(module, n) for n in dir(module) if not n.startswith("_")]]
    ]
    prose = [p for p in prose if len(p) > 200]

    def wire_paragraph() -> str:
        sentences = []
        for _ in range(rng.randint(3, 7)):
            t = rng.choice(TEMPLATES)
            sentences.append(
                t.format(
                    person=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    person2=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    company=rng.choice(COMPANIES),
                    place=rng.choice(PLACES),
                    listed=rng.choice(LISTED) if rng.random() < 0.25 else rng.choice(COMPANIES),
                    day=rng.choice(DAYS),
                    adj=rng.choice(ADJ),
                    n=rng.randint(2, 90),
                )
            )
        return " ".join(sentences)

    docs: list[str] = []
    total = 0
    while total < kb * 1024:
        parts: list[str] = []
        size = 0
        while size < 4096:
            r = rng.random()
            if r < 0.05:
                part = rng.choice(articles)
            elif r < 0.45:
                part = rng.choice(prose)
            else:
                part = wire_paragraph()
            parts.append(part)
            size += len(part)
        doc = "\n\n".join(parts)
        docs.append(doc)
        total += len(doc.encode())
    return docs


def load_lists(data: Path, which: str) -> list[Any]:
    from listguard.loader import find_lists
    from listguard.sources import parse

    lists = data / "lists"
    if which == "ofac-un":
        paths = [lists / "ofac" / "sdn_latest", next((lists / "un").glob("*.xml"))]
    else:
        candidates, _unknown = find_lists([lists])
        paths = [c.path for c in candidates if "sdn_2021" not in str(c.path)]
    entities: list[Any] = []
    for path in paths:
        try:
            entities.extend(parse(Path(path)).entities)
        except Exception as exc:  # a list that does not parse is reported, not fatal
            print(f"  skipped {path}: {exc}", file=sys.stderr)
    return entities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--lists", choices=("all", "ofac-un"), default="all")
    parser.add_argument("--kb", type=int, default=1024, help="corpus size in KB (default 1024)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    from listguard.index import Index
    from listguard.matching.screener import Screener
    from listguard.text import extract
    from listguard.text.extract import NameAutomaton
    from listguard.text.screen import screen_text

    t0 = time.perf_counter()
    entities = load_lists(args.data, args.lists)
    index = Index.build(entities)
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    auto = NameAutomaton.build(index)
    t_auto = time.perf_counter() - t0
    extract._CACHE.insert(0, (index, auto))
    screener = Screener(index)

    docs = corpus(args.kb)
    size_kb = sum(len(d.encode()) for d in docs) / 1024

    calls = 0
    original = screener.screen

    def counting(*a: Any, **kw: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*a, **kw)

    screener.screen = counting  # type: ignore[method-assign]
    results: dict[str, Any] = {}
    from listguard.text import screen as screen_mod

    screen_mod._VERDICTS.clear()
    for label in ("cold", "warm"):
        calls = 0
        mentions = 0
        t0 = time.perf_counter()
        for doc in docs:
            mentions += len(screen_text(doc, screener, format="text"))
        dt = time.perf_counter() - t0
        results[label] = {"seconds": round(dt, 3), "kb_per_s": round(size_kb / dt, 1), "mentions": mentions, "matcher_calls": calls}

    figures = {
        "lists": args.lists,
        "entities": len(index.entities),
        "names": len(index.names),
        "index_build_s": round(t_index, 1),
        "automaton_build_s": round(t_auto, 2),
        "patterns": auto.stats.get("patterns"),
        "corpus_kb": round(size_kb, 1),
        "documents": len(docs),
        **{f"{k}_{m}": v for k, r in results.items() for m, v in r.items()},
    }
    print(f"lists: {args.lists} ({figures['entities']:,} entities, {figures['names']:,} names); "
          f"index {figures['index_build_s']} s, automaton {figures['automaton_build_s']} s, {figures['patterns']:,} patterns")
    print(f"corpus: {figures['corpus_kb']:,.0f} KB in {len(docs)} documents of ~4 KB")
    for label in ("cold", "warm"):
        r = results[label]
        print(f"{label:>5}: {r['kb_per_s']:8,.0f} KB/s on one core  ({r['seconds']} s, {r['mentions']} mentions, "
              f"{r['matcher_calls']} spans sent to the matcher)")
    target = 500
    print(f"target >= {target} KB/s: {'met' if results['warm']['kb_per_s'] >= target and results['cold']['kb_per_s'] >= target else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
