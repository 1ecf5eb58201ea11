"""Matching quality held to its published held-out figures: a regression fails CI.

Every evaluation set is split into a tuning half and a held-out half
(:mod:`listguard.evaluation.split`); the README publishes the held-out figures and these tests
pin them as bounds (measured minus a small margin, so an honest improvement elsewhere that
costs a query or two does not fail, but a real regression does). The runs are deterministic:
fixed seeds, fixed data. Update a bound only together with the README's table, and only
upwards unless the change that lowers it is argued in its commit.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SHARED_DATA, require_shared

#: Held-out lower bounds on recall@match, per screening set (README "Matching quality";
#: measured at commit 0e62322: latin_variants 0.960, original_script 0.703, wikidata_ko 0.558,
#: putin 0.857).
RECALL_FLOOR = {
    "latin_variants": 0.95,
    "original_script": 0.69,
    "wikidata_ko": 0.54,
    "putin": 0.84,
}
#: Held-out upper bounds on the share of queries with a false match (measured 0.0093).
FALSE_MATCH_CEILING = {"non_listed": 0.012}
#: ... per customer population: measured plus half a point (4-5 queries of ~900). The target
#: is 1% in every population; the README says which populations do not meet it yet, and these
#: bounds stop them getting worse.
POPULATION_CEILING = {
    "chinese_pinyin": 0.016,  # measured 0.0101
    "korean_rr": 0.018,  # measured 0.0130
    "korean_mr": 0.014,  # measured 0.0086
    "korean_passport": 0.012,  # measured 0.0065
    "arabic_mashriq": 0.021,  # measured 0.0156
    "arabic_maghreb": 0.019,  # measured 0.0131
    "persian": 0.011,  # measured 0.0056
    "russian": 0.022,  # measured 0.0169
    "vietnamese": 0.005,  # measured 0.0000
    "turkish": 0.009,  # measured 0.0034
    "indian": 0.007,  # measured 0.0011
    "nigerian": 0.014,  # measured 0.0084
    "bangladeshi": 0.014,  # measured 0.0081
    "indonesian_malay": 0.01,  # measured 0.0046
    "japanese": 0.008,  # measured 0.0022
    "hispanic": 0.015,  # measured 0.0097
    "anglo": 0.015,  # measured 0.0099
    "east_african": 0.005,  # measured 0.0000
}
#: ... and over all populations together (measured 0.0078).
ALL_POPULATIONS_CEILING = 0.01
#: Held-out lower bound on F1 of ``match`` over the labelled name pairs (measured 0.896).
PAIRS_F1_FLOOR = 0.88


@pytest.fixture(scope="module")
def screening() -> dict[str, Any]:
    require_shared()
    from listguard.evaluation.screening import evaluate_screening

    return evaluate_screening(SHARED_DATA, population_part="heldout")


def _group(result: dict[str, Any], set_name: str, group: str) -> dict[str, Any]:
    for g in result["groups"]:
        if g["set"] == set_name and g["group"] == group:
            return g["results"]["listguard"]
    raise AssertionError(f"no group {set_name}/{group} in the screening results")


@pytest.mark.slow
def test_heldout_recall_holds(screening: dict[str, Any]) -> None:
    for set_name, floor in RECALL_FLOOR.items():
        got = _group(screening, set_name, "all@heldout")["recall_match"]
        assert got >= floor, f"{set_name} held-out recall@match {got} < {floor}"


@pytest.mark.slow
def test_heldout_false_matches_hold(screening: dict[str, Any]) -> None:
    for set_name, ceiling in FALSE_MATCH_CEILING.items():
        got = _group(screening, set_name, "all@heldout")["false_alert_query_rate"]
        assert got <= ceiling, f"{set_name} held-out false-match rate {got} > {ceiling}"
    for pop, ceiling in POPULATION_CEILING.items():
        tally = _group(screening, "populations", f"{pop}@heldout")
        assert tally["n"] >= 500, f"population {pop} held-out half too small ({tally['n']})"
        got = tally["false_alert_query_rate"]
        assert got <= ceiling, f"population {pop}: held-out false-match rate {got} > {ceiling}"
    got = _group(screening, "populations", "all@heldout")["false_alert_query_rate"]
    assert got <= ALL_POPULATIONS_CEILING, f"all populations: held-out false-match rate {got}"


def test_heldout_pairs_f1_holds() -> None:
    require_shared()
    from listguard.evaluation.pairs import evaluate_pairs

    result = evaluate_pairs(SHARED_DATA / "eval", peers=False)
    groups = {(g["kind"], g["group"]): g for g in result["groups"]}
    f1 = groups[("overall", "all@heldout")]["results"]["listguard"]["default"]["f1"]
    assert f1 >= PAIRS_F1_FLOOR, f"held-out pair F1 {f1} < {PAIRS_F1_FLOOR}"
    # both halves are there and together are the whole file
    n = groups[("overall", "all@tuning")]["n"] + groups[("overall", "all@heldout")]["n"]
    assert n == groups[("overall", "all")]["n"]
