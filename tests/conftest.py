"""Shared test fixtures: where the official list snapshots live, and a throwaway store home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: ../shared/data beside the checkout (CI lays it there); LISTGUARD_SHARED_DATA overrides.
SHARED_DATA = Path(os.environ.get("LISTGUARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
LISTS = SHARED_DATA / "lists"
EVAL = SHARED_DATA / "eval"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_shared() -> None:
    """Fail loudly (not skip) when the shared data is missing: those tests guard real lists."""
    if not LISTS.exists():
        raise RuntimeError(
            f"shared data not found at {SHARED_DATA}; put ../shared beside the checkout "
            "or set LISTGUARD_SHARED_DATA"
        )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty LISTGUARD_HOME for one test."""
    h = tmp_path / "home"
    monkeypatch.setenv("LISTGUARD_HOME", str(h))
    monkeypatch.delenv("LISTGUARD_DATABASE_URL", raising=False)
    return h
