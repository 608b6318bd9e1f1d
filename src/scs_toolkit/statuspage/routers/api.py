"""The SCS Status Page API 1.1.2: the same paths, payloads, `{"data": ...}` wrapping and status codes
as the reference server, so the SCS web UI and any client of the spec work unchanged.

Reads are anonymous; writes need a token: impact types, severities, phases and components the admin
scope, incidents and updates the writer scope (or a machine token, for its own incidents).
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ...monitor.dependencies import DbSession
from .. import schemas
from ..auth import Admin, IncidentWriter, Reader, Writer
from ..dependencies import commit, json_body, model, parse_moment, parse_uuid
from ..model import bad
from ..services import catalog, components, incidents

router = APIRouter()
Body = Annotated[Any, Depends(json_body)]
AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "no token, or a wrong one"},
    403: {"description": "the token's scope does not allow it"},
}
BAD: dict[int | str, dict[str, Any]] = {400: {"description": "malformed or against the rules (the message says which)"}}
MISSING: dict[int | str, dict[str, Any]] = {404: {"description": "no such object"}}


def _no_content() -> Response:
    return Response(status_code=204)


# ---- phases ------------------------------------------------------------------------------------


@router.get("/phases", tags=["phase"], response_model=schemas.Data[schemas.PhaseList], responses={**BAD, **MISSING})
def get_phase_list(db: DbSession, generation: Annotated[str | None, Query()] = None) -> Any:
    """The current generation's phase list, or `?generation=N`."""
    number = None
    if generation is not None:
        if not generation.lstrip("-").isdigit() or len(generation) > 9:
            raise bad("generation must be an integer")
        number = int(generation)
    return {"data": catalog.phase_list(db, number)}


@router.post(
    "/phases", tags=["phase"], status_code=201, response_model=schemas.GenerationResponse, responses={**AUTH, **BAD}
)
def create_phase_list(request: Request, db: DbSession, actor: Admin, body: Body) -> Any:
    """A new generation of the phase list (lists are never edited)."""
    generation = catalog.create_phase_list(db, actor, model(schemas.PhaseListRequest, body))
    commit(request, db)
    return {"generation": generation}


# ---- impact types ------------------------------------------------------------------------------


@router.get("/impacttypes", tags=["impact"], response_model=schemas.Data[list[schemas.ImpactTypeOut]])
def get_impact_types(db: DbSession) -> Any:
    return {"data": [catalog.impact_type_out(t) for t in catalog.impact_types(db)]}


@router.post(
    "/impacttypes", tags=["impact"], status_code=201, response_model=schemas.IdResponse, responses={**AUTH, **BAD}
)
def create_impact_type(request: Request, db: DbSession, actor: Admin, body: Body) -> Any:
    type_id = catalog.create_impact_type(db, actor, model(schemas.ImpactTypeRequest, body))
    commit(request, db)
    return {"id": type_id}


@router.get(
    "/impacttypes/{impactTypeId}",
    tags=["impact"],
    response_model=schemas.Data[schemas.ImpactTypeOut],
    responses={**BAD, **MISSING},
)
def get_impact_type(impactTypeId: str, db: DbSession) -> Any:
    return {"data": catalog.impact_type_out(catalog.impact_type(db, parse_uuid(impactTypeId, "impactTypeId")))}


@router.patch("/impacttypes/{impactTypeId}", tags=["impact"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def update_impact_type(impactTypeId: str, request: Request, db: DbSession, actor: Admin, body: Body) -> Response:
    type_id = parse_uuid(impactTypeId, "impactTypeId")
    catalog.update_impact_type(db, actor, type_id, model(schemas.ImpactTypeRequest, body))
    commit(request, db)
    return _no_content()


@router.delete(
    "/impacttypes/{impactTypeId}",
    tags=["impact"],
    status_code=204,
    responses={**AUTH, **BAD, **MISSING, 409: {"description": "impacts still use it"}},
)
def delete_impact_type(impactTypeId: str, request: Request, db: DbSession, actor: Admin) -> Response:
    catalog.delete_impact_type(db, actor, parse_uuid(impactTypeId, "impactTypeId"))
    commit(request, db)
    return _no_content()


# ---- severities --------------------------------------------------------------------------------


def _severity_out(row: Any) -> schemas.SeverityOut:
    return schemas.SeverityOut(display_name=row.display_name, value=row.value)


@router.get("/severities", tags=["impact"], response_model=schemas.Data[list[schemas.SeverityOut]])
def get_severities(db: DbSession) -> Any:
    return {"data": [_severity_out(s) for s in catalog.severities(db)]}


@router.post("/severities", tags=["impact"], status_code=204, responses={**AUTH, **BAD})
def create_severity(request: Request, db: DbSession, actor: Admin, body: Body) -> Response:
    """204 without a body, as the spec says (not 201)."""
    catalog.create_severity(db, actor, model(schemas.SeverityRequest, body))
    commit(request, db)
    return _no_content()


@router.get(
    "/severities/{severityName}",
    tags=["impact"],
    response_model=schemas.Data[schemas.SeverityOut],
    responses={**MISSING},
)
def get_severity(severityName: str, db: DbSession) -> Any:
    return {"data": _severity_out(catalog.severity(db, severityName))}


@router.patch("/severities/{severityName}", tags=["impact"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def update_severity(severityName: str, request: Request, db: DbSession, actor: Admin, body: Body) -> Response:
    catalog.update_severity(db, actor, severityName, model(schemas.SeverityRequest, body))
    commit(request, db)
    return _no_content()


@router.delete("/severities/{severityName}", tags=["impact"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def delete_severity(severityName: str, request: Request, db: DbSession, actor: Admin) -> Response:
    catalog.delete_severity(db, actor, severityName)
    commit(request, db)
    return _no_content()


# ---- components --------------------------------------------------------------------------------


@router.get(
    "/components", tags=["component"], response_model=schemas.Data[list[schemas.ComponentOut]], responses={**BAD}
)
def get_components(db: DbSession, reader: Reader, at: Annotated[str | None, Query()] = None) -> Any:
    """Every component with the impacts active at `at` (default: now, including running maintenance)."""
    return {"data": components.listing(db, reader, parse_moment(at, "at"))}


@router.post(
    "/components", tags=["component"], status_code=201, response_model=schemas.IdResponse, responses={**AUTH, **BAD}
)
def create_component(request: Request, db: DbSession, actor: Admin, body: Body) -> Any:
    component_id = components.create(db, actor, model(schemas.ComponentRequest, body))
    commit(request, db)
    return {"id": component_id}


@router.get(
    "/components/{componentId}",
    tags=["component"],
    response_model=schemas.Data[schemas.ComponentOut],
    responses={**BAD, **MISSING},
)
def get_component(componentId: str, db: DbSession, reader: Reader, at: Annotated[str | None, Query()] = None) -> Any:
    return {"data": components.one(db, reader, parse_uuid(componentId, "componentId"), parse_moment(at, "at"))}


@router.patch("/components/{componentId}", tags=["component"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def update_component(componentId: str, request: Request, db: DbSession, actor: Admin, body: Body) -> Response:
    components.update(db, actor, parse_uuid(componentId, "componentId"), model(schemas.ComponentRequest, body))
    commit(request, db)
    return _no_content()


@router.delete("/components/{componentId}", tags=["component"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def delete_component(componentId: str, request: Request, db: DbSession, actor: Admin) -> Response:
    components.delete(db, actor, parse_uuid(componentId, "componentId"))
    commit(request, db)
    return _no_content()


# ---- incidents ---------------------------------------------------------------------------------


@router.get(
    "/incidents",
    tags=["incident"],
    response_model=schemas.Data[list[schemas.IncidentOut]],
    response_model_exclude_none=True,
    responses={**BAD},
)
def get_incidents(
    db: DbSession,
    reader: Reader,
    start: Annotated[str | None, Query(description="RFC 3339 (required)")] = None,
    end: Annotated[str | None, Query(description="RFC 3339 (required)")] = None,
) -> Any:
    """Incidents overlapping [start, end]; open ones count as ending never."""
    begin, until = parse_moment(start, "start"), parse_moment(end, "end")
    if begin is None or until is None:
        raise bad("start and end are required (RFC 3339, e.g. ?start=2026-01-01T00:00:00Z&end=2026-02-01T00:00:00Z)")
    hidden = incidents.hidden_for(db, reader)
    return {"data": [incidents.out(i, hidden) for i in incidents.window(db, reader, begin, until)]}


@router.post(
    "/incidents", tags=["incident"], status_code=201, response_model=schemas.IdResponse, responses={**AUTH, **BAD}
)
def create_incident(request: Request, db: DbSession, actor: IncidentWriter, body: Body) -> Any:
    incident = incidents.create(db, actor, model(schemas.IncidentRequest, body))
    commit(request, db)
    return {"id": incident.id}


@router.get(
    "/incidents/{incidentId}",
    tags=["incident"],
    response_model=schemas.Data[schemas.IncidentOut],
    response_model_exclude_none=True,
    responses={**BAD, **MISSING},
)
def get_incident(incidentId: str, db: DbSession, reader: Reader) -> Any:
    incident = incidents.get(db, reader, parse_uuid(incidentId, "incidentId"))
    return {"data": incidents.out(incident, incidents.hidden_for(db, reader))}


@router.patch("/incidents/{incidentId}", tags=["incident"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def update_incident(incidentId: str, request: Request, db: DbSession, actor: IncidentWriter, body: Body) -> Response:
    incidents.update(db, actor, parse_uuid(incidentId, "incidentId"), model(schemas.IncidentRequest, body))
    commit(request, db)
    return _no_content()


@router.delete("/incidents/{incidentId}", tags=["incident"], status_code=204, responses={**AUTH, **BAD, **MISSING})
def delete_incident(incidentId: str, request: Request, db: DbSession, actor: Writer) -> Response:
    incidents.delete(db, actor, parse_uuid(incidentId, "incidentId"))
    commit(request, db)
    return _no_content()


def _order(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise bad(f"updateOrder must be a non-negative integer, not {value[:80]!r}")
    return int(value)


@router.get(
    "/incidents/{incidentId}/updates",
    tags=["incident"],
    response_model=schemas.Data[list[schemas.IncidentUpdateOut]],
    response_model_exclude_none=True,
    responses={**BAD, **MISSING},
)
def get_incident_updates(incidentId: str, db: DbSession, reader: Reader) -> Any:
    incident = incidents.get(db, reader, parse_uuid(incidentId, "incidentId"))
    return {"data": [incidents.update_out(u) for u in incident.updates]}


@router.post(
    "/incidents/{incidentId}/updates",
    tags=["incident"],
    status_code=201,
    response_model=schemas.OrderResponse,
    responses={**AUTH, **BAD, **MISSING},
)
def create_incident_update(incidentId: str, request: Request, db: DbSession, actor: IncidentWriter, body: Body) -> Any:
    incident = incidents.get(db, actor, parse_uuid(incidentId, "incidentId"))
    order = incidents.add_update(db, actor, incident, model(schemas.IncidentUpdateRequest, body))
    commit(request, db)
    return {"order": order}


@router.get(
    "/incidents/{incidentId}/updates/{updateOrder}",
    tags=["incident"],
    response_model=schemas.Data[schemas.IncidentUpdateOut],
    response_model_exclude_none=True,
    responses={**BAD, **MISSING},
)
def get_incident_update(incidentId: str, updateOrder: str, db: DbSession, reader: Reader) -> Any:
    row = incidents.get_update(db, reader, parse_uuid(incidentId, "incidentId"), _order(updateOrder))
    return {"data": incidents.update_out(row)}


@router.patch(
    "/incidents/{incidentId}/updates/{updateOrder}",
    tags=["incident"],
    status_code=204,
    responses={**AUTH, **BAD, **MISSING},
)
def update_incident_update(
    incidentId: str, updateOrder: str, request: Request, db: DbSession, actor: IncidentWriter, body: Body
) -> Response:
    incident_id = parse_uuid(incidentId, "incidentId")
    incidents.patch_update(db, actor, incident_id, _order(updateOrder), model(schemas.IncidentUpdateRequest, body))
    commit(request, db)
    return _no_content()


@router.delete(
    "/incidents/{incidentId}/updates/{updateOrder}",
    tags=["incident"],
    status_code=204,
    responses={**AUTH, **BAD, **MISSING},
)
def delete_incident_update(
    incidentId: str, updateOrder: str, request: Request, db: DbSession, actor: Writer
) -> Response:
    incidents.delete_update(db, actor, parse_uuid(incidentId, "incidentId"), _order(updateOrder))
    commit(request, db)
    return _no_content()
