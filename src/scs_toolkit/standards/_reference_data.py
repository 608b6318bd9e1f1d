"""Official reference data bundled with the package (standard flavors, images, TLS profile)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import yaml


@dataclass(frozen=True)
class StandardFlavor:
    """A flavor scs-0103 demands (mandatory) or recommends; `ram_mib` and `disk_gb` as Nova reports them."""

    name: str
    status: Literal["mandatory", "recommended"]
    cpus: int
    ram_mib: int
    disk_gb: int | None
    extra_specs: tuple[tuple[str, str], ...]


@functools.cache
def mandatory_flavors() -> tuple[StandardFlavor, ...]:
    """All scs-0103 standard flavors from the official SCS-Spec.MandatoryFlavors.verbose.yaml."""
    path = resources.files("scs_toolkit.standards").joinpath("data", "iaas", "SCS-Spec.MandatoryFlavors.verbose.yaml")
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    flavors = []
    for status in ("mandatory", "recommended"):
        for entry in document[status]:
            specs = tuple(sorted((k, str(v)) for k, v in entry.items() if k.startswith("scs:")))
            flavors.append(StandardFlavor(entry["name"], status, entry["cpus"], entry["ram"], entry.get("disk"), specs))
    return tuple(flavors)
