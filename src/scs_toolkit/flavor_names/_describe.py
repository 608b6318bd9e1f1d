"""Plain-English description of a flavor name, for people choosing or auditing flavors."""

from __future__ import annotations

from . import _tables as t
from ._model import FlavorName

_CPU_TYPE_PROSE = {
    "L": "low-performance vCPU{s} (heavily oversubscribed)",
    "V": "vCPU{s} (shared cores, limited oversubscription)",
    "T": "dedicated hyperthread{s}",
    "C": "dedicated core{s}",
}
_DISK_PROSE = {"n": "network", "h": "local HDD", "s": "local SSD", "p": "local high-performance NVMe"}


def describe(flavor: FlavorName) -> str:
    """One sentence, e.g. '2 vCPUs (shared cores, limited oversubscription), 4 GiB RAM, ...'."""
    plural = "" if flavor.cpus == 1 else "s"
    cpu = f"{flavor.cpus} {_CPU_TYPE_PROSE[flavor.cpu_type].format(s=plural)}"
    if flavor.insecure:
        cpu += ", insecure (no microcode/mitigation commitment)"
    pieces = [cpu, _cpu_arch(flavor)]
    ram = f"{flavor.ram_gib:g} GiB RAM"
    ram_flags = [
        text for flag, text in ((flavor.ram_no_ecc, "no ECC"), (flavor.ram_oversubscribed, "oversubscribed")) if flag
    ]
    pieces.append(f"{ram} ({', '.join(ram_flags)})" if ram_flags else ram)
    pieces.append(_disk(flavor))
    if flavor.hypervisor:
        pieces.append("bare metal" if flavor.bare_metal else f"on {t.HYPERVISORS[flavor.hypervisor]}")
    if flavor.hw_virt:
        pieces.append("nested virtualization available")
    if flavor.gpu is not None:
        pieces.append(_gpu(flavor))
    if flavor.infiniband:
        pieces.append("Infiniband")
    return ", ".join(piece for piece in pieces if piece)


def _cpu_arch(flavor: FlavorName) -> str:
    arch = flavor.arch
    if arch is None:
        return "generic x86-64"
    text = t.CPU_VENDORS[arch.vendor]
    if arch.generation:
        text += f" {t.CPU_GENERATIONS[arch.vendor][arch.generation]}"
    if arch.frequency:
        text += f" ({t.CPU_FREQUENCY_THRESHOLDS[arch.frequency]} all-core)"
    return text


def _disk(flavor: FlavorName) -> str:
    disk = flavor.disk
    if disk is None:
        return "no root disk (boot from volume)"
    size = f"{disk.size_gb} GB" if disk.size_gb else "cloud-chosen size"
    kind = _DISK_PROSE[disk.type] if disk.type else "unspecified type"
    noun = "root disk" if disk.count == 1 else "disks"
    return f"{disk.count} x {size} {kind} {noun}"


def _gpu(flavor: FlavorName) -> str:
    gpu = flavor.gpu
    assert gpu is not None
    text = f"{t.GPU_KINDS[gpu.kind]} {t.GPU_VENDORS[gpu.vendor]}"
    if gpu.generation:
        text += f" {t.GPU_GENERATIONS[gpu.vendor][gpu.generation]}"
    details = []
    if gpu.units is not None:
        unit = f"{gpu.units} {t.GPU_UNIT_NAMES[gpu.vendor]}"
        if gpu.unit_frequency:
            unit += f" ({t.GPU_UNIT_FREQUENCIES[gpu.unit_frequency]})"
        details.append(unit)
    elif gpu.unit_frequency:
        details.append(t.GPU_UNIT_FREQUENCIES[gpu.unit_frequency])
    if gpu.vram_gib is not None:
        vram = f"{gpu.vram_gib} GiB VRAM"
        if gpu.vram_bandwidth:
            vram += f" ({t.GPU_VRAM_BANDWIDTHS[gpu.vram_bandwidth]})"
        details.append(vram)
    return f"{text} ({', '.join(details)})" if details else text
