"""The analyst UI in a real browser: Debian's headless Chromium driven by Playwright.

The whole "done when" of the screening issue, as a person would do it: sign in with a key,
screen "Chong Song-hwa" and read JONG, Song Hwa with its explanation, open the entity, work the
alert queue with the keyboard (j/k, f) and see the decision in the history, and check that a
yente-style client call returns the same hit. How fast the pages render (< 200 ms) is measured
by bench/bench_latency.py, not asserted here: a shared CI machine cannot promise wall time.

Set LISTGUARD_SCREENSHOTS=docs/screenshots to write the README's screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from listguard.server import create_app
from listguard.api.config import ServerConfig
from listguard.api.keys import create_key
from listguard.cli import app as cli_app
from listguard.store import Store
from tests.api_helpers import OFAC_2021, OFAC_LATEST, UN_XML, LiveServer, copy_home, env, sqlite_url, template_home

CHROMIUM = os.environ.get("LISTGUARD_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
JONG = "us_ofac_sdn:24979"
REQUESTS: list[str] = []
PORTFOLIO = (
    "id,name,birth_date,country\n"
    "C-1001,Chong Song Hwa,1970-02-05,kp\n"
    "C-1002,Joseph Kony,,ug\n"
    "C-1003,Aleksey Teksler,1974-04-07,ru\n"
    "C-1004,Maria Lindqvist,1984-03-02,se\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    tpl = template_home(tmp_path_factory.mktemp("tpl"), (OFAC_2021, OFAC_LATEST, UN_XML))
    home = copy_home(tpl, tmp_path_factory.mktemp("home"))
    csv = home / "customers.csv"
    csv.write_text(PORTFOLIO)
    with env(LISTGUARD_HOME=str(home), LISTGUARD_DATABASE_URL=None):
        r = CliRunner().invoke(cli_app, ["monitor", "add", str(csv), "--portfolio", "retail"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        store = Store(sqlite_url(home))
        _, token = create_key(store.engine, "Jane Analyst", "analyst")
        with LiveServer(create_app(store, ServerConfig(reload_seconds=0))) as live:
            yield live, token
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("LISTGUARD_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def page(server: tuple[LiveServer, str], browser: Any) -> Iterator[Any]:
    live, token = server
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=live.url)
    # every request any page makes, to prove the UI needs nothing but this server (offline)
    context.on("request", lambda request: REQUESTS.append(request.url))
    pg = context.new_page()
    pg.goto("/ui/screen")
    assert "/ui/login" in pg.url  # keys exist: the UI asks for one
    pg.fill("input[name=token]", token)
    pg.click("button:has-text('Sign in')")
    pg.wait_for_url("**/ui/screen")
    yield pg
    context.close()


def test_screen_chong_song_hwa(page: Any, server: tuple[LiveServer, str], shots: Path) -> None:
    page.fill("#q-name", "Chong Song-hwa")
    page.fill("input[name=birth_date]", "1970")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results")
    first = page.locator("article.hit").first
    assert first.locator("a.caption").inner_text() == "JONG, Song Hwa"
    assert "match" in (first.get_attribute("class") or "")
    assert first.locator(".explanation .summary").inner_text().strip()
    assert first.locator("table.align tr").count() >= 2  # the name parts, aligned
    assert JONG in first.inner_text()
    page.screenshot(path=str(shots / "screen.png"))

    # the same hit through a yente-style client call
    live, token = server
    r = httpx.post(
        f"{live.url}/match/default",
        json={"queries": {"q1": {"schema": "Person", "properties": {"name": ["Chong Song-hwa"], "birthDate": ["1970"]}}}},
        headers={"Authorization": f"ApiKey {token}"},
    )
    assert r.status_code == 200
    assert r.json()["responses"]["q1"]["results"][0]["id"] == JONG


def test_entity_page(page: Any, shots: Path) -> None:
    page.goto(f"/ui/entities/{JONG}")
    assert page.locator("h1.entity-title").inner_text() == "JONG, Song Hwa"
    text = page.inner_text("main")
    for expected in ("1970-02-05", "927220230", "passportNumber", "Latin", "us_ofac_sdn v2", "us_ofac_sdn v1"):
        assert expected in text, expected
    page.screenshot(path=str(shots / "entity.png"), full_page=True)


def test_alert_queue_keyboard(page: Any, shots: Path) -> None:
    page.goto("/ui/alerts")
    rows = page.locator("tr[data-row]")
    n = rows.count()
    assert n >= 2, page.inner_text("main")
    assert "selected" in (rows.nth(0).get_attribute("class") or "")  # ready for f/t/e at once
    page.keyboard.press("j")
    assert "selected" in (rows.nth(1).get_attribute("class") or "")
    assert "selected" not in (rows.nth(0).get_attribute("class") or "")
    page.keyboard.press("k")
    assert "selected" in (rows.nth(0).get_attribute("class") or "")
    page.keyboard.press("j")
    target = rows.nth(1)
    alert_id = target.get_attribute("data-id")
    record = target.locator("td").nth(1).inner_text().splitlines()[0]
    page.keyboard.press("Enter")  # opens the explanation
    assert target.locator("details").get_attribute("open") is not None
    page.screenshot(path=str(shots / "alerts.png"))
    page.keyboard.press("f")
    dialog = page.locator("#decide-dialog")
    assert dialog.is_visible()
    assert "False positive" in dialog.inner_text()
    page.keyboard.type("Different person: customer's passport shows another date of birth")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.wait_for_selector("#history")
    assert page.locator(f"#alert-{alert_id}").count() == 0  # decided: gone from the open queue
    history = page.locator("#history").inner_text()
    assert "false positive" in history and "another date of birth" in history
    assert "Jane Analyst" in history and record
    # the cursor stays where the analyst was
    assert page.locator("tr[data-row].selected").count() == (1 if n > 1 else 0)


def test_versions_and_diff(page: Any, shots: Path) -> None:
    page.goto("/ui/versions")
    assert "us_ofac_sdn" in page.inner_text("main")
    page.click("a:has-text('changes since v1')")
    page.wait_for_selector("h1")
    assert "us_ofac_sdn: v1 → v2" in page.inner_text("h1")
    text = page.inner_text("main")
    assert "added" in text and "removed" in text and "changed" in text
    page.screenshot(path=str(shots / "diff.png"))


def test_api_docs_work_offline(page: Any, server: tuple[LiveServer, str], shots: Path) -> None:
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert "/match/{dataset}" in page.inner_text(".swagger-ui")
    live, _ = server
    outside = [u for u in REQUESTS if not u.startswith(live.url)]
    assert REQUESTS and outside == [], outside[:5]
