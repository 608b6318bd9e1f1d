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
