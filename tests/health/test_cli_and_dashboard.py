"""`scs health run|cleanup` as users run them, several clouds at once, Ctrl-C, and the dashboard."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openstack
import pytest
from typer.testing import CliRunner

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.cli import app
from scs_toolkit.health import HealthMetrics, HealthStore, Scenario, ScenarioOptions, create_health_app
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

runner = CliRunner()
SCS = Path(sys.executable).parent / "scs"


@pytest.fixture
def clouds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simcloud_factory: Callable[..., SimCloud]
) -> Callable[..., SimCloud]:
    path = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))

    def start(name: str, **options: object) -> SimCloud:
        sim = simcloud_factory(profile="compliant", seed=5, **options)
        write_clouds_yaml(path, sim.clouds_yaml(name))
        return sim

    return start


def test_run_two_clouds_side_by_side_with_json_summaries(clouds: Callable[..., SimCloud], tmp_path: Path) -> None:
    clouds("east")
    clouds("west")
    db = f"sqlite:///{tmp_path / 'h.db'}"
    result = runner.invoke(
        app, ["health", "run", "-c", "east", "-c", "west", "-n", "2", "--interval", "0", "--db", db, "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    summaries = json.loads(result.stdout)  # one document, written at the end
    assert sorted((s["cloud"], s["iteration"]) for s in summaries) == [
        ("east", 1),
        ("east", 2),
        ("west", 1),
        ("west", 2),
    ]
    assert all(s["ok"] and s["api_calls"] > 20 and s["leftovers"] == [] for s in summaries)
    assert all(s["started_at"].endswith("+00:00") for s in summaries)  # timestamps say their zone
    assert HealthStore(db).clouds() == ["east", "west"]
    lines = runner.invoke(app, ["health", "run", "-c", "east", "--db", db, "--format", "jsonl"])
    assert lines.exit_code == 0, lines.stderr
    [line] = lines.stdout.splitlines()  # JSON Lines: one document per iteration, as it ends
    assert json.loads(line)["cloud"] == "east"


def test_failed_iteration_exits_1_and_unknown_cloud_2(clouds: Callable[..., SimCloud], tmp_path: Path) -> None:
    sim = clouds("broken")
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"network": {"error_rate": 1.0}}})
    db = f"sqlite:///{tmp_path / 'h.db'}"
    failed = runner.invoke(app, ["health", "run", "-c", "broken", "--db", db])
    assert failed.exit_code == 1 and "FAILED" in failed.stdout and "network" in failed.stdout
    unknown = runner.invoke(app, ["health", "run", "-c", "nowhere", "--db", db])
    assert unknown.exit_code == 2 and "nowhere" in unknown.stderr and "clouds.yaml" in unknown.stderr


def test_cleanup_removes_only_the_monitors_own_resources(clouds: Callable[..., SimCloud]) -> None:
    sim = clouds("c")
    conn = openstack.connect(**sim.connect_kwargs())
    conn.network.create_network(name="scs-health-crashed-1-net")
    conn.network.create_network(name="customer-net")
    conn.compute.create_keypair(name="scs-health-crashed-1-key", public_key=_public_key())
    dry = runner.invoke(app, ["health", "cleanup", "-c", "c", "--dry-run", "--format", "json"])
    assert dry.exit_code == 0
    assert sorted(r["name"] for r in json.loads(dry.stdout)) == ["scs-health-crashed-1-key", "scs-health-crashed-1-net"]
    assert len([n for n in conn.network.networks() if n.name.startswith("scs-health-")]) == 1
    done = runner.invoke(app, ["health", "cleanup", "-c", "c"])
    assert done.exit_code == 0 and "deleted" in done.stdout
    names = {n.name for n in conn.network.networks()}
    assert "customer-net" in names and "scs-health-crashed-1-net" not in names
    assert [k.name for k in conn.compute.keypairs()] == []
    refused = runner.invoke(app, ["health", "cleanup", "-c", "c", "--prefix", "customer"])
    assert refused.exit_code == 2 and "must start with 'scs-health-'" in refused.stderr
    assert "customer-net" in {n.name for n in conn.network.networks()}


def _public_key() -> str:
    import asyncssh

    return asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()


def test_ctrl_c_stops_promptly_and_leaves_nothing(clouds: Callable[..., SimCloud], tmp_path: Path) -> None:
    sim = clouds("slow")
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"compute": {"build_delay_s": 60}}})
    process = subprocess.Popen(
        [str(SCS), "health", "run", "-c", "slow", "--db", f"sqlite:///{tmp_path / 'h.db'}"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not httpx.get(f"{sim.url}/_sim/resources").json().get("server") and time.monotonic() < deadline:
        time.sleep(0.2)  # polling a process we cannot hook: wait until the server is being built
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert time.monotonic() - started < 20
    counts = httpx.get(f"{sim.url}/_sim/resources").json()
    assert counts["server"] == 0 and counts["floating_ip"] == 0 and counts["keypair"] == 0


def test_dashboard_summary_badge_and_metrics(simcloud_factory: Callable[..., SimCloud], tmp_path: Path) -> None:
    sim = simcloud_factory(profile="compliant", seed=5)
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"network": {"error_rate": 0.2}}})
    conn = openstack.connect(**sim.connect_kwargs(), connect_retries=0)
    store, metrics = HealthStore(f"sqlite:///{tmp_path / 'h.db'}"), HealthMetrics()
    scenario = Scenario(conn, "sim<&>", ScenarioOptions(vms=1), on_call=lambda c: metrics.call("sim<&>", c))
    for number in (1, 2):
        result = scenario.run(number)
        store.add(result)
        metrics.iteration(result)
    with BackgroundServer(create_health_app(store, metrics)) as server:
        page = httpx.get(f"{server.url}/clouds/sim%3C%26%3E")
        summary = httpx.get(f"{server.url}/clouds/sim%3C%26%3E/summary.json").json()
        badge = httpx.get(f"{server.url}/clouds/sim%3C%26%3E/badge.svg")
        index = httpx.get(f"{server.url}/")
        exposition = httpx.get(f"{server.url}/metrics").text
        missing = httpx.get(f"{server.url}/clouds/none/summary.json")
    assert page.status_code == 200 and "sim&lt;&amp;&gt;" in page.text and "sim<&>" not in page.text
    assert page.text.count('class="plot"') == len(summary["services"]) >= 3
    assert summary["iterations"] == 2 and summary["services"]["network"]["errors"] >= 1
    assert summary["services"]["compute"]["errors"] == 0
    assert badge.headers["content-type"] == "image/svg+xml" and "health" in badge.text
    assert "sim%3C%26%3E" in index.text
    assert "scs_health_api_request_duration_seconds_bucket" in exposition
    assert missing.status_code == 404


def _with_bad_password(sim: SimCloud, name: str) -> None:
    path = Path(os.environ["OS_CLIENT_CONFIG_FILE"])
    document = sim.clouds_yaml(name)
    entry = document["clouds"][name]
    entry["auth"] = {**entry["auth"], "password": "wrong"}
    write_clouds_yaml(path, {"clouds": {name: entry}})


def test_bad_login_is_a_failed_iteration_with_its_cause(clouds: Callable[..., SimCloud], tmp_path: Path) -> None:
    sim = clouds("ok")
    _with_bad_password(sim, "badpw")
    done = subprocess.run(
        [str(SCS), "health", "run", "-c", "badpw", "-n", "2", "--interval", "0", "--format", "json"],
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    summaries = json.loads(done.stdout)
    assert [s["iteration"] for s in summaries] == [1, 2]  # it keeps trying on schedule
    for summary in summaries:
        assert summary["failures"] == [
            f"login: cloud badpw: the identity service at {sim.url}/identity/v3 refused the credentials (HTTP 401)"
        ]
        assert summary["leftovers"] == []
    # the database went to the tool's state folder, not the current directory
    assert HealthStore(f"sqlite:///{tmp_path / 'state/scs-toolkit/health.db'}").clouds() == ["badpw"]


def test_serve_keeps_a_cloud_that_cannot_log_in_on_the_dashboard(
    clouds: Callable[..., SimCloud], tmp_path: Path
) -> None:
    from scs_toolkit.health import Alerter, CloudSchedule, HealthMonitor, connect

    sim = clouds("ok")
    _with_bad_password(sim, "badpw")
    store, metrics = HealthStore(f"sqlite:///{tmp_path / 'h.db'}"), HealthMetrics()
    alerter = Alerter(store)
    monitor = HealthMonitor(store, metrics, alerter, connector=connect)
    schedules = [CloudSchedule(c, ScenarioOptions(vms=0), interval_s=0, iterations=3) for c in ("badpw", "ok")]
    import threading

    results = monitor.run(schedules, threading.Event())
    assert sorted((r.cloud, r.ok) for r in results) == [("badpw", False)] * 3 + [("ok", True)] * 3
    with BackgroundServer(create_health_app(store, metrics)) as server:
        index = httpx.get(f"{server.url}/")
        summary = httpx.get(f"{server.url}/clouds/badpw/summary.json").json()
        exposition = httpx.get(f"{server.url}/metrics").text
    assert "badpw" in index.text and "ok" in index.text  # both rows stay
    assert summary["iterations"] == 3 and summary["failed_iterations"] == 3
    assert 'scs_health_iterations_total{cloud="badpw",result="failed"} 3.0' in exposition
    firing = [a for a in store.alerts("badpw") if a["firing"]]
    assert firing and "failed" in firing[0]["message"]


def test_an_api_failure_is_the_cause_not_a_missing_flavor(clouds: Callable[..., SimCloud], tmp_path: Path) -> None:
    sim = clouds("c")
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"compute": {"error_rate": 1.0}}})
    done = runner.invoke(app, ["health", "run", "-c", "c", "--db", f"sqlite:///{tmp_path / 'h.db'}", "-f", "json"])
    assert done.exit_code == 1
    [summary] = json.loads(done.stdout)
    [failure] = summary["failures"]
    assert failure.startswith("image-and-flavor: cannot list flavors: ") and "500" in failure, failure
    assert "fits" not in failure


def test_two_ctrl_c_quit_at_once_with_130(clouds: Callable[..., SimCloud], tmp_path: Path) -> None:
    sim = clouds("slow")
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"compute": {"build_delay_s": 60}}})
    process = subprocess.Popen(
        [str(SCS), "health", "run", "-c", "slow", "--db", f"sqlite:///{tmp_path / 'h.db'}"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not httpx.get(f"{sim.url}/_sim/resources").json().get("server") and time.monotonic() < deadline:
        time.sleep(0.2)  # polling a process we cannot hook: wait until the server is being built
    # make the tear-down hang, so that only the second Ctrl-C can end the run
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"compute": {"hang_rate": 1.0, "hang_s": 60}}})
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "quitting without clean-up" in err and "Traceback" not in err
