"""Execute a certificate scope against a subject and aggregate per-version verdicts."""

from __future__ import annotations

from ._model import RunResult, TestcaseResult, VersionVerdict
from ._run import SelectionError, informing, run_scope, select

__all__ = ["RunResult", "SelectionError", "TestcaseResult", "VersionVerdict", "informing", "run_scope", "select"]
