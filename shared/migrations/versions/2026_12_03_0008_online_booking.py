"""online booking: holds that occupy time until the client confirms

Revision ID: 20261203_0008
Revises: 20261202_0007
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

revision: str = "20261203_0008"
down_revision: str | None = "20261202_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
