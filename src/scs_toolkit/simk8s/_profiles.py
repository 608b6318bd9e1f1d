"""Cluster profiles: YAML files describing a simulated cluster (see profiles/README.md).

The format conventions are the simulated cloud's: `extends:` another profile (mappings merge,
lists replace) and relative dates (`now-20d`), so each broken profile states only what it breaks
and build dates stay recent.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..simcloud._profiles import _merge, _resolve_dates

PACKAGE = "scs_toolkit.simk8s"
REQUIRED = ("description", "version", "nodes", "users")


class ProfileError(ValueError):
    """A profile cannot be found or is malformed; the message names the file and the problem."""


def bundled_profiles() -> list[str]:
    folder = resources.files(PACKAGE).joinpath("profiles")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_profile(reference: str | Path, today: dt.date | None = None) -> dict[str, Any]:
    """A bundled profile by name, or a profile file by path, with `extends` and dates resolved."""
    document = _read(reference, seen=())
    resolved = _resolve_dates(document, today or dt.date.today())
    assert isinstance(resolved, dict)
    missing = [key for key in REQUIRED if key not in resolved]
    if missing:
        raise ProfileError(f"profile {reference}: missing key(s) {', '.join(missing)}")
    if not isinstance(resolved["nodes"], list) or not resolved["nodes"]:
        raise ProfileError(f"profile {reference}: nodes must be a non-empty list")
    if "gitVersion" not in (resolved.get("version") or {}):
        raise ProfileError(f"profile {reference}: version.gitVersion is required (e.g. v1.37.3)")
    return resolved


def _read(reference: str | Path, seen: tuple[str, ...]) -> dict[str, Any]:
    text, source = _text(reference)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProfileError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ProfileError(f"{source}: a profile is a mapping at the top level")
    document.setdefault("name", Path(str(reference)).name.removesuffix(".yaml"))
    parent = document.pop("extends", None)
    if parent is None:
        return document
    if parent in seen:
        raise ProfileError(f"{source}: profiles extend each other in a cycle: {' -> '.join((*seen, parent))}")
    merged: dict[str, Any] = _merge(_read(parent, (*seen, str(parent))), document)
    merged["extends"] = parent
    return merged


def _text(reference: str | Path) -> tuple[str, str]:
    name = str(reference)
    if name in bundled_profiles():
        return resources.files(PACKAGE).joinpath("profiles", f"{name}.yaml").read_text(
            encoding="utf-8"
        ), f"profile {name}"
    path = Path(name)
    if not path.is_file():
        raise ProfileError(
            f"no such profile {name!r}: not a bundled profile ({', '.join(bundled_profiles())}) nor a file"
        )
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(f"{path}: cannot read: {error}") from None
