"""Run snapshot checks: a missing snapshot part or a crash becomes ABORT, never FAIL or PASS."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any

from ..collect import IaasSnapshot, KaasSnapshot
from ..collect._retry import Cancelled
from ._model import Check, Outcome, Probe, Status
from ._registry import all_checks

Snapshot = IaasSnapshot | KaasSnapshot


class PartMissing(Exception):
    """A snapshot part a check read could not be fetched (raised by a Pending snapshot): the check ABORTs."""

    def __init__(self, part: str, reason: str) -> None:
        super().__init__(f"could not read {part}: {reason}")
        self.part, self.reason = part, reason


class Pending:
    """A snapshot whose parts are still being fetched, each on its own: reading a part waits for it.

    Probes get one, so that they start right after the login and do what needs no part (a probe VM's
    network) while the parts they read later still load. A part that could not be fetched raises
    PartMissing where it is read, which ends the check as ABORT with the reason an eager snapshot gives.
    """

    def __init__(self, parts: Mapping[str, Future[Snapshot]], layer: str) -> None:
        self._parts, self.layer = dict(parts), layer

    def __getattr__(self, name: str) -> Any:
        future = self._parts.get(name)
        if future is None:
            raise AttributeError(f"snapshot part {name!r} was not fetched")
        snapshot = future.result()
        value = getattr(snapshot, name)
        if value is None and name in snapshot.errors:
            raise PartMissing(name, snapshot.errors[name])
        return value


def evaluate(
    snapshot: Snapshot | Pending, testcase_ids: Iterable[str], probe: Probe | Any = None
) -> dict[str, Outcome]:
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


def _run(check: Check, snapshot: Snapshot | Pending, probe: Probe | None) -> Outcome:
    if isinstance(snapshot, Pending):
        layer = snapshot.layer
    else:
        layer = "kaas" if isinstance(snapshot, KaasSnapshot) else "iaas"
    if check.layer != layer:
        kind = "a Kubernetes cluster" if check.layer == "kaas" else "an OpenStack cloud"
        return Outcome.aborted(f"{check.info.id} checks {kind}, not this subject")
    if not isinstance(snapshot, Pending):  # a pending part says so when it is read
        for part in sorted(check.needs):
            if getattr(snapshot, part) is None and part in snapshot.errors:
                return Outcome.aborted(f"could not read {part}: {snapshot.errors[part]}")
    if check.active and probe is None:
        return Outcome.aborted("active probe needs a connection to the cloud")
    try:
        return check.decide(snapshot, probe) if check.active else check.decide(snapshot)
    except PartMissing as missing:
        return Outcome.aborted(str(missing))
    except Cancelled as error:
        return Outcome.aborted(f"interrupted: {error}")
    except Exception as error:  # a bug or an unexpected API answer must not look like FAIL or PASS
        return Outcome.aborted(f"check crashed: {type(error).__name__}: {error}")
