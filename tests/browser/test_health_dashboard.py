"""The health monitor's dashboard in a real browser: plots drawn, iterations listed, badge loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openstack
from playwright.sync_api import Page

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.health import HealthMetrics, HealthStore, Scenario, ScenarioOptions, create_health_app
from scs_toolkit.simcloud import SimCloud


def test_dashboard_renders(simcloud_factory: Callable[..., SimCloud], tmp_path: Path, page: Page) -> None:
    sim = simcloud_factory(profile="compliant", seed=9)
    conn = openstack.connect(**sim.connect_kwargs())
    store = HealthStore(f"sqlite:///{tmp_path / 'h.db'}")
    result = Scenario(conn, "sim", ScenarioOptions(vms=1)).run(1)
    assert result.ok, result.failures
    store.add(result)
    with BackgroundServer(create_health_app(store, HealthMetrics())) as server:
        page.goto(server.url + "/")
        page.get_by_role("link", name="sim").click()
        page.wait_for_url("**/clouds/sim")
        compute = page.locator('figure[data-service="compute"]')
        assert "calls" in compute.inner_text()
        points = compute.locator("polyline.p95").get_attribute("points") or ""
        assert len(points.split()) >= 1
        assert page.locator("#iterations tbody tr.ok").count() == 1
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        assert page.locator("img[alt='health badge']").evaluate("img => img.naturalWidth") > 50
    store.close()
