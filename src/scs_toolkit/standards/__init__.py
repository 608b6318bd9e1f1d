"""Standards as data: certificate scopes (scs-0003), their timelines and testcase lifetimes."""

from __future__ import annotations

from ._lifetime import result_expiry
from ._loader import BUNDLED_SCOPES, ScopeError, bundled_scopes, load_scope, load_scope_file, parse_scope
from ._model import (
    MAIN_TARGET,
    Inclusion,
    Lifetime,
    Module,
    Scope,
    Testcase,
    TimelineEntry,
    Version,
    VersionState,
    VersionStatus,
)
from ._reference_data import StandardFlavor, mandatory_flavors

__all__ = [
    "BUNDLED_SCOPES",
    "MAIN_TARGET",
    "Inclusion",
    "Lifetime",
    "Module",
    "Scope",
    "ScopeError",
    "StandardFlavor",
    "Testcase",
    "TimelineEntry",
    "Version",
    "VersionState",
    "VersionStatus",
    "bundled_scopes",
    "load_scope",
    "load_scope_file",
    "mandatory_flavors",
    "parse_scope",
    "result_expiry",
]
