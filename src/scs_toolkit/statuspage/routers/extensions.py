"""Additive extensions beside the 1.1.2 paths (no 1.1.2 client sees a difference): structured RCAs,
component uptime, Atom feeds, the health monitor's ingest, proposals for a person to confirm, and
the audit trail."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import or_, select

from ..._time import naive, utcnow
from ...monitor.dependencies import DbSession
from .. import schemas
from ..auth import Admin, Machine, Reader, Writer
from ..db import Impact, Incident
from ..dependencies import commit, json_body, model, parse_moment, parse_uuid
from ..model import bad
from ..services import audit, catalog, components, feeds, incidents, ingest, rca, timeline

router = APIRouter(tags=["extensions"])
Body = Annotated[Any, Depends(json_body)]


# ---- RCA ---------------------------------------------------------------------------------------


@router.get("/incidents/{incidentId}/rca", response_model=schemas.RcaOut, response_model_exclude_none=True)
def get_rca(incidentId: str, db: DbSession, reader: Reader) -> Any:
    """The incident's RCA: anonymous readers see it once published, token holders also the draft."""
    return rca.out(rca.get(db, reader, parse_uuid(incidentId, "incidentId")))


@router.put("/incidents/{incidentId}/rca", status_code=204)
def put_rca(incidentId: str, request: Request, db: DbSession, actor: Writer, body: Body) -> Response:
    """Create or replace the RCA (every field; `published: true` makes it public)."""
    rca.put(db, actor, parse_uuid(incidentId, "incidentId"), model(schemas.RcaRequest, body))
    commit(request, db)
    return Response(status_code=204)


@router.delete("/incidents/{incidentId}/rca", status_code=204)
def delete_rca(incidentId: str, request: Request, db: DbSession, actor: Writer) -> Response:
    rca.delete(db, actor, parse_uuid(incidentId, "incidentId"))
    commit(request, db)
    return Response(status_code=204)


# ---- uptime ------------------------------------------------------------------------------------


def intervals(db: Any, component: Any, start: dt.datetime, end: dt.datetime) -> list[timeline.Interval]:
    """Impact intervals of confirmed incidents on `component` overlapping [start, end] (aware)."""
    rows = db.execute(
        select(Incident.began_at, Incident.ended_at, Impact.severity)
        .join(Impact, Impact.incident_id == Incident.id)
        .where(
            Impact.component_id == component,
            Incident.proposed.is_(False),
            Incident.began_at.is_not(None),
            Incident.began_at <= naive(end),
            or_(Incident.ended_at.is_(None), Incident.ended_at >= naive(start)),
        )
    )
    return [timeline.Interval(b, e, s) for b, e, s in rows]


@router.get("/components/{componentId}/uptime", response_model=schemas.UptimeOut)
def get_uptime(
    componentId: str,
    db: DbSession,
    reader: Reader,
    start: Annotated[str | None, Query(description="RFC 3339; default 30 days before end")] = None,
    end: Annotated[str | None, Query(description="RFC 3339; default now")] = None,
    includeMaintenance: Annotated[bool, Query()] = False,
) -> Any:
    """Time per state and uptime over [start, end]; maintenance is left out of the measured time by default."""
    component = components.get(db, reader, parse_uuid(componentId, "componentId"))
    until = parse_moment(end, "end") or utcnow()
    since = parse_moment(start, "start") or until - dt.timedelta(days=30)
    if until <= since:
        raise bad("end must be after start")
    if until - since > dt.timedelta(days=3660):
        raise bad("the range may span at most ten years")
    figures = timeline.uptime(
        intervals(db, component.id, since, until),
        naive(since),
        naive(until),
        catalog.bands(catalog.severities(db)),
        includeMaintenance,
    )
    return schemas.UptimeOut(
        component=component.id,
        start=since,
        end=until,
        include_maintenance=includeMaintenance,
        seconds=figures.seconds,
        uptime=figures.uptime,
        unaffected=figures.unaffected,
    )


# ---- feeds -------------------------------------------------------------------------------------


def base_url(request: Request) -> str:
    public: str | None = request.app.state.settings.public_url
    if public:
        return public.rstrip("/")
    root: str = request.scope.get("root_path", "")
    return str(request.base_url).rstrip("/").removesuffix(root) + root


ATOM_TYPE = "application/atom+xml; charset=utf-8"


@router.get("/feed.atom", response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def feed(request: Request, db: DbSession, reader: Reader) -> Response:
    """Atom feed of the 50 most recently changed incidents and maintenance windows."""
    base = base_url(request)
    body = feeds.atom(
        "SCS status: incidents and maintenance",
        feeds.feed_id(None),
        f"{base}/feed.atom",
        f"{base}/",
        incidents.recent(db, reader),
        f"{base}/pages/incidents/{{id}}",
    )
    return Response(body, media_type=ATOM_TYPE, headers={"Cache-Control": "public, max-age=60"})


@router.get(
    "/components/{componentId}/feed.atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def component_feed(componentId: str, request: Request, db: DbSession, reader: Reader) -> Response:
    component = components.get(db, reader, parse_uuid(componentId, "componentId"))
    base = base_url(request)
    body = feeds.atom(
        f"SCS status: {component.display_name}",
        feeds.feed_id(component.id),
        f"{base}/components/{component.id}/feed.atom",
        f"{base}/",
        incidents.recent(db, reader, component=component.id),
        f"{base}/pages/incidents/{{id}}",
    )
    return Response(body, media_type=ATOM_TYPE, headers={"Cache-Control": "public, max-age=60"})


# ---- health monitor ----------------------------------------------------------------------------


@router.post("/ingest/healthmon", response_model=schemas.Data[schemas.IngestOut])
def ingest_health(request: Request, db: DbSession, actor: Machine, body: Body) -> Any:
    """One health iteration of a cloud and the alerts firing after it (scs health serve --status-page)."""
    outcome = ingest.ingest(db, actor, model(schemas.HealthReport, body))
    commit(request, db)
    return {"data": outcome}


# ---- proposals ---------------------------------------------------------------------------------


def _proposal_out(row: Incident) -> schemas.ProposalOut:
    return schemas.ProposalOut(**incidents.out(row).model_dump(), source=row.source, owner=row.owner)


@router.get("/proposals", response_model=schemas.Data[list[schemas.ProposalOut]], response_model_exclude_none=True)
def list_proposals(db: DbSession, actor: Writer) -> Any:
    """Incidents the health monitor proposed (mode "propose"), waiting for a person."""
    return {"data": [_proposal_out(r) for r in incidents.proposals(db)]}


@router.post("/proposals/{incidentId}/confirm", status_code=204)
def confirm_proposal(incidentId: str, request: Request, db: DbSession, actor: Writer) -> Response:
    incidents.confirm(db, actor, parse_uuid(incidentId, "incidentId"))
    commit(request, db)
    return Response(status_code=204)


@router.delete("/proposals/{incidentId}", status_code=204)
def dismiss_proposal(incidentId: str, request: Request, db: DbSession, actor: Writer) -> Response:
    """Not an incident: hidden for good; its symptom proposes nothing new until it has cleared."""
    incidents.dismiss(db, actor, parse_uuid(incidentId, "incidentId"))
    commit(request, db)
    return Response(status_code=204)


# ---- audit -------------------------------------------------------------------------------------


@router.get("/audit", response_model=schemas.Data[list[schemas.AuditOut]])
def get_audit(
    db: DbSession,
    actor: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    entityId: Annotated[str | None, Query(max_length=300)] = None,
) -> Any:
    """Every write, newest first: who, what, before and after (admin scope)."""
    return {"data": [audit.document(e) for e in audit.listing(db, limit, entity, entityId)]}
