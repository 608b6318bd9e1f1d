"""The SCS report document (as the official runner writes it), plus our details per testcase."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import yaml

from ..runner import RunResult


def report_document(result: RunResult) -> dict[str, Any]:
    """One report in the official structure; our additions live under `details` and `run.tool`."""
    invocation = str(uuid.uuid5(uuid.UUID(result.run_uuid), "scs-toolkit"))
    results = {
        tc: r.outcome.status.report_value
        for tc, r in result.results.items()
        if r.outcome.status.report_value is not None
    }
    lines = [f"{tc}: {r.outcome.status.value}" for tc, r in result.results.items()]
    errors = sum(1 for r in result.results.values() if r.outcome.status.value == "FAIL")
    return {
        "spec": {"uuid": result.scope_uuid, "name": result.scope_name, "url": result.scope_url},
        "checked_at": result.checked_at.astimezone(dt.UTC),  # aware UTC: YAML writes +00:00
        "reference_date": result.reference_date,
        "subject": result.subject,
        "run": {
            "uuid": result.run_uuid,
            "argv": list(result.argv),
            "assignment": dict(result.assignment) or {"os_cloud": result.subject},
            "sections": list(result.sections) if result.sections else None,
            "forced_version": result.forced_version,
            "forced_tests": result.forced_tests,
            "invocations": {
                invocation: {
                    "id": invocation,
                    "cmd": f"scs-toolkit {result.tool_version} check",
                    "results": results,
                    "rc": 0,
                    "stdout": lines,
                    "stderr": [
                        f"ERROR: {tc}: {r.outcome.reason}"
                        for tc, r in result.results.items()
                        if r.outcome.status.value == "FAIL"
                    ],
                    "info": 0,
                    "warning": 0,
                    "error": errors,
                    "critical": 0,
                }
            },
            "tool": {
                "name": "scs-toolkit",
                "version": result.tool_version,
                "duration_s": round(result.duration_s, 3),
                "api_calls": result.api_calls,
                **({"resource_prefix": result.resource_prefix} if result.resource_prefix else {}),
                **({"interrupted": True} if result.interrupted else {}),
            },
        },
        "details": {
            tc: {
                **({"informational": True} if tc in result.extras else {}),
                "result": r.outcome.status.value,
                "reason": r.outcome.reason,
                "duration_s": round(r.duration_s, 4),
                **({"remediation": r.outcome.remediation} if r.outcome.remediation else {}),
                **(
                    {"findings": [{k: v for k, v in vars(f).items() if v is not None} for f in r.outcome.findings]}
                    if r.outcome.findings
                    else {}
                ),
                **({"left_behind": list(r.outcome.leftovers)} if r.outcome.leftovers else {}),
            }
            for tc, r in {**result.results, **result.extras}.items()
        },
        "verdicts": {
            v.version: {
                "state": v.status.state.value,
                "result": v.verdict.value,
                "failed": list(v.failed),
                "aborted": list(v.aborted),
                "missing": list(v.missing),
            }
            for v in result.verdicts
        },
    }


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False, explicit_start=True, allow_unicode=True)


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(
        document, indent=2, default=lambda v: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)
    )
