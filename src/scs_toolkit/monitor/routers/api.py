"""The JSON API: everything the pages show, machine-readable and documented by the OpenAPI schema."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import datetime as dt
import threading
from collections.abc import Callable, Hashable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import TypeAdapter
from sqlalchemy import select

from ... import standards
from .. import compression, names, schemas
from ..db import Report
from ..dependencies import (
    Admin,
    Current,
    DbSession,
    Moment,
    OptionalCaller,
    ScopeParam,
    known_subject,
    readable_report,
    scope_or_404,
)
from ..services import certificates, status, subjects
from ..services import current as current_state

router = APIRouter(tags=["status"])


@router.get("/status", response_model=schemas.StatusResponse, responses={404: {"description": "unknown subject"}})
def get_status(
    request: Request, db: DbSession, current: Current, scope: ScopeParam, at: Moment, subject: names.SubjectQuery = None
) -> Response | schemas.StatusResponse:
    """Status of one subject (or `group-NAME`), or of every listed subject, now or `at` a moment."""
    if at is None:  # now: from the snapshot, serialized once per snapshot, scope and subject
        snapshot = current.snapshot(db)
        if subject is not None and not snapshot.known(subject):
            raise HTTPException(404, f"unknown subject {subject!r}")
        listed = [subject] if subject is not None else list(snapshot.listed)

        def serialized() -> _StatusBody:
            states = {name: schemas.scope_status(scope, snapshot.evaluation(name, scope)) for name in listed}
            return _StatusBody(scope.uuid, _STATES.dump_json(states))

        if subject is None:
            body = snapshot.memo(("status", scope.uuid), serialized)
        else:
            body = snapshot.memo_for(subject, ("status", scope.uuid), serialized)
        return body.response(request, status.utcnow())
    if subject is not None:
        known_subject(db, subject)
    names_ = [subject] if subject is not None else status.subjects(db)
    evaluations = {name: status.evaluate(db, name, scope, at) for name in names_}
    return schemas.StatusResponse(
        scope=scope.uuid,
        at=at,
        subjects={name: schemas.scope_status(scope, e) for name, e in evaluations.items()},
    )


_STATES = TypeAdapter(dict[str, schemas.ScopeStatus])
_SUMMARIES = TypeAdapter(list[schemas.SubjectSummary])


class _StatusBody:
    """A StatusResponse with its (cached) subjects: the same bytes the model would give, its moment
    (the last field) added per request; gzip-compressed once for the head, per request for the tail."""

    def __init__(self, scope_uuid: str, states: bytes) -> None:
        empty = schemas.StatusResponse(scope=scope_uuid, at=_EPOCH, subjects={}).model_dump_json().encode()
        before, found, _ = empty.partition(b'"subjects":{}')
        assert found, empty
        self._head = before + b'"subjects":' + states
        self._gzip: compression.GzipHead | None = None
        self._lock = threading.Lock()

    def response(self, request: Request, at: dt.datetime) -> Response:
        tail = b',"at":' + _MOMENT.dump_json(status.aware(at)) + b"}"
        headers = {"Vary": "Accept-Encoding"}
        if len(self._head) < compression.MINIMUM_SIZE or not compression.accepts_gzip(request):
            return Response(self._head + tail, media_type="application/json", headers=headers)
        with self._lock:  # compressed on the first request that takes gzip, by that request only
            if self._gzip is None:
                self._gzip = compression.GzipHead(self._head)
        headers["Content-Encoding"] = "gzip"
        return Response(self._gzip.with_tail(tail), media_type="application/json", headers=headers)


_EPOCH = dt.datetime(1970, 1, 1)
_MOMENT = TypeAdapter(schemas.UtcDateTime)


def _cached_json(
    request: Request,
    snapshot: current_state.Snapshot,
    key: Hashable,
    body: Callable[[], bytes],
    subject: str | None = None,
) -> Response:
    """A body that depends only on the snapshot: serialized once, with an ETag for conditional GETs
    (one per content coding, as RFC 9110 wants of a strong validator)."""

    def memo(key: Hashable, compute: Callable[[], bytes]) -> bytes:
        return snapshot.memo(key, compute) if subject is None else snapshot.memo_for(subject, key, compute)

    plain = memo(key, body)
    packed = len(plain) >= compression.MINIMUM_SIZE and compression.accepts_gzip(request)
    tag = f'"{snapshot.generation}-{snapshot.at.timestamp():.6f}{"-gzip" if packed else ""}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}  # no-cache: revalidate
    if tag in (request.headers.get("if-none-match") or "").replace("W/", "").split(", "):
        return Response(status_code=304, headers=headers)
    if not packed:
        return Response(plain, media_type="application/json", headers=headers)
    headers["Content-Encoding"] = "gzip"
    return Response(
        memo(("gzip", key), lambda: compression.gzip_bytes(plain)), media_type="application/json", headers=headers
    )


@router.get("/api/subjects", response_model=list[schemas.SubjectSummary])
def list_subjects(request: Request, db: DbSession, current: Current) -> Response:
    """Every listed subject with its current state per scope (what the overview shows)."""
    snapshot = current.snapshot(db)
    return _cached_json(
        request, snapshot, "overview-json", lambda: _SUMMARIES.dump_json(subjects.overview_of(snapshot))
    )


@router.get("/api/subjects/{subject}", response_model=schemas.SubjectSummary)
def get_subject(
    request: Request, subject: names.SubjectPath, db: DbSession, current: Current, at: Moment
) -> Response | schemas.SubjectSummary:
    """One subject with the testcase x version status of every scope, and the reason of each failure."""
    if at is not None:
        known_subject(db, subject)
        return subjects.details(db, subject, at)
    snapshot = current.snapshot(db)
    try:
        summary = subjects.details_now(db, snapshot, subject)
    except subjects.UnknownSubject as error:
        raise HTTPException(404, str(error)) from None
    return _cached_json(request, snapshot, "details-json", lambda: summary.model_dump_json().encode(), subject=subject)


@router.get("/api/subjects/{subject}/history", response_model=schemas.HistoryResponse)
def get_history(
    subject: names.SubjectPath,
    db: DbSession,
    scope: ScopeParam,
    days: Annotated[int, Query(ge=1, le=status.HISTORY_DAYS)] = status.HISTORY_DAYS,
) -> schemas.HistoryResponse:
    """Daily status for the last `days` days (18 months by default, scs-0004)."""
    known_subject(db, subject)
    return schemas.HistoryResponse(
        subject=subject,
        scope=scope.uuid,
        scope_name=scope.name,
        days=[schemas.history_day(d, e) for d, e in status.history(db, subject, scope, days)],
    )


@router.get("/api/scopes", response_model=list[schemas.ScopeInfo])
def list_scopes() -> list[schemas.ScopeInfo]:
    today = status.utcnow().date()
    return [schemas.scope_info(scope, today) for scope in standards.bundled_scopes()]


@router.get("/api/scopes/{scope}", response_model=schemas.ScopeInfo)
def get_scope(scope: Annotated[str, Path(max_length=names.SCOPE_REFERENCE_MAX)]) -> schemas.ScopeInfo:
    """Versions (state today, timeline dates) x modules (included by which version, parameters)."""
    loaded = scope_or_404(scope)
    return schemas.scope_info(loaded, status.utcnow().date())


@router.get("/api/reports", response_model=list[schemas.ReportSummary])
def list_reports(
    db: DbSession, subject: names.SubjectQuery = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[schemas.ReportSummary]:
    """The newest reports first."""
    query = select(Report).order_by(Report.checked_at.desc(), Report.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(Report.subject == subject)
    return [
        schemas.ReportSummary(
            uuid=r.uuid, subject=r.subject, scope=r.scope_uuid, checked_at=r.checked_at, received_at=r.received_at
        )
        for r in db.scalars(query)
    ]


@router.get(
    "/api/reports/{report_uuid}",
    responses={
        401: {"description": "full=true without credentials, or wrong ones"},
        403: {"description": "not allowed in full"},
        404: {"description": "unknown report"},
        429: {"description": "too many failed logins"},
    },
)
def get_report(
    report_uuid: names.ReportUuidPath, db: DbSession, account: OptionalCaller, full: bool = False
) -> dict[str, Any]:
    """A report as delivered; redacted unless `full=true` by its subject, its uploader or `read_any`."""
    return readable_report(db, report_uuid, account, full)[1]


@router.get("/api/certificates", response_model=list[schemas.CertificateInfo])
def list_certificates(db: DbSession, subject: names.SubjectQuery = None) -> list[schemas.CertificateInfo]:
    now = status.utcnow()
    return [schemas.certificate_info(c, now) for c in certificates.listing(db, subject)]


@router.get("/api/certificates/revoked", response_model=schemas.RevocationList)
def revocation_list(db: DbSession) -> schemas.RevocationList:
    """The public certificate revocation list (scs-0004 Reg. 7)."""
    now = status.utcnow()
    return schemas.RevocationList(
        generated_at=now,
        certificates=[schemas.certificate_info(c, now) for c in certificates.listing(db, revoked_only=True)],
    )


@router.post(
    "/api/certificates/{serial}/revoke",
    response_model=schemas.CertificateInfo,
    responses={
        401: {"description": "no credentials, or wrong ones"},
        403: {"description": "not an admin"},
        404: {"description": "unknown certificate"},
        409: {"description": "already revoked"},
        429: {"description": "too many failed logins"},
    },
)
def revoke_certificate(
    serial: names.SerialPath, body: schemas.RevokeRequest, db: DbSession, account: Admin
) -> schemas.CertificateInfo:
    """Revoke a certificate (admin role); it appears on the revocation list at once."""
    now = status.utcnow()
    try:
        certificate = certificates.revoke(db, serial, body.reason, now)
    except certificates.CertificateError as error:
        raise HTTPException(error.status_code, str(error)) from None
    db.commit()
    return schemas.certificate_info(certificate, now)
