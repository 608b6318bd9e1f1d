"""API discovery: `/version`, the legacy documents (`/api`, `/apis`, `/apis/<g>/<v>`) and the
aggregated form (`apidiscovery.k8s.io/v2`, one request instead of one per group version) that
kubectl asks for first; built from the client's discovery models.
"""

from __future__ import annotations

import re
from typing import Any

from kubernetes.client import (
    V1APIGroup,
    V1APIGroupList,
    V1APIResource,
    V1APIResourceList,
    V1APIVersions,
    V1GroupVersionForDiscovery,
    V1GroupVersionKind,
    V1ObjectMeta,
    V1ServerAddressByClientCIDR,
    V2APIGroupDiscovery,
    V2APIGroupDiscoveryList,
    V2APIResourceDiscovery,
    V2APISubresourceDiscovery,
    V2APIVersionDiscovery,
    VersionInfo,
)

from ._models import to_wire
from ._resources import GROUP_ORDER, ResourceType

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_SUB_VERBS = {
    "status": ["get", "patch", "update"],
    "log": ["get"],
    "finalize": ["update"],
    "scale": ["get", "patch", "update"],
}


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version order: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > anything else."""
    match = _VERSION.match(version)
    if not match:
        return (0, 0, 0)
    stage = {"alpha": 1, "beta": 2, None: 3}[match.group(2)]
    return (stage, int(match.group(1)), int(match.group(3) or 0))


def version_info(spec: dict[str, Any]) -> dict[str, Any]:
    git_version = str(spec["gitVersion"])
    major, minor = git_version.lstrip("v").split(".")[:2]
    info = VersionInfo(
        major=major,
        minor=minor,
        emulation_major=major,
        emulation_minor=minor,
        min_compatibility_major=major,
        min_compatibility_minor=str(max(int(minor) - 1, 0)),
        git_version=git_version,
        git_commit=str(spec.get("gitCommit", "0" * 40)),
        git_tree_state="clean",
        build_date=_build_date(str(spec.get("buildDate", ""))),
        go_version=str(spec.get("goVersion", "go1.25.0")),
        compiler="gc",
        platform="linux/amd64",
    )
    return to_wire(info)


def _build_date(text: str) -> str:
    """Profiles give dates (2026-11-17); the API server reports a moment (2026-11-17T00:00:00Z)."""
    return f"{text}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text


def _groups(types: list[ResourceType]) -> dict[str, list[str]]:
    """Group -> served versions, preferred first."""
    groups: dict[str, set[str]] = {}
    for rtype in types:
        groups.setdefault(rtype.group, set()).add(rtype.version)
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    return {
        g: sorted(versions, key=version_priority, reverse=True)
        for g, versions in sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    }


def api_versions(address: str) -> dict[str, Any]:
    return to_wire(
        V1APIVersions(
            kind="APIVersions",
            versions=["v1"],
            server_address_by_client_cidrs=[
                V1ServerAddressByClientCIDR(client_cidr="0.0.0.0/0", server_address=address)
            ],
        )
    )


def _api_group(name: str, versions: list[str]) -> V1APIGroup:
    listed = [V1GroupVersionForDiscovery(group_version=f"{name}/{v}", version=v) for v in versions]
    return V1APIGroup(name=name, versions=listed, preferred_version=listed[0])


def api_group_list(types: list[ResourceType]) -> dict[str, Any]:
    groups = [_api_group(g, vs) for g, vs in _groups(types).items() if g]
    return to_wire(V1APIGroupList(kind="APIGroupList", api_version="v1", groups=groups))


def api_group(types: list[ResourceType], name: str) -> dict[str, Any] | None:
    versions = _groups(types).get(name)
    if not versions or not name:
        return None
    return to_wire(_api_group(name, versions).model_copy(update={"kind": "APIGroup", "api_version": "v1"}))


def resource_list(types: list[ResourceType], group: str, version: str) -> dict[str, Any] | None:
    selected = [t for t in types if (t.group, t.version) == (group, version)]
    if not selected:
        return None
    resources = []
    for rtype in sorted(selected, key=lambda t: t.plural):
        resources.append(
            V1APIResource(
                name=rtype.plural,
                singular_name=rtype.singular,
                namespaced=rtype.namespaced,
                kind=rtype.kind,
                verbs=list(rtype.verbs),
                short_names=list(rtype.short_names) or None,
                categories=list(rtype.categories) or None,
            )
        )
        for sub in rtype.subresources:
            resources.append(
                V1APIResource(
                    name=f"{rtype.plural}/{sub}",
                    singular_name="",
                    namespaced=rtype.namespaced,
                    kind=rtype.kind,
                    verbs=_SUB_VERBS.get(sub, ["get"]),
                )
            )
    group_version = f"{group}/{version}" if group else version
    return to_wire(
        V1APIResourceList(kind="APIResourceList", api_version="v1", group_version=group_version, resources=resources)
    )


def aggregated(types: list[ResourceType], core: bool) -> dict[str, Any]:
    """`/api` (core=True) or `/apis` as an APIGroupDiscoveryList."""
    items = []
    for group, versions in _groups(types).items():
        if (group == "") != core:
            continue
        listed = []
        for version in versions:
            resources = []
            for rtype in sorted((t for t in types if (t.group, t.version) == (group, version)), key=lambda t: t.plural):
                kind = V1GroupVersionKind(group=group, version=version, kind=rtype.kind)
                resources.append(
                    V2APIResourceDiscovery(
                        resource=rtype.plural,
                        response_kind=kind,
                        scope="Namespaced" if rtype.namespaced else "Cluster",
                        singular_resource=rtype.singular,
                        verbs=list(rtype.verbs),
                        short_names=list(rtype.short_names) or None,
                        categories=list(rtype.categories) or None,
                        subresources=[
                            V2APISubresourceDiscovery(
                                subresource=sub,
                                response_kind=kind if sub != "log" else None,
                                verbs=_SUB_VERBS.get(sub, ["get"]),
                            )
                            for sub in rtype.subresources
                        ]
                        or None,
                    )
                )
            listed.append(V2APIVersionDiscovery(version=version, resources=resources, freshness="Current"))
        items.append(V2APIGroupDiscovery(metadata=V1ObjectMeta(name=group or None), versions=listed))
    document = V2APIGroupDiscoveryList(
        kind="APIGroupDiscoveryList", api_version="apidiscovery.k8s.io/v2", metadata={}, items=items
    )
    wire = to_wire(document)
    wire.setdefault("metadata", {})
    for item in wire["items"]:
        item.setdefault("metadata", {})
    return wire
