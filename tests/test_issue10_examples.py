"""The examples of the matching-precision issue, against every shared list loaded together.

Regression checks of reported behaviour (the rules behind them are argued and tested on
independent data elsewhere): common customer names that hit other listed people, listed names
typed as listed that found nothing, organisation words abbreviated or changed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SHARED_DATA, require_shared


@pytest.fixture(scope="module")
def screener() -> Any:
    require_shared()
    from listguard.evaluation.datasets import load_lists
    from listguard.index import Index
    from listguard.matching.screener import Screener

    return Screener(Index.build(load_lists(SHARED_DATA).entities))


def _matches(screener: Any, name: str, schema: str | None) -> list[tuple[str, str, float]]:
    from listguard.matching.query import Query

    hits = screener.screen(Query(names=[name], schema=schema), limit=10)
    return [(h.entity_id, h.matched_name, h.score) for h in hits if h.match]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["Zheng Jun", "Li Jie", "Yu Li", "Kim Sung-min", "Chen Wei", "JAYA"],
)
def test_common_customer_names_do_not_match_other_listed_people(screener: Any, name: str) -> None:
    assert _matches(screener, name, "Person" if name != "JAYA" else None) == []


@pytest.mark.slow
def test_kim_jong_un_matches_him_not_kim_tong_un(screener: Any) -> None:
    got = _matches(screener, "Kim Jong Un", "Person")
    assert got and all(name.casefold().replace(",", "").split() in (["kim", "jong", "un"],) for _i, name, _s in got), got
    assert "gb_fcdo_sanctions:DPR0025" not in {i for i, _n, _s in got}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, schema, entity",
    [
        ("110TH RESEARCH CENTER", None, "us_ofac_sdn:43338"),
        ("UNIT 110", None, "us_ofac_sdn:43338"),
        ("Lab 110", None, "us_ofac_sdn:43338"),
        ("7-28", None, "us_ofac_sdn:23156"),
        ("10 SHIPYARD", None, "us_ofac_sdn:36053"),
        ("JSC ZAVOD NO. 9", None, "us_ofac_sdn:47478"),
        ("RA-82014", "Airplane", "us_ofac_sdn:43192"),
        ("FU YUAN YU 7601", "Vessel", "us_ofac_sdn:33765"),
        ("CHLODWIG ENTERPRISES LTD", "Organization", "us_ofac_sdn:38219"),
        ("Mahan Airlines", "Organization", "us_ofac_sdn:12927"),
        ("Islamic Rep of Iran Shipping Line", "Organization", "us_ofac_sdn:25396"),
        ("Chong Song-hwa", "Person", "us_ofac_sdn:24979"),
    ],
)
def test_listed_names_and_their_everyday_forms_are_found(screener: Any, name: str, schema: str | None, entity: str) -> None:
    assert entity in {i for i, _n, _s in _matches(screener, name, schema)}
