"""Fault injection: per-resource errors, 429 with Retry-After, latency, run-time changes, seeds."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scs_toolkit.simk8s import Faults, SimK8s
from scs_toolkit.simk8s._faults import FaultInjector

from .conftest import client_for


def admin(sim: SimK8s) -> httpx.Client:
    return httpx.Client(base_url=sim.url, verify=sim.ssl_context(), headers={"Authorization": f"Bearer {sim.token()}"})


def test_errors_hit_exactly_the_broken_resource(simk8s_factory: Callable[..., SimK8s], tmp_path: Path) -> None:
    sim = simk8s_factory(profile="compliant", seed=11)
    core = client.CoreV1Api(client_for(sim, tmp_path / "kubeconfig"))
    reply = httpx.patch(
        f"{sim.url}/_sim/faults",
        json={"resources": {"nodes": {"error_rate": 1.0, "error_status": 503}}},
        verify=sim.ssl_context(),
    )
    assert reply.status_code == 200 and reply.json()["resources"]["nodes"]["error_rate"] == 1.0
    with pytest.raises(ApiException) as raised:
        core.list_node()
    assert raised.value.status == 503 and '"kind":"Status"' in raised.value.body
    assert len(core.list_namespace().items) == 4  # other resources are untouched
    stats = httpx.get(f"{sim.url}/_sim/stats", verify=sim.ssl_context()).json()["requests"]
    assert any(r["resource"] == "nodes" and r["status"] == 503 for r in stats)
    assert not any(r["resource"] == "namespaces" and r["status"] >= 500 for r in stats)
    assert httpx.delete(f"{sim.url}/_sim/faults", verify=sim.ssl_context()).status_code == 204
    assert len(core.list_node().items) == 6


def test_rate_limit_answers_429_with_retry_after(simk8s_factory: Callable[..., SimK8s]) -> None:
    sim = simk8s_factory(profile="compliant", seed=12, faults=Faults(rate_limit_rate=1.0, retry_after_s=7))
    with admin(sim) as http:
        reply = http.get("/api/v1/nodes")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "7"
    body = reply.json()
    assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 7


def test_latency_is_added_per_resource(simk8s_factory: Callable[..., SimK8s]) -> None:
    sim = simk8s_factory(profile="compliant", seed=13)
    httpx.patch(
        f"{sim.url}/_sim/faults", json={"resources": {"storageclasses": {"latency_ms": 300}}}, verify=sim.ssl_context()
    )
    with admin(sim) as http:
        http.get("/version")  # connect first: the TLS handshake is not what is measured
        started = time.monotonic()
        assert http.get("/apis/storage.k8s.io/v1/storageclasses").status_code == 200
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert http.get("/api/v1/nodes").status_code == 200
        assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(
    "document",
    [
        {"resources": {"nodes": {"error_rate": 2}}},
        {"resources": {"teleporters": {}}},
        {"default": {"colour": 1}},
        {"default": {"latency_ms": "fast"}},
        {"services": {"nodes": {}}},
        [1, 2],
    ],
)
def test_bad_fault_settings_are_rejected_and_change_nothing(simk8s: SimK8s, document: object) -> None:
    context = simk8s.ssl_context()
    before = httpx.get(f"{simk8s.url}/_sim/faults", verify=context).json()
    reply = httpx.put(f"{simk8s.url}/_sim/faults", json=document, verify=context)
    assert reply.status_code == 400 and reply.json()["error"]
    assert httpx.get(f"{simk8s.url}/_sim/faults", verify=context).json() == before


def test_same_seed_same_faults() -> None:
    settings = {"default": {"error_rate": 0.3, "rate_limit_rate": 0.2, "jitter_ms": 50}}
    runs = []
    for _ in range(2):
        injector = FaultInjector(seed=99)
        injector.configure(settings)
        runs.append([injector.decide("nodes") for _ in range(200)])
    assert runs[0] == runs[1]
    assert {d.status for d in runs[0]} == {None, 500, 429}
    other = FaultInjector(seed=100)
    other.configure(settings)
    assert [other.decide("nodes") for _ in range(200)] != runs[0]


def test_the_flaky_profile_misbehaves_from_the_start(simk8s_factory: Callable[..., SimK8s]) -> None:
    sim = simk8s_factory(profile="flaky", seed=15)
    faults = httpx.get(f"{sim.url}/_sim/faults", verify=sim.ssl_context()).json()
    assert faults["resources"]["nodes"]["rate_limit_rate"] == 0.1
    with admin(sim) as http:
        statuses = [http.get("/api/v1/nodes").status_code for _ in range(40)]  # seeded: deterministic
    assert 200 in statuses and {429, 503} & set(statuses)


def test_health_endpoints_and_the_admin_api_are_never_broken(simk8s_factory: Callable[..., SimK8s]) -> None:
    sim = simk8s_factory(profile="compliant", seed=16, faults=Faults(error_rate=1.0))
    context = sim.ssl_context()
    assert httpx.get(f"{sim.url}/readyz", verify=context).text == "ok"
    assert httpx.get(f"{sim.url}/_sim/health", verify=context).json()["status"] == "ok"
    assert httpx.get(f"{sim.url}/version", verify=context).status_code == 500  # discovery is an API like any other
