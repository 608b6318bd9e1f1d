"""latest result per testcase (for pages about now) and certificates

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "latest_result",
        sa.Column("subject", sa.String(128), primary_key=True),
        sa.Column("scope_uuid", sa.String(64), primary_key=True),
        sa.Column("testcase", sa.String(128), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("report_uuid", sa.String(64), nullable=False),
    )
    # fill it from the history already stored (the newest result per subject, scope and testcase)
    op.execute(
        """
        INSERT INTO latest_result (subject, scope_uuid, testcase, value, checked_at, report_uuid)
        SELECT r.subject, r.scope_uuid, r.testcase, MIN(r.value), r.checked_at, MIN(p.uuid)
        FROM result r JOIN report p ON p.id = r.report_id
        JOIN (SELECT subject, scope_uuid, testcase, MAX(checked_at) AS newest FROM result
              GROUP BY subject, scope_uuid, testcase) m
          ON m.subject = r.subject AND m.scope_uuid = r.scope_uuid AND m.testcase = r.testcase
         AND m.newest = r.checked_at
        GROUP BY r.subject, r.scope_uuid, r.testcase, r.checked_at
        """
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("serial", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("scope_uuid", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("report_uuid", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revocation_reason", sa.Text),
    )
    op.create_index("ix_certificate_lookup", "certificate", ["subject", "scope_uuid", "version"])


def downgrade() -> None:
    op.drop_table("certificate")
    op.drop_table("latest_result")
