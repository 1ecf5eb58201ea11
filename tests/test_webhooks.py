"""Webhooks against a real receiver on 127.0.0.1 that fails, times out, then succeeds.

Every loop here is bounded: short client timeouts, small backoffs, a time budget per
``deliver`` call, and server threads that are daemons.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
from typer.testing import CliRunner

from listguard.cli import app
from listguard.monitor import schema as t
from listguard.monitor import webhooks
from listguard.store import open_store

runner = CliRunner()
SECRET = "test-secret-123"


class Receiver:
    """A scripted HTTP receiver: each request takes the next behaviour ('fail', 'slow', 'ok')."""

    def __init__(self, script: list[str], slow_s: float = 1.5) -> None:
        self.script = list(script)
        self.slow_s = slow_s
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    action = receiver.script.pop(0) if receiver.script else "ok"
                    receiver.requests.append({"body": body, "headers": dict(self.headers), "action": action})
                if action == "slow":
                    time.sleep(receiver.slow_s)
                code = 500 if action == "fail" else 200
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up (timeout) and closed the socket

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(script: list[str], slow_s: float = 1.5) -> Receiver:
        r = Receiver(script, slow_s)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def _enqueue(engine: Any, alert_id: int = 7, portfolio: str = "default") -> None:
    with engine.begin() as conn:
        webhooks.enqueue(
            conn,
            portfolio,
            "alert.created",
            {"id": alert_id, "record_id": "C-1", "entity_id": "us_ofac_sdn:40250", "score": 0.93, "reason": "new_entity"},
        )


def test_fails_times_out_then_succeeds(home: Path, receiver_factory: Any) -> None:
    receiver = receiver_factory(["fail", "slow", "ok"], slow_s=1.5)
    engine = open_store().engine
    hook_id = webhooks.add_webhook(engine, receiver.url, SECRET)
    _enqueue(engine)
    started = time.monotonic()
    stats = webhooks.deliver(engine, budget_s=10, timeout_s=0.5, backoff_base=0.1)
    assert time.monotonic() - started < 8
    assert stats.delivered == 1 and stats.pending == 0 and stats.attempted == 3
    log = webhooks.delivery_log(engine, webhook_id=hook_id)
    assert len(log) == 1 and log[0]["status"] == "delivered" and log[0]["attempts"] == 3
    attempts = log[0]["attempt_log"]
    assert attempts[0]["status_code"] == 500 and attempts[0]["error"] == "HTTP 500"
    assert attempts[1]["status_code"] is None and "timeout" in attempts[1]["error"]
    assert attempts[2]["status_code"] == 200 and attempts[2]["error"] is None
    # Every attempt carried the same signed body; the signature checks out.
    assert len(receiver.requests) == 3
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1
    final = receiver.requests[-1]
    assert webhooks.verify_signature(SECRET, final["body"], final["headers"]["X-Listguard-Signature"])
    assert not webhooks.verify_signature("wrong-secret", final["body"], final["headers"]["X-Listguard-Signature"])
    assert final["headers"]["X-Listguard-Signature"].startswith("sha256=")
    payload = orjson.loads(final["body"])
    assert payload["event"] == "alert.created" and payload["alert"]["entity_id"] == "us_ofac_sdn:40250"
    assert final["headers"]["X-Listguard-Delivery"] == str(log[0]["id"])


def test_gives_up_after_max_attempts_and_can_be_requeued(home: Path, receiver_factory: Any) -> None:
    receiver = receiver_factory(["fail"] * 10)
    engine = open_store().engine
    webhooks.add_webhook(engine, receiver.url, SECRET)
    _enqueue(engine)
    stats = webhooks.deliver(engine, budget_s=5, timeout_s=0.5, backoff_base=0.05, max_attempts=3)
    assert stats.failed == 1 and stats.delivered == 0 and len(receiver.requests) == 3
    assert webhooks.delivery_log(engine)[0]["status"] == "failed"
    assert webhooks.retry_failed(engine) == 1
    receiver.script.clear()  # now it answers 200
    stats = webhooks.deliver(engine, budget_s=5, timeout_s=0.5)
    assert stats.delivered == 1


def test_budget_bounds_a_hanging_receiver(home: Path, receiver_factory: Any) -> None:
    receiver_factory(["slow"] * 20, slow_s=3.0)
    engine = open_store().engine
    webhooks.add_webhook(engine, receiver_factory(["slow"] * 20, slow_s=3.0).url, SECRET)
    for i in range(5):
        _enqueue(engine, alert_id=i)
    started = time.monotonic()
    stats = webhooks.deliver(engine, budget_s=1.0, timeout_s=0.3, backoff_base=0.05)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, elapsed
    assert stats.delivered == 0 and stats.pending == 5


def test_backoff_waits_beyond_budget_are_left_for_later(home: Path, receiver_factory: Any) -> None:
    receiver = receiver_factory(["fail", "ok"])
    engine = open_store().engine
    webhooks.add_webhook(engine, receiver.url, SECRET)
    _enqueue(engine)
    stats = webhooks.deliver(engine, budget_s=1.0, timeout_s=0.5, backoff_base=60)
    assert stats.retrying == 1 and stats.pending == 1 and len(receiver.requests) == 1
    # The next call (a later run) sends it once it is due: make it due now.
    with engine.begin() as conn:
        conn.execute(t.deliveries.update().values(next_attempt_at=0.0))
    stats = webhooks.deliver(engine, budget_s=2.0, timeout_s=0.5)
    assert stats.delivered == 1


def test_portfolio_filter_and_removed_hook(home: Path, receiver_factory: Any) -> None:
    receiver = receiver_factory([])
    engine = open_store().engine
    only_retail = webhooks.add_webhook(engine, receiver.url, SECRET, portfolio="retail")
    _enqueue(engine, portfolio="corporate")
    assert webhooks.deliver(engine, budget_s=1).attempted == 0
    _enqueue(engine, portfolio="retail")
    assert webhooks.deliver(engine, budget_s=2, timeout_s=0.5).delivered == 1
    assert webhooks.remove_webhook(engine, only_retail)
    _enqueue(engine, portfolio="retail")
    assert webhooks.deliver(engine, budget_s=1).attempted == 0


def test_bad_webhook_input_is_refused(home: Path) -> None:
    engine = open_store().engine
    with pytest.raises(ValueError, match="http"):
        webhooks.add_webhook(engine, "ftp://example.org", SECRET)
    with pytest.raises(ValueError, match="secret"):
        webhooks.add_webhook(engine, "https://example.org/hook", "short")


def test_cli_add_list_log(home: Path, receiver_factory: Any) -> None:
    receiver = receiver_factory(["fail", "ok"])
    result = runner.invoke(app, ["webhook", "add", receiver.url, "--secret", SECRET])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["webhook", "list", "--json"])
    hooks = orjson.loads(result.stdout)
    assert hooks[0]["url"] == receiver.url and SECRET not in result.stdout
    _enqueue(open_store().engine)
    result = runner.invoke(app, ["webhook", "deliver", "--budget", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["webhook", "log", "--json"])
    log = orjson.loads(result.stdout)
    assert log[0]["status"] in ("delivered", "pending")
    result = runner.invoke(app, ["webhook", "log"])
    assert result.exit_code == 0 and "Webhook deliveries" in result.output and "200" in result.output
    # the secret never reaches the audit trail
    result = runner.invoke(app, ["audit", "--json"])
    assert SECRET not in result.stdout and "webhook.add" in result.stdout


def test_a_monitoring_run_notifies_new_alerts_after_committing(
    home: Path, tmp_path: Path, receiver_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run commits its alerts, then delivers them; a hanging receiver costs the bounded
    budget, not the screening (the alerts are already there)."""
    from listguard.batch import read_rows
    from listguard.monitor import rescreen
    from listguard.monitor.alerts import list_alerts
    from listguard.monitor.portfolio import add_records
    from listguard.sources.base import ParseResult
    from tests.test_monitor_core import PORTFOLIO, V1

    receiver = receiver_factory(["fail", "ok", "ok", "ok"])
    store = open_store()
    store.load(ParseResult(dataset="test_list", entities=V1), "v1")
    webhooks.add_webhook(store.engine, receiver.url, SECRET, portfolio="default")
    (tmp_path / "p.csv").write_text(PORTFOLIO)
    add_records(store.engine, "default", read_rows(tmp_path / "p.csv"))
    monkeypatch.setenv("LISTGUARD_WEBHOOK_BUDGET", "6")
    report = rescreen.run(store, "default")
    alerts = list_alerts(store.engine)
    assert len(alerts) == 3 and report.deliveries is not None
    log = webhooks.delivery_log(store.engine)
    assert len(log) == 3 and {d["alert_id"] for d in log} == {a["id"] for a in alerts}
    delivered = [r for r in receiver.requests if r["action"] == "ok"]
    bodies = [orjson.loads(r["body"]) for r in delivered]
    assert all(b["event"] == "alert.created" and b["alert"]["reason"] == "initial" for b in bodies)
    assert all(webhooks.verify_signature(SECRET, r["body"], r["headers"]["X-Listguard-Signature"]) for r in delivered)
