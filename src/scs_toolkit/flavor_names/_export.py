"""Plain-data view of a parsed name, for JSON/YAML output and APIs."""

from __future__ import annotations

from typing import Any

from . import _tables as t
from ._describe import describe
from ._extra_specs import extra_specs
from ._model import ParsedName
from ._render import render, shorten


def as_dict(parsed: ParsedName) -> dict[str, Any]:
    """Every property of the name, with units in the key names, plus its canonical spellings."""
    flavor = parsed.flavor
    disk = flavor.disk
    arch = flavor.arch
    gpu = flavor.gpu
    ram: float | int = int(flavor.ram_gib) if flavor.ram_gib == int(flavor.ram_gib) else flavor.ram_gib
    return {
        "name": parsed.text,
        "valid": True,
        "syntax": parsed.syntax,
        "min_version": parsed.min_version,
        "cpus": flavor.cpus,
        "cpu_type": flavor.cpu_type,
        "cpu_type_name": t.CPU_TYPE_EXTRA_SPEC[flavor.cpu_type],
        "insecure": flavor.insecure,
        "ram_gib": ram,
        "ram_no_ecc": flavor.ram_no_ecc,
        "ram_oversubscribed": flavor.ram_oversubscribed,
        "disk": None
        if disk is None
        else {
            "count": disk.count,
            "size_gb": disk.size_gb,
            "type": disk.type,
            "type_name": t.DISK_TYPE_EXTRA_SPEC[disk.type] if disk.type else None,
        },
        "hypervisor": flavor.hypervisor,
        "bare_metal": flavor.bare_metal,
        "hw_virt": flavor.hw_virt,
        "cpu_arch": None
        if arch is None
        else {
            "vendor": arch.vendor,
            "vendor_name": t.CPU_VENDORS[arch.vendor],
            "generation": arch.generation,
            "frequency": "h" * arch.frequency,
        },
        "gpu": None
        if gpu is None
        else {
            "kind": "passthrough" if gpu.kind == "G" else "virtual",
            "vendor": gpu.vendor,
            "vendor_name": t.GPU_VENDORS[gpu.vendor],
            "generation": gpu.generation,
            "units": gpu.units,
            "unit_frequency": "h" * gpu.unit_frequency,
            "vram_gib": gpu.vram_gib,
            "vram_bandwidth": "h" * gpu.vram_bandwidth,
        },
        "infiniband": flavor.infiniband,
        "canonical_name": render(flavor, "v2"),
        "v1_name": render(flavor, "v1"),
        "short_name": render(shorten(flavor), "v2"),
        "description": describe(flavor),
        "extra_specs": extra_specs(flavor),
        "warnings": list(parsed.warnings),
    }
