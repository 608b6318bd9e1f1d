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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import standards
from ...reports import SignatureError, load_public_key, verify
from ..accounts import ROLES
from ..db import Account, Delegation, LatestResult, Report, Result
from ..names import RunUuid, SubjectName, TestcaseId
from . import certificates, changes, documents, status

MAX_BODY_BYTES = 4 * 1024 * 1024
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
SEPARATOR = b"-----END SSH SIGNATURE-----\n&"
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
    results: list[dict[str, Any]] = []
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    touched: dict[tuple[str, str], standards.Scope] = {}
    for item in accepted:
        report, scope = item.report, item.scope
        row = Report(
            uuid=report.run.uuid,
            subject=report.subject,
            scope_uuid=scope.uuid,
            checked_at=item.checked_at,
            received_at=now,
            uploader=account.subject,
            data=item.text,
        )
        db.add(row)
        db.flush()
        effective_at = min(item.checked_at, now)  # within the clock-skew tolerance, a result counts from receipt
        for invocation in report.run.invocations.values():
            for testcase, value in invocation.results.items():
                results.append(
                    {
                        "report_id": row.id,
                        "subject": report.subject,
                        "scope_uuid": scope.uuid,
                        "testcase": testcase,
                        "value": value,
                        "checked_at": effective_at,
                    }
                )
                key = (report.subject, scope.uuid, testcase)
                known = latest.get(key)
                if known is None or (effective_at, -value) > (known["checked_at"], -known["value"]):
                    latest[key] = {
                        "subject": key[0],
                        "scope_uuid": key[1],
                        "testcase": testcase,
                        "value": value,
                        "checked_at": effective_at,
                        "report_uuid": row.uuid,
                    }
        touched[report.subject, scope.uuid] = scope
    if results:
        db.connection().execute(insert(cast(Table, Result.__table__)), results)  # Core executemany: no ORM bookkeeping
        _remember_latest(db, list(latest.values()))
    for (subject, _), scope in touched.items():
        certificates.issue_due(db, subject, scope, status.evaluate(db, subject, scope), now)
    changes.record(db, {subject for subject, _ in touched})  # last: replicas see the upload and its counter together
    try:
        db.commit()  # one transaction for the whole upload
    except IntegrityError:
        db.rollback()
        raise IngestionError(409, "a report of this upload is already present") from None
    return [item.report.run.uuid for item in accepted]


def _accept(db: Session, account: Account, parsed: list[Any], now: dt.datetime) -> list[_Accepted]:
    """Every document validated, permitted and new, or IngestionError for the first that is not."""
    delegated = _delegations(db, account)
    texts = _stored_texts(parsed)
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
        if report.subject != account.subject and not (
            account.roles & ROLES["append_any"] and report.subject in delegated
        ):
            raise IngestionError(403, f"{account.subject} may not upload reports for {report.subject}")
        uuid = report.run.uuid
        if uuid in seen or db.scalar(select(Report.id).where(Report.uuid == uuid)) is not None:
            raise IngestionError(409, f"report {uuid} is already present")
        seen.add(uuid)
        accepted.append(_Accepted(report, scope, checked_at, text))
    return accepted


def _stored_texts(parsed: list[Any]) -> list[str]:
    try:
        return documents.to_json(parsed)
    except documents.DocumentError as error:
        raise IngestionError(error.status_code, error.message) from None


def _remember_latest(db: Session, rows: list[dict[str, Any]]) -> None:
    """Upsert that keeps the newer result (atomic, so concurrent replicas cannot lose one)."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, LatestResult.__table__)
    statement = insert(table)  # rows go as executemany parameters: one cached compilation
    statement = statement.on_conflict_do_update(
        index_elements=["subject", "scope_uuid", "testcase"],
        set_={
            "value": statement.excluded.value,
            "checked_at": statement.excluded.checked_at,
            "report_uuid": statement.excluded.report_uuid,
        },
        where=statement.excluded.checked_at >= table.c.checked_at,
    )
    db.connection().execute(statement, rows)


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


def _delegations(db: Session, account: Account) -> set[str]:
    query = select(Account.subject).join(Delegation, Delegation.principal_id == Account.id)
    return set(db.scalars(query.where(Delegation.delegate_id == account.id)))
