"""The management profile: Cluster API Cluster objects provision real second simulated clusters."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import kubernetes
import pytest
import yaml
from kubernetes import client, watch

from scs_toolkit.simk8s import SimK8s

from .conftest import client_for


def cluster(name: str, version: str, api_version: str) -> dict[str, Any]:
    return {
        "apiVersion": f"cluster.x-k8s.io/{api_version}",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": "org-scs"},
        "spec": {"topology": {"class": "openstack-scs-1-35", "version": version, "controlPlane": {"replicas": 3}}},
    }


def wait_phase(objects: client.CustomObjectsApi, version: str, name: str, phase: str) -> dict[str, Any]:
    watcher = watch.Watch()
    for event in watcher.stream(
        objects.list_namespaced_custom_object,
        "cluster.x-k8s.io",
        version,
        "org-scs",
        "clusters",
        field_selector=f"metadata.name={name}",
        timeout_seconds=30,
    ):
        if (event["object"].get("status") or {}).get("phase") == phase:
            watcher.stop()
            return event["object"]  # type: ignore[no-any-return]
    raise AssertionError(f"cluster {name} never reached phase {phase}")


@pytest.mark.parametrize("api_version", ["v1beta1", "v1beta2"])
def test_a_cluster_is_provisioned_with_a_kubeconfig_secret(
    simk8s_factory: Callable[..., SimK8s], tmp_path: Path, api_version: str
) -> None:
    sim = simk8s_factory(profile="management", seed=21)
    api = client_for(sim, tmp_path / "kubeconfig")
    objects, core = client.CustomObjectsApi(api), client.CoreV1Api(api)
    releases = objects.list_namespaced_custom_object(
        "clusterstack.x-k8s.io", "v1alpha1", "org-scs", "clusterstackreleases"
    )
    assert {r["status"]["kubernetesVersion"] for r in releases["items"]} == {"v1.37.3", "v1.36.5"}
    created = objects.create_namespaced_custom_object(
        "cluster.x-k8s.io", api_version, "org-scs", "clusters", cluster("workload", "v1.35.2", api_version)
    )
    assert created["apiVersion"] == f"cluster.x-k8s.io/{api_version}"
    ready = wait_phase(objects, api_version, "workload", "Provisioned")
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in ready["status"]["conditions"])
    status = objects.get_namespaced_custom_object_status(
        "cluster.x-k8s.io", api_version, "org-scs", "clusters", "workload"
    )
    assert status["status"]["phase"] == "Provisioned"
    secret = core.read_namespaced_secret("workload-kubeconfig", "org-scs")
    assert secret.type == "cluster.x-k8s.io/secret"
    assert secret.metadata.labels["cluster.x-k8s.io/cluster-name"] == "workload"
    workload_config = tmp_path / "workload.yaml"
    workload_config.write_bytes(base64.b64decode(secret.data["value"]))
    server = yaml.safe_load(workload_config.read_text())["clusters"][0]["cluster"]["server"]
    assert server != sim.url
    workload = kubernetes.config.new_client_from_config(str(workload_config))
    assert client.VersionApi(workload).get_code().git_version == "v1.35.2"
    assert len(client.CoreV1Api(workload).list_node().items) == 6
    workload.close()

    objects.delete_namespaced_custom_object("cluster.x-k8s.io", api_version, "org-scs", "clusters", "workload")
    watcher = watch.Watch()
    for event in watcher.stream(
        objects.list_namespaced_custom_object,
        "cluster.x-k8s.io",
        api_version,
        "org-scs",
        "clusters",
        timeout_seconds=30,
    ):
        if event["type"] == "DELETED":
            watcher.stop()
            break
    else:
        raise AssertionError("the cluster was never deleted")
    with pytest.raises(client.exceptions.ApiException) as raised:
        core.read_namespaced_secret("workload-kubeconfig", "org-scs")
    assert raised.value.status == 404
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server}/version", verify=False, timeout=5)  # the workload cluster is gone too


def test_the_cluster_kind_appears_in_discovery_and_openapi(
    simk8s_factory: Callable[..., SimK8s], tmp_path: Path
) -> None:
    sim = simk8s_factory(profile="management", seed=22)
    api = client_for(sim, tmp_path / "kubeconfig")
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["cluster.x-k8s.io"].preferred_version.version == "v1beta2"
    assert [v.version for v in groups["cluster.x-k8s.io"].versions] == ["v1beta2", "v1beta1"]
    headers = {"Authorization": f"Bearer {sim.token()}"}
    with httpx.Client(base_url=sim.url, verify=sim.ssl_context(), headers=headers) as http:
        index = http.get("/openapi/v3").json()["paths"]
        assert "apis/cluster.x-k8s.io/v1beta1" in index
        document = http.get(index["apis/cluster.x-k8s.io/v1beta1"]["serverRelativeURL"]).json()
        patch = document["paths"]["/apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters/{name}"]["patch"]
        assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
        assert patch["x-kubernetes-group-version-kind"]["kind"] == "Cluster"


def test_a_plain_cluster_has_no_cluster_api(simk8s: SimK8s, api: client.ApiClient) -> None:
    with pytest.raises(client.exceptions.ApiException) as raised:
        client.CustomObjectsApi(api).list_namespaced_custom_object("cluster.x-k8s.io", "v1beta1", "default", "clusters")
    assert raised.value.status == 404
