"""POST /reports: the SCS wire format (signature, `&`, report) with HTTP Basic auth."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ..dependencies import Caller, DbSession
from ..services.documents import DocumentError, read_limited
from ..services.ingestion import CONTENT_TYPES, MAX_BODY_BYTES, IngestionError, ingest

router = APIRouter(tags=["ingestion"])


@router.post(
    "/reports",
    status_code=201,
    responses={
        400: {"description": "no signature"},
        401: {"description": "missing or wrong credentials"},
        403: {"description": "signature not accepted, or no permission for the report's subject"},
        409: {"description": "a report with this run uuid exists"},
        413: {"description": "body larger than the limit, expanding beyond it (YAML aliases), or too many documents"},
        415: {"description": "wrong content type"},
        422: {"description": "a document is malformed"},
        429: {"description": "too many failed logins"},
    },
)
async def post_reports(request: Request, account: Caller, db: DbSession) -> dict[str, list[str]]:
    """Store signed reports (one or several YAML documents, or one JSON document), all or none."""
    content_type = request.headers.get("content-type", "")
    if content_type not in CONTENT_TYPES:
        raise HTTPException(415, f"Content-Type must be one of {', '.join(CONTENT_TYPES)}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"report larger than {MAX_BODY_BYTES} bytes")
    try:
        body = await read_limited(request.stream(), MAX_BODY_BYTES)
    except DocumentError as error:
        raise HTTPException(error.status_code, error.message) from None
    try:
        stored = await run_in_threadpool(ingest, db, account, body, content_type)  # keeps the loop free
    except IngestionError as error:
        db.rollback()
        raise HTTPException(error.status_code, error.message) from None
    request.app.state.metrics.reports.inc(len(stored))
    return {"reports": stored}
