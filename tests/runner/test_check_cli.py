"""`scs check` end to end against simulated clouds: verdicts, exit codes, report formats."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

runner = CliRunner()


@pytest.fixture
def clouds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simcloud_factory: Callable[..., SimCloud]
) -> Iterator[Callable[..., str]]:
    """Start simulated clouds and register them in a private clouds.yaml; returns a starter."""
    path = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))

    def start(name: str, profile: str) -> str:
        sim = simcloud_factory(profile=profile, seed=4)
        write_clouds_yaml(path, sim.clouds_yaml(name))
        return name

    yield start


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_broken_cloud_fails_with_reasons_and_exit_1(clouds: Callable[..., str]) -> None:
    cloud = clouds("broken", "overstated-flavors")
    code, out, _ = run("--cloud", cloud, "--tests", "scs-010[03]")
    assert code == 1
    assert "SCS-4V-16: ram_mib differs (expected 16384, found 12288)" in out
    assert "version v5.1 (effective): FAIL" in out


def test_json_report_in_scs_format(clouds: Callable[..., str], tmp_path: Path) -> None:
    cloud = clouds("good", "compliant")
    report = tmp_path / "report.yaml"
    code, out, _ = run("--cloud", cloud, "--tests", "scs-0100|scs-0123-service", "--format", "json", "-o", str(report))
    assert code == 0
    document = json.loads(out)
    assert document["spec"]["uuid"] == "50393e6f-2ae1-4c5c-a62c-3b75f2abef3f"
    assert document["subject"] == "good"
    [invocation] = document["run"]["invocations"].values()
    assert invocation["results"]["scs-0100-syntax-check"] == 1
    assert set(document["verdicts"]) == {"next", "v5.1"}
    assert document["run"]["tool"]["api_calls"] > 0
    text = report.read_text()
    assert text.startswith("---\n")
    assert yaml.safe_load(text)["run"]["uuid"] == document["run"]["uuid"]


def test_compliant_cloud_passes_every_version_and_exits_0(clouds: Callable[..., str]) -> None:
    cloud = clouds("good", "compliant")
    code, out, _ = run("--cloud", cloud, "--format", "yaml")
    document = yaml.safe_load(out)
    assert code == 0
    assert {v: d["result"] for v, d in document["verdicts"].items()} == {"next": "PASS", "v5.1": "PASS"}
    assert document["details"]["scs-0101-entropy-avail"]["result"] == "PASS"  # the VM probe ran over SSH
    assert all(d["result"] == "PASS" for d in document["details"].values())


def test_junit_and_several_clouds_in_parallel(clouds: Callable[..., str]) -> None:
    first, second = clouds("one", "compliant"), clouds("two", "missing-flavors")
    code, out, _ = run("--cloud", first, "--cloud", second, "--tests", "scs-0103-flavor-2v-8$", "--format", "junit")
    assert code == 1
    suites = ElementTree.fromstring(out)
    failures = {s.get("name"): s.get("failures") for s in suites}
    assert failures == {"SCS-compatible IaaS: one": "0", "SCS-compatible IaaS: two": "1"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--cloud", "nowhere"], "no cloud named 'nowhere'"),
        (["--cloud", "x", "--version", "v9"], "no version 'v9'"),
        (["--cloud", "x", "--tests", "("], "not a regular expression"),
        (["--cloud", "x", "--tests", "nothing-matches"], "select no testcase"),
        (["--cloud", "x", "--date", "tomorrow"], "YYYY-MM-DD"),
        (["--cloud", "x", "--scope", "nope"], "no such scope"),
    ],
)
def test_usage_errors_exit_2(clouds: Callable[..., str], args: list[str], says: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert says in err


def test_check_signs_the_saved_report(clouds: Callable[..., str], tmp_path: Path) -> None:
    import subprocess

    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    cloud = clouds("good", "compliant")
    report = tmp_path / "report.yaml"
    code, _, err = run("--cloud", cloud, "--tests", "scs-0123", "-o", str(report), "--sign", str(key))
    assert code == 0, err
    verified = runner.invoke(app, ["report", "verify", str(report), "--public-key", f"{key}.pub"])
    assert verified.exit_code == 0
    code, _, err = run("--cloud", cloud, "--sign", str(key))
    assert code == 2 and "need -o REPORT" in err
    code, _, err = run("--cloud", cloud, "-o", str(report), "--upload", "http://127.0.0.1:9/reports")
    assert code == 2 and "needs --sign" in err


def test_ctrl_c_stops_promptly_and_leaves_nothing(tmp_path: Path) -> None:
    """SIGINT while the VM probe waits for a slow boot: exit 130, every probe resource removed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx

    from scs_toolkit.simcloud import SimCloud, SimCloudOptions

    with SimCloud(SimCloudOptions(profile="compliant", seed=10)) as sim:
        # only servers boot slowly: a volume that is still being created must be waited for before deletion
        httpx.patch(f"{sim.url}/_sim/faults", json={"services": {"compute": {"build_delay_s": 120}}})
        clouds_file = tmp_path / "clouds.yaml"
        write_clouds_yaml(clouds_file, sim.clouds_yaml("slow"))
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds_file)}
        scs = Path(sys.executable).parent / "scs"
        process = subprocess.Popen(
            [str(scs), "check", "--cloud", "slow"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while httpx.get(f"{sim.url}/_sim/resources").json()["server"] == 0:  # the probe's VM is building
            assert time.monotonic() < deadline, "the VM probe never started"
            time.sleep(0.2)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=90)
        assert process.returncode == 130, err
        assert time.monotonic() - interrupted < 60  # did not wait for the 120 s boot
        assert "the running probes remove what they created" in err
        left = httpx.get(f"{sim.url}/_sim/resources").json()
        assert {k: left[k] for k in ("server", "floating_ip", "router", "keypair", "volume", "backup", "secret")} == {
            "server": 0,
            "floating_ip": 0,
            "router": 0,
            "keypair": 0,
            "volume": 0,
            "backup": 0,
            "secret": 0,
        }
