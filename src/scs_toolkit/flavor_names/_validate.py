"""Value rules of scs-0100 that do not depend on spelling: the same for parsed and generated names."""

from __future__ import annotations

from dataclasses import dataclass

from . import _tables as t
from ._model import FlavorName


@dataclass(frozen=True)
class Problem:
    """One broken rule; `field` lets the parser point at the characters that spelled the value."""

    field: str
    component: str
    message: str


def problems(flavor: FlavorName, version: t.GrammarVersion) -> list[Problem]:
    """Every rule of `version` of the standard that `flavor` breaks, in name order."""
    found: list[Problem] = []
    if flavor.cpus < 1:
        found.append(Problem("cpus", "cpu count", f"must be a positive integer, not {flavor.cpus}"))
    if flavor.cpu_type not in t.CPU_TYPES:
        found.append(Problem("cpu_type", "cpu type", f"{flavor.cpu_type!r} is not one of L, V, T, C"))
    if flavor.ram_gib <= 0 or (flavor.ram_gib * 2) != int(flavor.ram_gib * 2):
        found.append(Problem("ram", "ram", f"must be a positive multiple of 0.5 GiB, not {flavor.ram_gib:g}"))
    disk = flavor.disk
    if disk is not None:
        if disk.count < 1:
            found.append(Problem("disk_count", "disk count", f"must be a positive integer, not {disk.count}"))
        if disk.size_gb is not None and disk.size_gb < 1:
            found.append(Problem("disk_size", "disk size", f"must be a positive integer, not {disk.size_gb}"))
        if disk.type is not None and disk.type not in t.DISK_TYPES:
            found.append(Problem("disk_type", "disk type", f"{disk.type!r} is not one of n, h, s, p"))
    if flavor.hypervisor is not None and flavor.hypervisor not in t.hypervisors_for(version):
        allowed = ", ".join(sorted(t.hypervisors_for(version)))
        found.append(
            Problem(
                "hypervisor", "hypervisor", f"{flavor.hypervisor!r} is not defined in {version} (allowed: {allowed})"
            )
        )
    if flavor.arch is not None:
        found.extend(_arch_problems(flavor, version))
    if flavor.gpu is not None:
        found.extend(_gpu_problems(flavor, version))
    return found


def _arch_problems(flavor: FlavorName, version: t.GrammarVersion) -> list[Problem]:
    arch = flavor.arch
    assert arch is not None
    found: list[Problem] = []
    if arch.vendor not in t.CPU_VENDORS:
        return [Problem("cpu_vendor", "cpu vendor", f"{arch.vendor!r} is not one of i, z, a, r")]
    if arch.generation is not None:
        highest = t.max_cpu_generation(version, arch.vendor)
        if not 0 <= arch.generation <= highest:
            vendor = t.CPU_VENDORS[arch.vendor]
            found.append(
                Problem(
                    "cpu_generation",
                    "cpu generation",
                    f"{vendor} generation {arch.generation} is not defined in {version} (allowed: 0..{highest})",
                )
            )
    if not 0 <= arch.frequency <= 3:
        found.append(
            Problem("cpu_frequency", "cpu frequency", f"at most 'hhh' is allowed, not {'h' * arch.frequency!r}")
        )
    return found


def _gpu_problems(flavor: FlavorName, version: t.GrammarVersion) -> list[Problem]:
    gpu = flavor.gpu
    assert gpu is not None
    found: list[Problem] = []
    if gpu.kind not in t.GPU_KINDS:
        found.append(Problem("gpu_kind", "gpu type", f"{gpu.kind!r} is not G (pass-through) or g (vGPU)"))
    if gpu.vendor not in t.GPU_VENDORS:
        return [*found, Problem("gpu_vendor", "gpu vendor", f"{gpu.vendor!r} is not one of N, A, I")]
    generations = t.GPU_GENERATIONS[gpu.vendor]
    if gpu.generation is not None and gpu.generation not in generations:
        found.append(
            Problem(
                "gpu_generation",
                "gpu generation",
                f"{gpu.generation!r} is not a known {t.GPU_VENDORS[gpu.vendor]} generation "
                f"(known: {', '.join(generations)})",
            )
        )
    unit_name = t.GPU_UNIT_NAMES[gpu.vendor]
    if gpu.units is not None and gpu.units < 1:
        found.append(Problem("gpu_units", f"gpu {unit_name}", f"must be a positive integer, not {gpu.units}"))
    if not 0 <= gpu.unit_frequency <= 2:
        found.append(
            Problem("gpu_unit_frequency", "gpu frequency", f"at most 'hh' is allowed, not {'h' * gpu.unit_frequency!r}")
        )
    if gpu.vram_gib is not None:
        if not t.has_gpu_vram(version):
            found.append(
                Problem("gpu_vram", "gpu vram", f"a VRAM size is not part of the {version} grammar (new in v3)")
            )
        elif gpu.vram_gib < 1:
            found.append(Problem("gpu_vram", "gpu vram", f"must be a positive integer, not {gpu.vram_gib}"))
        if gpu.units is None:
            found.append(Problem("gpu_vram", "gpu vram", "a VRAM size needs the number of processing units before it"))
    if not 0 <= gpu.vram_bandwidth <= 2:
        found.append(
            Problem(
                "gpu_vram_bandwidth", "gpu vram bandwidth", f"at most 'hh' is allowed, not {'h' * gpu.vram_bandwidth!r}"
            )
        )
    if gpu.vram_gib is None and gpu.vram_bandwidth:
        found.append(Problem("gpu_vram_bandwidth", "gpu vram bandwidth", "needs a VRAM size"))
    return found
