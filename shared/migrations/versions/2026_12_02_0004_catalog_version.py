"""catalog version

Revision ID: 20261202_0004
Revises: 20261125_0003
Create Date: 2026-12-02 05:00:00

`catalog_version` holds one number that triggers change in the same transaction as any write
to what availability reads from the catalog (clinic settings, treatment types, rooms,
therapists, their skills, features and weekly hours), however the write is made: the domain,
the dashboard, a migration or psql. Each process caches the catalog and re-reads it only when
the number moves, so a request for slots costs one tiny query instead of six.

PostgreSQL takes the number from a sequence, so it is never handed out twice (not even after
a rollback), and the trigger runs BEFORE each statement, so a catalog writer takes the row's
lock before any row of its own and two writers queue instead of deadlocking. SQLite writes a
random 64-bit number (it has one writer at a time, and no sequences).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0004"
down_revision: str | None = "20261125_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose rows shared.catalog_cache reads (its CACHED_TABLES, frozen here).
CATALOG_TABLES = (
    "clinic",
    "treatment_type",
    "treatment_feature",
    "room",
    "room_feature",
    "therapist",
    "therapist_skill",
    "working_hours",
)


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="catalog_version_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE catalog_version_seq")
        op.execute(
            "INSERT INTO catalog_version (id, version) VALUES (1, nextval('catalog_version_seq'))"
        )
        op.execute(
            """
            CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO catalog_version (id, version)
                VALUES (1, nextval('catalog_version_seq'))
                ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
                RETURN NULL;
            END
            $$
            """
        )
        for table in CATALOG_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bumps_catalog_version "
                f"BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
            )
        return
    op.execute("INSERT INTO catalog_version (id, version) VALUES (1, random())")
    for table in CATALOG_TABLES:
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
    if op.get_bind().dialect.name == "postgresql":
        for table in CATALOG_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_catalog_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_catalog_version()")
        op.execute("DROP SEQUENCE IF EXISTS catalog_version_seq")
    else:
        for table in CATALOG_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_catalog_version_{event}")
    op.drop_table("catalog_version")
