"""The JSON API's response models (they document it in the OpenAPI schema) and their builders.

HTML pages render the same models, so a page never shows what the API would not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from .. import standards
from .db import Account, Certificate
from .services import certificates
from .services.current import AccountFacts
from .services.evaluation import ScopeEvaluation
from .services.status import Offering, aware

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
    counts: dict[str, int] = Field(default_factory=dict, description="required testcases per result")
    certified_since: UtcDateTime | None = Field(None, description="issue date of the valid certificate")
    certified_until: UtcDateTime | None = Field(None, description="expiry of the valid certificate")
    certificate: str | None = Field(None, description="serial of the valid certificate")
    retires_on: dt.date | None = Field(None, description="when the timeline stops this version from certifying")


class ScopeStatus(BaseModel):
    scope: str
    scope_name: str
    summary: str
    warn: bool
    certified: list[str]
    passed: list[str]
    versions: dict[str, VersionState]
    offered: bool = Field(
        True,
        description="false: the subject does not offer this layer, which is no failure (decided for /api/subjects, "
        "/api/subjects/{subject} and the feed: from the account's layer, else from the scopes it reported on)",
    )
    offered_note: str = Field("", description="why the subject counts as offering this scope or not")
    last_checked_at: UtcDateTime | None = Field(None, description="newest result on this scope, expired or not")
    compliance: dict[str, float | None] = Field(
        default_factory=dict, description="share of the last 30/90 days (since the first report) that ended certified"
    )
    compliance_pending: bool = Field(False, description="the shares are being computed (a moment after start-up)")


class StatusResponse(BaseModel):
    scope: str
    subjects: dict[str, ScopeStatus]
    at: UtcDateTime  # last: the only per-request part of a cached answer (see compression.GzipHead)


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
    certified_any: bool = Field(False, description="certified (or holding a valid certificate) for an offered scope")


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


class HeldCertificate(Protocol):
    """What a status shows of a valid certificate (a stored one, or a snapshot's plain copy)."""

    @property
    def serial(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def issued_at(self) -> dt.datetime: ...
    @property
    def expires_at(self) -> dt.datetime: ...


def scope_status(
    scope: standards.Scope,
    evaluation: ScopeEvaluation,
    reasons: dict[str, str] | None = None,
    with_testcases: bool = True,
    certificates: Sequence[HeldCertificate] | None = None,
    offering: Offering | None = None,
    last_checked_at: dt.datetime | None = None,
    compliance: dict[str, float | None] | None = None,
    compliance_pending: bool = False,
) -> ScopeStatus:
    """`with_testcases=False` leaves the per-testcase states out (the overview needs only verdicts);
    `certificates` are the subject's valid ones for this scope (newest first)."""
    reasons = reasons or {}
    valid: dict[str, HeldCertificate] = {}
    for certificate in certificates or []:
        valid.setdefault(certificate.version, certificate)
    versions = {}
    for v in evaluation.versions:
        held = valid.get(v.version)
        versions[v.version] = VersionState(
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
            counts=v.counts,
            certified_since=held.issued_at if held else None,
            certified_until=held.expires_at if held else None,
            certificate=held.serial if held else None,
            retires_on=retirement(scope, v.version, evaluation.at.date()) if v.state.state.certifiable else None,
        )
    return ScopeStatus(
        scope=scope.uuid,
        scope_name=scope.name,
        summary=evaluation.summary.value,
        warn=evaluation.warn,
        certified=list(evaluation.certified),
        passed=list(evaluation.passed),
        versions=versions,
        offered=offering.offered if offering else True,
        offered_note=offering.why if offering else "",
        last_checked_at=last_checked_at,
        compliance=compliance or {},
        compliance_pending=compliance_pending,
    )


def retirement(scope: standards.Scope, version: str, today: dt.date) -> dt.date | None:
    """The first timeline date after `today` on which `version` no longer certifies (None: not planned)."""
    for entry in sorted(scope.timeline, key=lambda e: e.date):
        if entry.date > today and not entry.states.get(version, standards.VersionState.DEPRECATED).certifiable:
            return entry.date
    return None


def subject_info(subject: str, account: Account | AccountFacts | None) -> SubjectInfo:
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


class FeedRow(BaseModel):
    """One subject x scope of the public overview, flat: what a docs site builds its tables from."""

    subject: str
    display_name: str
    description: str
    operator: str
    group: str | None
    layer: str | None
    listed_as: str = Field(description="`certified` or `not certified` (the overview's two tables)")
    scope: str
    scope_name: str
    offered: bool
    state: str = Field(description="PASS, FAIL, MISSING, ABORT, or NOT-OFFERED")
    certified_versions: list[str]
    certified_since: UtcDateTime | None
    certified_until: UtcDateTime | None
    version: str | None = Field(description="the version the counts are about (certified, else effective)")
    required: int
    failing: int
    missing: int
    aborted: int
    last_checked_at: UtcDateTime | None
    compliance_30d: float | None
    compliance_90d: float | None
    page: str = Field(description="path of the subject's page on this monitor")


class Feed(BaseModel):
    generated_at: UtcDateTime
    rows: list[FeedRow]


def feed_rows(subjects: list[SubjectSummary]) -> list[FeedRow]:
    rows = []
    for subject in subjects:
        for scope_state in subject.scopes.values():
            held = [v for v in scope_state.versions.values() if v.certificate]
            focus = next(
                (
                    (n, v)
                    for n, v in scope_state.versions.items()
                    if n in scope_state.certified or v.state in ("effective", "warn")
                ),
                next(iter(scope_state.versions.items()), None),
            )
            counts = focus[1].counts if focus else {}
            rows.append(
                FeedRow(
                    subject=subject.subject,
                    display_name=subject.display_name,
                    description=subject.description,
                    operator=subject.operator,
                    group=subject.group,
                    layer=subject.layer,
                    listed_as="certified" if subject.certified_any else "not certified",
                    scope=scope_state.scope,
                    scope_name=scope_state.scope_name,
                    offered=scope_state.offered,
                    state=scope_state.summary if scope_state.offered else "NOT-OFFERED",
                    certified_versions=scope_state.certified,
                    certified_since=min((v.certified_since for v in held if v.certified_since), default=None),
                    certified_until=max((v.certified_until for v in held if v.certified_until), default=None),
                    version=focus[0] if focus else None,
                    required=sum(counts.values()),
                    failing=counts.get("FAIL", 0),
                    missing=counts.get("MISSING", 0),
                    aborted=counts.get("ABORT", 0),
                    last_checked_at=scope_state.last_checked_at,
                    compliance_30d=scope_state.compliance.get("30d"),
                    compliance_90d=scope_state.compliance.get("90d"),
                    page=f"/subjects/{subject.subject}",
                )
            )
    return rows
