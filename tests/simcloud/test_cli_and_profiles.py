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


def start_serve(env: dict[str, str], *args: str, cwd: Path | None = None) -> tuple[subprocess.Popen[str], list[str]]:
    """`scs simcloud serve` in the background; returns it and what it printed up to its `faults:` line."""
    process = subprocess.Popen(
        [str(BIN / "scs"), "simcloud", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # blocks until each line is printed: no polling
        lines.append(line.rstrip("\n"))
        if line.startswith("faults:"):
            break
    return process, lines


def stop_serve(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """`scs simcloud serve` as a user starts it, with HOME and XDG_STATE_HOME in scratch directories."""
    home = tmp_path_factory.mktemp("home")
    state = tmp_path_factory.mktemp("state")
    env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(state), "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("OS_CLIENT_CONFIG_FILE", None)
    process, lines = start_serve(env, "--seed", "3")
    url = lines[0].split("listening on ")[1].strip()
    exported = next(line for line in lines if line.startswith("export OS_CLIENT_CONFIG_FILE="))
    clouds_file = exported.split("=", 1)[1]
    yield {
        "url": url,
        "env": {**env, "OS_CLIENT_CONFIG_FILE": clouds_file},
        "home": home,
        "state": state,
        "lines": lines,
        "clouds_file": Path(clouds_file),
    }
    stop_serve(process)


def openstack_cli(served: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "openstack"), "--os-cloud", "simcloud", *args],
        capture_output=True,
        text=True,
        env=served["env"],
        timeout=120,
        check=False,
    )  # type: ignore[arg-type]


def test_serve_writes_clouds_yaml_into_its_state_folder(served: dict[str, object]) -> None:
    clouds_file = Path(str(served["clouds_file"]))
    assert clouds_file == Path(str(served["state"])) / "scs-toolkit" / "simcloud" / "clouds.yaml"
    clouds = yaml.safe_load(clouds_file.read_text())
    assert clouds["clouds"]["simcloud"]["auth"]["auth_url"] == f"{served['url']}/identity/v3"
    assert set(clouds["clouds"]) == {"simcloud", "simcloud-user2", "simcloud-admin"}
    assert clouds_file.stat().st_mode & 0o777 == 0o600
    assert any(line.startswith("try: openstack --os-cloud simcloud ") for line in served["lines"])  # type: ignore[attr-defined]
    assert not (Path(str(served["home"])) / ".config").exists()  # the user's clouds.yaml is not touched


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


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_serve_writes_nothing_outside_its_state_folder(tmp_path: Path) -> None:
    """HOME, the config folder and the working directory stay as they were; the state folder is cleaned up."""
    home, state, work = tmp_path / "home", tmp_path / "state", tmp_path / "work"
    for folder in (home, state, work):
        folder.mkdir()
    (home / ".config" / "openstack").mkdir(parents=True)
    user_clouds = home / ".config" / "openstack" / "clouds.yaml"
    user_clouds.write_text("clouds: {production: {auth: {auth_url: https://keystone.example}}}\n")
    before = {"home": files_under(home), "work": files_under(work), "content": user_clouds.read_text()}
    env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(home / ".config")}
    process, printed = start_serve(env, "--seed", "9", cwd=work)
    assert (state / "scs-toolkit" / "simcloud" / "clouds.yaml").stat().st_mode & 0o777 == 0o600
    stop_serve(process)
    assert files_under(home) == before["home"] and user_clouds.read_text() == before["content"]
    assert files_under(work) == before["work"]
    assert files_under(state) <= {"scs-toolkit", "scs-toolkit/simcloud"}  # its runtime files are gone again
    assert any(f"OS_CLIENT_CONFIG_FILE={state}/scs-toolkit/simcloud/clouds.yaml" in line for line in printed)


def test_serve_merges_into_a_clouds_yaml_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "mine" / "clouds.yaml"
    target.parent.mkdir()
    target.write_text("clouds: {production: {auth: {auth_url: https://keystone.example}}}\n")
    target.chmod(0o644)
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state")}
    process, lines = start_serve(env, "--seed", "10", "--clouds-yaml", str(target), "--cloud-name", "sim9")
    try:
        clouds = yaml.safe_load(target.read_text())["clouds"]
        assert clouds["production"]["auth"]["auth_url"] == "https://keystone.example"  # other entries kept
        assert set(clouds) == {"production", "sim9", "sim9-user2", "sim9-admin"}
        assert target.stat().st_mode & 0o777 == 0o600  # it holds passwords now
        hint = next(line for line in lines if "remove them with" in line)
        assert f"scs simcloud clouds-yaml --remove --name sim9 -o {target}" in hint
    finally:
        stop_serve(process)
    removed = subprocess.run(
        [str(BIN / "scs"), "simcloud", "clouds-yaml", "--remove", "--name", "sim9", "-o", str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert removed.returncode == 0, removed.stderr
    assert set(yaml.safe_load(target.read_text())["clouds"]) == {"production"}


def test_serve_refuses_an_unusable_clouds_yaml(tmp_path: Path) -> None:
    broken = tmp_path / "clouds.yaml"
    broken.write_text("- just\n- a list\n")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [str(BIN / "scs"), "simcloud", "serve", "--clouds-yaml", str(broken)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "not a clouds.yaml mapping" in done.stderr
    assert broken.read_text() == "- just\n- a list\n"  # nothing lost


def test_serve_refuses_non_loopback_and_bad_profiles(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
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


def test_profiles_say_which_versions_judge_each_expected_failure(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}

    def listing(output: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "scs"), "simcloud", "profiles", "--format", output],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    as_json = listing("json")
    assert as_json.returncode == 0, as_json.stderr
    profiles = {p["name"]: p for p in json.loads(as_json.stdout)}
    assert yaml.safe_load(listing("yaml").stdout) == list(profiles.values())
    weak = {f["testcase"]: f for f in profiles["weak-entropy"]["expected_failures"]}
    entropy = {(j["version"], j["as"]) for j in weak["scs-0101-entropy-avail"]["judged_by"]}
    assert {("v5.1", "required"), ("next", "required")} <= entropy
    assert all(j["scope"] == "scs-compatible-iaas" for j in weak["scs-0101-entropy-avail"]["judged_by"])
    assert "run_with" not in weak["scs-0101-entropy-avail"]
    for profile, testcase in (
        ("weak-entropy", "scs-0101-rngd"),
        ("bad-image-metadata", "scs-0101-image-property"),
        ("broken-storage", "scs-0114-replicated-type"),
    ):
        failure = next(f for f in profiles[profile]["expected_failures"] if f["testcase"] == testcase)
        assert failure["judged_by"] == [] and failure["run_with"] == f"scs check --tests {testcase}"
    assert profiles["compliant"]["expected_failures"] == []
    table = listing("table")
    assert table.returncode == 0 and "in no version: run with `scs check --tests scs-0101-rngd`" in " ".join(
        table.stdout.split()
    )


def test_state_files_of_another_layout_are_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 1, "tables": {"server": {}}}))
    with pytest.raises(simcloud.StateError, match="delete the file"):
        SimCloud(SimCloudOptions(state_file=old, ssh=False))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    for content in (json.dumps({"version": 1, "tables": {}}), "{not json"):
        old.write_text(content)
        done = subprocess.run(
            [str(BIN / "scs"), "simcloud", "serve", "--state", str(old)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2 and str(old) in done.stderr, done.stderr
        assert old.read_text() == content  # the file is left as it was
