"""Flavor properties and extra_specs that scs-0100 v3 / scs-0103 expect on a flavor of a given name."""

from __future__ import annotations

from . import _tables as t
from ._model import FlavorName
from ._render import render, shorten


def name_variants(flavor: FlavorName) -> list[str]:
    """Names to advertise as `scs:name-vN`: v1 and v2 spelling of the full and the short name.

    Ordered longest first, v1 before v2 on ties, duplicates dropped: the order the official
    tooling uses, so the numbering agrees with SCS-Spec.MandatoryFlavors.
    """
    short = shorten(flavor)
    names = {render(flavor, "v1"), render(flavor, "v2"), render(short, "v1"), render(short, "v2")}
    return sorted(names, key=lambda name: (-len(name), ":" not in name, name))


def extra_specs(flavor: FlavorName) -> dict[str, str]:
    """The `scs:` extra_specs for `flavor`; an unspecified disk type is advertised as network."""
    specs = {"scs:cpu-type": t.CPU_TYPE_EXTRA_SPEC[flavor.cpu_type]}
    disk = flavor.disk
    if disk is not None:
        disk_type = t.DISK_TYPE_EXTRA_SPEC[disk.type] if disk.type else "network"
        for index in range(disk.count):
            specs[f"scs:disk{index}-type"] = disk_type
    for number, name in enumerate(name_variants(flavor), start=1):
        specs[f"scs:name-v{number}"] = name
    return specs


def nova_properties(flavor: FlavorName) -> dict[str, int | None]:
    """What Nova must report for such a flavor: vcpus, ram in MiB, root disk in GB (None: unset)."""
    disk = flavor.disk
    return {
        "vcpus": flavor.cpus,
        "ram_mib": int(flavor.ram_gib * 1024),
        "disk_gb": disk.size_gb if disk is not None else 0,
    }
