"""outbox claims and what was sent

Revision ID: 20261125_0002
Revises: 20261125_0001
Create Date: 2026-11-25 10:00:00

`claim_token` names the worker run holding a message's claim, so a worker whose lease ran out
notices and never sends a message another worker has taken. `rendered` keeps what a sent
calendar message said (time, therapist, room, method), so the next update can say what changed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_0002"
down_revision: str | None = "20261125_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claim_token", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("rendered", sa.JSON(), nullable=True))
        batch_op.create_index(
            "ix_outbox_booking_recipient", ["booking_id", "recipient"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_booking_recipient")
        batch_op.drop_column("rendered")
        batch_op.drop_column("claim_token")
