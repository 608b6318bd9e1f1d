"""Components and what affects them at a moment.

`activelyAffectedBy` lists the impacts of incidents running at the moment asked (`at`, default now):
began at or before it and not yet ended. The reference server, without `at`, listed only incidents
without an end, so a running maintenance window (which always has an end) never showed; here "now"
is a moment like any other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..._time import naive, utcnow
from .. import schemas
from ..db import Component, Impact, Incident
from ..model import CLOUD_LABEL, INTERNAL, VISIBILITY_LABEL, Actor, bad, missing
from . import audit


def visible(component: Component, actor: Actor) -> bool:
    """Anonymous readers do not see components labelled visibility=internal."""
    return not actor.anonymous or component.labels.get(VISIBILITY_LABEL) != INTERNAL


def active_impacts(db: Session, moment: dt.datetime, component_ids: list[uuid.UUID] | None = None) -> list[Impact]:
    """Impacts of confirmed incidents running at `moment` (naive UTC)."""
    query = (
        select(Impact)
        .join(Incident, Incident.id == Impact.incident_id)
        .where(
            Incident.proposed.is_(False),
            Incident.began_at.is_not(None),
            Incident.began_at <= moment,
            or_(Incident.ended_at.is_(None), Incident.ended_at > moment),
        )
        .order_by(Impact.incident_id, Impact.impact_type_id)
    )
    if component_ids is not None:
        query = query.where(Impact.component_id.in_(component_ids))
    return list(db.scalars(query))


def out(component: Component, impacts: list[Impact]) -> schemas.ComponentOut:
    return schemas.ComponentOut(
        id=component.id,
        display_name=component.display_name,
        labels=dict(component.labels),
        actively_affected_by=[
            schemas.Impact(reference=i.incident_id, type=i.impact_type_id, severity=i.severity) for i in impacts
        ],
    )


def listing(db: Session, actor: Actor, at: dt.datetime | None = None) -> list[schemas.ComponentOut]:
    """Every component the actor may see, with what affects it at `at` (aware; default now): two queries."""
    moment = naive(at or utcnow())
    rows = [
        c for c in db.scalars(select(Component).order_by(Component.display_name, Component.id)) if visible(c, actor)
    ]
    by_component: dict[uuid.UUID, list[Impact]] = defaultdict(list)
    for impact in active_impacts(db, moment):
        by_component[impact.component_id].append(impact)
    return [out(c, by_component.get(c.id, [])) for c in rows]


def get(db: Session, actor: Actor, component_id: uuid.UUID) -> Component:
    row = db.get(Component, component_id)
    if row is None or not visible(row, actor):
        raise missing(f"no component {component_id}")
    return row


def one(db: Session, actor: Actor, component_id: uuid.UUID, at: dt.datetime | None = None) -> schemas.ComponentOut:
    row = get(db, actor, component_id)
    return out(row, active_impacts(db, naive(at or utcnow()), [row.id]))


def create(db: Session, actor: Actor, request: schemas.ComponentRequest) -> uuid.UUID:
    if not request.display_name:
        raise bad("displayName is required")
    now = naive(utcnow())
    row = Component(
        id=uuid.uuid4(),
        display_name=request.display_name,
        labels=dict(request.labels or {}),
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    audit.record(db, actor, "create", "component", row.id, after=_plain(row))
    return row.id


def update(db: Session, actor: Actor, component_id: uuid.UUID, request: schemas.ComponentRequest) -> None:
    """PATCH: the fields sent replace the stored ones (`labels` as a whole)."""
    row = get(db, actor, component_id)
    before = _plain(row)
    if "display_name" in request.model_fields_set:
        if not request.display_name:
            raise bad("displayName must not be empty")
        row.display_name = request.display_name
    if "labels" in request.model_fields_set:
        row.labels = dict(request.labels or {})
    row.updated_at = naive(utcnow())
    audit.record(db, actor, "update", "component", component_id, before, _plain(row))


def delete(db: Session, actor: Actor, component_id: uuid.UUID) -> None:
    """The component and its impacts go; the incidents stay (with the components they still affect)."""
    row = get(db, actor, component_id)
    audit.record(db, actor, "delete", "component", component_id, _plain(row))
    db.delete(row)


def of_cloud(db: Session, cloud: str) -> list[Component]:
    """The components labelled cloud=`cloud` (a compliance monitor subject, a health monitor cloud)."""
    return [
        c for c in db.scalars(select(Component).order_by(Component.created_at)) if c.labels.get(CLOUD_LABEL) == cloud
    ]


def find(db: Session, reference: str) -> Component:
    """A component by id, by display name, or by `cloud=NAME`-style label (for the CLI); exactly one."""
    try:
        row = db.get(Component, uuid.UUID(reference))
    except ValueError:
        row = None
    if row is not None:
        return row
    key, _, value = reference.partition("=")
    every = list(db.scalars(select(Component)))
    found = [c for c in every if c.display_name == reference] or (
        [c for c in every if c.labels.get(key) == value] if value else []
    )
    if not found:
        raise missing(f"no component {reference!r} (give its id, its name or a label such as cloud=NAME)")
    if len(found) > 1:
        raise bad(f"{len(found)} components match {reference!r}; give the id")
    return found[0]


def _plain(row: Component) -> dict[str, object]:
    return {"id": str(row.id), "displayName": row.display_name, "labels": dict(row.labels)}
