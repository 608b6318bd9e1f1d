"""Structured root-cause analyses: one per incident, a draft until published. The SCS documents define
no RCA format; the fields follow common post-incident practice (summary, customer impact, detection,
timeline, root cause, corrective and preventive actions)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from ..._time import naive, utcnow
from .. import schemas
from ..db import Incident, Rca
from ..model import Actor, forbidden, missing
from . import audit, events, incidents


def out(row: Rca) -> schemas.RcaOut:
    return schemas.RcaOut(
        incident=row.incident_id,
        **{name: getattr(row, name) for name in schemas.RCA_FIELDS},
        published=row.published_at is not None,
        published_at=row.published_at,
        author=row.author,
        updated_at=row.updated_at,
    )


def get(db: Session, actor: Actor, incident_id: uuid.UUID) -> Rca:
    """The RCA of a readable incident; drafts only for token holders."""
    incident = incidents.get(db, actor, incident_id)
    row = incident.rca
    if row is None or (row.published_at is None and actor.anonymous):
        raise missing(f"incident {incident_id} has no published RCA")
    return row


def put(db: Session, actor: Actor, incident_id: uuid.UUID, request: schemas.RcaRequest) -> Rca:
    """Create or replace the RCA (writers only: an RCA is a person's account, not a machine's)."""
    if not actor.writer:
        raise forbidden(f"{actor.name} may not write RCAs (needs the writer scope)")
    incident: Incident = incidents.get(db, actor, incident_id)
    row = incident.rca
    before = None if row is None else out(row).model_dump(mode="json", by_alias=True)
    now = naive(utcnow())
    if row is None:
        row = Rca(incident_id=incident.id)
        incident.rca = row
    for name in schemas.RCA_FIELDS:
        setattr(row, name, getattr(request, name))
    if request.published and row.published_at is None:
        row.published_at = now
    elif not request.published:
        row.published_at = None
    row.author, row.updated_at = actor.name, now
    incident.updated_at = now
    db.flush()
    audit.record(
        db,
        actor,
        "update" if before else "create",
        "rca",
        incident.id,
        before,
        out(row).model_dump(mode="json", by_alias=True),
    )
    if row.published_at is not None:
        events.emit(db, "incident.updated", incident.id)
    return row


def delete(db: Session, actor: Actor, incident_id: uuid.UUID) -> None:
    if not actor.writer:
        raise forbidden(f"{actor.name} may not delete RCAs (needs the writer scope)")
    incident = incidents.get(db, actor, incident_id)
    if incident.rca is None:
        raise missing(f"incident {incident_id} has no RCA")
    audit.record(db, actor, "delete", "rca", incident_id, out(incident.rca).model_dump(mode="json", by_alias=True))
    incident.rca = None
