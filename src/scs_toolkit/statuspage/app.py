"""The status page as a FastAPI application: mounted at /status inside the compliance monitor (sharing
its database, authenticator and middleware), or served alone at the root (`scs status serve`),
where it answers the 1.1.2 paths as the reference server does.

Errors are `{"message": ...}` (the reference server's shape); malformed parameters are 400, as there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from .._serving import SecurityHeaders
from ..monitor.authentication import Authenticator, AuthLimits
from ..monitor.db import Database
from ..monitor.middleware import RequestLimits, ServerErrors
from .model import StatusPageError
from .routers import api, extensions, pages
from .services.webhooks import WebhookSender
from .views import page_policy

DESCRIPTION = """The SCS Status Page API 1.1.2 (same paths, payloads and status codes as the reference
server), plus additive extensions: RCAs, uptime, Atom feeds, health-monitor ingest, proposals, audit.

Reads are anonymous. Writes need `Authorization: Bearer NAME.SECRET` (tokens: `scs status token add`)."""
SPEC = "openapi-1.1.2.yaml"


@dataclass(frozen=True)
class PageSettings:
    """What the pages link to: the compliance monitor's pages exist only when mounted inside it."""

    monitor_pages: bool = False
    #: The public base URL (for feeds and webhook links); None: taken from each request.
    public_url: str | None = None


def create_app(
    database: Database,
    authenticator: Authenticator | None = None,
    settings: PageSettings | None = None,
    webhooks: WebhookSender | None = None,
) -> FastAPI:
    """The status page on `database` (migrated to head). Inside the monitor pass its authenticator, so
    logins share one argon2 limiter and one set of failure limits."""
    from ..monitor.metrics import Metrics

    app = FastAPI(
        title="SCS status page (scs-toolkit)",
        description=DESCRIPTION,
        version="1.1.2",
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database
    if authenticator is None:
        metrics = Metrics(database)
        authenticator = Authenticator(AuthLimits(), metrics.password_checks, metrics.auth_refusals)
    app.state.authenticator = authenticator
    app.state.settings = settings or PageSettings()
    app.state.webhooks = webhooks or WebhookSender(database, page_url=lambda incident: _page_url(app, incident))

    @app.exception_handler(StatusPageError)
    async def refused(request: Request, error: StatusPageError) -> Response:
        return JSONResponse({"message": error.message}, status_code=error.status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        message = error.detail if isinstance(error.detail, str) else str(error.detail)
        return JSONResponse({"message": message}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in error.errors()[:10]
        )
        return JSONResponse({"message": problems}, status_code=400)

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, error: IntegrityError) -> Response:
        return JSONResponse(
            {"message": "a concurrent change conflicts with this one; read the object again and retry"},
            status_code=409,
        )

    @app.get("/openapi-1.1.2.yaml", include_in_schema=False)
    def reference_spec() -> Response:
        """The SCS Status Page API 1.1.2 as published (MIT, OSB Alliance): the contract kept here."""
        text = resources.files("scs_toolkit.statuspage").joinpath(SPEC).read_text(encoding="utf-8")
        return Response(text, media_type="application/yaml")

    # pages first: `/` and `/pages/...`; then the extensions (some share the prefix /incidents/{id}/...)
    for router in (pages.router, extensions.router, api.router):
        app.include_router(router)
    return app


def create_standalone_app(
    database: Database, settings: PageSettings | None = None, cors_origins: tuple[str, ...] = ()
) -> ASGIApp:
    """`scs status serve`: the same app at the root, behind the monitor's request limits, clean 500s and
    security headers (and CORS for a separately hosted web UI, when origins are given)."""
    app: ASGIApp = create_app(database, settings=settings)
    app = ServerErrors(app)
    if cors_origins:
        app = CORSMiddleware(
            app,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app = RequestLimits(app)
    return SecurityHeaders(app, page_policy=page_policy())


def _page_url(app: FastAPI, incident: uuid.UUID) -> str | None:
    settings: PageSettings = app.state.settings
    if settings.public_url is None:
        return None
    return f"{settings.public_url.rstrip('/')}/pages/incidents/{incident}"
