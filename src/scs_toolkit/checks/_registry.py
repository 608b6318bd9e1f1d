"""Registry of testcase implementations, keyed by official testcase id."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ._model import Check, Outcome, TestcaseInfo

_CHECKS: dict[str, Check] = {}


def testcase(
    id: str,
    standard: str,
    description: str,
    remediation: str,
    needs: Iterable[str],
    severity: str = "error",
    active: bool = False,
    layer: str = "iaas",
    informs: str | None = None,
    section: str | None = None,
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Register `decide(snapshot)` (active probes: `decide(snapshot, probe)`) as testcase `id`.

    `informs` (a scope uuid): the check is not an automated testcase of that scope (a manual one, or a
    standard the scope does not include), but runs beside it and reports without judging.
    """

    def register(decide: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if id in _CHECKS:
            raise RuntimeError(f"testcase {id} registered twice")
        info = TestcaseInfo(id, standard, description, remediation, severity)
        _CHECKS[id] = Check(info, frozenset(needs), decide, active, layer, informs, section)
        return decide

    return register


def register(check: Check) -> None:
    """Register a check built elsewhere (e.g. one per standard flavor)."""
    if check.info.id in _CHECKS:
        raise RuntimeError(f"testcase {check.info.id} registered twice")
    _CHECKS[check.info.id] = check


def all_checks() -> dict[str, Check]:
    from . import iaas, kaas  # noqa: F401  (importing registers the IaaS and KaaS checks)

    return dict(_CHECKS)
