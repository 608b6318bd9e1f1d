"""Subjects as the overview, the details page and the JSON API show them."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import standards
from .. import schemas
from ..db import Account, Report
from . import reports, status


class UnknownSubject(LookupError):
    pass


def overview(db: Session) -> list[schemas.SubjectSummary]:
    """Every listed subject with its state per bundled scope now: two queries in all."""
    scopes = standards.bundled_scopes()
    accounts = {a.subject: a for a in db.scalars(select(Account))}
    names = status.subjects(db)
    evaluations = status.current(db, names, scopes)
    return [
        schemas.SubjectSummary(
            **schemas.subject_info(name, accounts.get(name)).model_dump(),
            scopes={
                scope.uuid: schemas.scope_status(scope, evaluations[name, scope.uuid], with_testcases=False)
                for scope in scopes
            },
        )
        for name in names
    ]


def require(db: Session, subject: str) -> None:
    if subject not in status.subjects(db) and not status.members(db, subject):
        raise UnknownSubject(f"unknown subject {subject!r}")


def info(db: Session, subject: str) -> schemas.SubjectInfo:
    """Name, description, operator and links of one subject (no evaluation)."""
    return schemas.subject_info(subject, db.scalar(select(Account).where(Account.subject == subject)))


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
    scopes = {}
    for scope in standards.bundled_scopes():
        evaluation = evaluations[scope.uuid]
        per_testcase = {
            t.testcase: reasons.get(t.report_uuid or "", {}).get(t.testcase, "")
            for v in evaluation.versions
            for t in v.testcases
        }
        scopes[scope.uuid] = schemas.scope_status(scope, evaluation, {k: v for k, v in per_testcase.items() if v})
    return schemas.SubjectSummary(**info(db, subject).model_dump(), scopes=scopes)
