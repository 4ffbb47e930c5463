"""time off and closures move catalog_version

Revision ID: 20261203_0013
Revises: 20261203_0012
Create Date: 2026-12-03 06:30:00

The day view polls `shared.day_data.change_marker`, which reads the newest booking events and
`catalog_version`. Holds, waiting-list offers and working hours already move one of them (a
hold's every step is a booking event; working hours are a catalog table); time off and
closures moved neither, so an open day view missed a therapist off sick. With the triggers of
migration 0004 on these two tables as well, the marker stays one statement of primary-key
lookups. The price: each process's catalog cache reloads after such a write, a few a day.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261203_0013"
down_revision: str | None = "20261203_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALENDAR_TABLES = ("time_off", "closure")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CALENDAR_TABLES:  # bump_catalog_version() is migration 0004's
            op.execute(
                f"CREATE TRIGGER {table}_bumps_catalog_version "
                f"BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
            )
        return
    for table in CALENDAR_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER {table}_bumps_catalog_version_{event.lower()}
                AFTER {event} ON {table}
                BEGIN
                    INSERT OR REPLACE INTO catalog_version (id, version) VALUES (1, random());
                END
                """
            )


def downgrade() -> None:
    for table in CALENDAR_TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_catalog_version ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_catalog_version_{event}")
