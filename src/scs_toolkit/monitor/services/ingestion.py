"""Signed uploads into the database: verify, validate, store all documents or none, keep the
latest-result table current, issue certificates that became due."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import standards
from ...reports import SignatureError, load_public_key, verify
from ..accounts import ROLES
from ..db import Account, Delegation, LatestResult, Report, Result
from . import certificates, status

MAX_BODY_BYTES = 4 * 1024 * 1024
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
SEPARATOR = b"-----END SSH SIGNATURE-----\n&"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
CONTENT_TYPES = ("application/x-signed-json", "application/x-signed-yaml")


class IngestionError(Exception):
    """Why an upload was refused, with the HTTP status that says so."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class _Invocation(BaseModel):
    model_config = ConfigDict(extra="allow")
    results: dict[str, int] = Field(default_factory=dict)


class _Run(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: str = Field(min_length=1, max_length=64)
    invocations: dict[str, _Invocation] = Field(default_factory=dict)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: str


class ReportModel(BaseModel):
    """What the monitor needs from a report; everything else is kept as delivered."""

    model_config = ConfigDict(extra="allow")
    spec: _Spec
    subject: str = Field(min_length=1, max_length=128)
    checked_at: dt.datetime
    run: _Run


def bundled_scope(reference: str) -> standards.Scope | None:
    """A bundled scope by alias or uuid. Never a file path: the reference comes from a request."""
    for alias, scope in zip(standards.BUNDLED_SCOPES, standards.bundled_scopes(), strict=True):
        if reference in (alias, scope.uuid):
            return scope
    return None


def ingest(db: Session, account: Account, body: bytes, content_type: str) -> list[str]:
    """Store a signed upload in one transaction; raises IngestionError (nothing stored) when refused."""
    signature, payload = _split(body)
    _verify(account, signature, payload)
    documents = _parse(payload, content_type)
    delegated = _delegations(db, account)
    now = status.utcnow()
    stored: list[str] = []
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    touched: set[tuple[str, str]] = set()
    results: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        report = _validate(document, index)
        checked_at = _naive_utc(report.checked_at)
        if checked_at > now + FUTURE_TOLERANCE:
            raise IngestionError(422, f"document {index}: checked_at {report.checked_at} lies in the future")
        scope = bundled_scope(report.spec.uuid)
        if scope is None:
            raise IngestionError(422, f"document {index}: unknown scope {report.spec.uuid}")
        if report.subject != account.subject and not (
            account.roles & ROLES["append_any"] and report.subject in delegated
        ):
            raise IngestionError(403, f"{account.subject} may not upload reports for {report.subject}")
        if db.scalar(select(Report.id).where(Report.uuid == report.run.uuid)) is not None or report.run.uuid in stored:
            raise IngestionError(409, f"report {report.run.uuid} is already present")
        row = Report(
            uuid=report.run.uuid,
            subject=report.subject,
            scope_uuid=scope.uuid,
            checked_at=checked_at,
            received_at=now,
            uploader=account.subject,
            data=json.dumps(document, default=str),
        )
        db.add(row)
        db.flush()
        effective_at = min(checked_at, now)  # within the clock-skew tolerance, a result counts from receipt
        for invocation in report.run.invocations.values():
            for testcase, value in invocation.results.items():
                if value not in (-1, 0, 1):
                    raise IngestionError(422, f"document {index}: result of {testcase} must be -1, 0 or 1, not {value}")
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
        touched.add((report.subject, scope.uuid))
        stored.append(report.run.uuid)
    if results:
        db.execute(insert(Result), results)
        _remember_latest(db, list(latest.values()))
    for subject, scope_uuid in touched:
        scope = bundled_scope(scope_uuid)
        assert scope is not None
        certificates.issue_due(db, subject, scope, status.evaluate(db, subject, scope), now)
    try:
        db.commit()  # one transaction for the whole upload
    except IntegrityError:
        db.rollback()
        raise IngestionError(409, "a report of this upload is already present") from None
    return stored


def _remember_latest(db: Session, rows: list[dict[str, Any]]) -> None:
    """Upsert that keeps the newer result (atomic, so concurrent replicas cannot lose one)."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LatestResult)  # rows go as executemany parameters: one cached compilation
    statement = statement.on_conflict_do_update(
        index_elements=["subject", "scope_uuid", "testcase"],
        set_={
            "value": statement.excluded.value,
            "checked_at": statement.excluded.checked_at,
            "report_uuid": statement.excluded.report_uuid,
        },
        where=statement.excluded.checked_at >= LatestResult.checked_at,
    )
    db.execute(statement, rows)


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


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _parse(payload: bytes, content_type: str) -> list[Any]:
    try:
        if content_type == "application/x-signed-json":
            documents = [json.loads(payload)]
        else:
            documents = [d for d in yaml.load_all(payload, Loader=_YAML_LOADER) if d is not None]
    except (ValueError, yaml.YAMLError) as error:
        kind = "JSON" if "json" in content_type else "YAML"
        raise IngestionError(422, f"the report is not valid {kind}: {error}") from None
    if not documents:
        raise IngestionError(422, "the upload contains no report")
    return documents


def _validate(document: Any, index: int) -> ReportModel:
    try:
        return ReportModel.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise IngestionError(422, f"document {index}: {where}: {first['msg']}") from None


def _delegations(db: Session, account: Account) -> set[str]:
    principals = db.scalars(select(Delegation.principal_id).where(Delegation.delegate_id == account.id))
    return set(db.scalars(select(Account.subject).where(Account.id.in_(list(principals)))))
