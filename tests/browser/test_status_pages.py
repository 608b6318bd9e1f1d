"""The status page's public pages in a real browser (headless Chromium): readable with JavaScript
off, navigation from the overview to an incident and a cloud, the 90-day bar, the colour-blind
palette, and markup in every text field shown as text that never runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.app import create_app
from tests.statuspage.conftest import StatusPage, _database, make_tokens
from tests.statuspage.test_hostile import XSS, _everything_with


@pytest.fixture
def page_server(tmp_path: Path) -> Iterator[StatusPage]:
    """The status page inside the compliance monitor (on SQLite), as `scs monitor serve` runs it."""
    database = _database("sqlite", tmp_path)
    with BackgroundServer(create_app(database)) as server:
        yield StatusPage(server.url + "/status", database, make_tokens(database), None)
    database.close()


@pytest.fixture
def no_script(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def test_the_pages_work_without_javascript(page_server: StatusPage, no_script: Page) -> None:
    with page_server.client("admin") as admin:
        component = admin.post("/components", json={"displayName": "East IaaS", "labels": {"cloud": "east"}}).json()[
            "id"
        ]
        kinds = {t["displayName"]: t["id"] for t in admin.get("/impacttypes").json()["data"]}
        incident = admin.post(
            "/incidents",
            json={
                "displayName": "Volumes cannot be created",
                "description": "Cinder answers 503.",
                "phase": {"generation": 1, "order": 1},
                "affects": [{"reference": component, "type": kinds["Connectivity Problems"], "severity": 80}],
            },
        ).json()["id"]
        admin.post(f"/incidents/{incident}/updates", json={"displayName": "Identified", "description": "A full disk."})
        admin.post(
            "/incidents",
            json={
                "displayName": "Storage upgrade",
                "beganAt": "2999-01-01T22:00:00Z",
                "endedAt": "2999-01-02T02:00:00Z",
                "affects": [{"reference": component, "type": kinds["Maintenance"], "severity": 0}],
            },
        )
    no_script.goto(page_server.url + "/")
    assert "1 component affected" in no_script.locator("#banner").inner_text()
    row = no_script.locator(f'tr[data-component="{component}"]')
    assert "broken" in row.inner_text()
    assert row.locator("svg.bar rect").count() == 90
    assert row.locator('svg.bar rect[data-state="broken"]').count() == 1  # today
    assert no_script.locator("text=Storage upgrade").count() == 1  # planned maintenance is listed
    no_script.get_by_role("link", name="Volumes cannot be created").first.click()
    no_script.wait_for_url(f"**/pages/incidents/{incident}")
    assert no_script.locator("#phase").inner_text() == "Investigation ongoing"
    assert [t.strip() for t in no_script.locator("#timeline li b").all_inner_texts()] == ["Identified"]
    assert "Connectivity Problems" in no_script.locator("#affected").inner_text()
    no_script.get_by_role("link", name="East IaaS").click()
    no_script.wait_for_url("**/pages/clouds/east")
    assert "Volumes cannot be created" in no_script.locator("table.incidents").inner_text()
    no_script.get_by_role("link", name="Maintenance").first.click()
    assert "Storage upgrade" in no_script.locator("table.maintenance").inner_text()
    no_script.goto(page_server.url + "/?palette=colorblind")
    assert no_script.locator('svg.bar rect[data-state="broken"]').first.get_attribute("fill") == "#d55e00"


def test_markup_in_every_field_is_text_and_never_runs(page_server: StatusPage, page: Page) -> None:
    ids = _everything_with(page_server, XSS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        "/",
        f"/pages/incidents/{ids['incident']}",
        "/pages/incidents",
        "/pages/clouds/c1",
        "/pages/maintenance",
    ):
        page.goto(page_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("script").count() == 0, path
    page.goto(f"{page_server.url}/pages/incidents/{ids['incident']}")
    body = page.locator("body").inner_text()
    assert f"inc {XSS}" in body and f"body {XSS}" in body and f"rootCause {XSS}" in body
    assert page.locator("img").count() == 0  # the <img onerror> stayed text
    assert dialogs == []
