"""Shared test fixtures: where the official list snapshots live, and a throwaway store home."""

from __future__ import annotations

import hashlib
import inspect
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson
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


def pytest_sessionstart(session: pytest.Session) -> None:
    """CI sets LISTGUARD_REQUIRE_POSTGRES=1: the PostgreSQL tests must then run, not skip."""
    if os.environ.get("LISTGUARD_REQUIRE_POSTGRES") == "1" and not os.environ.get("LISTGUARD_TEST_POSTGRES_URL"):
        raise pytest.UsageError(
            "LISTGUARD_REQUIRE_POSTGRES=1 but LISTGUARD_TEST_POSTGRES_URL is not set: start a server "
            "(bash .ci/postgres.sh prints its URL) or unset LISTGUARD_REQUIRE_POSTGRES"
        )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty LISTGUARD_HOME for one test."""
    h = tmp_path / "home"
    monkeypatch.setenv("LISTGUARD_HOME", str(h))
    monkeypatch.delenv("LISTGUARD_DATABASE_URL", raising=False)
    return h


# -- the matching index over a real list, built once per content per session ------------------
#: Only inputs this large are memoised: the official lists (OFAC SDN alone is ~9,000-15,000
#: entities). The unit tests' hand-made entity sets always go through a real build.
INDEX_MEMO_MIN_ENTITIES = 2000
#: LISTGUARD_TEST_REBUILD_INDEX=1 switches the memo off (every build is a real build).
INDEX_MEMO_ENABLED = os.environ.get("LISTGUARD_TEST_REBUILD_INDEX", "") in ("", "0")


#: Index.build's arguments that do not change what it builds (a progress callback).
_NOT_IN_KEY = frozenset({"entities", "progress"})
_file_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    digest = _file_digests.get(key)
    if digest is None:
        digest = _file_digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def _build_inputs_key() -> str:
    """What a build reads besides its arguments, as of now: the package's data files (the name
    variant table, the token frequency table, the legal words...), which of them the name
    modules are set to read, and the code that analyses names and builds the index (with the
    package version). A test that swaps one of these never gets an index built from the old."""
    import listguard
    from listguard.names import variants, weights

    package = Path(listguard.__file__).resolve().parent
    h = hashlib.sha256(f"{listguard.__version__}|{variants.VARIANTS_FILE}|{weights.FREQ_FILE}".encode())
    code = [package / "index.py", package / "model.py", *sorted((package / "names").glob("*.py"))]
    for path in [*sorted((package / "data").iterdir()), *code]:
        if path.is_file():
            h.update(f"{path.relative_to(package)}:{_file_digest(path)}\n".encode())
    return h.hexdigest()


def _content_key(entities: list[Any]) -> str:
    """Hash of the exact input: every entity, in order, every field in its own order."""
    h = hashlib.sha256()
    for e in entities:
        h.update(type(e).__qualname__.encode())
        h.update(orjson.dumps(e.to_dict()))
        h.update(b"\n")
    return h.hexdigest()


class IndexMemo:
    """``Index.build`` memoised on everything it reads, for the real lists.

    Many end-to-end tests (CLI ``load`` + monitoring, the HTTP service and its reloader, the
    UI) build the matching index over the same official list again and again through their
    own code paths: each home, database and version id is new, so the product's on-disk index
    cache rightly never hits. The index is a pure function of the entities given, and it is
    immutable ("build with build; never mutate"): the first build of a content is a real
    ``Index.build``; a later build of the identical content (same entities, same order, every
    field in its own order), with the same other arguments and the same data files and code
    (:func:`_build_inputs_key`), returns that same read-only index, as a server shares one
    index between all its requests. ``progress`` sees the calls a real build makes.

    Each of those paths also writes the index to its on-disk cache (a pickle): the pickled
    state of a shared index is computed once and reused, so the bytes written are the same.

    A shared index whose entities or shape changed since it was built (something mutated it)
    fails the build or the pickling that would reuse it, loudly.
    """

    def __init__(self, build: Callable[..., Any], reduce: Callable[[Any], Any]) -> None:
        self._build = build  # the bound classmethod Index.build
        self._reduce = reduce  # Index.__reduce__
        self._signature = inspect.signature(build)
        self._built: dict[str, _Shared] = {}
        self._by_object: dict[int, _Shared] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def real_build(self, *args: Any, **kwargs: Any) -> Any:
        """``Index.build`` itself, never memoised."""
        return self._build(*args, **kwargs)

    def key(self, *args: Any, **kwargs: Any) -> str | None:
        """The memo key of a build with these arguments (None: not memoised)."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if bound.arguments.get("keep_records"):  # the index then holds the caller's own objects
            return None
        items = bound.arguments["entities"]
        if not isinstance(items, list) or len(items) < INDEX_MEMO_MIN_ENTITIES:
            return None
        options = {k: v for k, v in bound.arguments.items() if k not in _NOT_IN_KEY}
        return "|".join((_content_key(items), repr(sorted(options.items())), _build_inputs_key()))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self._signature.bind(*args, **kwargs)
        bound.arguments["entities"] = items = list(bound.arguments["entities"])
        args, kwargs = bound.args, bound.kwargs
        progress = bound.arguments.get("progress")
        key = self.key(*args, **kwargs)
        if key is None:
            return self._build(*args, **kwargs)
        with self._lock:
            shared = self._built.get(key)
        if shared is None:
            index = self._build(*args, **kwargs)
            with self._lock:
                if key not in self._built:
                    shared = _Shared(index, _content_key(index.entities), index.stats())
                    self._built[key] = shared
                    self._by_object[id(index)] = shared
                self.misses += 1
            return index
        shared.check()
        with self._lock:
            self.hits += 1
        if progress is not None:  # the calls a real build makes: every 1,000 and at the end
            for done in range(1000, len(items) + 1, 1000):
                progress(done)
            progress(len(items))
        return shared.index

    def reduce(self, index: Any) -> Any:
        """``Index.__reduce__``: computed once per shared index (it never changes)."""
        shared = self._by_object.get(id(index))
        if shared is None or shared.index is not index:
            return self._reduce(index)
        shared.check()
        if shared.reduced is None:
            shared.reduced = self._reduce(index)
        return shared.reduced


class _Shared:
    def __init__(self, index: Any, entities_key: str, stats: dict[str, int]) -> None:
        self.index = index
        self.entities_key = entities_key
        self.stats = stats
        self.reduced: Any = None

    def check(self) -> None:
        stats = self.index.stats()
        if stats != self.stats or _content_key(self.index.entities) != self.entities_key:
            raise AssertionError(f"a shared test index was mutated since it was built ({self.stats} -> {stats})")


@pytest.fixture(scope="session", autouse=True)
def _index_memo() -> Iterator[IndexMemo | None]:
    if not INDEX_MEMO_ENABLED:
        yield None
        return
    from listguard.index import Index

    memo = IndexMemo(Index.build, Index.__reduce__)

    def __reduce__(self: Any) -> Any:
        return memo.reduce(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Index, "build", staticmethod(memo))
        mp.setattr(Index, "__reduce__", __reduce__)
        yield memo
