"""`scs check` at its edges: any testcase by id, Ctrl-C before the probes begin, per-run resource names that
never collide, `scs check cleanup` for what killed runs left, and a progress bar that knows its total."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openstack
import pytest

from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

SCS = Path(sys.executable).parent / "scs"


@pytest.fixture
def cloud(tmp_path: Path, simcloud_factory: Callable[..., SimCloud]) -> Callable[..., tuple[SimCloud, dict[str, str]]]:
    clouds = tmp_path / "clouds.yaml"

    def start(profile: str = "compliant", name: str = "c") -> tuple[SimCloud, dict[str, str]]:
        sim = simcloud_factory(profile=profile, seed=21)
        write_clouds_yaml(clouds, sim.clouds_yaml(name))
        return sim, {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}

    return start


def scs(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCS), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def counts(sim: SimCloud) -> dict[str, int]:
    return dict(httpx.get(f"{sim.url}/_sim/resources").json())


def test_a_testcase_that_no_version_lists_runs_by_id_and_informs_only(
    cloud: Callable[..., tuple[SimCloud, dict[str, str]]],
) -> None:
    _, env = cloud("bad-image-metadata")
    done = scs(env, "check", "-c", "c", "--tests", "^scs-0101-image-property$", "--format", "json")
    document = json.loads(done.stdout)
    assert document["details"]["scs-0101-image-property"]["result"] == "FAIL"
    assert all(v["result"] == "PASS" for v in document["verdicts"].values())  # it judges no version
    assert done.returncode == 0, done.stderr
    table = scs(env, "check", "-c", "c", "--tests", "^scs-0101-image-property$")
    assert "informs only" in table.stdout and "Rocky 9" in table.stdout


def test_ctrl_c_while_collecting_starts_no_testcase(cloud: Callable[..., tuple[SimCloud, dict[str, str]]]) -> None:
    from scs_toolkit.checks import all_checks
    from scs_toolkit.collect._cleanup import owned_by_prefix

    sim, env = cloud()
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"image": {"latency_ms": 4000}}})
    process = subprocess.Popen(
        [str(SCS), "check", "--cloud", "c", "--format", "json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(r["service"] == "image" for r in httpx.get(f"{sim.url}/_sim/stats").json()["requests"]):
        assert time.monotonic() < deadline and process.poll() is None, "collection never reached the image service"
        time.sleep(0.05)  # a process we cannot hook: watch the cloud until the collection is under way
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    document = json.loads(out)
    assert document["run"]["tool"]["interrupted"] is True
    # the probes began right after the login (what they read of the snapshot comes when it comes): each
    # finished, or stopped, and cleaned up; every snapshot testcase waited for the collection and never began
    checks = all_checks()
    early = {tc for tc in document["details"] if checks[tc].active}
    later = {tc: d for tc, d in document["details"].items() if tc not in early}
    assert early and later
    assert {d["result"] for d in later.values()} == {"MISSING"}
    assert all(d["reason"] == "not run: the run was interrupted" for d in later.values())
    for tc in early:
        detail = document["details"][tc]
        assert detail["result"] == "PASS" or "interrupted" in detail["reason"], detail
    # the VM probe never booted: it was still waiting for the images when Ctrl-C came
    booted = [r for r in httpx.get(f"{sim.url}/_sim/stats").json()["requests"] if r["status"] == 202]
    assert not [r for r in booted if r["service"] == "compute"]
    conn = openstack.connect(**sim.connect_kwargs())
    owned, failed = owned_by_prefix(conn, document["run"]["tool"]["resource_prefix"])
    assert not failed and not any(owned.values()), owned  # nothing left


def test_leftovers_of_killed_runs_block_nothing_and_cleanup_removes_them(
    cloud: Callable[..., tuple[SimCloud, dict[str, str]]],
) -> None:
    import asyncssh

    sim, env = cloud()
    conn = openstack.connect(**sim.connect_kwargs())
    public = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    for name in ("scs-test-0101-key", "scs-test-dead01-0101-key", "customer-key"):  # an old fixed name, a killed run
        conn.compute.create_keypair(name=name, public_key=public)
    conn.network.create_network(name="scs-test-dead01-0101-net")
    done = scs(env, "check", "-c", "c", "--tests", "scs-0101-(entropy|fips)", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    prefix = document["run"]["tool"]["resource_prefix"]
    assert re.fullmatch(r"scs-test-[0-9a-f]{6}-", prefix) and document["run"]["uuid"].startswith(prefix[9:15])
    dry = scs(env, "check", "cleanup", "-c", "c", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert sorted(r["name"] for r in json.loads(dry.stdout)) == [
        "scs-test-0101-key",
        "scs-test-dead01-0101-key",
        "scs-test-dead01-0101-net",
    ]
    one_run = scs(env, "check", "cleanup", "-c", "c", "--prefix", "scs-test-dead01-", "--format", "json")
    assert one_run.returncode == 0, one_run.stderr
    assert {r["name"] for r in json.loads(one_run.stdout)} == {"scs-test-dead01-0101-key", "scs-test-dead01-0101-net"}
    assert sorted(k.name for k in conn.compute.keypairs()) == ["customer-key", "scs-test-0101-key"]
    rest = scs(env, "check", "cleanup", "-c", "c")
    assert rest.returncode == 0 and "scs-test-0101-key" in rest.stdout
    assert [k.name for k in conn.compute.keypairs()] == ["customer-key"]
    refused = scs(env, "check", "cleanup", "-c", "c", "--prefix", "customer")
    assert refused.returncode == 2 and "must start with 'scs-test-'" in refused.stderr


def test_two_checks_of_one_project_at_once_do_not_collide(
    cloud: Callable[..., tuple[SimCloud, dict[str, str]]],
) -> None:
    sim, env = cloud()
    baseline = counts(sim)
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(lambda _: scs(env, "check", "-c", "c", "--tests", "scs-01(01-entropy|17)", "-f", "json"), range(2))
        )
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert all(d["result"] == "PASS" for d in json.loads(done.stdout)["details"].values())
    prefixes = {json.loads(done.stdout)["run"]["tool"]["resource_prefix"] for done in runs}
    assert len(prefixes) == 2
    after = counts(sim)
    for kind in ("server", "volume", "backup", "keypair", "floating_ip", "router", "network"):
        assert after[kind] == baseline[kind], kind  # both cleaned up after themselves
    left = scs(env, "check", "cleanup", "-c", "c", "--dry-run", "-f", "json")
    assert json.loads(left.stdout) == []


def test_progress_on_a_terminal_knows_the_total(cloud: Callable[..., tuple[SimCloud, dict[str, str]]]) -> None:
    _, env = cloud()
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(SCS), "check", "-c", "c", "--tests", "scs-0101-(entropy|fips)|scs-0100"],
        env={**env, "COLUMNS": "120", "TERM": "xterm"},
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    process.wait(60)
    os.close(primary)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))  # without colours and cursor moves
    assert process.returncode == 0, text[-2000:]
    assert re.search(r"\b[0-4]/4\b", text), text[-2000:]  # 4 testcases: the bar counts up to a known total
    assert "/?" not in text


def test_a_failed_version_discovery_is_retried(simcloud_factory: Callable[..., SimCloud]) -> None:
    """A 429 answering the image service's version document is openstacksdk's "does not have any supported
    versions": transient, like any 429, so the part is retried instead of aborting every image testcase."""
    import threading

    from scs_toolkit.collect import collect_iaas

    sim = simcloud_factory(profile="compliant", seed=22)
    conn = openstack.connect(**sim.connect_kwargs())
    conn.session.get_token()
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"image": {"rate_limit_rate": 1.0, "retry_after_s": 0}}})
    snapshots = []
    collecting = threading.Thread(target=lambda: snapshots.append(collect_iaas(conn, {"images"})))
    collecting.start()
    deadline = time.monotonic() + 30
    while not any(r["status"] == 429 for r in httpx.get(f"{sim.url}/_sim/stats").json()["requests"]):
        assert time.monotonic() < deadline, "the image service was never asked"
        time.sleep(0.02)
    httpx.delete(f"{sim.url}/_sim/faults")  # the cloud recovers while the collector waits to retry
    collecting.join(60)
    [snapshot] = snapshots
    assert dict(snapshot.errors) == {}
    assert snapshot.images


def test_ctrl_c_while_loading_ends_quietly_with_130(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(SCS), "check", "-c", "nowhere"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(0.15)  # the command is still importing its libraries
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err


def test_probes_start_before_the_snapshot_and_every_part_is_fetched_once(
    simcloud_factory: Callable[..., SimCloud],
) -> None:
    """The login comes first; then every part loads on its own while the probes run (a probe waits only for
    the parts it reads, when it reads them); the result equals one whole collection's."""
    from scs_toolkit import standards
    from scs_toolkit.checks import Probe, all_checks
    from scs_toolkit.collect import collect_iaas
    from scs_toolkit.runner import run_scope

    sim = simcloud_factory(profile="compliant", seed=22)
    conn = openstack.connect(**sim.connect_kwargs())
    asked: list[set[str]] = []

    def collect(parts: set[str]) -> object:
        asked.append(set(parts))
        return collect_iaas(conn, parts)

    scope = standards.load_scope("scs-compatible-iaas")
    result = run_scope(scope, "c", collect, probe=Probe(conn), version="v5.1")  # type: ignore[arg-type]
    checks = all_checks()
    selected = [*result.results, *result.extras]
    needed = set().union(*(checks[tc].needs for tc in selected if tc in checks))
    assert asked[0] == set()  # the login, before any probe starts
    assert sorted(map(sorted, asked[1:])) == sorted([part] for part in needed)  # every part once, on its own
    assert [v.verdict.value for v in result.verdicts] == ["PASS"]
    assert not result.snapshot_errors
