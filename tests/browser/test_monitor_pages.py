"""The monitor's public pages in a real browser, at desktop (1366 px) and phone (390 px) width, as a
person sees them: navigation, the subject page's summary line, history without MISSING before the
first report, no horizontal scrolling on phones, dark mode, HTML error pages, the API docs with the
network cut off, and untrusted report content that must stay text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from scs_toolkit.standards import load_scope
from tests.monitor.helpers import post, report

XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">'
REQUIRED = load_scope("scs-compatible-iaas").version("v5.1").required
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(params=["desktop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A page at desktop or phone width (a phone also gets a phone's scale and touch)."""
    phone = request.param == "phone"
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, device_scale_factor=3 if phone else 1, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def failing_report(days_ago: float = 0, **overrides: int) -> dict[str, Any]:
    moment = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days_ago, minutes=1)
    return report(checked_at=moment, **{**dict.fromkeys(REQUIRED, 1), "scs-0100-syntax-check": -1, **overrides})


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_overview_links_to_details_with_badge_and_history(monitor: dict[str, Any], page: Page) -> None:
    assert post(monitor, [report(**{"scs-0100-syntax-check": -1})]).status_code == 201
    page.goto(monitor["url"] + "/")
    row = page.locator('#not-certified tr[data-subject="cloud-a"]')
    assert "FAIL" in row.inner_text()
    row.locator("a.subject").click()
    page.wait_for_url("**/subjects/cloud-a")
    assert page.locator("h1").inner_text() == "cloud-a"
    badge = page.locator("img[alt$='badge']").first
    badge.wait_for()
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    assert badge.evaluate("img => img.naturalWidth") > 50
    page.get_by_role("link", name="History (18 months)").click()
    page.wait_for_url("**/history")
    chart = page.locator("svg.timeline.wide")
    assert chart.is_visible() and not page.locator("svg.timeline.narrow").is_visible()
    assert chart.locator("rect.FAIL").count() >= 1


def test_subject_page_leads_with_its_summary_line(monitor: dict[str, Any], sized: Page) -> None:
    assert post(monitor, [failing_report()]).status_code == 201
    sized.goto(monitor["url"] + "/subjects/cloud-a")
    line = sized.locator(".summary-line").first
    assert line.is_visible()
    assert line.inner_text() == f"v5.1 (effective): 1 of {len(REQUIRED)} required testcases failing"
    top = line.bounding_box()
    matrix = sized.locator("details.standard").first.bounding_box()
    assert top and matrix and top["y"] < matrix["y"]  # the summary comes before the wall of testcases
    failing = sized.locator(".todo li[data-testcase='scs-0100-syntax-check']")
    assert failing.is_visible() and "What to do:" in failing.inner_text()
    passing = sized.locator("details.standard[data-standard='scs-0101-v1']")
    assert passing.get_attribute("open") is None  # passing standards start collapsed
    passing.locator("summary").click()
    assert passing.locator("tr[data-testcase='scs-0101-entropy-avail']").is_visible()
    assert horizontal_overflow(sized) == 0


@pytest.mark.parametrize(
    "path",
    ["/", "/subjects/cloud-a", "/subjects/cloud-a/history", "/certificates", "/scopes/scs-compatible-iaas", "REPORT", "/nope"],
)  # fmt: skip
def test_no_page_scrolls_sideways(monitor: dict[str, Any], sized: Page, path: str) -> None:
    """At 390 px nothing is wider than the phone; at 1366 px the scope page (2,361 px before) fits too."""
    document = failing_report()
    document["details"] = {"scs-0100-syntax-check": {"result": "FAIL", "reason": "SCS-" + "x" * 300}}
    assert post(monitor, [document]).status_code == 201
    if path == "REPORT":
        path = f"/reports/{document['run']['uuid']}"
    sized.goto(monitor["url"] + path)
    sized.wait_for_load_state("load")
    assert horizontal_overflow(sized) == 0, path
    height = sized.evaluate("document.documentElement.scrollHeight")
    assert height < 20_000, (path, height)  # not one word per line


def test_history_draws_no_data_before_the_first_report(monitor: dict[str, Any], sized: Page) -> None:
    assert post(monitor, [failing_report(days_ago=3, **{"scs-0100-syntax-check": 1})]).status_code == 201
    assert post(monitor, [failing_report(days_ago=1)]).status_code == 201
    sized.goto(monitor["url"] + "/subjects/cloud-a/history")
    layout = "narrow" if sized.viewport_size and sized.viewport_size["width"] < 700 else "wide"
    chart = sized.locator(f"svg.timeline.{layout}").first
    assert chart.is_visible()
    nodata = chart.locator("rect.nodata").bounding_box()
    assert nodata and nodata["width"] > 0
    assert chart.locator("text.nodata-label").text_content() == "no data"
    for bar in chart.locator("rect.day").all():  # every state is drawn at or after the first report
        box = bar.bounding_box()
        assert box and box["x"] >= nodata["x"] + nodata["width"] - 0.5
    assert chart.locator("rect.day.MISSING[data-row='summary']").count() == 0  # no MISSING before it existed
    assert chart.locator("rect.day.FAIL[data-row='summary']").count() == 1
    assert chart.locator("line.change").count() >= 1
    assert len(chart.locator("text.tick").all_text_contents()) >= 2  # dates on the axis
    changes = sized.locator("table.changes tbody tr")
    assert changes.count() >= 1 and "FAIL" in changes.first.inner_text()
    assert changes.first.locator("a").get_attribute("href", timeout=1000) is not None
    assert horizontal_overflow(sized) == 0


def test_dark_mode_colours_apply(monitor: dict[str, Any], browser: Browser) -> None:
    assert post(monitor, [failing_report()]).status_code == 201
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(monitor["url"] + "/subjects/cloud-a")
        colours[scheme] = page.evaluate(
            """() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color,
                      getComputedStyle(document.querySelector('span.state.FAIL')).backgroundColor]"""
        )
        context.close()
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(29, 29, 31)", "rgb(251, 225, 211)"]
    assert colours["dark"] == ["rgb(21, 23, 26)", "rgb(232, 232, 232)", "rgb(74, 36, 19)"]


def test_states_are_never_colour_alone(monitor: dict[str, Any], page: Page) -> None:
    assert post(monitor, [failing_report()]).status_code == 201
    page.goto(monitor["url"] + "/subjects/cloud-a")
    for state, symbol in (("FAIL", "✗"), ("PASS", "✓")):
        cell = page.locator(f"span.state.{state}").first
        assert cell.inner_text() == state
        assert (
            page.evaluate("s => getComputedStyle(document.querySelector(`span.state.${s}`), '::before').content", state)
            == f'"{symbol}"'
        )


def test_unknown_pages_are_html_for_a_browser(monitor: dict[str, Any], page: Page) -> None:
    response = page.goto(monitor["url"] + "/subjects/nobody")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("h1").inner_text() == "404 · Not found"
    assert "unknown subject 'nobody'" in page.locator(".message").inner_text()
    assert page.evaluate("getComputedStyle(document.body).fontFamily") == "system-ui, sans-serif"  # styled
    page.locator(".error-page").get_by_role("link", name="overview").click()
    page.wait_for_url(monitor["url"] + "/")
    icon = page.request.get(monitor["url"] + (page.locator("link[rel=icon]").get_attribute("href") or ""))
    assert icon.ok and icon.headers["content-type"] == "image/svg+xml"


def test_api_docs_render_with_the_network_cut_off(monitor: dict[str, Any], browser: Browser) -> None:
    """An air-gapped site: any request that leaves the monitor fails; /docs and /redoc still render."""
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_the_monitor(route: Route) -> None:
        if route.request.url.startswith(monitor["url"] + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_monitor)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(monitor["url"] + "/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    assert "/api/subjects" in operations.all_inner_texts()
    page.locator(".opblock-summary", has_text="/api/feed.json").first.click()  # the UI works, not just draws
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    assert refused == []  # Swagger UI needs nothing its strict policy refuses (no inline script or style)
    page.goto(monitor["url"] + "/redoc")
    page.locator("h1", has_text="SCS compliance monitor").wait_for()
    assert "/api/feed.csv" in (page.locator("body").text_content() or "")
    assert elsewhere == [] and errors == []
    context.close()


def test_markup_in_a_report_is_shown_as_text_and_never_runs(monitor: dict[str, Any], page: Page) -> None:
    document = report(**{"scs-0100-syntax-check": -1})
    invocation = document["run"]["invocations"]["i"]
    invocation["stdout"] = [f"{XSS}: FAIL"]
    invocation["stderr"] = [f"ERROR: {XSS}"]
    document["details"] = {"scs-0100-syntax-check": {"result": "FAIL", "reason": XSS}}
    assert post(monitor, [document]).status_code == 201
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (f"/reports/{document['run']['uuid']}", "/subjects/cloud-a"):
        page.goto(monitor["url"] + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") is None
        assert XSS in page.locator("body").inner_text()
    assert dialogs == []
