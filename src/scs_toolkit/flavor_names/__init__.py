"""scs-0100 flavor names (v1, v2, v3): parse, validate, describe, generate, convert.

>>> from scs_toolkit import flavor_names
>>> parsed = flavor_names.parse("SCS-2V-4-20s")
>>> parsed.flavor.cpus, parsed.flavor.ram_gib, parsed.flavor.disk
(2, 4.0, Disk(count=1, size_gb=20, type='s'))
>>> flavor_names.convert("SCS-2V-4-20s", "v1")
'SCS-2V:4:20s'
"""

from __future__ import annotations

from ._describe import describe
from ._errors import FlavorNameError, NotAnScsNameError
from ._export import as_dict
from ._extra_specs import extra_specs, name_variants, nova_properties
from ._generate import generate
from ._model import CpuArch, Disk, FlavorName, Gpu, ParsedName
from ._parser import is_scs_name, parse
from ._render import render, shorten
from ._tables import GRAMMAR_VERSIONS, GrammarVersion


def convert(name: str, syntax: str) -> str:
    """The canonical spelling of `name` in `syntax` ('v1' or 'v2'; 'v3' means v2 spelling)."""
    return render(parse(name).flavor, "v1" if syntax == "v1" else "v2")


__all__ = [
    "GRAMMAR_VERSIONS",
    "CpuArch",
    "Disk",
    "FlavorName",
    "FlavorNameError",
    "Gpu",
    "GrammarVersion",
    "NotAnScsNameError",
    "ParsedName",
    "as_dict",
    "convert",
    "describe",
    "extra_specs",
    "generate",
    "is_scs_name",
    "name_variants",
    "nova_properties",
    "parse",
    "render",
    "shorten",
]
