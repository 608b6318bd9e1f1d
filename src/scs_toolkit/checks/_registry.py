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
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Register `decide(snapshot)` (active probes: `decide(snapshot, probe)`) as testcase `id`."""

    def register(decide: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if id in _CHECKS:
            raise RuntimeError(f"testcase {id} registered twice")
        info = TestcaseInfo(id, standard, description, remediation, severity)
        _CHECKS[id] = Check(info, frozenset(needs), decide, active)
        return decide

    return register


def register(check: Check) -> None:
    """Register a check built elsewhere (e.g. one per standard flavor)."""
    if check.info.id in _CHECKS:
        raise RuntimeError(f"testcase {check.info.id} registered twice")
    _CHECKS[check.info.id] = check


def all_checks() -> dict[str, Check]:
    from . import iaas  # noqa: F401  (importing registers the IaaS checks)

    return dict(_CHECKS)
