"""The official Python client against the simulated cluster: reads, writes, watch, errors, RBAC."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import kubernetes
import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from scs_toolkit.simk8s import SimK8s

RFC3339_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def status_of(error: ApiException) -> dict[str, Any]:
    body = json.loads(error.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == error.status
    return body


def new_namespace(core: client.CoreV1Api) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def pvc(name: str, storage_class: str | None = None, size: str = "1Gi") -> client.V1PersistentVolumeClaim:
    return client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            storage_class_name=storage_class,
            resources=client.V1VolumeResourceRequirements(requests={"storage": size}),
        ),
    )


def wait_for(stream_function: Any, predicate: Any, timeout: int = 20, **kwargs: Any) -> Any:
    """Watch until `predicate(object)` holds; the server pushes events, nothing polls."""
    watcher = watch.Watch()
    for event in watcher.stream(stream_function, timeout_seconds=timeout, **kwargs):
        if predicate(event["object"]):
            watcher.stop()
            return event["object"]
    raise AssertionError("the watch ended before the expected state was reached")


def test_nodes_carry_the_topology_labels(api: client.ApiClient) -> None:
    nodes = client.CoreV1Api(api).list_node().items
    assert len(nodes) == 6
    control = [n for n in nodes if "node-role.kubernetes.io/control-plane" in n.metadata.labels]
    assert len(control) == 3
    for node in nodes:
        labels = node.metadata.labels
        assert labels["kubernetes.io/hostname"] == node.metadata.name
        assert labels["topology.kubernetes.io/region"] == "RegionOne"
        assert labels["topology.kubernetes.io/zone"] in {"az1", "az2", "az3"}
        assert labels["topology.scs.community/host-id"]
        assert node.status.node_info.kubelet_version == "v1.37.3"
        assert next(c for c in node.status.conditions if c.type == "Ready").status == "True"
    assert len({n.metadata.labels["topology.scs.community/host-id"] for n in control}) == 3
    assert client.VersionApi(api).get_code().git_version == "v1.37.3"


def test_storage_classes_have_exactly_one_default(api: client.ApiClient) -> None:
    classes = client.StorageV1Api(api).list_storage_class().items
    defaults = [
        sc.metadata.name
        for sc in classes
        if (sc.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert defaults == ["csi-cinder-sc-delete"]
    assert {sc.volume_binding_mode for sc in classes} == {"Immediate", "WaitForFirstConsumer"}


def test_a_claim_binds_through_the_provisioner_and_watchers_see_it(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    created = core.create_namespaced_persistent_volume_claim(namespace, pvc("data", size="3Gi"))
    assert created.status.phase == "Pending"
    assert created.spec.storage_class_name == "csi-cinder-sc-delete"  # the default class was filled in
    assert "kubernetes.io/pvc-protection" in created.metadata.finalizers
    bound = wait_for(
        core.list_namespaced_persistent_volume_claim,
        lambda c: c.metadata.name == "data" and c.status.phase == "Bound",
        namespace=namespace,
    )
    assert bound.status.capacity == {"storage": "3Gi"}
    volume = core.read_persistent_volume(bound.spec.volume_name)
    assert volume.status.phase == "Bound"
    assert volume.spec.claim_ref.name == "data" and volume.spec.claim_ref.uid == created.metadata.uid
    assert "ReadWriteOnce" in volume.spec.access_modes
    assert int(bound.metadata.resource_version) > int(created.metadata.resource_version)
    reasons = {e.reason for e in core.list_namespaced_event(namespace).items}
    assert {"Provisioning", "ProvisioningSucceeded"} <= reasons


def test_wait_for_first_consumer_binds_once_a_pod_uses_the_claim(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    core.create_namespaced_persistent_volume_claim(namespace, pvc("late", "csi-cinder-sc-wffc"))
    reasons = wait_for(
        core.list_namespaced_event,
        lambda e: e.reason == "WaitForFirstConsumer",
        namespace=namespace,
    )
    assert reasons.involved_object.name == "late"
    assert core.read_namespaced_persistent_volume_claim("late", namespace).status.phase == "Pending"
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="user"),
        spec=client.V1PodSpec(
            containers=[client.V1Container(name="app", image="nginx:1.29")],
            volumes=[
                client.V1Volume(
                    name="data", persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name="late")
                )
            ],
        ),
    )
    core.create_namespaced_pod(namespace, pod)
    running = wait_for(core.list_namespaced_pod, lambda p: p.status.phase == "Running", namespace=namespace)
    claim = core.read_namespaced_persistent_volume_claim("late", namespace)
    assert claim.status.phase == "Bound"
    assert claim.metadata.annotations["volume.kubernetes.io/selected-node"] == running.spec.node_name
    assert not running.spec.node_name.startswith("control-plane")  # tainted: only workers take pods
    assert all(s.ready for s in running.status.container_statuses)


def test_a_claim_of_an_unknown_provisioner_stays_pending(api: client.ApiClient) -> None:
    core, storage = client.CoreV1Api(api), client.StorageV1Api(api)
    name = f"external-{uuid.uuid4().hex[:6]}"
    storage.create_storage_class(
        client.V1StorageClass(metadata=client.V1ObjectMeta(name=name), provisioner="example.com/nfs")
    )
    namespace = new_namespace(core)
    core.create_namespaced_persistent_volume_claim(namespace, pvc("stuck", name))
    event = wait_for(core.list_namespaced_event, lambda e: e.reason == "ExternalProvisioning", namespace=namespace)
    assert "example.com/nfs" in event.message
    assert core.read_namespaced_persistent_volume_claim("stuck", namespace).status.phase == "Pending"


def test_a_pod_runs_and_completes_as_its_behaviour_says(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="e2e"),
        spec=client.V1PodSpec(
            restart_policy="Never",
            containers=[
                client.V1Container(
                    name="e2e",
                    image="registry.k8s.io/conformance:v1.37.3",
                    env=[client.V1EnvVar(name="E2E_FOCUS", value="\\[NetworkPolicy\\]")],
                )
            ],
        ),
    )
    core.create_namespaced_pod(namespace, pod)
    done = wait_for(core.list_namespaced_pod, lambda p: p.status.phase in ("Succeeded", "Failed"), namespace=namespace)
    assert done.status.phase == "Succeeded"
    assert done.status.container_statuses[0].state.terminated.exit_code == 0
    log = core.read_namespaced_pod_log("e2e", namespace)
    assert "92 Passed | 0 Failed" in log


def test_deleting_a_namespace_removes_its_contents_and_volumes(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    core.create_namespaced_persistent_volume_claim(namespace, pvc("gone"))
    bound = wait_for(
        core.list_namespaced_persistent_volume_claim, lambda c: c.status.phase == "Bound", namespace=namespace
    )
    start = core.read_namespace(namespace).metadata.resource_version
    core.delete_namespace(namespace)
    watcher = watch.Watch()
    phases = []
    stream = watcher.stream(
        core.list_namespace, field_selector=f"metadata.name={namespace}", resource_version=start, timeout_seconds=20
    )
    for event in stream:
        phases.append(event["object"].status.phase)
        if event["type"] == "DELETED":
            watcher.stop()
            break
    else:
        raise AssertionError("the namespace was not removed")
    assert phases[0] == "Terminating"
    with pytest.raises(ApiException) as raised:
        core.read_persistent_volume(bound.spec.volume_name)  # reclaim policy Delete
    assert raised.value.status == 404


def test_errors_are_status_objects(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as raised:
        core.read_namespace("does-not-exist")
    body = status_of(raised.value)
    assert body["reason"] == "NotFound" and body["message"] == 'namespaces "does-not-exist" not found'
    assert body["details"] == {"name": "does-not-exist", "kind": "namespaces"}
    namespace = new_namespace(core)
    with pytest.raises(ApiException) as raised:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    assert status_of(raised.value)["reason"] == "AlreadyExists" and raised.value.status == 409
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_persistent_volume_claim(
            namespace, {"metadata": {"name": "nosize"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
        )
    body = status_of(raised.value)
    assert raised.value.status == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "spec.resources[storage]"
    with pytest.raises(ApiException) as raised:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="Not_A_Name")))
    assert raised.value.status == 422 and "RFC 1123" in status_of(raised.value)["message"]
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_config_map("no-such-namespace", {"metadata": {"name": "x"}})
    assert (
        raised.value.status == 404 and status_of(raised.value)["message"] == 'namespaces "no-such-namespace" not found'
    )
    assert core.list_namespace().items  # nothing above broke the server


def test_strict_field_validation_rejects_unknown_fields_and_warn_accepts(simk8s: SimK8s, api: client.ApiClient) -> None:
    # the client refuses unknown fields itself, so this request is sent as kubectl sends it: raw JSON
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    url = f"{simk8s.url}/api/v1/namespaces/{namespace}/configmaps"
    headers = {"Authorization": f"Bearer {simk8s.token()}"}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}, "colour": "blue"}
    with httpx.Client(verify=simk8s.ssl_context(), headers=headers) as http:
        strict = http.post(url, params={"fieldValidation": "Strict"}, json=body)
        assert strict.status_code == 400 and 'strict decoding error: unknown field "colour"' in strict.json()["message"]
        assert http.get(f"{url}/cm").status_code == 404  # nothing was stored
        warned = http.post(url, json=body)  # default: Warn
        assert warned.status_code == 201 and "colour" not in warned.json()
        assert RFC3339_SECONDS.match(warned.json()["metadata"]["creationTimestamp"])
        assert warned.headers["Warning"] == '299 - "unknown field \\"colour\\""'
        bad = http.post(url, params={"fieldValidation": "Sometimes"}, json=body)
        assert bad.status_code == 400


def test_resource_version_guards_updates(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    first = core.create_namespaced_config_map(namespace, {"metadata": {"name": "cm"}, "data": {"v": "1"}})
    first.data = {"v": "2"}
    second = core.replace_namespaced_config_map("cm", namespace, first)
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)
    first.data = {"v": "3"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as raised:
        core.replace_namespaced_config_map("cm", namespace, first)
    body = status_of(raised.value)
    assert raised.value.status == 409 and body["reason"] == "Conflict" and "has been modified" in body["message"]
    assert core.read_namespaced_config_map("cm", namespace).data == {"v": "2"}
    assert second.metadata.uid == first.metadata.uid


def test_patches_strategic_merge_and_json(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "cm", "labels": {"a": "1"}}, "data": {"x": "1"}})
    patched = core.patch_namespaced_config_map("cm", namespace, {"metadata": {"labels": {"b": "2", "a": None}}})
    assert patched.metadata.labels == {"b": "2"}
    patched = core.patch_namespaced_config_map("cm", namespace, [{"op": "replace", "path": "/data/x", "value": "9"}])
    assert patched.data == {"x": "9"}
    with pytest.raises(ApiException) as raised:
        core.patch_namespaced_config_map("cm", namespace, [{"op": "remove", "path": "/data/missing"}])
    assert raised.value.status == 422
    assert core.read_namespaced_config_map("cm", namespace).data == {"x": "9"}


def test_selectors_filter_lists(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    workers = core.list_node(label_selector="!node-role.kubernetes.io/control-plane").items
    assert sorted(n.metadata.name for n in workers) == ["worker-0", "worker-1", "worker-2"]
    zoned = core.list_node(label_selector="topology.kubernetes.io/zone in (az1,az2),kubernetes.io/os=linux").items
    assert len(zoned) == 4
    assert [n.metadata.name for n in core.list_node(field_selector="metadata.name=worker-1").items] == ["worker-1"]
    with pytest.raises(ApiException) as raised:
        core.list_node(field_selector="spec.colour=blue")
    assert raised.value.status == 400 and "field label not supported" in raised.value.body
    with pytest.raises(ApiException) as raised:
        core.list_node(label_selector="a in (b")
    assert raised.value.status == 400


def test_lists_page_with_limit_and_continue(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    first = core.list_node(limit=4)
    assert len(first.items) == 4 and first.metadata.remaining_item_count == 2
    rest = core.list_node(limit=4, _continue=first.metadata._continue)
    assert [n.metadata.name for n in first.items + rest.items] == [n.metadata.name for n in core.list_node().items]
    assert not rest.metadata._continue


def test_the_viewer_reads_but_gets_403_on_writes(viewer: client.ApiClient) -> None:
    core = client.CoreV1Api(viewer)
    assert len(core.list_node().items) == 6
    with pytest.raises(ApiException) as raised:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="viewer-was-here")))
    body = status_of(raised.value)
    assert raised.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (
        'namespaces is forbidden: User "viewer" cannot create resource "namespaces" in API group "" at the cluster scope'
    )
    with pytest.raises(ApiException) as raised:
        core.delete_namespaced_config_map("kube-root-ca.crt", "default")
    assert 'configmaps "kube-root-ca.crt" is forbidden' in status_of(raised.value)["message"]
    with pytest.raises(ApiException) as raised:
        core.list_namespaced_secret("default")  # view excludes secrets
    assert raised.value.status == 403
    review = client.AuthorizationV1Api(viewer).create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(verb="create", resource="namespaces")
            )
        )
    )
    assert review.status.allowed is False


def test_a_missing_or_wrong_token_is_401(simk8s: SimK8s, tmp_path: Any) -> None:
    ca = str(simk8s.ca_path)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        reply = httpx.get(f"{simk8s.url}/api/v1/nodes", headers=headers, verify=simk8s.ssl_context())
        assert reply.status_code == 401
        assert reply.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
    configuration = client.Configuration()
    configuration.host, configuration.ssl_ca_cert = simk8s.url, ca
    configuration.api_key = {"authorization": "Bearer wrong"}
    with client.ApiClient(configuration) as wrong, pytest.raises(ApiException) as raised:
        client.CoreV1Api(wrong).list_node()
    assert raised.value.status == 401
    assert (
        httpx.get(f"{simk8s.url}/version", verify=simk8s.ssl_context()).json()["gitVersion"] == "v1.37.3"
    )  # as for anonymous


def test_the_server_certificate_is_verified_against_the_kubeconfig_ca(simk8s: SimK8s) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{simk8s.url}/version")  # system trust store: unknown CA
    reply = httpx.get(f"{simk8s.url}/version", verify=simk8s.ssl_context())
    assert reply.status_code == 200
    assert reply.json()["gitVersion"] == "v1.37.3"


def test_watch_resumes_from_a_resource_version(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = new_namespace(core)
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "one"}})
    core.delete_namespaced_config_map("kube-root-ca.crt", namespace)
    events = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=1
    ):
        events.append((event["type"], event["object"].metadata.name))
    assert events == [("ADDED", "one"), ("DELETED", "kube-root-ca.crt")]


def test_discovery_lists_the_api_groups(api: client.ApiClient) -> None:
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {"storage.k8s.io", "rbac.authorization.k8s.io", "networking.k8s.io", "apiextensions.k8s.io"} <= groups
    resources = {r.name for r in client.CoreV1Api(api).get_api_resources().resources}
    assert {"nodes", "namespaces", "pods", "pods/log", "persistentvolumeclaims", "events"} <= resources


def test_dynamic_client_works_from_discovery(api: client.ApiClient) -> None:
    dynamic = kubernetes.dynamic.DynamicClient(api)
    classes = dynamic.resources.get(api_version="storage.k8s.io/v1", kind="StorageClass")
    assert {item.metadata.name for item in classes.get().items} >= {"csi-cinder-sc-delete"}
