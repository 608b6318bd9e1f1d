"""Who passes which scope version on a given moment, from stored testcase results.

Per testcase the most recent result that is still valid at that moment wins (a result is valid
from its check until its lifetime ends, scs-0003). A version's verdict over its required testcases
is FAIL > MISSING > ABORT > PASS. Version states come from the scope's timeline at that moment,
never from start-up. Unlike the official monitor, a version whose results are merely missing does
not count as passed, and only a PASS of a certifiable (effective/warn) version certifies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ...checks import Status
from ...standards import Scope, VersionState, VersionStatus, result_expiry

_VALUES = {1: Status.PASS, 0: Status.ABORT, -1: Status.FAIL}
_PRECEDENCE = (Status.FAIL, Status.MISSING, Status.ABORT)


@dataclass(frozen=True)
class StoredResult:
    """One testcase result as a report delivered it (value 1 pass, 0 abort, -1 fail)."""

    testcase: str
    value: int
    checked_at: dt.datetime
    report_uuid: str | None = None


@dataclass(frozen=True)
class TestcaseStatus:
    __test__ = False

    testcase: str
    status: Status
    checked_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    report_uuid: str | None = None


@dataclass(frozen=True)
class VersionEvaluation:
    version: str
    state: VersionStatus
    verdict: Status
    testcases: tuple[TestcaseStatus, ...]


@dataclass(frozen=True)
class ScopeEvaluation:
    scope_uuid: str
    at: dt.datetime
    versions: tuple[VersionEvaluation, ...]

    @property
    def certified(self) -> tuple[str, ...]:
        """Certifiable versions (effective or warn) that pass, in scope order."""
        return tuple(v.version for v in self.versions if v.state.state.certifiable and v.verdict is Status.PASS)

    @property
    def passed(self) -> tuple[str, ...]:
        """All listed versions that pass, drafts included."""
        return tuple(v.version for v in self.versions if v.verdict is Status.PASS)

    @property
    def summary(self) -> Status:
        """One state for the overview: PASS if a certifiable version passes, else the best verdict there is."""
        if self.certified:
            return Status.PASS
        certifiable = [v.verdict for v in self.versions if v.state.state.certifiable]
        for status in (Status.ABORT, Status.MISSING, Status.FAIL):
            if status in certifiable:
                return status
        return Status.MISSING

    @property
    def warn(self) -> bool:
        """The certifying version is about to expire (its state is `warn`)."""
        states = {v.version: v.state.state for v in self.versions}
        return bool(self.certified) and all(states[v] is VersionState.WARN for v in self.certified)


def current_results(scope: Scope, results: Iterable[StoredResult], at: dt.datetime) -> dict[str, TestcaseStatus]:
    """Per testcase of the scope, the most recent result valid at `at` (older, expired ones are ignored)."""
    best: dict[str, TestcaseStatus] = {}
    for result in results:
        testcase = scope.testcases.get(result.testcase)
        if testcase is None or result.checked_at > at or result.value not in _VALUES:
            continue
        expires = result_expiry(result.checked_at, testcase.lifetime)
        if at >= expires:
            continue
        current = best.get(result.testcase)
        if current is None or (current.checked_at is not None and result.checked_at > current.checked_at):
            best[result.testcase] = TestcaseStatus(
                result.testcase, _VALUES[result.value], result.checked_at, expires, result.report_uuid
            )
    return best


def evaluate_scope(scope: Scope, results: Iterable[StoredResult], at: dt.datetime) -> ScopeEvaluation:
    """Every version the timeline lists at `at`, with its verdict and the status of each required testcase."""
    current = current_results(scope, results, at)
    evaluations = []
    for status in scope.statuses(at.date()):
        if not status.listed:
            continue
        version = scope.version(status.version)
        testcases = tuple(current.get(tc, TestcaseStatus(tc, Status.MISSING)) for tc in version.required)
        seen = {t.status for t in testcases}
        verdict = next((s for s in _PRECEDENCE if s in seen), Status.PASS)
        evaluations.append(VersionEvaluation(version.name, status, verdict, testcases))
    return ScopeEvaluation(scope.uuid, at, tuple(evaluations))
