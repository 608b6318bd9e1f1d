"""An immutable snapshot of what a Kubernetes cluster shows through its API, fetched once for all KaaS checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
HOST = "topology.scs.community/host-id"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ServerVersion:
    """`/version` as the API server answers it (`gitVersion` such as `v1.37.3`)."""

    git_version: str
    major: str = ""
    minor: str = ""
    platform: str = ""


@dataclass(frozen=True)
class Node:
    name: str
    labels: Mapping[str, str] = field(default_factory=_empty)
    ready: bool = True
    kubelet_version: str = ""

    @property
    def control_plane(self) -> bool:
        return CONTROL_PLANE in self.labels or "node-role.kubernetes.io/master" in self.labels


@dataclass(frozen=True)
class StorageClass:
    name: str
    provisioner: str
    annotations: Mapping[str, str] = field(default_factory=_empty)
    reclaim_policy: str = "Delete"
    binding_mode: str = "Immediate"
    allow_expansion: bool = False

    @property
    def is_default(self) -> bool:
        return self.annotations.get(DEFAULT_CLASS) == "true"


@dataclass(frozen=True)
class IngressClass:
    name: str
    controller: str
    is_default: bool = False


@dataclass(frozen=True)
class ControlPlanePod:
    """A kube-apiserver pod of kube-system (visible on kubeadm-style clusters only): its command line."""

    name: str
    node: str
    command: tuple[str, ...] = ()

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (the last one wins, as for the API server's flag parser)."""
        value = None
        for arg in self.command:
            if arg.startswith(f"--{name}="):
                value = arg.split("=", 1)[1]
        return value


@dataclass(frozen=True)
class KaasSnapshot:
    """Parts that could not be fetched are None, with the reason in `errors` (their checks ABORT)."""

    taken_at: dt.datetime
    context: str = ""
    server: str = ""
    #: The client verifies the server's certificate (no insecure-skip-tls-verify in the context).
    tls_verified: bool = True
    version: ServerVersion | None = None
    nodes: tuple[Node, ...] | None = None
    storage_classes: tuple[StorageClass, ...] | None = None
    #: Served group versions from discovery, e.g. `networking.k8s.io/v1`, `v1`.
    api_groups: tuple[str, ...] | None = None
    #: Served resources per group version (discovery), e.g. `networking.k8s.io/v1` -> (`networkpolicies`, ...).
    api_resources: Mapping[str, tuple[str, ...]] | None = None
    ingress_classes: tuple[IngressClass, ...] | None = None
    #: kube-apiserver pods of kube-system; empty on hosted control planes (not visible through the API).
    apiserver_pods: tuple[ControlPlanePod, ...] | None = None
    #: Node name -> the kubelet's configuration (`/api/v1/nodes/<n>/proxy/configz`, key `kubeletconfig`).
    kubelet_configs: Mapping[str, Mapping[str, Any]] | None = None
    errors: Mapping[str, str] = field(default_factory=_empty)
