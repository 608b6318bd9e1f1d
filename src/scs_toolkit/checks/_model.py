"""What a check says: one of four states, why, and per offending object what was expected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """PASS and FAIL are verdicts; ABORT means no verdict could be reached; MISSING means never run.

    A crash, a timeout, missing permissions or persistent API errors are ABORT, never FAIL.
    """

    PASS = "PASS"
    FAIL = "FAIL"
    ABORT = "ABORT"
    MISSING = "MISSING"

    @property
    def report_value(self) -> int | None:
        """The SCS report encoding: 1 pass, -1 fail, 0 abort (missing results are not reported)."""
        return {"PASS": 1, "FAIL": -1, "ABORT": 0}.get(self.value)


@dataclass(frozen=True)
class Finding:
    """One object that breaks one rule: `subject` (e.g. a flavor name), what was expected and found."""

    subject: str
    message: str
    expected: str | None = None
    actual: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str
    findings: tuple[Finding, ...] = ()
    remediation: str | None = None

    @classmethod
    def passed(cls, reason: str) -> Outcome:
        return cls(Status.PASS, reason)

    @classmethod
    def failed(
        cls, reason: str, findings: tuple[Finding, ...] | list[Finding] = (), remediation: str | None = None
    ) -> Outcome:
        return cls(Status.FAIL, reason, tuple(findings), remediation)

    @classmethod
    def aborted(cls, reason: str) -> Outcome:
        return cls(Status.ABORT, reason)

    @classmethod
    def from_findings(cls, findings: list[Finding], passed: str, failed: str, remediation: str) -> Outcome:
        """FAIL with the findings if there are any, else PASS."""
        if findings:
            return cls.failed(f"{failed}: {', '.join(sorted({f.subject for f in findings}))}", findings, remediation)
        return cls.passed(passed)


@dataclass(frozen=True)
class TestcaseInfo:
    """Metadata of one official testcase, kept next to the code that decides it."""

    __test__ = False  # not a pytest class

    id: str
    standard: str
    description: str
    remediation: str
    severity: str = "error"


@dataclass(frozen=True)
class Check:
    """A testcase implementation: which snapshot parts it reads and the pure function deciding it."""

    info: TestcaseInfo
    needs: frozenset[str]
    decide: Callable[..., Outcome] = field(compare=False)
    #: Active probes also get a live connection (`decide(snapshot, conn)`) and create resources.
    active: bool = False
