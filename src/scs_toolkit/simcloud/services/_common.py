"""Helpers every simulated service uses: request bodies, filters, pagination, responses."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._errors import ApiError
from .._store import Record

MAX_JSON_BODY = 1024 * 1024


async def json_body(request: Request, key: str | None = None) -> dict[str, Any]:
    """The request's JSON object (or its `key` member), or 400 saying what is wrong."""
    raw = await request.body()
    if len(raw) > MAX_JSON_BODY:
        raise ApiError(413, f"Request body larger than {MAX_JSON_BODY} bytes")
    try:
        document = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"Malformed request body: {error}") from None
    if not isinstance(document, dict):
        raise ApiError(400, "Malformed request body: expected a JSON object")
    if key is None:
        return document
    value = document.get(key)
    if not isinstance(value, dict):
        raise ApiError(400, f"Malformed request body: expected an object under {key!r}")
    return value


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


def query_filter(records: Iterable[Record], request: Request, fields: Iterable[str]) -> list[Record]:
    """Keep records whose fields equal the query parameters of the same name (OpenStack style)."""
    wanted = {f: request.query_params[f] for f in fields if f in request.query_params}
    result = []
    for record in records:
        if all(_matches(record.get(field), value) for field, value in wanted.items()):
            result.append(record)
    return result


def _matches(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return wanted.lower() == str(actual).lower()
    return str(actual) == wanted if actual is not None else wanted in ("", "None", "null")


def paginate(
    records: list[Record], request: Request, collection_url: str, key: str = "id"
) -> tuple[list[Record], str | None]:
    """limit/marker pagination; returns the page and the URL of the next page (None at the end)."""
    marker = request.query_params.get("marker")
    if marker is not None:
        ids = [str(r[key]) for r in records]
        if marker not in ids:
            raise ApiError(400, f"marker [{marker}] not found")
        records = records[ids.index(marker) + 1 :]
    limit_text = request.query_params.get("limit")
    if limit_text is None:
        return records, None
    try:
        limit = int(limit_text)
    except ValueError:
        raise ApiError(400, f"limit must be an integer, not {limit_text!r}") from None
    if limit < 0:
        raise ApiError(400, "limit must be >= 0")
    page = records[:limit]
    if limit and len(records) > limit:
        params = {k: v for k, v in request.query_params.items() if k != "marker"}
        params["marker"] = str(page[-1][key])
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return page, f"{collection_url}?{query}"
    return page, None


def project_view(record: Record, hidden: Iterable[str] = ()) -> Record:
    """A copy without internal fields (names starting with '_')."""
    skip = set(hidden)
    return {k: v for k, v in record.items() if not k.startswith("_") and k not in skip}
