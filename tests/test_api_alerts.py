"""Alert and decision endpoints over real monitoring alerts (OFAC SDN), with roles and audit."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from listguard import audit
from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.api.keys import create_key
from listguard.cli import app as cli_app
from listguard.store import Store
from tests.api_helpers import copy_home, env, sqlite_url, template_home

runner = CliRunner()

PORTFOLIO = "id,name,birth_date,country\nc1,Jong Song Hwa,1970-02-05,kp\nc2,Joseph Kony,,\nc3,Maria Lindqvist,1984-03-02,se\n"


@pytest.fixture(scope="module")
def with_portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lists (OFAC SDN, UN) with the ``retail`` portfolio added from the CLI, once per
    module; each test works on its own copy of this home (the tests decide alerts)."""
    base = tmp_path_factory.mktemp("alerts-tpl")
    home = copy_home(template_home(base / "lists"), base / "home")
    csv = base / "customers.csv"
    csv.write_text(PORTFOLIO)
    with env(LISTGUARD_HOME=str(home), LISTGUARD_DATABASE_URL=None):
        r = runner.invoke(cli_app, ["monitor", "add", str(csv), "--portfolio", "retail"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return home


@pytest.fixture
def setup(with_portfolio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str, str, Store]]:
    home = copy_home(with_portfolio, tmp_path / "home")
    monkeypatch.setenv("LISTGUARD_HOME", str(home))
    monkeypatch.delenv("LISTGUARD_DATABASE_URL", raising=False)
    store = Store(sqlite_url(home))
    _, analyst = create_key(store.engine, "Jane Analyst", "analyst")
    _, screener = create_key(store.engine, "Onboarding", "screener")
    with TestClient(create_app(store, ServerConfig(reload_seconds=0))) as c:
        yield c, analyst, screener, store
    store.close()


def test_alerts_listing_and_roles(setup: tuple[TestClient, str, str, Store]) -> None:
    c, analyst, screener, _ = setup
    assert c.get("/alerts", headers={"X-API-Key": screener}).status_code == 403
    assert c.get("/alerts").status_code == 401
    r = c.get("/alerts", headers={"X-API-Key": analyst})
    assert r.status_code == 200
    alerts = r.json()["alerts"]
    by_record = {a["record_id"]: a for a in alerts}
    assert by_record["c1"]["entity_id"] == "us_ofac_sdn:24979"
    assert by_record["c1"]["reason"] == "initial" and by_record["c1"]["status"] == "open"
    assert "c3" not in by_record  # the clean customer raises nothing
    assert r.json()["counts"]["open"] == len(alerts)
    assert c.get("/alerts?status=bogus", headers={"X-API-Key": analyst}).status_code == 400


def test_decision_is_recorded_audited_and_remembered(setup: tuple[TestClient, str, str, Store]) -> None:
    c, analyst, _, store = setup
    h = {"X-API-Key": analyst}
    alert = next(a for a in c.get("/alerts", headers=h).json()["alerts"] if a["record_id"] == "c1")
    r = c.post(f"/alerts/{alert['id']}/decision", headers=h,
               json={"decision": "false_positive", "reason": "different person: passport checked"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "false_positive"
    detail = c.get(f"/alerts/{alert['id']}", headers=h).json()
    assert detail["decisions"][0]["decided_by"].startswith("Jane Analyst (key ")
    assert detail["decisions"][0]["reason"] == "different person: passport checked"
    assert alert["id"] not in [a["id"] for a in c.get("/alerts", headers=h).json()["alerts"]]
    history = c.get("/decisions", headers=h).json()["decisions"]
    assert history[0]["alert_id"] == alert["id"] and history[0]["decision"] == "false_positive"
    entries = [e for e in audit.entries(store.engine) if e.action == "alert.decide"]
    assert entries and entries[-1].actor.startswith("Jane Analyst (key ")
    assert entries[-1].details["alert_id"] == alert["id"]
    # bad input: clear 4xx
    r = c.post(f"/alerts/{alert['id']}/decision", headers=h, json={"decision": "maybe", "reason": "x"})
    assert r.status_code == 400 and "unknown decision" in r.json()["detail"]
    r = c.post(f"/alerts/{alert['id']}/decision", headers=h, json={"decision": "true_match", "reason": " "})
    assert r.status_code == 400
    r = c.post("/alerts/999999/decision", headers=h, json={"decision": "escalate", "reason": "x"})
    assert r.status_code == 404
    assert c.get("/alerts/999999", headers=h).status_code == 404


def test_ui_decision_needs_csrf_token(setup: tuple[TestClient, str, str, Store]) -> None:
    c, analyst, _, _ = setup
    c.cookies.set("listguard_key", analyst)
    alert = c.get("/alerts", headers={"X-API-Key": analyst}).json()["alerts"][0]
    r = c.post(f"/ui/alerts/{alert['id']}/decide", data={"decision": "true_match", "reason": "x", "csrf": "forged"},
               follow_redirects=False)
    assert r.status_code == 403
    page = c.get("/ui/alerts")
    assert page.status_code == 200 and alert["caption"] in page.text
