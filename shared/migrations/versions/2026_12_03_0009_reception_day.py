"""the receptionist's day: clinic locale, who may enter time off, clients' search columns

Revision ID: 20261203_0009
Revises: 20261203_0008
Create Date: 2026-12-03 00:00:00

Search compares folded text on both backends ("bozic" finds "Božič", "040 474 696" finds
"+386 40 474 696"), so each client keeps its folded name and bare phone digits beside the
originals; existing clients are backfilled here. Old code ignores the new columns (they have
defaults), and the ORM keeps them in step from this version on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import search_text

revision: str = "20261203_0009"
down_revision: str | None = "20261203_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_client = sa.table(
    "client",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("phone", sa.String),
    sa.column("search_key", sa.String),
    sa.column("phone_digits", sa.String),
)


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy of the table: that would drop the catalog_version
    # triggers on clinic (migration 0004) with the old table on SQLite.
    op.add_column(
        "client", sa.Column("search_key", sa.String(length=700), nullable=False, server_default="")
    )
    op.add_column(
        "client", sa.Column("phone_digits", sa.String(length=50), nullable=False, server_default="")
    )
    op.add_column(
        "clinic", sa.Column("locale", sa.String(length=16), nullable=False, server_default="")
    )
    op.add_column(
        "clinic",
        sa.Column(
            "receptionists_enter_time_off", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_client.c.id, _client.c.name, _client.c.email, _client.c.phone)
    )
    for client_id, name, email, phone in rows.all():
        connection.execute(
            _client.update()
            .where(_client.c.id == client_id)
            .values(
                search_key=search_text.search_key(name or "", email),
                phone_digits=search_text.digits(phone or ""),
            )
        )


def downgrade() -> None:
    op.drop_column("clinic", "receptionists_enter_time_off")
    op.drop_column("clinic", "locale")
    op.drop_column("client", "phone_digits")
    op.drop_column("client", "search_key")
