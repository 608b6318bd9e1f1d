"""Typed, immutable representation of a parsed scs-0100 flavor name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ._tables import GrammarVersion

CpuType = Literal["L", "V", "T", "C"]
DiskType = Literal["n", "h", "s", "p"]
CpuVendor = Literal["i", "z", "a", "r"]
GpuKind = Literal["G", "g"]
GpuVendor = Literal["N", "A", "I"]
Hypervisor = Literal["kvm", "xen", "vmw", "hyv", "bms", "chy"]


@dataclass(frozen=True)
class Disk:
    """Root disk(s): `size_gb` None means the cloud picks the size, `type` None means unspecified."""

    count: int = 1
    size_gb: int | None = None
    type: DiskType | None = None


@dataclass(frozen=True)
class CpuArch:
    """CPU vendor, generation (None = not stated) and all-core frequency class (0..3 = '' .. 'hhh')."""

    vendor: CpuVendor
    generation: int | None = None
    frequency: int = 0


@dataclass(frozen=True)
class Gpu:
    """GPU component; `generation` is the vendor-specific token ('a', '3.1', '0.95')."""

    kind: GpuKind
    vendor: GpuVendor
    generation: str | None = None
    units: int | None = None
    unit_frequency: int = 0
    vram_gib: int | None = None
    vram_bandwidth: int = 0


@dataclass(frozen=True)
class FlavorName:
    """Everything an SCS flavor name states about a flavor.

    Equality compares the properties only, so two spellings of one flavor (`SCS-2V-4.0` and
    `SCS-2V-4`, or a v1 and a v2 name) compare equal.
    """

    cpus: int
    cpu_type: CpuType
    ram_gib: float
    insecure: bool = False
    ram_no_ecc: bool = False
    ram_oversubscribed: bool = False
    disk: Disk | None = None
    hypervisor: Hypervisor | None = None
    hw_virt: bool = False
    arch: CpuArch | None = None
    gpu: Gpu | None = None
    infiniband: bool = False

    @property
    def bare_metal(self) -> bool:
        return self.hypervisor == "bms"


@dataclass(frozen=True)
class ParsedName:
    """The result of parsing a string: the properties plus how the string spelled them."""

    text: str
    flavor: FlavorName
    syntax: Literal["v1", "v2"]
    #: Oldest grammar version in which the name is valid with its syntax (v2 syntax: v2 or v3).
    min_version: GrammarVersion
    #: Non-fatal remarks, e.g. a non-canonical spelling such as leading zeros.
    warnings: tuple[str, ...] = field(default=())


# Builders for the parser's fast path. A frozen dataclass's __init__ assigns every field through
# object.__setattr__ (~1.2 us for FlavorName's twelve), which was a third of parsing a short name.
# These fill the instance dict directly, in field order, so the result is indistinguishable from
# the constructor's (equal, same repr and vars); a test holds them to the fields. No validation
# or defaults here: the caller passes every field, already checked.

_new = object.__new__


def make_disk(count: int, size_gb: int | None, type: DiskType | None) -> Disk:
    disk = _new(Disk)
    values = disk.__dict__
    values["count"] = count
    values["size_gb"] = size_gb
    values["type"] = type
    return disk


def make_arch(vendor: CpuVendor, generation: int | None, frequency: int) -> CpuArch:
    arch = _new(CpuArch)
    values = arch.__dict__
    values["vendor"] = vendor
    values["generation"] = generation
    values["frequency"] = frequency
    return arch


def make_gpu(
    kind: GpuKind,
    vendor: GpuVendor,
    generation: str | None,
    units: int | None,
    unit_frequency: int,
    vram_gib: int | None,
    vram_bandwidth: int,
) -> Gpu:
    gpu = _new(Gpu)
    values = gpu.__dict__
    values["kind"] = kind
    values["vendor"] = vendor
    values["generation"] = generation
    values["units"] = units
    values["unit_frequency"] = unit_frequency
    values["vram_gib"] = vram_gib
    values["vram_bandwidth"] = vram_bandwidth
    return gpu


def make_flavor(
    cpus: int,
    cpu_type: CpuType,
    ram_gib: float,
    insecure: bool,
    ram_no_ecc: bool,
    ram_oversubscribed: bool,
    disk: Disk | None,
    hypervisor: Hypervisor | None,
    hw_virt: bool,
    arch: CpuArch | None,
    gpu: Gpu | None,
    infiniband: bool,
) -> FlavorName:
    flavor = _new(FlavorName)
    values = flavor.__dict__
    values["cpus"] = cpus
    values["cpu_type"] = cpu_type
    values["ram_gib"] = ram_gib
    values["insecure"] = insecure
    values["ram_no_ecc"] = ram_no_ecc
    values["ram_oversubscribed"] = ram_oversubscribed
    values["disk"] = disk
    values["hypervisor"] = hypervisor
    values["hw_virt"] = hw_virt
    values["arch"] = arch
    values["gpu"] = gpu
    values["infiniband"] = infiniband
    return flavor


def make_parsed(
    text: str,
    flavor: FlavorName,
    syntax: Literal["v1", "v2"],
    min_version: GrammarVersion,
    warnings: tuple[str, ...],
) -> ParsedName:
    parsed = _new(ParsedName)
    values = parsed.__dict__
    values["text"] = text
    values["flavor"] = flavor
    values["syntax"] = syntax
    values["min_version"] = min_version
    values["warnings"] = warnings
    return parsed
