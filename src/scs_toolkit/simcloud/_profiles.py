"""Cloud profiles: YAML files describing a simulated cloud's initial state (see profiles/README.md).

A profile may `extends:` another and override parts of it (mappings merge, lists replace), so
each non-compliant profile states only what it breaks. Strings like `now-30d` or `now+6m` are
dates relative to the moment the profile is loaded, so profiles stay valid over time.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ._cloud import POLICY_SWITCHES

_RELATIVE = re.compile(r"^now(?:([+-])(\d+)([dwmy]))?$")


class ProfileError(ValueError):
    """A profile cannot be found or is malformed; the message names the file and the problem."""


def bundled_profiles() -> list[str]:
    folder = resources.files("scs_toolkit.simcloud").joinpath("profiles")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_profile(reference: str | Path, today: dt.date | None = None) -> dict[str, Any]:
    """A bundled profile by name, or a profile file by path, with `extends` and dates resolved."""
    document = _read(reference, seen=())
    resolved = _resolve_dates(document, today or dt.date.today())
    assert isinstance(resolved, dict)
    _check_policy(resolved, str(reference))
    return resolved


def _check_policy(profile: dict[str, Any], source: str) -> None:
    policy = profile.get("policy") or {}
    if not isinstance(policy, dict):
        raise ProfileError(f"{source}: policy must be a mapping of switches to true/false")
    for name, value in policy.items():
        if name not in POLICY_SWITCHES:
            raise ProfileError(f"{source}: unknown policy switch {name!r}; known: {', '.join(sorted(POLICY_SWITCHES))}")
        if not isinstance(value, bool):
            raise ProfileError(f"{source}: policy {name} must be true or false, not {value!r}")


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
    base = _read(parent, (*seen, str(parent)))
    merged: dict[str, Any] = _merge(base, document)
    merged["extends"] = parent
    return merged


def _text(reference: str | Path) -> tuple[str, str]:
    name = str(reference)
    if name in bundled_profiles():
        file = resources.files("scs_toolkit.simcloud").joinpath("profiles", f"{name}.yaml")
        return file.read_text(encoding="utf-8"), f"profile {name}"
    path = Path(name)
    if not path.is_file():
        raise ProfileError(
            f"no such profile {name!r}: not a bundled profile ({', '.join(bundled_profiles())}) nor a file"
        )
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(f"{path}: cannot read: {error}") from None


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = copy.deepcopy(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _resolve_dates(value: Any, today: dt.date) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_dates(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_dates(v, today) for v in value]
    if isinstance(value, str):
        match = _RELATIVE.match(value)
        if match:
            return relative_date(today, match.group(1), match.group(2), match.group(3)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def relative_date(today: dt.date, sign: str | None, amount: str | None, unit: str | None) -> dt.date:
    if sign is None or amount is None or unit is None:
        return today
    count = int(amount) * (1 if sign == "+" else -1)
    if unit == "d":
        return today + dt.timedelta(days=count)
    if unit == "w":
        return today + dt.timedelta(weeks=count)
    months = count * (12 if unit == "y" else 1)
    year, month = divmod(today.month - 1 + months, 12)
    day = min(today.day, 28)
    return dt.date(today.year + year, month + 1, day)


@dataclass(frozen=True)
class Judgement:
    """A scope version that lists a testcase, and whether it requires or only recommends it."""

    scope: str
    version: str
    role: str  # "required" or "recommended"


@dataclass(frozen=True)
class ExpectedFailure:
    """A testcase a profile must fail, why, and which scope versions judge it (none: run it by id)."""

    testcase: str
    reason: str
    judged_by: tuple[Judgement, ...]


def expected_failures(profile: dict[str, Any]) -> tuple[ExpectedFailure, ...]:
    """The profile's expected failures with the bundled scope versions that list each testcase."""
    from .. import standards  # the scopes load lazily; most users of profiles never need them

    scopes = standards.bundled_scopes()
    result = []
    for testcase, reason in sorted((profile.get("expected_failures") or {}).items()):
        judged = []
        for scope in scopes:
            alias = scope.source
            for version in scope.versions:
                if testcase in version.required:
                    judged.append(Judgement(alias, version.name, "required"))
                elif testcase in version.recommended:
                    judged.append(Judgement(alias, version.name, "recommended"))
        result.append(ExpectedFailure(testcase, " ".join(str(reason).split()), tuple(judged)))
    return tuple(result)
