"""Build a flavor name from properties, validated against the chosen version of scs-0100."""

from __future__ import annotations

from . import _tables as t
from ._errors import FlavorNameError
from ._model import FlavorName
from ._render import Syntax, render
from ._validate import problems


def generate(flavor: FlavorName, version: t.GrammarVersion = "v3") -> str:
    """The canonical name of `flavor` in `version`'s spelling; raises if `version` cannot express it."""
    syntax: Syntax = "v1" if version == "v1" else "v2"
    name = render(flavor, syntax)
    broken = problems(flavor, version)
    if syntax == "v1" and flavor.hypervisor == "chy":
        raise FlavorNameError(name, "hypervisor", "'chy' does not exist in v1 names (new in v3)")
    if broken:
        raise FlavorNameError(name, broken[0].component, broken[0].message)
    return name
