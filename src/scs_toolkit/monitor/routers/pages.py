"""Public HTML pages, all generated from data through Jinja2 with autoescape."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import datetime as dt
from collections.abc import Hashable
from importlib import resources
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from ... import standards
from .. import compression, names, schemas, views
from ..dependencies import Current, DbSession, OptionalCaller, known_subject, readable_report, scope_or_404
from ..services import certificates, status, subjects
from ..services.current import Snapshot

router = APIRouter(include_in_schema=False)
_FAVICON = FilePath(str(resources.files("scs_toolkit.monitor").joinpath("static", "favicon.svg")))
#: A filter value: a group or operator name as the accounts file allows (bounded, any text).
FilterText = Annotated[str | None, Query(max_length=256)]
#: How many days the history page covers (its links offer 30, 90 and 548: 18 months).
HistoryRange = Annotated[int, Query(ge=1, le=status.HISTORY_DAYS)]


def _clocked(request: Request, snapshot: Snapshot, key: Hashable, page: str) -> Response:
    """A page rendered once per snapshot (`key`), as of this second: its clock filled in and gzip-
    compressed once per second and encoding, for every request in that second (single flight)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # what the page says: "as of 06:23:05"
    packed = compression.accepts_gzip(request)

    def body() -> bytes:
        filled = views.fill_clock(page, now).encode()
        return compression.gzip_bytes(filled, compression.PER_REQUEST_LEVEL) if packed else filled

    headers = {"Vary": "Accept-Encoding", **({"Content-Encoding": "gzip"} if packed else {})}
    content = snapshot.latest(("clocked", key, packed), now, body)
    return Response(content, media_type="text/html; charset=utf-8", headers=headers)


def _page(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(views.render(template, nav_scopes=standards.bundled_scopes(), **context))


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(_FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, db: DbSession, current: Current, group: FilterText = None, operator: FilterText = None
) -> Response:
    """Certified and not certified subjects in two tables, filterable by group and operator.

    Rendered once per snapshot and filter (its clock filled in once per second); filters other than
    the known groups and operators, and pages with shares still being computed, every time."""
    compliance = request.app.state.compliance
    snapshot = current.snapshot(db)
    rows = subjects.overview(db, compliance, current=current, snapshot=snapshot)
    groups = sorted({r.group for r in rows if r.group})
    operators = sorted({r.operator for r in rows if r.operator})

    def render() -> str:
        shown = [r for r in rows if (not group or r.group == group) and (not operator or r.operator == operator)]
        return views.render_unclocked(
            "overview.html",
            nav_scopes=standards.bundled_scopes(),
            scopes=standards.bundled_scopes(),
            certified=[r for r in shown if r.certified_any],
            others=[r for r in shown if not r.certified_any],
            total=len(rows),
            groups=groups,
            operators=operators,
            group=group,
            operator=operator,
            focus_version=views.focus_version,
        )

    pending = any(state.compliance_pending for r in rows for state in r.scopes.values())
    known = (not group or group in groups) and (not operator or operator in operators)
    if pending or not known:
        return HTMLResponse(views.fill_clock(render(), dt.datetime.now(dt.UTC)))
    key = ("overview-html", group, operator)
    return _clocked(request, snapshot, key, snapshot.memo(key, render))


def shares(
    request: Request, db: DbSession, snapshot: Snapshot, subject: str, scope: standards.Scope
) -> dict[str, float | None]:
    """The 30/90-day shares from the overview's cache (the same entry while nothing new arrived)."""
    stamp = snapshot.stamp(subject) if scope.uuid in snapshot.newest(subject) else None
    found = request.app.state.compliance.shares(db, [(subject, scope, stamp)], wait=True)
    return found[subject, scope.uuid] or {}


@router.get("/subjects/{subject}", response_class=HTMLResponse)
def details(request: Request, subject: names.SubjectPath, db: DbSession, current: Current) -> Response:
    """Summary, testcases by standard and certificates of one subject (rendered once per snapshot
    and compliance shares, as the overview)."""
    snapshot = current.snapshot(db)
    try:
        summary = subjects.details_now(db, snapshot, subject)
    except subjects.UnknownSubject as error:
        raise HTTPException(404, str(error)) from None
    compliance = {
        scope.uuid: shares(request, db, snapshot, subject, scope) if summary.scopes[scope.uuid].offered else {}
        for scope in snapshot.scopes
    }
    listed = snapshot.memo_for(  # their states hold until the snapshot ends (a valid one's expiry ends it)
        subject,
        "certificates",
        lambda: [schemas.certificate_info(c, snapshot.at) for c in certificates.listing(db, subject)],
    )

    def render() -> str:
        scopes = []
        for scope in snapshot.scopes:
            state = summary.scopes[scope.uuid]
            scopes.append(
                {
                    "scope": scope,
                    "status": state,
                    "focus": views.focus_version(state),
                    "standards": views.by_standard(scope, state),
                    "links": {t: views.testcase_links(scope, t) for t in views.testcase_ids(state)},
                    "certificates": [c for c in listed if c.scope == scope.uuid],
                    "compliance": compliance[scope.uuid],
                }
            )
        return views.render_unclocked(
            "details.html", nav_scopes=standards.bundled_scopes(), subject=summary, scopes=scopes
        )

    page = snapshot.latest_for(subject, "details-html", str(compliance), render)
    return _clocked(request, snapshot, ("details-html", subject, str(compliance)), page)


@router.get("/subjects/{subject}/history", response_class=HTMLResponse)
def history(
    request: Request,
    subject: names.SubjectPath,
    db: DbSession,
    current: Current,
    days: HistoryRange = status.HISTORY_DAYS,
) -> Response:
    """One chart per scope from the first report on (at least the last 30 days), and the changes;
    built once per snapshot and range, and kept while the subject does not change (as its page)."""
    known_subject(db, subject, current)
    snapshot = current.snapshot(db)

    def build() -> str:
        today = snapshot.at.date()  # a snapshot ends at midnight: its day is today
        charts = []
        for scope in snapshot.scopes:
            first = status.first_report(db, subject, scope)
            chart: dict[str, Any] = {"scope": scope, "first_report": first}
            if first is not None:
                start = max(today - dt.timedelta(days=days - 1), min(first.date(), today - dt.timedelta(days=29)))
                evaluated = status.history(db, subject, scope, (today - start).days + 1)
                chart["wide"] = views.timeline(evaluated, first, "wide")
                chart["narrow"] = views.timeline(evaluated, first, "narrow")
                chart["changes"] = views.changes(evaluated, first)
                chart["start"] = start
            charts.append(chart)
        return views.render_unclocked(
            "history.html",
            nav_scopes=standards.bundled_scopes(),
            subject=subjects.info(db, subject),
            charts=charts,
            days=days,
            ranges=(30, 90, 548),
        )

    page = snapshot.memo_for(subject, ("history-html", days), build)
    return _clocked(request, snapshot, ("history-html", subject, days), page)


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
