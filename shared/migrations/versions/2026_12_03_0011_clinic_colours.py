"""clinic colours

Revision ID: 20261203_0011
Revises: 20261203_0010
Create Date: 2026-12-03 00:00:00

`clinic.brand_colour` ('#rrggbb') paints the pages clients see; its default is the colour they
had before, so nothing changes until an admin picks one. A column with a default only: old
code ignores it, and SQLite adds it by ALTER TABLE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0011"
down_revision: str | None = "20261203_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE clinic ADD COLUMN brand_colour VARCHAR(7) NOT NULL DEFAULT '#3d6b5a'"
        )
        return
    op.add_column(
        "clinic",
        sa.Column("brand_colour", sa.String(length=7), nullable=False, server_default="#3d6b5a"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE clinic DROP COLUMN brand_colour")
        return
    op.drop_column("clinic", "brand_colour")
