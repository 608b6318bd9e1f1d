"""What the monitor and the health dashboard share as web apps people open in a browser.

- Self-hosted API docs: `/docs` (Swagger UI) and `/redoc` (ReDoc) load their scripts and styles from
  this app, never from a CDN, so they work on air-gapped sites. The distribution files come from the
  `fastapi-offline` package (it ships swagger-ui and redoc, MIT); the pages start them with small
  script files of ours (no inline script, so the policy needs no 'unsafe-inline' for scripts).
- Error pages: a browser (Accept prefers text/html) gets an HTML page; API clients keep FastAPI's JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException

_VENDOR = Path(str(resources.files("fastapi_offline").joinpath("static")))
_OURS = Path(str(resources.files("scs_toolkit._web").joinpath("static")))
#: The only files /apidocs/ serves: name -> (folder, media type).
ASSETS = {
    "swagger-ui-bundle.js": (_VENDOR, "text/javascript"),
    "swagger-ui.css": (_VENDOR, "text/css"),
    "redoc.standalone.js": (_VENDOR, "text/javascript"),
    "swagger-init.js": (_OURS, "text/javascript"),
    "redoc-init.js": (_OURS, "text/javascript"),
}
#: The docs pages run only this app's script files and load nothing from elsewhere. Swagger UI needs
#: no inline styles; ReDoc writes its styles as <style> elements at run time, so /redoc alone allows
#: inline styles (the page shows no stored data), and runs its search in a blob: worker.
_DOCS_BASE = (
    "default-src 'none'; script-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SWAGGER_POLICY = f"{_DOCS_BASE}; style-src 'self'"
REDOC_POLICY = f"{_DOCS_BASE}; style-src 'self' 'unsafe-inline'; worker-src blob:"
DOCS_POLICIES = {"/docs": SWAGGER_POLICY, "/redoc": REDOC_POLICY}

_ENVIRONMENT = Environment(
    loader=PackageLoader("scs_toolkit._web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def install_docs(app: FastAPI, favicon: str) -> None:
    """`/docs`, `/redoc` and their assets under `/apidocs/`; create the app with docs_url=redoc_url=None."""
    title = app.title
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        page = _ENVIRONMENT.get_template("swagger.html").render(title=title, openapi=openapi, favicon=favicon)
        return HTMLResponse(page)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = _ENVIRONMENT.get_template("redoc.html").render(title=title, openapi=openapi, favicon=favicon)
        return HTMLResponse(page)

    @app.get("/apidocs/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, f"no such documentation asset {name!r}")
        folder, media_type = ASSETS[name]
        return FileResponse(folder / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


def wants_html(accept: str) -> bool:
    """Whether an Accept header prefers an HTML page to JSON (browsers send text/html first; curl, httpx
    and API clients send */* or application/json)."""
    best = {"html": (0.0, 0), "json": (0.0, 0)}  # kind -> (quality, position of the first such entry)
    for position, part in enumerate(accept.split(",")):
        media, *parameters = (p.strip() for p in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        kind = "html" if media in ("text/html", "application/xhtml+xml") else None
        if media == "application/json" or media.endswith("+json"):
            kind = "json"
        if kind is not None and quality > best[kind][0]:
            best[kind] = (quality, position)
    (html, html_at), (json, json_at) = best["html"], best["json"]
    return html > 0 and (html > json or (html == json and html_at < json_at))


#: Renders an error page: (status code, title, message) -> HTML.
ErrorPage = Callable[[int, str, str], str]
TITLES = {
    400: "Bad request",
    401: "Login required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid parameters",
    429: "Too many requests",
}


def install_error_pages(app: FastAPI, render: ErrorPage) -> None:
    """HTML error pages for browsers; the same status code and headers (WWW-Authenticate, Retry-After)."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if not wants_html(request.headers.get("accept", "")):
            return await http_exception_handler(request, error)
        message = error.detail if isinstance(error.detail, str) else str(error.detail)
        title = TITLES.get(error.status_code, "Error")
        return HTMLResponse(render(error.status_code, title, message), error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        if not wants_html(request.headers.get("accept", "")):
            return await request_validation_exception_handler(request, error)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'path'))}: {e.get('msg', '')}"
            for e in error.errors()
        )
        return HTMLResponse(render(422, TITLES[422], problems), 422)
