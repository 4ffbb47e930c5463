"""the waiting list and its offers

Revision ID: 20261203_0010
Revises: 20261203_0009
Create Date: 2026-12-03 00:00:00

`waitlist_entry` holds who waits for what (treatment, days, times of day, weekdays, maybe a
therapist) in the order they joined; `waitlist_offer` the times offered them, each a hold (a
booking row) that occupies its time until taken or lapsed. A partial unique index keeps an
entry to one open offer, so workers matching at once never offer one entry twice; the
booking guards keep two offers off one time. New tables only: old code ignores them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0010"
down_revision: str | None = "20261203_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("treatment_type_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("mornings", sa.Boolean(), nullable=False),
        sa.Column("afternoons", sa.Boolean(), nullable=False),
        sa.Column("evenings", sa.Boolean(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("first_day <= last_day", name="waitlist_entry_days"),
        sa.CheckConstraint("weekdays BETWEEN 1 AND 127", name="waitlist_entry_weekdays"),
        sa.CheckConstraint("mornings OR afternoons OR evenings", name="waitlist_entry_times"),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'expired', 'removed')",
            name="waitlist_entry_status",
        ),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["treatment_type_id"], ["treatment_type.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["therapist_id"], ["therapist.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waitlist_entry_client_id", "waitlist_entry", ["client_id"])
    op.create_index("ix_waitlist_entry_queue", "waitlist_entry", ["status", "joined_at", "id"])
    op.create_table(
        "waitlist_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'taken', 'declined', 'expired', 'withdrawn')",
            name="waitlist_offer_status",
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["waitlist_entry.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["therapist_id"], ["therapist.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_waitlist_offer_entry_id", "waitlist_offer", ["entry_id"])
    op.create_index("ix_waitlist_offer_booking_id", "waitlist_offer", ["booking_id"])
    op.create_index("ix_waitlist_offer_open_expiry", "waitlist_offer", ["status", "expires_at"])
    op.create_index(
        "ux_waitlist_offer_open_entry",
        "waitlist_offer",
        ["entry_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_table("waitlist_offer")
    op.drop_table("waitlist_entry")
