"""The vocabulary incidents use: phase lists (append-only generations), impact types, severities
(named upper bounds of 0..100, one of them 100, 0 reserved for maintenance)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import schemas
from ..db import Impact, ImpactType, Incident, Phase, Severity
from ..model import Actor, StatusPageError, bad, missing
from . import audit

# ---- phases ------------------------------------------------------------------------------------


def current_generation(db: Session) -> int:
    return int(db.scalar(select(func.max(Phase.generation))) or 0)


def phase_list(db: Session, generation: int | None = None) -> schemas.PhaseList:
    """The phases of `generation` (default: the newest). 400 below 1, 404 above the newest."""
    newest = current_generation(db)
    if generation is None:
        generation = newest
    elif generation < 1:
        raise bad("generation must be 1 or more")
    elif generation > newest:
        raise missing(f"no phase generation {generation}; the newest is {newest}")
    rows = db.scalars(select(Phase).where(Phase.generation == generation).order_by(Phase.order))
    return schemas.PhaseList(generation=generation, phases=[p.name for p in rows])


def create_phase_list(db: Session, actor: Actor, request: schemas.PhaseListRequest) -> int:
    """A new generation; earlier ones stay untouched (scs-0402: phase lists are never edited)."""
    if len(set(request.phases)) != len(request.phases):
        raise bad("phase names must be unique within a list")
    # the newest generation + 1; a concurrent writer taking the same number fails on the primary key
    generation = current_generation(db) + 1
    for order, name in enumerate(request.phases):
        db.add(Phase(generation=generation, order=order, name=name))
    audit.record(db, actor, "create", "phases", generation, after=request.phases)
    return generation


def phase_exists(db: Session, generation: int, order: int) -> bool:
    return db.get(Phase, (generation, order)) is not None


def phase_name(db: Session, generation: int | None, order: int | None) -> str | None:
    if generation is None or order is None:
        return None
    phase = db.get(Phase, (generation, order))
    return phase.name if phase else None


def phase_named(db: Session, name: str) -> tuple[int, int] | None:
    """(generation, order) of `name` in the newest generation (case-insensitive), or None."""
    generation = current_generation(db)
    for phase in db.scalars(select(Phase).where(Phase.generation == generation)):
        if phase.name.casefold() == name.casefold():
            return generation, phase.order
    return None


# ---- impact types ------------------------------------------------------------------------------


def impact_type_out(row: ImpactType) -> schemas.ImpactTypeOut:
    return schemas.ImpactTypeOut(id=row.id, display_name=row.display_name, description=row.description)


def impact_types(db: Session) -> list[ImpactType]:
    return list(db.scalars(select(ImpactType).order_by(ImpactType.display_name, ImpactType.id)))


def impact_type(db: Session, type_id: uuid.UUID) -> ImpactType:
    row = db.get(ImpactType, type_id)
    if row is None:
        raise missing(f"no impact type {type_id}")
    return row


def impact_type_named(db: Session, name: str) -> ImpactType | None:
    return db.scalar(select(ImpactType).where(func.lower(ImpactType.display_name) == name.lower()).limit(1))


def create_impact_type(db: Session, actor: Actor, request: schemas.ImpactTypeRequest) -> uuid.UUID:
    if not request.display_name:
        raise bad("displayName is required")
    row = ImpactType(id=uuid.uuid4(), display_name=request.display_name, description=request.description or "")
    db.add(row)
    audit.record(db, actor, "create", "impacttype", row.id, after=impact_type_out(row).model_dump(mode="json"))
    return row.id


def update_impact_type(db: Session, actor: Actor, type_id: uuid.UUID, request: schemas.ImpactTypeRequest) -> None:
    row = impact_type(db, type_id)
    before = impact_type_out(row).model_dump(mode="json")
    if "display_name" in request.model_fields_set:
        if not request.display_name:
            raise bad("displayName must not be empty")
        row.display_name = request.display_name
    if "description" in request.model_fields_set:
        row.description = request.description or ""
    audit.record(db, actor, "update", "impacttype", type_id, before, impact_type_out(row).model_dump(mode="json"))


def delete_impact_type(db: Session, actor: Actor, type_id: uuid.UUID) -> None:
    row = impact_type(db, type_id)
    used = db.scalar(select(func.count()).select_from(Impact).where(Impact.impact_type_id == type_id)) or 0
    if used:
        raise StatusPageError(409, f"impact type {type_id} is used by {used} impact(s); change those incidents first")
    audit.record(db, actor, "delete", "impacttype", type_id, impact_type_out(row).model_dump(mode="json"))
    db.delete(row)


# ---- severities --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A named range of severity values: (low, high] from the severity table, 0 = maintenance."""

    name: str
    low: int  # exclusive, except for maintenance (0..0)
    high: int
    rank: int  # 0 maintenance, then 1.. from the mildest band up; len(bands) for "unknown"


MAINTENANCE = "maintenance"
UNKNOWN = "unknown"


def severities(db: Session) -> list[Severity]:
    return list(db.scalars(select(Severity).order_by(Severity.value)))


def bands(rows: list[Severity]) -> list[Band]:
    """The scale as the severity table names it: maintenance 0, then each severity's range."""
    result = [Band(MAINTENANCE, -1, 0, 0)]
    low = 0
    for row in sorted((r for r in rows if r.value > 0), key=lambda r: r.value):
        result.append(Band(row.display_name, low, row.value, len(result)))
        low = row.value
    return result


def band_of(value: int, scale: list[Band]) -> Band:
    """The band a severity value falls in; above the highest named one it is "unknown" (scs-0402)."""
    if value == 0:
        return scale[0]
    for band in scale[1:]:
        if band.low < value <= band.high:
            return band
    return Band(UNKNOWN, scale[-1].high, 100, len(scale))


def severity(db: Session, name: str) -> Severity:
    row = db.get(Severity, name)
    if row is None:
        raise missing(f"no severity {name!r}")
    return row


def create_severity(db: Session, actor: Actor, request: schemas.SeverityRequest) -> None:
    if not request.display_name or request.value is None:
        raise bad("displayName and value are required")
    if db.get(Severity, request.display_name) is not None:
        raise bad(f"a severity named {request.display_name!r} exists")
    _value_free(db, request.value, None)
    db.add(Severity(display_name=request.display_name, value=request.value))
    audit.record(db, actor, "create", "severity", request.display_name, after=request.model_dump(by_alias=True))


def update_severity(db: Session, actor: Actor, name: str, request: schemas.SeverityRequest) -> None:
    row = severity(db, name)
    before = {"displayName": row.display_name, "value": row.value}
    new_name = request.display_name if "display_name" in request.model_fields_set else row.display_name
    new_value = request.value if "value" in request.model_fields_set else row.value
    if not new_name or new_value is None:
        raise bad("displayName and value must not be empty")
    if new_name != name and db.get(Severity, new_name) is not None:
        raise bad(f"a severity named {new_name!r} exists")
    _value_free(db, new_value, name)
    if new_name != name:  # the name is the key: replace the row
        db.delete(row)
        db.flush()
        db.add(Severity(display_name=new_name, value=new_value))
    else:
        row.value = new_value
    db.flush()
    _keep_a_hundred(db)
    audit.record(db, actor, "update", "severity", name, before, {"displayName": new_name, "value": new_value})


def delete_severity(db: Session, actor: Actor, name: str) -> None:
    row = severity(db, name)
    before = {"displayName": row.display_name, "value": row.value}
    db.delete(row)
    db.flush()
    _keep_a_hundred(db)
    audit.record(db, actor, "delete", "severity", name, before)


def _value_free(db: Session, value: int, except_name: str | None) -> None:
    taken = db.scalar(select(Severity).where(Severity.value == value))
    if taken is not None and taken.display_name != except_name:
        raise bad(f"severity {taken.display_name!r} has the value {value} already (values are unique)")


def _keep_a_hundred(db: Session) -> None:
    if db.scalar(select(Severity).where(Severity.value == 100)) is None:
        raise bad("a severity with the value 100 must always exist (scs-0402)")


def used_severity_values(db: Session) -> set[int]:
    return set(db.scalars(select(Impact.severity).distinct()))


def incident_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Incident)) or 0)
