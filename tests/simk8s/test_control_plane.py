"""What the control plane shows through the API, as on a kubeadm cluster: kubelet configz through the node
proxy, kube-apiserver mirror pods in kube-system; profiles change both, or hide the control plane."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import kubernetes
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scs_toolkit.simk8s import SimK8s

from .conftest import client_for
from .test_kubectl import kubectl, kubectl_env  # noqa: F401  (fixture)


def configz(api: kubernetes.client.ApiClient, node: str) -> dict[str, object]:
    response = api.call_api(
        *api.param_serialize("GET", f"/api/v1/nodes/{node}/proxy/configz", auth_settings=["BearerToken"])[:3]
    )
    data = response.read()
    if response.status != 200:
        raise ApiException(http_resp=response)
    return json.loads(data)  # type: ignore[no-any-return]


def test_kubectl_reads_the_kubelet_configuration(kubectl_env: dict[str, str]) -> None:  # noqa: F811
    result = kubectl(kubectl_env, "get", "--raw", "/api/v1/nodes/worker-0/proxy/configz")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)["kubeletconfig"]
    assert config["readOnlyPort"] == 0 and config["authorization"]["mode"] == "Webhook"
    assert config["authentication"]["anonymous"] == {"enabled": False}


def test_node_proxy_needs_rbac_and_knows_only_configz(
    api: kubernetes.client.ApiClient, viewer: kubernetes.client.ApiClient
) -> None:
    with pytest.raises(ApiException) as denied:
        configz(viewer, "worker-0")
    assert (
        denied.value.status == 403 and 'cannot get resource "nodes/proxy"' in json.loads(denied.value.body)["message"]
    )
    with pytest.raises(ApiException) as missing:
        configz(api, "no-such-node")
    assert missing.value.status == 404
    response = api.call_api(
        *api.param_serialize("GET", "/api/v1/nodes/worker-0/proxy/pods", auth_settings=["BearerToken"])[:3]
    )
    assert response.status == 404 and "serves only /configz" in response.read().decode()


def test_apiserver_mirror_pods_on_the_control_plane_nodes(api: kubernetes.client.ApiClient) -> None:
    pods = client.CoreV1Api(api).list_namespaced_pod("kube-system", label_selector="component=kube-apiserver").items
    assert sorted(p.spec.node_name for p in pods) == ["control-plane-0", "control-plane-1", "control-plane-2"]
    assert {p.status.phase for p in pods} == {"Running"}
    command = pods[0].spec.containers[0].command
    assert command[0] == "kube-apiserver" and "--authorization-mode=Node,RBAC" in command


def test_profiles_change_the_kubelets_and_can_hide_the_control_plane(
    simk8s_factory: Callable[..., SimK8s], tmp_path: Path
) -> None:
    profile = tmp_path / "weak.yaml"
    profile.write_text(
        "extends: compliant\ndescription: weak kubelets, hosted control plane\n"
        "kubelet: {readOnlyPort: 10255, authentication: {anonymous: {enabled: true}}}\n"
        "control_plane: {visible: false}\n"
        "nodes:\n  - {name: cp, role: control-plane, zone: az1, host: h1}\n"
        "  - {name: w, zone: az1, host: h2, kubelet: {authorization: {mode: AlwaysAllow}}}\n"
    )
    sim = simk8s_factory(profile=str(profile))
    api = client_for(sim, tmp_path / "kubeconfig")
    worker = configz(api, "w")["kubeletconfig"]
    assert worker["readOnlyPort"] == 10255 and worker["authorization"]["mode"] == "AlwaysAllow"  # type: ignore[index]
    assert worker["authentication"]["webhook"]["enabled"] is True  # type: ignore[index]  # defaults kept under overrides
    assert (
        client.CoreV1Api(api).list_namespaced_pod("kube-system", label_selector="component=kube-apiserver").items == []
    )
