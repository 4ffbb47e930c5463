"""One row that changes whenever anything availability reads from the catalog changes."""

from sqlalchemy import BigInteger, CheckConstraint, Column
from sqlmodel import Field, SQLModel


class CatalogVersion(SQLModel, table=True):
    """Written by database triggers (migration 0004), never by code: a changed `version` tells
    every process its cached catalog is stale. Values are never reused, not even after a
    rollback (a sequence on PostgreSQL, a random 64-bit number on SQLite), so a process that
    cached an uncommitted catalog can never mistake it for a later committed one."""

    __tablename__ = "catalog_version"
    __table_args__ = (CheckConstraint("id = 1", name="catalog_version_single_row"),)

    id: int | None = Field(default=1, primary_key=True)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
