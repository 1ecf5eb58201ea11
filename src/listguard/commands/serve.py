"""``listguard serve`` (the HTTP API and web UI) and ``listguard keys`` (API keys)."""

from __future__ import annotations

import os
import socket
import sys
from typing import Annotated, Optional

import orjson
import typer
from rich.console import Console
from rich.table import Table

from listguard.termout import print_table

console = Console()
err = Console(stderr=True)

keys_app = typer.Typer(
    name="keys",
    help=(
        "Manage API keys for `listguard serve`. Roles: screener (match, search), analyst "
        "(+ alerts and decisions), admin (+ keys, reloads). Tokens are stored hashed and shown "
        "once.\n\nExample: listguard keys create \"Onboarding service\" --role screener"
    ),
    no_args_is_help=True,
)


def _engine():  # type: ignore[no-untyped-def]
    from listguard.store import open_store

    return open_store().engine


def _audit(action: str, details: dict[str, object]) -> None:
    from listguard import audit

    audit.record(_engine(), action, None, details, [])


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on. Non-loopback needs API keys.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each holds the lists in memory).")] = 1,
    reload_seconds: Annotated[
        Optional[float], typer.Option(help="Seconds between checks for new list versions (0: off).")
    ] = None,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    allowed_host: Annotated[
        Optional[list[str]],
        typer.Option(
            "--allowed-host",
            help="A Host name to answer besides localhost/127.0.0.1 while no API key exists "
            "(repeatable). Other names get 421: protection against DNS rebinding.",
        ),
    ] = None,
) -> None:
    """Serve the screening API (yente-compatible /match) and the analyst web UI.

    Open http://127.0.0.1:8000/ for the UI and /docs for the API. New list versions loaded
    with `listguard load` or `listguard update` are picked up within seconds, without restart.

    Examples:

      listguard serve                                  # this machine only, no key needed

      listguard keys create "Onboarding" --role screener && listguard serve --host 0.0.0.0 --workers 2

    Settings from the environment: LISTGUARD_MAX_BODY_BYTES, LISTGUARD_MAX_QUERIES,
    LISTGUARD_RATE_LIMIT (requests per key per minute), LISTGUARD_SECRET (set it with
    --workers > 1 so UI forms work across workers), LISTGUARD_DATABASE_URL.
    """
    import uvicorn

    from listguard.api.keys import active_key_count, ensure_schema
    from listguard.api.security import is_loopback_host

    if workers < 1:
        err.print("[bold red]error:[/] --workers must be at least 1")
        raise typer.Exit(2)
    engine = _engine()
    ensure_schema(engine)
    if not is_loopback_host(host) and active_key_count(engine) == 0:
        err.print(
            f"[bold red]error:[/] refusing to listen on {host}: no API keys exist, so anyone who "
            "can reach this address could screen, read alerts and change decisions.\n"
            "Create a key first:  listguard keys create \"Your Name\" --role admin\n"
            "or listen on this machine only:  listguard serve --host 127.0.0.1"
        )
        raise typer.Exit(2)
    if reload_seconds is not None:
        os.environ["LISTGUARD_RELOAD_SECONDS"] = str(reload_seconds)
    if allowed_host:
        os.environ["LISTGUARD_ALLOWED_HOSTS"] = ",".join(allowed_host)
    if workers > 1 and not os.environ.get("LISTGUARD_SECRET"):
        import secrets

        # One secret for all workers, so a UI form rendered by one is accepted by another.
        os.environ["LISTGUARD_SECRET"] = secrets.token_hex(32)
    err.print(f"listguard: starting on http://{host}:{port}/ (loading the lists; a 'ready' line follows)", soft_wrap=True)
    if workers == 1:
        from listguard.server import create_app

        config = uvicorn.Config(create_app(), host=host, port=port, access_log=access_log, log_level=log_level)
        ready_server(config, host, port).run()
    else:
        run_workers(host, port, workers, access_log=access_log, log_level=log_level)


def ready_server(config: "uvicorn.Config", host: str, port: int) -> "uvicorn.Server":  # type: ignore[name-defined]  # noqa: F821
    """A uvicorn server that prints one line once it accepts connections, so a script (or the
    README's ``listguard serve &``) knows when to start sending requests."""
    import uvicorn

    class _Ready(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                err.print(
                    f"listguard: ready, listening on http://{host}:{port}/ (UI) and "
                    f"http://{host}:{port}/docs (API); pid {os.getpid()}",
                    highlight=False,
                    soft_wrap=True,
                )

    return _Ready(config)


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not yet listening: uvicorn listens once the app
    has started, so no connection waits on a worker that is still building its index).

    Created with the protocol named (``IPPROTO_TCP``): asyncio sets TCP_NODELAY on accepted
    connections only when the listening socket says it is TCP. uvicorn's own worker mode binds
    with ``socket.socket(family)`` (protocol 0), and then every response, written as headers
    then body, waits out the client's 40 ms delayed ACK: 44 ms p50 per /match instead of 3.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host.strip("[]"), port))
    return sock


def _worker(host: str, port: int, access_log: bool, log_level: str) -> None:
    import uvicorn

    sock = _listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(
        "listguard.server:create_app", factory=True, host=host, port=port,
        access_log=access_log, log_level=log_level,
    )
    ready_server(config, host, port).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int, *, access_log: bool, log_level: str) -> None:
    """Run ``workers`` server processes, each with its own SO_REUSEPORT socket on the port.

    Why not uvicorn's ``--workers``: it shares one accepting socket, so with keep-alive
    clients (every HTTP client library) one process can end up holding most connections while
    the other core idles; with a socket per process the kernel spreads new connections across
    them. Workers that die are restarted; SIGINT/SIGTERM stop them all gracefully.
    """
    import multiprocessing
    import signal
    import threading

    if not sys.platform.startswith("linux"):
        # Elsewhere SO_REUSEPORT does not balance (or does not exist): share one socket.
        import uvicorn
        from uvicorn.supervisors import Multiprocess

        config = uvicorn.Config(
            "listguard.server:create_app", factory=True, host=host, port=port,
            workers=workers, access_log=access_log, log_level=log_level,
        )
        Multiprocess(config, sockets=[_listening_socket(host, port, reuse_port=False)]).run()
        return
    try:
        # Fail here, with a clear message, if anything holds the port: bound *without*
        # SO_REUSEPORT this also refuses when another listguard's workers share it.
        _listening_socket(host, port, reuse_port=False).close()
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot listen on {host}:{port}: {exc}")
        raise typer.Exit(1)
    ctx = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> "multiprocessing.process.BaseProcess":
        proc = ctx.Process(target=_worker, args=(host, port, access_log, log_level), name="listguard-worker")
        proc.start()
        return proc

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs = [start() for _ in range(workers)]
    while not stop.wait(1.0):
        for i, proc in enumerate(procs):
            if not proc.is_alive() and not stop.is_set():
                err.print(f"listguard: worker {proc.pid} exited ({proc.exitcode}); starting another")
                procs[i] = start()
    for proc in procs:
        if proc.is_alive() and proc.pid:
            os.kill(proc.pid, signal.SIGTERM)  # uvicorn finishes in-flight requests
    for proc in procs:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()


@keys_app.command("create")
def keys_create(
    owner: Annotated[str, typer.Argument(help="Who uses the key: a person or a system (named in the audit trail).")],
    role: Annotated[str, typer.Option(help="screener, analyst or admin.")] = "screener",
    rate_limit: Annotated[
        Optional[int], typer.Option(help="Requests per minute for this key (default: the server's; 0: none).")
    ] = None,
    expires: Annotated[Optional[str], typer.Option(help="Expiry, ISO date or date-time (UTC).")] = None,
    note: Annotated[Optional[str], typer.Option(help="Free text, e.g. the ticket that asked for it.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Create an API key and print its token (shown this once; only its hash is stored).

    Example: listguard keys create "Jane Analyst" --role analyst
    """
    from listguard.api.keys import KeyProblem, create_key

    try:
        key, token = create_key(_engine(), owner, role, rate_limit=rate_limit, expires_at=expires, note=note)
    except KeyProblem as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1)
    _audit("key_create", {"key_id": key.id, "owner": key.owner, "role": key.role})
    if json_out:
        sys.stdout.write(orjson.dumps({"key": key.to_dict(), "token": token}).decode() + "\n")
        return
    console.print(f"Created key [bold]{key.id}[/] for {key.owner} (role {key.role}).")
    console.print("Token (shown once, store it now):")
    console.print(token, highlight=False, soft_wrap=True)
    console.print("Use it as:  Authorization: ApiKey <token>   (or the X-API-Key header)")


@keys_app.command("list")
def keys_list(
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    active: Annotated[bool, typer.Option("--active", help="Only keys that still work.")] = False,
) -> None:
    """List API keys (ids, owners, roles, state; never tokens).

    Example: listguard keys list --active
    """
    from listguard.api.keys import list_keys

    keys = list_keys(_engine(), include_revoked=not active)
    if json_out:
        sys.stdout.write(orjson.dumps({"keys": [k.to_dict() for k in keys]}).decode() + "\n")
        return
    if not keys:
        console.print("No API keys. Create one: listguard keys create OWNER --role screener")
        return
    table = Table(title="API keys")
    for col in ("id", "owner", "role", "created", "expires", "rate/min", "state"):
        table.add_column(col)
    for k in keys:
        state = "[green]active[/]" if k.active else (f"[red]revoked {k.revoked_at}[/]" if k.revoked_at else "[yellow]expired[/]")
        table.add_row(k.id, k.owner, k.role, k.created_at, k.expires_at or "", "" if k.rate_limit is None else str(k.rate_limit), state)
    print_table(console, table, keep=("id",))


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id from `listguard keys list`.")]) -> None:
    """Revoke an API key; running servers refuse it within seconds.

    Example: listguard keys revoke 3f9a2c1d0b7e
    """
    from listguard.api.keys import KeyProblem, revoke_key

    try:
        key = revoke_key(_engine(), key_id)
    except KeyProblem as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1)
    _audit("key_revoke", {"key_id": key.id, "owner": key.owner})
    console.print(f"Revoked key {key.id} ({key.owner}, {key.role}) at {key.revoked_at}.")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
