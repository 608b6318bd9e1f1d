"""Inventories built by hand, for planner tests that need no cloud: what a snapshot would hold."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any

from scs_toolkit import flavor_names, standards
from scs_toolkit.collect import Flavor, IaasSnapshot, Image, VolumeType
from scs_toolkit.fix import Inventory, Selection
from scs_toolkit.fix._inventory import ImageDetail, RuleDetail, VolumeTypeDetail
from scs_toolkit.fix._model import frozen

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
SCOPE = standards.load_scope("scs-compatible-iaas")


def selection(tests: str | None = None, **kwargs: Any) -> Selection:
    return Selection(SCOPE, tests, on=NOW.date(), **kwargs)


def flavor(name: str, vcpus: int, ram: int, disk: int = 0, flavor_id: str | None = None, **specs: str) -> Flavor:
    return Flavor(flavor_id or f"id-{name}", name, vcpus, ram, disk, MappingProxyType(dict(specs)))


def standard_flavors(skip: tuple[str, ...] = ()) -> list[Flavor]:
    """Every scs-0103 flavor as the standard wants it (with hw_rng:allowed), but those in `skip`."""
    result = []
    for standard in standards.mandatory_flavors():
        if standard.name in skip:
            continue
        specs = {**flavor_names.extra_specs(flavor_names.parse(standard.name).flavor), "hw_rng:allowed": "True"}
        result.append(
            Flavor(
                f"id-{standard.name}",
                standard.name,
                standard.cpus,
                standard.ram_mib,
                standard.disk_gb or 0,
                MappingProxyType(specs),
            )
        )
    return result


GOOD_IMAGE: dict[str, str] = {
    "architecture": "x86_64",
    "os_distro": "ubuntu",
    "os_version": "24.04",
    "os_purpose": "generic",
    "hw_disk_bus": "scsi",
    "hypervisor_type": "qemu",
    "hw_rng_model": "virtio",
    "image_build_date": "2026-05-20",
    "image_original_user": "ubuntu",
    "image_source": "https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img",
    "image_description": "https://ubuntu.com/server/docs/cloud-images/introduction",
    "replace_frequency": "monthly",
    "provided_until": "none",
    "uuid_validity": "last-3",
    "hotfix_hours": "0",
}


def image(
    name: str = "Ubuntu 24.04",
    image_id: str | None = None,
    drop: tuple[str, ...] = (),
    min_disk: int = 8,
    min_ram: int = 512,
    size: int = 2**30,
    created_at: str = "2026-05-21T10:00:00Z",
    **props: str,
) -> Image:
    properties = {k: v for k, v in {**GOOD_IMAGE, **props}.items() if k not in drop}
    return Image(
        image_id or f"id-{name}",
        name,
        "public",
        False,
        min_disk,
        min_ram,
        size,
        created_at,
        "sha512",
        MappingProxyType(properties),
    )


GOOD_RULES: list[dict[str, Any]] = [
    {"direction": "egress", "ethertype": "IPv4", "used_in_default_sg": True, "used_in_non_default_sg": True},
    {"direction": "egress", "ethertype": "IPv6", "used_in_default_sg": True, "used_in_non_default_sg": True},
    {
        "direction": "ingress",
        "ethertype": "IPv4",
        "remote_group_id": "PARENT",
        "used_in_default_sg": True,
        "used_in_non_default_sg": False,
    },
]


def rule(rule_id: str, **values: Any) -> RuleDetail:
    base = {
        "direction": "egress",
        "ethertype": "IPv4",
        "protocol": None,
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
        "remote_address_group_id": None,
        "used_in_default_sg": True,
        "used_in_non_default_sg": True,
    }
    return RuleDetail(rule_id, frozen({**base, **values}))


GOOD_TYPES = [
    VolumeType("t-default", "__DEFAULT__", "Default Volume Type"),
    VolumeType("t-luks", "LUKS", "[scs:encrypted] LUKS"),
    VolumeType("t-rep", "replicated", "[scs:encrypted, replicated] three copies"),
]


def inventory(
    flavors: list[Flavor] | None = None,
    images: list[Image] | None = None,
    volume_types: list[VolumeType] | None = None,
    rules: list[RuleDetail] | None = None,
    admin: bool = True,
    details: dict[str, ImageDetail] | None = None,
    type_details: dict[str, VolumeTypeDetail] | None = None,
    project_id: str = "admin-project",
) -> Inventory:
    rules = rules if rules is not None else [rule(f"r{i}", **values) for i, values in enumerate(GOOD_RULES)]
    images = images if images is not None else [image()]
    snapshot = IaasSnapshot(
        taken_at=NOW,
        flavors=tuple(flavors if flavors is not None else standard_flavors()),
        images=tuple(images),
        volume_types=tuple(volume_types if volume_types is not None else GOOD_TYPES),
        catalog=(),
        roles=("admin", "member") if admin else ("member",),
    )
    owned = details if details is not None else {i.id: ImageDetail(i.id, project_id, i.size, None) for i in images}
    types = type_details if type_details is not None else {}
    return Inventory(snapshot, project_id, admin, MappingProxyType(owned), None, MappingProxyType(types)).with_rules(
        tuple(rules)
    )
