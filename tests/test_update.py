"""``listguard.update`` against real HTTP servers on 127.0.0.1 serving the official snapshots.

Every test talks to a threaded ``http.server`` on an OS-chosen port; each route is a small
behaviour (serve a file with validators, fail N times, truncate, stall, grow past a limit) so
the failure modes a publisher really produces are exercised over real sockets, not mocks.
Timeouts and backoff are tiny so the whole file runs in a few seconds.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.server
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from listguard import update
from listguard.update import (
    REGISTRY,
    USER_AGENT,
    FetchResult,
    UpdateError,
    fetch_dataset,
    load_config,
    load_state,
    record_fetch,
    resolve_source,
    save_state,
)
from tests.conftest import LISTS, require_shared

UN_XML = LISTS / "un" / "un_sc_consolidated_2026-02-27.xml"
OFAC_OLD = LISTS / "ofac" / "sdn_2021-07-07"
OFAC_NEW = LISTS / "ofac" / "sdn_latest"
OFAC_NAMES = ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")

Handler = http.server.BaseHTTPRequestHandler
Route = Callable[[Handler, int], None]


# --------------------------------------------------------------------------------------------
# A local publisher
# --------------------------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        #: Set on teardown so stalled handlers return instead of holding the shutdown.
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def headers_for(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] += 1
            hit = self.server.hits[path]
            self.server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(path)
        self.close_connection = True
        try:
            if route is None:
                send_status(self, 404)
            else:
                route(self, hit)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (size limit, timeout)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def send_status(h: Handler, status: int, extra: dict[str, str] | None = None) -> None:
    body = f"status {status}\n".encode()
    h.send_response(status)
    for k, v in (extra or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)


def serve_bytes(data: bytes, *, etag: bool = True, last_modified: bool = True) -> Route:
    """A static file with the validators a publisher sends, honouring conditional requests."""
    tag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
    lm = email.utils.formatdate(1_700_000_000, usegmt=True)

    def route(h: Handler, hit: int) -> None:
        inm = h.headers.get("If-None-Match")
        ims = h.headers.get("If-Modified-Since")
        fresh = (etag and inm == tag) or (inm is None and last_modified and ims == lm)
        h.send_response(304 if fresh else 200)
        if etag:
            h.send_header("ETag", tag)
        if last_modified:
            h.send_header("Last-Modified", lm)
        h.send_header("Connection", "close")
        if fresh:
            h.end_headers()
            return
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return route


def serve_file(path: Path, **kw: bool) -> Route:
    return serve_bytes(path.read_bytes(), **kw)


def fail_first(n: int, status: int, then: Route, headers: dict[str, str] | None = None) -> Route:
    def route(h: Handler, hit: int) -> None:
        if hit <= n:
            send_status(h, status, headers)
        else:
            then(h, hit)

    return route


def always(status: int, headers: dict[str, str] | None = None) -> Route:
    return lambda h, hit: send_status(h, status, headers)


def truncated(data: bytes, sent: int) -> Route:
    """Declares the full length, sends ``sent`` bytes, hangs up."""

    def route(h: Handler, hit: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data[:sent])
        h.wfile.flush()

    return route


def stalled(server: _Server, seconds: float) -> Route:
    """Accepts the request, then says nothing for ``seconds`` (past the read timeout)."""

    def route(h: Handler, hit: int) -> None:
        server.stopping.wait(seconds)

    return route


def trickle(server: _Server, data: bytes, every: float) -> Route:
    """Sends a byte every ``every`` seconds: never trips a read timeout, only a deadline."""

    def route(h: Handler, hit: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        for i in range(len(data)):
            if server.stopping.wait(every):
                return
            h.wfile.write(data[i : i + 1])
            h.wfile.flush()

    return route


def declared_huge(size: int, written: list[int]) -> Route:
    """Declares ``size`` bytes and records how much it managed to push before the hang-up."""

    def route(h: Handler, hit: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(size))
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < size:
                h.wfile.write(chunk)
                sent += len(chunk)
        finally:
            written.append(sent)

    return route


def chunked(chunks: int, chunk: bytes, encoding: str | None = None) -> Route:
    """A chunked response (no Content-Length) of ``chunks`` x ``chunk``."""

    def route(h: Handler, hit: int) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        if encoding:
            h.send_header("Content-Encoding", encoding)
        h.send_header("Connection", "close")
        h.end_headers()
        for _ in range(chunks):
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    return route


def redirect(to: str) -> Route:
    return lambda h, hit: send_status(h, 302, {"Location": to})


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield srv
    finally:
        srv.stopping.set()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not intercept requests to 127.0.0.1."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy", update.ENV_BASE_URL):
        monkeypatch.delenv(var, raising=False)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


class Sleeps(list[float]):
    """Records backoff delays and waits a token amount, so retries are observable and fast."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(0.001)


def fetch(
    server: _Server, dataset: str, dest: Path, state: dict[str, Any] | None = None, **kw: Any
) -> FetchResult:
    opts: dict[str, Any] = {
        "source": resolve_source(dataset, config={}, base_url=server.url),
        "timeout": 2.0,
        "retries": 2,
        "backoff": 0.01,
        "sleep": Sleeps(),
    }
    opts.update(kw)
    return fetch_dataset(dataset, dest, state, **opts)


def parts(dest: Path) -> list[Path]:
    return sorted(dest.glob("*.part")) + sorted(dest.glob(".*.part"))


def serve_ofac(server: _Server, folder: Path) -> None:
    for name in OFAC_NAMES:
        server.routes[f"/{name}"] = serve_file(folder / name)


# --------------------------------------------------------------------------------------------
# Sources and configuration
# --------------------------------------------------------------------------------------------


def test_registry_has_the_official_publishers() -> None:
    sdn = REGISTRY["us_ofac_sdn"]
    assert [f.name for f in sdn.files] == list(OFAC_NAMES)
    assert sdn.files[0].url == (
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV"
    )
    assert [f.name for f in REGISTRY["us_ofac_cons"].files] == [
        "cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"
    ]
    assert REGISTRY["un_sc_sanctions"].files[0].url == (
        "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
    )
    assert "content?token=" in REGISTRY["eu_fsf"].files[0].url
    assert REGISTRY["gb_fcdo_sanctions"].files[0].url.endswith("/UK-Sanctions-List.xml")
    assert REGISTRY["au_dfat_sanctions"].files[0].url.endswith("regulation8_consolidated.xlsx")
    assert USER_AGENT.startswith("listguard/") and "(+sanctions screening)" in USER_AGENT


def test_base_url_env_rewrites_every_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(update.ENV_BASE_URL, "http://127.0.0.1:9/mirror/")
    src = resolve_source("us_ofac_sdn", config={})
    assert [f.url for f in src.files] == [f"http://127.0.0.1:9/mirror/{n}" for n in OFAC_NAMES]
    assert resolve_source("eu_fsf", config={}).files[0].url == (
        "http://127.0.0.1:9/mirror/xmlFullSanctionsList_1_1.xml"
    )
    monkeypatch.setenv(update.ENV_BASE_URL, "ftp://127.0.0.1/x")
    with pytest.raises(UpdateError, match="not an http"):
        resolve_source("eu_fsf", config={})


def test_sources_toml_overrides(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "sources.toml").write_text(
        '[datasets.eu_fsf]\nurls = ["https://example.invalid/content?token=NEW"]\n'
        '[datasets.extra_list]\nurls = ["https://example.invalid/lists/extra.xml"]\n'
    )
    config = load_config()
    eu = resolve_source("eu_fsf", config=config)
    assert eu.files[0].url.endswith("token=NEW")
    assert eu.files[0].name == "xmlFullSanctionsList_1_1.xml"  # name kept: mirrors use it
    assert resolve_source("extra_list", config=config).files[0].name == "extra.xml"
    assert resolve_source("un_sc_sanctions", config=config) == REGISTRY["un_sc_sanctions"]
    assert "extra_list" in update.dataset_names(config)
    with pytest.raises(UpdateError, match="unknown dataset"):
        resolve_source("nope", config=config)


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[datasets.us_ofac_sdn]\nurls = ["https://a.invalid/SDN.CSV"]\n', "one URL per file"),
        ('[datasets.un_sc_sanctions]\nurls = ["file:///etc/passwd"]\n', "not an http"),
        ('[datasets.x]\nurls = ["https://a.invalid/a"]\nfiles = ["../evil"]\n', "plain file"),
        ('[datasets.x]\nurl = "https://a.invalid/a"\n', "unknown key"),
        ("[datasets.x\n", "not valid TOML"),
    ],
)
def test_sources_toml_errors_name_the_file(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(toml)
    with pytest.raises(ValueError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------------------------
# Successful fetches and conditional requests
# --------------------------------------------------------------------------------------------


def test_fetch_un_xml(server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_shared()
    server.routes["/consolidated.xml"] = serve_file(UN_XML)
    monkeypatch.setenv(update.ENV_BASE_URL, server.url)  # the way offline mirrors are set
    seen: list[tuple[str, str, int, int | None]] = []
    dest = tmp_path / "dl"
    result = fetch_dataset(
        "un_sc_sanctions", dest, {}, progress=lambda *a: seen.append(a), timeout=2.0,
        source=resolve_source("un_sc_sanctions", config={}),
    )
    original = UN_XML.read_bytes()
    assert (dest / "consolidated.xml").read_bytes() == original
    assert result.load_path == dest / "consolidated.xml"
    (f,) = result.files
    assert (f.status, f.bytes, f.attempts, f.changed) == (200, len(original), 1, True)
    assert f.sha256 == hashlib.sha256(original).hexdigest()
    assert f.etag and f.last_modified and f.elapsed >= 0
    assert not result.not_modified and result.bytes_downloaded == len(original)
    assert seen[-1] == ("un_sc_sanctions", "consolidated.xml", len(original), len(original))
    (headers,) = server.headers_for("/consolidated.xml")
    assert headers["user-agent"] == USER_AGENT
    assert "if-none-match" not in headers and "if-modified-since" not in headers
    assert parts(dest) == []


def test_fetch_ofac_four_file_set(server: _Server, tmp_path: Path) -> None:
    require_shared()
    serve_ofac(server, OFAC_NEW)
    dest = tmp_path / "sdn"
    result = fetch(server, "us_ofac_sdn", dest)
    assert [f.name for f in result.files] == list(OFAC_NAMES)
    for name in OFAC_NAMES:
        assert (dest / name).read_bytes() == (OFAC_NEW / name).read_bytes()
    assert result.load_path == dest
    assert result.paths == [dest / n for n in OFAC_NAMES]
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == sorted(
        OFAC_NAMES
    )


@pytest.mark.parametrize(
    "validators, header",
    [({"etag": True, "last_modified": False}, "if-none-match"),
     ({"etag": False, "last_modified": True}, "if-modified-since")],
    ids=["etag", "last-modified"],
)
def test_second_fetch_is_not_modified(
    server: _Server, tmp_path: Path, validators: dict[str, bool], header: str
) -> None:
    require_shared()
    server.routes["/consolidated.xml"] = serve_file(UN_XML, **validators)
    dest, state_path = tmp_path / "un", tmp_path / "state.json"
    first = fetch(server, "un_sc_sanctions", dest, load_state(state_path))
    state = load_state(state_path)
    record_fetch(state, first)
    save_state(state_path, state)
    before = (dest / "consolidated.xml").stat()

    seen: list[tuple[str, str, int, int | None]] = []
    second = fetch(server, "un_sc_sanctions", dest, load_state(state_path),
                   progress=lambda *a: seen.append(a))
    assert second.not_modified
    assert second.files[0].status == 304 and second.bytes_downloaded == 0
    assert second.files[0].sha256 == first.files[0].sha256
    assert seen[-1] == ("un_sc_sanctions", "consolidated.xml", 0, 0)
    sent = server.headers_for("/consolidated.xml")[-1]
    assert header in sent
    other = {"if-none-match", "if-modified-since"} - {header}
    assert not other & set(sent)
    after = (dest / "consolidated.xml").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # Recording a not-modified fetch keeps the change time, refreshes the check time.
    record_fetch(state, second)
    assert state["datasets"]["un_sc_sanctions"]["changed_at"] == first.started_at


def test_changed_upstream_downloads_again(server: _Server, tmp_path: Path) -> None:
    require_shared()
    serve_ofac(server, OFAC_OLD)
    dest, state = tmp_path / "sdn", load_state(tmp_path / "missing.json")
    record_fetch(state, fetch(server, "us_ofac_sdn", dest, state))
    serve_ofac(server, OFAC_NEW)  # the publisher releases a new list: new ETags
    result = fetch(server, "us_ofac_sdn", dest, state)
    assert not result.not_modified
    assert [f.status for f in result.files] == [200] * 4
    assert all("if-none-match" in server.headers_for(f"/{n}")[-1] for n in OFAC_NAMES)
    for name in OFAC_NAMES:
        assert (dest / name).read_bytes() == (OFAC_NEW / name).read_bytes()


def test_same_content_without_validators_is_not_modified(server: _Server, tmp_path: Path) -> None:
    """A server that ignores conditional headers still lets the caller skip a useless load."""
    require_shared()
    server.routes["/consolidated.xml"] = serve_file(UN_XML, etag=False, last_modified=False)
    dest = tmp_path / "un"
    state: dict[str, Any] = {}
    record_fetch(state, fetch(server, "un_sc_sanctions", dest, state))
    again = fetch(server, "un_sc_sanctions", dest, state)
    assert again.files[0].status == 200 and not again.files[0].changed and again.not_modified


def test_switching_to_a_mirror_drops_validators_keeps_checksums(
    server: _Server, tmp_path: Path
) -> None:
    """A mirror's ETags mean nothing to the publisher, but identical bytes are still no news."""
    server.routes["/consolidated.xml"] = serve_bytes(b"<CONSOLIDATED_LIST/>")
    server.routes["/mirror/consolidated.xml"] = serve_bytes(b"<CONSOLIDATED_LIST/>")
    dest = tmp_path / "un"
    state: dict[str, Any] = {}
    record_fetch(state, fetch(server, "un_sc_sanctions", dest, state))
    mirror = resolve_source("un_sc_sanctions", config={}, base_url=server.url + "/mirror")
    again = fetch(server, "un_sc_sanctions", dest, state, source=mirror)
    assert "if-none-match" not in server.headers_for("/mirror/consolidated.xml")[-1]
    assert again.files[0].status == 200 and again.not_modified


def test_missing_local_file_is_fetched_unconditionally(server: _Server, tmp_path: Path) -> None:
    """A 304 for a file we no longer have would leave nothing to load."""
    require_shared()
    server.routes["/consolidated.xml"] = serve_file(UN_XML)
    dest = tmp_path / "un"
    state: dict[str, Any] = {}
    record_fetch(state, fetch(server, "un_sc_sanctions", dest, state))
    (dest / "consolidated.xml").unlink()
    again = fetch(server, "un_sc_sanctions", dest, state)
    assert "if-none-match" not in server.headers_for("/consolidated.xml")[-1]
    assert again.files[0].status == 200
    assert (dest / "consolidated.xml").read_bytes() == UN_XML.read_bytes()


def test_redirects_are_followed(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = redirect("/files/v2/consolidated.xml")
    server.routes["/files/v2/consolidated.xml"] = serve_bytes(b"<CONSOLIDATED_LIST/>")
    result = fetch(server, "un_sc_sanctions", tmp_path / "un")
    assert result.files[0].final_url.endswith("/files/v2/consolidated.xml")
    assert (tmp_path / "un" / "consolidated.xml").read_bytes() == b"<CONSOLIDATED_LIST/>"


def test_gzip_encoded_body_is_decoded(server: _Server, tmp_path: Path) -> None:
    require_shared()
    original = UN_XML.read_bytes()
    server.routes["/consolidated.xml"] = chunked(1, gzip.compress(original), encoding="gzip")
    result = fetch(server, "un_sc_sanctions", tmp_path / "un")
    assert (tmp_path / "un" / "consolidated.xml").read_bytes() == original
    assert result.files[0].bytes == len(original)


# --------------------------------------------------------------------------------------------
# Failures: retried, refused, and never damaging what is on disk
# --------------------------------------------------------------------------------------------


def test_503_twice_then_200_is_retried(server: _Server, tmp_path: Path) -> None:
    require_shared()
    server.routes["/consolidated.xml"] = fail_first(2, 503, serve_file(UN_XML))
    sleeps = Sleeps()
    result = fetch(server, "un_sc_sanctions", tmp_path / "un", retries=3, sleep=sleeps)
    assert server.hits["/consolidated.xml"] == 3
    assert result.files[0].attempts == 3 and result.attempts == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9  # backoff grows (with jitter)
    assert (tmp_path / "un" / "consolidated.xml").read_bytes() == UN_XML.read_bytes()


def test_retry_after_is_honoured(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = fail_first(
        1, 429, serve_bytes(b"<x/>"), {"Retry-After": "2"}
    )
    sleeps = Sleeps()
    fetch(server, "un_sc_sanctions", tmp_path / "un", sleep=sleeps)
    assert sleeps == [2.0]


def test_retry_after_too_long_is_reported_not_waited(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = always(503, {"Retry-After": "3600"})
    sleeps = Sleeps()
    with pytest.raises(UpdateError, match="retry after 3600 s") as err:
        fetch(server, "un_sc_sanctions", tmp_path / "un", sleep=sleeps)
    assert sleeps == [] and server.hits["/consolidated.xml"] == 1
    assert err.value.status == 503


def test_always_500_fails_after_retries_and_keeps_old_file(
    server: _Server, tmp_path: Path
) -> None:
    server.routes["/consolidated.xml"] = always(500)
    dest = tmp_path / "un"
    dest.mkdir()
    old = dest / "consolidated.xml"
    old.write_bytes(b"<previous version/>")
    with pytest.raises(UpdateError) as err:
        fetch(server, "un_sc_sanctions", dest, retries=2)
    message = str(err.value)
    assert message.startswith("un_sc_sanctions: HTTP 500 from ")
    assert f"{server.url}/consolidated.xml" in message
    assert "after 3 tries" in message and update.ENV_BASE_URL in message
    assert (err.value.status, err.value.attempts) == (500, 3)
    assert server.hits["/consolidated.xml"] == 3
    assert old.read_bytes() == b"<previous version/>"
    assert parts(dest) == []


def test_404_is_not_retried(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(UpdateError, match="HTTP 404 from .*moved the file") as err:
        fetch(server, "un_sc_sanctions", tmp_path / "un", retries=3)
    assert server.hits["/consolidated.xml"] == 1 and err.value.status == 404


def test_truncated_body_is_an_error_without_partial_file(
    server: _Server, tmp_path: Path
) -> None:
    require_shared()
    data = UN_XML.read_bytes()
    server.routes["/consolidated.xml"] = truncated(data, len(data) // 3)
    dest = tmp_path / "un"
    with pytest.raises(UpdateError, match="before the whole file arrived") as err:
        fetch(server, "un_sc_sanctions", dest, retries=1)
    assert "after 2 tries" in str(err.value)
    assert server.hits["/consolidated.xml"] == 2
    assert not (dest / "consolidated.xml").exists()
    assert parts(dest) == []


def test_slow_server_times_out_after_retries(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = stalled(server, 5.0)
    t0 = time.monotonic()
    with pytest.raises(UpdateError, match="timed out waiting for data .* after 2 tries"):
        fetch(server, "un_sc_sanctions", tmp_path / "un", timeout=0.5, retries=1)
    assert time.monotonic() - t0 < 3.0
    assert server.hits["/consolidated.xml"] == 2


def test_trickling_server_hits_the_wall_clock_limit(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = trickle(server, b"x" * 100, 0.05)
    with pytest.raises(UpdateError, match="too slow"):
        fetch(server, "un_sc_sanctions", tmp_path / "un", timeout=0.5, total_timeout=0.3)
    assert server.hits["/consolidated.xml"] == 1
    assert parts(tmp_path / "un") == []


def test_deadline_is_per_file_over_every_retry(server: _Server, tmp_path: Path) -> None:
    """A server that stalls on every attempt: the per-file deadline ends it, not the number of
    tries times the read timeout (issue 13, item 7)."""
    server.routes["/consolidated.xml"] = stalled(server, 5.0)
    t0 = time.monotonic()
    with pytest.raises(UpdateError, match=r"within the 1.2 s deadline for one file after \d tries") as err:
        fetch(server, "un_sc_sanctions", tmp_path / "un", timeout=0.5, retries=5, total_timeout=1.2)
    assert time.monotonic() - t0 < 2.0  # 6 tries x 0.5 s read timeout would be 3 s
    assert "--timeout" in str(err.value)
    assert parts(tmp_path / "un") == []


def test_deadline_cuts_a_long_read_timeout(server: _Server, tmp_path: Path) -> None:
    """A read timeout longer than the deadline does not outlast it."""
    server.routes["/consolidated.xml"] = stalled(server, 5.0)
    t0 = time.monotonic()
    with pytest.raises(UpdateError, match="deadline"):
        fetch(server, "un_sc_sanctions", tmp_path / "un", timeout=4.0, retries=3, total_timeout=0.5)
    assert time.monotonic() - t0 < 1.5
    assert server.hits["/consolidated.xml"] == 1


def test_content_length_over_limit_is_refused_unread(server: _Server, tmp_path: Path) -> None:
    written: list[int] = []
    server.routes["/consolidated.xml"] = declared_huge(2_000_000_000, written)
    seen: list[tuple[str, str, int, int | None]] = []
    t0 = time.monotonic()
    with pytest.raises(UpdateError, match="declares 2,000.0 MB, over the 1.0 MB limit"):
        fetch(server, "un_sc_sanctions", tmp_path / "un", max_bytes=1_000_000,
              progress=lambda *a: seen.append(a))
    assert time.monotonic() - t0 < 2.0
    assert server.hits["/consolidated.xml"] == 1  # not retried
    assert all(done == 0 for _, _, done, _ in seen)  # not a byte read into a file
    assert parts(tmp_path / "un") == [] and not (tmp_path / "un" / "consolidated.xml").exists()
    deadline = time.monotonic() + 2
    while not written and time.monotonic() < deadline:  # the server notices the hang-up
        time.sleep(0.01)
    assert written and written[0] < 2_000_000_000


def test_chunked_body_growing_past_limit_is_aborted(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = chunked(100, b"y" * 65536)  # 6.5 MB, no length
    dest = tmp_path / "un"
    dest.mkdir()
    (dest / "consolidated.xml").write_bytes(b"<previous/>")
    with pytest.raises(UpdateError, match="more than the 1.0 MB limit"):
        fetch(server, "un_sc_sanctions", dest, max_bytes=1_000_000)
    assert server.hits["/consolidated.xml"] == 1
    assert (dest / "consolidated.xml").read_bytes() == b"<previous/>"
    assert parts(dest) == []


def test_gzip_bomb_is_aborted_on_decoded_size(server: _Server, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * 8_000_000)  # ~8 kB on the wire
    server.routes["/consolidated.xml"] = chunked(1, bomb, encoding="gzip")
    with pytest.raises(UpdateError, match="more than the 1.0 MB limit"):
        fetch(server, "un_sc_sanctions", tmp_path / "un", max_bytes=1_000_000)
    assert parts(tmp_path / "un") == []


def test_empty_body_is_refused(server: _Server, tmp_path: Path) -> None:
    server.routes["/consolidated.xml"] = serve_bytes(b"")
    with pytest.raises(UpdateError, match="empty file"):
        fetch(server, "un_sc_sanctions", tmp_path / "un")


def test_third_file_failing_replaces_no_file(server: _Server, tmp_path: Path) -> None:
    require_shared()
    serve_ofac(server, OFAC_OLD)
    dest = tmp_path / "sdn"
    state: dict[str, Any] = {}
    record_fetch(state, fetch(server, "us_ofac_sdn", dest, state))
    serve_ofac(server, OFAC_NEW)
    server.routes["/add.csv"] = always(500)  # the 3rd file of the set
    with pytest.raises(UpdateError, match="add.csv"):
        fetch(server, "us_ofac_sdn", dest, state, retries=1)
    # The first two new files were really downloaded, then thrown away.
    assert server.hits["/sdn.csv"] == 2 and server.hits["/alt.csv"] == 2
    assert server.hits["/sdn_comments.csv"] == 1  # never reached after add.csv failed
    for name in OFAC_NAMES:
        assert (dest / name).read_bytes() == (OFAC_OLD / name).read_bytes()
    assert parts(dest) == []


def test_unreachable_server_is_a_connection_error(tmp_path: Path) -> None:
    srv = _Server()  # bound, then closed: nothing listens on that port any more
    url = srv.url
    srv.server_close()
    src = resolve_source("un_sc_sanctions", config={}, base_url=url)
    with pytest.raises(UpdateError, match="cannot reach .* after 2 tries"):
        fetch_dataset("un_sc_sanctions", tmp_path, {}, source=src, retries=1, backoff=0.01,
                      timeout=1.0, sleep=Sleeps())


# --------------------------------------------------------------------------------------------
# State and housekeeping
# --------------------------------------------------------------------------------------------


def test_state_round_trip_and_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.json"
    assert load_state(path) == {"version": 1, "datasets": {}}
    state = {"version": 1, "datasets": {"x": {"files": {"a": {"etag": '"1"'}}}}}
    save_state(path, state)
    assert load_state(path) == state
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temp left
    path.write_text("{not json")
    assert load_state(path) == {"version": 1, "datasets": {}}


def test_stale_temp_files_are_cleaned(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "un"
    dest.mkdir()
    (dest / ".consolidated.xml.abc123.part").write_bytes(b"left by a killed run")
    server.routes["/consolidated.xml"] = serve_bytes(b"<x/>")
    fetch(server, "un_sc_sanctions", dest)
    assert parts(dest) == []


@pytest.mark.skipif(os.name != "posix", reason="advisory locks are POSIX")
def test_stale_parts_of_other_datasets_are_cleaned_unless_in_use(tmp_path: Path) -> None:
    import fcntl

    root = tmp_path / "downloads"
    (root / "un_sc_sanctions").mkdir(parents=True)
    (root / "us_ofac_sdn").mkdir()
    left = root / "un_sc_sanctions" / ".consolidated.xml.abc.part"
    left.write_bytes(b"left by a killed run")
    busy = root / "us_ofac_sdn" / ".sdn.csv.def.part"
    busy.write_bytes(b"being written")
    kept = root / "un_sc_sanctions" / "consolidated.xml"
    kept.write_bytes(b"<x/>")
    with open(root / "us_ofac_sdn" / ".listguard-update.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # another update is writing this folder
        assert update.clean_stale_downloads(root) == 1
    assert not left.exists() and busy.exists() and kept.exists()


@pytest.mark.skipif(os.name != "posix", reason="advisory locks are POSIX")
def test_concurrent_update_of_same_folder_is_refused(server: _Server, tmp_path: Path) -> None:
    import fcntl

    dest = tmp_path / "un"
    dest.mkdir()
    server.routes["/consolidated.xml"] = serve_bytes(b"<x/>")
    with open(dest / ".listguard-update.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(UpdateError, match="another `listguard update`"):
            fetch(server, "un_sc_sanctions", dest)
    assert server.hits["/consolidated.xml"] == 0
