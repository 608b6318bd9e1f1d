"""Subjects as the overview, the details page and the JSON API show them."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import standards
from .. import schemas
from ..db import Account, LatestResult, Report
from . import reports, status


class UnknownSubject(LookupError):
    pass


def overview(
    db: Session, compliance: status.ComplianceCache | None = None, wait: bool = False
) -> list[schemas.SubjectSummary]:
    """Every listed subject with its state per bundled scope now: a few queries in all (accounts,
    latest results, valid certificates); with `compliance`, also the 30/90-day shares (cached)."""
    scopes = standards.bundled_scopes()
    accounts = {a.subject: a for a in db.scalars(select(Account))}
    names = status.subjects(db)
    evaluations, newest = status.current_facts(db, names, scopes)
    valid = status.valid_certificates(db, status.utcnow())
    infos = {name: schemas.subject_info(name, accounts.get(name)) for name in names}
    offerings = {
        (name, scope.uuid): status.offering(
            infos[name].layer,
            scope,
            (name, scope.uuid) in newest,
            any((name, other.uuid) in newest for other in scopes),
        )
        for name in names
        for scope in scopes
    }
    wanted = [(n, s, newest.get((n, s.uuid))) for n in names for s in scopes if offerings[n, s.uuid].offered]
    shares = compliance.shares(db, wanted, wait) if compliance else {}
    rows = []
    for name in names:
        info = infos[name]
        states = {}
        for scope in scopes:
            key = (name, scope.uuid)
            offering = offerings[key]
            states[scope.uuid] = schemas.scope_status(
                scope,
                evaluations[key],
                with_testcases=False,
                certificates=valid.get(key),
                offering=offering,
                last_checked_at=newest.get(key),
                compliance=shares.get(key) if compliance else None,
                compliance_pending=compliance is not None and offering.offered and shares.get(key) is None,
            )
        rows.append(schemas.SubjectSummary(**info.model_dump(), scopes=states, certified_any=certified_any(states)))
    return rows


def certified_any(scopes: dict[str, schemas.ScopeStatus]) -> bool:
    """Listed among the certified: an offered scope is certified now or a certificate of it is still valid."""
    return any(s.offered and (s.certified or any(v.certificate for v in s.versions.values())) for s in scopes.values())


def require(db: Session, subject: str) -> None:
    if subject not in status.subjects(db) and not status.members(db, subject):
        raise UnknownSubject(f"unknown subject {subject!r}")


def info(db: Session, subject: str) -> schemas.SubjectInfo:
    """Name, description, operator and links of one subject (no evaluation)."""
    return schemas.subject_info(subject, db.scalar(select(Account).where(Account.subject == subject)))


def offering(db: Session, subject: str, scope: standards.Scope) -> status.Offering:
    """Whether the subject offers what `scope` certifies, by the same rule as the overview and the
    subject page (the badge asks for one scope alone)."""
    names = status.members(db, subject) or [subject]
    reported = set(db.scalars(select(LatestResult.scope_uuid).where(LatestResult.subject.in_(names)).distinct()))
    return status.offering(info(db, subject).layer, scope, scope.uuid in reported, bool(reported))


def details(db: Session, subject: str, at: dt.datetime | None = None) -> schemas.SubjectSummary:
    """Testcase x version status per scope, with the reason of every result that is not a pass."""
    require(db, subject)
    evaluations = {scope.uuid: status.evaluate(db, subject, scope, at) for scope in standards.bundled_scopes()}
    wanted = {
        t.report_uuid
        for e in evaluations.values()
        for v in e.versions
        for t in v.testcases
        if t.report_uuid and t.status.value != "PASS"
    }
    reasons: dict[str, dict[str, str]] = {}
    for row in db.execute(select(Report.uuid, Report.data).where(Report.uuid.in_(wanted))) if wanted else []:
        reasons[row.uuid] = reports.reasons(json.loads(row.data))
    subject_info = info(db, subject)
    names = status.members(db, subject) or [subject]
    newest = status.current_facts(db, names, standards.bundled_scopes())[1]
    valid = status.valid_certificates(db, status.utcnow(), subject) if at is None else {}
    scopes = {}
    for scope in standards.bundled_scopes():
        evaluation = evaluations[scope.uuid]
        per_testcase = {
            t.testcase: reasons.get(t.report_uuid or "", {}).get(t.testcase, "")
            for v in evaluation.versions
            for t in v.testcases
        }
        last = max((newest[n, scope.uuid] for n in names if (n, scope.uuid) in newest), default=None)
        scopes[scope.uuid] = schemas.scope_status(
            scope,
            evaluation,
            {k: v for k, v in per_testcase.items() if v},
            certificates=valid.get((subject, scope.uuid)),
            offering=status.offering(subject_info.layer, scope, last is not None, bool(newest)),
            last_checked_at=last,
        )
    return schemas.SubjectSummary(**subject_info.model_dump(), scopes=scopes, certified_any=certified_any(scopes))
