"""Request bounds and the last line of defence for errors nobody handled.

RequestLimits: uvicorn's HTTP parser only bounds what arrives in pieces; a long URL or header sent
in one go reaches the app. The monitor never needs more than a few hundred bytes of either, so
longer ones are refused outright (414, 431) before any routing, parameter parsing or logging.

ServerErrors: a complete 500 that closes the connection. Starlette answers an unhandled exception with a 500 and then re-raises it, so uvicorn drops the
connection after the answer; a client that reuses the keep-alive connection then fails on its next
request. Here the error is logged (with its traceback, without the query string) and answered with
`Connection: close`, so the client knows to open a new connection and nothing is left half-done.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

_log = logging.getLogger("scs_toolkit.monitor")


MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024


class RequestLimits:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            headers = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))
            if target > MAX_TARGET_BYTES:
                await _refuse(scope, receive, send, 414, f"the URL is longer than {MAX_TARGET_BYTES} bytes")
                return
            if headers > MAX_HEADER_BYTES:
                await _refuse(scope, receive, send, 431, f"the headers are longer than {MAX_HEADER_BYTES} bytes")
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Any, receive: Any, send: Any, status: int, message: str) -> None:
    await JSONResponse({"detail": message}, status_code=status, headers={"Connection": "close"})(scope, receive, send)


class ServerErrors:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            _log.exception("unhandled error answering %s %s", scope.get("method"), scope.get("path"))
            if started:  # half an answer is out: only dropping the connection is honest
                raise
            answer = JSONResponse(
                {"detail": "internal server error; it has been logged"},
                status_code=500,
                headers={"Connection": "close"},
            )
            await answer(scope, receive, send)
