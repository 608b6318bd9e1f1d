"""Conformance checks: pure functions from a snapshot to an Outcome, one per official testcase id."""

from __future__ import annotations

from ._evaluate import evaluate
from ._model import PROBE_PREFIX, Check, Finding, Outcome, Probe, Status, TestcaseInfo, new_prefix
from ._registry import all_checks

__all__ = [
    "PROBE_PREFIX",
    "Check",
    "Finding",
    "Outcome",
    "Probe",
    "Status",
    "TestcaseInfo",
    "all_checks",
    "evaluate",
    "new_prefix",
]
