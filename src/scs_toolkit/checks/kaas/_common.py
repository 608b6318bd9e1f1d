"""What every KaaS check module shares: the scope they belong to, and registering a KaaS testcase."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._model import Outcome
from .._registry import testcase

#: uuid of the official scope SCS-compatible KaaS (scs-compatible-kaas.yaml).
KAAS_SCOPE = "1fffebe6-fd4b-44d3-a36c-fc58b4bb0180"


def kaas_testcase(
    id: str,
    standard: str,
    description: str,
    remediation: str,
    needs: Iterable[str],
    *,
    active: bool = False,
    informational: bool = False,
    section: str | None = None,
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Register a KaaS testcase; `informational`: not judged by the scope, reported beside it."""
    return testcase(
        id,
        standard,
        description,
        remediation,
        needs,
        severity="info" if informational else "error",
        active=active,
        layer="kaas",
        informs=KAAS_SCOPE if informational else None,
        section=section,
    )


def setting(probe: Any, name: str, default: str) -> str:
    return str((getattr(probe, "settings", None) or {}).get(name, default))
