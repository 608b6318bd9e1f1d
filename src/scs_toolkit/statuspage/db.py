"""Tables of the status page, in the compliance monitor's database (same `Base`, same Alembic chain).

Names follow the SCS Status Page API 1.1.2 data model (components, impact types, severities, phase
generations, incidents with impacts and ordered updates) plus what transparency needs beyond it:
structured RCAs, an audit trail of every write, scoped API tokens, outgoing webhooks, and the daily
health tallies the per-cloud page shows. Moments are naive UTC, as everywhere in the monitor.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..monitor.db import Base


class Component(Base):
    __tablename__ = "sp_component"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    display_name: Mapped[str] = mapped_column(String(256))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ImpactType(Base):
    __tablename__ = "sp_impact_type"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")


class Severity(Base):
    """A named upper bound of the 0..100 scale (scs-0402): value v covers (previous value, v]."""

    __tablename__ = "sp_severity"
    __table_args__ = (CheckConstraint("value >= 0 AND value <= 100", name="ck_sp_severity_value"),)

    display_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, unique=True)


class Phase(Base):
    """One name of an append-only phase list: generation n, position `order` (from 0)."""

    __tablename__ = "sp_phase"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    order: Mapped[int] = mapped_column("position", Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))


class Incident(Base):
    __tablename__ = "sp_incident"
    __table_args__ = (
        ForeignKeyConstraint(
            ["phase_generation", "phase_order"],
            ["sp_phase.generation", "sp_phase.position"],
            name="fk_sp_incident_phase",
        ),
        Index("ix_sp_incident_window", "began_at", "ended_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    display_name: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    began_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    phase_generation: Mapped[int | None] = mapped_column(Integer)
    phase_order: Mapped[int | None] = mapped_column(Integer)
    #: Who opened it: "human" (a person, the web UI, the CLI) or a machine source such as "healthmon".
    source: Mapped[str] = mapped_column(String(32), default="human")
    #: The token (or CLI user) that opened it; machine tokens may change only their own incidents.
    owner: Mapped[str] = mapped_column(String(128), default="")
    #: `healthmon:<cloud>:<symptom>` while a machine incident is open (unique: one incident per symptom), else NULL.
    dedup_key: Mapped[str | None] = mapped_column(String(512), unique=True)
    #: A machine's proposal that a person has not confirmed yet: hidden from the public API and pages.
    proposed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When a person dismissed the proposal: it stays hidden, and the symptom opens nothing new until it is gone.
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Consecutive health iterations without the symptom (a machine incident resolves after N).
    clean_iterations: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    impacts: Mapped[list[Impact]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Impact.component_id", back_populates="incident"
    )
    updates: Mapped[list[IncidentUpdate]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="IncidentUpdate.order", back_populates="incident"
    )
    rca: Mapped[Rca | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Impact(Base):
    """One incident affecting one component with one impact type, at its own severity."""

    __tablename__ = "sp_impact"
    __table_args__ = (
        CheckConstraint("severity >= 0 AND severity <= 100", name="ck_sp_impact_severity"),
        Index("ix_sp_impact_component", "component_id"),
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sp_incident.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sp_component.id", ondelete="CASCADE"), primary_key=True)
    impact_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sp_impact_type.id"), primary_key=True)
    severity: Mapped[int] = mapped_column(SmallInteger)
    incident: Mapped[Incident] = relationship(back_populates="impacts")


class IncidentUpdate(Base):
    __tablename__ = "sp_incident_update"

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sp_incident.id", ondelete="CASCADE"), primary_key=True)
    order: Mapped[int] = mapped_column("position", Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(128), default="")
    #: For machine updates: the health dashboard's view of the time range the update speaks about.
    evidence_url: Mapped[str | None] = mapped_column(String(2048))
    incident: Mapped[Incident] = relationship(back_populates="updates")


class Rca(Base):
    """A structured root-cause analysis of one incident; public once `published_at` is set."""

    __tablename__ = "sp_rca"

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sp_incident.id", ondelete="CASCADE"), primary_key=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    customer_impact: Mapped[str] = mapped_column(Text, default="")
    detection: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    corrective_actions: Mapped[str] = mapped_column(Text, default="")
    preventive_actions: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Every write, with who made it and the object before and after (JSON of its API representation)."""

    __tablename__ = "sp_audit"
    __table_args__ = (Index("ix_sp_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class Token(Base):
    """A scoped API token: `admin`, `writer` or `machine`; only the argon2 hash of its secret is kept."""

    __tablename__ = "sp_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    #: For machine tokens: the `source` their incidents carry (e.g. healthmon).
    source: Mapped[str] = mapped_column(String(32), default="human")
    hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    @property
    def subject(self) -> str:
        """The name the shared authenticator keys its caches and limits by."""
        return self.name


class Webhook(Base):
    """An outgoing webhook: incident events are POSTed to `url`, signed with HMAC-SHA256 under `secret`
    (a signing key, not a password: it must be kept to sign; it is never shown or logged)."""

    __tablename__ = "sp_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class HealthDay(Base):
    """Health iterations reported for one cloud on one UTC day: what the per-cloud page's success rates use."""

    __tablename__ = "sp_health_day"

    cloud: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    iterations: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime)
    dashboard_url: Mapped[str | None] = mapped_column(String(2048))


TABLES = (
    "sp_health_day",
    "sp_webhook",
    "sp_token",
    "sp_audit",
    "sp_rca",
    "sp_incident_update",
    "sp_impact",
    "sp_incident",
    "sp_phase",
    "sp_severity",
    "sp_impact_type",
    "sp_component",
)
