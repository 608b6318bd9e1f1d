"""Fault injection: per-service errors, 429s, latency, hangs; run-time changes; determinism."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import openstack
import pytest
from openstack import exceptions

from scs_toolkit.simcloud import Faults, SimCloud
from scs_toolkit.simcloud._faults import FaultInjector


def test_errors_hit_exactly_the_broken_service(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=11)
    conn = openstack.connect(**sim.connect_kwargs())
    list(conn.compute.flavors())  # authenticate and discover before breaking things
    reply = httpx.patch(
        f"{sim.url}/_sim/faults", json={"services": {"compute": {"error_rate": 1.0, "error_status": 503}}}
    )
    assert reply.status_code == 200
    assert reply.json()["services"]["compute"]["error_rate"] == 1.0
    with pytest.raises(exceptions.HttpException) as raised:
        list(conn.compute.flavors())
    assert raised.value.status_code == 503
    assert len(list(conn.image.images())) == 4  # other services are untouched
    stats = httpx.get(f"{sim.url}/_sim/stats").json()["requests"]
    assert any(r["service"] == "compute" and r["status"] == 503 for r in stats)
    assert not any(r["service"] == "image" and r["status"] >= 500 for r in stats)
    assert httpx.delete(f"{sim.url}/_sim/faults").status_code == 204
    assert len(list(conn.compute.flavors())) == 31


def test_rate_limit_answers_429_with_retry_after(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=12, faults=Faults(rate_limit_rate=1.0, retry_after_s=7))
    reply = httpx.get(f"{sim.url}/compute/v2.1/flavors")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "7"
    assert "overLimit" in reply.json()


def test_latency_is_added(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=13)
    httpx.patch(f"{sim.url}/_sim/faults", json={"services": {"image": {"latency_ms": 300}}})
    started = time.monotonic()
    httpx.get(f"{sim.url}/image/")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    httpx.get(f"{sim.url}/compute/")
    assert time.monotonic() - started < 0.3


def test_hanging_requests_time_out(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=14, faults=Faults(hang_rate=1.0, hang_s=2))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sim.url}/network/", timeout=0.5)
    assert httpx.get(f"{sim.url}/_sim/health", timeout=5).status_code == 200  # the admin API never hangs


@pytest.mark.parametrize(
    "document",
    [
        {"services": {"compute": {"error_rate": 2}}},
        {"services": {"teleport": {}}},
        {"default": {"colour": 1}},
        {"default": {"latency_ms": "fast"}},
        {"nonsense": 1},
        [1, 2],
    ],
)
def test_bad_fault_settings_are_rejected_and_change_nothing(simcloud: SimCloud, document: object) -> None:
    before = httpx.get(f"{simcloud.url}/_sim/faults").json()
    reply = httpx.put(f"{simcloud.url}/_sim/faults", json=document)
    assert reply.status_code == 400 and reply.json()["error"]
    assert httpx.get(f"{simcloud.url}/_sim/faults").json() == before


def test_same_seed_same_faults() -> None:
    settings = {"default": {"error_rate": 0.3, "rate_limit_rate": 0.2, "jitter_ms": 50}}
    runs = []
    for _ in range(2):
        injector = FaultInjector(seed=99)
        injector.configure(settings)
        runs.append([injector.decide("compute") for _ in range(200)])
    assert runs[0] == runs[1]
    statuses = {d.status for d in runs[0]}
    assert statuses == {None, 500, 429}
    other = FaultInjector(seed=100)
    other.configure(settings)
    assert [other.decide("compute") for _ in range(200)] != runs[0]


def test_profile_faults_apply_from_the_start(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="flaky", seed=15)
    faults = httpx.get(f"{sim.url}/_sim/faults").json()
    assert faults["services"]["compute"]["rate_limit_rate"] == 0.05
    statuses = [httpx.get(f"{sim.url}/compute/").status_code for _ in range(40)]  # seeded: deterministic
    assert 200 in statuses and {429, 503} & set(statuses)
