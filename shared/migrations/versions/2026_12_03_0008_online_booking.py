"""online booking: holds that occupy time until the client confirms

Revision ID: 20261203_0008
Revises: 20261202_0007
Create Date: 2026-12-03 00:00:00

A hold is a booking in status `held`: the overlap guards (which count every status but
`cancelled`) keep its time, `hold_expires_at` says when it lapses and `hold_token` is the
secret of its confirmation link. The clinic says whether its booking page takes bookings
(`online_booking`), how long a hold waits (`hold_minutes`) and a waiting-list offer stays
open (`offer_hours`); a treatment type says whether the page offers it.

SQLite adds columns by ALTER TABLE, never by copying `booking` (a copy would lose its overlap
triggers); its status CHECK is widened in the stored schema, as SQLite documents for changes
that leave the stored rows valid. Old code ignores the new columns and never sees `held`
rows it did not make, apart from counting them as busy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0008"
down_revision: str | None = "20261202_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('booked', 'cancelled', 'completed', 'no_show')"
NEW_STATUSES = "status IN ('booked', 'cancelled', 'completed', 'no_show', 'held')"
CLINIC_COLUMNS = (
    ("online_booking", "BOOLEAN NOT NULL DEFAULT 0", None),
    ("hold_minutes", "INTEGER NOT NULL DEFAULT 15", "hold_minutes > 0"),
    ("offer_hours", "INTEGER NOT NULL DEFAULT 2", "offer_hours > 0"),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE booking ADD COLUMN hold_expires_at DATETIME")
        op.execute("ALTER TABLE booking ADD COLUMN hold_token VARCHAR(64)")
        op.execute(
            "ALTER TABLE treatment_type ADD COLUMN online_booking BOOLEAN NOT NULL DEFAULT 0"
        )
        for name, definition, check in CLINIC_COLUMNS:
            constraint = f" CONSTRAINT clinic_{name}_positive CHECK ({check})" if check else ""
            op.execute(f"ALTER TABLE clinic ADD COLUMN {name} {definition}{constraint}")
        _sqlite_statuses(OLD_STATUSES, NEW_STATUSES)
    else:
        op.add_column("booking", sa.Column("hold_expires_at", sa.DateTime(timezone=True)))
        op.add_column("booking", sa.Column("hold_token", sa.String(length=64)))
        op.add_column(
            "treatment_type",
            sa.Column("online_booking", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
        op.add_column(
            "clinic",
            sa.Column("online_booking", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
        op.add_column(
            "clinic", sa.Column("hold_minutes", sa.Integer(), nullable=False, server_default="15")
        )
        op.add_column(
            "clinic", sa.Column("offer_hours", sa.Integer(), nullable=False, server_default="2")
        )
        for name, _, check in CLINIC_COLUMNS:
            if check:
                op.create_check_constraint(f"clinic_{name}_positive", "clinic", check)
        op.drop_constraint("booking_status", "booking", type_="check")
        op.create_check_constraint("booking_status", "booking", NEW_STATUSES)
    op.create_index("ix_booking_hold_token", "booking", ["hold_token"], unique=True)
    op.create_index("ix_booking_hold_expires_at", "booking", ["hold_expires_at"], unique=False)


def downgrade() -> None:
    # Holds never confirmed are let go, so the narrower status check holds again.
    op.execute(
        "UPDATE booking SET status = 'cancelled', cancel_reason = 'not confirmed' "
        "WHERE status = 'held'"
    )
    op.drop_index("ix_booking_hold_expires_at", table_name="booking")
    op.drop_index("ix_booking_hold_token", table_name="booking")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_statuses(NEW_STATUSES, OLD_STATUSES)
        for name, _, _ in reversed(CLINIC_COLUMNS):
            op.execute(f"ALTER TABLE clinic DROP COLUMN {name}")
        op.execute("ALTER TABLE treatment_type DROP COLUMN online_booking")
        op.execute("ALTER TABLE booking DROP COLUMN hold_token")
        op.execute("ALTER TABLE booking DROP COLUMN hold_expires_at")
        return
    op.drop_constraint("booking_status", "booking", type_="check")
    op.create_check_constraint("booking_status", "booking", OLD_STATUSES)
    for name, _, check in reversed(CLINIC_COLUMNS):
        if check:
            op.drop_constraint(f"clinic_{name}_positive", "clinic", type_="check")
        op.drop_column("clinic", name)
    op.drop_column("treatment_type", "online_booking")
    op.drop_column("booking", "hold_token")
    op.drop_column("booking", "hold_expires_at")


def _sqlite_statuses(old: str, new: str) -> None:
    """Rewrites the booking table's status CHECK in SQLite's stored schema (the procedure of
    https://sqlite.org/lang_altertable.html#otheralter for a constraint every row still meets),
    keeping the table, its rows, indexes and overlap triggers as they are."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
        "WHERE type = 'table' AND name = 'booking'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    found = bind.exec_driver_sql(
        "SELECT instr(sql, ?) FROM sqlite_master WHERE type = 'table' AND name = 'booking'", (new,)
    ).scalar_one()
    if not found:  # pragma: no cover - a schema this migration does not know
        raise RuntimeError("booking's status check was not where migration 0001 put it")
