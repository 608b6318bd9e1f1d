"""Defaulting and validation per kind: what the API server's admission chain and the type
registries do before an object is stored (default storage class, pod defaults, name rules, ...).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from ._errors import ApiError, invalid
from ._resources import ResourceType
from ._store import Store

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
#: Kinds whose names must be DNS labels (63 characters, no dots).
LABEL_NAMED = frozenset({"namespaces", "services"})
#: Kinds whose names are free-form paths segments (RBAC allows `system:...`).
PATH_NAMED = frozenset({"clusterroles", "clusterrolebindings", "roles", "rolebindings"})
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"


def validate_name(rtype: ResourceType, name: str) -> None:
    if rtype.plural in PATH_NAMED:
        if "/" in name or "%" in name or name in (".", ".."):
            raise invalid(
                rtype.kind,
                rtype.group,
                name,
                [("metadata.name", "FieldValueInvalid", f"Invalid value: \"{name}\": may not contain '/' or '%'")],
            )
        return
    pattern, limit, what = (
        (DNS_LABEL, 63, "RFC 1123 label") if rtype.plural in LABEL_NAMED else (DNS_SUBDOMAIN, 253, "RFC 1123 subdomain")
    )
    if len(name) > limit or not pattern.match(name):
        characters = "'-'" if rtype.plural in LABEL_NAMED else "'-' or '.'"
        message = (
            f'Invalid value: "{name}": a lowercase {what} must consist of lower case alphanumeric characters, '
            f"{characters}, and must start and end with an alphanumeric character"
        )
        raise invalid(rtype.kind, rtype.group, name, [("metadata.name", "FieldValueInvalid", message)])


def default_storage_class(store: Store) -> dict[str, Any] | None:
    """The newest class annotated as default (the admission plugin picks the newest of several)."""
    defaults = [
        sc
        for sc in store.list("storage.k8s.io/storageclasses")
        if any((sc["metadata"].get("annotations") or {}).get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS)
    ]
    defaults.sort(key=lambda sc: (sc["metadata"].get("creationTimestamp", ""), sc["metadata"]["name"]))
    return defaults[-1] if defaults else None


def on_create(store: Store, rtype: ResourceType, obj: dict[str, Any]) -> None:
    """Defaults and checks for a new object (mutates `obj`); raises ApiError when it is invalid."""
    meta = obj["metadata"]
    name = meta["name"]
    handler = _CREATE.get(rtype.key)
    if handler is not None:
        handler(store, rtype, obj, name)
    if rtype.key == "/namespaces":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name


def on_write(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """Normalizations for every write (create, update, patch)."""
    if rtype.key == "/secrets":
        string_data = obj.pop("stringData", None) or {}
        data = obj.setdefault("data", {}) if string_data else obj.get("data")
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()  # type: ignore[index]


def _namespace(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj["status"] = {"phase": "Active"}


def _pvc(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    spec = obj.setdefault("spec", {})
    causes = []
    if not spec.get("accessModes"):
        causes.append(("spec.accessModes", "FieldValueRequired", "Required value: at least 1 access mode is required"))
    if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
        causes.append(("spec.resources[storage]", "FieldValueRequired", "Required value"))
    if causes:
        raise invalid(rtype.kind, rtype.group, name, causes)
    if spec.get("storageClassName") is None:
        default = default_storage_class(store)
        if default is not None:
            spec["storageClassName"] = default["metadata"]["name"]
    spec.setdefault("volumeMode", "Filesystem")
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if PVC_PROTECTION not in finalizers:
        finalizers.append(PVC_PROTECTION)
    obj["status"] = {"phase": "Pending"}


def _pv(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    obj.setdefault("spec", {}).setdefault("persistentVolumeReclaimPolicy", "Retain")
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if PV_PROTECTION not in finalizers:
        finalizers.append(PV_PROTECTION)
    obj.setdefault("status", {"phase": "Available"})


def _storage_class(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    if not obj.get("provisioner"):
        raise invalid(rtype.kind, rtype.group, name, [("provisioner", "FieldValueRequired", "Required value")])
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def _pod(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    spec = obj.setdefault("spec", {})
    namespace = obj["metadata"]["namespace"]
    if not spec.get("containers"):
        raise invalid(rtype.kind, rtype.group, name, [("spec.containers", "FieldValueRequired", "Required value")])
    account = spec.setdefault("serviceAccountName", "default")
    if store.get("/serviceaccounts", namespace, account) is None:
        raise ApiError(
            403,
            f'pods "{name}" is forbidden: error looking up service account {namespace}/{account}: '
            f'serviceaccount "{account}" not found',
            name=name,
            kind="pods",
        )
    for claim in _claims(obj):
        if not claim:
            raise invalid(
                rtype.kind,
                rtype.group,
                name,
                [("spec.volumes.persistentVolumeClaim.claimName", "FieldValueRequired", "Required value")],
            )
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault(
        "tolerations",
        [
            {"key": f"node.kubernetes.io/{t}", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            for t in ("not-ready", "unreachable")
        ],
    )
    for container in [*spec.get("initContainers", []), *spec["containers"]]:
        image = str(container.get("image", ""))
        tag = image.rsplit("/", 1)[-1]
        latest = ":" not in tag or tag.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
    obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}


def _claims(pod: dict[str, Any]) -> list[str]:
    return [
        str((v.get("persistentVolumeClaim") or {}).get("claimName") or "")
        for v in (pod.get("spec") or {}).get("volumes") or []
        if "persistentVolumeClaim" in v
    ]


def pod_claims(pod: dict[str, Any]) -> list[str]:
    return _claims(pod)


def _secret(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"  # the API server defaults an empty type too


def _service(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if spec.get("clusterIP") != "None":
        index = store.count("/services") + 10
        spec["clusterIP"] = f"10.96.{index // 250}.{index % 250 + 1}"
        spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    obj.setdefault("status", {"loadBalancer": {}})


def _crd(store: Store, rtype: ResourceType, obj: dict[str, Any], name: str) -> None:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    expected = f"{names.get('plural')}.{spec.get('group')}"
    if name != expected:
        raise invalid(
            rtype.kind,
            rtype.group,
            name,
            [
                (
                    "metadata.name",
                    "FieldValueInvalid",
                    f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
                )
            ],
        )
    storage = [v for v in spec.get("versions") or [] if v.get("storage")]
    if len(storage) != 1:
        raise invalid(
            rtype.kind,
            rtype.group,
            name,
            [
                (
                    "spec.versions",
                    "FieldValueInvalid",
                    "Invalid value: must have exactly one version marked as storage version",
                )
            ],
        )
    obj["status"] = {
        "acceptedNames": names,
        "storedVersions": [storage[0]["name"]],
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
    }


_CREATE = {
    "/namespaces": _namespace,
    "/persistentvolumeclaims": _pvc,
    "/persistentvolumes": _pv,
    "/pods": _pod,
    "/secrets": _secret,
    "/services": _service,
    "storage.k8s.io/storageclasses": _storage_class,
    "apiextensions.k8s.io/customresourcedefinitions": _crd,
}
