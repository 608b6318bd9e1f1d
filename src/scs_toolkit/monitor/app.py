"""The monitor's web application: routers for uploaders, the JSON API, pages and operations."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .._serving import SecurityHeaders
from .._web import DOCS_POLICIES, install_docs, install_error_pages
from ..statuspage.app import PageSettings
from ..statuspage.app import create_app as create_status_page
from . import views
from .authentication import Authenticator, AuthLimits
from .compression import PublicGzip
from .db import Database
from .metrics import MeasuredRequests, Metrics
from .middleware import RequestLimits, ServerErrors
from .routers import api, feed, ingest, operations, pages
from .services import changes
from .services.current import CurrentState
from .services.status import ComplianceCache

DESCRIPTION = """Signed SCS reports in; certification status, history, certificates and badges out.

Uploads use the SCS wire format (`POST /reports`, HTTP Basic). Everything public is readable
without credentials; full (unredacted) reports need the subject's own account or `read_any`."""


def create_app(database: Database, auth_limits: AuthLimits | None = None) -> FastAPI:
    """One app per database; all state lives on `app.state`, so apps and replicas are independent
    (the verification cache and the failure counts of `authenticator` are per process; so is the
    snapshot of "now" in `current`, which the database's change counter validates on every request)."""
    app = FastAPI(title="SCS compliance monitor (scs-toolkit)", description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.database = database
    app.state.compliance = ComplianceCache(database)
    quick = database.quick_reads
    app.state.current = CurrentState(counter=(lambda _db: changes.current_quickly(quick)) if quick else changes.current)
    app.state.metrics = metrics = Metrics(database)
    app.state.authenticator = Authenticator(auth_limits or AuthLimits(), metrics.password_checks, metrics.auth_refusals)
    app.add_middleware(ServerErrors)  # innermost: the measuring sees its 500 like any other answer
    app.add_middleware(MeasuredRequests, metrics=metrics)
    app.add_middleware(PublicGzip)  # outside the measuring: latency figures are the app's, not compression's
    app.add_middleware(RequestLimits)  # before any routing or parameter parsing
    app.add_middleware(SecurityHeaders, page_policy=views.page_policy(), policies_by_path=DOCS_POLICIES)
    for router in (ingest.router, api.router, feed.router, pages.router, operations.router):
        app.include_router(router)
    # the status page under /status/ (its own API, pages and error shape); `GET /status` itself stays the
    # compliance status JSON: that route was registered above, and a mount matches only /status/...
    status_page = create_status_page(database, app.state.authenticator, PageSettings(monitor_pages=True))
    app.mount("/status", status_page, name="status-page")
    app.mount("/static", StaticFiles(packages=[("scs_toolkit.monitor", "static")]), name="static")
    install_docs(app, favicon="/static/favicon.svg")
    install_error_pages(app, views.error_page)
    return app
