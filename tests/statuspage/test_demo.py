"""`scs demo` wires the status page: a component per cloud, and the flaky cloud's health alerts become
real incidents on it (made certain here by breaking its identity API through fault injection)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scs_toolkit.demo import Demo, prepare_data_dir
from scs_toolkit.health import CloudSchedule, ScenarioOptions


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(prepare_data_dir(tmp_path / "data", reset=False), port=0, say=lambda message: None)
    yield running
    running.stop()


def test_the_flaky_clouds_alerts_become_incidents_on_the_status_page(demo: Demo) -> None:
    components = httpx.get(f"{demo.status_url}/components").json()["data"]
    assert sorted(c["labels"]["cloud"] for c in components) == ["demo-broken", "demo-compliant", "demo-flaky"]
    flaky = demo.clouds["demo-flaky"]
    assert (
        httpx.patch(f"{flaky.url}/_sim/faults", json={"services": {"identity": {"error_rate": 1.0}}}).status_code == 200
    )
    schedule = CloudSchedule("demo-flaky", ScenarioOptions(vms=1, api_timeout_s=10), 0, 2)
    results = demo._health_monitor().run([schedule], demo.stopping)
    assert [r.ok for r in results] == [False, False]  # two failed iterations: the failed-iterations alert fires
    window = {"start": "2000-01-01T00:00:00Z", "end": "2999-01-01T00:00:00Z"}
    incidents = httpx.get(f"{demo.status_url}/incidents", params=window).json()["data"]
    titles = [i["displayName"] for i in incidents]
    assert "demo-flaky: health checks fail repeatedly" in titles
    [flaky_component] = [c["id"] for c in components if c["labels"]["cloud"] == "demo-flaky"]
    assert all(i["affects"][0]["reference"] == flaky_component for i in incidents)
    page = httpx.get(f"{demo.status_url}/pages/clouds/demo-flaky")
    assert page.status_code == 200 and "health checks fail repeatedly" in page.text
    assert "Flaky Cloud" in page.text  # the compliance monitor's account joins in


def test_a_second_run_keeps_the_components_and_replaces_the_token(tmp_path: Path) -> None:
    data = prepare_data_dir(tmp_path / "data", reset=False)
    first = Demo(data, port=0, say=lambda message: None)
    first.stop()
    second = Demo(data, port=0, say=lambda message: None)
    try:
        assert len(httpx.get(f"{second.status_url}/components").json()["data"]) == 3
        proposals = httpx.get(
            f"{second.status_url}/proposals", headers={"Authorization": f"Bearer {second.bridge.settings.token}"}
        )
        assert proposals.status_code == 403  # the machine token works (authenticated) but is no writer
    finally:
        second.stop()
