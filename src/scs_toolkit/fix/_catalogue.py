"""The image catalogue: what an operator knows about their images, in the OSISM openstack-image-manager format.

Most scs-0102 properties (where an image comes from, when it was built, how often it is replaced,
how long its UUID stays valid) cannot be read off an image; operators keep them in the catalogue
they feed to the OSISM image manager (`images: [{name, format, login, min_disk, min_ram, status,
visibility, multi, meta: {...}, tags, versions: [{version, url, checksum, build_date}]}]`, one file
or a directory of them). `scs fix` reads the same files and sets what is missing from them.

Which catalogue entry an image is: as the image manager names its uploads. With `multi: true`
the newest version carries the plain name (`Ubuntu 24.04`) and older ones `NAME (VERSION)`;
otherwise every version is `NAME VERSION` (the separator, a space by default, is `separator`).
The properties follow the image manager too: `meta`, then `image_source` from the version's `url`,
`image_build_date` from its `build_date`, `image_original_user` from `login`, `image_description`
defaulting to the name, `os_version` from the version (not multi) or its `os_version`, and the
version's own `meta` last.

Values that scs-0102 constrains are checked when the file is read, so that a typo is an error with
its place in the file rather than a change that fixes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from ..checks.iaas.scs_0102 import ARCHITECTURES, DISK_BUSES, FREQUENCIES, HYPERVISORS, PURPOSES, parse_date

Scalar = str | int | float | bool | dt.date

#: Disk formats Glance knows (the image manager's own schema names qcow2, raw and iso).
DiskFormat = Literal["qcow2", "raw", "iso", "vmdk", "vhd", "vhdx", "vdi", "ploop", "ami", "ari", "aki"]
_LAST_N = re.compile(r"^last-\d+$")


class CatalogueError(ValueError):
    """A catalogue that cannot be used; `problems` lists each one with its place in the file."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _text(value: Scalar) -> str:
    """A catalogue value as Glance stores properties: text (dates as YYYY-MM-DD)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueVersion(_Strict):
    version: str
    url: str
    checksum: str | None = None
    build_date: dt.date | None = None
    os_version: str | None = None
    meta: dict[str, Scalar] = Field(default_factory=dict)
    # image-manager keys scs fix does not use
    mirror_url: str | None = None
    checksums_url: str | None = None
    checksum_url: str | None = None
    source: str | None = None
    visibility: Literal["public", "community", "shared", "private"] | None = None
    hidden: StrictBool | None = None
    id: str | None = None

    @field_validator("version", "os_version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        """YAML reads an unquoted 20241106 as a number and 2024-11-06 as a date; the image manager takes both."""
        if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
            return _text(value)
        return value

    @field_validator("build_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        return value

    @field_validator("meta")
    @classmethod
    def _meta(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        return _checked_meta(value)


class CatalogueImage(_Strict):
    name: str = Field(min_length=1)
    format: DiskFormat
    login: str
    min_disk: int = Field(ge=0)
    min_ram: int = Field(ge=0)
    status: Literal["active", "deactivated"]
    visibility: Literal["public", "community", "shared", "private"]
    multi: StrictBool
    meta: dict[str, Scalar]
    tags: list[str]
    versions: list[CatalogueVersion] = Field(min_length=1)
    separator: str = " "
    # image-manager keys scs fix does not use
    enable: StrictBool | None = None
    shortname: str | None = None
    latest_url: str | None = None
    latest_checksum_url: str | None = None

    @field_validator("meta")
    @classmethod
    def _meta(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        return _checked_meta(value)

    @field_validator("versions")
    @classmethod
    def _unique(cls, value: list[CatalogueVersion]) -> list[CatalogueVersion]:
        seen = [v.version for v in value]
        doubled = sorted({v for v in seen if seen.count(v) > 1})
        if doubled:
            raise ValueError(f"version {', '.join(doubled)} listed twice")
        return value

    def newest(self) -> CatalogueVersion:
        return max(self.versions, key=lambda v: natural_key(v.version))

    def glance_name(self, version: CatalogueVersion) -> str:
        """The name the image manager gives this version in Glance (the newest of a multi image: the plain name)."""
        if self.multi:
            return self.name if version is self.newest() else f"{self.name}{self.separator}({version.version})"
        return f"{self.name}{self.separator}{version.version}"

    def properties(self, version: CatalogueVersion) -> dict[str, str]:
        """The Glance properties the image manager sets for this version."""
        props = {k: _text(v) for k, v in self.meta.items()}
        props["image_source"] = version.url
        if version.build_date is not None:
            props["image_build_date"] = version.build_date.isoformat()
        props["image_original_user"] = self.login
        props.setdefault("image_description", self.name)
        if self.multi and version.os_version:
            props["os_version"] = version.os_version
        elif not self.multi:
            props["os_version"] = version.version
        props.update({k: _text(v) for k, v in version.meta.items()})
        return props


def _checked_meta(meta: dict[str, Scalar]) -> dict[str, Scalar]:
    """Reject the values scs-0102 would reject, naming the key (a typo here would otherwise be copied to Glance)."""
    problems = []
    for key, value in meta.items():
        text = _text(value)
        problem = _meta_problem(key, text)
        if problem:
            problems.append(f"{key}: {problem}")
    if problems:
        raise ValueError("; ".join(problems))
    return meta


def _one_of(text: str, allowed: set[str] | dict[str, Any]) -> str | None:
    return None if text in allowed else f"{text!r} is not one of {', '.join(sorted(allowed))}"


def _meta_problem(key: str, text: str) -> str | None:
    if key == "architecture":
        return _one_of(text, ARCHITECTURES)
    if key == "hw_disk_bus":
        return _one_of(text, DISK_BUSES)
    if key == "hypervisor_type":
        return _one_of(text, HYPERVISORS)
    if key == "hw_rng_model":
        return _one_of(text, {"virtio"})
    if key == "os_purpose":
        return _one_of(text, PURPOSES)
    if key == "replace_frequency":
        return _one_of(text, FREQUENCIES)
    if key == "provided_until":
        return None if text in ("none", "notice") or parse_date(text) else f"{text!r} is not a date, none or notice"
    if key == "uuid_validity":
        valid = text in ("none", "notice", "forever") or _LAST_N.match(text) or parse_date(text)
        return None if valid else f"{text!r} is not none, notice, forever, last-N or a date"
    if key == "hotfix_hours":
        return None if text.isdigit() else f"{text!r} is not a whole number of hours"
    if key == "image_build_date":
        return None if parse_date(text) else f"{text!r} is not YYYY-MM-DD[ hh:mm[:ss]]"
    return None


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort 'v1.10' after 'v1.9' (as the image manager's natsort does)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text))


@dataclass(frozen=True)
class Match:
    """The catalogue entry and version an image is."""

    image: CatalogueImage
    version: CatalogueVersion

    @property
    def properties(self) -> Mapping[str, str]:
        return self.image.properties(self.version)


@dataclass(frozen=True)
class Catalogue:
    source: str
    images: tuple[CatalogueImage, ...]

    def match(self, glance_name: str) -> Match | None:
        for image in self.images:
            for version in image.versions:
                if image.glance_name(version) == glance_name:
                    return Match(image, version)
        return None


def load_catalogue(path: Path) -> Catalogue:
    """Read a catalogue file, or every *.yml/*.yaml in a directory; CatalogueError lists every problem."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
        if not files:
            raise CatalogueError(str(path), ["no *.yml or *.yaml files in this directory"])
    elif path.is_file():
        files = [path]
    else:
        raise CatalogueError(str(path), ["no such file or directory"])
    images: list[CatalogueImage] = []
    problems: list[str] = []
    for file in files:
        try:
            images += parse_catalogue(file.read_text(encoding="utf-8"), str(file)).images
        except CatalogueError as error:
            problems += [f"{error.source}: {p}" if len(files) > 1 else p for p in error.problems]
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{file}: cannot read it: {error}")
    names = [i.name for i in images]
    problems += [f"image {n!r} is described twice" for n in sorted({n for n in names if names.count(n) > 1})]
    if problems:
        raise CatalogueError(str(path), problems)
    return Catalogue(str(path), tuple(images))


def parse_catalogue(text: str, source: str = "catalogue") -> Catalogue:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise CatalogueError(source, [f"not YAML: {where}{problem}"]) from None
    if not isinstance(document, dict) or "images" not in document:
        raise CatalogueError(source, ["expected a mapping with the key `images` (a list of images)"])
    unknown = sorted(set(document) - {"images"})
    if unknown:
        raise CatalogueError(source, [f"unknown top-level key(s): {', '.join(unknown)} (only `images`)"])
    entries = document["images"]
    if not isinstance(entries, list):
        raise CatalogueError(source, ["`images` must be a list of images"])
    images, problems = [], []
    for index, entry in enumerate(entries):
        label = f"images[{index}]" + (f" ({entry['name']})" if isinstance(entry, dict) and "name" in entry else "")
        try:
            images.append(CatalogueImage.model_validate(entry))
        except ValidationError as error:
            problems += [f"{label}: {_describe(e)}" for e in error.errors()]
    if problems:
        raise CatalogueError(source, problems)
    return Catalogue(source, tuple(images))


def _describe(error: Any) -> str:
    """One pydantic error as `versions[0].build_date: <what is wrong>`."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (a typo?)"
    elif error["type"] == "missing":
        message = "missing (required by the image manager's format)"
    return f"{path}: {message}" if path else message
