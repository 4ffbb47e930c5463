"""clinic colours (reserved; filled in by the change that needs it)

Revision ID: 20261203_0011
Revises: 20261203_0010
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

revision: str = "20261203_0011"
down_revision: str | None = "20261203_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
