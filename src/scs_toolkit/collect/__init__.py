"""Fetch what a cloud offers, once and concurrently, into immutable snapshots for the checks."""

from __future__ import annotations

from ._k8s_snapshot import IngressClass, KaasSnapshot, Node, ServerVersion, StorageClass
from ._kubernetes import KubeConnection, KubeSpec, collect_kaas, connect_kube, kube_contexts, resolve_context
from ._login import ENVIRONMENT_CLOUD, CloudError, CloudSpec, authenticate, cloud_names, connect, login_error, resolve
from ._openstack import collect_iaas
from ._snapshot import CatalogEntry, DefaultRule, Flavor, IaasSnapshot, Image, VolumeType

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
