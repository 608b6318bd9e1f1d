"""`scs cluster create|delete` with the official clusters file: static, kind (without docker: a clear
error), clusterapi end to end against the simulated management cluster; bad input loses nothing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.collect import KubeSpec, collect_kaas, connect_kube
from scs_toolkit.simk8s import SimK8s

runner = CliRunner()
TEMPLATE = """\
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: {{ name }}
spec:
  topology:
    classRef: {name: {{ cs_class_name }}}
    version: {{ kubernetes_version }}
    controlPlane: {replicas: {{ num_control_nodes }}}
"""


def scs(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The official layout: ~/.config/scs/clusters.yaml in a private HOME (never the user's)."""
    home = tmp_path / "home"
    folder = home / ".config" / "scs"
    folder.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("SCS_CLUSTERS_FILE", raising=False)
    return folder


def clusters(folder: Path, entries: dict[str, object]) -> Path:
    path = folder / "clusters.yaml"
    path.write_text(yaml.safe_dump({"clusters": entries}))
    return path


def test_static_copies_the_kubeconfig_privately_and_delete_removes_only_the_copy(
    config_dir: Path, simk8s: SimK8s, tmp_path: Path
) -> None:
    simk8s.kubeconfig(config_dir / "existing.yaml")
    clusters(config_dir, {"acme-1.37": {"kind": "static", "config": {"kubeconfig": "existing.yaml"}}})
    code, out, err = scs("cluster", "create", "acme-1.37", "--format", "json")
    assert code == 0, err
    kubeconfig = Path(json.loads(out)["kubeconfig"])
    assert kubeconfig == tmp_path / "state" / "scs-toolkit" / "clusters" / "acme-1.37" / "kubeconfig.yaml"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert connect_kube(KubeSpec(str(kubeconfig))).context == simk8s.name
    assert scs("cluster", "delete", "acme-1.37")[0] == 0
    assert not kubeconfig.exists() and (config_dir / "existing.yaml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no clusters file at"),
        ("clusters: [a]\n", "expected a mapping with a mapping `clusters"),
        ("clusters: {x: {config: {}}}\n", "clusters.x: needs `kind`"),
        ("clusters: {x: {kind: static, extra: 1}}\n", "unknown key(s) extra"),
        ("clusters: {x: {kind: gardener}}\n", "unknown kind 'gardener' (plugins: clusterapi, kind, static)"),
        ("clusters: {x: {kind: static}}\n", "config.kubeconfig is required"),
        ("clusters: {y: {kind: static}}\n", "no cluster 'x' (clusters: y)"),
        ("clusters: {x: [\n", "not valid YAML"),
    ],
)
def test_bad_clusters_files_are_usage_errors(config_dir: Path, content: str | None, message: str) -> None:
    if content is not None:
        (config_dir / "clusters.yaml").write_text(content)
    code, _, err = scs("cluster", "create", "x")
    assert code == 2 and message in err.replace("\n", " "), err


def test_static_with_a_missing_kubeconfig_fails_clearly(config_dir: Path) -> None:
    clusters(config_dir, {"x": {"kind": "static", "config": {"kubeconfig": "nope.yaml"}}})
    code, _, err = scs("cluster", "create", "x")
    assert code == 1 and "cannot read the kubeconfig" in err and "nope.yaml" in err


def test_kind_without_docker_says_what_to_install(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    clusters(config_dir, {"kind-1.37": {"kind": "kind", "config": {"image": "kindest/node:v1.37.3"}}})
    code, _, err = scs("cluster", "create", "kind-1.37")
    assert code == 1 and "needs kind and docker" in err and "kind.sigs.k8s.io" in err


def test_kind_drives_kind_as_documented(config_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With stand-ins for docker and kind (which cannot run here): the commands the plugin gives them."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "calls"
    for name in ("kind", "docker"):
        script = folder / name
        script.write_text(
            f'#!/bin/sh\necho "{name} $*" >> {log}\n'
            'for a in "$@"; do if [ "$prev" = "--kubeconfig" ]; then echo "apiVersion: v1" > "$a"; fi; prev="$a"; done\n'
        )
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin:/bin")
    (config_dir / "kind-config.yaml").write_text("kind: Cluster\n")
    clusters(
        config_dir,
        {"kind-1.37": {"kind": "kind", "config": {"image": "kindest/node:v1.37.3", "cluster": "kind-config.yaml"}}},
    )
    assert scs("cluster", "create", "kind-1.37")[0] == 0
    assert scs("cluster", "delete", "kind-1.37")[0] == 0
    calls = log.read_text().splitlines()
    assert calls[0].startswith("docker info")
    assert calls[1].startswith("kind create cluster --name kind-1.37 --image kindest/node:v1.37.3 --kubeconfig ")
    assert calls[1].endswith(f"--wait 300s --config {config_dir / 'kind-config.yaml'}")
    assert calls[3].startswith("kind delete cluster --name kind-1.37 --kubeconfig ")


@pytest.fixture
def management(simk8s_factory: object, config_dir: Path) -> SimK8s:
    sim: SimK8s = simk8s_factory(profile="management", seed=31)  # type: ignore[operator]
    sim.kubeconfig(config_dir / "management.yaml")
    (config_dir / "cluster.yaml.j2").write_text(TEMPLATE)
    return sim


def capi(**extra: object) -> dict[str, object]:
    return {
        "kind": "clusterapi",
        "config": {
            "name": "scs-1-37",
            "namespace": "org-scs",
            "kubernetesVersion": "1.37",
            "autoVars": "clusterstacks",
            "templates": {"cluster": "cluster.yaml.j2", "kubeconfig": "management.yaml"},
            "vars": {"num_control_nodes": 3},
            **extra,
        },
    }


def test_clusterapi_creates_a_workload_cluster_and_deletes_it(
    management: SimK8s, config_dir: Path, tmp_path: Path
) -> None:
    clusters(config_dir, {"sim-1.37": capi()})
    code, out, err = scs("cluster", "create", "sim-1.37", "--format", "json", "--dir", str(tmp_path / "work"))
    assert code == 0, err
    rendered = yaml.safe_load((tmp_path / "work" / "cluster.yaml").read_text())
    assert rendered["spec"]["topology"] == {
        "classRef": {"name": "openstack-scs-1-37-v1"},
        "version": "v1.37.3",
        "controlPlane": {"replicas": 3},
    }
    workload = connect_kube(KubeSpec(json.loads(out)["kubeconfig"]))
    assert collect_kaas(workload, {"version"}).version.git_version == "v1.37.3"  # type: ignore[union-attr]
    workload.close()
    again, _, err = scs(
        "cluster", "create", "sim-1.37", "--dir", str(tmp_path / "work")
    )  # exists: adopted, not an error
    assert again == 0 and "exists already" in err
    code, _, err = scs("cluster", "delete", "sim-1.37", "--dir", str(tmp_path / "work"))
    assert code == 0, err
    assert management.cluster.store.list("cluster.x-k8s.io/clusters") == []
    assert [
        s
        for s in management.cluster.store.list("/secrets", "org-scs")
        if s["metadata"]["name"] == "scs-1-37-kubeconfig"
    ] == []
    assert not (tmp_path / "work" / "kubeconfig.yaml").exists()
    assert scs("cluster", "delete", "sim-1.37", "--dir", str(tmp_path / "work"))[0] == 0  # gone already: fine


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"vars": {}}, "'num_control_nodes' is undefined"),
        ({"kubernetesVersion": "1.30"}, "no ready ClusterStackRelease for Kubernetes 1.30"),
        ({"autoVars": "syself"}, "unknown autoVars 'syself'"),
        ({"templates": {"cluster": "cluster.yaml.j2"}}, "config.templates needs cluster and kubeconfig"),
    ],
)
def test_clusterapi_bad_config(management: SimK8s, config_dir: Path, extra: dict[str, object], message: str) -> None:
    clusters(config_dir, {"sim-1.37": capi(**extra)})
    code, _, err = scs("cluster", "create", "sim-1.37")
    assert code in (1, 2) and message in err.replace("\n", " "), err
    assert management.cluster.store.list("cluster.x-k8s.io/clusters") == []  # nothing half created


def test_clusterapi_read_only_management_account_and_unreachable(management: SimK8s, config_dir: Path) -> None:
    management.kubeconfig(config_dir / "management.yaml", "viewer")
    clusters(config_dir, {"sim-1.37": capi()})
    code, _, err = scs("cluster", "create", "sim-1.37")
    assert code == 1 and "403" in err and "needs to create" in err.replace("\n", " ")
    management.stop()
    code, _, err = scs("cluster", "create", "sim-1.37")
    assert code == 1 and "cannot reach the API server" in err
