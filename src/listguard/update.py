"""Download the official lists from their publishers, safely enough to run unattended.

``listguard update`` calls :func:`fetch_dataset` once per dataset, then loads the files it
returns. Everything here is built around one promise: **a failed or interrupted download never
damages what is already on disk**. The files of a dataset are streamed to hidden temporary
names in the destination folder and renamed into place only once *every* file of the dataset
arrived complete, so the loader never sees a half-written file or a mixed OFAC set (a new
``sdn.csv`` beside an old ``alt.csv``).

Publishers are slow, rate-limited and occasionally down, and a sanctions list is also an
untrusted input, so each request has:

* conditional headers (``If-None-Match`` / ``If-Modified-Since``) from the caller's saved state,
  so an unchanged list costs a 304 and no load;
* a size limit checked on the declared ``Content-Length`` (refused before reading) *and* on the
  bytes as they arrive (decoded, so a gzip bomb is caught too);
* connect/read timeouts plus a wall-clock deadline per file, over every attempt and backoff
  (a server that trickles one byte a second never trips a read timeout; ``update --timeout``
  or ``LISTGUARD_UPDATE_TIMEOUT`` sets it, default 900 s);
* retries with exponential backoff and jitter on connection errors, timeouts, 408, 429 and 5xx,
  honouring ``Retry-After``; other 4xx are the caller's problem (wrong URL, expired token) and
  are not retried.

Where the files come from is a registry (:data:`REGISTRY`) overridable by
``$LISTGUARD_HOME/sources.toml``::

    [datasets.un_sc_sanctions]
    urls = ["https://mirror.example.org/un/consolidated.xml"]

    [datasets.eu_fsf]   # the EU token is part of the URL: override the whole URL to change it
    urls = ["https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=..."]

and by ``LISTGUARD_SOURCE_BASE_URL``, which rewrites every URL to ``<base>/<file name>`` (the
local file name, e.g. ``<base>/sdn.csv``): that is how tests, CI and offline mirrors point
listguard at a plain static file server holding a copy of the files.

State (validators and checksums of what was last fetched) is a JSON-able dict the caller owns:
:func:`load_state` / :func:`save_state` persist it atomically, and :func:`record_fetch` folds a
:class:`FetchResult` into it. The caller should record a fetch **only after the files loaded**:
otherwise a download whose load failed would be answered by a 304 next time and never retried.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import os
import random
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from listguard import __version__, settings

try:  # POSIX advisory locks; on other platforms concurrent updates are simply not guarded.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "ENV_BASE_URL",
    "REGISTRY",
    "STATE_FILE_NAME",
    "USER_AGENT",
    "DatasetSource",
    "FetchResult",
    "FileResult",
    "ProgressCallback",
    "SourceFile",
    "UpdateError",
    "config_path",
    "dataset_names",
    "default_download_dir",
    "default_state_path",
    "fetch_dataset",
    "load_config",
    "load_state",
    "record_fetch",
    "resolve_source",
    "save_state",
]

#: Publishers (and their CDNs / WAFs) throttle anonymous clients; a clear UA lets them tell
#: a screening tool from a scraper and contact the project instead of blocking it.
USER_AGENT = f"listguard/{__version__} (+sanctions screening)"
#: Rewrites every source URL to ``<base>/<file name>`` (offline mirrors, CI, tests).
ENV_BASE_URL = "LISTGUARD_SOURCE_BASE_URL"
CONFIG_FILE_NAME = "sources.toml"
STATE_FILE_NAME = "update-state.json"
STATE_VERSION = 1

#: Connect fails fast (a dead host should not hold the CLI for a minute); reads get longer
#: because some publishers generate the file on the fly before the first byte.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: Wall-clock deadline for one file, every attempt, retry and backoff included: bounds a server
#: that trickles bytes slowly enough never to trip the read timeout, and one that stalls on
#: every retry. The largest list is ~120 MB, minutes on a slow link.
#: ``listguard update --timeout`` and ``LISTGUARD_UPDATE_TIMEOUT`` override it.
DEFAULT_TOTAL_TIMEOUT = 900.0
DEFAULT_RETRIES = 3
#: First backoff delay in seconds; doubles on each retry, capped, with jitter.
DEFAULT_BACKOFF = 1.0
MAX_BACKOFF = 30.0
#: A ``Retry-After`` longer than this is reported instead of silently waited for.
DEFAULT_MAX_RETRY_AFTER = 120.0
#: Retried statuses: throttling, request timeout and server-side failures are transient.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))

_MIRROR_HINT = f"set a mirror with {ENV_BASE_URL}"
_PART_SUFFIX = ".part"
_LOCK_NAME = ".listguard-update.lock"

#: ``(dataset, file name, bytes downloaded, Content-Length or None)``. Called with 0 when an
#: attempt starts (so a retry resets the bar), after every chunk, and once with ``(0, 0)``
#: for a file the publisher answered 304 (nothing to download: the bar can show it done).
ProgressCallback = Callable[[str, str, int, int | None], None]


# --------------------------------------------------------------------------------------------
# Sources: what to download for each dataset
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One file of a dataset: where it comes from and the name it is saved under.

    ``name`` is also the name a mirror serves it under (``LISTGUARD_SOURCE_BASE_URL``), so a
    mirror is just a folder of the files ``listguard update`` saved.
    """

    name: str
    url: str


@dataclass(frozen=True)
class DatasetSource:
    """All files that together make one publication of a dataset."""

    dataset: str
    title: str
    files: tuple[SourceFile, ...]


_OFAC = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports"
#: The EU's public token for the full sanctions list; part of the URL so it can be overridden
#: in sources.toml when the Commission rotates it.
_EU_TOKEN = "dG9rZW4tMjAxNw"


def _ofac(dataset: str, title: str, names: tuple[str, ...]) -> DatasetSource:
    # OFAC publishes upper-case names; the legacy CSV set (and our parser) uses lower case.
    return DatasetSource(
        dataset, title, tuple(SourceFile(n.lower(), f"{_OFAC}/{n}") for n in names)
    )


#: The official publisher URLs per dataset. Overridable per dataset in sources.toml.
REGISTRY: dict[str, DatasetSource] = {
    s.dataset: s
    for s in (
        _ofac(
            "us_ofac_sdn",
            "OFAC Specially Designated Nationals (legacy CSV)",
            ("SDN.CSV", "ALT.CSV", "ADD.CSV", "SDN_COMMENTS.CSV"),
        ),
        _ofac(
            "us_ofac_cons",
            "OFAC Consolidated non-SDN (legacy CSV)",
            ("CONS_PRIM.CSV", "CONS_ALT.CSV", "CONS_ADD.CSV", "CONS_COMMENTS.CSV"),
        ),
        DatasetSource(
            "un_sc_sanctions",
            "UN Security Council Consolidated List",
            (
                SourceFile(
                    "consolidated.xml",
                    "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
                ),
            ),
        ),
        DatasetSource(
            "eu_fsf",
            "EU Financial Sanctions Files (full XML 1.1)",
            (
                SourceFile(
                    "xmlFullSanctionsList_1_1.xml",
                    "https://webgate.ec.europa.eu/fsd/fsf/public/files/"
                    f"xmlFullSanctionsList_1_1/content?token={_EU_TOKEN}",
                ),
            ),
        ),
        DatasetSource(
            "gb_fcdo_sanctions",
            "UK FCDO Sanctions List (XML)",
            (
                SourceFile(
                    "UK-Sanctions-List.xml",
                    "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
                ),
            ),
        ),
        DatasetSource(
            "au_dfat_sanctions",
            "Australia DFAT Consolidated List",
            (
                SourceFile(
                    "regulation8_consolidated.xlsx",
                    "https://www.dfat.gov.au/sites/default/files/regulation8_consolidated.xlsx",
                ),
            ),
        ),
    )
}


class UpdateError(Exception):
    """A dataset could not be fetched. The message names the dataset, the URL and the fix.

    When this is raised nothing in the destination folder was replaced.
    """

    def __init__(
        self,
        dataset: str,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.url = url
        self.status = status
        self.attempts = attempts
        self.reason = message
        super().__init__(f"{dataset}: {message}")


def config_path(home: Path | None = None) -> Path:
    return (home or settings.home()) / CONFIG_FILE_NAME


def default_state_path(home: Path | None = None) -> Path:
    return (home or settings.home()) / STATE_FILE_NAME


def default_download_dir(dataset: str, home: Path | None = None) -> Path:
    """One folder per dataset, so an OFAC set always sits together as the parser expects."""
    return (home or settings.home()) / "downloads" / dataset


def _redact(url: str) -> str:
    """Drop ``user:password@`` from a URL before it goes into a message or a log."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{where}: {url!r} is not an http(s) URL")
    return url


def _check_name(name: str, where: str) -> str:
    """File names are joined to the destination folder: refuse anything that is not one name."""
    if (
        not name
        or name in (".", "..")
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or "\x00" in name
    ):
        raise ValueError(f"{where}: {name!r} is not a plain file name")
    return name


def load_config(path: Path | None = None) -> dict[str, DatasetSource]:
    """Read sources.toml into per-dataset overrides (missing file: no overrides).

    Keys per ``[datasets.NAME]`` table: ``urls`` (list, required) and ``files`` (list of local
    names, optional: defaults to the registry's names for a known dataset, else the last path
    segment of each URL). ``title`` is optional. Raises :class:`ValueError` naming the file and
    key, because a typo here would otherwise silently download from the official URL.
    """
    path = config_path() if path is None else path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    tables = doc.get("datasets", {})
    if not isinstance(tables, dict):
        raise ValueError(f"{path}: [datasets] must be a table of [datasets.NAME] tables")
    out: dict[str, DatasetSource] = {}
    for dataset, table in tables.items():
        where = f"{path} [datasets.{dataset}]"
        if not isinstance(table, dict):
            raise ValueError(f"{where}: must be a table with a `urls` list")
        unknown = set(table) - {"urls", "files", "title"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        urls = table.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise ValueError(f"{where}: `urls` must be a non-empty list of URLs")
        for url in urls:
            _check_url(url, where)
        known = REGISTRY.get(dataset)
        files = table.get("files")
        if files is None:
            if known is not None:
                if len(urls) != len(known.files):
                    names = ", ".join(f.name for f in known.files)
                    raise ValueError(
                        f"{where}: {dataset} has {len(known.files)} file(s) ({names}) but "
                        f"`urls` lists {len(urls)}; give one URL per file in that order"
                    )
                files = [f.name for f in known.files]
            else:
                files = [urlsplit(u).path.rstrip("/").rsplit("/", 1)[-1] for u in urls]
        if not isinstance(files, list) or not all(isinstance(n, str) for n in files):
            raise ValueError(f"{where}: `files` must be a list of file names")
        if len(files) != len(urls):
            raise ValueError(f"{where}: `files` and `urls` must have the same length")
        for name in files:
            _check_name(name, f"{where} files (add a `files` list to name the downloads)")
        if len(set(files)) != len(files):
            raise ValueError(f"{where}: file names must be distinct")
        title = table.get("title", known.title if known else dataset)
        if not isinstance(title, str):
            raise ValueError(f"{where}: `title` must be a string")
        out[dataset] = DatasetSource(
            dataset, title, tuple(SourceFile(n, u) for n, u in zip(files, urls))
        )
    return out


def dataset_names(config: Mapping[str, DatasetSource] | None = None) -> list[str]:
    """Every dataset ``listguard update`` can fetch: the registry plus any added in config."""
    return sorted(set(REGISTRY) | set(config or {}))


def resolve_source(
    dataset: str,
    *,
    config: Mapping[str, DatasetSource] | None = None,
    base_url: str | None = None,
) -> DatasetSource:
    """The files to fetch for ``dataset``: registry, then sources.toml, then the base URL.

    ``config`` defaults to :func:`load_config` (``$LISTGUARD_HOME/sources.toml``) and
    ``base_url`` to ``$LISTGUARD_SOURCE_BASE_URL``; pass them explicitly to ignore both.
    """
    if config is None:
        config = load_config()
    source = config.get(dataset) or REGISTRY.get(dataset)
    if source is None:
        raise UpdateError(
            dataset,
            f"unknown dataset; known: {', '.join(dataset_names(config))} "
            f"(add others to {CONFIG_FILE_NAME} under [datasets.{dataset}])",
        )
    if base_url is None:
        base_url = os.environ.get(ENV_BASE_URL) or None
    if base_url:
        try:
            _check_url(base_url, ENV_BASE_URL)
        except ValueError as exc:
            raise UpdateError(dataset, str(exc)) from None
        base = base_url.rstrip("/")
        source = DatasetSource(
            source.dataset,
            source.title,
            tuple(SourceFile(f.name, f"{base}/{quote(f.name)}") for f in source.files),
        )
    return source


# --------------------------------------------------------------------------------------------
# State: validators and checksums of the last fetch, owned and persisted by the caller
# --------------------------------------------------------------------------------------------


def _empty_state() -> dict[str, Any]:
    return {"version": STATE_VERSION, "datasets": {}}


def load_state(path: Path) -> dict[str, Any]:
    """Read the update state, or a fresh one if it is missing or unreadable.

    A lost state only costs one full download (no conditional headers), so a corrupt file is
    logged and replaced rather than blocking updates until someone edits JSON by hand.
    """
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        return _empty_state()
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable update state (%s); starting afresh", path, exc)
        return _empty_state()
    if (
        not isinstance(doc, dict)
        or doc.get("version") != STATE_VERSION
        or not isinstance(doc.get("datasets"), dict)
    ):
        log.warning("%s: unknown update state format; starting afresh", path)
        return _empty_state()
    return doc


def save_state(path: Path, state: Mapping[str, Any]) -> None:
    """Write the state atomically (temp file, fsync, rename): a crash leaves old or new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(state, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _dataset_state(state: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    datasets = state.get("datasets")
    entry = datasets.get(dataset) if isinstance(datasets, dict) else None
    return entry if isinstance(entry, dict) else {}


def record_fetch(state: dict[str, Any], result: FetchResult) -> None:
    """Fold a fetch into ``state`` (in place). Call it after the files loaded successfully."""
    state.setdefault("version", STATE_VERSION)
    datasets = state.setdefault("datasets", {})
    previous = _dataset_state(state, result.dataset)
    entry: dict[str, Any] = {
        "checked_at": result.started_at,
        "changed_at": previous.get("changed_at") if result.not_modified else result.started_at,
        "files": {f.name: f.to_state() for f in result.files},
    }
    datasets[result.dataset] = entry


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class FileResult:
    """What happened to one file of a dataset."""

    name: str
    #: The URL requested, and the URL that answered after redirects.
    url: str
    final_url: str
    #: Where the file is now (for a 304, the file already there).
    path: Path
    #: 200 (downloaded) or 304 (not modified).
    status: int
    sha256: str
    bytes: int
    etag: str | None
    last_modified: str | None
    attempts: int
    #: Seconds spent on this file, retries and backoff included.
    elapsed: float
    #: False for a 304 and for a 200 whose content equals the last recorded fetch.
    changed: bool

    def to_state(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "sha256": self.sha256,
            "bytes": self.bytes,
        }


@dataclass
class FetchResult:
    """A complete, consistent set of files for one dataset, already in place in ``dest_dir``."""

    dataset: str
    dest_dir: Path
    files: list[FileResult]
    #: True when no file changed since the recorded state (all 304, or identical content):
    #: there is nothing new to load. The files in ``dest_dir`` are still complete and current.
    not_modified: bool
    #: ISO 8601 UTC time the fetch started.
    started_at: str
    elapsed: float
    bytes_downloaded: int = 0
    attempts: int = 0

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]

    @property
    def load_path(self) -> Path:
        """What to hand the loader: the folder for a multi-file set (OFAC), else the file."""
        return self.files[0].path if len(self.files) == 1 else self.dest_dir

    def to_state(self) -> dict[str, Any]:
        return {f.name: f.to_state() for f in self.files}


@dataclass
class _Downloaded:
    """A file fully received into a temp file, not yet renamed into place."""

    status: int
    tmp: Path | None
    final_url: str
    sha256: str = ""
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0
    elapsed: float = 0.0


class _Retryable(Exception):
    """A failure worth another try (transient by nature); ``what`` is the user-facing cause."""

    def __init__(self, what: str, hint: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint
        self.status = status
        self.retry_after = retry_after


@dataclass
class _Attempt:
    """Everything one file's download loop needs; kept together to keep signatures short."""

    dataset: str
    source: SourceFile
    dest_dir: Path
    client: httpx.Client
    headers: dict[str, str]
    max_bytes: int
    timeout: httpx.Timeout
    total_timeout: float | None
    progress: ProgressCallback | None
    conditional: bool = field(default=False)
    #: Which attempt at the file this is (1 = the first), for messages.
    tries: int = 0


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    """Make renames durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse
        pass
    finally:
        os.close(fd)


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _human(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:,.1f} MB"
    if n >= 1_000:
        return f"{n / 1e3:,.1f} kB"
    return f"{n} bytes"


@contextlib.contextmanager
def _lock(dest_dir: Path, dataset: str) -> Iterator[None]:
    """One update per folder at a time: two runs would delete each other's temp files."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fh = open(dest_dir / _LOCK_NAME, "a+b")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UpdateError(
                dataset,
                f"another `listguard update` is writing {dest_dir}; wait for it to finish",
            ) from None
        yield
    finally:
        fh.close()  # closing releases the lock


def _clean_stale_parts(dest_dir: Path) -> None:
    """Temp files left by a killed run (we hold the lock, so none is in use)."""
    for part in dest_dir.glob(f".*{_PART_SUFFIX}"):
        with contextlib.suppress(OSError):
            part.unlink()


def clean_stale_downloads(root: Path) -> int:
    """Remove ``.part`` files a killed run left in any dataset folder under ``root`` (the
    downloads folder), not only in the folders this run fetches into. A folder another
    ``listguard update`` holds is left alone. Returns how many files were removed."""
    removed = 0
    if fcntl is None or not root.is_dir():  # pragma: no cover - Windows
        return removed
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        stale = list(folder.glob(f".*{_PART_SUFFIX}"))
        if not stale:
            continue
        with open(folder / _LOCK_NAME, "a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use by a running update
            for part in stale:
                with contextlib.suppress(OSError):
                    part.unlink()
                    removed += 1
    return removed


def _capped(timeout: httpx.Timeout, deadline: float | None) -> httpx.Timeout:
    """``timeout`` with no phase longer than what is left before ``deadline``."""
    if deadline is None:
        return timeout
    left = max(deadline - time.monotonic(), 0.001)

    def cap(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(connect=cap(timeout.connect), read=cap(timeout.read),
                         write=cap(timeout.write), pool=cap(timeout.pool))


def _deadline_error(a: _Attempt, shown: str, what: str) -> UpdateError:
    attempts = a.tries or None
    tries = "" if attempts is None else f" after {attempts} {'try' if attempts == 1 else 'tries'}"
    return UpdateError(
        a.dataset,
        f"{what}: no complete file from {shown} within the {a.total_timeout:g} s deadline for "
        f"one file{tries}, download aborted; try again later, raise the deadline "
        f"(listguard update --timeout SECONDS, or LISTGUARD_UPDATE_TIMEOUT) or {_MIRROR_HINT}",
        url=shown,
        attempts=attempts,
    )


def _status_error(status: int, url: str) -> tuple[str, str]:
    """The cause and the advice for a non-retried HTTP status."""
    what = f"HTTP {status} from {url}"
    if status == 404 or status == 410:
        return what, (
            "the publisher may have moved the file; check the URL "
            f"(override it in {CONFIG_FILE_NAME}) or {_MIRROR_HINT}"
        )
    if status in (401, 403):
        return what, (
            "access refused; if the URL carries a token (EU), update it in "
            f"{CONFIG_FILE_NAME}, or {_MIRROR_HINT}"
        )
    return what, f"check the URL (override it in {CONFIG_FILE_NAME}) or {_MIRROR_HINT}"


def _stream_once(a: _Attempt, deadline: float | None) -> _Downloaded:
    """One request for one file. Raises :class:`_Retryable` for transient failures and
    :class:`UpdateError` for permanent ones (the file's ``deadline`` passing is one); never
    leaves a temp file behind on failure."""
    url = a.source.url
    shown = _redact(url)
    if a.progress:
        a.progress(a.dataset, a.source.name, 0, None)
    tmp: Path | None = None
    try:
        with a.client.stream(
            "GET", url, headers=a.headers, timeout=_capped(a.timeout, deadline),
            follow_redirects=True,
        ) as resp:
            final = str(resp.url)
            hops = [r.url for r in resp.history] + [resp.url]
            if urlsplit(url).scheme == "https" and any(h.scheme != "https" for h in hops):
                # A redirect from https to http lets anyone on the path rewrite the list.
                raise UpdateError(
                    a.dataset,
                    f"{shown} redirected to insecure {_redact(final)}; refusing to download "
                    f"a sanctions list over plain HTTP ({_MIRROR_HINT} if this is intended)",
                    url=shown,
                )
            status = resp.status_code
            if status == 304:
                if not a.conditional:
                    raise UpdateError(
                        a.dataset,
                        f"HTTP 304 from {shown} to an unconditional request; the server or a "
                        f"proxy is misbehaving, try again later or {_MIRROR_HINT}",
                        url=shown,
                        status=status,
                    )
                return _Downloaded(
                    304,
                    None,
                    final,
                    etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"),
                )
            if status in RETRY_STATUSES:
                raise _Retryable(
                    f"HTTP {status} from {shown}",
                    "the publisher may be down or throttling, try again later or "
                    + _MIRROR_HINT,
                    status=status,
                    retry_after=_parse_retry_after(resp.headers.get("retry-after")),
                )
            if status != 200:
                what, hint = _status_error(status, shown)
                raise UpdateError(a.dataset, f"{what}; {hint}", url=shown, status=status)

            declared: int | None = None
            raw_length = resp.headers.get("content-length")
            if raw_length is not None and raw_length.strip().isdigit():
                declared = int(raw_length)
                if declared > a.max_bytes:
                    # Refuse before reading a byte: leaving the block closes the connection.
                    raise UpdateError(
                        a.dataset,
                        f"{shown} declares {_human(declared)}, over the "
                        f"{_human(a.max_bytes)} limit for one list; not downloaded. If this "
                        "really is the list, raise the limit (LISTGUARD_MAX_FILE_MB)",
                        url=shown,
                        status=status,
                    )
            # Progress shows wire bytes against Content-Length (both are compressed sizes
            # when the server gzips); the limit applies to decoded bytes (gzip bombs).
            total_for_progress = declared
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{a.source.name}.", suffix=_PART_SUFFIX, dir=a.dest_dir
            )
            tmp = Path(tmp_name)
            digest = hashlib.sha256()
            size = 0
            fh: BinaryIO
            with os.fdopen(fd, "wb") as fh:
                if a.progress:
                    a.progress(a.dataset, a.source.name, 0, total_for_progress)
                # No chunk_size: httpx would buffer up to it, hiding a trickle from the
                # deadline check and the progress bar until the buffer fills.
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > a.max_bytes:
                        raise UpdateError(
                            a.dataset,
                            f"{shown} sent more than the {_human(a.max_bytes)} limit for one "
                            "list; download aborted. If this really is the list, raise the "
                            "limit (LISTGUARD_MAX_FILE_MB)",
                            url=shown,
                            status=status,
                        )
                    if deadline is not None and time.monotonic() > deadline:
                        raise _deadline_error(a, shown, f"too slow ({_human(size)} received)")
                    digest.update(chunk)
                    fh.write(chunk)
                    if a.progress:
                        a.progress(
                            a.dataset, a.source.name, resp.num_bytes_downloaded,
                            total_for_progress,
                        )
                fh.flush()
                os.fsync(fh.fileno())
            # h11 already refuses a body shorter than Content-Length; this guards any
            # transport that would not, since a truncated list would load as a shorter list.
            if declared is not None and resp.num_bytes_downloaded != declared:
                raise _Retryable(
                    f"{shown} sent {_human(resp.num_bytes_downloaded)} of the "
                    f"{_human(declared)} it declared (truncated)",
                    "the connection may be unreliable; try again later or " + _MIRROR_HINT,
                )
            if size == 0:
                raise UpdateError(
                    a.dataset,
                    f"{shown} returned an empty file; the publisher may be mid-update, try "
                    f"again later or {_MIRROR_HINT}",
                    url=shown,
                    status=status,
                )
            done = _Downloaded(
                200,
                tmp,
                final,
                sha256=digest.hexdigest(),
                size=size,
                etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"),
            )
            tmp = None  # ownership passes to the caller
            return done
    except httpx.TimeoutException as exc:
        if deadline is not None and time.monotonic() >= deadline - 0.01:
            raise _deadline_error(a, shown, "timed out") from exc
        kind = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for data",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a connection",
        }.get(type(exc), "on the request")
        raise _Retryable(
            f"timed out {kind} from {shown}",
            "the publisher may be slow or down, try again later (or raise the timeout) or "
            + _MIRROR_HINT,
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise UpdateError(a.dataset, f"{shown}: unsupported URL ({exc})", url=shown) from exc
    except httpx.TooManyRedirects as exc:
        raise UpdateError(
            a.dataset,
            f"{shown}: too many redirects; check the URL (override it in {CONFIG_FILE_NAME}) "
            f"or {_MIRROR_HINT}",
            url=shown,
        ) from exc
    except httpx.RemoteProtocolError as exc:
        raise _Retryable(
            f"{shown} closed the connection before the whole file arrived ({exc})",
            "the connection may be unreliable; try again later or " + _MIRROR_HINT,
        ) from exc
    except httpx.TransportError as exc:
        raise _Retryable(
            f"cannot reach {shown} ({type(exc).__name__}: {exc or 'no detail'})",
            "check the network (and HTTPS_PROXY), try again later or " + _MIRROR_HINT,
        ) from exc
    except httpx.DecodingError as exc:
        raise _Retryable(
            f"{shown} sent a corrupt compressed body ({exc})",
            "try again later or " + _MIRROR_HINT,
        ) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _fetch_file(
    a: _Attempt,
    *,
    retries: int,
    backoff: float,
    max_retry_after: float,
    sleep: Callable[[float], None],
) -> _Downloaded:
    """Retry loop around :func:`_stream_once`: bounded, backoff with jitter, Retry-After."""
    t0 = time.monotonic()
    deadline = None if a.total_timeout is None else t0 + a.total_timeout
    last: _Retryable | None = None
    attempts = 0
    for attempt in range(1, retries + 2):
        attempts = a.tries = attempt
        try:
            done = _stream_once(a, deadline)
        except UpdateError as exc:
            if exc.attempts is None:
                exc.attempts = attempt
            raise
        except _Retryable as exc:
            last = exc
            if attempt > retries:
                break
            if exc.retry_after is not None:
                if exc.retry_after > max_retry_after:
                    raise UpdateError(
                        a.dataset,
                        f"{exc.what}; the publisher asks to retry after "
                        f"{exc.retry_after:.0f} s (listguard waits at most "
                        f"{max_retry_after:.0f} s): try again later or {_MIRROR_HINT}",
                        url=_redact(a.source.url),
                        status=exc.status,
                        attempts=attempt,
                    ) from exc
                delay = exc.retry_after
            else:
                # Exponential backoff with "equal jitter": never zero, never in lockstep.
                delay = min(MAX_BACKOFF, backoff * 2 ** (attempt - 1))
                delay = delay / 2 + random.uniform(0, delay / 2)
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise _deadline_error(a, _redact(a.source.url), exc.what) from exc
            log.info("%s: %s; retry %d/%d in %.2f s", a.dataset, exc.what, attempt, retries,
                     delay)
            sleep(delay)
            continue
        done.attempts = attempt
        done.elapsed = time.monotonic() - t0
        return done
    assert last is not None
    tries = "1 try" if attempts == 1 else f"{attempts} tries"
    raise UpdateError(
        a.dataset,
        f"{last.what} after {tries}; {last.hint}",
        url=_redact(a.source.url),
        status=last.status,
        attempts=attempts,
    )


def fetch_dataset(
    dataset: str,
    dest_dir: Path,
    state: Mapping[str, Any] | None = None,
    *,
    source: DatasetSource | None = None,
    client: httpx.Client | None = None,
    max_bytes: int | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Download every file of ``dataset`` into ``dest_dir``, all or nothing.

    ``state`` is the dict from :func:`load_state`; it is only read (fold the result in with
    :func:`record_fetch` once the files loaded). Validators from it are sent only when the file
    on disk still matches the recorded checksum, so a deleted or edited file is fetched afresh
    instead of being answered with a 304 for a file we no longer have.

    ``source`` defaults to :func:`resolve_source` (registry, sources.toml, base URL env var).
    ``max_bytes`` is per file (default: the loader's limit). ``timeout`` is httpx's (a float
    applies to connect and read alike); ``total_timeout`` is the wall-clock deadline for one
    file in seconds, every attempt and backoff included. ``retries`` is the number of *extra* attempts per file. ``sleep`` is
    injectable so tests can observe backoff without waiting.

    Raises :class:`UpdateError`; then no file in ``dest_dir`` was replaced or left half-written.
    """
    if retries < 0:
        raise ValueError("retries must be >= 0")
    if source is None:
        source = resolve_source(dataset)
    # Same limit as the loader (LISTGUARD_MAX_FILE_MB): what downloads here also loads.
    limit = settings.max_file_bytes() if max_bytes is None else max_bytes
    http_timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    previous_files = _dataset_state(state or {}, dataset).get("files")
    if not isinstance(previous_files, dict):
        previous_files = {}

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    started_at = _now_iso()
    t0 = time.monotonic()
    own_client = client is None
    if client is None:
        client = httpx.Client(
            headers={"User-Agent": USER_AGENT}, follow_redirects=True, timeout=http_timeout
        )
    fetched: list[tuple[SourceFile, _Downloaded, dict[str, Any] | None]] = []
    try:
        with _lock(dest_dir, dataset):
            _clean_stale_parts(dest_dir)
            for sf in source.files:
                recorded = previous_files.get(sf.name)
                recorded = recorded if isinstance(recorded, dict) else None
                # Validators belong to a URL (a mirror's ETags mean nothing to the publisher);
                # the recorded checksum does not, and still tells whether content changed.
                same_url = recorded is not None and recorded.get("url") == sf.url
                headers = {"User-Agent": USER_AGENT}
                target = dest_dir / sf.name
                if recorded is not None and same_url and _matches(target, recorded):
                    if recorded.get("etag"):
                        headers["If-None-Match"] = str(recorded["etag"])
                    if recorded.get("last_modified"):
                        headers["If-Modified-Since"] = str(recorded["last_modified"])
                attempt = _Attempt(
                    dataset=dataset,
                    source=sf,
                    dest_dir=dest_dir,
                    client=client,
                    headers=headers,
                    max_bytes=limit,
                    timeout=http_timeout,
                    total_timeout=total_timeout,
                    progress=progress,
                    conditional=len(headers) > 1,
                )
                got = _fetch_file(
                    attempt,
                    retries=retries,
                    backoff=backoff,
                    max_retry_after=max_retry_after,
                    sleep=sleep,
                )
                fetched.append((sf, got, recorded))
                if got.status == 304 and progress:
                    progress(dataset, sf.name, 0, 0)
            files = _commit(dataset, dest_dir, fetched)
    except BaseException:
        for _, got, _ in fetched:
            if got.tmp is not None:
                with contextlib.suppress(OSError):
                    got.tmp.unlink()
        raise
    finally:
        if own_client:
            client.close()
    return FetchResult(
        dataset=dataset,
        dest_dir=dest_dir,
        files=files,
        not_modified=all(not f.changed for f in files),
        started_at=started_at,
        elapsed=time.monotonic() - t0,
        bytes_downloaded=sum(f.bytes for f in files if f.status == 200),
        attempts=sum(f.attempts for f in files),
    )


def _matches(path: Path, prev: Mapping[str, Any]) -> bool:
    """Is the file on disk the one the state describes (size first: cheap)?"""
    try:
        if path.stat().st_size != prev.get("bytes"):
            return False
    except OSError:
        return False
    return _sha256_file(path) == prev.get("sha256")


def _commit(
    dataset: str,
    dest_dir: Path,
    fetched: list[tuple[SourceFile, _Downloaded, dict[str, Any] | None]],
) -> list[FileResult]:
    """Every file arrived: rename the new ones into place and describe the set.

    Renames are individually atomic; the window where a crash could leave a mixed set is a
    few ``rename`` calls long, and the checksum check on the next run catches it (the state
    was not recorded, so those files are downloaded again).
    """
    results: list[FileResult] = []
    for sf, got, prev in fetched:
        target = dest_dir / sf.name
        if got.status == 304:
            assert prev is not None  # only conditional requests may get a 304
            results.append(
                FileResult(
                    name=sf.name,
                    url=sf.url,
                    final_url=got.final_url,
                    path=target,
                    status=304,
                    sha256=str(prev.get("sha256")),
                    bytes=int(prev.get("bytes", 0)),
                    etag=got.etag or prev.get("etag"),
                    last_modified=got.last_modified or prev.get("last_modified"),
                    attempts=got.attempts,
                    elapsed=got.elapsed,
                    changed=False,
                )
            )
            continue
        assert got.tmp is not None
        os.replace(got.tmp, target)
        got.tmp = None
        results.append(
            FileResult(
                name=sf.name,
                url=sf.url,
                final_url=got.final_url,
                path=target,
                status=200,
                sha256=got.sha256,
                bytes=got.size,
                etag=got.etag,
                last_modified=got.last_modified,
                attempts=got.attempts,
                elapsed=got.elapsed,
                changed=prev is None or prev.get("sha256") != got.sha256,
            )
        )
    _fsync_dir(dest_dir)
    return results
