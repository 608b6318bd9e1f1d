"""Kubernetes versions and the dated reference data scs-0210-v2 is judged by: branches with their end of
life, patch releases, critical CVEs.

The data is bundled (`standards/data/kaas/k8s-version-data.yaml`, with `as_of`) and can be refreshed from
a file or URL into the toolkit's data folder (`refresh`); the newer `as_of` wins. It is never fetched
during a run: a check is reproducible, and says when its data is too old to decide.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..._paths import data_dir

DATA_FILE = "k8s-version-data.yaml"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(.*)$")
_PRERELEASE = re.compile(r"^-(alpha|beta|rc)\b", re.IGNORECASE)


class VersionDataError(ValueError):
    """Malformed version data; the message names the entry (`releases[3].published`) and the problem."""


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int = 0

    @property
    def branch(self) -> Branch:
        return Branch(self.major, self.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True, order=True)
class Branch:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def parse_version(text: str, allow_build_suffix: bool = True) -> Version:
    """`v1.30.4`, ` v2.4.99 `, `1.30.4+k3s1`, `1.31.0-gke.1` (a provider's build of 1.31.0); not prereleases.

    Raises ValueError for what is no Kubernetes release version (`1.30.0-rc.1`, `latest`).
    """
    stripped = text.strip().split("+", 1)[0]
    match = _VERSION.match(stripped)
    if not match:
        raise ValueError(f"{text.strip()!r} is not a Kubernetes version (major.minor.patch)")
    major, minor, patch, rest = match.groups()
    if rest and (not allow_build_suffix or not rest.startswith("-") or _PRERELEASE.match(rest)):
        raise ValueError(f"{text.strip()!r} is not a released Kubernetes version (pre-release or unknown suffix)")
    return Version(int(major), int(minor), int(patch or 0))


def parse_branch(text: str) -> Branch:
    match = re.fullmatch(r"(\d+)\.(\d+)", str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes branch (major.minor)")
    return Branch(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class VersionRange:
    """A CVE's affected versions: `lower` alone means exactly that version."""

    lower: Version
    upper: Version | None = None
    inclusive: bool = False

    def __post_init__(self) -> None:
        if self.upper is not None and self.upper < self.lower:
            raise ValueError(f"lower bound {self.lower} must be lower than the upper bound {self.upper}")

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, Version):
            return False
        if self.upper is None:
            return version == self.lower
        return self.lower <= version <= self.upper if self.inclusive else self.lower <= version < self.upper


def cve_range(entry: dict[str, Any]) -> VersionRange:
    """A CVE 5 `versions[]` entry: `version` (lower; unparseable: 0.0.0), `lessThan` or `lessThanOrEqual`.

    Unlike the reference tool, `1.2.x` means the whole 1.2 branch (it meant nothing there), and
    `1.2.3 - 1.2.9` includes 1.2.9.
    """
    lower_text = str(entry.get("version", ""))
    bounds = [(k, entry[k]) for k in ("lessThanOrEqual", "lessThan") if entry.get(k)]
    branch_wide = re.fullmatch(r"v?(\d+)\.(\d+)\.x", lower_text.strip())
    if branch_wide and not bounds:
        major, minor = int(branch_wide.group(1)), int(branch_wide.group(2))
        return VersionRange(Version(major, minor, 0), Version(major, minor + 1, 0))
    span = re.fullmatch(r"\s*(v?[\d.]+)\s+-\s+(v?[\d.]+)\s*", lower_text)
    if span and not bounds:
        return VersionRange(parse_version(span.group(1)), parse_version(span.group(2)), inclusive=True)
    try:
        lower = parse_version(lower_text)
    except ValueError:
        lower = Version(0, 0, 0)
    if not bounds:
        return VersionRange(lower)
    key, value = bounds[0]
    return VersionRange(lower, parse_version(str(value)), inclusive=key == "lessThanOrEqual")


@dataclass(frozen=True)
class BranchInfo:
    branch: Branch
    released: dt.date | None
    end_of_life: dt.date
    source: str = ""

    def supported(self, now: dt.datetime) -> bool:
        """Supported until the end-of-life day begins (00:00 UTC), as the reference tool counts."""
        return now < dt.datetime.combine(self.end_of_life, dt.time(), dt.UTC)


@dataclass(frozen=True)
class Release:
    version: Version
    published: dt.datetime


@dataclass(frozen=True)
class Cve:
    id: str
    score: float
    ranges: tuple[VersionRange, ...]
    summary: str = ""

    def affects(self, version: Version) -> bool:
        return any(version in r for r in self.ranges)


@dataclass(frozen=True)
class VersionData:
    as_of: dt.datetime
    branches: tuple[BranchInfo, ...]
    releases: tuple[Release, ...]
    cves: tuple[Cve, ...]
    origin: str = "bundled"

    def branch(self, branch: Branch) -> BranchInfo | None:
        return next((b for b in self.branches if b.branch == branch), None)

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.as_of


def _moment(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise VersionDataError(f"{where}: {value!r} is not a date or RFC 3339 time") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _date(value: Any, where: str) -> dt.date:
    return _moment(value, where).date()


def parse_version_data(text: str, origin: str) -> VersionData:
    """Strictly validated data; VersionDataError names the first bad entry."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise VersionDataError(f"{origin}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise VersionDataError(f"{origin}: expected a mapping with as_of, branches, releases, cves")
    unknown = set(document) - {"as_of", "sources", "branches", "releases", "cves"}
    missing = {"as_of", "branches", "releases"} - set(document)
    if unknown or missing:
        problem = f"unknown key(s) {', '.join(sorted(unknown))}" if unknown else f"missing {', '.join(sorted(missing))}"
        raise VersionDataError(f"{origin}: {problem}")
    try:
        branches = tuple(
            BranchInfo(
                parse_branch(str(_require(entry, "branch", f"branches[{i}]"))),
                _date(entry["released"], f"branches[{i}].released") if entry.get("released") else None,
                _date(_require(entry, "end-of-life", f"branches[{i}]"), f"branches[{i}].end-of-life"),
                str(entry.get("source", "")),
            )
            for i, entry in enumerate(_list(document, "branches"))
        )
        releases = tuple(
            Release(
                parse_version(str(_require(entry, "version", f"releases[{i}]")), allow_build_suffix=False),
                _moment(_require(entry, "published", f"releases[{i}]"), f"releases[{i}].published"),
            )
            for i, entry in enumerate(_list(document, "releases"))
        )
        cves = tuple(
            Cve(
                str(_require(entry, "id", f"cves[{i}]")),
                float(_require(entry, "score", f"cves[{i}]")),
                tuple(cve_range(r) for r in _require(entry, "affected", f"cves[{i}]")),
                str(entry.get("summary", "")),
            )
            for i, entry in enumerate(_list(document, "cves"))
        )
    except VersionDataError as error:
        raise VersionDataError(f"{origin}: {error}") from None
    except (ValueError, TypeError) as error:
        raise VersionDataError(f"{origin}: {error}") from None
    if not branches:
        raise VersionDataError(f"{origin}: branches is empty")
    return VersionData(_moment(document["as_of"], "as_of"), branches, releases, cves, origin)


def _list(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = document.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise VersionDataError(f"{key} must be a list of mappings")
    return value


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if entry.get(key) in (None, ""):
        raise VersionDataError(f"{where}: {key} is required")
    return entry[key]


def bundled_data_text() -> str:
    return resources.files("scs_toolkit.standards").joinpath("data", "kaas", DATA_FILE).read_text(encoding="utf-8")


@functools.cache
def bundled_data() -> VersionData:
    return parse_version_data(bundled_data_text(), "bundled k8s-version-data.yaml")


def refreshed_path() -> Path:
    return data_dir() / DATA_FILE


def current_data() -> VersionData:
    """The bundled data, or the refreshed copy in the data folder when that one is newer."""
    bundled = bundled_data()
    path = refreshed_path()
    if not path.is_file():
        return bundled
    try:
        refreshed = parse_version_data(path.read_text(encoding="utf-8"), str(path))
    except (OSError, VersionDataError):
        return bundled  # `scs scope k8s-data` says why; a run falls back to what is bundled
    return refreshed if refreshed.as_of > bundled.as_of else bundled


def refresh(text: str, origin: str) -> VersionData:
    """Validate `text` and keep it as the refreshed data (atomically); VersionDataError leaves the old one."""
    data = parse_version_data(text, origin)
    path = refreshed_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return data
