"""The JSON API's response models (they document it in the OpenAPI schema) and their builders.

HTML pages render the same models, so a page never shows what the API would not.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from .. import standards
from .db import Account, Certificate
from .services import certificates
from .services.evaluation import ScopeEvaluation
from .services.status import aware

#: Every moment the monitor emits is timezone-aware UTC (`...Z`); the database stores naive UTC.
UtcDateTime = Annotated[dt.datetime, AfterValidator(aware)]


class TestcaseState(BaseModel):
    __test__ = False

    result: str
    checked_at: UtcDateTime | None = None
    expires_at: UtcDateTime | None = None
    report: str | None = None
    reason: str | None = None


class VersionState(BaseModel):
    state: str
    result: str
    testcases: dict[str, TestcaseState]


class ScopeStatus(BaseModel):
    scope: str
    scope_name: str
    summary: str
    warn: bool
    certified: list[str]
    passed: list[str]
    versions: dict[str, VersionState]


class StatusResponse(BaseModel):
    scope: str
    at: UtcDateTime
    subjects: dict[str, ScopeStatus]


class SubjectInfo(BaseModel):
    subject: str
    display_name: str
    description: str = ""
    operator: str = ""
    layer: str | None = None
    group: str | None = None
    healthmon_url: str | None = None


class SubjectSummary(SubjectInfo):
    scopes: dict[str, ScopeStatus]


class HistoryDay(BaseModel):
    date: dt.date
    summary: str
    certified: list[str]
    versions: dict[str, str]


class HistoryResponse(BaseModel):
    subject: str
    scope: str
    scope_name: str
    days: list[HistoryDay]


class CertificateInfo(BaseModel):
    serial: str
    subject: str
    scope: str
    scope_name: str
    version: str
    issued_at: UtcDateTime
    expires_at: UtcDateTime
    state: str
    report: str
    revoked_at: UtcDateTime | None = None
    revocation_reason: str | None = None


class RevocationList(BaseModel):
    generated_at: UtcDateTime
    certificates: list[CertificateInfo]


class RevokeRequest(BaseModel):
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=certificates.MAX_REASON),
        Field(description="Why (one line, published on the revocation list)"),
    ]


class ReportSummary(BaseModel):
    uuid: str
    subject: str
    scope: str
    checked_at: UtcDateTime
    received_at: UtcDateTime


class ScopeVersionInfo(BaseModel):
    name: str
    state: str
    listed: bool
    stabilized_at: dt.date | None
    effective_from: dt.date | None
    until: dt.date | None


class ScopeModuleInfo(BaseModel):
    id: str
    name: str | None
    url: str | None
    versions: dict[str, dict[str, Any] | None]


class ScopeInfo(BaseModel):
    uuid: str
    name: str
    url: str
    versions: list[ScopeVersionInfo]
    modules: list[ScopeModuleInfo]


def scope_status(
    scope: standards.Scope,
    evaluation: ScopeEvaluation,
    reasons: dict[str, str] | None = None,
    with_testcases: bool = True,
) -> ScopeStatus:
    """`with_testcases=False` leaves the per-testcase states out (the overview needs only verdicts)."""
    reasons = reasons or {}
    return ScopeStatus(
        scope=scope.uuid,
        scope_name=scope.name,
        summary=evaluation.summary.value,
        warn=evaluation.warn,
        certified=list(evaluation.certified),
        passed=list(evaluation.passed),
        versions={
            v.version: VersionState(
                state=v.state.state.value,
                result=v.verdict.value,
                testcases={
                    t.testcase: TestcaseState(
                        result=t.status.value,
                        checked_at=t.checked_at,
                        expires_at=t.expires_at,
                        report=t.report_uuid,
                        reason=reasons.get(t.testcase) if t.status.value != "PASS" else None,
                    )
                    for t in (v.testcases if with_testcases else ())
                },
            )
            for v in evaluation.versions
        },
    )


def subject_info(subject: str, account: Account | None) -> SubjectInfo:
    return SubjectInfo(
        subject=subject,
        display_name=(account.display_name if account else None) or subject,
        description=(account.description if account else None) or "",
        operator=(account.operator if account else None) or "",
        layer=account.layer if account else None,
        group=account.group if account else None,
        healthmon_url=safe_url(account.healthmon_url if account else None),
    )


def certificate_info(certificate: Certificate, now: dt.datetime) -> CertificateInfo:
    scope = next((s for s in standards.bundled_scopes() if s.uuid == certificate.scope_uuid), None)
    return CertificateInfo(
        serial=certificate.serial,
        subject=certificate.subject,
        scope=certificate.scope_uuid,
        scope_name=scope.name if scope else certificate.scope_uuid,
        version=certificate.version,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        state=certificates.state(certificate, now),
        report=certificate.report_uuid,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
    )


def scope_info(scope: standards.Scope, today: dt.date) -> ScopeInfo:
    """Versions (with state today and the dates of the timeline) x modules (with parameters)."""
    timeline = sorted(scope.timeline, key=lambda entry: entry.date)
    versions = []
    for status in scope.statuses(today):
        version = scope.version(status.version)
        certifiable = [
            e.date for e in timeline if e.states.get(version.name, standards.VersionState.DEPRECATED).certifiable
        ]
        after = [e.date for e in timeline if certifiable and e.date > certifiable[-1]]
        versions.append(
            ScopeVersionInfo(
                name=version.name,
                state=status.state.value,
                listed=status.listed,
                stabilized_at=version.stabilized_at,
                effective_from=certifiable[0] if certifiable else None,
                until=after[0] if after else None,
            )
        )
    modules = []
    for module in scope.modules.values():
        included = {}
        for version in scope.versions:
            inclusion = next((i for i in version.includes if i.module.id == module.id), None)
            included[version.name] = None if inclusion is None else {str(k): v for k, v in inclusion.parameters.items()}
        if any(v is not None for v in included.values()):
            modules.append(ScopeModuleInfo(id=module.id, name=module.name, url=module.url, versions=included))
    return ScopeInfo(uuid=scope.uuid, name=scope.name, url=scope.url, versions=versions, modules=modules)


def history_day(date: dt.date, evaluation: ScopeEvaluation) -> HistoryDay:
    return HistoryDay(
        date=date,
        summary=evaluation.summary.value,
        certified=list(evaluation.certified),
        versions={v.version: v.verdict.value for v in evaluation.versions},
    )


def safe_url(url: str | None) -> str | None:
    """Only http(s) links reach a page (a `javascript:` URL would survive HTML escaping)."""
    return url if url and url.startswith(("https://", "http://")) else None
