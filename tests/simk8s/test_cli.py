"""`scs simk8s serve` and `profiles` as a user runs them, with kubectl against the served cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

BIN = Path(sys.executable).parent


def scs(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "scs"), *args], capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state"), "KUBECACHEDIR": str(home / "cache")}


@pytest.fixture(scope="module")
def served(env: dict[str, str], home: Path) -> Iterator[dict[str, str]]:
    kubeconfig = home / "simk8s.yaml"
    process = subprocess.Popen(
        [str(BIN / "scs"), "simk8s", "serve", "--profile", "outdated", "--kubeconfig", str(kubeconfig), "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # printed once the server listens: no polling
    assert "listening on https://127.0.0.1:" in first, first + (process.stderr.read() if process.poll() else "")
    url = first.split("listening on ")[1].strip()
    lines = [process.stdout.readline() for _ in range(3)]
    yield {"url": url, "kubeconfig": str(kubeconfig), "output": first + "".join(lines)}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def test_serve_writes_the_kubeconfig_where_asked_and_nowhere_else(served: dict[str, str], home: Path) -> None:
    document = yaml.safe_load(Path(served["kubeconfig"]).read_text())
    assert document["current-context"] == "simk8s-outdated"
    assert {c["name"] for c in document["contexts"]} == {"simk8s-outdated", "simk8s-outdated-viewer"}
    cluster = document["clusters"][0]["cluster"]
    assert cluster["server"] == served["url"] and cluster["certificate-authority-data"]
    assert all(u["user"]["token"] for u in document["users"])
    assert Path(served["kubeconfig"]).stat().st_mode & 0o777 == 0o600
    assert not (home / ".kube" / "config").exists()
    assert "v1.34.6" in served["output"] and f"KUBECONFIG={served['kubeconfig']} kubectl get nodes" in served["output"]


def test_kubectl_reaches_the_served_cluster(served: dict[str, str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(BIN / "kubectl"), "version", "-o", "json"],
        capture_output=True,
        text=True,
        env={**env, "KUBECONFIG": served["kubeconfig"]},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["serverVersion"]["gitVersion"] == "v1.34.6"


def test_serve_merges_into_an_existing_kubeconfig(env: dict[str, str], home: Path, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    other = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "prod", "cluster": {"server": "https://prod"}}],
        "users": [{"name": "me", "user": {"token": "x"}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "me"}}],
        "current-context": "prod",
    }
    kubeconfig.write_text(yaml.safe_dump(other))
    process = subprocess.Popen(
        [str(BIN / "scs"), "simk8s", "serve", "--kubeconfig", str(kubeconfig), "--user", "viewer"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert "listening on" in process.stdout.readline()
    process.stdout.readline()
    merged = yaml.safe_load(kubeconfig.read_text())
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert {c["name"] for c in merged["contexts"]} == {"prod", "simk8s-compliant", "simk8s-compliant-admin"}
    assert merged["current-context"] == "simk8s-compliant"
    viewer = next(c for c in merged["contexts"] if c["name"] == "simk8s-compliant")
    assert viewer["context"]["user"] == "simk8s-compliant-viewer"


def test_profiles_lists_names_descriptions_and_expected_failures(env: dict[str, str]) -> None:
    result = scs("simk8s", "profiles", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(records) >= {
        "compliant",
        "outdated",
        "stale-patch",
        "no-default-storage-class",
        "single-zone",
        "missing-network-policies",
        "flaky",
        "management",
    }
    assert records["compliant"]["expected_failures"] == []
    assert records["outdated"]["expected_failures"] == ["version-policy-check"]
    assert records["single-zone"]["expected_failures"] == ["node-distribution-check"]
    assert all(r["description"] for r in records.values())
    table = scs("simk8s", "profiles", env=env)
    assert table.returncode == 0 and "stale-patch" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "no-such-profile"], "no such profile"),
        (["--host", "0.0.0.0"], "only listens on loopback"),
        (["--error-rate", "3"], "between 0 and 1"),
        (["--user", "root"], "has no user 'root'"),
    ],
)
def test_serve_refuses_bad_options_with_exit_2(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    result = scs("simk8s", "serve", "--kubeconfig", str(tmp_path / "k"), *args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "k").exists()
