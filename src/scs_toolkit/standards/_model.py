"""A certificate scope (scs-0003) resolved into immutable objects: what the rest of the toolkit uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

Lifetime = Literal["day", "week", "month", "quarter", "year"]
MAIN_TARGET = "main"


class VersionState(StrEnum):
    """Validity code of a scope version in a timeline period (scs-0003)."""

    EFFECTIVE = "effective"
    WARN = "warn"
    DRAFT = "draft"
    DEPRECATED = "deprecated"

    @property
    def certifiable(self) -> bool:
        """Whether passing this version on that date earns (or keeps) a certificate."""
        return self in (VersionState.EFFECTIVE, VersionState.WARN)


@dataclass(frozen=True)
class Testcase:
    """One atomic, evaluable statement of a standard; `manual` ones are never run by a script."""

    id: str
    description: str | None = None
    url: str | None = None
    lifetime: Lifetime = "week"
    section: str | None = None
    manual: bool = False
    #: The official check script that implements it (relative to the scope file), if any.
    executable: str | None = None


@dataclass(frozen=True)
class Module:
    """Normally one per standard version; maps target names (main, preview, ...) to testcase ids."""

    id: str
    name: str | None
    url: str | None
    parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    targets: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Inclusion:
    """A module as one version includes it, with the parameters that version gives it."""

    module: Module
    parameters: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Version:
    """A certificate-scope version: its modules and, per target, the union of their testcases."""

    name: str
    stabilized_at: dt.date | None
    includes: tuple[Inclusion, ...]
    targets: Mapping[str, tuple[str, ...]]

    @property
    def stable(self) -> bool:
        return self.stabilized_at is not None

    @property
    def required(self) -> tuple[str, ...]:
        """Testcase ids that decide certification (target `main`)."""
        return self.targets.get(MAIN_TARGET, ())

    @property
    def recommended(self) -> tuple[str, ...]:
        """Testcase ids of all other targets (preview, recommended, ...), minus the required ones."""
        required = set(self.required)
        other = {tc for name, ids in self.targets.items() if name != MAIN_TARGET for tc in ids}
        return tuple(sorted(other - required))


@dataclass(frozen=True)
class VersionStatus:
    """A version's state on a date; `listed` is False when the timeline does not name it then.

    Unlisted versions count as deprecated and, like the official tooling, are not selected for
    testing by default.
    """

    version: str
    state: VersionState
    listed: bool


@dataclass(frozen=True)
class TimelineEntry:
    """From `date` until the next entry, these versions have these states."""

    date: dt.date
    states: Mapping[str, VersionState]


@dataclass(frozen=True)
class Scope:
    """A certificate scope such as SCS-compatible IaaS, with its versions and timeline."""

    uuid: str
    name: str
    url: str
    variables: Mapping[str, str | None]
    testcases: Mapping[str, Testcase]
    modules: Mapping[str, Module]
    versions: tuple[Version, ...]
    timeline: tuple[TimelineEntry, ...]
    #: Where it was loaded from (bundled alias or file path), for messages.
    source: str

    def version(self, name: str) -> Version:
        for version in self.versions:
            if version.name == name:
                return version
        known = ", ".join(v.name for v in self.versions)
        raise KeyError(f"scope {self.name!r} has no version {name!r} (known: {known})")

    def timeline_entry(self, on: dt.date) -> TimelineEntry | None:
        """The entry in force on `on`: the latest one dated on or before it (the list's order is irrelevant)."""
        candidates = [entry for entry in self.timeline if entry.date <= on]
        return max(candidates, key=lambda entry: entry.date) if candidates else None

    def statuses(self, on: dt.date) -> tuple[VersionStatus, ...]:
        """Each version's state on `on`, in the scope file's version order."""
        entry = self.timeline_entry(on)
        states = entry.states if entry is not None else {}
        return tuple(
            VersionStatus(v.name, states.get(v.name, VersionState.DEPRECATED), v.name in states) for v in self.versions
        )

    def selected_versions(self, on: dt.date) -> tuple[Version, ...]:
        """Versions the timeline names on `on`: what a check run tests by default."""
        return tuple(self.version(status.version) for status in self.statuses(on) if status.listed)
