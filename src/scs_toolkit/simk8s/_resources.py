"""The resource types the simulated API server serves: built-in kinds and those CRDs define.

One `ResourceType` per group/version/plural drives discovery, OpenAPI, RBAC attributes, URL
routing and validation, so adding a kind is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_ONLY_VERBS = ("get", "list", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    #: Name of the `kubernetes.client` model class; None for custom resources (unstructured).
    model: str | None
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    #: For custom resources: the CRD's openAPIV3Schema of this version and its printer columns.
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Storage key: one per group and plural, shared by all versions of a kind."""
        return f"{self.group}/{self.plural}"

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def url_prefix(self) -> str:
        return f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"


def _core(kind: str, plural: str, namespaced: bool, model: str, **extra: Any) -> ResourceType:
    return ResourceType("", "v1", kind, plural, namespaced, model, **extra)


BUILTIN = (
    _core("Namespace", "namespaces", False, "V1Namespace", short_names=("ns",), subresources=("status", "finalize")),
    _core("Node", "nodes", False, "V1Node", short_names=("no",), subresources=("status",)),
    _core("Pod", "pods", True, "V1Pod", short_names=("po",), categories=("all",), subresources=("status", "log")),
    _core(
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        True,
        "V1PersistentVolumeClaim",
        short_names=("pvc",),
        subresources=("status",),
    ),
    _core(
        "PersistentVolume",
        "persistentvolumes",
        False,
        "V1PersistentVolume",
        short_names=("pv",),
        subresources=("status",),
    ),
    _core("Event", "events", True, "CoreV1Event", short_names=("ev",)),
    _core("ConfigMap", "configmaps", True, "V1ConfigMap", short_names=("cm",)),
    _core("Secret", "secrets", True, "V1Secret"),
    _core("ServiceAccount", "serviceaccounts", True, "V1ServiceAccount", short_names=("sa",)),
    _core(
        "Service", "services", True, "V1Service", short_names=("svc",), categories=("all",), subresources=("status",)
    ),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, "V1StorageClass", ("sc",)),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, "V1ClusterRole"),
    ResourceType(
        "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False, "V1ClusterRoleBinding"
    ),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True, "V1Role"),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True, "V1RoleBinding"),
    ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, "V1NetworkPolicy", ("netpol",)),
    ResourceType("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, "V1IngressClass"),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        "V1CustomResourceDefinition",
        ("crd", "crds"),
        subresources=("status",),
    ),
    ResourceType(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        "V1SelfSubjectAccessReview",
        verbs=("create",),
    ),
)

#: Preferred version per group, in the order discovery lists the groups.
GROUP_ORDER = (
    "",
    "apiextensions.k8s.io",
    "authorization.k8s.io",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
)

#: Strategic-merge-patch metadata of the built-in types, from the Go struct tags
#: (`patchStrategy`, `patchMergeKey`): model class -> JSON field -> (strategy, merge key).
#: Lists not named here are atomic (replaced whole), as in the API server.
PATCH_META: dict[str, dict[str, tuple[str, str | None]]] = {
    "V1ObjectMeta": {"finalizers": ("merge", None), "ownerReferences": ("merge", "uid")},
    "V1PodSpec": {
        "containers": ("merge", "name"),
        "initContainers": ("merge", "name"),
        "ephemeralContainers": ("merge", "name"),
        "volumes": ("merge,retainKeys", "name"),
        "imagePullSecrets": ("merge", "name"),
        "hostAliases": ("merge", "ip"),
        "topologySpreadConstraints": ("merge", "topologyKey"),
        "resourceClaims": ("merge,retainKeys", "name"),
        "schedulingGates": ("merge", "name"),
    },
    "V1Container": {
        "ports": ("merge", "containerPort"),
        "env": ("merge", "name"),
        "volumeMounts": ("merge", "mountPath"),
        "volumeDevices": ("merge", "devicePath"),
    },
    "V1PodStatus": {"conditions": ("merge", "type")},
    "V1NodeStatus": {"conditions": ("merge", "type"), "addresses": ("merge", "type")},
    "V1NodeSpec": {"podCIDRs": ("merge", None)},
    "V1PersistentVolumeClaimStatus": {"conditions": ("merge", "type")},
    "V1NamespaceStatus": {"conditions": ("merge", "type")},
    "V1ServiceSpec": {"ports": ("merge", "port")},
    "V1ServiceAccount": {"secrets": ("merge", "name")},
}


def builtin_types() -> tuple[ResourceType, ...]:
    return BUILTIN


def crd_types(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types one CustomResourceDefinition serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    result = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        result.append(
            ResourceType(
                group=spec.get("group", ""),
                version=version["name"],
                kind=names.get("kind", ""),
                plural=names.get("plural", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                model=None,
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(sorted((version.get("subresources") or {}).keys())),
                schema=schema,
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
            )
        )
    return result
