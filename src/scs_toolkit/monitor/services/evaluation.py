"""Who passes which scope version on a given moment, from stored testcase results.

Per testcase the most recent result that is still valid at that moment wins (a result is valid
from its check until its lifetime ends, scs-0003). A version's verdict over its required testcases
is FAIL > MISSING > ABORT > PASS. Version states come from the scope's timeline at that moment,
never from start-up. Unlike the official monitor, a version whose results are merely missing does
not count as passed, and only a PASS of a certifiable (effective/warn) version certifies.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...checks import Status
from ...standards import Lifetime, Scope, VersionState, VersionStatus, result_expiry

_VALUES = {1: Status.PASS, 0: Status.ABORT, -1: Status.FAIL}
_PRECEDENCE = (Status.FAIL, Status.MISSING, Status.ABORT)
_RANK = {Status.FAIL: 0, Status.ABORT: 1, Status.PASS: 2}
_GROUP_RANK = {Status.FAIL: 0, Status.MISSING: 1, Status.ABORT: 2, Status.PASS: 3}


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

    @property
    def counts(self) -> dict[str, int]:
        """How many required testcases are in each state ("1 of 57 failing")."""
        found = dict.fromkeys((s.value for s in (Status.FAIL, Status.MISSING, Status.ABORT, Status.PASS)), 0)
        for testcase in self.testcases:
            found[testcase.status.value] += 1
        return found


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


def expiry(checked_at: dt.datetime, lifetime: Lifetime | None) -> dt.datetime:
    """`result_expiry`, remembered per day and lifetime for stored (naive) moments: it depends on
    nothing else, and the overview asks it for thousands of results from a few hundred days."""
    if checked_at.tzinfo is not None:
        return result_expiry(checked_at, lifetime)
    return _expiry_of_day(checked_at.date(), lifetime)


@functools.lru_cache(maxsize=8192)
def _expiry_of_day(day: dt.date, lifetime: Lifetime | None) -> dt.datetime:
    return result_expiry(dt.datetime.combine(day, dt.time()), lifetime)


def current_results(scope: Scope, results: Iterable[StoredResult], at: dt.datetime) -> dict[str, TestcaseStatus]:
    """Per testcase of the scope, the most recent result valid at `at` (older, expired ones are ignored)."""
    best: dict[str, TestcaseStatus] = {}
    for result in results:
        testcase = scope.testcases.get(result.testcase)
        if testcase is None or result.checked_at > at or result.value not in _VALUES:
            continue
        expires = expiry(result.checked_at, testcase.lifetime)
        if at >= expires:
            continue
        current = best.get(result.testcase)
        if current is None or _supersedes(result, current):
            best[result.testcase] = TestcaseStatus(
                result.testcase, _VALUES[result.value], result.checked_at, expires, result.report_uuid
            )
    return best


def _supersedes(result: StoredResult, current: TestcaseStatus) -> bool:
    """Newer wins; of two results from the same moment the worse one (FAIL, then ABORT) wins."""
    assert current.checked_at is not None
    if result.checked_at != current.checked_at:
        return result.checked_at > current.checked_at
    return _RANK[_VALUES[result.value]] < _RANK[current.status]


def evaluate_scope(scope: Scope, results: Iterable[StoredResult], at: dt.datetime) -> ScopeEvaluation:
    """Every version the timeline lists at `at`, with its verdict and the status of each required testcase."""
    return _verdicts(scope, current_results(scope, results, at), at)


def _verdicts(scope: Scope, current: dict[str, TestcaseStatus], at: dt.datetime) -> ScopeEvaluation:
    evaluations = []
    for status in scope.statuses(at.date()):
        if not status.listed:
            continue
        version = scope.version(status.version)
        testcases = tuple(current.get(tc) or TestcaseStatus(tc, Status.MISSING) for tc in version.required)
        seen = {t.status for t in testcases}
        verdict = next((s for s in _PRECEDENCE if s in seen), Status.PASS)
        evaluations.append(VersionEvaluation(version.name, status, verdict, testcases))
    return ScopeEvaluation(scope.uuid, at, tuple(evaluations))


def daily_history(
    scope: Scope, results: Sequence[StoredResult], days: Sequence[dt.date], now: dt.datetime
) -> list[ScopeEvaluation]:
    """The status at the end of each day (or now, for today), in one pass over time-ordered results.

    The most recent result per testcase is the only one that can be valid (older ones of the same
    testcase expire no later), so keeping the newest per testcase while walking forward suffices;
    each result's expiry is computed once, when it becomes the newest.
    """
    ordered = sorted(results, key=lambda r: r.checked_at)
    newest: dict[str, TestcaseStatus] = {}
    position = 0
    history = []
    for day in sorted(days):
        moment = min(dt.datetime.combine(day, dt.time.max), now)
        while position < len(ordered) and ordered[position].checked_at <= moment:
            result = ordered[position]
            position += 1
            testcase = scope.testcases.get(result.testcase)
            if testcase is None or result.value not in _VALUES:
                continue
            previous = newest.get(result.testcase)
            if previous is None or _supersedes(result, previous):
                expires = expiry(result.checked_at, testcase.lifetime)
                newest[result.testcase] = TestcaseStatus(
                    result.testcase, _VALUES[result.value], result.checked_at, expires, result.report_uuid
                )
        valid = {tc: status for tc, status in newest.items() if status.expires_at and moment < status.expires_at}
        history.append(_verdicts(scope, valid, moment))
    return history


def worst_of(scope_uuid: str, at: dt.datetime, members: Sequence[ScopeEvaluation]) -> ScopeEvaluation:
    """A group (regions of one cloud, k8s branches) is as good as its worst member, per testcase and version."""
    if not members:
        return ScopeEvaluation(scope_uuid, at, ())
    versions = []
    for index, first in enumerate(members[0].versions):
        same = [m.versions[index] for m in members]
        testcases = []
        for position in range(len(first.testcases)):
            statuses = [v.testcases[position] for v in same]
            testcases.append(min(statuses, key=lambda t: _GROUP_RANK[t.status]))
        verdict = min((v.verdict for v in same), key=lambda s: _GROUP_RANK[s])
        versions.append(VersionEvaluation(first.version, first.state, verdict, tuple(testcases)))
    return ScopeEvaluation(scope_uuid, at, tuple(versions))


def certified_days(
    scope: Scope, results: Iterable[tuple[str, int, dt.datetime]], days: Sequence[dt.date], now: dt.datetime
) -> list[bool]:
    """Per day (oldest first): did it end certified, i.e. did a certifiable version pass (the overview's
    compliance share)? The same sweep as `daily_history` over (testcase, value, checked_at) rows, but it
    only asks that one question, so it builds no evaluations; expiries are computed once per day and
    lifetime (a report's results share their moment)."""
    ordered = sorted(results, key=lambda r: r[2])
    newest: dict[str, tuple[dt.datetime, int, dt.datetime]] = {}  # testcase -> (checked_at, value, expires)
    expiries: dict[tuple[dt.date, str], dt.datetime] = {}
    required: dict[dt.date | None, list[tuple[str, ...]]] = {}
    position, answers = 0, []
    for day in sorted(days):
        moment = min(dt.datetime.combine(day, dt.time.max), now)
        while position < len(ordered) and ordered[position][2] <= moment:
            name, value, checked_at = ordered[position]
            position += 1
            testcase = scope.testcases.get(name)
            if testcase is None or value not in _VALUES:
                continue
            previous = newest.get(name)
            if (
                previous is None
                or checked_at > previous[0]
                or (checked_at == previous[0] and _RANK[_VALUES[value]] < _RANK[_VALUES[previous[1]]])
            ):
                key = (checked_at.date(), testcase.lifetime)
                expires = expiries.get(key)
                if expires is None:
                    expires = expiries[key] = result_expiry(checked_at, testcase.lifetime)
                newest[name] = (checked_at, value, expires)
        entry = scope.timeline_entry(moment.date())
        period = entry.date if entry else None
        if period not in required:
            required[period] = [
                scope.version(s.version).required
                for s in scope.statuses(moment.date())
                if s.listed and s.state.certifiable
            ]
        answers.append(any(_all_pass(newest, testcases, moment) for testcases in required[period]))
    return answers


def _all_pass(
    newest: dict[str, tuple[dt.datetime, int, dt.datetime]], testcases: tuple[str, ...], at: dt.datetime
) -> bool:
    for testcase in testcases:
        found = newest.get(testcase)
        if found is None or found[1] != 1 or at >= found[2]:
            return False
    return True
