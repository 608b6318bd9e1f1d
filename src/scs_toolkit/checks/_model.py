"""What a check says: one of four states, why, and per offending object what was expected."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

#: Every resource a probe creates is named (floating IPs: described) with this prefix plus the run's id.
PROBE_PREFIX = "scs-test-"


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
    #: Resources a probe created and could not remove (kind, name and why): the verdict stands, the user must act.
    leftovers: tuple[str, ...] = ()

    def left_behind(self, leftovers: list[str] | tuple[str, ...]) -> Outcome:
        """This outcome, also naming what the probe could not remove."""
        return dataclasses.replace(self, leftovers=self.leftovers + tuple(leftovers)) if leftovers else self

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
    #: Active probes also get a Probe (`decide(snapshot, probe)`: connection, resource prefix) and create resources.
    active: bool = False
    #: What the check looks at: "iaas" (an OpenStack cloud: IaasSnapshot) or "kaas" (a Kubernetes cluster: KaasSnapshot).
    layer: str = "iaas"
    #: Scope uuid this check informs without being one of its (automated) testcases: run alongside, never judged.
    informs: str | None = None
    #: Section of an informing check (light, medium, heavy), for `--sections`.
    section: str | None = None


@dataclass(frozen=True)
class Probe:
    """What an active check gets besides the snapshot: a live connection and the run's resource prefix.

    The prefix (`scs-test-<run>-`) is unique per run, so that two checks of one project at once (CI and
    an operator) never meet each other's resources, a leftover of a killed run never blocks the next one,
    and `scs check cleanup` can find leftovers by prefix.
    """

    conn: Any
    prefix: str = field(default_factory=lambda: new_prefix())
    #: Seconds a probe may wait for one thing (a server to boot, a console, a backup); None: each probe's default.
    timeout_s: float | None = None
    #: The scope's variables for this run (e.g. KaaS `execution_mode`: parallel, serial, dry).
    settings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, hash=False)

    def name(self, what: str) -> str:
        return f"{self.prefix}{what}"


def new_prefix(run_id: str | None = None) -> str:
    return f"{PROBE_PREFIX}{run_id or secrets.token_hex(3)}-"
