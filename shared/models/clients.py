"""Clients. Health-related personal data: never logged, shown only to staff."""

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class Client(SQLModel, table=True):
    __tablename__ = "client"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    email: str | None = Field(default=None, sa_type=String(254), unique=True)
    phone: str = Field(default="", sa_type=String(50))
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # keep personal data out of logs and tracebacks
        return f"<Client id={self.id}>"
