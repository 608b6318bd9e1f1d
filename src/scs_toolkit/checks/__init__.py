"""Conformance checks: pure functions from a snapshot to an Outcome, one per official testcase id."""

from __future__ import annotations

from ._evaluate import evaluate
from ._model import Check, Finding, Outcome, Status, TestcaseInfo
from ._registry import all_checks

__all__ = ["Check", "Finding", "Outcome", "Status", "TestcaseInfo", "all_checks", "evaluate"]
