"""status page: components, impact types, severities, phases, incidents, impacts, updates, RCAs,
audit trail, tokens, webhooks, health tallies; seeded with the SCS reference defaults

Revision ID: 0003
Revises: 0002
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

#: The SCS reference server's provisioning defaults (status-page-api provisioning.yaml), minus its components.
IMPACT_TYPES = (
    ("Performance Degradation", "The component works, but slower than usual."),
    ("Connectivity Problems", "Requests to the component fail or cannot reach it."),
    ("Maintenance", "Planned work on the component."),
    ("Unknown", "The kind of impact is not known yet."),
)
PHASES = ("Scheduled", "Investigation ongoing", "Working on it", "Potential fix deployed", "Done")
SEVERITIES = (("operational", 33), ("limited", 66), ("broken", 100))


def upgrade() -> None:
    op.create_table(
        "sp_component",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    impact_type = op.create_table(
        "sp_impact_type",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )
    severity = op.create_table(
        "sp_severity",
        sa.Column("display_name", sa.String(128), primary_key=True),
        sa.Column("value", sa.SmallInteger, nullable=False, unique=True),
        sa.CheckConstraint("value >= 0 AND value <= 100", name="ck_sp_severity_value"),
    )
    phase = op.create_table(
        "sp_phase",
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
    )
    op.create_table(
        "sp_incident",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("began_at", sa.DateTime),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("phase_generation", sa.Integer),
        sa.Column("phase_order", sa.Integer),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("dedup_key", sa.String(512), unique=True),
        sa.Column("proposed", sa.Boolean, nullable=False),
        sa.Column("dismissed_at", sa.DateTime),
        sa.Column("clean_iterations", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["phase_generation", "phase_order"],
            ["sp_phase.generation", "sp_phase.position"],
            name="fk_sp_incident_phase",
        ),
    )
    op.create_index("ix_sp_incident_window", "sp_incident", ["began_at", "ended_at"])
    op.create_table(
        "sp_impact",
        sa.Column("incident_id", sa.Uuid, sa.ForeignKey("sp_incident.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("component_id", sa.Uuid, sa.ForeignKey("sp_component.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("impact_type_id", sa.Uuid, sa.ForeignKey("sp_impact_type.id"), primary_key=True),
        sa.Column("severity", sa.SmallInteger, nullable=False),
        sa.CheckConstraint("severity >= 0 AND severity <= 100", name="ck_sp_impact_severity"),
    )
    op.create_index("ix_sp_impact_component", "sp_impact", ["component_id"])
    op.create_table(
        "sp_incident_update",
        sa.Column("incident_id", sa.Uuid, sa.ForeignKey("sp_incident.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("evidence_url", sa.String(2048)),
    )
    op.create_table(
        "sp_rca",
        sa.Column("incident_id", sa.Uuid, sa.ForeignKey("sp_incident.id", ondelete="CASCADE"), primary_key=True),
        *(
            sa.Column(name, sa.Text, nullable=False)
            for name in (
                "summary",
                "customer_impact",
                "detection",
                "timeline",
                "root_cause",
                "corrective_actions",
                "preventive_actions",
            )
        ),
        sa.Column("published_at", sa.DateTime),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sp_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(300), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
    )
    op.create_index("ix_sp_audit_at", "sp_audit", ["at"])
    op.create_index("ix_sp_audit_entity", "sp_audit", ["entity", "entity_id"])
    op.create_table(
        "sp_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sp_webhook",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sp_health_day",
        sa.Column("cloud", sa.String(128), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("iterations", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
        sa.Column("dashboard_url", sa.String(2048)),
    )
    op.bulk_insert(
        impact_type,
        [{"id": uuid.uuid4(), "display_name": name, "description": text} for name, text in IMPACT_TYPES],
    )
    op.bulk_insert(phase, [{"generation": 1, "position": order, "name": name} for order, name in enumerate(PHASES)])
    op.bulk_insert(severity, [{"display_name": name, "value": value} for name, value in SEVERITIES])


def downgrade() -> None:
    for table in (
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
    ):
        op.drop_table(table)
