"""feed versions

Revision ID: 20261125_0003
Revises: 20261125_0002
Create Date: 2026-11-25 12:00:00

`feed_version` keeps, per iCal feed, the ETag of the bytes it serves and when they first
appeared, so every gunicorn worker (and a restarted server) sends the same Last-Modified.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_0003"
down_revision: str | None = "20261125_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_version",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "owner_id"),
    )


def downgrade() -> None:
    op.drop_table("feed_version")
