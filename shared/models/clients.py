"""Clients. Health-related personal data: never logged, shown only to staff."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Text, event
from sqlmodel import Field, SQLModel

from shared import search_text
from shared.models.types import UTCDateTime, utcnow


class Client(SQLModel, table=True):
    __tablename__ = "client"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    email: str | None = Field(default=None, sa_type=String(254), unique=True)
    phone: str = Field(default="", sa_type=String(50))
    notes: str = Field(default="", sa_type=Text)
    # Kept by `refresh_search` on every write: what search compares (shared.search_text).
    search_key: str = Field(default="", sa_type=String(700))
    phone_digits: str = Field(default="", sa_type=String(50))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def refresh_search(self) -> None:
        self.search_key = search_text.search_key(self.name or "", self.email)
        self.phone_digits = search_text.digits(self.phone or "")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # keep personal data out of logs and tracebacks
        return f"<Client id={self.id}>"


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _searchable(mapper: Any, connection: Any, client: Client) -> None:
    """Every ORM write keeps the search columns in step with the name, e-mail and phone."""
    client.refresh_search()
