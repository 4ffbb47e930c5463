"""staff names

Revision ID: 20261203_0012
Revises: 20261203_0011
Create Date: 2026-12-03 00:00:00

Staff accounts get a display name, so a booking's history says "Ana (reception)" rather than
an e-mail address (bug 10). Existing accounts are named after their e-mail's part before the
"@", capitalised; the server default keeps the code one version back creating accounts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0012"
down_revision: str | None = "20261203_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("app_user", sa.column("id", sa.Integer), sa.column("email"), sa.column("name"))


def _name(email: str) -> str:
    """shared.accounts.default_name as of this revision (frozen here)."""
    local = email.split("@", 1)[0]
    return (local[:1].upper() + local[1:])[:120]


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy of the table (see migration 0009).
    op.add_column(
        "app_user",
        sa.Column("name", sa.String(length=120), server_default="", nullable=False),
    )
    bind = op.get_bind()
    for user_id, email in bind.execute(sa.select(_users.c.id, _users.c.email)).all():
        bind.execute(_users.update().where(_users.c.id == user_id).values(name=_name(email)))


def downgrade() -> None:
    op.drop_column("app_user", "name")
