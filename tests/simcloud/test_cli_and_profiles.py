"""`scs simcloud` and unmodified python-openstackclient against it, profiles, state files, load."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from scs_toolkit import simcloud
from scs_toolkit.simcloud import SimCloud, SimCloudOptions

from .test_guests import ssh

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """`scs simcloud serve` as a user starts it, with HOME pointing at a scratch directory."""
    home = tmp_path_factory.mktemp("home")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    process = subprocess.Popen(
        [str(BIN / "scs"), "simcloud", "serve", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # blocks until the server listens: no polling
    url = first.split("listening on ")[1].strip()
    for _ in range(3):
        process.stdout.readline()
    yield {"url": url, "env": env, "home": home}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0


def openstack_cli(served: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "openstack"), "--os-cloud", "simcloud", *args],
        capture_output=True,
        text=True,
        env=served["env"],
        timeout=120,
        check=False,
    )  # type: ignore[arg-type]


def test_serve_writes_clouds_yaml(served: dict[str, object]) -> None:
    clouds = yaml.safe_load((Path(str(served["home"])) / ".config/openstack/clouds.yaml").read_text())
    assert clouds["clouds"]["simcloud"]["auth"]["auth_url"] == f"{served['url']}/identity/v3"
    assert set(clouds["clouds"]) == {"simcloud", "simcloud-user2", "simcloud-admin"}
    mode = (Path(str(served["home"])) / ".config/openstack/clouds.yaml").stat().st_mode & 0o777
    assert mode == 0o600


def test_openstack_cli_lists(served: dict[str, object]) -> None:
    flavors = json.loads(openstack_cli(served, "flavor", "list", "-f", "json").stdout)
    assert len(flavors) == 31 and "SCS-2V-4-20s" in {f["Name"] for f in flavors}
    images = json.loads(openstack_cli(served, "image", "list", "--long", "-f", "json").stdout)
    assert len(images) == 4
    shown = json.loads(openstack_cli(served, "image", "show", "Ubuntu 24.04", "-f", "json").stdout)
    assert shown["properties"]["os_distro"] == "ubuntu" and shown["properties"]["image_build_date"]
    types = json.loads(openstack_cli(served, "volume", "type", "list", "--long", "-f", "json").stdout)
    assert {t["Name"] for t in types} == {"__DEFAULT__", "LUKS", "replicated"}
    rules = json.loads(openstack_cli(served, "security", "group", "rule", "list", "-f", "json").stdout)
    assert {r["Direction"] for r in rules} == {"ingress", "egress"}
    missing = openstack_cli(served, "flavor", "show", "no-such-flavor")
    assert missing.returncode == 1 and "No Flavor found" in missing.stderr


def test_openstack_cli_server_with_floating_ip_and_ssh(served: dict[str, object], tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    steps = [
        ("network", "create", "cli-net"),
        ("subnet", "create", "cli-subnet", "--network", "cli-net", "--subnet-range", "10.4.0.0/24"),
        ("router", "create", "cli-router", "--external-gateway", "public"),
        ("router", "add", "subnet", "cli-router", "cli-subnet"),
        ("keypair", "create", "--public-key", f"{key}.pub", "cli-key"),
        (
            "server",
            "create",
            "--flavor",
            "SCS-2V-4-20s",
            "--image",
            "Ubuntu 24.04",
            "--network",
            "cli-net",
            "--key-name",
            "cli-key",
            "--wait",
            "cli-vm",
        ),
    ]
    for step in steps:
        done = openstack_cli(served, *step)
        assert done.returncode == 0, (step, done.stderr)
    address = openstack_cli(
        served, "floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address"
    ).stdout.strip()
    assert openstack_cli(served, "server", "add", "floating", "ip", "cli-vm", address).returncode == 0
    server = json.loads(openstack_cli(served, "server", "show", "cli-vm", "-f", "json").stdout)
    assert server["status"] == "ACTIVE" and address in json.dumps(server["addresses"])
    port = server["properties"].get("sim:ssh_port", "22") if isinstance(server["properties"], dict) else "22"
    result = ssh(key, address, port, "cat /proc/sys/kernel/random/entropy_avail")
    assert (result.returncode, result.stdout) == (0, "256\n")
    assert openstack_cli(served, "server", "delete", "--wait", "cli-vm").returncode == 0
    assert json.loads(openstack_cli(served, "server", "list", "-f", "json").stdout) == []


def test_clouds_yaml_command(served: dict[str, object], tmp_path: Path) -> None:
    target = tmp_path / "clouds.yaml"
    target.write_text(yaml.safe_dump({"clouds": {"production": {"auth": {"auth_url": "https://keystone.example"}}}}))
    done = subprocess.run(
        [str(BIN / "scs"), "simcloud", "clouds-yaml", "--name", "sim2", "-o", str(target)],
        capture_output=True,
        text=True,
        env=served["env"],
        timeout=60,
        check=False,
    )  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr
    clouds = yaml.safe_load(target.read_text())["clouds"]
    assert clouds["production"]["auth"]["auth_url"] == "https://keystone.example"  # other entries kept
    assert clouds["sim2"]["auth"]["auth_url"] == f"{served['url']}/identity/v3"


def test_serve_refuses_non_loopback_and_bad_profiles(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    for args, says in (
        (["--host", "0.0.0.0"], "only listens on loopback"),
        (["--profile", "nope"], "no such profile"),
        (["--error-rate", "3"], "between 0 and 1"),
    ):
        done = subprocess.run(
            [str(BIN / "scs"), "simcloud", "serve", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr)


def test_every_bundled_profile_loads_and_serves() -> None:
    names = simcloud.bundled_profiles()
    assert len([n for n in names if n != "compliant"]) >= 6
    for name in names:
        profile = simcloud.load_profile(name)
        assert profile["description"]
        if name not in ("compliant", "flaky"):
            assert profile["expected_failures"], name  # broken profiles document what must fail
        with SimCloud(SimCloudOptions(profile=name, seed=1, ssh=False)) as sim:
            reply = httpx.get(f"{sim.url}/_sim/health")
            assert reply.json()["profile"] == name


def test_profile_extends_and_relative_dates(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: compliant\ndescription: mine\nimages:\n  - {name: X, image_build_date: now-10d, provided_until: now+1m}\n"
    )
    profile = simcloud.load_profile(path, today=dt.date(2026, 3, 31))
    assert profile["images"] == [{"name": "X", "image_build_date": "2026-03-21", "provided_until": "2026-04-28"}]
    assert profile["flavors"]["standard"] == ["mandatory", "recommended"]  # inherited
    for text, says in (("extends: {loop}\n", "cycle"), ("- a\n", "mapping"), ("a: [\n", "not valid YAML")):
        bad = tmp_path / "loop.yaml"
        bad.write_text(text.replace("{loop}", str(bad)))
        with pytest.raises(simcloud.ProfileError, match=says):
            simcloud.load_profile(bad)


def test_state_file_survives_restarts(tmp_path: Path) -> None:
    import openstack

    state = tmp_path / "state.json"
    with SimCloud(SimCloudOptions(state_file=state, seed=4, ssh=False)) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        conn.network.create_network(name="persistent-net")
    with SimCloud(SimCloudOptions(state_file=state, seed=4, ssh=False)) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        assert conn.network.find_network("persistent-net") is not None
        assert "sim-user-secret" not in state.read_text()  # only password hashes are stored


def test_two_hundred_concurrent_clients(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=8, ssh=False)
    token, _ = simcloud.login(sim.url, sim.credentials())

    async def run() -> list[int]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            replies = await asyncio.gather(
                *(
                    client.get(f"{sim.url}/compute/v2.1/flavors/detail", headers={"X-Auth-Token": token})
                    for _ in range(200)
                )
            )
        return [r.status_code for r in replies]

    assert asyncio.run(run()) == [200] * 200
