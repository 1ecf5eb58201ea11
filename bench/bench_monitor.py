"""Monitoring and batch benchmarks (not tests): prints seconds, rows/s and peak memory.

Usage:
    python bench/bench_monitor.py                       # both parts, 1,000,000 records/rows
    python bench/bench_monitor.py --part monitor --records 200000
    python bench/bench_monitor.py --part batch --rows 100000 --workers 2

Part ``monitor`` (issue 4: re-screening cost follows the delta, target < 60 s):
  load OFAC ``sdn_2021-07-07``; register N generated customer records (plus a few dozen written
  from entries OFAC designated later, so the delta has something to find) as a portfolio
  screened against that version; load ``sdn_latest``; time the monitoring run that re-screens
  the portfolio against the real three-year delta. The initial screening of the N records is the
  batch job's work (part ``batch``), so by default the setup marks them screened against 2021
  directly in the database; ``--screen-initial`` screens them for real instead. The run is timed
  twice: *cold* (the portfolio's search index is built first, which happens once after a large
  ``monitor add``) and *warm* (index cached: every later list update). The target is the warm
  figure; both are printed.

Part ``batch`` (issue 4: ``screen-file`` at scale, target < 10 min and < 2 GB):
  as a user runs it: ``listguard load`` every list under ../shared/data/lists, ``listguard
  screen`` once (builds and caches the index), generate an N-row customer CSV, then time
  ``listguard screen-file customers.csv -o out.jsonl --report report.html --workers W`` in its
  own process. Peak memory is the proportional set size (PSS) of that command and its worker
  processes summed, sampled twice a second: pages the workers share with the parent
  (copy-on-write) count once, not once per process as summing RSS would.

Each part runs in its own fresh ``LISTGUARD_HOME`` (a temporary folder).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LISTS = Path(os.environ.get("LISTGUARD_SHARED_DATA", ROOT.parent / "shared" / "data")) / "lists"

GIVEN = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Sandra Anthony Ashley "
    "Mark Emily Donald Donna Steven Michelle Paul Carol Andrew Amanda Joshua Melissa Kenneth Deborah Kevin "
    "Stephanie Brian Rebecca George Sharon Timothy Laura Ronald Cynthia Jason Kathleen Edward Amy Jeffrey "
    "Angela Ryan Shirley Jacob Anna Gary Brenda Nicholas Pamela Eric Emma Jonathan Nicole Stephen Helen "
    "Larry Samantha Justin Katherine Scott Christine Brandon Debra Benjamin Rachel Samuel Carolyn Gregory "
    "Janet Alexander Catherine Frank Maria Patrick Heather Raymond Diane Jack Ruth Dennis Julie Jerry Olivia "
    "Hans Klaus Jurgen Ursula Monika Sabine Pierre Jean Marie Claire Sophie Luc Giovanni Giuseppe Francesca "
    "Chiara Alessandro Javier Carmen Lucia Pablo Alejandro Sofia Joao Ana Pedro Beatriz Lars Ingrid Sven "
    "Astrid Pieter Anouk Jan Katarzyna Piotr Agnieszka Tomasz Eva Petr Jana Istvan Zsofia Dimitrios Eleni "
    "Mehmet Ayse Mustafa Fatma Emre Zeynep Hiroshi Yuki Takashi Sakura Kenji Wei Fang Jun Li Mei Hao Min "
    "Raj Priya Amit Sunita Arjun Deepa Kwame Ama Kofi Abena Chinedu Ngozi Tunde Aisha Omar Layla Karim Nadia "
    "Yusuf Samir Rania Tariq Leila Hamza Ines Kai Lena Finn Mia Noah Ella Liam Ava Lucas Chloe Mateo Isla"
).split()
FAMILY = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Muller Schmidt Schneider Fischer Weber Meyer "
    "Wagner Becker Schulz Hoffmann Dubois Durand Lefebvre Moreau Laurent Simon Michel Rossi Russo Ferrari "
    "Esposito Bianchi Romano Colombo Ricci Fernandez Gomez Diaz Alvarez Romero Navarro Silva Santos Oliveira "
    "Souza Pereira Costa Jansen DeVries Bakker Visser Smit Nowak Kowalski Wisniewski Wojcik Novak Svoboda "
    "Dvorak Nagy Horvath Papadopoulos Yilmaz Kaya Demir Sahin Celik Sato Suzuki Takahashi Tanaka Watanabe "
    "Wang Zhang Liu Chen Yang Huang Zhao Wu Zhou Sharma Patel Singh Kumar Gupta Mensah Owusu Okafor Adeyemi "
    "Haddad Khoury Nasser Saleh Mansour Farouk Aziz Lindqvist Andersson Johansson Karlsson Nielsen Hansen "
    "Jensen Larsen Olsen Berg Haugen Virtanen Korhonen Murphy Kelly OBrien Byrne Walsh Campbell Stewart "
    "Thornbury Ashdown Pemberton Whitfield Castellanos Montague Fairweather Kingsley Blackwood Hargreaves"
).split()
WORDS = (
    "Global Northern Blue River Summit Pioneer Harbor Maple Cedar Granite Silver Golden Crescent Meridian "
    "Atlas Orion Apex Vertex Evergreen Lakeside Highland Coastal Prairie Urban Metro Quantum Nova Sterling "
    "Beacon Horizon Keystone Liberty Heritage Riverside Oakwood Pinecrest Redwood Westfield Eastgate"
).split()
TRADES = (
    "Trading Logistics Consulting Holdings Foods Textiles Dental Partners Engineering Software Farms "
    "Shipping Capital Ventures Bakery Construction Pharmacy Electronics Motors Imports Exports Studios"
).split()
FORMS = ("Ltd", "LLC", "GmbH", "S.A.", "Inc.", "B.V.", "S.r.l.", "AB", "Oy", "PLC", "Co.", "SAS")
COUNTRIES = ("gb", "us", "de", "fr", "it", "es", "nl", "pl", "se", "no", "jp", "cn", "in", "ng", "br", "mx", "ca", "au")


def generate(n: int, seed: int = 7, extra: list[dict[str, str]] | None = None) -> "list[dict[str, str]]":
    """N customer rows: 80% people, 20% companies, realistic-looking and mostly clean."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for i in range(n):
        if rng.random() < 0.8:
            name = f"{rng.choice(GIVEN)} {rng.choice(GIVEN) + ' ' if rng.random() < 0.2 else ''}{rng.choice(FAMILY)}"
            dob = f"{rng.randint(1930, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            rows.append({"id": f"C{i:07d}", "name": name, "schema": "Person", "birth_date": dob, "country": rng.choice(COUNTRIES)})
        else:
            name = f"{rng.choice(FAMILY) if rng.random() < 0.5 else rng.choice(WORDS)} {rng.choice(TRADES)} {rng.choice(FORMS)}"
            rows.append({"id": f"C{i:07d}", "name": name, "schema": "Company", "birth_date": "", "country": rng.choice(COUNTRIES)})
    for j, row in enumerate(extra or []):
        rows[(j * 7919) % n] = {**row, "id": rows[(j * 7919) % n]["id"]}
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "name", "schema", "birth_date", "country"])
        writer.writeheader()
        writer.writerows(rows)


def peak_mb() -> tuple[float, float]:
    """(this process, largest child) peak RSS in MB."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _later_designated(n: int = 40) -> list[dict[str, str]]:
    """Customers written from people and companies OFAC designated after 2021-07-07."""
    from listguard.sources import ofac

    old = {e.id for e in ofac.parse(LISTS / "ofac" / "sdn_2021-07-07").entities}
    new = [e for e in ofac.parse(LISTS / "ofac" / "sdn_latest").entities if e.id not in old and e.schema in ("Person", "Organization")]
    rng = random.Random(11)
    out = []
    for e in rng.sample(new, n):
        name = e.caption
        if e.schema == "Person" and "," in name:  # written as a customer would: given names first
            last, first = (p.strip() for p in name.split(",", 1))
            name = f"{first.split()[0]} {last.title()}"
        out.append({"name": name, "schema": "Person" if e.schema == "Person" else "Company", "birth_date": (e.get("birthDate") or [""])[0], "country": ""})
    return out


def bench_monitor(n: int, screen_initial: bool) -> None:
    import orjson
    from sqlalchemy import update

    from listguard.batch import read_rows
    from listguard.loader import find_lists, load_candidate
    from listguard.monitor import rescreen
    from listguard.monitor import schema as t
    from listguard.monitor.portfolio import PortfolioIndex, add_records, remove_cache
    from listguard.store import open_store

    store = open_store()
    t.ensure_schema(store.engine)
    cands, _ = find_lists([LISTS / "ofac" / "sdn_2021-07-07"])
    v1 = load_candidate(store, cands[0]).version
    assert v1 is not None
    print(f"[monitor] loaded sdn_2021-07-07: {v1.entity_count:,} entities")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.csv"
        t0 = time.perf_counter()
        write_csv(generate(n, extra=_later_designated()), path)
        print(f"[monitor] generated {n:,} customer records in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        report = add_records(store.engine, "bench", read_rows(path, unique_ids=True), actor="bench")
        print(f"[monitor] monitor add (store {report.added:,} records, no screening): {time.perf_counter() - t0:.1f} s")
    if screen_initial:
        t0 = time.perf_counter()
        first = rescreen.run(store, "bench", actor="bench", trigger="add", deliver=False)
        print(f"[monitor] initial screening of {first.records_screened:,} records: {time.perf_counter() - t0:.1f} s, {sum(first.raised.values()):,} alerts")
    else:
        with store.engine.begin() as conn:
            conn.execute(update(t.records).where(t.records.c.portfolio == "bench").values(dirty=0, screened_hash=t.records.c.hash, screened_data=t.records.c.data))
            conn.execute(update(t.portfolios).where(t.portfolios.c.name == "bench").values(watermark=orjson.dumps({v1.dataset: v1.id}).decode(), initial_done=1))
        print("[monitor] setup: records marked screened against sdn_2021-07-07 (use --screen-initial to screen them)")
    cands, _ = find_lists([LISTS / "ofac" / "sdn_latest"])
    v2 = load_candidate(store, cands[0]).version
    assert v2 is not None
    print(f"[monitor] loaded sdn_latest: {v2.entity_count:,} entities")
    # warm the list index cache (shared by every run against these versions)
    rescreen.Matcher(store, {v2.dataset: v2.id})
    for label, cold in (("cold (portfolio index built in the run)", True), ("warm (portfolio index cached)", False)):
        if cold:
            remove_cache(store.engine, "bench")
        else:
            PortfolioIndex(store.engine, "bench").refresh()
        # re-run the same delta: put the watermark back and drop the first run's alerts' effect
        with store.engine.begin() as conn:
            conn.execute(update(t.portfolios).where(t.portfolios.c.name == "bench").values(watermark=orjson.dumps({v1.dataset: v1.id}).decode()))
        t0 = time.perf_counter()
        run = rescreen.run(store, "bench", actor="bench", deliver=False)
        seconds = time.perf_counter() - t0
        self_mb, _ = peak_mb()
        print(
            f"[monitor] re-screen after the OFAC delta, {label}: {seconds:.1f} s "
            f"(delta +{run.entities_added:,} ~{run.entities_changed:,} -{run.entities_removed:,}; "
            f"{run.candidates_retrieved:,} candidate records; raised {dict(run.raised)}; "
            f"kept known {run.suppressed_known:,}) timings { {k: round(v, 1) for k, v in run.timings.items()} } "
            f"peak {self_mb:,.0f} MB"
        )
    print(f"[monitor] target: warm re-screen of {n:,} records < 60 s: {'met' if seconds < 60 else 'NOT met'} ({seconds:.1f} s)")


def _tree_pss_mb(root: int) -> float:
    """PSS of a process and all its descendants (shared pages counted once)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                todo += [int(p) for p in fh.read().split()]
        except OSError:
            pass
    return sum(_pss_mb(p) for p in pids)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "listguard.cli", *args]


def bench_batch(n: int, workers: int) -> None:
    """The job as a user runs it: ``listguard load`` (once), then ``listguard screen-file`` in
    its own process; its time and the peak PSS of its process tree (the command and its
    workers) are what is measured."""
    import subprocess

    t0 = time.perf_counter()
    subprocess.run(_cli("load", str(LISTS)), check=True, stdout=subprocess.DEVNULL)
    print(f"[batch] listguard load {LISTS}: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    subprocess.run(_cli("screen", "John Smith"), check=True, stdout=subprocess.DEVNULL)
    print(f"[batch] index built and cached (listguard screen): {time.perf_counter() - t0:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "customers.csv"
        t0 = time.perf_counter()
        rows = generate(n, seed=21, extra=_later_designated())
        distinct = len({(r["name"], r["schema"]) for r in rows})
        write_csv(rows, src)
        del rows
        print(
            f"[batch] generated {n:,} rows in {time.perf_counter() - t0:.1f} s; {distinct:,} distinct "
            f"(name, schema) pairs ({distinct / n:.0%}): a repeated name reuses its cached name stage "
            "in the worker that saw it, birth date and country are scored per row"
        )
        out, report = Path(tmp) / "out.jsonl", Path(tmp) / "report.html"
        cmd = _cli("screen-file", str(src), "-o", str(out), "--report", str(report), "--workers", str(workers))
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        peak = 0.0
        last = started
        while proc.poll() is None:
            peak = max(peak, _tree_pss_mb(proc.pid))
            time.sleep(0.5)
            if time.perf_counter() - last > 60:
                last = time.perf_counter()
                print(f"[batch]   {last - started:.0f} s, PSS {peak:,.0f} MB so far", flush=True)
        seconds = time.perf_counter() - started
        message = (proc.stderr.read() if proc.stderr else "").strip()
        if proc.returncode:
            raise SystemExit(f"screen-file failed ({proc.returncode}): {message}")
        with open(out, "rb") as fh:
            lines = sum(1 for _ in fh)
        size = out.stat().st_size
    print(f"[batch] {message}")
    print(
        f"[batch] listguard screen-file {lines:,} rows with {workers} worker(s): {seconds:.1f} s "
        f"({lines / seconds:,.0f} rows/s), output {size / 1e6:,.0f} MB + HTML report; peak memory "
        f"(PSS of the command and its workers) {peak:,.0f} MB"
    )
    print(f"[batch] target: < 600 s and < 2048 MB: {'met' if seconds < 600 and peak < 2048 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("monitor", "batch", "all"), default="all")
    parser.add_argument("--records", type=int, default=1_000_000, help="portfolio size (part monitor)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="batch rows (part batch)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--screen-initial", action="store_true", help="screen the portfolio for real in the setup")
    args = parser.parse_args()
    if not LISTS.exists():
        raise SystemExit(f"shared lists not found at {LISTS} (set LISTGUARD_SHARED_DATA)")
    for part in (("monitor", "batch") if args.part == "all" else (args.part,)):
        with tempfile.TemporaryDirectory() as home:
            os.environ["LISTGUARD_HOME"] = home
            os.environ.pop("LISTGUARD_DATABASE_URL", None)
            if part == "monitor":
                bench_monitor(args.records, args.screen_initial)
            else:
                bench_batch(args.rows, args.workers)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
