"""Incidents, their impacts and their ordered updates: the rules of the 1.1.2 data model.

- An incident overlaps a window [start, end] when it began at or before `end` and has not ended
  before `start` (open incidents end never).
- `endedAt` is never before `beganAt`; an impact of severity 0 makes the incident a maintenance
  window, which must have an end (both may lie in the future).
- A phase reference must name an existing (generation, order); lists are never edited.
- PATCH with `affects` replaces the whole impact set (an empty list removes every impact).
- Update orders are 0, 1, 2 ... per incident, assigned under a lock on the incident's row, so
  concurrent writers never get the same order or leave a gap.
- Machine writers change only the incidents they opened; proposals (machine incidents awaiting a
  person) are outside the 1.1.2 API until confirmed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..._time import aware, naive, utcnow
from .. import schemas
from ..db import Component, Impact, ImpactType, Incident, IncidentUpdate
from ..model import INTERNAL, VISIBILITY_LABEL, Actor, StatusPageError, bad, forbidden, missing
from . import audit, catalog, events

# ---- reading -----------------------------------------------------------------------------------


def internal_components(db: Session) -> set[uuid.UUID]:
    return {c.id for c in db.scalars(select(Component)) if c.labels.get(VISIBILITY_LABEL) == INTERNAL}


def out(incident: Incident, hidden: set[uuid.UUID] | None = None) -> schemas.IncidentOut:
    """The 1.1.2 representation; impacts on `hidden` components are left out."""
    phase = (
        schemas.PhaseReference(generation=incident.phase_generation, order=incident.phase_order)
        if incident.phase_generation is not None and incident.phase_order is not None
        else None
    )
    return schemas.IncidentOut(
        id=incident.id,
        display_name=incident.display_name,
        description=incident.description,
        began_at=incident.began_at,
        ended_at=incident.ended_at,
        phase=phase,
        affects=[
            schemas.Impact(reference=i.component_id, type=i.impact_type_id, severity=i.severity)
            for i in incident.impacts
            if not hidden or i.component_id not in hidden
        ],
        updates=[u.order for u in incident.updates],
    )


def plain(incident: Incident) -> dict[str, object]:
    """For the audit trail and webhooks: the full representation as JSON values."""
    return out(incident).model_dump(mode="json", by_alias=True, exclude_none=True)


def readable(incident: Incident, actor: Actor, hidden: set[uuid.UUID]) -> bool:
    """Anonymous readers see confirmed incidents that affect a visible component (or nothing hidden)."""
    if incident.proposed:
        return False
    if actor.anonymous and hidden and incident.impacts:
        return any(i.component_id not in hidden for i in incident.impacts)
    return True


def window(
    db: Session, actor: Actor, start: dt.datetime, end: dt.datetime, component: uuid.UUID | None = None
) -> list[Incident]:
    """Confirmed incidents overlapping [start, end] (aware moments), the newest first."""
    if end < start:
        raise bad("end must not be before start")
    query = (
        select(Incident)
        .options(selectinload(Incident.impacts), selectinload(Incident.updates), selectinload(Incident.rca))
        .where(
            Incident.proposed.is_(False),
            Incident.began_at <= naive(end),
            or_(Incident.ended_at.is_(None), Incident.ended_at >= naive(start)),
        )
        .order_by(Incident.began_at.desc(), Incident.id)
    )
    if component is not None:
        query = query.where(Incident.id.in_(select(Impact.incident_id).where(Impact.component_id == component)))
    hidden = internal_components(db) if actor.anonymous else set()
    return [i for i in db.scalars(query) if readable(i, actor, hidden)]


def recent(db: Session, actor: Actor, limit: int = 50, component: uuid.UUID | None = None) -> list[Incident]:
    """The most recently changed confirmed incidents (for feeds)."""
    query = (
        select(Incident)
        .options(selectinload(Incident.impacts), selectinload(Incident.updates))
        .where(Incident.proposed.is_(False))
        .order_by(Incident.updated_at.desc(), Incident.id)
        .limit(limit)
    )
    if component is not None:
        query = query.where(Incident.id.in_(select(Impact.incident_id).where(Impact.component_id == component)))
    hidden = internal_components(db) if actor.anonymous else set()
    return [i for i in db.scalars(query) if readable(i, actor, hidden)]


def get(db: Session, actor: Actor, incident_id: uuid.UUID, *, proposals: bool = False) -> Incident:
    """A confirmed incident the actor may read (404 otherwise); with `proposals` also unconfirmed ones."""
    row = db.get(Incident, incident_id)
    hidden = internal_components(db) if actor.anonymous else set()
    if row is None or (row.proposed and not proposals) or (not row.proposed and not readable(row, actor, hidden)):
        raise missing(f"no incident {incident_id}")
    return row


def hidden_for(db: Session, actor: Actor) -> set[uuid.UUID]:
    return internal_components(db) if actor.anonymous else set()


# ---- writing -----------------------------------------------------------------------------------


def may_change(actor: Actor, incident: Incident) -> None:
    """Writers change any incident; a machine token only the ones it opened."""
    if actor.writer:
        return
    if actor.machine and incident.owner == actor.name:
        return
    if actor.machine:
        raise forbidden(f"{actor.name} is a machine token: it may change only the incidents it opened")
    raise forbidden(f"{actor.name} may not change incidents (needs the writer scope)")


def create(
    db: Session,
    actor: Actor,
    request: schemas.IncidentRequest,
    *,
    proposed: bool = False,
    dedup_key: str | None = None,
) -> Incident:
    """A new incident (beganAt defaults to now: one without a start would be in no window)."""
    if not (actor.writer or actor.machine):
        raise forbidden(f"{actor.name} may not create incidents (needs the writer or machine scope)")
    now = naive(utcnow())
    incident = Incident(
        id=uuid.uuid4(),
        display_name=request.display_name or "",
        description=request.description or "",
        began_at=naive(request.began_at) if request.began_at else now,
        ended_at=naive(request.ended_at) if request.ended_at else None,
        source=actor.source,
        owner=actor.name,
        dedup_key=dedup_key,
        proposed=proposed,
        clean_iterations=0,
        created_at=now,
        updated_at=now,
    )
    if not incident.display_name:
        raise bad("displayName is required")
    if request.phase is not None:
        _set_phase(db, incident, request.phase)
    incident.impacts = _impacts(db, request.affects or [])
    _check(incident)
    db.add(incident)
    db.flush()
    audit.record(db, actor, "propose" if proposed else "create", "incident", incident.id, after=plain(incident))
    if not proposed:
        events.emit(db, "incident.created", incident.id)
    return incident


def update(db: Session, actor: Actor, incident_id: uuid.UUID, request: schemas.IncidentRequest) -> Incident:
    """PATCH: the fields sent replace the stored ones; `affects` replaces the impact set."""
    incident = get(db, actor, incident_id)
    return patch(db, actor, incident, request)


def patch(db: Session, actor: Actor, incident: Incident, request: schemas.IncidentRequest) -> Incident:
    may_change(actor, incident)
    before = plain(incident)
    was_open = incident.ended_at is None
    sent = request.model_fields_set
    if "display_name" in sent:
        if not request.display_name:
            raise bad("displayName must not be empty")
        incident.display_name = request.display_name
    if "description" in sent:
        incident.description = request.description or ""
    if "began_at" in sent:
        if request.began_at is None:
            raise bad("beganAt cannot be removed (an incident without a start is in no window)")
        incident.began_at = naive(request.began_at)
    if "ended_at" in sent:
        incident.ended_at = naive(request.ended_at) if request.ended_at else None
    if "phase" in sent:
        if request.phase is None:
            incident.phase_generation = incident.phase_order = None
        else:
            _set_phase(db, incident, request.phase)
    if "affects" in sent:
        wanted = _impacts(db, request.affects or [])
        incident.impacts.clear()
        db.flush()  # the old rows go before the new ones (same primary keys when kept)
        incident.impacts.extend(wanted)
    _check(incident)
    incident.updated_at = naive(utcnow())
    db.flush()
    audit.record(db, actor, "update", "incident", incident.id, before, plain(incident))
    if not incident.proposed:
        resolved = was_open and incident.ended_at is not None
        events.emit(db, "incident.resolved" if resolved else "incident.updated", incident.id)
    return incident


def delete(db: Session, actor: Actor, incident_id: uuid.UUID) -> None:
    """Deletes the incident with its impacts, updates and RCA (the audit trail keeps what it was)."""
    incident = get(db, actor, incident_id)
    if not actor.writer:
        raise forbidden(f"{actor.name} may not delete incidents (needs the writer scope)")
    audit.record(db, actor, "delete", "incident", incident_id, plain(incident))
    db.delete(incident)


def resolve(
    db: Session, actor: Actor, incident: Incident, at: dt.datetime | None = None, message: str | None = None
) -> Incident:
    """End it now (or `at`), move it to the newest list's "Done" phase if there is one, add a final update."""
    if incident.ended_at is not None:
        raise StatusPageError(409, f"incident {incident.id} has already ended")
    request = schemas.IncidentRequest(ended_at=aware(at or utcnow()))
    done = catalog.phase_named(db, "Done")
    if done is not None:
        request.phase = schemas.PhaseReference(generation=done[0], order=done[1])
    patch(db, actor, incident, request)
    add_update(
        db,
        actor,
        incident,
        schemas.IncidentUpdateRequest(display_name="Resolved", description=message or "The incident has ended."),
    )
    return incident


def _set_phase(db: Session, incident: Incident, phase: schemas.PhaseReference) -> None:
    if not catalog.phase_exists(db, phase.generation, phase.order):
        raise bad(f"no phase with generation {phase.generation} and order {phase.order}")
    incident.phase_generation, incident.phase_order = phase.generation, phase.order


def _impacts(db: Session, affects: Iterable[schemas.ImpactRequest]) -> list[Impact]:
    rows: list[Impact] = []
    seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
    known_components: set[uuid.UUID] = set()
    known_types: set[uuid.UUID] = set()
    for item in affects:
        if (item.reference, item.type) in seen:
            raise bad(f"component {item.reference} is listed twice with impact type {item.type}")
        seen.add((item.reference, item.type))
        if item.reference not in known_components:
            if db.get(Component, item.reference) is None:
                raise bad(f"affects: no component {item.reference}")
            known_components.add(item.reference)
        if item.type not in known_types:
            if db.get(ImpactType, item.type) is None:
                raise bad(f"affects: no impact type {item.type}")
            known_types.add(item.type)
        rows.append(Impact(component_id=item.reference, impact_type_id=item.type, severity=item.severity))
    return rows


def _check(incident: Incident) -> None:
    if incident.began_at and incident.ended_at and incident.ended_at < incident.began_at:
        raise bad("endedAt must not be before beganAt")
    if incident.ended_at is None and any(i.severity == 0 for i in incident.impacts):
        raise bad("an impact of severity 0 is maintenance, which needs endedAt (both may lie in the future)")


# ---- updates -----------------------------------------------------------------------------------


def update_out(row: IncidentUpdate) -> schemas.IncidentUpdateOut:
    return schemas.IncidentUpdateOut(
        order=row.order, display_name=row.display_name, description=row.description, created_at=row.created_at
    )


def add_update(
    db: Session,
    actor: Actor,
    incident: Incident,
    request: schemas.IncidentUpdateRequest,
    *,
    evidence_url: str | None = None,
) -> int:
    """The next update: order = the highest so far + 1 (from 0), under a lock on the incident's row."""
    may_change(actor, incident)
    # the UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before the maximum is read,
    # so a concurrent writer waits here and then sees this update
    incident.updated_at = naive(utcnow())
    db.flush()
    highest = db.scalar(select(func.max(IncidentUpdate.order)).where(IncidentUpdate.incident_id == incident.id))
    row = IncidentUpdate(
        incident_id=incident.id,
        order=0 if highest is None else highest + 1,
        display_name=request.display_name or "",
        description=request.description or "",
        created_at=naive(request.created_at) if request.created_at else naive(utcnow()),
        author=actor.name,
        evidence_url=evidence_url,
    )
    db.add(row)
    db.flush()
    db.refresh(incident, ["updates"])
    audit.record(
        db, actor, "create", "update", f"{incident.id}/{row.order}", after=update_out(row).model_dump(mode="json")
    )
    if not incident.proposed:
        events.emit(db, "incident.updated", incident.id)
    return row.order


def get_update(db: Session, actor: Actor, incident_id: uuid.UUID, order: int) -> IncidentUpdate:
    incident = get(db, actor, incident_id)
    row = db.get(IncidentUpdate, (incident.id, order))
    if row is None:
        raise missing(f"incident {incident_id} has no update {order}")
    return row


def patch_update(
    db: Session, actor: Actor, incident_id: uuid.UUID, order: int, request: schemas.IncidentUpdateRequest
) -> None:
    row = get_update(db, actor, incident_id, order)
    may_change(actor, row.incident)
    before = update_out(row).model_dump(mode="json")
    sent = request.model_fields_set
    if "display_name" in sent:
        row.display_name = request.display_name or ""
    if "description" in sent:
        row.description = request.description or ""
    if "created_at" in sent:
        if request.created_at is None:
            raise bad("createdAt cannot be removed")
        row.created_at = naive(request.created_at)
    row.incident.updated_at = naive(utcnow())
    audit.record(
        db, actor, "update", "update", f"{incident_id}/{order}", before, update_out(row).model_dump(mode="json")
    )
    events.emit(db, "incident.updated", incident_id)


def delete_update(db: Session, actor: Actor, incident_id: uuid.UUID, order: int) -> None:
    row = get_update(db, actor, incident_id, order)
    if not actor.writer:
        raise forbidden(f"{actor.name} may not delete updates (needs the writer scope)")
    audit.record(db, actor, "delete", "update", f"{incident_id}/{order}", update_out(row).model_dump(mode="json"))
    db.delete(row)


# ---- proposals ---------------------------------------------------------------------------------


def proposals(db: Session) -> list[Incident]:
    query = (
        select(Incident)
        .options(selectinload(Incident.impacts), selectinload(Incident.updates))
        .where(Incident.proposed.is_(True), Incident.dismissed_at.is_(None))
        .order_by(Incident.began_at.desc())
    )
    return list(db.scalars(query))


def proposal(db: Session, incident_id: uuid.UUID) -> Incident:
    row = db.get(Incident, incident_id)
    if row is None or not row.proposed or row.dismissed_at is not None:
        raise missing(f"no proposed incident {incident_id}")
    return row


def confirm(db: Session, actor: Actor, incident_id: uuid.UUID) -> Incident:
    """A person makes a machine's proposal public (it keeps its owner, so the machine goes on updating it)."""
    if not actor.writer:
        raise forbidden(f"{actor.name} may not confirm proposals (needs the writer scope)")
    row = proposal(db, incident_id)
    row.proposed = False
    row.updated_at = naive(utcnow())
    db.flush()
    audit.record(db, actor, "confirm", "incident", incident_id, after=plain(row))
    events.emit(db, "incident.created", incident_id)
    if row.ended_at is not None:
        events.emit(db, "incident.resolved", incident_id)
    return row


def dismiss(db: Session, actor: Actor, incident_id: uuid.UUID) -> None:
    """Not an incident: the proposal stays hidden (and in the audit trail); while its symptom lasts the
    health monitor proposes nothing new for it."""
    if not actor.writer:
        raise forbidden(f"{actor.name} may not dismiss proposals (needs the writer scope)")
    row = proposal(db, incident_id)
    now = naive(utcnow())
    row.dismissed_at = now
    if row.ended_at is None:
        row.ended_at = now
    row.updated_at = now
    audit.record(db, actor, "dismiss", "incident", incident_id, plain(row))
