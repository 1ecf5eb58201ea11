"""The test session's index memo (conftest.IndexMemo) held against real builds.

Every official list in the shared data is indexed by a real ``Index.build`` here, with the
memo out of the way, at least once per CI run; where the memo holds an index of the same list
(another test built it), the two must be equal, field by field. And the memo's key must move
with everything a build reads: its options and the package's data files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import LISTS, IndexMemo, require_shared

#: Folder loads of the shared data (FollowTheMoney samples are not official lists).
SHARED_LISTS = sorted(
    p
    for p in [*LISTS.glob("*/*")]
    if p.is_dir() or p.suffix in (".xml", ".ods", ".xlsx", ".gz")
) if LISTS.exists() else []


def _state(index: Any) -> dict[str, Any]:
    """Everything an index holds (what it pickles), the weights as their tables (their
    lookup cache fills as queries run)."""
    state = {name: getattr(index, name) for name in type(index).__slots__ if name != "_by_id"}
    w = state["weights"]
    state["weights"] = (w.df, w.skel_df, w.n)
    return state


def _entities(path: Path) -> list[Any]:
    from listguard.loader import find_lists

    candidates, _ = find_lists([path])
    assert len(candidates) == 1, path
    return list(candidates[0].module.parse(candidates[0].path).entities)


@pytest.fixture(scope="module")
def memo(_index_memo: IndexMemo | None) -> IndexMemo | None:
    return _index_memo


def test_the_shared_lists_are_all_here() -> None:
    require_shared()
    assert len(SHARED_LISTS) >= 7, SHARED_LISTS


@pytest.mark.slow
@pytest.mark.parametrize("path", SHARED_LISTS, ids=lambda p: p.name)
def test_real_build_of_each_shared_list(path: Path, memo: IndexMemo | None) -> None:
    from listguard.index import Index

    require_shared()
    entities = _entities(path)
    if memo is None:  # LISTGUARD_TEST_REBUILD_INDEX=1: every build is real anyway
        index = Index.build(entities)
        assert len(index) == len(entities)
        return
    key = memo.key(entities)
    shared = memo._built.get(key) if key is not None else None
    real = memo.real_build(entities)
    assert len(real) == len(entities) and real.stats()["names"] > 0
    if shared is not None:  # another test got the memo's copy: it must be what a build makes
        assert _state(shared.index) == _state(real)


def test_memo_key_follows_options_and_data_files(memo: IndexMemo | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if memo is None:
        pytest.skip("the memo is off (LISTGUARD_TEST_REBUILD_INDEX=1)")
    from listguard.model import Entity
    from listguard.names import variants, weights

    entities = [Entity(id=f"t:{i}", schema="Person", dataset="t", properties={"name": [f"Name {i}"]})
                for i in range(3000)]
    key = memo.key(entities)
    assert key is not None and key == memo.key(entities, progress=print)  # progress changes nothing
    assert memo.key(entities, keep_records=True) is None  # the caller's own objects: never shared
    assert memo.key(entities[:10]) is None  # small hand-made sets always build for real
    monkeypatch.setattr(variants, "VARIANTS_FILE", "other_variants.txt.gz")
    assert memo.key(entities) != key
    monkeypatch.undo()
    monkeypatch.setattr(weights, "FREQ_FILE", "other_freq.tsv")
    assert memo.key(entities) != key
