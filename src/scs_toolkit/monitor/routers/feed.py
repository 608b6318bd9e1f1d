"""The public overview as a machine-readable feed (JSON and CSV), for docs sites that build their
certification tables from it (as the official docs pull the official monitor's markdown table)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import csv
import io

from fastapi import APIRouter, Request, Response

from .. import schemas
from ..dependencies import DbSession
from ..services import status, subjects

router = APIRouter(tags=["feed"])


def _rows(request: Request, db: DbSession) -> list[schemas.FeedRow]:
    current = request.app.state.current
    return schemas.feed_rows(subjects.overview(db, request.app.state.compliance, wait=True, current=current))


@router.get("/api/feed.json", response_model=schemas.Feed)
def feed_json(request: Request, db: DbSession) -> schemas.Feed:
    """Every listed subject x bundled scope: state, certified versions with since/until, counts of
    failing and missing testcases, the last check and the 30/90-day compliance shares."""
    return schemas.Feed(generated_at=status.utcnow(), rows=_rows(request, db))


@router.get("/api/feed.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def feed_csv(request: Request, db: DbSession) -> Response:
    """The same rows as `/api/feed.json`, one CSV line each (lists joined with spaces, times in ISO 8601)."""
    out = io.StringIO()
    fields = list(schemas.FeedRow.model_fields)
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    for row in _rows(request, db):
        data = row.model_dump(mode="json")
        data["certified_versions"] = " ".join(data["certified_versions"])
        writer.writerow({k: _cell(v) for k, v in data.items()})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="scs-overview.csv"'},
    )


def _cell(value: object) -> object:
    """Spreadsheets run cells that start with = + - @ as formulas: such text gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
