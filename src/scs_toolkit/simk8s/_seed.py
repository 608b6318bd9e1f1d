"""A profile's initial cluster state: system namespaces, RBAC, nodes, storage classes, CRDs."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

from ._cluster import Cluster

#: The API server's bootstrap roles, as far as the simulated cluster's users need them.
_READ = ["get", "list", "watch"]
BOOTSTRAP_ROLES: list[dict[str, Any]] = [
    {
        "metadata": {"name": "cluster-admin"},
        "rules": [
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
            {"nonResourceURLs": ["*"], "verbs": ["*"]},
        ],
    },
    {
        "metadata": {"name": "view"},
        "rules": [
            {
                "apiGroups": [""],
                "resources": [
                    "configmaps",
                    "endpoints",
                    "persistentvolumeclaims",
                    "persistentvolumeclaims/status",
                    "pods",
                    "pods/log",
                    "pods/status",
                    "services",
                    "services/status",
                    "serviceaccounts",
                    "events",
                    "namespaces",
                    "namespaces/status",
                ],
                "verbs": _READ,
            },
            {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies", "ingresses"], "verbs": _READ},
            {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": _READ},
            {"apiGroups": [""], "resources": ["nodes", "persistentvolumes"], "verbs": _READ},
            {"apiGroups": ["cluster.x-k8s.io"], "resources": ["*"], "verbs": _READ},
        ],
    },
    {
        "metadata": {"name": "system:discovery"},
        "rules": [
            {
                "nonResourceURLs": [
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
                "verbs": ["get"],
            },
        ],
    },
    {
        "metadata": {"name": "system:basic-user"},
        "rules": [
            {
                "apiGroups": ["authorization.k8s.io"],
                "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                "verbs": ["create"],
            },
        ],
    },
]


def _binding(name: str, role: str, kind: str, subject: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": subject}],
    }


def node_object(spec: dict[str, Any], profile: dict[str, Any], index: int) -> dict[str, Any]:
    name = spec["name"]
    version = profile["version"]["gitVersion"]
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": spec.get("flavor", "SCS-4V-8"),
    }
    if spec.get("region", profile.get("region")):
        labels["topology.kubernetes.io/region"] = spec.get("region", profile.get("region"))
    if spec.get("zone"):
        labels["topology.kubernetes.io/zone"] = spec["zone"]
    if spec.get("host"):
        labels["topology.scs.community/host-id"] = spec["host"]
    control_plane = spec.get("role") == "control-plane"
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    labels.update(spec.get("labels") or {})
    ready = spec.get("ready", True)
    node: dict[str, Any] = {
        "metadata": {"name": name, "labels": labels, "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        "spec": {
            "podCIDR": f"10.244.{index}.0/24",
            "podCIDRs": [f"10.244.{index}.0/24"],
            "providerID": f"openstack:///{name}",
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": f"10.0.0.{10 + index}"},
                {"type": "Hostname", "address": name},
            ],
            "capacity": {"cpu": "4", "memory": "8148000Ki", "pods": "110", "ephemeral-storage": "20134592Ki"},
            "allocatable": {"cpu": "4", "memory": "8045600Ki", "pods": "110", "ephemeral-storage": "18556039957"},
            "conditions": [
                {
                    "type": "MemoryPressure",
                    "status": "False",
                    "reason": "KubeletHasSufficientMemory",
                    "message": "kubelet has sufficient memory available",
                },
                {
                    "type": "DiskPressure",
                    "status": "False",
                    "reason": "KubeletHasNoDiskPressure",
                    "message": "kubelet has no disk pressure",
                },
                {
                    "type": "PIDPressure",
                    "status": "False",
                    "reason": "KubeletHasSufficientPID",
                    "message": "kubelet has sufficient PID available",
                },
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "KubeletReady" if ready else "KubeletNotReady",
                    "message": "kubelet is posting ready status" if ready else "container runtime network not ready",
                },
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f"00000000-0000-4000-8000-{index:012d}",
                "containerRuntimeVersion": "containerd://2.1.4",
                "kernelVersion": "6.12.48-cloud-amd64",
                "kubeProxyVersion": version,
                "kubeletVersion": spec.get("kubelet_version", version),
                "machineID": f"{index:032x}",
                "operatingSystem": "linux",
                "osImage": spec.get("os_image", "Ubuntu 24.04.3 LTS"),
                "systemUUID": f"00000000-0000-4000-9000-{index:012d}",
            },
        },
    }
    if control_plane:
        node["spec"]["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    return node


#: kube-apiserver flags as kubeadm sets them (plus the admission plugin scs-0217 wants); a profile's
#: `control_plane.apiserver_flags` replaces them, `control_plane.visible: false` hides the pods (hosted).
APISERVER_FLAGS = (
    "--advertise-address=10.0.0.10",
    "--allow-privileged=true",
    "--authorization-mode=Node,RBAC",
    "--client-ca-file=/etc/kubernetes/pki/ca.crt",
    "--enable-admission-plugins=NodeRestriction",
    "--enable-bootstrap-token-auth=true",
    "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
    "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
    "--etcd-servers=https://127.0.0.1:2379",
    "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
    "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
    "--secure-port=6443",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
    "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
    "--service-cluster-ip-range=10.96.0.0/12",
    "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
    "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
)


def apiserver_pods(cluster: Cluster, profile: dict[str, Any]) -> None:
    """The kube-apiserver static pods of a kubeadm control plane (mirror pods in kube-system), Running."""
    settings = profile.get("control_plane") or {}
    if not settings.get("visible", True):
        return
    flags = list(settings.get("apiserver_flags") or APISERVER_FLAGS)
    version = profile["version"]["gitVersion"]
    rtype = cluster.type_for_key("/pods")
    assert rtype is not None
    for index, node in enumerate(profile["nodes"]):
        if node.get("role") != "control-plane":
            continue
        pod = cluster.system_create(
            "/pods",
            {
                "metadata": {
                    "name": f"kube-apiserver-{node['name']}",
                    "namespace": "kube-system",
                    "labels": {"component": "kube-apiserver", "tier": "control-plane"},
                    "annotations": {"kubernetes.io/config.source": "file"},
                },
                "spec": {
                    "nodeName": node["name"],
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "containers": [
                        {
                            "name": "kube-apiserver",
                            "image": f"registry.k8s.io/kube-apiserver:{version}",
                            "command": ["kube-apiserver", *flags],
                        }
                    ],
                    "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
                },
            },
        )
        if pod is not None:
            address = f"10.0.0.{10 + index}"
            status = {"phase": "Running", "hostIP": address, "podIP": address, "qosClass": "Burstable"}
            cluster.write_status(rtype, pod, functools.partial(_set_status, status=status))


def _set_status(obj: dict[str, Any], status: dict[str, Any]) -> None:
    obj["status"] = dict(status)


def storage_class_object(spec: dict[str, Any]) -> dict[str, Any]:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if spec.get("default") else {}
    return {
        "metadata": {"name": spec["name"], "annotations": annotations},
        "provisioner": spec["provisioner"],
        "reclaimPolicy": spec.get("reclaim_policy", "Delete"),
        "volumeBindingMode": spec.get("binding_mode", "Immediate"),
        "allowVolumeExpansion": bool(spec.get("allow_expansion", True)),
        "parameters": spec.get("parameters") or {},
    }


def bundled_crds(name: str) -> list[dict[str, Any]]:
    text = resources.files("scs_toolkit.simk8s").joinpath("crds", f"{name}.yaml").read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if d]


def seed(cluster: Cluster, profile: dict[str, Any]) -> None:
    create = cluster.system_create
    for namespace in ("default", "kube-system", "kube-public", "kube-node-lease"):
        create("/namespaces", {"metadata": {"name": namespace}})
    for role in BOOTSTRAP_ROLES:
        create("rbac.authorization.k8s.io/clusterroles", role)
    create(
        "rbac.authorization.k8s.io/clusterrolebindings",
        _binding("cluster-admin", "cluster-admin", "Group", "system:masters"),
    )
    create(
        "rbac.authorization.k8s.io/clusterrolebindings",
        _binding("system:discovery", "system:discovery", "Group", "system:authenticated"),
    )
    create(
        "rbac.authorization.k8s.io/clusterrolebindings",
        _binding("system:basic-user", "system:basic-user", "Group", "system:authenticated"),
    )
    for user, spec in (profile.get("users") or {}).items():
        for role in spec.get("cluster_roles") or []:
            create(
                "rbac.authorization.k8s.io/clusterrolebindings", _binding(f"simk8s:{user}:{role}", role, "User", user)
            )
    for index, spec in enumerate(profile["nodes"]):
        create("/nodes", node_object(spec, profile, index))
    apiserver_pods(cluster, profile)
    for spec in profile.get("storage_classes") or []:
        create("storage.k8s.io/storageclasses", storage_class_object(spec))
    for name in profile.get("crds") or []:
        for crd in bundled_crds(name):
            create("apiextensions.k8s.io/customresourcedefinitions", crd)
    for obj in profile.get("objects") or []:
        rtype = cluster.type_for_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        if rtype is None:
            raise ValueError(f"profile object of unknown kind {obj.get('apiVersion')}/{obj.get('kind')}")
        create(rtype.key, obj)
