"""Monitoring logic on small hand-made lists: reasons, delistings, decision memory, the good-guy
list, record changes, cost in proportion to the delta, and crash safety under SIGKILL.

The lists are built by hand (as in tests/test_store.py) so every expectation is explicit; the
matcher is the real one. The same scenario on the real OFAC lists is tests/test_monitor_e2e.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listguard import audit
from listguard.batch import read_rows
from listguard.model import Entity
from listguard.monitor import rescreen
from listguard.monitor import schema as t
from listguard.monitor.alerts import list_alerts
from listguard.monitor.decisions import DecisionError, allow, decide
from listguard.monitor.portfolio import add_records
from listguard.sources.base import ParseResult
from listguard.store import open_store

DATASET = "test_list"


def person(num: int, name: str, dob: str | None = None, country: str | None = None, **props: list[str]) -> Entity:
    e = Entity(id=f"{DATASET}:{num}", schema="Person", dataset=DATASET)
    e.add("name", name)
    if dob:
        e.add("birthDate", dob)
    if country:
        e.add("nationality", country)
        e.add("country", country)
    for key, values in props.items():
        e.add(key, values)
    e.record = {"row": [str(num), name]}
    return e


def org(num: int, name: str, country: str | None = None) -> Entity:
    e = Entity(id=f"{DATASET}:{num}", schema="Organization", dataset=DATASET)
    e.add("name", name)
    if country:
        e.add("country", country)
    e.record = {"row": [str(num), name]}
    return e


V1 = [
    person(1, "JONG, Song Hwa", "1970-02-05", "kp"),
    org(2, "BAMBOO CREEK FARM", "zw"),
    person(3, "PETROV, Ivan Sergeevich", "1961-03-04", "ru"),
    person(5, "ZAKHARCHENKO, Oleksandr Vitaliyovych", "1962-01-01", "ua"),
]


def v2() -> list[Entity]:
    """2 removed; 4 added; 3 changed (a new alias); 1 and 5 unchanged; 5's record reworded."""
    petrov = person(3, "PETROV, Ivan Sergeevich", "1961-03-04", "ru", alias=["PETROFF, Ivan"])
    zakh = person(5, "ZAKHARCHENKO, Oleksandr Vitaliyovych", "1962-01-01", "ua")
    zakh.record = {"row": ["5", "ZAKHARCHENKO, Oleksandr Vitaliyovych", "reworded remark"]}
    return [V1[0], petrov, person(4, "TEKSLER, Aleksey Leonidovich", "1973-01-19", "ru"), zakh]


PORTFOLIO = (
    "id,name,schema,birth_date,country\n"
    "C1,Song Hwa Jong,Person,1970-02-05,KP\n"
    "C2,Bamboo Creek Farm,Organization,,ZW\n"
    "C3,Aleksey Teksler,Person,1973-01-19,RU\n"
    "C4,Margaret Thornbury,Person,1985-06-30,GB\n"
    "C5,Ivan Petrov,Person,1961-03-04,RU\n"
    "C6,Greenfield Dental Partners,Company,,GB\n"
)


def load(store: Any, entities: list[Entity], source: str) -> int:
    report = store.load(ParseResult(dataset=DATASET, entities=entities), source, force=True)
    assert report.version is not None
    return report.version.id


def add(store: Any, tmp_path: Path, text: str, name: str = "p.csv", portfolio: str = "default") -> Any:
    path = tmp_path / name
    path.write_text(text)
    return add_records(store.engine, portfolio, read_rows(path, unique_ids=True), actor="tester")


def pairs(store: Any, **filters: Any) -> set[tuple[str, str, str, str]]:
    """(record, entity, reason, status) of every alert."""
    return {(a["record_id"], a["entity_id"], a["reason"], a["status"]) for a in list_alerts(store.engine, status="all", limit=None, **filters)}


def alert_of(store: Any, record_id: str, entity_id: str, reason: str) -> dict[str, Any]:
    found = [a for a in list_alerts(store.engine, status="all", record_id=record_id, entity_id=entity_id) if a["reason"] == reason]
    assert found, (record_id, entity_id, reason)
    return found[0]


@pytest.fixture
def store(home: Path) -> Any:
    # The matcher (issue 3) is built in parallel; until listguard.index exists these cannot run.
    s = open_store()
    t.ensure_schema(s.engine)
    return s


def test_initial_screening_then_delta_reasons(store: Any, tmp_path: Path) -> None:
    v1 = load(store, V1, "v1")
    report = add(store, tmp_path, PORTFOLIO)
    assert report.added == 6 and report.error_count == 0
    run1 = rescreen.run(store, "default", actor="tester", trigger="add")
    assert run1.records_screened == 6
    assert pairs(store) == {
        ("C1", "test_list:1", "initial", "open"),
        ("C2", "test_list:2", "initial", "open"),
        ("C5", "test_list:3", "initial", "open"),
    }
    first = alert_of(store, "C1", "test_list:1", "initial")
    assert first["version_id"] == v1 and first["score"] >= 0.8 and first["explanation"]
    v2_id = load(store, v2(), "v2")
    run2 = rescreen.run(store, "default", actor="tester")
    assert run2.records_screened == 0  # nothing on the records side changed
    assert (run2.entities_added, run2.entities_changed, run2.entities_removed) == (1, 1, 1)
    assert dict(run2.raised) == {"new_entity": 1, "changed_entity": 1, "delisted": 1}
    new = {(a["record_id"], a["entity_id"], a["reason"], a["status"]) for a in list_alerts(store.engine, status="all", run_id=run2.run_id)}
    assert new == {
        ("C3", "test_list:4", "new_entity", "open"),
        ("C5", "test_list:3", "changed_entity", "open"),
        ("C2", "test_list:2", "delisted", "closed"),
    }
    # the delisted pair's original alert is closed, with that reason
    original = alert_of(store, "C2", "test_list:2", "initial")
    assert (original["status"], original["closed_reason"]) == ("closed", "delisted")
    # the changed entity's alert says what changed, and superseded the older open one
    changed = alert_of(store, "C5", "test_list:3", "changed_entity")
    assert any(c["field"] == "alias" and c["added"] == ["PETROFF, Ivan"] for c in changed["changes"])
    assert alert_of(store, "C5", "test_list:3", "initial")["closed_reason"] == "superseded"
    assert alert_of(store, "C3", "test_list:4", "new_entity")["version_id"] == v2_id
    # a re-run with nothing new does nothing
    run3 = rescreen.run(store, "default")
    assert not run3.raised and not run3.closed and run3.candidates_retrieved == 0


def test_false_positive_is_remembered_until_something_changes(store: Any, tmp_path: Path) -> None:
    load(store, V1, "v1")
    add(store, tmp_path, PORTFOLIO)
    rescreen.run(store, "default")
    load(store, v2(), "v2")
    rescreen.run(store, "default")
    teksler = alert_of(store, "C3", "test_list:4", "new_entity")
    with pytest.raises(DecisionError, match="reason"):
        decide(store.engine, teksler["id"], "false_positive", reason="  ", by="ann")
    decided = decide(store.engine, teksler["id"], "false_positive", reason="different person: other DOB source", by="ann")
    assert decided["status"] == "false_positive"
    before = pairs(store)
    # The same list again (a forced reload: a new version, identical content), and the list
    # going back and forth (the entity removed, then re-added unchanged): no re-alert.
    load(store, v2(), "v2 again")
    assert not rescreen.run(store, "default").raised
    load(store, [e for e in v2() if e.id != "test_list:4"], "v2 without 4")
    rescreen.run(store, "default")
    load(store, v2(), "v2 back")
    back = rescreen.run(store, "default")
    assert "new_entity" not in back.raised and back.suppressed_false_positive == 1
    assert {p for p in pairs(store) if p[0] == "C3"} == {p for p in before if p[0] == "C3"}
    # The entity's screening data changes: it alerts again and says what changed.
    changed = [e for e in v2() if e.id != "test_list:4"] + [person(4, "TEKSLER, Aleksey Leonidovich", "1973-01-19", "ru", passportNumber=["7212345"])]
    load(store, changed, "v3")
    run = rescreen.run(store, "default")
    assert run.raised["changed_entity"] == 1
    again = alert_of(store, "C3", "test_list:4", "changed_entity")
    fields = {(c["side"], c["field"]) for c in again["changes"]}
    assert ("decision", "previous_decision") in fields and ("entity", "passportNumber") in fields
    decide(store.engine, again["id"], "false_positive", reason="still not him", by="ann")
    # The record changes: alerts again, showing the record's change.
    add(store, tmp_path, PORTFOLIO.replace("C3,Aleksey Teksler,Person,1973-01-19,RU", "C3,Aleksey Teksler,Person,1973-01-19,RU;KZ"), "p2.csv")
    run = rescreen.run(store, "default")
    assert run.records_screened == 1 and run.raised == {"changed_record": 1}
    rec = alert_of(store, "C3", "test_list:4", "changed_record")
    assert {"side": "record", "field": "countries", "removed": [], "added": ["kz"]} in rec["changes"]


def test_new_record_changed_record_and_no_longer_matching(store: Any, tmp_path: Path) -> None:
    load(store, V1, "v1")
    add(store, tmp_path, PORTFOLIO)
    rescreen.run(store, "default")
    add(store, tmp_path, "id,name,birth_date\nC7,Oleksandr Zakharchenko,1962-01-01\n", "more.csv")
    run = rescreen.run(store, "default")
    assert run.records_screened == 1 and dict(run.raised) == {"new_record": 1}
    # C1 renamed to someone else entirely: its open alert closes, nothing new is raised
    add(store, tmp_path, "id,name,birth_date,country\nC1,Hyacinth Bucket,1970-02-05,GB\n", "rename.csv")
    run = rescreen.run(store, "default")
    assert run.closed["no_longer_matches"] == 1 and not run.raised
    assert alert_of(store, "C1", "test_list:1", "initial")["closed_reason"] == "no_longer_matches"
    # re-adding the same file changes nothing
    report = add(store, tmp_path, "id,name,birth_date,country\nC1,Hyacinth Bucket,1970-02-05,GB\n", "rename2.csv")
    assert report.unchanged == 1 and report.updated == 0
    assert rescreen.run(store, "default").records_screened == 0


def test_allow_list_and_expiry(store: Any, tmp_path: Path) -> None:
    load(store, V1, "v1")
    add(store, tmp_path, PORTFOLIO)
    rescreen.run(store, "default")
    entry = allow(store.engine, "C1", "test_list:1", reason="verified: different person", by="bob", expires="2999-01-01")
    assert entry["closed_alerts"] == 1
    assert alert_of(store, "C1", "test_list:1", "initial")["closed_reason"] == "allowed"
    with pytest.raises(DecisionError, match="past"):
        allow(store.engine, "C1", "test_list:1", reason="x", expires="2001-01-01")
    # the entity changes: still allowed, no alert
    jong = person(1, "JONG, Song Hwa", "1970-02-05", "kp", alias=["CHONG, Song Hwa"])
    load(store, [jong] + V1[1:], "v1b")
    run = rescreen.run(store, "default")
    assert run.suppressed_allowed == 1 and "changed_entity" not in run.raised
    # once the entry expires, the next run re-checks the pair (once)
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.allow).where(t.allow.c.id == entry["id"]).values(expires_at="2000-01-01T00:00:00+00:00"))
    run = rescreen.run(store, "default")
    assert dict(run.raised) == {"allow_expired": 1}
    assert not rescreen.run(store, "default").raised


def test_cost_is_the_delta_not_the_portfolio(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load(store, V1, "v1")
    rows = ["id,name"] + [f"N{i},Customer Number {i} Ltd" for i in range(3000)]
    rows.append("T1,Aleksey Teksler")
    add(store, tmp_path, "\n".join(rows) + "\n")
    rescreen.run(store, "default")
    load(store, v2(), "v2")
    screened: list[int] = []
    original = rescreen.Matcher.screen

    def counting(self: Any, queries: Any) -> Any:
        screened.append(len(queries))
        return original(self, queries)

    monkeypatch.setattr(rescreen.Matcher, "screen", counting)
    run = rescreen.run(store, "default")
    assert run.records_screened == 0
    assert sum(screened) <= 10, screened  # the candidates, not the 3,001 records
    assert ("T1", "test_list:4", "new_entity", "open") in pairs(store)


def test_audit_trail_records_runs_alerts_and_decisions(store: Any, tmp_path: Path) -> None:
    v1 = load(store, V1, "v1")
    add(store, tmp_path, PORTFOLIO)
    rescreen.run(store, "default", actor="carol")
    alert = alert_of(store, "C1", "test_list:1", "initial")
    decide(store.engine, alert["id"], "true_match", reason="confirmed by passport copy", by="dave")
    entries = audit.entries(store.engine, newest_first=False)
    actions = [e.action for e in entries]
    assert "portfolio.add" in actions and "monitor.run" in actions
    assert actions.count("alert.raise") == 3 and actions[-1] == "alert.decide"
    run_entry = next(e for e in entries if e.action == "monitor.run")
    assert run_entry.actor == "carol" and v1 in run_entry.versions
    assert entries[-1].actor == "dave" and entries[-1].details["decision"] == "true_match"
    assert audit.verify(store.engine) == (True, None)


def test_delisting_a_confirmed_match_opens_an_alert(store: Any, tmp_path: Path) -> None:
    load(store, V1, "v1")
    add(store, tmp_path, PORTFOLIO)
    rescreen.run(store, "default")
    decide(store.engine, alert_of(store, "C2", "test_list:2", "initial")["id"], "true_match", reason="it is them", by="ann")
    load(store, v2(), "v2")
    rescreen.run(store, "default")
    delisted = alert_of(store, "C2", "test_list:2", "delisted")
    assert delisted["status"] == "open"  # a frozen customer can be unfrozen: someone must act


SCRIPT = textwrap.dedent(
    """
    import sys
    from listguard.monitor import rescreen
    from listguard.store import open_store
    rescreen.run(open_store(), "default", actor="cron")
    print("finished")
    """
)


def _killed_run(fault: str) -> None:
    env = {**os.environ, "LISTGUARD_FAULT": fault}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "finished" not in proc.stdout


@pytest.mark.parametrize("fault", ["monitor.final", "monitor.records:2000"])
def test_sigkill_mid_run_then_rerun_raises_no_duplicates(store: Any, tmp_path: Path, fault: str) -> None:
    # Expected outcome, from an uninterrupted run in a second home.
    load(store, V1, "v1")
    rows = ["id,name,schema,birth_date,country"] + [f"N{i},Customer Number {i} Ltd,Company,," for i in range(4500)]
    text = "\n".join(rows) + "\n" + PORTFOLIO.split("\n", 1)[1]
    assert add(store, tmp_path, text).added == 4506
    if fault == "monitor.final":
        rescreen.run(store, "default")
        load(store, v2(), "v2")
    store.close()
    _killed_run(fault)
    store = open_store()
    with store.engine.connect() as conn:
        status = conn.execute(sa.select(t.runs.c.status).order_by(t.runs.c.id.desc())).scalar()
    assert status == "running"  # the ledger shows the run never finished
    rerun = rescreen.run(store, "default", actor="cron")
    got = sorted(pairs(store))
    keys = [(a["record_id"], a["entity_id"], a["reason"]) for a in list_alerts(store.engine, status="all", limit=None)]
    assert len(keys) == len(set(keys)), "duplicate alerts"
    if fault == "monitor.final":
        assert {p for p in got if p[2] != "initial"} == {
            ("C3", "test_list:4", "new_entity", "open"),
            ("C5", "test_list:3", "changed_entity", "open"),
            ("C2", "test_list:2", "delisted", "closed"),
        }
    else:
        assert got == sorted({
            ("C1", "test_list:1", "initial", "open"),
            ("C2", "test_list:2", "initial", "open"),
            ("C5", "test_list:3", "initial", "open"),
        })
        assert rerun.records_screened == 4506 - 2000
    with store.engine.connect() as conn:
        statuses = [r[0] for r in conn.execute(sa.select(t.runs.c.status).order_by(t.runs.c.id))]
        dirty = conn.execute(sa.select(sa.func.count()).where(t.records.c.dirty == 1)).scalar()
    assert "interrupted" in statuses and statuses[-1] == "done" and dirty == 0
    assert audit.verify(store.engine) == (True, None)
