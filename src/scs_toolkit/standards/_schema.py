"""The scs-0003 scope file format as a strict schema: unknown keys and wrong types are errors.

Only the shape lives here; cross-references (includes, target ids, timeline versions) are
checked by the loader, which knows the whole document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from ._model import Lifetime


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TestcaseSpec(_Strict):
    __test__ = False  # not a pytest test class, despite the name

    id: StrictStr
    lifetime: Lifetime = "week"
    section: StrictStr | None = None
    description: StrictStr | None = None
    url: StrictStr | None = None


class ScriptSpec(_Strict):
    executable: StrictStr | None = None
    env: dict[str, Any] | None = None
    args: StrictStr | None = None
    testcases: list[TestcaseSpec] = Field(default_factory=list)


class ModuleSpec(_Strict):
    id: StrictStr
    name: StrictStr | None = None
    url: StrictStr | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    targets: dict[str, list[StrictStr]] = Field(default_factory=dict)


class IncludeSpec(_Strict):
    ref: StrictStr
    parameters: dict[str, Any] = Field(default_factory=dict)


class VersionSpec(_Strict):
    version: StrictStr
    include: list[StrictStr | IncludeSpec] = Field(default_factory=list)
    #: Legacy key: accepted, but targets are always recomputed from the included modules.
    targets: Any = None
    stabilized_at: dt.date | None = None


class TimelineEntrySpec(_Strict):
    date: dt.date
    versions: dict[str, Literal["effective", "warn", "draft", "deprecated"]]


class PrerequisiteSpec(_Strict):
    name: StrictStr | None = None
    url: StrictStr | None = None


class ScopeSpec(_Strict):
    uuid: StrictStr
    name: StrictStr
    url: StrictStr
    variables: list[StrictStr | dict[str, Any]] = Field(default_factory=list)
    prerequisite: PrerequisiteSpec | None = None
    scripts: list[ScriptSpec] = Field(default_factory=list)
    modules: list[ModuleSpec] = Field(default_factory=list)
    versions: list[VersionSpec]
    timeline: list[TimelineEntrySpec] = Field(default_factory=list)
