"""Server-side printing: `meta.k8s.io/v1` Table responses for `kubectl get`.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the columns the server
chose, so the columns here are those of the API server's printers (`kubectl get storageclass`
shows `standard (default)` because the server says so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._models import parse_time
from ._resources import ResourceType
from ._store import now

Row = list[Any]
Column = tuple[str, str, int]  # name, type, priority (1: only with -o wide)


def human_duration(seconds: float) -> str:
    """The API server's duration.HumanDuration: 45s, 5m10s, 3h, 12d, 2y30d."""
    if seconds < -1:
        return "<invalid>"
    s = max(int(seconds), 0)
    minutes, hours = s // 60, s // 3600
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def age(obj: dict[str, Any], key: str = "creationTimestamp") -> str:
    stamp = (obj.get("metadata") or {}).get(key) if key == "creationTimestamp" else obj.get(key)
    if not stamp:
        return "<unknown>"
    return human_duration((now() - parse_time(stamp)).total_seconds())


def _get(obj: Any, *path: str) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _node_status(node: dict[str, Any]) -> str:
    ready = next((c for c in _get(node, "status", "conditions") or [] if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady" if ready else "Unknown"
    return status + (",SchedulingDisabled" if _get(node, "spec", "unschedulable") else "")


def _roles(node: dict[str, Any]) -> str:
    labels = _get(node, "metadata", "labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k)
    return ",".join(r for r in roles if r) or "<none>"


def _address(node: dict[str, Any], kind: str) -> str:
    return next((a["address"] for a in _get(node, "status", "addresses") or [] if a.get("type") == kind), "<none>")


def _modes(modes: list[str] | None) -> str:
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    return ",".join(short.get(m, m) for m in modes or [])


def _pod_ready(pod: dict[str, Any]) -> str:
    statuses = _get(pod, "status", "containerStatuses") or []
    total = len(_get(pod, "spec", "containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(pod: dict[str, Any]) -> str:
    if _get(pod, "metadata", "deletionTimestamp"):
        return "Terminating"
    for status in _get(pod, "status", "containerStatuses") or []:
        state = status.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            return str(state["waiting"]["reason"])
        if "terminated" in state and _get(pod, "status", "phase") not in ("Succeeded",):
            return str(state["terminated"].get("reason") or "Error")
    return str(_get(pod, "status", "phase") or "Pending")


def _is_default(sc: dict[str, Any]) -> bool:
    annotations = _get(sc, "metadata", "annotations") or {}
    return "true" in (
        annotations.get("storageclass.kubernetes.io/is-default-class"),
        annotations.get("storageclass.beta.kubernetes.io/is-default-class"),
    )


def _name(obj: dict[str, Any]) -> str:
    return str(_get(obj, "metadata", "name"))


PRINTERS: dict[str, tuple[list[Column], Callable[[dict[str, Any]], Row]]] = {
    "/nodes": (
        [
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
            ("External-IP", "string", 1),
            ("OS-Image", "string", 1),
            ("Kernel-Version", "string", 1),
            ("Container-Runtime", "string", 1),
        ],
        lambda n: [
            _name(n),
            _node_status(n),
            _roles(n),
            age(n),
            _get(n, "status", "nodeInfo", "kubeletVersion") or "",
            _address(n, "InternalIP"),
            _address(n, "ExternalIP"),
            _get(n, "status", "nodeInfo", "osImage") or "",
            _get(n, "status", "nodeInfo", "kernelVersion") or "",
            _get(n, "status", "nodeInfo", "containerRuntimeVersion") or "",
        ],
    ),
    "storage.k8s.io/storageclasses": (
        [
            ("Name", "string", 0),
            ("Provisioner", "string", 0),
            ("ReclaimPolicy", "string", 0),
            ("VolumeBindingMode", "string", 0),
            ("AllowVolumeExpansion", "string", 0),
            ("Age", "string", 0),
        ],
        lambda s: [
            _name(s) + (" (default)" if _is_default(s) else ""),
            s.get("provisioner", ""),
            s.get("reclaimPolicy") or "Delete",
            s.get("volumeBindingMode") or "Immediate",
            "true" if s.get("allowVolumeExpansion") else "false",
            age(s),
        ],
    ),
    "/namespaces": (
        [("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
        lambda n: [_name(n), _get(n, "status", "phase") or "Active", age(n)],
    ),
    "/persistentvolumeclaims": (
        [
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Volume", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("StorageClass", "string", 0),
            ("VolumeAttributesClass", "string", 0),
            ("Age", "string", 0),
            ("VolumeMode", "string", 1),
        ],
        lambda c: [
            _name(c),
            _get(c, "status", "phase") or "Pending",
            _get(c, "spec", "volumeName") or "",
            (_get(c, "status", "capacity") or {}).get("storage", ""),
            _modes(_get(c, "status", "accessModes")),
            _get(c, "spec", "storageClassName") or "",
            "<unset>",
            age(c),
            _get(c, "spec", "volumeMode") or "Filesystem",
        ],
    ),
    "/persistentvolumes": (
        [
            ("Name", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("Reclaim Policy", "string", 0),
            ("Status", "string", 0),
            ("Claim", "string", 0),
            ("StorageClass", "string", 0),
            ("VolumeAttributesClass", "string", 0),
            ("Reason", "string", 0),
            ("Age", "string", 0),
        ],
        lambda v: [
            _name(v),
            (_get(v, "spec", "capacity") or {}).get("storage", ""),
            _modes(_get(v, "spec", "accessModes")),
            _get(v, "spec", "persistentVolumeReclaimPolicy") or "",
            _get(v, "status", "phase") or "",
            f"{_get(v, 'spec', 'claimRef', 'namespace')}/{_get(v, 'spec', 'claimRef', 'name')}"
            if _get(v, "spec", "claimRef")
            else "",
            _get(v, "spec", "storageClassName") or "",
            "<unset>",
            _get(v, "status", "reason") or "",
            age(v),
        ],
    ),
    "/pods": (
        [
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        lambda p: [
            _name(p),
            _pod_ready(p),
            _pod_status(p),
            str(sum(s.get("restartCount", 0) for s in _get(p, "status", "containerStatuses") or [])),
            age(p),
            _get(p, "status", "podIP") or "<none>",
            _get(p, "spec", "nodeName") or "<none>",
            "<none>",
            "<none>",
        ],
    ),
    "/events": (
        [
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
        ],
        lambda e: [
            age(e, "lastTimestamp") if e.get("lastTimestamp") else age(e),
            e.get("type", ""),
            e.get("reason", ""),
            f"{str(_get(e, 'involvedObject', 'kind') or '').lower()}/{_get(e, 'involvedObject', 'name')}",
            e.get("message", ""),
        ],
    ),
    "/configmaps": (
        [("Name", "string", 0), ("Data", "string", 0), ("Age", "string", 0)],
        lambda c: [_name(c), str(len(c.get("data") or {}) + len(c.get("binaryData") or {})), age(c)],
    ),
    "/secrets": (
        [("Name", "string", 0), ("Type", "string", 0), ("Data", "string", 0), ("Age", "string", 0)],
        lambda s: [_name(s), s.get("type", "Opaque"), str(len(s.get("data") or {})), age(s)],
    ),
    "/serviceaccounts": (
        [("Name", "string", 0), ("Secrets", "string", 0), ("Age", "string", 0)],
        lambda s: [_name(s), str(len(s.get("secrets") or [])), age(s)],
    ),
}


def _json_path(obj: Any, path: str) -> str:
    value = obj
    for part in path.strip("{}").lstrip(".").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value) if not isinstance(value, bool) else str(value).lower()


def columns_and_row(rtype: ResourceType) -> tuple[list[Column], Callable[[dict[str, Any]], Row]]:
    if rtype.key in PRINTERS:
        return PRINTERS[rtype.key]
    if rtype.printer_columns:
        extra = [(c["name"], c.get("type", "string"), int(c.get("priority", 0))) for c in rtype.printer_columns]
        has_age = any(c["name"].lower() == "age" for c in rtype.printer_columns)
        columns: list[Column] = [("Name", "string", 0), *extra] + ([] if has_age else [("Age", "date", 0)])

        def custom(obj: dict[str, Any]) -> Row:
            cells: Row = [_name(obj)]
            for column in rtype.printer_columns:
                value = _json_path(obj, column.get("jsonPath", ""))
                if column.get("type") == "date" and value:
                    value = human_duration((now() - parse_time(value)).total_seconds())
                cells.append(value)
            return cells + ([] if has_age else [age(obj)])

        return columns, custom
    return [("Name", "string", 0), ("Created At", "date", 0)], lambda o: [
        _name(o),
        _get(o, "metadata", "creationTimestamp"),
    ]


def table(
    rtype: ResourceType, objects: list[dict[str, Any]], revision: str, include: str, with_columns: bool = True
) -> dict[str, Any]:
    """A Table of `objects`; `include` is the includeObject parameter (None, Metadata, Object)."""
    columns, row = columns_and_row(rtype)
    rows = []
    for obj in objects:
        entry: dict[str, Any] = {"cells": row(obj)}
        if include == "Object":
            entry["object"] = obj
        elif include != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(entry)
    definitions = [
        {
            "name": name,
            "type": kind if kind != "date" else "string",
            "format": "name" if name == "Name" else "",
            "description": name,
            "priority": priority,
        }
        for name, kind, priority in columns
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": revision},
        "columnDefinitions": definitions if with_columns else [],
        "rows": rows,
    }
