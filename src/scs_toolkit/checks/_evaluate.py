"""Run snapshot checks: a missing snapshot part or a crash becomes ABORT, never FAIL or PASS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..collect import IaasSnapshot
from ._model import Check, Outcome, Status
from ._registry import all_checks


def evaluate(snapshot: IaasSnapshot, testcase_ids: Iterable[str], conn: Any = None) -> dict[str, Outcome]:
    """Outcome per requested testcase; ids without an implementation are MISSING.

    Active probes need `conn` (an openstacksdk Connection); without one they ABORT.
    """
    checks = all_checks()
    results = {}
    for testcase_id in testcase_ids:
        check = checks.get(testcase_id)
        results[testcase_id] = _run(check, snapshot, conn) if check else Outcome(Status.MISSING, "no implementation")
    return results


def _run(check: Check, snapshot: IaasSnapshot, conn: Any) -> Outcome:
    for part in sorted(check.needs):
        if getattr(snapshot, part) is None and part in snapshot.errors:
            return Outcome.aborted(f"could not read {part}: {snapshot.errors[part]}")
    if check.active and conn is None:
        return Outcome.aborted("active probe needs a connection to the cloud")
    try:
        return check.decide(snapshot, conn) if check.active else check.decide(snapshot)
    except Exception as error:  # a bug or an unexpected API answer must not look like FAIL or PASS
        return Outcome.aborted(f"check crashed: {type(error).__name__}: {error}")
