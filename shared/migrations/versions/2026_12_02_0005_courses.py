"""courses of treatment

Revision ID: 20261202_0005
Revises: 20261202_0004
Create Date: 2026-12-02 20:00:00

A `course` holds what ten or twelve sessions of one treatment share; each session stays an
ordinary booking that names its course (`booking.course_id`). A course's invitation and its
cancellation are one message each (`outbox_message.course_id`). `clinic.course_horizon_weeks`
is how far ahead a course may reach (the normal booking horizon is shorter).

SQLite adds the columns with their foreign keys by ALTER TABLE, never by copying the table:
a copy of `booking` would lose its overlap triggers. Old code ignores the new columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0005"
down_revision: str | None = "20261202_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each gets a nullable course_id referencing course.id (no ON DELETE clause: SQLite reflects
# none for a column added by ALTER TABLE, and courses are never deleted), and its index.
COURSE_COLUMNS = ("booking", "outbox_message")


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("treatment_type_id", sa.Integer(), nullable=False),
        sa.Column("planned_sessions", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("planned_sessions >= 1", name="course_planned_sessions"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["treatment_type_id"], ["treatment_type.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_course_client_id", "course", ["client_id"], unique=False)
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in COURSE_COLUMNS:
        if sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN course_id INTEGER REFERENCES course (id)")
        else:
            op.add_column(table, sa.Column("course_id", sa.Integer(), nullable=True))
            op.create_foreign_key(f"{table}_course_id_fkey", table, "course", ["course_id"], ["id"])
        op.create_index(f"ix_{table}_course_id", table, ["course_id"], unique=False)
    op.add_column(
        "clinic",
        sa.Column("course_horizon_weeks", sa.Integer(), nullable=False, server_default="26"),
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE clinic DROP COLUMN course_horizon_weeks")
    else:
        op.drop_column("clinic", "course_horizon_weeks")
    for table in reversed(COURSE_COLUMNS):
        op.drop_index(f"ix_{table}_course_id", table_name=table)
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN course_id")
        else:
            op.drop_constraint(f"{table}_course_id_fkey", table, type_="foreignkey")
            op.drop_column(table, "course_id")
    op.drop_index("ix_course_client_id", table_name="course")
    op.drop_table("course")
