"""End to end: a simulated cloud whose identity API is broken by fault injection (PATCH /_sim/faults),
the real health monitor iterating on it with its alert rules, the bridge, and the status page inside
the compliance monitor. The alerts open incidents on the cloud's component, the incidents resolve
after N clean iterations once the fault is gone; in "propose" mode they wait for a person."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.cli import app as cli
from scs_toolkit.health import (
    Alerter,
    AlertRules,
    CloudSchedule,
    HealthMetrics,
    HealthMonitor,
    HealthStore,
    IterationResult,
    ScenarioOptions,
)
from scs_toolkit.health._incidents import BridgeSettings, StatusPageBridge
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml
from scs_toolkit.statuspage.db import HealthDay

from .conftest import make_tokens

#: A window a few times longer than a failing log-in iteration (about 1.5 s), so the alerts fire right
#: after it and clear a few clean iterations later; one failed iteration is enough.
RULES = AlertRules(window=dt.timedelta(seconds=5), min_calls=1, max_failed_iterations=1)
RESOLVE_AFTER = 2


class Setup:
    def __init__(self, sim: SimCloud, status_url: str, tokens: dict[str, str], tmp_path: Path, mode: str) -> None:
        self.sim, self.status_url, self.tokens = sim, status_url, tokens
        self.store = HealthStore(f"sqlite:///{tmp_path / f'health-{mode}.db'}")
        self.bridge = StatusPageBridge(
            BridgeSettings(
                status_url, tokens["machine"], "http://health.example", mode=mode, resolve_after=RESOLVE_AFTER
            )
        )
        self.monitor = HealthMonitor(
            self.store,
            HealthMetrics(),
            Alerter(self.store, RULES),
            connector=lambda cloud, timeout: openstack.connect(
                **sim.connect_kwargs(), api_timeout=timeout, connect_retries=0
            ),
            after_evaluation=self.bridge,
        )

    def iterate(self) -> tuple[IterationResult, dict[str, Any]]:
        [result] = self.monitor.run(
            [CloudSchedule("east", ScenarioOptions(vms=1, api_timeout_s=10), 0, 1)], threading.Event()
        )
        return result, self.bridge.last["east"]

    def faults(self, error_rate: float) -> None:
        answer = httpx.patch(f"{self.sim.url}/_sim/faults", json={"services": {"identity": {"error_rate": error_rate}}})
        assert answer.status_code == 200


@pytest.fixture
def world(
    database: Database, simcloud_factory: Callable[..., SimCloud], tmp_path: Path
) -> Iterator[tuple[SimCloud, str, dict[str, str]]]:
    sim = simcloud_factory(profile="compliant", seed=7)
    tokens = make_tokens(database)
    with BackgroundServer(create_app(database)) as server:
        status_url = server.url + "/status"
        with httpx.Client(base_url=status_url, headers={"Authorization": f"Bearer {tokens['admin']}"}) as admin:
            created = admin.post("/components", json={"displayName": "East IaaS", "labels": {"cloud": "east"}})
            assert created.status_code == 201
        yield sim, status_url, tokens


def test_fault_injection_opens_an_incident_and_clean_iterations_resolve_it(
    world: tuple[SimCloud, str, dict[str, str]], tmp_path: Path
) -> None:
    sim, status_url, tokens = world
    setup = Setup(sim, status_url, tokens, tmp_path, "open")
    first, _ = setup.iterate()
    assert first.ok and setup.bridge.last["east"]["opened"] == []  # a healthy cloud: nothing
    setup.faults(1.0)
    failed, answer = setup.iterate()
    assert not failed.ok and "login" in failed.failures[0]
    opened = answer["opened"]
    assert len(opened) == 2  # error-rate:identity and failed-iterations, one incident each
    public = httpx.get(
        f"{status_url}/incidents", params={"start": "2000-01-01T00:00:00Z", "end": "2999-01-01T00:00:00Z"}
    )
    titles = sorted(i["displayName"] for i in public.json()["data"])
    assert titles == ["east: health checks fail repeatedly", "east: identity API requests fail"]
    [component] = httpx.get(f"{status_url}/components").json()["data"]
    assert sorted(i["reference"] for i in component["activelyAffectedBy"]) == sorted(opened)

    setup.faults(0.0)
    resolved: list[str] = []
    clean = 0
    for _ in range(20):  # the alerts clear once the failures leave the 5 s window, then 2 clean evaluations
        result, answer = setup.iterate()
        assert result.ok
        clean += 1
        resolved += answer["resolved"]
        if sorted(resolved) == sorted(opened):
            break
    assert sorted(resolved) == sorted(opened)
    assert clean >= RESOLVE_AFTER
    for incident in opened:
        data = httpx.get(f"{status_url}/incidents/{incident}").json()["data"]
        assert "endedAt" in data and data["phase"] == {"generation": 1, "order": 4}
        updates = httpx.get(f"{status_url}/incidents/{incident}/updates").json()["data"]
        assert updates[0]["displayName"] == "Detected" and updates[-1]["displayName"] == "Resolved"
        assert all("http://health.example/clouds/east?start=" in u["description"] for u in updates)
    assert httpx.get(f"{status_url}/components").json()["data"][0]["activelyAffectedBy"] == []
    page = httpx.get(f"{status_url}/pages/clouds/east")
    assert page.status_code == 200 and "identity API requests fail" in page.text
    assert f"{clean + 2} " in page.text or f">{clean + 2}<" in page.text  # iterations reported to the page


def test_propose_mode_waits_for_a_person(world: tuple[SimCloud, str, dict[str, str]], tmp_path: Path) -> None:
    sim, status_url, tokens = world
    setup = Setup(sim, status_url, tokens, tmp_path, "propose")
    setup.faults(1.0)
    _, answer = setup.iterate()
    assert answer["opened"] == [] and len(answer["proposed"]) == 2
    window = {"start": "2000-01-01T00:00:00Z", "end": "2999-01-01T00:00:00Z"}
    assert httpx.get(f"{status_url}/incidents", params=window).json()["data"] == []
    writer = {"Authorization": f"Bearer {tokens['writer']}"}
    proposals = httpx.get(f"{status_url}/proposals", headers=writer).json()["data"]
    assert sorted(p["id"] for p in proposals) == sorted(answer["proposed"])
    chosen = answer["proposed"][0]
    assert httpx.post(f"{status_url}/proposals/{chosen}/confirm", headers=writer).status_code == 204
    assert [i["id"] for i in httpx.get(f"{status_url}/incidents", params=window).json()["data"]] == [chosen]


def test_scs_health_run_feeds_the_status_page(
    world: tuple[SimCloud, str, dict[str, str]], database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI wiring: --status-page URL --status-token-file FILE (the token file is read, never echoed)."""
    sim, status_url, tokens = world
    clouds = tmp_path / "clouds.yaml"
    write_clouds_yaml(clouds, sim.clouds_yaml("east"))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    token_file = tmp_path / "token"
    token_file.write_text(tokens["machine"] + "\n")
    httpx.patch(f"{sim.url}/_sim/faults", json={"services": {"identity": {"error_rate": 1.0}}})
    arguments = ["health", "run", "-c", "east", "--db", f"sqlite:///{tmp_path / 'h.db'}"]
    result = CliRunner().invoke(cli, [*arguments, "--status-page", status_url, "--status-token-file", str(token_file)])
    assert result.exit_code == 1, result.output  # the iteration failed
    assert tokens["machine"].split(".")[-1] not in result.output
    with database.session() as db:
        [day] = db.scalars(select(HealthDay)).all()
    assert (day.cloud, day.iterations, day.failed) == ("east", 1, 1)  # the failed iteration was reported
    missing = CliRunner().invoke(cli, [*arguments, "--status-page", status_url, "--status-token-file", "/nonexistent"])
    assert missing.exit_code == 2 and "token" in missing.output
