"""Run snapshot checks: a missing snapshot part or a crash becomes ABORT, never FAIL or PASS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..collect import IaasSnapshot, KaasSnapshot
from ..collect._retry import Cancelled
from ._model import Check, Outcome, Probe, Status
from ._registry import all_checks

Snapshot = IaasSnapshot | KaasSnapshot


def evaluate(snapshot: Snapshot, testcase_ids: Iterable[str], probe: Probe | Any = None) -> dict[str, Outcome]:
    """Outcome per requested testcase; ids without an implementation are MISSING.

    Active probes need `probe` (a Probe, or a connection - openstacksdk's, or a KubeConnection - that
    gets a fresh run prefix); without one they ABORT. A check of the other layer than the snapshot's ABORTs.
    """
    if probe is not None and not isinstance(probe, Probe):
        probe = Probe(probe)
    checks = all_checks()
    results = {}
    for testcase_id in testcase_ids:
        check = checks.get(testcase_id)
        results[testcase_id] = _run(check, snapshot, probe) if check else Outcome(Status.MISSING, "no implementation")
    return results


def _run(check: Check, snapshot: Snapshot, probe: Probe | None) -> Outcome:
    layer = "kaas" if isinstance(snapshot, KaasSnapshot) else "iaas"
    if check.layer != layer:
        kind = "a Kubernetes cluster" if check.layer == "kaas" else "an OpenStack cloud"
        return Outcome.aborted(f"{check.info.id} checks {kind}, not this subject")
    for part in sorted(check.needs):
        if getattr(snapshot, part) is None and part in snapshot.errors:
            return Outcome.aborted(f"could not read {part}: {snapshot.errors[part]}")
    if check.active and probe is None:
        return Outcome.aborted("active probe needs a connection to the cloud")
    try:
        return check.decide(snapshot, probe) if check.active else check.decide(snapshot)
    except Cancelled as error:
        return Outcome.aborted(f"interrupted: {error}")
    except Exception as error:  # a bug or an unexpected API answer must not look like FAIL or PASS
        return Outcome.aborted(f"check crashed: {type(error).__name__}: {error}")
