"""The audit trail: every write, who made it, and the object before and after, in the write's own
transaction (a write that is rolled back leaves no entry; an entry never exists without its write)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..._time import naive, utcnow
from ..db import AuditEntry
from ..model import Actor


def record(
    db: Session, actor: Actor, action: str, entity: str, entity_id: object, before: Any = None, after: Any = None
) -> None:
    db.add(
        AuditEntry(
            at=naive(utcnow()),
            actor=f"{actor.name} ({actor.scope or 'anonymous'})",
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=None if before is None else json.dumps(before, default=str, sort_keys=True),
            after=None if after is None else json.dumps(after, default=str, sort_keys=True),
        )
    )


def listing(db: Session, limit: int = 100, entity: str | None = None, entity_id: str | None = None) -> list[AuditEntry]:
    """The newest entries first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(db.scalars(query))


def document(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "before": None if entry.before is None else json.loads(entry.before),
        "after": None if entry.after is None else json.loads(entry.after),
    }
