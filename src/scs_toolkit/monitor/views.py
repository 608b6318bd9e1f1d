"""Public HTML views and SVG badges, rendered with Jinja2 (autoescape on: reports are untrusted input)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .. import standards
from ..checks import Status
from .services.evaluation import ScopeEvaluation

_ENVIRONMENT = Environment(
    loader=PackageLoader("scs_toolkit.monitor", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_COLOURS = {Status.PASS: "#4c1", Status.FAIL: "#e05d44", Status.MISSING: "#fe7d37", Status.ABORT: "#9f9f9f"}


def render(template: str, **context: Any) -> str:
    return str(_ENVIRONMENT.get_template(template).render(**context))


def cell(evaluation: ScopeEvaluation) -> dict[str, Any]:
    versions = ", ".join(evaluation.certified) or "–"
    return {"summary": evaluation.summary.value, "versions": versions, "warn": evaluation.warn}


def details_scope(scope: standards.Scope, evaluation: ScopeEvaluation) -> dict[str, Any]:
    testcases = sorted({t.testcase for v in evaluation.versions for t in v.testcases})
    by_version = {v.version: {t.testcase: t for t in v.testcases} for v in evaluation.versions}
    rows = []
    for testcase in testcases:
        cells = []
        for version in evaluation.versions:
            status = by_version[version.version].get(testcase)
            cells.append({"result": status.status.value, "checked_at": status.checked_at} if status else {})
        rows.append({"testcase": testcase, "cells": cells})
    return {
        "name": scope.name,
        "summary": evaluation.summary.value,
        "certified": ", ".join(evaluation.certified),
        "versions": [
            {"name": v.version, "state": v.state.state.value, "result": v.verdict.value} for v in evaluation.versions
        ],
        "rows": rows,
    }


def badge(label: str, evaluation: ScopeEvaluation) -> str:
    """A shields-style SVG badge; all text is XML-escaped by the template engine."""
    message = ", ".join(evaluation.certified) if evaluation.certified else evaluation.summary.value.lower()
    colour = "#dfb317" if evaluation.warn else _COLOURS[evaluation.summary]
    left, right = 7 * len(label) + 10, 7 * len(message) + 10
    template = _ENVIRONMENT.from_string(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{{ w }}" height="20" role="img" aria-label="{{ label }}: {{ message }}">'
        "<title>{{ label }}: {{ message }}</title>"
        '<rect width="{{ left }}" height="20" fill="#555"/><rect x="{{ left }}" width="{{ right }}" height="20" fill="{{ colour }}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        '<text x="{{ left / 2 }}" y="14">{{ label }}</text><text x="{{ left + right / 2 }}" y="14">{{ message }}</text></g></svg>'
    )
    return str(template.render(w=left + right, left=left, right=right, label=label, message=message, colour=colour))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
