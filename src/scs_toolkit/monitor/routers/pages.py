"""Public HTML pages, all generated from data through Jinja2 with autoescape."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from ... import standards
from .. import names, schemas, views
from ..dependencies import DbSession, OptionalCaller, known_subject, readable_report, scope_or_404
from ..services import certificates, status, subjects

router = APIRouter(include_in_schema=False)


def _page(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(views.render(template, nav_scopes=standards.bundled_scopes(), **context))


@router.get("/", response_class=HTMLResponse)
def overview(db: DbSession) -> HTMLResponse:
    return _page("overview.html", at=views.now(), scopes=standards.bundled_scopes(), rows=subjects.overview(db))


@router.get("/subjects/{subject}", response_class=HTMLResponse)
def details(subject: names.SubjectPath, db: DbSession) -> HTMLResponse:
    known_subject(db, subject)
    return _page("details.html", subject=subjects.details(db, subject), scopes=standards.bundled_scopes())


@router.get("/subjects/{subject}/history", response_class=HTMLResponse)
def history(subject: names.SubjectPath, db: DbSession) -> HTMLResponse:
    known_subject(db, subject)
    charts = []
    for scope in standards.bundled_scopes():
        days = [schemas.history_day(d, e) for d, e in status.history(db, subject, scope)]
        charts.append({"scope_name": scope.name, "timeline": views.timeline(days)})
    return _page("history.html", subject=subjects.info(db, subject), charts=charts, days=status.HISTORY_DAYS)


@router.get("/reports/{report_uuid}", response_class=HTMLResponse)
def report(
    report_uuid: names.ReportUuidPath, db: DbSession, account: OptionalCaller, full: bool = False
) -> HTMLResponse:
    row, data = readable_report(db, report_uuid, account, full)
    return _page("report.html", report=row, data=data, full=full)


@router.get("/scopes/{scope}", response_class=HTMLResponse)
def scope(scope: Annotated[str, Path(max_length=names.SCOPE_REFERENCE_MAX)]) -> HTMLResponse:
    loaded = scope_or_404(scope)
    return _page("scope.html", scope=schemas.scope_info(loaded, status.utcnow().date()))


@router.get("/certificates", response_class=HTMLResponse)
def certificate_list(db: DbSession, subject: names.SubjectQuery = None) -> HTMLResponse:
    now = status.utcnow()
    listed = [schemas.certificate_info(c, now) for c in certificates.listing(db, subject)]
    return _page("certificates.html", certificates=listed, subject=subject)
