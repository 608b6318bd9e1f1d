"""Health monitor -> incidents (the server side of scs_toolkit.health._incidents).

After every iteration of a cloud the health monitor reports the iteration and the alerts firing then.
For each firing symptom (an alert rule such as `error-rate:compute`) there is at most one open
machine incident per cloud, found by its key `<source>:<cloud>:<symptom>`:
- a new symptom opens one on the cloud's components (label cloud=NAME), phase "Investigation
  ongoing", or only proposes it (mode "propose": hidden until a person confirms);
- while it lasts, an update is added when its message changes, at most every REPEAT otherwise;
- after `resolve_after` iterations without it, the incident ends (phase "Done", a final update).
An incident a person ended, or a dismissed proposal, is left alone: its symptom opens nothing new
until it has cleared. State lives in the database, so restarts and replicas change nothing.
Every machine update links to the health dashboard's view of the time it speaks about.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..._time import aware, naive, utcnow
from .. import schemas
from ..db import Component, HealthDay, Incident
from ..model import Actor, forbidden
from . import catalog, components, incidents

REPEAT = dt.timedelta(minutes=30)
DEFAULT_SEVERITY = 50
DEFAULT_IMPACT_TYPE = "Unknown"


def key(actor: Actor, cloud: str, symptom: str) -> str:
    return f"{actor.source}:{cloud}:{symptom}"


def ingest(db: Session, actor: Actor, report: schemas.HealthReport) -> schemas.IngestOut:
    if not (actor.machine or actor.admin):
        raise forbidden(f"{actor.name} is not a machine token")
    result = schemas.IngestOut()
    _tally(db, report)
    prefix = key(actor, report.cloud, "")
    tracked = {
        row.dedup_key: row
        for row in db.scalars(
            select(Incident)
            .options(selectinload(Incident.updates), selectinload(Incident.impacts))
            .where(Incident.dedup_key.startswith(prefix, autoescape=True))
        )
        if row.dedup_key is not None
    }
    firing = {key(actor, report.cloud, s.symptom): s for s in report.firing}
    cloud_components = components.of_cloud(db, report.cloud)
    for dedup, symptom in firing.items():
        incident = tracked.get(dedup)
        if incident is None:
            if not cloud_components:
                result.problems.append(
                    f"no component is labelled cloud={report.cloud}: nothing opened for {symptom.symptom} "
                    f"(create one: scs status component create {report.cloud} --label cloud={report.cloud})"
                )
                continue
            opened = _open(db, actor, report, symptom, dedup, cloud_components)
            (result.proposed if opened.proposed else result.opened).append(opened.id)
            continue
        incident.clean_iterations = 0
        if incident.dismissed_at is not None or (incident.ended_at is not None and not incident.proposed):
            continue  # a person decided; wait until the symptom clears
        if incident.owner != actor.name:
            result.problems.append(f"incident {incident.id} for {symptom.symptom} belongs to {incident.owner}")
            continue
        if _worth_an_update(incident, symptom.message, report):
            incidents.add_update(
                db,
                actor,
                incident,
                schemas.IncidentUpdateRequest(
                    display_name="Still observed",
                    description=_text(symptom.message, report.evidence_url),
                    created_at=report.iteration.started_at,
                ),
                evidence_url=report.evidence_url,
            )
            result.updated.append(incident.id)
    for dedup, incident in tracked.items():
        if dedup in firing:
            continue
        incident.clean_iterations += 1
        if incident.clean_iterations < report.resolve_after:
            continue
        done_by_machine = incident.ended_at is None and incident.dismissed_at is None and incident.owner == actor.name
        if done_by_machine:
            incidents.resolve(
                db,
                actor,
                incident,
                message=_text(
                    f"The health monitor has not observed the symptom for {incident.clean_iterations} iterations.",
                    report.evidence_url,
                ),
            )
            if incident.updates:
                incident.updates[-1].evidence_url = report.evidence_url
            result.resolved.append(incident.id)
        incident.dedup_key = None  # a recurrence is a new incident
    return result


def _open(
    db: Session,
    actor: Actor,
    report: schemas.HealthReport,
    symptom: schemas.HealthSymptom,
    dedup: str,
    cloud_components: list[Component],
) -> Incident:
    impact_type = catalog.impact_type_named(
        db, symptom.impact_type or DEFAULT_IMPACT_TYPE
    ) or catalog.impact_type_named(db, DEFAULT_IMPACT_TYPE)
    if impact_type is None:
        every = catalog.impact_types(db)
        if not every:
            raise forbidden("the status page has no impact types; an admin must create one")
        impact_type = every[0]
    severity = symptom.severity if symptom.severity is not None else DEFAULT_SEVERITY
    severity = max(severity, 1)  # 0 would make it maintenance
    phase = catalog.phase_named(db, "Investigation ongoing")
    request = schemas.IncidentRequest(
        display_name=symptom.title or f"{report.cloud}: {symptom.symptom}",
        description=_text(
            f"Detected by the health monitor: {symptom.message}",
            report.evidence_url,
        ),
        began_at=min(symptom.since, report.iteration.started_at, aware(utcnow())),
        phase=schemas.PhaseReference(generation=phase[0], order=phase[1]) if phase else None,
        affects=[
            schemas.ImpactRequest(reference=c.id, type=impact_type.id, severity=severity) for c in cloud_components
        ],
    )
    incident = incidents.create(db, actor, request, proposed=report.mode == "propose", dedup_key=dedup)
    incidents.add_update(
        db,
        actor,
        incident,
        schemas.IncidentUpdateRequest(
            display_name="Detected",
            description=_text(symptom.message, report.evidence_url),
            created_at=report.iteration.started_at,
        ),
        evidence_url=report.evidence_url,
    )
    return incident


def _worth_an_update(incident: Incident, message: str, report: schemas.HealthReport) -> bool:
    machine_updates = [u for u in incident.updates if u.author == incident.owner]
    if not machine_updates:
        return True
    last = machine_updates[-1]
    if message not in last.description:
        return True
    return naive(report.iteration.started_at) - last.created_at >= REPEAT


def _text(message: str, evidence_url: str | None) -> str:
    return f"{message}\n\nHealth monitor: {evidence_url}" if evidence_url else message


def _tally(db: Session, report: schemas.HealthReport) -> None:
    started = naive(report.iteration.started_at)
    row = db.get(HealthDay, (report.cloud, started.date()))
    if row is None:
        row = HealthDay(cloud=report.cloud, day=started.date(), iterations=0, failed=0, last_at=started)
        db.add(row)
    row.iterations += 1
    row.failed += 0 if report.iteration.ok else 1
    row.last_at = max(row.last_at, started)
    if report.dashboard_url:
        row.dashboard_url = report.dashboard_url


def success_rates(db: Session, cloud: str, days: tuple[int, ...] = (1, 7, 30, 90)) -> dict[int, tuple[int, int]]:
    """(iterations, failed) over the last N days (today included) for each N."""
    today = utcnow().date()
    rows = list(
        db.scalars(
            select(HealthDay).where(HealthDay.cloud == cloud, HealthDay.day > today - dt.timedelta(days=max(days)))
        )
    )
    return {
        n: (
            sum(r.iterations for r in rows if r.day > today - dt.timedelta(days=n)),
            sum(r.failed for r in rows if r.day > today - dt.timedelta(days=n)),
        )
        for n in days
    }


def latest_health(db: Session, cloud: str) -> HealthDay | None:
    return db.scalar(select(HealthDay).where(HealthDay.cloud == cloud).order_by(HealthDay.day.desc()).limit(1))
