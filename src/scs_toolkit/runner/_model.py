"""The result of running a scope against one subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..checks import Outcome, Status
from ..standards import VersionStatus


@dataclass(frozen=True)
class TestcaseResult:
    __test__ = False

    id: str
    outcome: Outcome
    duration_s: float


@dataclass(frozen=True)
class VersionVerdict:
    """A version's verdict from its required testcases: FAIL > MISSING > ABORT > PASS (scs-0003)."""

    version: str
    status: VersionStatus
    verdict: Status
    failed: tuple[str, ...] = ()
    aborted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    #: The required testcases this verdict rests on (with a testcase filter: the selected ones).
    judged: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunResult:
    scope_uuid: str
    scope_name: str
    scope_url: str
    subject: str
    run_uuid: str
    checked_at: dt.datetime
    reference_date: dt.date
    argv: tuple[str, ...]
    forced_version: str | None
    forced_tests: str | None
    sections: tuple[str, ...] | None
    results: Mapping[str, TestcaseResult]
    verdicts: tuple[VersionVerdict, ...]
    duration_s: float
    api_calls: int | None = None
    tool_version: str = ""
    snapshot_errors: Mapping[str, str] = field(default_factory=dict)
    #: What the run's probes named their resources with (`scs check cleanup --prefix` finds leftovers by it).
    resource_prefix: str | None = None
    #: The user stopped the run (Ctrl-C): testcases that had not started are MISSING.
    interrupted: bool = False
    #: Checks that inform the scope without being its automated testcases (never judged, not in `results`).
    extras: Mapping[str, TestcaseResult] = field(default_factory=dict)
    #: The scope variables the subject was checked with (IaaS: os_cloud; KaaS: kubeconfig, context).
    assignment: Mapping[str, str] = field(default_factory=dict)

    @property
    def leftovers(self) -> tuple[str, ...]:
        every = (*self.results.values(), *self.extras.values())
        return tuple(item for r in every for item in r.outcome.leftovers)

    @property
    def passes_effective(self) -> bool:
        """Whether every certifiable (effective or warn) version that was tested passes."""
        certifiable = [v for v in self.verdicts if v.status.listed and v.status.state.certifiable]
        return bool(certifiable) and all(v.verdict is Status.PASS for v in certifiable)
