"""Request parsing shared by the routers: bounded JSON bodies, UUID paths, RFC 3339 parameters, and
committing a write (then announcing its events)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import datetime as dt
import uuid
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .._time import aware
from ..monitor.services.documents import DocumentError, parse_json, read_limited
from .model import StatusPageError, bad
from .services import events

#: A status page request body is a small JSON object; 256 KiB holds an incident with 200 impacts and
#: the longest texts many times over.
MAX_BODY_BYTES = 256 * 1024
M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request) -> Any:
    """The JSON document of a write request, read within bounds (size, depth, storable strings).

    Only `application/json`: a browser cannot send that cross-site without CORS, so a form on another
    site cannot write with credentials the browser remembered (HTTP Basic)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise StatusPageError(415, "send the body as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise StatusPageError(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        payload = await read_limited(request.stream(), MAX_BODY_BYTES, "body")
        [document] = parse_json(payload, what="the body")
    except DocumentError as error:
        raise StatusPageError(413 if error.status_code == 413 else 400, error.message) from None
    if not isinstance(document, dict):
        raise bad("the body must be a JSON object")
    return document


def model(kind: type[M], document: Any) -> M:
    """`document` as a request model, or 400 naming each wrong field."""
    try:
        return kind.model_validate(document)
    except ValidationError as error:
        raise bad(problems(error)) from None


def problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()[:10]
    )


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad(f"{what} must be a UUID, not {value[:80]!r}") from None


def parse_moment(value: str | None, what: str) -> dt.datetime | None:
    """An RFC 3339 query parameter as an aware moment (naive ones are UTC); 400 when malformed."""
    if value is None or value == "":
        return None
    if len(value) > 64:
        raise bad(f"{what} is too long for a date-time")
    try:
        moment = aware(dt.datetime.fromisoformat(value.replace(" ", "+")))  # '+' in a query often arrives as ' '
    except ValueError:
        raise bad(f"{what} must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z, not {value[:80]!r}") from None
    if not 2000 <= moment.year <= 2999:
        raise bad(f"{what} must lie between the years 2000 and 2999")
    return moment


def commit(request: Request, db: Session) -> None:
    """Commit the request's write, then hand its incident events to the webhook sender."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        events.discard(db)
        raise StatusPageError(
            409, "a concurrent change conflicts with this one; read the object again and retry"
        ) from None
    happened = events.take(db)
    if happened:
        request.app.state.webhooks.send(happened)
