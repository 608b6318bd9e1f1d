"""Signed uploads into the database: verify, validate, store all documents or none, keep the
latest-result table current, issue certificates that became due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import standards
from ...reports import SignatureError, load_public_key, verify
from ..accounts import ROLES
from ..db import Account, Delegation, LatestResult, Report, Result, bulk
from ..names import RunUuid, SubjectName, TestcaseId
from . import certificates, changes, documents, status

MAX_BODY_BYTES = 4 * 1024 * 1024
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
SEPARATOR = b"-----END SSH SIGNATURE-----\n&"
_REPORTS = cast(Table, Report.__table__)
_RESULTS = cast(Table, Result.__table__)
_LATEST = cast(Table, LatestResult.__table__)
_LATEST_KEY = ("subject", "scope_uuid", "testcase")
_INSERT_REPORT = insert(_REPORTS).returning(_REPORTS.c.id)  # one cached compilation for every upload
CONTENT_TYPES = ("application/x-signed-json", "application/x-signed-yaml")


class IngestionError(Exception):
    """Why an upload was refused, with the HTTP status that says so."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _result_value(value: int) -> int:
    if value not in (-1, 0, 1):
        raise ValueError(f"must be -1, 0 or 1, not {value}")
    return value


def _timestamp_text(value: Any) -> Any:
    """Timestamps arrive as text (JSON, or YAML timestamps made ISO strings): never as numbers."""
    if not isinstance(value, str):
        raise ValueError("must be a date-time such as 2026-11-23T10:00:00Z")
    return value


class _Invocation(BaseModel):
    model_config = ConfigDict(extra="allow")
    results: dict[TestcaseId, Annotated[StrictInt, AfterValidator(_result_value)]] = Field(default_factory=dict)


class _Run(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: RunUuid
    invocations: dict[str, _Invocation] = Field(default_factory=dict)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: Annotated[StrictStr, Field(max_length=64)]


class ReportModel(BaseModel):
    """What the monitor needs from a report, in strict types (a result "1" is not 1); everything
    else is kept as delivered."""

    model_config = ConfigDict(extra="allow")
    spec: _Spec
    subject: SubjectName
    checked_at: Annotated[dt.datetime, BeforeValidator(_timestamp_text)]
    run: _Run


@dataclass(frozen=True)
class _Accepted:
    """A validated document, ready to store."""

    report: ReportModel
    scope: standards.Scope
    checked_at: dt.datetime  # naive UTC
    text: str


def bundled_scope(reference: str) -> standards.Scope | None:
    """A bundled scope by alias or uuid. Never a file path: the reference comes from a request."""
    for alias, scope in zip(standards.BUNDLED_SCOPES, standards.bundled_scopes(), strict=True):
        if reference in (alias, scope.uuid):
            return scope
    return None


def ingest(db: Session, account: Account, body: bytes, content_type: str) -> list[str]:
    """Store a signed upload in one transaction; raises IngestionError (nothing stored) when refused.

    Every document is checked before the first row is written, so a refusal never depends on
    what the database would have said (PostgreSQL and SQLite differ there).
    """
    signature, payload = _split(body)
    _verify(account, signature, payload)
    now = status.utcnow()
    accepted = _accept(db, account, _parse(payload, content_type), now)
    try:
        _store(db, account, accepted, now)
        db.commit()  # one transaction for the whole upload
    except IntegrityError:  # a concurrent upload stored the same run uuid after our check
        db.rollback()
        raise IngestionError(409, "a report of this upload is already present") from None
    return [item.report.run.uuid for item in accepted]


def _store(db: Session, account: Account, accepted: list[_Accepted], now: dt.datetime) -> None:
    """The rows of an accepted upload, and the certificates it makes due (not committed)."""
    connection = db.connection()  # Core statements: this runs for every upload, ORM bookkeeping is not needed
    newest: dict[tuple[str, str, str], tuple[dt.datetime, int, int]] = {}  # key -> (time, -value, document)
    stored: list[tuple[str, int, dt.datetime]] = []  # per document: its scope uuid, report id, time counted
    for number, item in enumerate(accepted):
        report, scope = item.report, item.scope
        report_id = connection.execute(
            _INSERT_REPORT,
            {
                "uuid": report.run.uuid,
                "subject": report.subject,
                "scope_uuid": scope.uuid,
                "checked_at": item.checked_at,
                "received_at": now,
                "uploader": account.subject,
                "data": item.text,
            },
        ).scalar_one()
        effective_at = min(item.checked_at, now)  # within the clock-skew tolerance, a result counts from receipt
        stored.append((scope.uuid, report_id, effective_at))
        results = [(t, v) for invocation in report.run.invocations.values() for t, v in invocation.results.items()]
        bulk.insert_rows(
            connection,
            _RESULTS,
            {"report_id": report_id, "subject": report.subject, "scope_uuid": scope.uuid, "checked_at": effective_at},
            {"testcase": [t for t, _ in results], "value": [v for _, v in results]},
        )
        for testcase, value in results:  # the newest result per testcase wins; at the same time, the worse
            key = (report.subject, scope.uuid, testcase)
            candidate = (effective_at, -value, number)
            if key not in newest or candidate[:2] > newest[key][:2]:
                newest[key] = candidate
    winners: dict[int, list[tuple[str, int]]] = {}  # per document, the testcases it is newest for
    for (_, _, testcase), (_, negated, number) in newest.items():
        winners.setdefault(number, []).append((testcase, -negated))
    for number, testcases in winners.items():
        report = accepted[number].report
        scope_uuid, _, effective_at = stored[number]
        bulk.upsert_newer(
            connection,
            _LATEST,
            {
                "subject": report.subject,
                "scope_uuid": scope_uuid,
                "checked_at": effective_at,
                "report_uuid": report.run.uuid,
            },
            {"testcase": [t for t, _ in testcases], "value": [v for _, v in testcases]},
            _LATEST_KEY,
            "checked_at",
        )
    touched = {(item.report.subject, item.scope.uuid): item.scope for item in accepted}
    for (subject, _), scope in touched.items():
        certificates.issue_due(db, subject, scope, status.evaluate(db, subject, scope), now)
    changes.record(db, {subject for subject, _ in touched})  # last: replicas see the upload and its counter together


def _accept(db: Session, account: Account, parsed: list[Any], now: dt.datetime) -> list[_Accepted]:
    """Every document validated, permitted and new, or IngestionError for the first that is not.

    What the database knows (delegations, present run uuids) is read up front in one query each,
    for the names the documents give, so the checks below go in document order without round trips."""
    texts = _stored_texts(parsed)
    subjects = {s for d in parsed if (s := _text(d, "subject")) is not None and s != account.subject}
    delegated = _delegations(db, account, subjects) if subjects and account.roles & ROLES["append_any"] else set()
    present = _present(db, {u for d in parsed if (u := _text(d, "run", "uuid")) is not None})
    accepted: list[_Accepted] = []
    seen: set[str] = set()
    for index, (document, text) in enumerate(zip(parsed, texts, strict=True)):
        report = _validate(document, index)
        try:
            checked_at = status.naive_utc(report.checked_at)
        except ValueError:
            raise IngestionError(422, f"document {index}: checked_at {report.checked_at} is out of range") from None
        if checked_at > now + FUTURE_TOLERANCE:
            raise IngestionError(422, f"document {index}: checked_at {report.checked_at} lies in the future")
        if checked_at < status.EARLIEST:
            raise IngestionError(
                422, f"document {index}: checked_at {report.checked_at} lies before {status.EARLIEST:%Y-%m-%d}"
            )
        scope = bundled_scope(report.spec.uuid)
        if scope is None:
            raise IngestionError(422, f"document {index}: unknown scope {report.spec.uuid}")
        if report.subject != account.subject and report.subject not in delegated:
            raise IngestionError(403, f"{account.subject} may not upload reports for {report.subject}")
        uuid = report.run.uuid
        if uuid in seen or uuid in present:
            raise IngestionError(409, f"report {uuid} is already present")
        seen.add(uuid)
        accepted.append(_Accepted(report, scope, checked_at, text))
    return accepted


def _stored_texts(parsed: list[Any]) -> list[str]:
    try:
        return documents.to_json(parsed)
    except documents.DocumentError as error:
        raise IngestionError(error.status_code, error.message) from None


def _split(body: bytes) -> tuple[str, bytes]:
    position = body.find(SEPARATOR)
    if position < 0:
        raise IngestionError(400, "missing signature: send the armored SSH signature, '&', then the report")
    return body[: position + len(SEPARATOR) - 1].decode("ascii", "replace"), body[position + len(SEPARATOR) :]


def _verify(account: Account, signature: str, payload: bytes) -> None:
    allowed = []
    for key in account.public_keys:
        try:
            allowed.append(load_public_key(f"{key.key_type} {key.key}"))
        except SignatureError:
            continue
    try:
        verify(payload, signature, allowed)
    except SignatureError as error:
        raise IngestionError(403, f"signature not accepted: {error}") from None


def _parse(payload: bytes, content_type: str) -> list[Any]:
    try:
        parsed = (
            documents.parse_json(payload)
            if content_type == "application/x-signed-json"
            else documents.parse_yaml(payload)
        )
    except documents.DocumentError as error:
        raise IngestionError(error.status_code, error.message) from None
    if not parsed:
        raise IngestionError(422, "the upload contains no report")
    return parsed


def _validate(document: Any, index: int) -> ReportModel:
    try:
        return ReportModel.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        raise IngestionError(422, f"document {index}: {where}: {first['msg']}") from None


def _text(document: Any, *path: str) -> str | None:
    """The string at `path` in nested mappings, else None: what the up-front queries look for
    (validation says what is wrong with anything else)."""
    for name in path:
        document = document.get(name) if isinstance(document, dict) else None
    return document if isinstance(document, str) else None


def _delegations(db: Session, account: Account, subjects: set[str]) -> set[str]:
    """Which of `subjects` delegated uploading to `account`."""
    query = select(Account.subject).join(Delegation, Delegation.principal_id == Account.id)
    return set(db.scalars(query.where(Delegation.delegate_id == account.id, Account.subject.in_(sorted(subjects)))))


def _present(db: Session, uuids: set[str]) -> set[str]:
    """Which of the run `uuids` are stored already."""
    return set(db.scalars(select(Report.uuid).where(Report.uuid.in_(sorted(uuids))))) if uuids else set()
