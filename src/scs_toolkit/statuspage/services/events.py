"""Incident events (created, updated, resolved) collected during a transaction and handed out only
after it committed, so that a webhook never announces what was rolled back."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

KINDS = ("incident.created", "incident.updated", "incident.resolved")
_KEY = "statuspage_events"


def emit(db: Session, kind: str, incident_id: uuid.UUID) -> None:
    assert kind in KINDS, kind
    events: list[tuple[str, uuid.UUID]] = db.info.setdefault(_KEY, [])
    if (kind, incident_id) not in events:
        events.append((kind, incident_id))


def take(db: Session) -> list[tuple[str, uuid.UUID]]:
    """The events of the transaction just committed (and forget them)."""
    return list(db.info.pop(_KEY, []))


def discard(db: Session) -> None:
    db.info.pop(_KEY, None)
