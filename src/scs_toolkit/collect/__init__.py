"""Fetch what a cloud offers, once and concurrently, into immutable snapshots for the checks.

The names below load with their module on first use (PEP 562): `scs check` imports `_early_login`
first thing, and every module imported on the way delays its first API request.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._k8s_snapshot import IngressClass, KaasSnapshot, Node, ServerVersion, StorageClass
    from ._kubernetes import (
        KubeConnection,
        KubeSpec,
        collect_kaas,
        connect_kube,
        kube_contexts,
        resolve_context,
    )
    from ._login import (
        ENVIRONMENT_CLOUD,
        CloudError,
        CloudSpec,
        authenticate,
        cloud_names,
        connect,
        login_error,
        resolve,
    )
    from ._openstack import collect_iaas
    from ._snapshot import CatalogEntry, DefaultRule, Flavor, IaasSnapshot, Image, VolumeType

_MODULES = {
    "._k8s_snapshot": ("IngressClass", "KaasSnapshot", "Node", "ServerVersion", "StorageClass"),
    "._kubernetes": ("KubeConnection", "KubeSpec", "collect_kaas", "connect_kube", "kube_contexts", "resolve_context"),
    "._login": (
        "ENVIRONMENT_CLOUD",
        "CloudError",
        "CloudSpec",
        "authenticate",
        "cloud_names",
        "connect",
        "login_error",
        "resolve",
    ),
    "._openstack": ("collect_iaas",),
    "._snapshot": ("CatalogEntry", "DefaultRule", "Flavor", "IaasSnapshot", "Image", "VolumeType"),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ENVIRONMENT_CLOUD",
    "CatalogEntry",
    "CloudError",
    "CloudSpec",
    "DefaultRule",
    "Flavor",
    "IaasSnapshot",
    "Image",
    "IngressClass",
    "KaasSnapshot",
    "KubeConnection",
    "KubeSpec",
    "Node",
    "ServerVersion",
    "StorageClass",
    "VolumeType",
    "authenticate",
    "cloud_names",
    "collect_iaas",
    "collect_kaas",
    "connect",
    "connect_kube",
    "kube_contexts",
    "login_error",
    "resolve",
    "resolve_context",
]
