"""An immutable snapshot of what an IaaS cloud offers, fetched once and shared by all checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    ram_mib: int
    disk_gb: int
    extra_specs: Mapping[str, str] = field(default_factory=_empty)
    public: bool = True


@dataclass(frozen=True)
class Image:
    """A Glance image; `properties` holds everything beyond Glance's own fields (architecture, os_distro, ...)."""

    id: str
    name: str
    visibility: str
    hidden: bool
    min_disk: int
    min_ram: int
    size: int | None
    created_at: str | None
    hash_algo: str | None = None
    properties: Mapping[str, str] = field(default_factory=_empty)
    #: Bytes the disk takes when unpacked (qcow2 is smaller as a file); None where Glance does not know it.
    virtual_size: int | None = None


@dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str | None


@dataclass(frozen=True)
class CatalogEntry:
    type: str
    name: str
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class DefaultRule:
    """A Neutron default security group rule template (scs-0115)."""

    direction: str
    ethertype: str
    remote_group_id: str | None
    remote_ip_prefix: str | None
    used_in_default_sg: bool
    used_in_non_default_sg: bool
    #: None: any protocol (and then no ports); an egress rule allows "all egress" only like that.
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None


@dataclass(frozen=True)
class IaasSnapshot:
    """Parts that could not be fetched are None, with the reason in `errors` (their checks ABORT)."""

    taken_at: dt.datetime
    flavors: tuple[Flavor, ...] | None = None
    images: tuple[Image, ...] | None = None
    volume_types: tuple[VolumeType, ...] | None = None
    catalog: tuple[CatalogEntry, ...] | None = None
    #: None with an error: fetch failed; None without: the cloud has no default-rules API.
    default_rules: tuple[DefaultRule, ...] | None = None
    roles: tuple[str, ...] | None = None
    errors: Mapping[str, str] = field(default_factory=_empty)
