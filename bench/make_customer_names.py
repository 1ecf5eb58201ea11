"""Regenerate ``src/listguard/evaluation/data/customer_names.tsv.gz`` from names-dataset.

Why: the customer populations of the precision evaluation (see
:mod:`listguard.evaluation.populations`) need the given and family names real people of many
countries carry, with how common each is. names-dataset (Philippe Remy, MIT licence, PyPI
``names-dataset==3.3.1``) ranks first and last names per country from a large public sample of
social-network profiles. This script keeps, per country, the most common names in the script
customers of that country use (Latin; Hangul for Korea, Cyrillic for Russia, Ukraine, Belarus and
Kazakhstan, romanised later by the population builder), with their rank and gender counts.

It is general data about names, unrelated to any evaluation item. Run once by hand:

    pip download --no-deps -d /tmp/nd names-dataset==3.3.1 && cd /tmp/nd && unzip -o -q *.whl
    python bench/make_customer_names.py /tmp/nd/names_dataset/v3
"""

from __future__ import annotations

import gzip
import pickle
import re
import sys
from collections import defaultdict
from pathlib import Path

COUNTRIES = (
    "CN TW HK KR JP RU UA BY KZ SA AE EG IQ SY JO LB DZ MA TN SD IR AF TR IN BD NG GH ET "
    "ID MY PH SG GB US DE FR ES MX BR IT PL"
).split()
NATIVE = {"KR": re.compile(r"^[\uac00-\ud7a3]{1,3}$"), "RU": re.compile(r"^[\u0400-\u04ff]{2,}$")}
NATIVE["UA"] = NATIVE["BY"] = NATIVE["KZ"] = NATIVE["RU"]
LATIN = re.compile(r"^[A-Za-z]{2,}$")
PER_KIND = 400
OUT = Path(__file__).resolve().parents[1] / "src/listguard/evaluation/data/customer_names.tsv.gz"


def main(folder: str) -> None:
    rows: list[str] = []
    for kind in ("first", "last"):
        with gzip.open(Path(folder) / f"{kind}_names.pkl.gz", "rb") as fh:
            table = pickle.load(fh)
        per: dict[str, list[tuple[int, str, int, int]]] = defaultdict(list)
        for name, info in table.items():
            gender = info.get("gender") or {}
            for country, rank in info["rank"].items():
                if country not in COUNTRIES or rank is None:
                    continue
                native = NATIVE.get(country)
                if LATIN.match(name) or (native is not None and native.match(name)):
                    male = round((gender.get("M") or 0) * 100)
                    female = round((gender.get("F") or 0) * 100)
                    per[country].append((rank, name, male, female))
        del table
        for country in COUNTRIES:
            for rank, name, male, female in sorted(per[country])[:PER_KIND]:
                rows.append(f"{country}\t{kind}\t{rank}\t{name}\t{male}\t{female}")
    header = ("# country\tkind\trank\tname\tmale%\tfemale%  (names-dataset 3.3.1, MIT, "
              "github.com/philipperemy/name-dataset; top names per country)\n")
    OUT.write_bytes(gzip.compress((header + "\n".join(rows) + "\n").encode("utf-8"), 9, mtime=0))
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/nd/names_dataset/v3")
