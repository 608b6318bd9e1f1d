"""The active probes where a real cloud makes them work for their verdict: a backup service that is missing (so
that its backups cannot be deleted), a hypervisor without console logs, a broken domain-manager policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import openstack
import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.checks import Probe, Status, evaluate
from scs_toolkit.cli import app
from scs_toolkit.collect import collect_iaas
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

from ..iam.test_domain_manager import config as domain_manager_config

runner = CliRunner()


def variant(tmp_path: Path, name: str, **changes: object) -> Path:
    """A profile file that extends `compliant` by `changes`."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"extends": "compliant", "description": name, **changes}))
    return path


def test_backups_without_a_backup_service_fail_and_name_what_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simcloud_factory: Callable[..., SimCloud]
) -> None:
    sim = simcloud_factory(profile=variant(tmp_path, "no-backup-service", volume={"backup_service": False}), seed=31)
    conn = openstack.connect(**sim.connect_kwargs())
    probe = Probe(conn)
    outcome = evaluate(collect_iaas(conn, {"catalog"}), ["scs-0117-test-backup"], probe)["scs-0117-test-backup"]
    assert outcome.status is Status.FAIL
    assert "backup went to status error" in outcome.findings[0].message
    [leftover] = outcome.leftovers  # the 404 on delete is about the service, not the backup: it stays
    assert leftover.startswith(f"backup {probe.prefix}0117-volume-backup (")
    assert "status error: cannot delete: Service cinder-backup could not be found." in leftover
    volumes = [v for v in conn.block_storage.volumes() if v.name.startswith(probe.prefix)]
    assert volumes == []  # the volumes went nevertheless
    clouds = tmp_path / "clouds.yaml"
    write_clouds_yaml(clouds, sim.clouds_yaml("c"))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    cleanup = runner.invoke(app, ["check", "cleanup", "-c", "c", "--format", "json"])
    assert cleanup.exit_code == 1  # it cannot be removed either, and says so
    [row] = json.loads(cleanup.stdout)
    assert row["kind"] == "backup" and "cinder-backup" in row["problem"]


def test_without_a_console_log_the_vm_probe_asks_over_ssh(
    tmp_path: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    sim = simcloud_factory(profile=variant(tmp_path, "no-console", guest={"console_log": False}), seed=32)
    conn = openstack.connect(**sim.connect_kwargs())
    ids = ["scs-0101-entropy-avail", "scs-0101-fips-test"]
    results = evaluate(collect_iaas(conn, {"images", "flavors"}), ids, Probe(conn))
    assert {tc: r.status for tc, r in results.items()} == dict.fromkeys(ids, Status.PASS)
    assert "read from the ssh" in results["scs-0101-entropy-avail"].reason
    assert not any(r.leftovers for r in results.values())
    counts = httpx.get(f"{sim.url}/_sim/resources").json()
    assert counts["server"] == counts["floating_ip"] == 0


def test_with_a_console_log_no_floating_ip_is_needed(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=33)
    conn = openstack.connect(**sim.connect_kwargs())
    results = evaluate(collect_iaas(conn, {"images", "flavors"}), ["scs-0101-entropy-avail"], Probe(conn))
    assert results["scs-0101-entropy-avail"].status is Status.PASS
    assert "read from the console" in results["scs-0101-entropy-avail"].reason
    floating_ip_posts = [
        r
        for r in httpx.get(f"{sim.url}/_sim/stats").json()["requests"]
        if r["service"] == "network" and r["method"] == "POST"
    ]
    assert floating_ip_posts  # network, subnet, router, security group, rule...
    # ...but never a floating IP: the tester needs no way into the cloud
    assert httpx.get(f"{sim.url}/_sim/resources").json()["floating_ip"] == 0


def test_a_broken_domain_manager_policy_fails_and_leaves_no_intruder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simcloud_factory: Callable[..., SimCloud]
) -> None:
    profile = variant(tmp_path, "broken-dm", identity={"domain_manager_scope": "any"})
    sim = simcloud_factory(profile=profile, seed=34, ssh=False)
    clouds = tmp_path / "clouds.yaml"
    write_clouds_yaml(clouds, sim.clouds_yaml("sim"))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    before = {k: sim.cloud.store.count(k) for k in ("user", "project", "group", "role_assignment")}
    result = runner.invoke(
        app,
        ["iam", "domain-manager", "-c", "sim", "--config", str(domain_manager_config(tmp_path)), "--format", "json"],
    )
    assert result.exit_code == 1, result.stdout + result.stderr
    record = json.loads(result.stdout)
    messages = {f["message"] for f in record["findings"]}
    assert {"could create a user in another domain", "could create a project in another domain"} <= messages
    assert record["left_behind"] == []
    names = {u["name"] for u in sim.cloud.store.all("user")} | {p["name"] for p in sim.cloud.store.all("project")}
    assert not {n for n in names if n.startswith("scs-test-dm-")}  # the intruders were removed
    assert {k: sim.cloud.store.count(k) for k in before} == before
