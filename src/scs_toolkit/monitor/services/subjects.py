"""Subjects as the overview, the details page and the JSON API show them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Hashable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import standards
from .. import schemas
from ..db import Account, Report
from . import changes, reports, status
from .current import AccountFacts, CurrentState, HeldCertificate, Snapshot, SubjectFacts
from .evaluation import ScopeEvaluation


class UnknownSubject(LookupError):
    pass


def overview(
    db: Session,
    compliance: status.ComplianceCache | None = None,
    wait: bool = False,
    current: CurrentState | None = None,
    snapshot: Snapshot | None = None,
) -> list[schemas.SubjectSummary]:
    """Every listed subject with its state per bundled scope now; with `compliance`, also the 30/90-day
    shares (cached). With `current`, from its snapshot (one counter read while nothing changed; or the
    `snapshot` the caller already read), else a few queries in all (accounts, latest results, valid
    certificates)."""
    if current is not None:
        snapshot = snapshot or current.snapshot(db)
        if compliance is None:
            return overview_of(snapshot)
        shares = compliance.shares(db, snapshot.memo("compliance-wanted", lambda: _wanted(snapshot)), wait)
        if any(value is None for value in shares.values()):  # some still computing: this answer only
            return _overview_rows(snapshot, shares)
        return snapshot.memo(("overview", compliance), lambda: _overview_rows(snapshot, shares))
    scopes = standards.bundled_scopes()
    names = status.subjects(db)
    evaluations, newest = status.current_facts(db, names, scopes)
    now = status.utcnow()
    plain = current_snapshot_of(db, names, scopes, evaluations, newest, now)
    if compliance is None:
        return _overview_rows(plain, None)
    plain_wanted: list[tuple[str, standards.Scope, Hashable | None]] = [
        (n, s, newest.get((n, s.uuid))) for n in names for s in scopes if _offered(plain, n, s)
    ]
    return _overview_rows(plain, compliance.shares(db, plain_wanted, wait))


def _wanted(snapshot: Snapshot) -> list[tuple[str, standards.Scope, Hashable | None]]:
    """The (subject, scope, change stamp) of every offered scope: what the shares are asked for."""
    return [
        (n, s, snapshot.stamp(n) if s.uuid in snapshot.newest(n) else None)
        for n in snapshot.listed
        for s in snapshot.scopes
        if _offered(snapshot, n, s)
    ]


def overview_of(snapshot: Snapshot) -> list[schemas.SubjectSummary]:
    """The overview rows without compliance shares, once per snapshot."""
    return snapshot.memo("overview", lambda: _overview_rows(snapshot, None))


def current_snapshot_of(
    db: Session,
    names: list[str],
    scopes: list[standards.Scope],
    evaluations: dict[tuple[str, str], ScopeEvaluation],
    newest: dict[tuple[str, str], dt.datetime],
    now: dt.datetime,
) -> Snapshot:
    """The plain queries' answers in a snapshot's shape (never cached), so that both ways build the
    overview with the same code."""
    snapshot = Snapshot(
        generation=0,
        at=now,
        valid_until=now,
        scopes=tuple(scopes),
        listed=tuple(names),
        accounts={
            a.subject: AccountFacts(a.display_name, a.description, a.operator, a.layer, a.group, a.healthmon_url)
            for a in db.scalars(select(Account))
        },
        groups={},
        facts={
            name: SubjectFacts(
                0,
                {s.uuid: evaluations[name, s.uuid] for s in scopes},
                {s.uuid: newest[name, s.uuid] for s in scopes if (name, s.uuid) in newest},
                now,
            )
            for name in names
        },
        certificates={
            key: tuple(HeldCertificate(c.serial, c.version, c.issued_at, c.expires_at) for c in held)
            for key, held in status.valid_certificates(db, now).items()
        },
    )
    return snapshot


def _info(snapshot: Snapshot, name: str) -> schemas.SubjectInfo:
    return schemas.subject_info(name, snapshot.account(name))


def offering(snapshot: Snapshot, name: str, scope: standards.Scope) -> status.Offering:
    """Whether the subject offers what `scope` certifies: the one rule of the overview, the subject
    page and the badge."""
    newest = snapshot.newest(name)
    account = snapshot.account(name)
    return status.offering(account.layer if account else None, scope, scope.uuid in newest, bool(newest))


def _offered(snapshot: Snapshot, name: str, scope: standards.Scope) -> bool:
    return offering(snapshot, name, scope).offered


def _overview_rows(
    snapshot: Snapshot, shares: dict[tuple[str, str], dict[str, float | None] | None] | None
) -> list[schemas.SubjectSummary]:
    rows = []
    for name in snapshot.listed:
        info = _info(snapshot, name)
        newest = snapshot.newest(name)
        states = {}
        for scope in snapshot.scopes:
            key = (name, scope.uuid)
            offered = offering(snapshot, name, scope)
            states[scope.uuid] = schemas.scope_status(
                scope,
                snapshot.evaluation(name, scope),
                with_testcases=False,
                certificates=list(snapshot.certificates.get(key, ())),
                offering=offered,
                last_checked_at=newest.get(scope.uuid),
                compliance=shares.get(key) if shares is not None else None,
                compliance_pending=shares is not None and offered.offered and shares.get(key) is None,
            )
        rows.append(schemas.SubjectSummary(**info.model_dump(), scopes=states, certified_any=certified_any(states)))
    return rows


def certified_any(scopes: dict[str, schemas.ScopeStatus]) -> bool:
    """Listed among the certified: an offered scope is certified now or a certificate of it is still valid."""
    return any(s.offered and (s.certified or any(v.certificate for v in s.versions.values())) for s in scopes.values())


def require(db: Session, subject: str, current: CurrentState | None = None) -> None:
    """UnknownSubject unless the pages list `subject` or it is a group with members (a few
    primary-key reads, or none with `current`'s snapshot)."""
    if current is not None:
        known = current.snapshot(db).known(subject)
    else:
        account = db.execute(select(Account.layer, Account.display_name).where(Account.subject == subject)).first()
        declared = account is not None and (account.layer is not None or account.display_name is not None)
        known = declared or changes.reported(db, subject) or bool(status.members(db, subject))
    if not known:
        raise UnknownSubject(f"unknown subject {subject!r}")


def info(db: Session, subject: str) -> schemas.SubjectInfo:
    """Name, description, operator and links of one subject (no evaluation)."""
    return schemas.subject_info(subject, db.scalar(select(Account).where(Account.subject == subject)))


def details(
    db: Session, subject: str, at: dt.datetime | None = None, current: CurrentState | None = None
) -> schemas.SubjectSummary:
    """Testcase x version status per scope, with the reason of every result that is not a pass; now
    and with `current`, from its snapshot (built once per change of the snapshot)."""
    if at is None and current is not None:
        return details_now(db, current.snapshot(db), subject)
    require(db, subject)
    evaluations = {scope.uuid: status.evaluate(db, subject, scope, at) for scope in standards.bundled_scopes()}
    reasons = _reasons(db, evaluations.values())
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


def details_now(db: Session, snapshot: Snapshot, subject: str) -> schemas.SubjectSummary:
    """`details` from a snapshot, once per snapshot and subject (UnknownSubject for a name it does not
    list)."""
    if not snapshot.known(subject):
        raise UnknownSubject(f"unknown subject {subject!r}")
    return snapshot.memo_for(subject, "details", lambda: _details_now(db, snapshot, subject))


def _details_now(db: Session, snapshot: Snapshot, subject: str) -> schemas.SubjectSummary:
    """Only the failure reasons are read (from the deciding reports): the rest is in the snapshot."""
    evaluations = {scope.uuid: snapshot.evaluation(subject, scope) for scope in snapshot.scopes}
    reasons = _reasons(db, evaluations.values())
    info = _info(snapshot, subject)
    newest = snapshot.newest(subject)
    scopes = {}
    for scope in snapshot.scopes:
        evaluation = evaluations[scope.uuid]
        per_testcase = {
            t.testcase: reasons.get(t.report_uuid or "", {}).get(t.testcase, "")
            for v in evaluation.versions
            for t in v.testcases
        }
        scopes[scope.uuid] = schemas.scope_status(
            scope,
            evaluation,
            {k: v for k, v in per_testcase.items() if v},
            certificates=list(snapshot.certificates.get((subject, scope.uuid), ())),
            offering=offering(snapshot, subject, scope),
            last_checked_at=newest.get(scope.uuid),
        )
    return schemas.SubjectSummary(**info.model_dump(), scopes=scopes, certified_any=certified_any(scopes))


def _reasons(db: Session, evaluations: Iterable[ScopeEvaluation]) -> dict[str, dict[str, str]]:
    """Per report uuid, why its testcases did not pass (only reports that decide a non-PASS)."""
    wanted = {
        t.report_uuid
        for e in evaluations
        for v in e.versions
        for t in v.testcases
        if t.report_uuid and t.status.value != "PASS"
    }
    reasons: dict[str, dict[str, str]] = {}
    for row in db.execute(select(Report.uuid, Report.data).where(Report.uuid.in_(wanted))) if wanted else []:
        reasons[row.uuid] = reports.reasons(json.loads(row.data))
    return reasons
