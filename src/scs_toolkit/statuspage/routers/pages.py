"""The public pages, server-rendered and readable without JavaScript: the overview (components with
their current state and a 90-day daily bar), the incident log, each incident with its timeline and
RCA, the maintenance calendar, and a page per cloud joining certification, health and incidents."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import datetime as dt
import functools
import uuid
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..._time import aware, naive, utcnow
from ...monitor import names
from ...monitor.dependencies import DbSession
from .. import views
from ..db import Component, Impact, Incident
from ..dependencies import parse_uuid
from ..model import ANONYMOUS, CLOUD_LABEL, missing
from ..services import catalog, components, incidents, ingest, timeline

router = APIRouter(include_in_schema=False)
DAYS = 90
FAR_FUTURE = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)
Palette = Annotated[str, Query(pattern="^(default|colorblind)$")]


@functools.cache
def _policy() -> str:
    return views.page_policy()


def _page(request: Request, template: str, palette: str, **context: Any) -> HTMLResponse:
    base = request.scope.get("root_path", "")
    html = views.render(
        template,
        base=base,
        palette=palette,
        palette_query="" if palette == "default" else "?palette=colorblind",
        monitor_pages=request.app.state.settings.monitor_pages,
        **context,
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": _policy()})


def _colours(db: Session, palette: str) -> views.Colours:
    return views.Colours(palette, catalog.bands(catalog.severities(db)))


def _days(today: dt.date) -> list[dt.date]:
    return [today - dt.timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]


def _bars(db: Session, component_ids: list[uuid.UUID], today: dt.date) -> dict[uuid.UUID, dict[dt.date, int | None]]:
    """Per component, the worst severity of each of the last 90 days: one query for all components."""
    days = _days(today)
    start = dt.datetime.combine(days[0], dt.time())
    rows = db.execute(
        select(Impact.component_id, Incident.began_at, Incident.ended_at, Impact.severity)
        .join(Incident, Incident.id == Impact.incident_id)
        .where(
            Incident.proposed.is_(False),
            Incident.began_at.is_not(None),
            Incident.began_at <= naive(utcnow()),
            or_(Incident.ended_at.is_(None), Incident.ended_at >= start),
        )
    )
    grouped: dict[uuid.UUID, list[timeline.Interval]] = defaultdict(list)
    for component_id, began, ended, severity in rows:
        if began is not None:
            grouped[component_id].append(timeline.Interval(began, ended, severity))
    return {c: timeline.daily_worst(grouped.get(c, []), days) for c in component_ids}


def _bar(worst: dict[dt.date, int | None], colours: views.Colours) -> list[dict[str, Any]]:
    return [
        {
            "x": index * 4,
            "colour": colours.of(value),
            "title": f"{day:%Y-%m-%d}: {colours.name(value)}",
            "state": colours.name(value),
        }
        for index, (day, value) in enumerate(sorted(worst.items()))
    ]


def _state(impacts: list[Impact]) -> int | None:
    nonzero = [i.severity for i in impacts if i.severity > 0]
    return max(nonzero) if nonzero else (0 if impacts else None)


def _is_maintenance(incident: Incident) -> bool:
    return bool(incident.impacts) and all(i.severity == 0 for i in incident.impacts)


def _incident_row(incident: Incident, colours: views.Colours, names_by_id: dict[uuid.UUID, str]) -> dict[str, Any]:
    worst = _state(list(incident.impacts))
    return {
        "id": incident.id,
        "title": incident.display_name,
        "began_at": incident.began_at,
        "ended_at": incident.ended_at,
        "maintenance": _is_maintenance(incident),
        "state": colours.name(worst),
        "colour": colours.of(worst),
        "components": sorted({names_by_id[i.component_id] for i in incident.impacts if i.component_id in names_by_id}),
        "updates": len(incident.updates),
        "rca": incident.rca is not None and incident.rca.published_at is not None,
    }


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    db: DbSession,
    palette: Palette = "default",
    by: Annotated[str, Query(max_length=63, pattern=r"^[A-Za-z0-9._/-]+$")] = "group",
) -> HTMLResponse:
    now = utcnow()
    colours = _colours(db, palette)
    shown = [
        c for c in db.scalars(select(Component).order_by(Component.display_name)) if components.visible(c, ANONYMOUS)
    ]
    active: dict[uuid.UUID, list[Impact]] = defaultdict(list)
    for impact in components.active_impacts(db, naive(now), [c.id for c in shown]):
        active[impact.component_id].append(impact)
    bars = _bars(db, [c.id for c in shown], now.date())
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    grouped = any(by in c.labels for c in shown)
    for component in shown:
        state = _state(active.get(component.id, []))
        groups[component.labels.get(by, "Other") if grouped else "Components"].append(
            {
                "id": component.id,
                "name": component.display_name,
                "labels": component.labels,
                "state": colours.name(state),
                "colour": colours.of(state),
                "bar": _bar(bars[component.id], colours),
            }
        )
    names_by_id = {c.id: c.display_name for c in shown}
    current = incidents.window(db, ANONYMOUS, now, now)
    running = [i for i in current if i.ended_at is None or aware(i.ended_at) > now]
    recent = [
        i
        for i in incidents.window(db, ANONYMOUS, now - dt.timedelta(days=7), now)
        if i not in running and not _is_maintenance(i)
    ]
    upcoming = [i for i in _future(db) if _is_maintenance(i)]
    affected = sum(1 for rows in groups.values() for row in rows if row["state"] != timeline.OPERATIONAL)
    return _page(
        request,
        "overview.html",
        palette,
        title="Status",
        at=now,
        groups=sorted(groups.items(), key=lambda item: (item[0] == "Other", item[0])),
        affected=affected,
        running=[_incident_row(i, colours, names_by_id) for i in running],
        recent=[_incident_row(i, colours, names_by_id) for i in recent],
        upcoming=[_incident_row(i, colours, names_by_id) for i in upcoming],
        legend=[{"name": b.name, "colour": colours.of_band(b)} for b in colours.scale],
    )


def _future(db: Session) -> list[Incident]:
    """Everything planned, however far ahead (moments are bounded to the years 2000..2999)."""
    now = naive(utcnow())
    rows = incidents.window(db, ANONYMOUS, aware(now), FAR_FUTURE)
    return sorted((i for i in rows if i.began_at is not None and i.began_at > now), key=lambda i: i.began_at or now)


@router.get("/pages/incidents", response_class=HTMLResponse)
def incident_log(
    request: Request, db: DbSession, palette: Palette = "default", days: Annotated[int, Query(ge=1, le=3660)] = DAYS
) -> HTMLResponse:
    now = utcnow()
    colours = _colours(db, palette)
    names_by_id = {c.id: c.display_name for c in db.scalars(select(Component)) if components.visible(c, ANONYMOUS)}
    rows = incidents.window(db, ANONYMOUS, now - dt.timedelta(days=days), now)
    return _page(
        request,
        "incidents.html",
        palette,
        title="Incident log",
        days=days,
        rows=[_incident_row(i, colours, names_by_id) for i in rows if not _is_maintenance(i)],
    )


@router.get("/pages/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(incident_id: str, request: Request, db: DbSession, palette: Palette = "default") -> HTMLResponse:
    incident = incidents.get(db, ANONYMOUS, parse_uuid(incident_id, "the incident id"))
    colours = _colours(db, palette)
    hidden = incidents.hidden_for(db, ANONYMOUS)
    affected = []
    for impact in incident.impacts:
        if impact.component_id in hidden:
            continue
        component = db.get(Component, impact.component_id)
        kind = catalog.impact_type(db, impact.impact_type_id)
        affected.append(
            {
                "name": component.display_name if component else str(impact.component_id),
                "cloud": component.labels.get(CLOUD_LABEL) if component else None,
                "type": kind.display_name,
                "severity": impact.severity,
                "state": colours.name(impact.severity),
                "colour": colours.of(impact.severity),
            }
        )
    rca = incident.rca if incident.rca is not None and incident.rca.published_at is not None else None
    return _page(
        request,
        "incident.html",
        palette,
        title=incident.display_name,
        incident=incident,
        maintenance=_is_maintenance(incident),
        phase=catalog.phase_name(db, incident.phase_generation, incident.phase_order),
        affected=affected,
        updates=sorted(incident.updates, key=lambda u: u.order),
        rca=rca,
        now=utcnow(),
    )


@router.get("/pages/maintenance", response_class=HTMLResponse)
def maintenance(request: Request, db: DbSession, palette: Palette = "default") -> HTMLResponse:
    now = utcnow()
    colours = _colours(db, palette)
    names_by_id = {c.id: c.display_name for c in db.scalars(select(Component)) if components.visible(c, ANONYMOUS)}
    windows = [
        i for i in incidents.window(db, ANONYMOUS, now - dt.timedelta(days=30), FAR_FUTURE) if _is_maintenance(i)
    ]
    windows.sort(key=lambda i: i.began_at or naive(now))
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for window in windows:
        row = _incident_row(window, colours, names_by_id)
        ended = aware(window.ended_at) if window.ended_at else None
        begun = aware(window.began_at) if window.began_at else now
        row["when"] = "past" if ended is not None and ended <= now else ("now" if begun <= now else "planned")
        by_month[f"{begun:%Y-%m}"].append(row)
    return _page(request, "maintenance.html", palette, title="Maintenance", months=sorted(by_month.items()), now=now)


@router.get("/pages/clouds/{cloud}", response_class=HTMLResponse)
def cloud_page(
    request: Request,
    db: DbSession,
    cloud: Annotated[str, Path(pattern=names.SUBJECT_PATTERN)],
    palette: Palette = "default",
) -> HTMLResponse:
    """Certification (compliance monitor), health success rates (health monitor) and incidents of one cloud."""
    from ...monitor.services import subjects

    now = utcnow()
    colours = _colours(db, palette)
    shown = [c for c in components.of_cloud(db, cloud) if components.visible(c, ANONYMOUS)]
    certification = None
    try:
        subjects.require(db, cloud)
    except subjects.UnknownSubject:
        pass
    else:
        certification = subjects.details(db, cloud)
    rates = ingest.success_rates(db, cloud)
    latest = ingest.latest_health(db, cloud)
    if certification is None and not shown and latest is None:
        raise missing(f"nothing is known about the cloud {cloud!r}")
    ids = [c.id for c in shown]
    bars = _bars(db, ids, now.date())
    active: dict[uuid.UUID, list[Impact]] = defaultdict(list)
    for impact in components.active_impacts(db, naive(now), ids):
        active[impact.component_id].append(impact)
    rows = []
    for component in shown:
        state = _state(active.get(component.id, []))
        rows.append(
            {
                "id": component.id,
                "name": component.display_name,
                "state": colours.name(state),
                "colour": colours.of(state),
                "bar": _bar(bars[component.id], colours),
            }
        )
    names_by_id = {c.id: c.display_name for c in shown}
    related = [
        i
        for component in shown
        for i in incidents.window(
            db, ANONYMOUS, now - dt.timedelta(days=DAYS), now + dt.timedelta(days=365), component.id
        )
    ]
    unique = list({i.id: i for i in related}.values())
    unique.sort(key=lambda i: i.began_at or naive(now), reverse=True)
    health_url = (latest.dashboard_url if latest else None) or (certification.healthmon_url if certification else None)
    return _page(
        request,
        "cloud.html",
        palette,
        title=f"{cloud}: operations",
        cloud=cloud,
        certification=certification,
        rates=[{"days": n, "iterations": it, "failed": failed} for n, (it, failed) in rates.items()],
        latest=latest,
        health_url=health_url,
        components=rows,
        incidents=[_incident_row(i, colours, names_by_id) for i in unique],
    )
