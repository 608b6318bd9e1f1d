"""initial schema: accounts, keys, delegations, reports, results

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(128), nullable=False, unique=True),
        sa.Column("roles", sa.Integer, nullable=False, server_default="0"),
        sa.Column("group", sa.String(128)),
        sa.Column("display_name", sa.String(256)),
        sa.Column("description", sa.Text),
        sa.Column("operator", sa.String(256)),
        sa.Column("layer", sa.String(16)),
        sa.Column("healthmon_url", sa.String(512)),
    )
    op.create_table(
        "apikey",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("hash", sa.String(256), nullable=False),
        sa.UniqueConstraint("account_id", "hash"),
    )
    op.create_table(
        "publickey",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("key_type", sa.String(64), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.UniqueConstraint("account_id", "name"),
    )
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("principal_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("delegate_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("principal_id", "delegate_id"),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.String(128), nullable=False, index=True),
        sa.Column("scope_uuid", sa.String(64), nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("uploader", sa.String(128), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("scope_uuid", sa.String(64), nullable=False),
        sa.Column("testcase", sa.String(128), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_result_lookup", "result", ["subject", "scope_uuid", "testcase", "checked_at"])


def downgrade() -> None:
    for table in ("result", "report", "delegation", "publickey", "apikey", "account"):
        op.drop_table(table)
