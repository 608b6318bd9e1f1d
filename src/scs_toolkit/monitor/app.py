"""The monitor's web application: accounts, signed report ingestion, status JSON."""

# No `from __future__ import annotations`: FastAPI must see the dependency objects in the
# endpoint signatures, which refer to functions local to create_app().

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

import yaml
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import standards
from ..reports import SignatureError, load_public_key, verify
from . import views
from .accounts import ROLES, verify_api_key
from .db import Account, Database, Delegation, Report, Result
from .services.evaluation import StoredResult, evaluate_scope

MAX_BODY_BYTES = 4 * 1024 * 1024
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
SEPARATOR = b"-----END SSH SIGNATURE-----\n&"
CONTENT_TYPES = {"application/x-signed-yaml", "application/x-signed-json"}
_basic = HTTPBasic(auto_error=False, realm="Compliance monitor")


class _Invocation(BaseModel):
    model_config = ConfigDict(extra="allow")
    results: dict[str, int] = Field(default_factory=dict)


class _Run(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: str
    invocations: dict[str, _Invocation] = Field(default_factory=dict)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: str


class ReportModel(BaseModel):
    """What the monitor needs from a report; everything else is kept as delivered."""

    model_config = ConfigDict(extra="allow")
    spec: _Spec
    subject: str
    checked_at: dt.datetime
    run: _Run


def create_app(database: Database) -> FastAPI:
    app = FastAPI(title="SCS compliance monitor (scs-toolkit)")
    app.state.database = database

    def session() -> Iterator[Session]:
        # endpoints commit explicitly, before answering; anything uncommitted is rolled back here
        db = database.new_session()
        try:
            yield db
        finally:
            db.close()

    def caller(
        credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)], db: Annotated[Session, Depends(session)]
    ) -> Account:
        challenge = {"WWW-Authenticate": 'Basic realm="Compliance monitor"'}
        if credentials is None:
            raise HTTPException(401, "authentication required", headers=challenge)
        account = db.scalar(select(Account).where(Account.subject == credentials.username))
        hashes = [k.hash for k in account.api_keys] if account is not None else []
        if account is None or not verify_api_key(credentials.password, hashes):
            secrets.compare_digest(credentials.password, credentials.password)  # same work for unknown users
            raise HTTPException(401, "incorrect username or password", headers=challenge)
        return account

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/reports", status_code=201)
    async def post_reports(
        request: Request, account: Annotated[Account, Depends(caller)], db: Annotated[Session, Depends(session)]
    ) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "")
        if content_type not in CONTENT_TYPES:
            raise HTTPException(415, f"Content-Type must be one of {', '.join(sorted(CONTENT_TYPES))}")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                raise HTTPException(413, f"report larger than {MAX_BODY_BYTES} bytes")
        position = bytes(body).find(SEPARATOR)
        if position < 0:
            raise HTTPException(400, "missing signature: send the armored SSH signature, '&', then the report")
        signature = bytes(body[: position + len(SEPARATOR) - 1]).decode("ascii", "replace")
        payload = bytes(body[position + len(SEPARATOR) :])
        allowed = []
        for key in account.public_keys:
            try:
                allowed.append(load_public_key(f"{key.key_type} {key.key}"))
            except SignatureError:
                continue
        try:
            verify(payload, signature, allowed)
        except SignatureError as error:
            raise HTTPException(403, f"signature not accepted: {error}") from None
        documents = _parse(payload, content_type)
        delegated = _delegations(db, account)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        stored = []
        for index, document in enumerate(documents):
            report = _validate(document, index)
            checked_at = (
                report.checked_at.astimezone(dt.UTC).replace(tzinfo=None)
                if report.checked_at.tzinfo
                else report.checked_at
            )
            if checked_at > now + FUTURE_TOLERANCE:
                raise HTTPException(422, f"document {index}: checked_at {report.checked_at} lies in the future")
            if _scope(report.spec.uuid) is None:
                raise HTTPException(422, f"document {index}: unknown scope {report.spec.uuid}")
            if report.subject != account.subject and not (
                account.roles & ROLES["append_any"] and report.subject in delegated
            ):
                raise HTTPException(403, f"{account.subject} may not upload reports for {report.subject}")
            if db.scalar(select(Report.id).where(Report.uuid == report.run.uuid)) is not None:
                raise HTTPException(409, f"report {report.run.uuid} is already present")
            row = Report(
                uuid=report.run.uuid,
                subject=report.subject,
                scope_uuid=report.spec.uuid,
                checked_at=checked_at,
                received_at=now,
                uploader=account.subject,
                data=json.dumps(document, default=str),
            )
            db.add(row)
            db.flush()
            for invocation in report.run.invocations.values():
                for testcase, value in invocation.results.items():
                    if value not in (-1, 0, 1):
                        raise HTTPException(
                            422, f"document {index}: result of {testcase} must be -1, 0 or 1, not {value}"
                        )
                    db.add(
                        Result(
                            report_id=row.id,
                            subject=report.subject,
                            scope_uuid=report.spec.uuid,
                            testcase=testcase,
                            value=value,
                            checked_at=checked_at,
                        )
                    )
            stored.append(report.run.uuid)
        try:
            db.commit()  # one transaction for the whole upload
        except IntegrityError:
            db.rollback()
            raise HTTPException(409, "a report of this upload is already present") from None
        return {"reports": stored}

    def evaluate(db: Session, subject: str, scope: standards.Scope, moment: dt.datetime) -> Any:
        rows = db.execute(
            select(Result.testcase, Result.value, Result.checked_at, Report.uuid)
            .join(Report, Report.id == Result.report_id)
            .where(
                Result.subject == subject,
                Result.scope_uuid == scope.uuid,
                Result.checked_at <= moment,
                Result.checked_at > moment - dt.timedelta(days=800),
            )
        )
        return evaluate_scope(scope, [StoredResult(t, v, c, u) for t, v, c, u in rows], moment)

    def subjects(db: Session) -> list[str]:
        named = set(db.scalars(select(Account.subject))) | set(db.scalars(select(Report.subject)))
        return sorted(named)

    @app.get("/status")
    def status(
        db: Annotated[Session, Depends(session)],
        subject: str | None = None,
        scope: str = "scs-compatible-iaas",
        at: Annotated[str | None, Query(description="ISO date/time")] = None,
    ) -> JSONResponse:
        loaded = _scope(scope)
        if loaded is None:
            raise HTTPException(404, f"unknown scope {scope}")
        moment = _moment(at)
        names = (
            [subject]
            if subject
            else sorted(set(db.scalars(select(Report.subject).where(Report.scope_uuid == loaded.uuid))))
        )
        body = {}
        for name in names:
            evaluation = evaluate(db, name, loaded, moment)
            body[name] = {
                "summary": evaluation.summary.value,
                "certified": list(evaluation.certified),
                "passed": list(evaluation.passed),
                "versions": {
                    v.version: {
                        "state": v.state.state.value,
                        "result": v.verdict.value,
                        "testcases": {
                            t.testcase: {
                                "result": t.status.value,
                                "checked_at": t.checked_at.isoformat() if t.checked_at else None,
                                "report": t.report_uuid,
                            }
                            for t in v.testcases
                        },
                    }
                    for v in evaluation.versions
                },
            }
        return JSONResponse({"scope": loaded.uuid, "at": moment.isoformat(), "subjects": body})

    @app.get("/", response_class=HTMLResponse)
    def overview(db: Annotated[Session, Depends(session)]) -> HTMLResponse:
        moment = views.now()
        scopes = standards.bundled_scopes()
        accounts = {a.subject: a for a in db.scalars(select(Account))}
        rows = []
        for name in subjects(db):
            account = accounts.get(name)
            rows.append(
                {
                    "subject": name,
                    "display_name": (account.display_name if account else None) or name,
                    "description": account.description if account else "",
                    "operator": account.operator if account else "",
                    "healthmon_url": _safe_url(account.healthmon_url if account else None),
                    "cells": [views.cell(evaluate(db, name, scope, moment)) for scope in scopes],
                }
            )
        return HTMLResponse(views.render("overview.html", at=moment, scopes=scopes, rows=rows))

    @app.get("/subjects/{subject}", response_class=HTMLResponse)
    def details(subject: str, db: Annotated[Session, Depends(session)]) -> HTMLResponse:
        if subject not in subjects(db):
            raise HTTPException(404, f"unknown subject {subject}")
        moment = views.now()
        scopes = [
            views.details_scope(scope, evaluate(db, subject, scope, moment)) for scope in standards.bundled_scopes()
        ]
        return HTMLResponse(views.render("details.html", subject=subject, scopes=scopes))

    @app.get("/badges/{subject}/{scope}.svg")
    def badge(subject: str, scope: str, db: Annotated[Session, Depends(session)]) -> Response:
        loaded = _scope(scope)
        if loaded is None:
            raise HTTPException(404, f"unknown scope {scope}")
        svg = views.badge(loaded.name, evaluate(db, subject, loaded, views.now()))
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=300"})

    return app


def _scope(reference: str) -> standards.Scope | None:
    """A bundled scope by alias or uuid. Never a file path: the reference comes from the request."""
    for alias, scope in zip(standards.BUNDLED_SCOPES, standards.bundled_scopes(), strict=True):
        if reference in (alias, scope.uuid):
            return scope
    return None


def _moment(at: str | None) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        raise HTTPException(422, f"`at` must be an ISO date or date-time, not {at!r}") from None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _parse(payload: bytes, content_type: str) -> list[Any]:
    try:
        if content_type == "application/x-signed-json":
            documents = [json.loads(payload)]
        else:
            documents = [d for d in yaml.safe_load_all(payload) if d is not None]
    except (ValueError, yaml.YAMLError) as error:
        raise HTTPException(
            422, f"the report is not valid {'JSON' if 'json' in content_type else 'YAML'}: {error}"
        ) from None
    if not documents:
        raise HTTPException(422, "the upload contains no report")
    return documents


def _validate(document: Any, index: int) -> ReportModel:
    try:
        return ReportModel.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HTTPException(422, f"document {index}: {where}: {first['msg']}") from None


def _delegations(db: Session, account: Account) -> set[str]:
    principals = db.scalars(select(Delegation.principal_id).where(Delegation.delegate_id == account.id))
    return set(db.scalars(select(Account.subject).where(Account.id.in_(list(principals)))))


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links reach the page (a `javascript:` URL would survive HTML escaping)."""
    return url if url and url.startswith(("https://", "http://")) else None
