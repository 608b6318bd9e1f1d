"""Security headers (issue 13, item 7) as a real browser sees and enforces them, on the compliance
monitor's pages and the health dashboard: CSP, framing, sniffing and referrer policy; the pages
still look as designed under their policy (the inline CSS is allowed by hash), injected inline
scripts do not run, and no other site can frame them."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from playwright.sync_api import Error, Page

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.health import ApiCall, HealthMetrics, HealthStore, IterationResult, StepResult, create_health_app
from tests.monitor.helpers import post, report

EXPECTED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    """The health dashboard with one recorded iteration of cloud `sim` (from data, no cloud needed)."""
    store = HealthStore(f"sqlite:///{tmp_path / 'health.db'}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    call = ApiCall(at=now, service="compute", operation="GET /servers", status=200, duration_s=0.05)
    store.add(IterationResult("sim", 1, now, 2.0, (StepResult("network", True, 0.5),), (call,)))
    with BackgroundServer(create_health_app(store, HealthMetrics())) as server:
        yield server.url
    store.close()


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None
    )
    return errors


def assert_protected(page: Page, url: str) -> dict[str, str]:
    response = page.goto(url)
    assert response is not None and response.ok, url
    headers = response.all_headers()
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (url, name)
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy and "script-src" not in policy
    page.wait_for_load_state("load")
    return headers


def assert_inline_scripts_are_blocked(page: Page) -> None:
    """What an escaping bug would let in: an inline script. Under the policy the browser refuses it."""
    with pytest.raises(Error):
        page.add_script_tag(content="window.__injected = 1")
    assert page.evaluate("window.__injected") is None


async def framing_site(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Another web site (another origin on loopback) that puts the page given as `?src=` in a frame."""
    source = html.escape(parse_qs(scope["query_string"].decode()).get("src", [""])[0])
    body = f'<!doctype html><title>framer</title><iframe id="f" src="{source}"></iframe>'.encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": body})


def assert_not_frameable(page: Page, url: str) -> None:
    """Another site embeds the page in a frame: the browser refuses to show it there."""
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text) if "frame" in message.text else None)
    with BackgroundServer(framing_site) as other_site:
        page.goto(f"{other_site.url}/?{urlencode({'src': url})}")
        page.wait_for_load_state("load")
        framed = next(f for f in page.frames if f.name == "f")
        assert framed.url != url and page.frame_locator("#f").locator("nav").count() == 0
    assert any("frame-ancestors" in r or "X-Frame-Options" in r for r in refusals), refusals


@pytest.mark.parametrize("path", ["/", "/subjects/cloud-a", "/subjects/cloud-a/history", "/certificates", "/scopes/scs-compatible-iaas"])  # fmt: skip
def test_monitor_pages_are_protected_and_still_styled(monitor: dict[str, Any], page: Page, path: str) -> None:
    assert post(monitor, [report(**{"scs-0100-syntax-check": -1})]).status_code == 201
    errors = csp_errors(page)
    assert_protected(page, monitor["url"] + path)
    style = page.evaluate("[getComputedStyle(document.body).margin, getComputedStyle(document.body).fontFamily]")
    assert style == ["32px", "system-ui, sans-serif"]  # the inline stylesheet applied: its hash is in the policy
    if path == "/subjects/cloud-a":  # the badge image loads under img-src 'self'
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        assert page.locator("img[alt$='badge']").first.evaluate("img => img.naturalWidth") > 50
    assert errors == []
    assert_inline_scripts_are_blocked(page)


def test_monitor_report_page_and_framing(monitor: dict[str, Any], page: Page) -> None:
    document = report(**{"scs-0100-syntax-check": -1})
    assert post(monitor, [document]).status_code == 201
    url = f"{monitor['url']}/reports/{document['run']['uuid']}"
    errors = csp_errors(page)
    assert_protected(page, url)
    assert errors == []
    assert_not_frameable(page, url)


def test_monitor_json_and_badges_carry_the_headers_too(monitor: dict[str, Any], page: Page) -> None:
    assert post(monitor, [report()]).status_code == 201
    for path in ("/api/subjects", "/badges/cloud-a/scs-compatible-iaas.svg", "/metrics"):
        response = page.request.get(monitor["url"] + path)
        headers = response.headers
        assert response.ok and all(headers.get(k) == v for k, v in EXPECTED.items()), path
        assert headers["content-security-policy"].startswith("default-src 'none'"), path
    unknown = page.request.get(monitor["url"] + "/subjects/nobody")
    assert unknown.status == 404 and unknown.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/clouds/sim"])
def test_health_dashboard_is_protected_and_still_styled(dashboard: str, page: Page, path: str) -> None:
    errors = csp_errors(page)
    assert_protected(page, dashboard + path)
    assert page.evaluate("getComputedStyle(document.querySelector('table')).borderCollapse") == "collapse"
    if path == "/clouds/sim":
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        assert page.locator("img[alt='health badge']").evaluate("img => img.naturalWidth") > 50
    assert errors == []
    assert_inline_scripts_are_blocked(page)
    assert_not_frameable(page, dashboard + path)
