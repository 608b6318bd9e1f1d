"""change counter for the caches of replicas: a global generation and the generation of each
subject's last change (also the list of subjects that reported)

Revision ID: 0004
Revises: 0003
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    generation = op.create_table(
        "generation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(generation, [{"id": 1, "value": 1, "changed_at": now}])
    op.create_table(
        "subject_generation",
        sa.Column("subject", sa.String(128), primary_key=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )
    # every subject already reported on changed "at generation 1": replicas evaluate them all once
    op.execute("INSERT INTO subject_generation (subject, generation) SELECT DISTINCT subject, 1 FROM report")


def downgrade() -> None:
    op.drop_table("subject_generation")
    op.drop_table("generation")
