"""staff names (reserved; filled in by the change that needs it)

Revision ID: 20261203_0012
Revises: 20261203_0011
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

revision: str = "20261203_0012"
down_revision: str | None = "20261203_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
