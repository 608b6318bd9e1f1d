"""Certificates as records (scs-0004): issued when an effective version passes, valid one year,
revocable; revoked ones form the public revocation list."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...standards import Scope, VersionState
from .. import names
from ..db import Certificate
from . import changes
from .evaluation import ScopeEvaluation

#: Longest revocation reason (it is published on the revocation list).
MAX_REASON = 1000


class CertificateError(LookupError):
    """No such certificate (404), it cannot be revoked (409: already revoked), or the reason is
    unusable (422)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


def one_year_after(moment: dt.datetime) -> dt.datetime:
    """The same instant a year on (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


def state(certificate: Certificate, now: dt.datetime) -> str:
    if certificate.revoked_at is not None:
        return "revoked"
    return "valid" if certificate.expires_at > now else "expired"


def issue_due(
    db: Session, subject: str, scope: Scope, evaluation: ScopeEvaluation, now: dt.datetime
) -> list[Certificate]:
    """A certificate for every effective version that passes and has no certificate in its year yet.

    A revoked certificate blocks re-issuing until the end of its year: revocation is a decision of
    the certification body, which the next passing upload must not undo.
    """
    passing = [
        version
        for version in evaluation.versions
        if version.state.state is VersionState.EFFECTIVE and version.verdict.value == "PASS"
    ]
    if not passing:
        return []
    certified = set(  # one query for all passing versions: this runs in every upload
        db.scalars(
            select(Certificate.version).where(
                Certificate.subject == subject,
                Certificate.scope_uuid == scope.uuid,
                Certificate.version.in_([version.version for version in passing]),
                Certificate.expires_at > now,
            )
        )
    )
    issued = []
    for version in passing:
        if version.version in certified:
            continue
        newest_report = max((t for t in version.testcases if t.checked_at), key=lambda t: t.checked_at or now)
        certificate = Certificate(
            serial=str(uuid.uuid4()),
            subject=subject,
            scope_uuid=scope.uuid,
            version=version.version,
            issued_at=now,
            expires_at=one_year_after(now),
            report_uuid=newest_report.report_uuid or "",
        )
        db.add(certificate)
        issued.append(certificate)
    return issued


def listing(db: Session, subject: str | None = None, revoked_only: bool = False) -> list[Certificate]:
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    if subject is not None:
        query = query.where(Certificate.subject == subject)
    if revoked_only:
        query = query.where(Certificate.revoked_at.is_not(None))
    return list(db.scalars(query))


def revoke(db: Session, serial: str, reason: str, now: dt.datetime) -> Certificate:
    """Revoke with a published reason: one line of text, not empty (the CRL must say why)."""
    try:
        reason = names.require_text(reason.strip(), "the reason", MAX_REASON)
    except names.InvalidName as error:
        raise CertificateError(422, str(error)) from None
    if not reason:
        raise CertificateError(422, "the reason must not be empty: it is published on the revocation list")
    certificate = db.scalar(select(Certificate).where(Certificate.serial == serial)) if names.storable(serial) else None
    if certificate is None:
        raise CertificateError(404, f"no certificate with serial {serial}")
    if certificate.revoked_at is not None:
        raise CertificateError(409, f"certificate {serial} was already revoked on {certificate.revoked_at:%Y-%m-%d}")
    certificate.revoked_at, certificate.revocation_reason = now, reason
    changes.record(db, [certificate.subject])  # the pages drop it on every replica with this commit
    return certificate
