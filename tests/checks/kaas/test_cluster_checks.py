"""scs-0211 storage probe, scs-0214 node distribution, scs-0217 hardening, scs-0219 API: fail paths and bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from scs_toolkit.checks import Probe, Status, evaluate
from scs_toolkit.checks.kaas.scs_0214 import decide_node_distribution
from scs_toolkit.checks.kaas.scs_0217 import apiserver_findings, kubelet_findings
from scs_toolkit.collect import KaasSnapshot, KubeConnection, Node, collect_kaas
from scs_toolkit.collect._k8s_snapshot import ControlPlanePod
from scs_toolkit.simk8s import SimK8s
from tests.checks.kaas.conftest import connection
from tests.conftest import DATA

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


def scenario(name: str) -> tuple[Node, ...]:
    scenarios = yaml.safe_load((DATA / "kaas" / "node-distribution-scenarios.yaml").read_text())
    return tuple(Node(n, MappingProxyType(labels)) for n, labels in scenarios[name].items())


@pytest.mark.parametrize(
    ("name", "status", "text"),
    [
        ("success-1", Status.PASS, "3 control-plane nodes in 3 zones"),
        ("success-2", Status.PASS, "3 control-plane nodes in 3 zones"),  # one host id, but three zones
        ("no-distribution-1", Status.FAIL, "one control-plane node"),
        ("no-distribution-2", Status.FAIL, "run on one host (vm0) in one zone (zone1)"),
        ("missing-labels", Status.ABORT, "not all carry topology.scs.community/host-id"),
        ("not-enough-nodes", Status.FAIL, "one control-plane node"),
    ],
)
def test_node_distribution_scenarios(name: str, status: Status, text: str) -> None:
    outcome = decide_node_distribution(scenario(name))
    assert outcome.status is status and text in outcome.reason


def test_nodes_without_topology_labels_fail_and_a_hosted_control_plane_aborts() -> None:
    nodes = (Node("worker-0", MappingProxyType({"topology.kubernetes.io/zone": "az1"})),)
    outcome = decide_node_distribution(nodes)
    assert (
        outcome.status is Status.FAIL and outcome.findings[0].message == "label topology.kubernetes.io/region missing"
    )
    hosted = tuple(
        Node(f"w{i}", MappingProxyType({"topology.kubernetes.io/zone": f"az{i}", "topology.kubernetes.io/region": "r"}))
        for i in range(2)
    )
    assert decide_node_distribution(hosted).status is Status.ABORT


def test_kubelet_findings() -> None:
    good = {
        "readOnlyPort": 0,
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True}},
        "authorization": {"mode": "Webhook"},
    }
    assert kubelet_findings("n", good) == []
    bad = {
        "readOnlyPort": 10255,
        "authentication": {"anonymous": {"enabled": True}},
        "authorization": {"mode": "AlwaysAllow"},
    }
    assert [f.message for f in kubelet_findings("n", bad)] == [
        "read-only kubelet port open",
        "anonymous kubelet authentication",
        "kubelet webhook authentication off",
        "kubelet authorization",
    ]


KUBEADM = (
    "kube-apiserver",
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    "--client-ca-file=/pki/ca.crt",
    "--service-account-issuer=https://kubernetes.default.svc",
    "--etcd-cafile=/pki/etcd/ca.crt",
    "--etcd-certfile=/pki/etcd.crt",
    "--etcd-keyfile=/pki/etcd.key",
    "--etcd-servers=https://127.0.0.1:2379",
)


def test_apiserver_findings_judge_kubeadm_flags_as_the_standard_means() -> None:
    assert apiserver_findings(ControlPlanePod("kube-apiserver-cp0", "cp0", KUBEADM)) == []
    later = (*KUBEADM[:2], "--enable-admission-plugins=LimitRanger,NodeRestriction", *KUBEADM[3:])
    assert apiserver_findings(ControlPlanePod("p", "cp0", later)) == []  # not only as the first plugin
    weak = (
        "kube-apiserver",
        "--authorization-mode=AlwaysAllow",
        "--disable-admission-plugins=PodSecurity",
        "--etcd-servers=http://10.0.0.5:2379",
    )
    assert {f.message for f in apiserver_findings(ControlPlanePod("p", "cp0", weak))} == {
        "authorization modes",
        "NodeRestriction admission not enabled",
        "PodSecurity admission disabled",
        "authentication methods",
        "etcd not reached over TLS with a client certificate",
    }


def test_hardening_and_endpoint_without_visible_control_plane_or_tls() -> None:
    snapshot = KaasSnapshot(
        taken_at=NOW, server="http://10.0.0.1:8080", apiserver_pods=(), kubelet_configs=MappingProxyType({})
    )
    results = evaluate(
        snapshot, ["scs-0217-apiserver-hardening", "scs-0217-api-endpoint-tls", "scs-0217-kubelet-hardening"]
    )
    assert (
        results["scs-0217-apiserver-hardening"].status is Status.ABORT
        and "hosted control plane" in results["scs-0217-apiserver-hardening"].reason
    )
    assert results["scs-0217-api-endpoint-tls"].status is Status.FAIL
    assert results["scs-0217-kubelet-hardening"].status is Status.ABORT
    insecure = dataclasses.replace(snapshot, server="https://10.0.0.1:6443", tls_verified=False)
    assert evaluate(insecure, ["scs-0217-api-endpoint-tls"])["scs-0217-api-endpoint-tls"].status is Status.FAIL


def test_network_policy_api_missing_fails() -> None:
    snapshot = KaasSnapshot(
        taken_at=NOW, api_resources=MappingProxyType({"networking.k8s.io/v1": ("ingresses",)}), ingress_classes=()
    )
    assert evaluate(snapshot, ["scs-0219-network-policy-api"])["scs-0219-network-policy-api"].status is Status.FAIL


def test_a_kaas_check_on_an_iaas_snapshot_aborts() -> None:
    from scs_toolkit.collect import IaasSnapshot

    outcome = evaluate(IaasSnapshot(taken_at=NOW), ["version-policy-check"])["version-policy-check"]
    assert outcome.status is Status.ABORT and "Kubernetes cluster" in outcome.reason


# -- the storage probe on simulated clusters ---------------------------------------------------------


def storage(conn: KubeConnection, timeout_s: float | None = None) -> object:
    return evaluate(
        collect_kaas(conn, {"storage_classes"}), ["default-storage-class-check"], Probe(conn, timeout_s=timeout_s)
    )["default-storage-class-check"]


def probe_namespaces(sim: SimK8s) -> list[str]:
    return [
        n["metadata"]["name"]
        for n in sim.cluster.store.list("/namespaces")
        if n["metadata"]["name"].startswith("scs-test-")
    ]


def test_storage_probe_passes_and_leaves_nothing(simk8s: SimK8s, admin: KubeConnection) -> None:
    outcome = storage(admin)
    assert outcome.status is Status.PASS and "bound to pvc-" in outcome.reason  # type: ignore[attr-defined]
    assert probe_namespaces(simk8s) == []
    assert [
        v
        for v in simk8s.cluster.store.list("/persistentvolumes")
        if v["spec"]["claimRef"]["namespace"].startswith("scs-test-")
    ] == []


def profile(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profile.yaml"
    path.write_text("extends: compliant\ndescription: test\n" + text)
    return str(path)


def test_storage_probe_fails_without_default_and_on_a_class_that_never_binds(
    tmp_path: Path, simk8s_factory: object
) -> None:
    sim = simk8s_factory(profile="no-default-storage-class")  # type: ignore[operator]
    outcome = storage(connection(sim, tmp_path / "a"))
    assert outcome.status is Status.FAIL and "no StorageClass is annotated" in outcome.reason  # type: ignore[attr-defined]
    stuck = simk8s_factory(  # type: ignore[operator]
        profile=profile(tmp_path, "storage_classes:\n  - {name: remote, provisioner: example.com/csi, default: true}\n")
    )
    outcome = storage(connection(stuck, tmp_path / "b"), timeout_s=1.5)
    assert outcome.status is Status.FAIL and "did not bind within 2 s" in outcome.reason  # type: ignore[attr-defined]
    assert "ExternalProvisioning" in outcome.reason  # type: ignore[attr-defined]
    assert probe_namespaces(stuck) == []


def test_storage_probe_wait_for_first_consumer_and_retain(tmp_path: Path, simk8s_factory: object) -> None:
    sim = simk8s_factory(  # type: ignore[operator]
        profile=profile(
            tmp_path,
            "storage_classes:\n  - {name: wffc, provisioner: cinder.csi.openstack.org, default: true, binding_mode: WaitForFirstConsumer, reclaim_policy: Retain}\n",
        )
    )
    outcome = storage(connection(sim, tmp_path / "k"))
    assert outcome.status is Status.PASS and "WaitForFirstConsumer" in outcome.reason and "Retain" in outcome.reason  # type: ignore[attr-defined]
    assert probe_namespaces(sim) == [] and sim.cluster.store.list("/persistentvolumes") == []  # the retained PV too


def test_node_local_default_class_fails_without_probing(tmp_path: Path, simk8s_factory: object) -> None:
    sim = simk8s_factory(
        profile=profile(
            tmp_path, "storage_classes:\n  - {name: local, provisioner: rancher.io/local-path, default: true}\n"
        )
    )  # type: ignore[operator]
    outcome = storage(connection(sim, tmp_path / "k"))
    assert outcome.status is Status.FAIL and "node-local" in outcome.reason  # type: ignore[attr-defined]
    assert sim.cluster.store.list("/persistentvolumeclaims") == []


def test_storage_probe_with_a_read_only_account_aborts(simk8s: SimK8s, tmp_path: Path) -> None:
    outcome = storage(connection(simk8s, tmp_path / "viewer", "viewer"))
    assert outcome.status is Status.ABORT and "may not create a namespace" in outcome.reason  # type: ignore[attr-defined]
