#!/usr/bin/env python
"""Run the matching evaluation and print the tables (listguard vs nomenklatura peers).

    python bench/eval_matching.py [--set pairs|screening|all] [--json] [--no-peers] [-o out.json]

Same as ``listguard eval``; results also go to bench/out/eval_matching.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from listguard.evaluation import SETS, run  # noqa: E402
from listguard.evaluation.report import print_report, to_json  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="all", choices=SETS)
    parser.add_argument("--json", action="store_true", help="print the JSON results instead of tables")
    parser.add_argument("--no-peers", action="store_true", help="skip nomenklatura")
    parser.add_argument("--data", default=None, help="shared data folder (default ../shared/data)")
    parser.add_argument("-o", "--output", default=str(ROOT / "bench" / "out" / "eval_matching.json"))
    args = parser.parse_args()
    results = run(args.set, peers=not args.no_peers, shared=args.data)
    text = to_json(results)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if args.json:
        print(text)
    else:
        print_report(results)
        print(f"(full results: {out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
