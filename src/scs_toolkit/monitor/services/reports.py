"""Stored reports as the public and their owners see them.

Public redaction follows the official monitor (stdout keeps result lines, stderr keeps WARNING and
ERROR lines) and also removes what names the operator's internals: the command line, variable
assignments and per-finding details. Whatever remains is untrusted text; templates escape it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import ROLES
from ..db import Account, Report

MARKER = "(the following has been redacted)"
_VERDICTS = ("PASS", "ABORT", "FAIL")


def find(db: Session, report_uuid: str) -> Report | None:
    return db.scalar(select(Report).where(Report.uuid == report_uuid))


class ReportAccessError(Exception):
    """Why a report cannot be shown: `status_code` 404 (unknown), 401 (log in) or 403 (not yours)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


def readable(db: Session, report_uuid: str, account: Account | None, full: bool) -> tuple[Report, dict[str, Any]]:
    """The report and its document, redacted unless `full` is asked for by someone allowed to."""
    report = find(db, report_uuid)
    if report is None:
        raise ReportAccessError(404, f"unknown report {report_uuid}")
    if full and account is None:
        raise ReportAccessError(401, "the full report requires logging in")
    if full and account is not None and not may_read_full(account, report):
        raise ReportAccessError(403, f"{account.subject} may not read the full report of {report.subject}")
    return report, document(report, full)


def may_read_full(account: Account, report: Report) -> bool:
    """The subject itself, whoever uploaded the report, and `read_any` accounts."""
    return account.subject in (report.subject, report.uploader) or bool(account.roles & ROLES["read_any"])


def document(report: Report, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(report.data)
    return data if full else redact(data)


def redact(data: dict[str, Any]) -> dict[str, Any]:
    public = copy.deepcopy(data)
    run = _mapping(public.get("run"))
    removed = False
    for key in ("argv", "assignment"):
        if run.get(key):
            run[key] = MARKER
            removed = True
    invocations = _mapping(run.get("invocations"))
    for invocation in invocations.values():
        if not isinstance(invocation, dict):
            continue
        for stream, keep in (("stdout", _is_result_line), ("stderr", _is_warning_or_error)):
            lines = [str(line) for line in invocation.get(stream) or []]
            kept = [line for line in lines if keep(line)]
            if len(kept) < len(lines):
                invocation[stream] = [MARKER, *kept]
                removed = True
    details = _mapping(public.get("details"))
    for detail in details.values():
        if isinstance(detail, dict) and "findings" in detail:
            detail["findings"] = MARKER
            removed = True
    public["redacted"] = removed
    return public


def reasons(data: dict[str, Any]) -> dict[str, str]:
    """Per testcase, the short reason our runner gives (public in both views)."""
    details = _mapping(data.get("details"))
    return {str(k): str(v["reason"]) for k, v in details.items() if isinstance(v, dict) and v.get("reason")}


def _mapping(value: Any) -> dict[str, Any]:
    """Reports are free-form beyond the validated keys: treat anything but a mapping as empty."""
    return value if isinstance(value, dict) else {}


def _is_result_line(line: str) -> bool:
    return line.rsplit(": ", 1)[-1].strip().upper() in _VERDICTS


def _is_warning_or_error(line: str) -> bool:
    return line.startswith(("WARNIN", "ERROR:"))
