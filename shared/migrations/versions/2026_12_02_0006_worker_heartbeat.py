"""worker heartbeat

Revision ID: 20261202_0006
Revises: 20261202_0005
Create Date: 2026-12-02 21:00:00

One row per running mail worker with the time it last finished a round, for the
`clinic_worker_last_run_timestamp_seconds` metric (a new table: old code ignores it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0006"
down_revision: str | None = "20261202_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker"),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeat")
