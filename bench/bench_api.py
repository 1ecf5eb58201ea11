"""Benchmark the HTTP service: requests/s and p50/p99 latency of ``POST /match``.

One query per request, against every list in ../shared/data/lists loaded together, at 1, 8
and 32 concurrent clients. The server is ``listguard serve`` in its own process(es) on
127.0.0.1; this process is the client (asyncio, raw HTTP/1.1 keep-alive connections, so the
client costs as little CPU as possible on a 2-core machine where it shares the cores with the
server). Prints the figures next to yente's published throughput.

    python bench/bench_api.py                         # loads the lists into a temp store
    python bench/bench_api.py --home ~/.local/share/listguard --workers 2 --seconds 20
    python bench/bench_api.py --home ~/.local/share/listguard --in-process   # API overhead alone

``--in-process`` runs no server: it sends the requests through the ASGI app in this process
and splits the time of each into matching (``Screener.screen``) and the API's own overhead.

Not a test: it prints numbers. Targets (issue 5): >= 500 requests/s with p99 <= 50 ms at 8
concurrent clients on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, MutableMapping

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_monitor import FAMILY, GIVEN  # noqa: E402  (the same made-up customer names)
DEFAULT_LISTS = Path(os.environ.get("LISTGUARD_SHARED_DATA", ROOT.parent / "shared" / "data")) / "lists"

#: yente's deployment notes: about 4 requests/s per vCPU with its default algorithm and about
#: 15 with logic-v1.
YENTE_PER_VCPU = {"yente default algorithm": 4.0, "yente logic-v1": 15.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_lists(home: Path, lists: Path) -> None:
    env = {**os.environ, "LISTGUARD_HOME": str(home)}
    env.pop("LISTGUARD_DATABASE_URL", None)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "listguard.cli", "load", str(lists), "--json"],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )
    print(f"loaded {lists} in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def make_queries(home: Path, n: int, seed: int = 7) -> list[bytes]:
    """Request bodies: names from the loaded lists (as typed by a customer: reordered, lower
    case, a letter dropped) mixed with made-up names that are on no list, as onboarding
    traffic is mostly clean."""
    os.environ["LISTGUARD_HOME"] = str(home)
    from listguard.store import open_store

    rng = random.Random(seed)
    store = open_store()
    people: list[tuple[str, str, list[str]]] = []
    for e in store.current_entities():
        if e.schema in ("Person", "Organization", "Company", "LegalEntity", "Vessel"):
            people.append((e.schema, e.caption, e.get("birthDate")))
    store.close()
    rng.shuffle(people)
    bodies: list[bytes] = []
    for i in range(n):
        if i % 2 == 0 and people:
            schema, name, dobs = people[i % len(people)]
            parts = name.replace(",", " ").split()
            if len(parts) > 1 and rng.random() < 0.5:
                parts = parts[1:] + parts[:1]
            text = " ".join(parts)
            if len(text) > 6 and rng.random() < 0.3:
                k = rng.randrange(1, len(text) - 1)
                text = text[:k] + text[k + 1 :]
            props: dict[str, Any] = {"name": [text.title() if rng.random() < 0.5 else text]}
            if dobs and schema == "Person" and rng.random() < 0.5:
                props["birthDate"] = [dobs[0][:4]]
        else:
            schema = "Person"
            middle = f"{rng.choice(GIVEN)} " if rng.random() < 0.3 else ""
            props = {"name": [f"{rng.choice(GIVEN)} {middle}{rng.choice(FAMILY)}"]}
        bodies.append(orjson.dumps({"queries": {"q1": {"schema": schema, "properties": props}}}))
    return bodies


class Server:
    def __init__(self, home: Path, workers: int, port: int) -> None:
        self.home = home
        self.workers = workers
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Server":
        env = {**os.environ, "LISTGUARD_HOME": str(self.home), "LISTGUARD_RATE_LIMIT": "0"}
        env.pop("LISTGUARD_DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "listguard.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning"],
            env=env, start_new_session=True,
        )
        deadline = time.monotonic() + 600
        import urllib.request

        # Every worker must have built its index before measuring: /healthz names the process
        # that answered, and new connections reach every listening worker.
        pids: set[int] = set()
        while time.monotonic() < deadline and len(pids) < self.workers:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited on start")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        pids.add(int(orjson.loads(r.read())["pid"]))
                        continue
            except OSError:
                pass
            time.sleep(0.2)
        if len(pids) < self.workers:
            raise RuntimeError(f"only {len(pids)} of {self.workers} workers ready after 600 s")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


async def _client(port: int, bodies: list[bytes], start: int, until: float, latencies: list[float],
                  errors: list[str], path: str = "/match/default", limit: int | None = None,
                  step: int = 7) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = start
    sent = 0
    try:
        while time.perf_counter() < until and (limit is None or sent < limit):
            body = bodies[i % len(bodies)]
            i += step
            sent += 1
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if b" 200 " not in status_line:
                errors.append(status_line.decode(errors="replace").strip())
    finally:
        writer.close()


async def run_level(port: int, bodies: list[bytes], concurrency: int, seconds: float) -> dict[str, Any]:
    # warm-up (not measured)
    await asyncio.gather(*[_client(port, bodies, c * 13, time.perf_counter() + 1.0, [], []) for c in range(concurrency)])
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*[_client(port, bodies, c * 101, until, latencies, errors) for c in range(concurrency)])
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": len(errors),
        "error_sample": errors[:3],
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


async def _prime(port: int, bodies: list[bytes]) -> None:
    """Every body once, over 4 connections."""
    chunks = [bodies[i::4] for i in range(4)]
    await asyncio.gather(*[_client(port, chunk, 0, float("inf"), [], [], limit=len(chunk), step=1) for chunk in chunks])


def in_process(home: Path, bodies: list[bytes], rounds: int = 3) -> dict[str, float]:
    """Per-request cost of ``POST /match/default`` through the ASGI app in this process (no
    sockets, no HTTP parsing), split into ``Screener.screen`` and everything else (the API's
    own overhead: parsing, validation, auth, building and serialising the response).

    Every body is sent once before measuring, so the figures are the steady state. Times are
    this thread's CPU time (``time.thread_time``), not wall time, so other processes on a
    shared machine disturb them less; the best of ``rounds`` rounds is reported.
    """
    os.environ["LISTGUARD_HOME"] = str(home)
    os.environ.pop("LISTGUARD_DATABASE_URL", None)
    from listguard.server import create_app
    from listguard.api.config import ServerConfig
    from listguard.store import open_store

    store = open_store()
    app = create_app(store, ServerConfig(reload_seconds=0, rate_limit=0), ui=False)
    spent = [0.0]

    async def call(body: bytes) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/match/default", "raw_path": b"/match/default",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000), "state": {},
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        status: list[int] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise RuntimeError(f"/match answered {status}")

    async def run() -> dict[str, float]:
        started: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        events: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        await started.put({"type": "lifespan.startup"})
        lifespan = asyncio.create_task(
            app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, started.get, events.put)
        )
        if (await events.get())["type"] != "lifespan.startup.complete":
            raise RuntimeError("the app did not start")
        screener = app.state.lg.service.snapshot.screener
        screen = screener.screen

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.thread_time()
            try:
                return screen(*args, **kwargs)
            finally:
                spent[0] += time.thread_time() - t0

        screener.screen = timed
        for body in bodies:  # prime
            await call(body)
        best: dict[str, float] = {}
        for _ in range(rounds):
            spent[0] = 0.0
            t0 = time.thread_time()
            for body in bodies:
                await call(body)
            total = (time.thread_time() - t0) / len(bodies) * 1000
            matching = spent[0] / len(bodies) * 1000
            if not best or total < best["total_ms"]:
                best = {"total_ms": total, "screen_ms": matching, "overhead_ms": total - matching}
        await started.put({"type": "lifespan.shutdown"})
        await lifespan
        return best

    try:
        return asyncio.run(run())
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="A LISTGUARD_HOME with lists loaded (default: load them into a temp one).")
    parser.add_argument("--lists", type=Path, default=DEFAULT_LISTS, help="Lists to load when --home is not given.")
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    parser.add_argument("--concurrency", default="1,8,32", help="Comma-separated client counts.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Measured seconds per level.")
    parser.add_argument("--queries", type=int, default=40000,
                        help="Distinct request bodies to cycle through. The default is more than a run sends, so "
                             "(nearly) every request is a name the server has not screened before: the matcher "
                             "keeps each worker's recent per-query results, and cycling a few thousand bodies "
                             "would measure that cache, not screening.")
    parser.add_argument("--vcpus", type=int, default=os.cpu_count() or 2, help="vCPUs for the yente comparison.")
    parser.add_argument("--prime", action="store_true",
                        help="Send every request body once before measuring (steady state: the matcher's "
                             "caches have seen every name; without it most names are new, as in production).")
    parser.add_argument("--json", action="store_true", help="Also print the results as JSON.")
    parser.add_argument("--in-process", action="store_true",
                        help="Instead of a server: time the requests through the ASGI app in this process "
                             "and split each into matching (Screener.screen) and the API's own overhead.")
    args = parser.parse_args()

    tmp: str | None = None
    home = args.home
    if home is None:
        tmp = tempfile.mkdtemp(prefix="listguard-bench-api-")
        home = Path(tmp)
        load_lists(home, args.lists)
    try:
        bodies = make_queries(home, args.queries)
        if args.in_process:
            cost = in_process(home, bodies)
            print(f"POST /match/default in process, one query per request, {len(bodies)} bodies "
                  f"(primed), best of 3 rounds, CPU time: {cost['total_ms']:.3f} ms per request = "
                  f"{cost['screen_ms']:.3f} ms matching (Screener.screen) + "
                  f"{cost['overhead_ms']:.3f} ms API overhead")
            if args.json:
                print(orjson.dumps(cost).decode())
            return
        port = free_port()
        started = time.perf_counter()
        with Server(home, args.workers, port):
            print(f"server ready in {time.perf_counter() - started:.1f}s ({args.workers} worker(s))", file=sys.stderr)
            if args.prime:
                asyncio.run(_prime(port, bodies))
            levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
            results = [asyncio.run(run_level(port, bodies, c, args.seconds)) for c in levels]
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    load = os.getloadavg()
    yente = {name: per * args.vcpus for name, per in YENTE_PER_VCPU.items()}
    print(f"\nPOST /match/default, one query per request ({'primed: names seen before' if args.prime else 'mostly new names'}), all lists loaded, {args.workers} worker(s), "
          f"{os.cpu_count()} CPU(s), {args.seconds:.0f}s per level; load average {load[0]:.1f} "
          f"({'quiet' if load[0] < 1.5 else 'OTHER PROCESSES WERE BUSY: figures are low'})")
    header = f"{'clients':>7} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
    for name in yente:
        header += f"  {'x ' + name:>26}"
    print(header)
    for r in results:
        line = (f"{r['concurrency']:>7} {r['requests']:>9} {r['errors']:>6} {r['rps']:>8.0f} "
                f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}")
        for rate in yente.values():
            line += f"  {r['rps'] / rate:>25.0f}x"
        print(line)
    print("yente reference: " + ", ".join(
        f"{name} ~{per:.0f} req/s per vCPU = {per * args.vcpus:.0f} req/s on {args.vcpus} vCPUs"
        for name, per in YENTE_PER_VCPU.items()))
    at8 = next((r for r in results if r["concurrency"] == 8), None)
    if at8:
        ok = at8["rps"] >= 500 and at8["p99_ms"] <= 50 and at8["errors"] == 0
        print(f"target at 8 clients (>= 500 req/s, p99 <= 50 ms): {'met' if ok else 'NOT met'} "
              f"({at8['rps']:.0f} req/s, p99 {at8['p99_ms']:.1f} ms)")
    if args.json:
        print(orjson.dumps({"results": results, "yente": yente, "workers": args.workers}).decode())


if __name__ == "__main__":
    main()
