"""The health monitor's dashboard in a real browser: time-series charts per service (more than one
point after two iterations, a time axis, gaps as gaps, alert and failed-iteration markers), the
range picker, phones, dark mode and HTML errors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import openstack
import pytest
from playwright.sync_api import Browser, Page

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.health import (
    ApiCall,
    HealthMetrics,
    HealthStore,
    IterationResult,
    Scenario,
    ScenarioOptions,
    StepResult,
    create_health_app,
)
from scs_toolkit.simcloud import SimCloud

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def polyline_points(page: Page, service: str, line: str) -> list[int]:
    """Number of points of each drawn line (runs between gaps) of one service's chart."""
    figure = page.locator(f'figure[data-service="{service}"]')
    return [
        len((p or "").split())
        for p in figure.locator(f"polyline.{line}").evaluate_all("ls => ls.map(l => l.getAttribute('points'))")
    ]


def test_two_real_iterations_draw_a_line_with_a_time_axis(
    simcloud_factory: Callable[..., SimCloud], tmp_path: Path, page: Page
) -> None:
    sim = simcloud_factory(profile="compliant", seed=9)
    conn = openstack.connect(**sim.connect_kwargs())
    store = HealthStore(f"sqlite:///{tmp_path / 'h.db'}")
    scenario = Scenario(conn, "sim", ScenarioOptions(vms=1))
    for number in (1, 2):
        result = scenario.run(number)
        assert result.ok, result.failures
        store.add(result)
    with BackgroundServer(create_health_app(store, HealthMetrics())) as server:
        page.goto(server.url + "/")  # the default 24 h window, where one point per 30 min used to be all
        page.get_by_role("link", name="sim").click()
        page.wait_for_url("**/clouds/sim")
        compute = page.locator('figure[data-service="compute"]')
        assert "calls" in compute.inner_text()
        assert polyline_points(page, "compute", "p50") == [2] and polyline_points(page, "compute", "p95") == [2]
        assert compute.locator("rect.calls").count() == 2
        ticks = compute.locator("text.tick").all_text_contents()
        assert len(ticks) >= 2 and all(re.fullmatch(r"(\d\d-\d\d )?\d\d:\d\d(:\d\d)?", t) for t in ticks), ticks
        assert page.locator("#iterations tbody tr.ok").count() == 2
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        assert page.locator("img[alt='health badge']").evaluate("img => img.naturalWidth") > 50
        page.get_by_role("link", name="1 h", exact=True).click()
        page.wait_for_url("**/clouds/sim?hours=1.0")
        assert page.locator("a[aria-current=page]").inner_text() == "1 h"
        assert polyline_points(page, "compute", "p50") == [2]
    store.close()


def iteration(store: HealthStore, number: int, started: dt.datetime, ok: bool = True, failing: int = 0) -> None:
    """An iteration with four compute calls (the first `failing` of them 503) at `started`."""
    calls = tuple(
        ApiCall(
            started + dt.timedelta(seconds=i), "compute", "GET /servers", 503 if i < failing else 200, 0.05 + i / 100
        )
        for i in range(4)
    )
    store.add(IterationResult("sim", number, started, 5.0, (StepResult("network", ok, 0.5),), calls))


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[str]:
    """Five iterations a minute apart, 40 minutes of nothing (the monitor was down), three more, one of
    them failed with errors; an alert fired in the second run."""
    store = HealthStore(f"sqlite:///{tmp_path / 'health.db'}")
    start = NOW - dt.timedelta(minutes=50)
    for n in range(5):
        iteration(store, n + 1, start + dt.timedelta(minutes=n))
    for n in range(3):
        iteration(store, n + 6, start + dt.timedelta(minutes=45 + n), ok=n != 1, failing=2 if n == 1 else 0)
    store.add_alert("sim", "error-rate:compute", True, "compute: 50% of calls failed", start + dt.timedelta(minutes=46))
    with BackgroundServer(create_health_app(store, HealthMetrics())) as server:
        yield server.url
    store.close()


def test_gaps_are_gaps_and_alerts_and_failures_are_marked(recorded: str, page: Page) -> None:
    page.goto(recorded + "/clouds/sim")
    assert polyline_points(page, "compute", "p50") == [5, 3]  # two runs, not one line across the outage
    figure = page.locator('figure[data-service="compute"]')
    gap = figure.locator("rect.gap").first.bounding_box()
    lines = figure.locator("polyline.p50").all()
    first, second = lines[0].bounding_box(), lines[1].bounding_box()
    assert gap and first and second
    assert first["x"] + first["width"] <= gap["x"] + 1 and gap["x"] + gap["width"] <= second["x"] + 1
    assert figure.locator("line.marker.alert").count() == 1
    assert "compute: 50% of calls failed" in (figure.locator("line.marker.alert title").text_content() or "")
    assert figure.locator("path.incident").count() == 1  # the failed iteration
    errors = figure.locator("polyline.errors").evaluate_all("ls => ls.map(l => l.getAttribute('points'))")
    assert len(errors) == 2


def test_custom_range_and_its_errors(recorded: str, page: Page) -> None:
    page.goto(recorded + "/clouds/sim")
    start = (NOW - dt.timedelta(minutes=8)).strftime("%Y-%m-%dT%H:%M")
    page.locator("input[name=start]").fill(start)
    page.locator("input[name=end]").fill(NOW.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*start=.*&end=.*"))
    assert polyline_points(page, "compute", "p50") == [3]  # only the iterations after the outage
    assert "3 iterations, 1 failed" in page.locator("main").inner_text()
    response = page.goto(recorded + f"/clouds/sim?start={NOW:%Y-%m-%dT%H:%M}&end=2000-01-01T00:00")
    assert response is not None and response.status == 422
    assert page.locator("h1").inner_text() == "422 · Invalid parameters"
    assert "end after it starts" in page.locator(".message").inner_text()


def test_phone_width_dark_mode_and_html_errors(recorded: str, browser: Browser) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="dark")
    page = phone.new_page()
    for path in ("/", "/clouds/sim"):
        page.goto(recorded + path)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0, path
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(21, 23, 26)"
    chart = page.locator('figure[data-service="compute"] svg').bounding_box()
    assert chart and chart["width"] <= 390
    response = page.goto(recorded + "/clouds/nowhere")
    assert response is not None and response.status == 404
    assert "no iterations recorded for cloud 'nowhere'" in page.locator(".message").inner_text()
    assert page.request.get(recorded + "/clouds/nowhere").json()["detail"].startswith("no iterations")  # API: JSON
    phone.close()


def test_api_docs_and_favicon_come_from_the_dashboard(recorded: str, browser: Browser) -> None:
    context = browser.new_context()
    elsewhere: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(recorded + "/")
            else (elsewhere.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.goto(recorded + "/docs")
    page.locator(".opblock-summary-path", has_text="/clouds/{cloud}/summary.json").wait_for()
    icon = page.request.get(recorded + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"] == "image/svg+xml"
    assert elsewhere == []
    context.close()
