"""A running server picks up a new list version without restart and without failing a request.

A real uvicorn server on 127.0.0.1 answers /match from several client threads while another
"process" (a second Store on the same database, as `listguard load` would be) loads the next
OFAC version. Every request must succeed, and within seconds the new designation is found.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from listguard.api import create_app
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
