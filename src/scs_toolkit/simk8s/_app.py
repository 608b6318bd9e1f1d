"""The ASGI application: fault injection, request statistics, the REST layer and `/_sim`.

`/_sim/...` (faults, statistics, health) is unauthenticated by design, as in the simulated
cloud: the server only ever listens on loopback.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from ._api import Api, error_response
from ._cluster import Cluster
from ._errors import ApiError

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(api: Api) -> Any:
    cluster = api.cluster

    async def get_faults(request: Request) -> Response:
        return JSONResponse(cluster.faults.snapshot())

    async def set_faults(request: Request) -> Response:
        try:
            cluster.faults.configure(json.loads(await request.body() or b"{}"))
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(cluster.faults.snapshot())

    async def reset_faults(request: Request) -> Response:
        cluster.faults.reset()
        return Response(status_code=204)

    async def stats(request: Request) -> Response:
        rows = [
            {"resource": r, "method": m, "status": s, "count": n} for (r, m, s), n in sorted(cluster.requests.items())
        ]
        return JSONResponse({"requests": rows, "total": sum(cluster.requests.values())})

    async def health(request: Request) -> Response:
        counts = {key: cluster.store.count(key) for key in sorted(cluster.store.keys())}
        return JSONResponse(
            {"status": "ok", "profile": cluster.name, "revision": cluster.store.revision, "objects": counts}
        )

    async def kube(request: Request) -> Response:
        return await api.handle(request)

    routes = [
        Route("/_sim/faults", get_faults, methods=["GET"]),
        Route("/_sim/faults", set_faults, methods=["PUT", "PATCH"]),
        Route("/_sim/faults", reset_faults, methods=["DELETE"]),
        Route("/_sim/stats", stats, methods=["GET"]),
        Route("/_sim/health", health, methods=["GET"]),
        Route("/{path:path}", kube, methods=METHODS),
    ]
    return FaultMiddleware(Starlette(routes=routes), api, cluster)


class FaultMiddleware:
    """Injected latency, errors, 429s and hangs per resource; counts requests; saves state."""

    def __init__(self, app: Any, api: Api, cluster: Cluster) -> None:
        self.app, self.api, self.cluster = app, api, cluster

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        area = None if path.startswith("/_sim") else self.api.fault_area(path)
        try:
            length = int(dict(scope["headers"]).get(b"content-length", b"0") or 0)
        except ValueError:
            length = 0
        if length > 3 * 1024 * 1024:
            await error_response(ApiError(413, "Request entity too large: limit is 3145728"))(
                scope, receive, counting_send
            )
        elif area is not None:
            decision = self.cluster.faults.decide(area)
            if decision.delay_s:
                await asyncio.sleep(decision.delay_s)
            if decision.hang_s:
                await asyncio.sleep(decision.hang_s)
                error = ApiError(504, "the request timed out (injected hang)", "Timeout")
                await error_response(error)(scope, receive, counting_send)
            elif decision.status == 429:
                error = ApiError(
                    429,
                    "Too many requests, please try again later.",
                    "TooManyRequests",
                    retry_after_s=decision.retry_after_s,
                )
                await error_response(error)(scope, receive, counting_send)
            elif decision.status is not None:
                message = "Internal error occurred: injected fault" if decision.status == 500 else "injected fault"
                await error_response(ApiError(decision.status, message))(scope, receive, counting_send)
            else:
                await self.app(scope, receive, counting_send)
        else:
            await self.app(scope, receive, counting_send)
        self.cluster.requests[(area or "sim", scope["method"], status["code"])] += 1
        if scope["method"] not in ("GET", "HEAD"):
            self.cluster.store.save()
