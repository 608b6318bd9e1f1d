"""Health iterations against the simulated cloud: what is measured, how faults show, and that
nothing is ever left behind."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
from fastapi import FastAPI, Request

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.health import (
    Alerter,
    AlertRules,
    CloudSchedule,
    HealthMetrics,
    HealthMonitor,
    HealthStore,
    Scenario,
    ScenarioOptions,
    find_resources,
)
from scs_toolkit.simcloud import SimCloud

Faults = dict[str, dict[str, float]]


def resources_left(sim: SimCloud) -> dict[str, int]:
    counts = httpx.get(f"{sim.url}/_sim/resources").json()
    return {
        kind: n
        for kind, n in counts.items()
        if n and kind in ("server", "floating_ip", "router", "volume", "loadbalancer", "keypair")
    }


@pytest.fixture
def cloud(simcloud_factory: Callable[..., SimCloud]) -> Iterator[tuple[SimCloud, Any]]:
    sim = simcloud_factory(profile="compliant", seed=3)
    baseline = resources_left(sim)
    conn = openstack.connect(**sim.connect_kwargs(), api_timeout=2, connect_retries=0)
    yield sim, conn
    httpx.delete(f"{sim.url}/_sim/faults")
    assert find_resources(conn, "scs-health-") == []
    assert resources_left(sim) == baseline
    conn.close()


def inject(sim: SimCloud, services: Faults) -> None:
    reply = httpx.put(f"{sim.url}/_sim/faults", json={"services": services})
    assert reply.status_code == 200, reply.text


def test_clean_iteration_measures_every_service_and_leaves_nothing(cloud: tuple[SimCloud, Any]) -> None:
    _, conn = cloud
    result = Scenario(conn, "sim", ScenarioOptions(vms=2, with_lb=True, with_volumes=True)).run(1)
    assert result.ok, result.failures
    assert [s.name for s in result.steps] == [
        "login", "image-and-flavor", "network", "security-group", "keypair", "jump-host", "servers",
        "volumes", "load-balancer", "ssh", "teardown",
    ]  # fmt: skip
    services = {c.service for c in result.calls}
    assert {"compute", "network", "image", "volume", "load-balancer"} <= services
    assert "other" not in services
    operations = {c.operation for c in result.calls}
    assert "POST /servers" in operations and "DELETE /servers/{id}" in operations
    assert all("scs-health-" not in op for op in operations)  # labels stay bounded
    assert len(result.time_to_ready["server"]) == 3 and len(result.time_to_ready["volume"]) == 2
    assert result.time_to_ready["loadbalancer"][0] > 0 and result.ssh_s is not None
    assert result.errors_by_service() == {} and result.leftovers == ()


def test_injected_errors_show_on_exactly_that_service(cloud: tuple[SimCloud, Any]) -> None:
    sim, conn = cloud
    inject(sim, {"volume": {"error_rate": 1.0}})
    result = Scenario(conn, "sim", ScenarioOptions(vms=1, with_volumes=True)).run(1)
    assert not result.ok
    failed = {s.name: s.error for s in result.steps if not s.ok and not s.skipped}
    assert set(failed) == {"volumes"} and "500" in str(failed["volumes"])
    assert [s.name for s in result.steps if s.skipped] == ["ssh"]
    errors = result.errors_by_service()
    assert set(errors) == {"volume"} and errors["volume"] >= 1
    assert any(n.startswith("volume (could not list: HttpException") for n in result.leftovers)


def test_injected_latency_shows_in_its_percentiles(cloud: tuple[SimCloud, Any], tmp_path: Path) -> None:
    sim, conn = cloud
    inject(sim, {"network": {"latency_ms": 150}})
    result = Scenario(conn, "sim", ScenarioOptions(vms=1)).run(1)
    assert result.ok, result.failures
    store = HealthStore(f"sqlite:///{tmp_path / 'h.db'}")
    store.add(result)
    stats = {s.service: s for s in store.service_stats("sim", result.started_at)}
    assert stats["network"].p50_s >= 0.15
    assert stats["compute"].p95_s < 0.15
    store.close()


def test_hanging_request_is_cut_by_the_timeout_and_recorded(cloud: tuple[SimCloud, Any]) -> None:
    sim, _ = cloud
    conn = openstack.connect(**sim.connect_kwargs(), api_timeout=1, connect_retries=0)
    inject(sim, {"volume": {"hang_rate": 1.0, "hang_s": 8}})
    started = time.monotonic()
    result = Scenario(conn, "sim", ScenarioOptions(vms=1, with_volumes=True)).run(1)
    assert time.monotonic() - started < 30
    volume_calls = [c for c in result.calls if c.service == "volume"]
    assert volume_calls and all(c.status == 0 and c.failed for c in volume_calls)
    assert all(c.duration_s < 2 for c in volume_calls)  # cut after 1 s, not after the 8 s hang
    assert any("Timeout" in str(c.error) for c in volume_calls)
    assert "volumes" in [s.name for s in result.steps if not s.ok and not s.skipped]


def test_stop_during_a_slow_build_tears_down(cloud: tuple[SimCloud, Any]) -> None:
    sim, conn = cloud
    inject(sim, {"compute": {"build_delay_s": 30}})
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    started = time.monotonic()
    result = Scenario(conn, "sim", ScenarioOptions(vms=1), stop=stop).run(1)
    assert time.monotonic() - started < 15
    assert result.interrupted and not result.ok
    assert result.steps[-1].name == "teardown" and result.steps[-1].ok


class Webhook:
    """A loopback HTTP endpoint that records what is posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> dict[str, str]:
            self.received.append(await request.json())
            return {"ok": "yes"}

        self.server = BackgroundServer(app).start()
        self.url = f"{self.server.url}/hook"


def test_monitor_stores_measures_and_alerts(
    cloud: tuple[SimCloud, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sim, conn = cloud
    inject(sim, {"volume": {"error_rate": 1.0}})
    store = HealthStore(f"sqlite:///{tmp_path / 'h.db'}")
    metrics = HealthMetrics()
    webhook = Webhook()
    alerter = Alerter(store, AlertRules(min_calls=1), webhook=webhook.url)
    monitor = HealthMonitor(store, metrics, alerter, connector=lambda name, timeout: conn)
    schedule = CloudSchedule("sim", ScenarioOptions(vms=1, with_volumes=True), interval_s=0, iterations=2)
    with caplog.at_level(logging.WARNING, logger="scs_toolkit.health.alerts"):
        results = monitor.run([schedule], threading.Event())
    webhook.server.stop()
    assert [r.iteration for r in results] == [1, 2] and not any(r.ok for r in results)
    rules = {a["rule"] for a in webhook.received if a["state"] == "firing"}
    assert {"error-rate:volume", "failed-iterations"} <= rules
    assert "error-rate:network" not in rules
    assert any("FIRING error-rate:volume" in line for line in caplog.messages)
    exposition = metrics.registry
    from prometheus_client import generate_latest

    text = generate_latest(exposition).decode()
    assert 'scs_health_api_errors_total{cloud="sim",service="volume"}' in text
    assert 'scs_health_api_errors_total{cloud="sim",service="network"}' not in text
    assert 'scs_health_iterations_total{cloud="sim",result="failed"} 2.0' in text
    assert 'operation="POST /servers"' in text
    assert len(store.iterations("sim")) == 2 and store.alerts("sim")
    store.close()


def test_alert_webhook_that_is_down_is_logged_and_the_alert_still_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import datetime as dt

    from scs_toolkit.health import IterationResult, StepResult

    store = HealthStore(f"sqlite:///{tmp_path / 'h.db'}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for number in (1, 2):
        store.add(IterationResult("c", number, now, 1.0, (StepResult("network", False, 0.1, "boom"),), ()))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"  # bound, never listening: refused
        alerter = Alerter(store, AlertRules(), webhook=dead)
        with caplog.at_level(logging.WARNING, logger="scs_toolkit.health.alerts"):
            changed = alerter.evaluate("c")
    assert [a.rule for a in changed] == ["failed-iterations"] and changed[0].firing
    assert any("webhook" in line and "failed" in line for line in caplog.messages)
    assert store.alerts("c")[0]["rule"] == "failed-iterations"
    assert alerter.evaluate("c") == []  # announced once, not on every evaluation
    store.close()


def test_a_schedule_continues_the_numbering_it_is_given(cloud: tuple[SimCloud, Any], tmp_path: Path) -> None:
    """A caller that runs one schedule after another (the demo's rounds) sees #1, #2, ... not #1 every time."""
    _, conn = cloud
    store = HealthStore(f"sqlite:///{tmp_path / 'h.db'}")
    monitor = HealthMonitor(store, HealthMetrics(), Alerter(store), connector=lambda name, timeout: conn)
    numbers = []
    for first in (1, 2):
        schedule = CloudSchedule("sim", ScenarioOptions(vms=0), interval_s=0, iterations=1, first=first)
        numbers += [r.iteration for r in monitor.run([schedule], threading.Event())]
    assert numbers == [1, 2]
