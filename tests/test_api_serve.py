"""`listguard serve` as a user runs it: a real process (and its workers) on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from listguard.model import Entity
from listguard.sources.base import ParseResult
from listguard.store import Store
from tests.api_helpers import free_port


def _store(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{home / 'listguard.db'}")
    e = Entity(id="test_list:1", schema="Person", dataset="test_list")
    e.add("name", "JONG, Song Hwa")
    e.add("birthDate", "1970-02-05")
    store.load(ParseResult(dataset="test_list", entities=[e]), "test")
    store.close()


def _serve(home: Path, port: int, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LISTGUARD_HOME": str(home)}
    env.pop("LISTGUARD_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "listguard.cli", "serve", "--port", str(port), "--log-level", "warning", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _pids(url: str, want: int, timeout: float = 120) -> set[int]:
    """Process ids answering /healthz (new connections reach every ready worker)."""
    pids: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(pids) < want:
        try:
            r = httpx.get(f"{url}/healthz", timeout=5)
            if r.status_code == 200:
                pids.add(r.json()["pid"])
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return pids


def _stop(proc: subprocess.Popen[bytes]) -> int:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise


def test_serve_with_two_workers(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _store(home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(home, port, "--workers", "2")
    try:
        pids = _pids(url, 2)
        assert len(pids) == 2 and proc.pid not in pids, pids  # two worker processes answer
        body = {"queries": {"q1": {"schema": "Person", "properties": {"name": ["Chong Song-hwa"]}}}}
        for _ in range(10):
            r = httpx.post(f"{url}/match/default", json=body, timeout=30)
            assert r.status_code == 200
            assert r.json()["responses"]["q1"]["results"][0]["id"] == "test_list:1"
        assert httpx.get(f"{url}/ui/screen?name=Jong+Song+Hwa", timeout=30).status_code == 200
    finally:
        code = _stop(proc)
    assert code == 0, proc.stdout.read().decode() if proc.stdout else ""
    # and no worker outlives the server
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"worker {pid} still running")


def test_serve_single_process_and_port_in_use(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _store(home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(home, port)
    try:
        assert _pids(url, 1) and httpx.get(f"{url}/catalog", timeout=10).status_code == 200
        spec = orjson.loads(httpx.get(f"{url}/openapi.json", timeout=10).content)
        assert "/match/{dataset}" in spec["paths"]
        second = _serve(home, port, "--workers", "2")
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1 and b"cannot listen" in out
    finally:
        _stop(proc)
    # two multi-worker servers must not share a port either (their sockets use SO_REUSEPORT)
    proc = _serve(home, port, "--workers", "2")
    try:
        assert len(_pids(url, 2)) == 2
        second = _serve(home, port, "--workers", "2")
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1 and b"cannot listen" in out
    finally:
        _stop(proc)
