"""Load benchmark: every list under a folder, from scratch, seconds and peak memory per list.

Usage:  python bench/bench_load.py [LISTS_DIR]      (default: ../shared/data/lists)

Each list is loaded into a fresh store in its own subprocess so its peak memory (max RSS) is
its own; then all lists are loaded together into one fresh store, in one process, which is the
figure the target (all lists < 10 s, < 500 MB on 2 cores) is about. Parse and store times are
reported separately because they fail for different reasons.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LISTS = ROOT.parent / "shared" / "data" / "lists"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from listguard.loader import find_lists
from listguard.store import open_store
paths = [Path(p) for p in sys.argv[1:]]
t0 = time.perf_counter()
cands, _ = find_lists(paths)
store = open_store()
rows = []
for c in cands:
    a = time.perf_counter()
    result = c.module.parse(c.path)
    b = time.perf_counter()
    store.load(result, source=str(c.path))
    d = time.perf_counter()
    rows.append({"path": str(c.path), "dataset": result.dataset, "entities": len(result.entities),
                 "parse_s": b - a, "store_s": d - b})
total = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "total_s": total, "peak_mb": peak_mb}))
"""


def run(paths: list[Path]) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LISTGUARD_HOME": home}
        env.pop("LISTGUARD_DATABASE_URL", None)
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, *map(str, paths)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"load of {paths} failed:\n{proc.stderr}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    lists = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LISTS
    from listguard.loader import find_lists

    candidates, unknown = find_lists([lists])
    print(f"{'list':<58} {'dataset':<20} {'entities':>9} {'parse s':>8} {'store s':>8} {'peak MB':>8}")
    for cand in candidates:
        res = run([cand.path])
        row = res["rows"][0]
        name = str(cand.path.relative_to(lists))
        print(
            f"{name:<58} {row['dataset']:<20} {row['entities']:>9,} {row['parse_s']:>8.2f} "
            f"{row['store_s']:>8.2f} {res['peak_mb']:>8.0f}"
        )
    res = run([lists])
    n = sum(r["entities"] for r in res["rows"])
    print(
        f"\nALL {len(res['rows'])} publications together, one process, fresh store: "
        f"{n:,} entities in {res['total_s']:.2f} s, peak {res['peak_mb']:.0f} MB "
        f"(target < 10 s and < 500 MB: {'met' if res['total_s'] < 10 and res['peak_mb'] < 500 else 'NOT met'})"
    )
    for path in unknown:
        print(f"skipped (unknown format): {path}")


if __name__ == "__main__":
    main()
