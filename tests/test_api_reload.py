"""A running server picks up a new list version without restart and without failing a request.

A real uvicorn server on 127.0.0.1 answers /match from several client threads while another
"process" (a second Store on the same database, as `listguard load` would be) loads the next
OFAC version. Every request must succeed, and within seconds the new designation is found.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.store import Store
from tests.api_helpers import OFAC_2021, OFAC_LATEST, LiveServer, copy_home, load_paths, sqlite_url, template_home, yente_query

# Designated after 2021-07-07 (in sdn_latest only), named as a customer would write it.
NEW_NAME = "Aleksey Leonidovich Teksler"
NEW_ID = "us_ofac_sdn:40250"


def _ids(response: dict) -> list[str]:  # type: ignore[type-arg]
    return [r["id"] for r in response["responses"]["q1"]["results"] if r["match"]]


def test_new_version_is_served_without_restart_or_failed_requests(tmp_path: Path) -> None:
    home = copy_home(template_home(tmp_path.parent / "tpl-reload", (OFAC_2021,)), tmp_path / "home")
    store = Store(sqlite_url(home))
    app = create_app(store, ServerConfig(reload_seconds=0.5, rate_limit=0))
    statuses: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    with LiveServer(app) as server:
        with server.client() as c:
            before = c.post("/match/default", json=yente_query(NEW_NAME)).json()
            assert NEW_ID not in _ids(before)
            old_versions = c.get("/updatez").json()["index"]["versions"]

        def hammer() -> None:
            with server.client() as client:
                while not stop.is_set():
                    try:
                        r = client.post("/match/default", json=yente_query("Jong Song Hwa"))
                        statuses.append(r.status_code)
                        if r.status_code == 200 and not _ids(r.json()):
                            errors.append("JONG missing during reload")
                    except Exception as exc:  # a dropped connection is a failure too
                        errors.append(repr(exc))

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            load_paths(home, [OFAC_LATEST])  # the new version arrives, from "another process"
            deadline = time.monotonic() + 120
            found: list[str] = []
            with server.client() as c:
                while time.monotonic() < deadline:
                    found = _ids(c.post("/match/default", json=yente_query(NEW_NAME)).json())
                    if c.get("/updatez").json()["up_to_date"] and NEW_ID in found:
                        break
                    time.sleep(0.25)
                up = c.get("/updatez").json()
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)

    store.close()
    assert up["up_to_date"] and up["index"]["versions"] != old_versions
    assert up["reloader"]["reloads"] >= 2 and up["reloader"]["last_error"] is None
    assert NEW_ID in found, f"{NEW_NAME} not found after the reload"
    assert len(statuses) > 20
    assert set(statuses) == {200} and errors == [], (set(statuses), errors[:3])


def test_failed_build_keeps_serving_the_old_snapshot(tmp_path: Path) -> None:
    """A new version whose index cannot be built: the old lists keep being served, the error
    is reported, and the build is retried with backoff, not on every tick."""
    from listguard.api.service import ScreeningService, build_snapshot
    from listguard.model import Entity
    from listguard.sources.base import ParseResult

    home = tmp_path / "home"
    home.mkdir()
    store = Store(sqlite_url(home))

    def load(*names: str) -> None:
        ents = []
        for i, name in enumerate(names):
            e = Entity(id=f"t:{i}", schema="Person", dataset="t")
            e.add("name", name)
            ents.append(e)
        store.load(ParseResult(dataset="t", entities=ents), "x")

    calls: list[int] = []
    broken = {"on": False}

    def builder(s: Store, versions: list) -> object:  # type: ignore[type-arg]
        calls.append(1)
        if broken["on"]:
            raise MemoryError("simulated: index does not fit")
        return build_snapshot(s, versions)

    load("A B")
    service = ScreeningService(store, reload_seconds=0, builder=builder)  # type: ignore[arg-type]
    service.start(background=False)
    old = service.snapshot
    broken["on"] = True
    load("A B", "C D")
    assert service.check_now() is False
    assert service.snapshot is old and "simulated" in (service.status.last_error or "")
    assert service.check_now() is False and len(calls) == 2  # backoff: no second attempt yet
    broken["on"] = False
    service._failures.clear()  # the backoff elapsed
    assert service.check_now() is True
    assert set(service.snapshot.entities) == {"t:0", "t:1"} and service.status.last_error is None
    store.close()
