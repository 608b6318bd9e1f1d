"""A saved `scs check` report as input to a plan: which testcases it ran, and what failed and why.

The report says what failed when it was written; the plan judges the live cloud again and uses the
report only for what a plan cannot judge by looking (the active probes: entropy in a VM, a backup,
a key-manager secret) and to say which of its failures have gone since.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ReportError(ValueError):
    """A report file that cannot be used; the message says why and where."""


@dataclass(frozen=True)
class ReportResult:
    result: str
    reason: str
    remediation: str | None = None
    #: `subject: message` per finding, as the report lists them
    findings: tuple[str, ...] = ()

    @property
    def explained(self) -> str:
        return f"{self.reason}: {'; '.join(self.findings)}" if self.findings else self.reason


@dataclass(frozen=True)
class SavedReport:
    path: str
    subject: str
    checked_at: str
    results: Mapping[str, ReportResult]

    @property
    def failed(self) -> dict[str, ReportResult]:
        return {tc: r for tc, r in self.results.items() if r.result == "FAIL"}


def load_report(path: Path, subject: str | None = None) -> SavedReport:
    """The report for `subject` (a file may hold several clouds' reports), or the only one in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot read the report {path}: {error.strerror or error}") from None
    try:
        loaded: Any = json.loads(text) if path.suffix == ".json" else list(yaml.safe_load_all(text))
    except (ValueError, yaml.YAMLError) as error:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise ReportError(f"{path} is not a report (not {kind}: {error})") from None
    documents = loaded if isinstance(loaded, list) else [loaded]
    documents = [d for d in documents if d is not None]
    if not documents or not all(isinstance(d, dict) and isinstance(d.get("details"), dict) for d in documents):
        raise ReportError(f"{path} is not a report written by `scs check -o` (no `details` with a result per testcase)")
    if subject is not None and len(documents) > 1:
        chosen = [d for d in documents if d.get("subject") == subject]
        if not chosen:
            subjects = ", ".join(str(d.get("subject")) for d in documents)
            raise ReportError(f"{path} has reports for {subjects}, none for {subject}")
        documents = chosen
    if len(documents) > 1:
        raise ReportError(f"{path} holds {len(documents)} reports: name the cloud with --os-cloud")
    document = documents[0]
    results = {}
    for testcase, detail in document["details"].items():
        if not isinstance(detail, dict) or not isinstance(detail.get("result"), str):
            raise ReportError(f"{path}: details.{testcase} has no result")
        findings = tuple(
            f"{f.get('subject')}: {f.get('message')}" for f in detail.get("findings") or () if isinstance(f, dict)
        )
        results[str(testcase)] = ReportResult(
            detail["result"], str(detail.get("reason") or ""), detail.get("remediation"), findings
        )
    return SavedReport(str(path), str(document.get("subject") or ""), str(document.get("checked_at") or ""), results)
