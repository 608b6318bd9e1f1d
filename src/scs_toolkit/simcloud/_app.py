"""The ASGI application: service routers, OpenStack error shapes, fault injection, admin endpoint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._cloud import SERVICE_PATHS, Cloud, base_url
from ._errors import ApiError, error_response
from ._microversions import PLACEMENT, MicroversionMiddleware, at_least
from .services import (
    compute,
    identity,
    image,
    keymanager,
    loadbalancer,
    network,
    objectstore,
    placement,
    servers,
    volume,
)

MAX_BODY_BYTES = 64 * 1024 * 1024
_ROUTERS = {
    "identity": (identity.router,),
    "compute": (compute.router, servers.router),
    "image": (image.router,),
    "volume": (volume.router,),
    "network": (network.router,),
    "load-balancer": (loadbalancer.root_router,),
    "key-manager": (keymanager.router,),
    "object-store": (objectstore.router,),
    "placement": (placement.router,),
}


def service_of(path: str) -> str:
    first = path.lstrip("/").split("/", 1)[0]
    for service, prefix in SERVICE_PATHS.items():
        if first == prefix:
            return service
    return "sim" if first == "_sim" else "s3" if first in ("", "s3") else "unknown"


def create_app(cloud: Cloud) -> FastAPI:
    app = FastAPI(title="scs-toolkit simulated cloud", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.cloud = cloud
    for service, routers in _ROUTERS.items():
        if service == "identity" or cloud.has(service):
            for router in routers:
                app.include_router(router)
    if cloud.has("load-balancer"):
        for prefix in loadbalancer.PREFIXES:
            app.include_router(loadbalancer.router, prefix=prefix)
    app.include_router(_admin_router())
    if cloud.has("s3"):
        app.include_router(objectstore.s3_router)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        return _error(request, error.status, error.message, error.headers, error.kind)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = "The resource could not be found." if error.status_code == 404 else str(error.detail)
        return _error(request, error.status_code, message)

    return FaultMiddleware(MicroversionMiddleware(app, cloud), cloud)  # type: ignore[return-value]


def _error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None, kind: str | None = None
) -> Response:
    return error_response(
        service_of(request.url.path),
        status,
        message,
        headers,
        kind,
        accept=request.headers.get("accept", ""),
        identity_url=f"{base_url(request)}/identity",
        placement_codes=service_of(request.url.path) != "placement" or at_least(request, PLACEMENT, "1.23"),
    )


class FaultMiddleware:
    """Applies injected faults, counts requests per service, limits bodies, persists state."""

    def __init__(self, app: ASGIApp, cloud: Cloud) -> None:
        self.app = app
        self.cloud = cloud
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        service = service_of(path)
        method: str = scope["method"]
        counted = [False]

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":  # counted before the client can have the answer
                self.cloud.requests[(service, method, message["status"])] += 1
                counted[0] = True
            await send(message)

        try:
            length = int(dict(scope["headers"]).get(b"content-length", b"0") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            await self._reply(scope, receive, counting_send, service, 413, "Request body too large")
        elif service not in ("sim", "unknown", "s3"):
            decision = self.cloud.faults.decide(service)
            if decision.delay_s:
                await asyncio.sleep(decision.delay_s)
            if decision.hang_s:
                await asyncio.sleep(decision.hang_s)
                await self._reply(scope, receive, counting_send, service, 504, "Gateway Timeout (injected hang)")
            elif decision.status is not None:
                headers = {"Retry-After": str(decision.retry_after_s)} if decision.retry_after_s else None
                message = "Rate limit exceeded (injected)" if decision.status == 429 else "Injected fault"
                await self._reply(scope, receive, counting_send, service, decision.status, message, headers)
            else:
                await self.app(scope, receive, counting_send)
        else:
            await self.app(scope, receive, counting_send)
        if not counted[0]:
            self.cloud.requests[(service, method, 500)] += 1
        if method not in ("GET", "HEAD") and self.cloud.store.dirty:
            self.cloud.store.save()

    async def _reply(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        service: str,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
        response = error_response(service, status, message, headers, accept=accept)
        await response(scope, receive, send)


def _admin_router() -> APIRouter:
    """`/_sim/...`: change faults at run time, read request statistics and resource counts.

    It is unauthenticated by design: the simulated cloud only ever listens on loopback.
    """
    router = APIRouter(prefix="/_sim")

    @router.get("/faults")
    async def get_faults(request: Request) -> Response:
        return JSONResponse(request.app.state.cloud.faults.snapshot())

    @router.put("/faults")
    @router.patch("/faults")
    async def set_faults(request: Request) -> Response:
        cloud: Cloud = request.app.state.cloud
        try:
            document = json.loads(await request.body() or b"{}")
            cloud.faults.configure(document)
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(cloud.faults.snapshot())

    @router.delete("/faults")
    async def reset_faults(request: Request) -> Response:
        request.app.state.cloud.faults.reset()
        return Response(status_code=204)

    @router.get("/stats")
    async def stats(request: Request) -> Response:
        cloud: Cloud = request.app.state.cloud
        rows = [
            {"service": s, "method": m, "status": st, "count": n} for (s, m, st), n in sorted(cloud.requests.items())
        ]
        return JSONResponse({"requests": rows, "total": sum(cloud.requests.values())})

    @router.get("/resources")
    async def resources(request: Request) -> Response:
        cloud: Cloud = request.app.state.cloud
        kinds = (
            "server",
            "port",
            "floating_ip",
            "network",
            "subnet",
            "router",
            "security_group",
            "keypair",
            "volume",
            "backup",
            "loadbalancer",
            "secret",
            "image",
            "flavor",
        )
        counts: dict[str, Any] = {kind: cloud.store.count(kind) for kind in kinds}
        return JSONResponse(counts)

    @router.get("/health")
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "profile": request.app.state.cloud.profile.get("name")})

    return router
