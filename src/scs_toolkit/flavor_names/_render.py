"""Canonical spelling of a `FlavorName`, in v2/v3 or v1 syntax, and its short form."""

from __future__ import annotations

import dataclasses
from typing import Literal

from ._model import FlavorName

Syntax = Literal["v1", "v2"]


def render(flavor: FlavorName, syntax: Syntax = "v2") -> str:
    """The canonical name: no leading zeros, no implied values (`1x`, generation 0), RAM as 4 or 3.5."""
    inner, ext = (":", "-") if syntax == "v1" else ("-", "_")
    parts = [f"SCS-{flavor.cpus}{flavor.cpu_type}{'i' if flavor.insecure else ''}"]
    ram = flavor.ram_gib
    ram_text = str(int(ram)) if ram == int(ram) else f"{ram:.1f}"
    parts.append(f"{inner}{ram_text}{'u' if flavor.ram_no_ecc else ''}{'o' if flavor.ram_oversubscribed else ''}")
    disk = flavor.disk
    if disk is not None:
        count = f"{disk.count}x" if disk.count != 1 else ""
        size = str(disk.size_gb) if disk.size_gb else ""
        parts.append(f"{inner}{count}{size}{disk.type or ''}")
    if flavor.hypervisor:
        parts.append(f"{ext}{flavor.hypervisor}")
    if flavor.hw_virt:
        parts.append(f"{ext}hwv")
    arch = flavor.arch
    if arch is not None:
        generation = str(arch.generation) if arch.generation else ""
        parts.append(f"{ext}{arch.vendor}{generation}{'h' * arch.frequency}")
    gpu = flavor.gpu
    if gpu is not None:
        text = f"{ext}{gpu.kind}{gpu.vendor}{gpu.generation or ''}"
        if gpu.units is not None:
            text += f"{inner}{gpu.units}"
        text += "h" * gpu.unit_frequency
        if gpu.vram_gib is not None:
            text += f"{inner}{gpu.vram_gib}{'h' * gpu.vram_bandwidth}"
        parts.append(text)
    if flavor.infiniband:
        parts.append(f"{ext}ib")
    return "".join(parts)


def shorten(flavor: FlavorName) -> FlavorName:
    """The short generic variant providers are expected to offer as well (scs-0100 v3).

    Keeps what a workload depends on (size, disks, GPU, infiniband, non-x86 architecture) and
    drops the details (hypervisor, hw virt, x86 vendor, generations' frequency modifiers).
    """
    arch = flavor.arch
    if arch is not None:
        arch = None if arch.vendor in ("i", "z") else dataclasses.replace(arch, generation=None, frequency=0)
    gpu = flavor.gpu
    if gpu is not None:
        gpu = dataclasses.replace(gpu, unit_frequency=0, vram_bandwidth=0)
    return dataclasses.replace(flavor, hypervisor=None, hw_virt=False, arch=arch, gpu=gpu)
